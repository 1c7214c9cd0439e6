"""The foundation's tables: the record that makes a create happen once (``core.idempotency``) and
the append-only audit of sensitive reads (``core.audit``)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.querysets import NOTHING, VIEW, ScopedQuerySet
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


class SensitiveReadQuerySet(ScopedQuerySet):
    """Append-only: rows are only added. ``update`` and ``delete`` are refused; the retention purge
    (``purge_before``, ``core.audit.purge``) is the one way a row leaves the table."""

    def scope_filter(self, scope, action=VIEW):
        # A park administrator reads the audit of their park's members; nobody but superusers
        # (condition None) changes anything.
        if action == VIEW and scope.park_ids:
            return Q(park_id__in=scope.park_ids)
        return NOTHING

    def update(self, **kwargs):
        raise AppendOnlyError(_("The audit of sensitive reads is append-only."))

    def delete(self):
        raise AppendOnlyError(_("The audit of sensitive reads is append-only."))

    delete.queryset_only = True

    def purge_before(self, moment) -> int:
        """Delete the rows older than ``moment`` (the retention, ``HONGFAN_AUDIT_RETENTION_DAYS``)."""
        return self.filter(at__lt=moment)._raw_delete(self.db)


class AppendOnlyError(Exception):
    """An attempt to change or delete a row of an append-only table."""


class SensitiveRead(models.Model):
    """One display or export of full (unmasked) ID or mobile numbers to someone other than the member.

    Written by ``core.audit`` (never by hand): who read, whose record (``member_id``; for a list or
    an export the number of members, ``member_count``), where (the URL name or the export kind),
    when and why (when the reader gave a reason). The member and park are plain ids, not foreign
    keys: the audit outlives the records it is about, and the layers above (members, parks) stay
    out of the foundation. Append-only (``SensitiveReadQuerySet``)."""

    class Kind(models.TextChoices):
        DISPLAY = "display", _("display")
        API = "api", _("API")
        EXPORT = "export", _("export")

    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True, validators=SYSTEM_TIME.validators())
    reader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.DO_NOTHING,
        db_constraint=False,
        null=True,
        related_name="+",
        verbose_name=_("reader"),
    )
    reader_name = models.CharField(_("reader's login"), max_length=150)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    where = models.CharField(_("where"), max_length=200)
    member_id = models.PositiveBigIntegerField(_("member (id)"), null=True, blank=True)
    member_count = models.PositiveIntegerField(_("number of members"), default=1)
    park_id = models.PositiveBigIntegerField(_("park (id)"), null=True, blank=True, db_index=True)
    reason = models.CharField(_("reason"), max_length=500, blank=True)

    objects = SensitiveReadQuerySet.as_manager()

    class Meta:
        verbose_name = _("sensitive read")
        verbose_name_plural = _("sensitive reads")
        ordering = ["-at", "-pk"]
        constraints = [
            SYSTEM_TIME.constraint("at", datetime_field=True),
            models.CheckConstraint(name="sensitive_read_count_positive", condition=Q(member_count__gte=1)),
        ]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.reader_name} {self.where}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError(_("The audit of sensitive reads is append-only."))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError(_("The audit of sensitive reads is append-only."))
