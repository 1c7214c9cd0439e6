from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core import crypto, texts
from core.fields import DigestField, EncryptedCharField
from core.querysets import CHANGE, VIEW, ScopedQuerySet
from core.validators import (
    BIRTH_DATE,
    PARTY_DATE,
    PARTY_PLAN,
    SERVICE_DATE,
    SYSTEM_TIME,
    TEXT_DESCRIPTION,
    TEXT_NOTE,
    mask_id_number,
    mask_phone,
    normalize_id_number,
    normalize_phone,
    text_constraint,
    validate_id_number,
    validate_id_number_matches,
    validate_phone,
)


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
    def scope_filter(self, scope, action=VIEW):
        if action == CHANGE:
            # Who acts for the member's organisation: its secretaries (and those of the units above
            # it) and its park's administrators.
            return scope.q(park="organization__park", org="organization")
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
        ACTIVE = "active", pgettext_lazy("member status", "active")
        TRANSFERRED_OUT = "transferred_out", _("transferred out")
        FLOWING = "flowing", _("flowing")
        DECEASED = "deceased", _("deceased")
        REMOVED = "removed", _("removed")

    Stage = Stage

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="member",
        verbose_name=_("login"),
    )
    name = models.CharField(_("name"), max_length=50)
    gender = models.CharField(_("gender"), max_length=1, choices=Gender.choices)
    ethnicity = models.CharField(_("ethnicity"), max_length=20, default="汉族")
    birth_date = models.DateField(_("birth date"), validators=BIRTH_DATE.validators())
    # 18 characters in Python (the pre-save check); the column holds its ciphertext, so no CHECK.
    id_number = EncryptedCharField(_("ID number"), max_length=18, validators=[validate_id_number])
    id_number_digest = DigestField(source="id_number", unique=True, null=True)
    phone = models.CharField(_("mobile phone"), max_length=11, blank=True, validators=[validate_phone])
    education = models.CharField(_("education"), max_length=20, choices=Education.choices, blank=True)
    employer = models.ForeignKey(
        "parks.Enterprise",
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="members",
        verbose_name=_("employer"),
    )
    organization = models.ForeignKey(
        "parks.Organization", models.PROTECT, related_name="members", verbose_name=_("party organisation")
    )
    stage = models.CharField(_("stage"), max_length=20, choices=Stage.choices, default=Stage.APPLICANT)
    applied_on = models.DateField(_("applied on"), null=True, blank=True, validators=PARTY_DATE.validators())
    activist_on = models.DateField(_("activist since"), null=True, blank=True, validators=PARTY_DATE.validators())
    candidate_on = models.DateField(_("candidate since"), null=True, blank=True, validators=PARTY_DATE.validators())
    probationary_on = models.DateField(
        _("probationary since"), null=True, blank=True, validators=PARTY_DATE.validators()
    )
    full_on = models.DateField(_("full member since"), null=True, blank=True, validators=PARTY_DATE.validators())
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.ACTIVE)
    shows_identity = models.BooleanField(_("shows identity publicly"), default=False)
    service_commitment = models.CharField(_("service commitment"), max_length=200, blank=True)
    points = models.IntegerField(_("points"), default=0)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, validators=SYSTEM_TIME.validators())
    history = HistoricalRecords(excluded_fields=["id_number_digest"])
    objects = MemberQuerySet.as_manager()

    class Meta:
        verbose_name = _("party member")
        verbose_name_plural = _("party members")
        # By name: served by an index, where ordering by organisation would sort every row (bench/).
        ordering = ["name", "pk"]
        indexes = [
            models.Index(fields=["organization", "stage"]),
            models.Index(fields=["organization", "name"]),
            models.Index(fields=["name"]),
            # The new members of a period (joined the party: became probationary within it), which
            # every dashboard and report counts: without it, a scan of all members.
            models.Index(fields=["probationary_on"], name="member_probationary_on"),
        ]
        constraints = [
            BIRTH_DATE.constraint("birth_date"),
            PARTY_DATE.constraint("applied_on"),
            PARTY_DATE.constraint("activist_on"),
            PARTY_DATE.constraint("candidate_on"),
            PARTY_DATE.constraint("probationary_on"),
            PARTY_DATE.constraint("full_on"),
            SYSTEM_TIME.constraint("created_at", datetime_field=True),
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
        today = today or timezone.localdate()
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


# Notes and reasons the system writes, not a person (an import, a change in the back office):
# stored as their message key (the English msgid) and shown in the reader's language
# (``shown_note``); what a person wrote is shown as written.
IMPORTED_NOTE = gettext_noop("Imported from a spreadsheet.")
BACK_OFFICE_NOTE = gettext_noop("changed in the back office")
SYSTEM_NOTES = frozenset({IMPORTED_NOTE, BACK_OFFICE_NOTE})


def shown_note(text: str) -> str:
    """A stored note or reason for the reader: translated when the system wrote it."""
    return gettext(text) if text in SYSTEM_NOTES else text


class StageChangeQuerySet(ScopedQuerySet):
    def scope_filter(self, scope, action=VIEW):
        if action == CHANGE:
            return scope.q(park="member__organization__park", org="member__organization")
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
    effective_on = models.DateField(_("effective on"), validators=PARTY_PLAN.validators())
    reason = models.TextField(_("reason"), max_length=TEXT_NOTE, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("changed by"),
    )
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True, validators=SYSTEM_TIME.validators())
    history = HistoricalRecords()
    objects = StageChangeQuerySet.as_manager()

    class Meta:
        verbose_name = _("stage change")
        verbose_name_plural = _("stage changes")
        ordering = ["member", "effective_on", "pk"]
        constraints = [
            text_constraint("reason", TEXT_NOTE),
            PARTY_PLAN.constraint("effective_on"),
            SYSTEM_TIME.constraint("created_at", datetime_field=True),
        ]

    def __str__(self):
        return f"{self.member}: {self.get_from_stage_display() or '—'} → {self.get_to_stage_display()}"

    @property
    def reason_display(self) -> str:
        return shown_note(self.reason)


# --- Lifecycle: organisation-relation transfers, the development pipeline, dues ---------------


class TransferQuerySet(ScopedQuerySet):
    def scope_filter(self, scope, action=VIEW):
        if action == CHANGE:
            # Either side acts on it (each workflow step checks which side, or the member, it needs).
            return scope.q(park="from_organization__park", org="from_organization") | scope.q(
                park="to_organization__park", org="to_organization"
            )
        # Both sides see a transfer: the sending and the receiving organisation's people.
        return scope.q(
            district="from_organization__district",
            park="from_organization__park",
            org="from_organization",
            member="member",
        ) | scope.q(
            district="to_organization__district",
            park="to_organization__park",
            org="to_organization",
        )

    def open(self):
        return self.filter(status__in=Transfer.OPEN_STATUSES)


class Transfer(models.Model):
    """An organisation-relation transfer (组织关系转接) of one member, from request to its end."""

    class Kind(models.TextChoices):
        INTERNAL = "internal", _("within the portal")
        IN = "in", _("in from an outside organisation")
        OUT = "out", _("out to an outside organisation")

    class Status(models.TextChoices):
        REQUESTED = "requested", _("requested")
        APPROVED = "approved", _("letter issued")
        DONE = "done", _("completed")
        REJECTED = "rejected", _("rejected")
        CANCELLED = "cancelled", _("cancelled")
        EXPIRED = "expired", _("expired")

    OPEN_STATUSES = (Status.REQUESTED, Status.APPROVED)

    member = models.ForeignKey(Member, models.PROTECT, related_name="transfers", verbose_name=_("member"))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.INTERNAL)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.REQUESTED)
    from_organization = models.ForeignKey(
        "parks.Organization",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="transfers_out",
        verbose_name=_("sending organisation"),
    )
    to_organization = models.ForeignKey(
        "parks.Organization",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="transfers_in",
        verbose_name=_("receiving organisation"),
    )
    outside_organization = models.CharField(
        _("outside organisation"),
        max_length=200,
        blank=True,
        help_text=_("The organisation outside the portal the member comes from or goes to."),
    )
    outside_letter_number = models.CharField(
        _("outside letter number"),
        max_length=50,
        blank=True,
        help_text=_("For a transfer in: the number of the letter issued by the outside organisation."),
    )
    reason = models.TextField(_("reason"), max_length=TEXT_NOTE)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("requested by"),
    )
    requested_at = models.DateTimeField(_("requested at"), auto_now_add=True, validators=SYSTEM_TIME.validators())
    # The introduction letter, issued by the sending side on approval.
    letter_year = models.PositiveSmallIntegerField(_("letter year"), null=True, blank=True)
    letter_sequence = models.PositiveIntegerField(_("letter sequence"), null=True, blank=True)
    letter_number = models.CharField(_("letter number"), max_length=20, blank=True, db_index=True)
    verification_code = models.CharField(_("verification code"), max_length=32, blank=True, editable=False)
    letter_issued_on = models.DateField(
        _("letter issued on"), null=True, blank=True, validators=SERVICE_DATE.validators()
    )
    letter_valid_until = models.DateField(
        _("letter valid until"), null=True, blank=True, validators=SERVICE_DATE.validators()
    )
    dues_paid_until = models.DateField(
        _("dues paid up to (month)"),
        null=True,
        blank=True,
        help_text=_("The first day of the month."),
        validators=PARTY_PLAN.validators(),
    )
    rejection_reason = models.TextField(_("reason for rejection"), max_length=TEXT_NOTE, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True, validators=SYSTEM_TIME.validators())
    history = HistoricalRecords()
    objects = TransferQuerySet.as_manager()

    class Meta:
        verbose_name = _("organisation-relation transfer")
        verbose_name_plural = _("organisation-relation transfers")
        ordering = ["-requested_at", "-pk"]
        constraints = [
            text_constraint("rejection_reason", TEXT_NOTE),
            text_constraint("reason", TEXT_NOTE),
            models.UniqueConstraint(
                fields=["member"],
                condition=models.Q(status__in=["requested", "approved"]),
                name="transfer_one_open_per_member",
            ),
            models.UniqueConstraint(
                fields=["letter_year", "letter_sequence"],
                condition=models.Q(letter_sequence__isnull=False),
                name="transfer_letter_number_unique_per_year",
            ),
            SYSTEM_TIME.constraint("requested_at", datetime_field=True),
            SERVICE_DATE.constraint("letter_issued_on"),
            SERVICE_DATE.constraint("letter_valid_until"),
            PARTY_PLAN.constraint("dues_paid_until"),
            SYSTEM_TIME.constraint("closed_at", datetime_field=True),
        ]
        indexes = [models.Index(fields=["status", "letter_valid_until"])]

    def __str__(self):
        return f"{self.member} · {self.get_kind_display()} · {self.get_status_display()}"

    @property
    def is_open(self):
        return self.status in self.OPEN_STATUSES

    @property
    def from_display(self):
        return str(self.from_organization) if self.from_organization_id else self.outside_organization

    @property
    def to_display(self):
        return str(self.to_organization) if self.to_organization_id else self.outside_organization

    @property
    def letter_valid_days(self):
        """The validity printed on the letter (有效期…天): from its issue to its last valid day."""
        if not (self.letter_issued_on and self.letter_valid_until):
            return None
        return (self.letter_valid_until - self.letter_issued_on).days

    def letter_expired(self, today=None):
        today = today or timezone.localdate()
        return bool(self.letter_valid_until and self.letter_valid_until < today)


class TransferEventQuerySet(ScopedQuerySet):
    def scope_filter(self, scope, action=VIEW):
        return models.Q(transfer__in=Transfer.objects.filter(Transfer.objects.scope_filter(scope, action)))


class TransferEvent(models.Model):
    """One step on a transfer's timeline: who did what, and when."""

    class Action(models.TextChoices):
        REQUEST = "request", _("requested")
        APPROVE = "approve", _("approved; letter issued")
        ACCEPT = "accept", _("accepted")
        REJECT = "reject", _("rejected")
        CANCEL = "cancel", _("cancelled")
        EXPIRE = "expire", _("letter expired")

    transfer = models.ForeignKey(Transfer, models.CASCADE, related_name="events", verbose_name=_("transfer"))
    action = models.CharField(_("step"), max_length=10, choices=Action.choices)
    from_status = models.CharField(_("from status"), max_length=10, choices=Transfer.Status.choices, blank=True)
    to_status = models.CharField(_("to status"), max_length=10, choices=Transfer.Status.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    at = models.DateTimeField(_("at"), auto_now_add=True, validators=SYSTEM_TIME.validators())
    note = models.TextField(_("note"), max_length=TEXT_NOTE, blank=True)
    # What the portal itself says of the step (the months owed at an approval), stored as a message
    # key with its parameters (core.texts) so that each reader sees it in their language.
    detail = models.JSONField(_("detail"), default=dict, blank=True, editable=False)
    objects = TransferEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("transfer step")
        verbose_name_plural = _("transfer steps")
        ordering = ["transfer", "at", "pk"]
        constraints = [
            text_constraint("note", TEXT_NOTE),
            SYSTEM_TIME.constraint("at", datetime_field=True),
        ]

    def __str__(self):
        return f"{self.transfer_id}: {self.get_action_display()}"

    @property
    def detail_display(self) -> str:
        """The portal's note on the step in the active language ("" when there is none)."""
        return texts.render(self.detail) if self.detail else ""


class LetterSequence(models.Model):
    """The last introduction-letter number handed out in a year (allocated under a row lock)."""

    year = models.PositiveSmallIntegerField(_("year"), unique=True)
    last = models.PositiveIntegerField(_("last number"), default=0)

    class Meta:
        verbose_name = _("letter number sequence")
        verbose_name_plural = _("letter number sequences")

    def __str__(self):
        return f"{self.year}: {self.last}"


class ApplicationTalkQuerySet(ScopedQuerySet):
    def scope_filter(self, scope, action=VIEW):
        return StageChange.objects.scope_filter(scope, action)


class ApplicationTalk(models.Model):
    """The talk a party organisation holds with an applicant (due within a month of applying)."""

    member = models.OneToOneField(Member, models.CASCADE, related_name="application_talk", verbose_name=_("applicant"))
    held_on = models.DateField(_("held on"), validators=PARTY_DATE.validators())
    held_by = models.CharField(_("talked with by"), max_length=100, blank=True)
    notes = models.TextField(_("notes"), max_length=TEXT_DESCRIPTION, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    history = HistoricalRecords()
    objects = ApplicationTalkQuerySet.as_manager()

    class Meta:
        verbose_name = _("talk with an applicant")
        verbose_name_plural = _("talks with applicants")
        constraints = [
            text_constraint("notes", TEXT_DESCRIPTION),
            PARTY_DATE.constraint("held_on"),
        ]

    def __str__(self):
        return f"{self.member} · {self.held_on}"


class DuesPaymentQuerySet(ScopedQuerySet):
    def scope_filter(self, scope, action=VIEW):
        return StageChange.objects.scope_filter(scope, action)

    def settled(self):
        """The months whose dues are paid in full (``DuesPayment.settled``, as a filter)."""
        return self.filter(amount_paid__gte=models.F("amount_due"))

    def paid_through(self) -> dict:
        """{member id: the latest settled month} over these rows: the month dues are paid up to."""
        return dict(
            self.settled().order_by().values("member").annotate(last=models.Max("month")).values_list("member", "last")
        )


class DuesPayment(models.Model):
    """One month of a member's party dues (党费): what was due by the brackets, and what was paid."""

    class Category(models.TextChoices):
        EMPLOYED = "employed", _("in work")
        RETIRED = "retired", _("retired")
        REDUCED = "reduced", _("student, unemployed or low income")

    member = models.ForeignKey(Member, models.CASCADE, related_name="dues_payments", verbose_name=_("member"))
    month = models.DateField(
        _("month"), help_text=_("The first day of the month the dues are for."), validators=PARTY_PLAN.validators()
    )
    category = models.CharField(_("category"), max_length=10, choices=Category.choices, default=Category.EMPLOYED)
    monthly_pay = models.DecimalField(
        _("monthly pay after tax"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    amount_due = models.DecimalField(_("amount due"), max_digits=8, decimal_places=2)
    amount_paid = models.DecimalField(_("amount paid"), max_digits=8, decimal_places=2)
    paid_on = models.DateField(_("paid on"), validators=PARTY_DATE.validators())
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True, validators=SYSTEM_TIME.validators())
    history = HistoricalRecords()
    objects = DuesPaymentQuerySet.as_manager()

    class Meta:
        verbose_name = _("dues payment")
        verbose_name_plural = _("dues payments")
        ordering = ["member", "-month"]
        constraints = [
            models.UniqueConstraint(fields=["member", "month"], name="dues_payment_one_per_member_month"),
            PARTY_PLAN.constraint("month"),
            PARTY_DATE.constraint("paid_on"),
            SYSTEM_TIME.constraint("recorded_at", datetime_field=True),
        ]

    def __str__(self):
        return f"{self.member} · {self.month:%Y-%m}"

    @property
    def settled(self):
        return self.amount_paid >= self.amount_due


# --- Membership history and approved leave (lapse risk, member stock of past days) --------------


def validate_membership_day(value):
    """A membership date (joining, leaving): the range of a past party date (core.validators
    PARTY_DATE: not before 1921-07-01, not in the future), for the doors that take one outside a
    model form (the import, the membership actions)."""
    if value is None:
        return
    for validator in PARTY_DATE.validators():
        validator(value)


class MembershipEventQuerySet(ScopedQuerySet):
    def scope_filter(self, scope, action=VIEW):
        # Who sees the member sees their history; the organisation of an old event may be another.
        return StageChange.objects.scope_filter(scope, action)


class MembershipEvent(models.Model):
    """One change of a member's relation with an organisation (joined, transferred in or out,
    flowing, deceased, removed, restored), kept for ever: the member stock of any past day is
    read from it (``members.selectors.members_at``). Written only by members.actions."""

    class Kind(models.TextChoices):
        JOINED = "joined", _("joined the organisation")
        TRANSFERRED_IN = "transferred_in", _("transferred in")
        TRANSFERRED_OUT = "transferred_out", _("transferred out")
        FLOWING = "flowing", _("became a flowing member")
        DECEASED = "deceased", _("deceased")
        REMOVED = "removed", _("removed from the roll")
        RESTORED = "restored", _("restored to active")

    # After an event of these kinds the member is on the organisation's roll (counted in its stock).
    ON_ROLL = (Kind.JOINED, Kind.TRANSFERRED_IN, Kind.RESTORED)
    # The events that start a member's time in an organisation ("joined the branch").
    JOINING = (Kind.JOINED, Kind.TRANSFERRED_IN)
    IMPORTED = IMPORTED_NOTE
    CHANGED_IN_BACK_OFFICE = BACK_OFFICE_NOTE

    member = models.ForeignKey(Member, models.CASCADE, related_name="membership_events", verbose_name=_("member"))
    organization = models.ForeignKey(
        "parks.Organization", models.PROTECT, related_name="membership_events", verbose_name=_("party organisation")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    on = models.DateField(_("on"), validators=PARTY_DATE.validators())
    note = models.CharField(_("note"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True, validators=SYSTEM_TIME.validators())
    objects = MembershipEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("membership event")
        verbose_name_plural = _("membership events")
        ordering = ["member", "on", "pk"]
        indexes = [
            models.Index(fields=["member", "on"]),
            models.Index(fields=["organization", "on"]),
        ]
        constraints = [
            PARTY_DATE.constraint("on"),
            SYSTEM_TIME.constraint("recorded_at", datetime_field=True),
        ]

    def __str__(self):
        return f"{self.member} · {self.get_kind_display()} · {self.on}"

    @property
    def puts_on_roll(self) -> bool:
        return self.kind in self.ON_ROLL

    @property
    def note_display(self) -> str:
        return shown_note(self.note)


class MemberLeaveQuerySet(ScopedQuerySet):
    def scope_filter(self, scope, action=VIEW):
        return StageChange.objects.scope_filter(scope, action)


class MemberLeave(models.Model):
    """Approved absence from the branch's life (members.rules: lapse risk): a flowing member
    (流动党员) with a recorded arrangement, or a member abroad (出国境) with a recorded leave.
    ``ends_on`` is the last day (empty: still on leave)."""

    class Kind(models.TextChoices):
        FLOWING = "flowing", _("flowing member with an arrangement")
        ABROAD = "abroad", _("abroad with leave")

    member = models.ForeignKey(Member, models.CASCADE, related_name="leaves", verbose_name=_("member"))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    starts_on = models.DateField(_("from"), validators=PARTY_PLAN.validators())
    ends_on = models.DateField(
        _("until"),
        null=True,
        blank=True,
        help_text=_("The last day of the leave; empty while it lasts."),
        validators=PARTY_PLAN.validators(),
    )
    arrangement = models.TextField(
        _("arrangement"),
        max_length=TEXT_NOTE,
        help_text=_("Where the member takes part in organisation life and pays dues, and who approved it."),
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True, validators=SYSTEM_TIME.validators())
    history = HistoricalRecords()
    objects = MemberLeaveQuerySet.as_manager()

    class Meta:
        verbose_name = _("approved leave")
        verbose_name_plural = _("approved leaves")
        ordering = ["member", "-starts_on", "pk"]
        constraints = [
            text_constraint("arrangement", TEXT_NOTE),
            models.CheckConstraint(
                condition=models.Q(ends_on__isnull=True) | models.Q(ends_on__gte=models.F("starts_on")),
                name="member_leave_ends_after_start",
            ),
            PARTY_PLAN.constraint("starts_on"),
            PARTY_PLAN.constraint("ends_on"),
            SYSTEM_TIME.constraint("recorded_at", datetime_field=True),
            models.CheckConstraint(condition=~models.Q(arrangement=""), name="member_leave_has_arrangement"),
        ]

    def __str__(self):
        return f"{self.member} · {self.get_kind_display()} · {self.starts_on}–{self.ends_on or ''}"

    def clean(self):
        self.arrangement = (self.arrangement or "").strip()
        errors = {}
        if not self.arrangement:
            errors["arrangement"] = [_("Record the arrangement of the leave.")]
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            errors["ends_on"] = [_("The leave cannot end before it starts.")]
        if errors:
            raise ValidationError(errors)


# A login linked to a member record opens the member's pages (their branch's activities, their
# dues, their transfer, requests as a member) while the record is on or near the roll: active,
# flowing (流动党员 stay members of their branch), or transferred out (they follow their letter). A
# member who died, or was removed from the party (除名, 党章 Art. 9: no longer a member), is off it:
# their login keeps no member's scope from the day their branch records the change, on every door
# (pages, API, exports read the same scope), and has it again if they are brought back on the roll.
LOGIN_CLOSED_STATUSES = (Member.Status.DECEASED, Member.Status.REMOVED)


def member_of_login(user):
    """The member records whose login is ``user`` and still opens their pages (at most one)."""
    return Member.objects.filter(user=user).exclude(status__in=LOGIN_CLOSED_STATUSES)


def member_scope(user, fields: dict) -> dict:
    """Scope builder (``core.scope``): the user's own member record, its organisation, park and
    employer, unless the record is off the roll (``LOGIN_CLOSED_STATUSES``)."""
    own = (
        Member.objects.filter(user=user)
        .values_list("pk", "organization_id", "organization__park_id", "employer_id", "name", "status")
        .first()
    )
    member_id, org_id, park_id, employer_id, name, status = own if own else (None, None, None, None, "", None)
    user._hongfan_member_name = name  # read by member_name below: no second query for the same login
    if status in LOGIN_CLOSED_STATUSES:
        member_id = org_id = park_id = employer_id = None
    return {
        "member_id": member_id,
        "member_org_id": org_id,
        "member_park_id": park_id,
        "member_employer_id": employer_id,
    }


def member_name(user) -> str | None:
    """Name source (``core.people``): the name of the member a login is linked to. Uses the member
    already loaded with the user (``select_related("…__member")``) or read by its scope; otherwise
    one query, remembered on the user object."""
    cached = user._state.fields_cache
    if "member" in cached:
        return cached["member"].name if cached["member"] is not None else None
    if not hasattr(user, "_hongfan_member_name"):
        found = Member.objects.filter(user_id=user.pk).values_list("name", flat=True).first() if user.pk else None
        user._hongfan_member_name = found or ""
    return user._hongfan_member_name or None
