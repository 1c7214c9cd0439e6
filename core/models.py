"""The foundation's one table: the record that makes a create happen once (``core.idempotency``)."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.validators import SYSTEM_TIME


class IdempotencyKey(models.Model):
    """One submitted form token or API ``Idempotency-Key`` of one user, and what its first request
    answered. Unique per (user, key): of two requests with the same key at once, the second waits
    for the first to commit and then replays its answer (``core.idempotency``). Kept 24 hours."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.CASCADE, related_name="idempotency_keys", verbose_name=_("user")
    )
    key = models.CharField(_("key"), max_length=255)
    fingerprint = models.CharField(_("request fingerprint"), max_length=64)
    response_status = models.PositiveSmallIntegerField(_("response status"), null=True, blank=True)
    response_body = models.JSONField(_("response body"), null=True, blank=True)
    result_url = models.CharField(_("result address"), max_length=500, blank=True)
    created_at = models.DateTimeField(
        _("created at"), default=timezone.now, db_index=True, validators=SYSTEM_TIME.validators()
    )

    class Meta:
        verbose_name = _("idempotency key")
        verbose_name_plural = _("idempotency keys")
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_unique_per_user"),
            SYSTEM_TIME.constraint("created_at", datetime_field=True),
        ]

    def __str__(self):
        return f"{self.user_id} {self.key}"
