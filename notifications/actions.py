"""Writes of notifications: the one way to send one (``notify``) and marking them read.

``notify`` is called inside an action's transaction; nothing is written or sent unless and until
that transaction commits. Each recipient gets a message in the portal's bell and, when they have
an e-mail address, an e-mail (through Celery, so a slow mail server never holds up a request).
"""

from django.conf import settings
from django.db import transaction
from django.shortcuts import get_object_or_404
from django.utils import timezone, translation

from core.texts import render, stored
from core.validators import fit_text

from .models import Notification, UserLanguage
from .tasks import send_notification_emails


def language_preference_set(*, user, language: str) -> None:
    """Keep the language ``user`` reads (an unknown language is ignored)."""
    if language in dict(settings.LANGUAGES):
        UserLanguage.objects.update_or_create(user=user, defaults={"language": language})


@transaction.atomic
def notification_mark_read(*, notification_id: int, user) -> Notification:
    """Mark one of the user's OWN notifications read; another user's is a 404 (Http404)."""
    notification = get_object_or_404(Notification.objects.select_for_update().for_user(user), pk=notification_id)
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


@transaction.atomic
def notifications_mark_all_read(*, user) -> int:
    """Mark all the user's unread notifications read; returns how many changed."""
    return Notification.objects.for_user(user).unread().update(read_at=timezone.now())


def notify(*, recipients, title, body="", url="") -> None:
    """Queue a notification for each user in ``recipients`` (None and duplicates are skipped).

    ``title`` and ``body`` are ``core.texts.Text`` (a message key with parameters), lazy
    translations or plain text (what a user wrote): keys are stored and translated when the
    notification is shown, in the reader's language; ``title``/``body`` also keep the text in the
    portal's default language, for the back office.
    """
    users = {user.pk: user for user in recipients if user is not None and user.is_active}
    if not users:
        return
    title_max = Notification._meta.get_field("title").max_length
    body_max = Notification._meta.get_field("body").max_length
    message = {"title": stored(title), "body": stored(body)}
    with translation.override(settings.LANGUAGE_CODE):  # the default language, whatever the request's
        # Composed from what users wrote (a request's title, a reason): cut to the fields' maxima,
        # as bulk_create does not run the pre-save check (core/validators.py, fit_text).
        title = fit_text(render(message["title"]), title_max)
        body = fit_text(render(message["body"]), body_max)
        url = fit_text(str(url), Notification._meta.get_field("url").max_length)

    def send():
        created = Notification.objects.bulk_create(
            [Notification(recipient_id=pk, title=title, body=body, url=url, message=message) for pk in users]
        )
        with_email = [n.pk for n, user in zip(created, users.values(), strict=True) if user.email]
        if with_email:
            send_notification_emails.delay(with_email)

    transaction.on_commit(send)
