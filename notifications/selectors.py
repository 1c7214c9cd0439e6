"""Reads of the bell: a user's own notifications, nobody else's."""

from .models import Notification


def unread_notification_count(user) -> int:
    if not user.is_authenticated:
        return 0
    return Notification.objects.for_user(user).unread().count()


def notifications_for(user):
    """The user's own notifications, newest first. Nobody reads anyone else's."""
    return Notification.objects.for_user(user).order_by("-created_at", "-pk")
