"""Writes of the portal app itself (notifications in the bell)."""

from django.db import transaction
from django.shortcuts import get_object_or_404
from django.utils import timezone

from .models import Notification


@transaction.atomic
def notification_mark_read(*, notification_id: int, user) -> Notification:
    """Mark one of the user's OWN notifications read; another user's is a 404 (Http404)."""
    notification = get_object_or_404(
        Notification.objects.select_for_update().for_user(user), pk=notification_id
    )
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


@transaction.atomic
def notifications_mark_all_read(*, user) -> int:
    """Mark all the user's unread notifications read; returns how many changed."""
    return Notification.objects.for_user(user).unread().update(read_at=timezone.now())
