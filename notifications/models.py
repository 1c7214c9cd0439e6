"""The bell: one message to one user."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.validators import SYSTEM_TIME, TEXT_DESCRIPTION, text_constraint


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
