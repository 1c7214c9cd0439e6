"""The bell: one message to one user."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.texts import render
from core.validators import SYSTEM_TIME, TEXT_DESCRIPTION, fit_text, text_constraint


class NotificationQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(recipient=user)

    def unread(self):
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    """A message in a user's bell. Created through ``portal.notifications.notify`` only."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.CASCADE, related_name="notifications", verbose_name=_("recipient")
    )
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("message"), max_length=TEXT_DESCRIPTION, blank=True)
    url = models.CharField(_("link"), max_length=300, blank=True)
    created_at = models.DateTimeField(
        _("sent at"), auto_now_add=True, db_index=True, validators=SYSTEM_TIME.validators()
    )
    read_at = models.DateTimeField(_("read at"), null=True, blank=True, validators=SYSTEM_TIME.validators())
    emailed_at = models.DateTimeField(_("e-mailed at"), null=True, blank=True, validators=SYSTEM_TIME.validators())
    # The message key and parameters of title and body (core/texts.py), translated when shown in
    # the reader's language; ``title`` and ``body`` keep the text in the default language (the
    # back office searches it) and are what rows stored before keys existed show.
    message = models.JSONField(_("message key"), null=True, blank=True, editable=False)
    objects = NotificationQuerySet.as_manager()

    class Meta:
        db_table = "portal_notification"  # the table of the app it was first defined in
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["recipient", "read_at"])]
        constraints = [
            text_constraint("body", TEXT_DESCRIPTION),
            SYSTEM_TIME.constraint("created_at", datetime_field=True),
            SYSTEM_TIME.constraint("read_at", datetime_field=True),
            SYSTEM_TIME.constraint("emailed_at", datetime_field=True),
        ]

    def __str__(self):
        return self.title

    @property
    def display_title(self) -> str:
        """The title in the active language (the reader's)."""
        if self.message and self.message.get("title"):
            return fit_text(render(self.message["title"]), self._meta.get_field("title").max_length)
        return self.title

    @property
    def display_body(self) -> str:
        if self.message and self.message.get("body"):
            return fit_text(render(self.message["body"]), self._meta.get_field("body").max_length)
        return self.body


class UserLanguage(models.Model):
    """The language a user reads: kept when they switch the portal's language, used for what is
    rendered without a request (e-mails). Without a row, the portal's default language."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        models.CASCADE,
        primary_key=True,
        related_name="language_preference",
        verbose_name=_("user"),
    )
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES)

    class Meta:
        verbose_name = _("language preference")
        verbose_name_plural = _("language preferences")

    def __str__(self):
        return f"{self.user}: {self.get_language_display()}"


def language_of(user) -> str:
    """The language ``user`` reads: their preference, else the portal's default (one query unless
    ``language_preference`` was selected with the user)."""
    try:
        language = user.language_preference.language
    except UserLanguage.DoesNotExist:
        return settings.LANGUAGE_CODE
    return language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
