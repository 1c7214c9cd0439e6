import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from portal.fields import DigestField, EncryptedCharField
from portal.querysets import ScopedQuerySet
from portal.validators import (
    mask_id_number,
    mask_phone,
    normalize_id_number,
    normalize_phone,
    validate_id_number,
    validate_id_number_matches,
    validate_phone,
)
from portal import crypto


class Stage(models.TextChoices):
    APPLICANT = "applicant", _("applicant")
    ACTIVIST = "activist", _("activist")
    CANDIDATE = "candidate", _("candidate")
    PROBATIONARY = "probationary", _("probationary member")
    FULL = "full", _("full member")


STAGE_ORDER = [Stage.APPLICANT, Stage.ACTIVIST, Stage.CANDIDATE, Stage.PROBATIONARY, Stage.FULL]
# The date field on Member that records when each stage was reached.
STAGE_DATE_FIELD = {
    Stage.APPLICANT: "applied_on",
    Stage.ACTIVIST: "activist_on",
    Stage.CANDIDATE: "candidate_on",
    Stage.PROBATIONARY: "probationary_on",
    Stage.FULL: "full_on",
}


class MemberQuerySet(ScopedQuerySet):
    def scope_filter(self, scope):
        return scope.q(
            district="organization__district",
            park="organization__park",
            org="organization",
            member="pk",
        )

    def by_id_number(self, id_number: str):
        return self.filter(id_number_digest=crypto.digest(normalize_id_number(id_number)))


class Member(models.Model):
    """A party member, or an applicant or activist on the way to membership (党员)."""

    class Gender(models.TextChoices):
        MALE = "M", _("male")
        FEMALE = "F", _("female")

    class Education(models.TextChoices):
        JUNIOR = "junior", _("junior secondary or below")
        SENIOR = "senior", _("senior secondary")
        COLLEGE = "college", _("junior college")
        BACHELOR = "bachelor", _("bachelor")
        MASTER = "master", _("master")
        DOCTOR = "doctor", _("doctorate")

    class Status(models.TextChoices):
        ACTIVE = "active", _("active")
        TRANSFERRED_OUT = "transferred_out", _("transferred out")
        FLOWING = "flowing", _("flowing")
        DECEASED = "deceased", _("deceased")
        REMOVED = "removed", _("removed")

    Stage = Stage

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="member",
        verbose_name=_("login"),
    )
    name = models.CharField(_("name"), max_length=50)
    gender = models.CharField(_("gender"), max_length=1, choices=Gender.choices)
    ethnicity = models.CharField(_("ethnicity"), max_length=20, default="汉族")
    birth_date = models.DateField(_("birth date"))
    id_number = EncryptedCharField(_("ID number"), validators=[validate_id_number])
    id_number_digest = DigestField(source="id_number", unique=True, null=True)
    phone = models.CharField(_("mobile phone"), max_length=11, blank=True, validators=[validate_phone])
    education = models.CharField(_("education"), max_length=20, choices=Education.choices, blank=True)
    employer = models.ForeignKey(
        "parks.Enterprise", models.SET_NULL, null=True, blank=True, related_name="members",
        verbose_name=_("employer"),
    )
    organization = models.ForeignKey(
        "parks.Organization", models.PROTECT, related_name="members", verbose_name=_("party organisation")
    )
    stage = models.CharField(_("stage"), max_length=20, choices=Stage.choices, default=Stage.APPLICANT)
    applied_on = models.DateField(_("applied on"), null=True, blank=True)
    activist_on = models.DateField(_("activist since"), null=True, blank=True)
    candidate_on = models.DateField(_("candidate since"), null=True, blank=True)
    probationary_on = models.DateField(_("probationary since"), null=True, blank=True)
    full_on = models.DateField(_("full member since"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.ACTIVE)
    shows_identity = models.BooleanField(_("shows identity publicly"), default=False)
    service_commitment = models.CharField(_("service commitment"), max_length=200, blank=True)
    points = models.IntegerField(_("points"), default=0)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    history = HistoricalRecords(excluded_fields=["id_number_digest"])
    objects = MemberQuerySet.as_manager()

    class Meta:
        verbose_name = _("party member")
        verbose_name_plural = _("party members")
        ordering = ["organization", "name", "pk"]
        indexes = [
            models.Index(fields=["organization", "stage"]),
            models.Index(fields=["organization", "name"]),
            models.Index(fields=["name"]),
        ]

    def __str__(self):
        return self.name

    @property
    def id_number_masked(self):
        return mask_id_number(self.id_number)

    @property
    def phone_masked(self):
        return mask_phone(self.phone)

    @property
    def is_full_member(self):
        return self.stage == Stage.FULL

    def stage_date(self, stage=None):
        return getattr(self, STAGE_DATE_FIELD[stage or self.stage])

    def age(self, today=None):
        today = today or datetime.date.today()
        b = self.birth_date
        return today.year - b.year - ((today.month, today.day) < (b.month, b.day))

    def clean(self):
        self.id_number = normalize_id_number(self.id_number)
        self.phone = normalize_phone(self.phone)
        errors = {}
        if self.id_number:
            try:
                validate_id_number_matches(self.id_number, self.birth_date, self.gender)
            except ValidationError as exc:
                errors.update(exc.error_dict if hasattr(exc, "error_dict") else {"id_number": exc.error_list})
            duplicate = Member.objects.by_id_number(self.id_number).exclude(pk=self.pk)
            if "id_number" not in errors and duplicate.exists():
                errors["id_number"] = [_("A member with this ID number is already registered.")]
        # Stage dates: the current stage has a date, and no date of a later stage is set.
        position = STAGE_ORDER.index(self.stage)
        previous = None
        for index, stage in enumerate(STAGE_ORDER):
            field = STAGE_DATE_FIELD[stage]
            value = getattr(self, field)
            if index > position and value:
                errors[field] = [_("This date belongs to a later stage than the member's.")]
            if value and previous and value < previous:
                errors[field] = [_("Stage dates must follow one another in order.")]
            previous = value or previous
        if errors:
            raise ValidationError(errors)


class StageChangeQuerySet(ScopedQuerySet):
    def scope_filter(self, scope):
        return scope.q(
            district="member__organization__district",
            park="member__organization__park",
            org="member__organization",
            member="member",
        )


class StageChange(models.Model):
    """One step of a member's development (or a correction), kept for ever."""

    class Kind(models.TextChoices):
        ADVANCE = "advance", _("advance")
        EXTENSION = "extension", _("extension of probation")
        CORRECTION = "correction", _("correction")
        INITIAL = "initial", _("initial record")

    member = models.ForeignKey(Member, models.CASCADE, related_name="stage_changes", verbose_name=_("member"))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.ADVANCE)
    from_stage = models.CharField(_("from stage"), max_length=20, choices=Stage.choices, blank=True)
    to_stage = models.CharField(_("to stage"), max_length=20, choices=Stage.choices)
    effective_on = models.DateField(_("effective on"))
    reason = models.TextField(_("reason"), blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("changed by"),
    )
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    history = HistoricalRecords()
    objects = StageChangeQuerySet.as_manager()

    class Meta:
        verbose_name = _("stage change")
        verbose_name_plural = _("stage changes")
        ordering = ["member", "effective_on", "pk"]

    def __str__(self):
        return f"{self.member}: {self.get_from_stage_display() or '—'} → {self.get_to_stage_display()}"
