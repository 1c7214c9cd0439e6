"""The one notification mechanism of the portal, for every app.

``notify`` is called inside an action's transaction; nothing is written or sent unless and until
that transaction commits. Each recipient gets a message in the portal's bell and, when they have
an e-mail address, an e-mail (through Celery, so a slow mail server never holds up a request).
"""

from django.conf import settings
from django.db import transaction
from django.utils import translation


def notify(*, recipients, title, body="", url="") -> None:
    """Queue a notification for each user in ``recipients`` (None and duplicates are skipped).

    ``title`` and ``body`` may be lazy translations: they are rendered in the portal's default
    language when the message is stored.
    """
    users = {user.pk: user for user in recipients if user is not None and user.is_active}
    if not users:
        return
    with translation.override(settings.LANGUAGE_CODE):  # the default language, whatever the request's
        title, body = str(title), str(body)

    def send():
        from .models import Notification
        from .tasks import send_notification_emails

        created = Notification.objects.bulk_create(
            [Notification(recipient_id=pk, title=title, body=body, url=url) for pk in users]
        )
        with_email = [n.pk for n, user in zip(created, users.values(), strict=True) if user.email]
        if with_email:
            send_notification_emails.delay(with_email)

    transaction.on_commit(send)
