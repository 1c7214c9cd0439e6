from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_notification_emails(notification_ids):
    """E-mail each notification once; a retry skips nothing and repeats nothing already sent."""
    from .models import Notification

    for notification in Notification.objects.filter(pk__in=notification_ids).select_related("recipient"):
        send_mail(
            subject=f"[{settings.PORTAL_NAME}] {notification.title}",
            message=f"{notification.body}\n\n{notification.url}".strip(),
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=[notification.recipient.email],
        )
