"""The e-mail side of notifications. The task keeps the name it was first queued under, so
messages already in the broker still find it."""

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone, translation

from .models import Notification, language_of


@shared_task(name="portal.tasks.send_notification_emails", autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_notification_emails(notification_ids):
    """E-mail each notification once: each is marked as it goes out, so a retry after a failure
    part-way sends only the rest."""
    pending = Notification.objects.filter(pk__in=notification_ids, emailed_at__isnull=True)
    for notification in pending.select_related("recipient", "recipient__language_preference"):
        with translation.override(language_of(notification.recipient)):  # the recipient's language
            send_mail(
                subject=f"[{settings.PORTAL_NAME}] {notification.display_title}",
                message=f"{notification.display_body}\n\n{notification.url}".strip(),
                from_email=settings.DEFAULT_FROM_EMAIL,
                recipient_list=[notification.recipient.email],
            )
        Notification.objects.filter(pk=notification.pk).update(emailed_at=timezone.now())
