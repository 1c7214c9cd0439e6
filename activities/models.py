"""Organisation life: activities, attendance, the 三会一课 rules and points (DESIGN §2, §3).

Writes go through ``activities.actions``; reads through ``activities.selectors``.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.periods import PeriodKind
from core.querysets import CHANGE, NOTHING, VIEW, ScopedQuerySet
from core.validators import PARTY_PLAN, SYSTEM_TIME, TEXT_MINUTES, text_constraint, wall_date

# A reason for changing or cancelling an activity (kept in its history), a member's reason for leave.
CHANGE_REASON_MAX_LENGTH = 300
LEAVE_REASON_MAX_LENGTH = 200


class Kind(models.TextChoices):
    PARTY_CONGRESS = "party_congress", _("party congress")
    COMMITTEE_MEETING = "committee_meeting", _("committee meeting")
    GROUP_MEETING = "group_meeting", _("party group meeting")
    PARTY_LECTURE = "party_lecture", _("party lecture")
    THEMED_DAY = "themed_day", _("themed party day")
    LIFE_MEETING = "life_meeting", _("organisation-life meeting")
    DEMOCRATIC_REVIEW = "democratic_review", _("democratic review")
    TRAINING = "training", _("training")
    SALON = "salon", _("salon")
    FORUM = "forum", _("forum")
    VOLUNTEER = "volunteer", _("volunteer service")
    MASS_ACTIVITY = "mass_activity", _("mass-organisation activity")
    OTHER = "other", _("other")


class ActivityQuerySet(ScopedQuerySet):
    def scope_filter(self, scope, action=VIEW):
        if action == CHANGE:
            # The host's secretaries (and those above it) and its park's administrators; not the
            # co-hosts, nor an attendee.
            return scope.q(park="host__park", org="host")
        conditions = scope.q(district="host__district", park="host__park", org="host", member_org="host")
        if scope.org_ids:
            # A co-hosting branch sees the joint activity too (it cannot change it).
            conditions |= Q(
                pk__in=Activity.co_hosts.through.objects.filter(organization_id__in=scope.org_ids).values("activity_id")
            )
        if scope.member_id is not None:
            conditions |= Q(pk__in=Attendance.objects.filter(member_id=scope.member_id).values("activity_id"))
        return conditions

    def held(self):
        return self.filter(status=Activity.Status.HELD)


class Activity(models.Model):
    """One meeting, lecture or other activity of a party organisation."""

    class Status(models.TextChoices):
        PLANNED = "planned", _("planned")
        HELD = "held", _("held")
        CANCELLED = "cancelled", _("cancelled")

    Kind = Kind

    host = models.ForeignKey(
        "parks.Organization", models.PROTECT, related_name="activities", verbose_name=_("host organisation")
    )
    co_hosts = models.ManyToManyField(
        "parks.Organization",
        blank=True,
        related_name="co_hosted_activities",
        verbose_name=_("co-host branches"),
    )
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=200)
    topic = models.CharField(_("topic"), max_length=200, blank=True)
    starts_at = models.DateTimeField(_("starts at"), db_index=True, validators=PARTY_PLAN.validators())
    ends_at = models.DateTimeField(_("ends at"), null=True, blank=True, validators=PARTY_PLAN.validators())
    place = models.CharField(_("place"), max_length=200, blank=True)
    room = models.ForeignKey(
        "parks.Room",
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="activities",
        verbose_name=_("room"),
    )
    online = models.BooleanField(_("online"), default=False)
    minutes = models.TextField(_("minutes"), max_length=TEXT_MINUTES, blank=True)
    non_member_count = models.PositiveIntegerField(_("non-member participants"), default=0)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.PLANNED)
    cancel_reason = models.CharField(_("reason for cancelling"), max_length=CHANGE_REASON_MAX_LENGTH, blank=True)
    # For a party congress: full members of the branch when attendance was recorded, and whether
    # more than half of them were present. A congress below quorum does not count for compliance.
    voting_members = models.PositiveIntegerField(_("voting members"), null=True, blank=True)
    voting_present = models.PositiveIntegerField(_("voting members present"), null=True, blank=True)
    quorum_met = models.BooleanField(_("quorum met"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, validators=SYSTEM_TIME.validators())
    updated_at = models.DateTimeField(_("updated at"), auto_now=True, validators=SYSTEM_TIME.validators())
    # The reason for a change after the period closed is kept only here: as long as the forms allow.
    history = HistoricalRecords(
        m2m_fields=[co_hosts],
        history_change_reason_field=models.CharField(max_length=CHANGE_REASON_MAX_LENGTH, null=True),
    )
    objects = ActivityQuerySet.as_manager()

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        ordering = ["-starts_at", "-pk"]
        indexes = [
            models.Index(fields=["host", "kind", "starts_at"]),
            models.Index(fields=["status", "starts_at"]),
        ]
        constraints = [
            text_constraint("minutes", TEXT_MINUTES),
            models.CheckConstraint(
                name="activity_ends_after_start",
                condition=Q(ends_at__isnull=True) | Q(ends_at__gte=models.F("starts_at")),
            ),
            PARTY_PLAN.constraint("starts_at", datetime_field=True),
            PARTY_PLAN.constraint("ends_at", datetime_field=True),
            SYSTEM_TIME.constraint("created_at", datetime_field=True),
            SYSTEM_TIME.constraint("updated_at", datetime_field=True),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("activities:detail", args=[self.pk])

    def clean(self):
        self.clean_dates()

    def clean_dates(self):
        """Not before the host organisation was founded, when that date is known. Before a save
        (core.apps) only when the host is already loaded, as every action has it: no extra query."""
        if not self.starts_at or not self.host_id:
            return
        if "host" not in self._state.fields_cache and not self._state.adding and self.pk:
            return
        founded = self.host.founded_on
        if founded and wall_date(self.starts_at) < founded:
            raise ValidationError(
                {
                    "starts_at": _("The activity cannot be before its organisation was founded (%(date)s).")
                    % {"date": founded.isoformat()}
                },
                code="before_founding",
            )

    @property
    def below_quorum(self):
        return self.kind == Kind.PARTY_CONGRESS and self.quorum_met is False


class ActivityFileQuerySet(ScopedQuerySet):
    def scope_filter(self, scope, action=VIEW):
        if action == CHANGE:
            return scope.q(park="activity__host__park", org="activity__host")
        return Q(activity__in=Activity.objects.filter(Activity.objects.scope_filter(scope)).values("pk"))


class ActivityFile(models.Model):
    """A photo or an attachment (minutes scan, slides) of an activity; type and size checked."""

    class Kind(models.TextChoices):
        PHOTO = "photo", _("photo")
        ATTACHMENT = "attachment", _("attachment")

    activity = models.ForeignKey(Activity, models.CASCADE, related_name="files", verbose_name=_("activity"))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    file = models.FileField(_("file"), upload_to="activities/%Y/%m/")
    name = models.CharField(_("file name"), max_length=200)
    size = models.PositiveIntegerField(_("size (bytes)"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True, validators=SYSTEM_TIME.validators())
    history = HistoricalRecords()
    objects = ActivityFileQuerySet.as_manager()

    class Meta:
        verbose_name = _("activity file")
        verbose_name_plural = _("activity files")
        ordering = ["activity", "kind", "pk"]
        constraints = [SYSTEM_TIME.constraint("uploaded_at", datetime_field=True)]

    def __str__(self):
        return self.name


class AttendanceQuerySet(ScopedQuerySet):
    def scope_filter(self, scope, action=VIEW):
        if action == CHANGE:
            # Attendance is taken by who changes the activity.
            return scope.q(park="activity__host__park", org="activity__host")
        return scope.q(
            district="activity__host__district",
            park="activity__host__park",
            org="activity__host",
            member="member",
        )


class Attendance(models.Model):
    """Whether a member attended an activity; the source of the member's points."""

    class Status(models.TextChoices):
        PRESENT = "present", _("present")
        ABSENT = "absent", _("absent")
        LEAVE = "leave", _("on leave")

    activity = models.ForeignKey(Activity, models.CASCADE, related_name="attendances", verbose_name=_("activity"))
    member = models.ForeignKey("members.Member", models.CASCADE, related_name="attendances", verbose_name=_("member"))
    status = models.CharField(_("attendance"), max_length=10, choices=Status.choices, default=Status.PRESENT)
    reason = models.CharField(_("reason"), max_length=LEAVE_REASON_MAX_LENGTH, blank=True)
    late = models.BooleanField(_("arrived late"), default=False)
    left_early = models.BooleanField(_("left early"), default=False)
    volunteer_hours = models.DecimalField(_("volunteer hours"), max_digits=5, decimal_places=1, default=0)
    history = HistoricalRecords(
        history_change_reason_field=models.CharField(max_length=CHANGE_REASON_MAX_LENGTH, null=True)
    )
    objects = AttendanceQuerySet.as_manager()

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendances")
        ordering = ["activity", "member__name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["activity", "member"], name="attendance_once_per_member"),
        ]
        indexes = [models.Index(fields=["member", "status"])]

    def __str__(self):
        return f"{self.member} · {self.get_status_display()}"


class AnyRoleQuerySet(ScopedQuerySet):
    """Rules are shared reference data: every signed-in role may read them."""

    def scope_filter(self, scope, action=VIEW):
        return Q() if action == VIEW else NOTHING  # written by superusers only


class ComplianceRule(models.Model):
    """A minimum frequency of one kind of activity per branch (三会一课), e.g. 支委会 once a month.

    ``applies_to`` says which branches the rule binds (its subject): every branch, a branch with a
    committee (支委会), a branch with party groups (党小组会). Where it does not apply, a period is
    "not applicable", neither met nor missing (``activities.rules``, docs/rules.md).
    """

    class Subject(models.TextChoices):
        EVERY_BRANCH = "every_branch", _("every branch")
        WITH_COMMITTEE = "with_committee", _("branches with a committee")
        WITH_GROUPS = "with_groups", _("branches with party groups")

    kind = models.CharField(_("activity kind"), max_length=30, choices=Kind.choices, unique=True)
    period = models.CharField(_("period"), max_length=10, choices=PeriodKind.choices)
    minimum_count = models.PositiveSmallIntegerField(_("minimum count per period"), default=1)
    applies_to = models.CharField(
        _("applies to"),
        max_length=20,
        choices=Subject.choices,
        default=Subject.EVERY_BRANCH,
        help_text=_("Which branches the rule binds; elsewhere its periods are shown as not applicable."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    history = HistoricalRecords()
    objects = AnyRoleQuerySet.as_manager()

    class Meta:
        verbose_name = _("compliance rule")
        verbose_name_plural = _("compliance rules")
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(name="compliance_rule_minimum_positive", condition=Q(minimum_count__gte=1)),
            models.CheckConstraint(
                name="compliance_rule_applies_to_valid",
                condition=Q(applies_to__in=["every_branch", "with_committee", "with_groups"]),
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} ≥ {self.minimum_count} / {self.get_period_display()}"


class PointRule(models.Model):
    """Points (积分) a member earns for being present at an activity of a kind."""

    kind = models.CharField(_("activity kind"), max_length=30, choices=Kind.choices, unique=True)
    points = models.PositiveSmallIntegerField(_("points for attending"), default=1)
    points_per_volunteer_hour = models.PositiveSmallIntegerField(_("points per volunteer hour"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    history = HistoricalRecords()
    objects = AnyRoleQuerySet.as_manager()

    class Meta:
        verbose_name = _("point rule")
        verbose_name_plural = _("point rules")
        ordering = ["pk"]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.points}"


class PointEntryQuerySet(ScopedQuerySet):
    def scope_filter(self, scope, action=VIEW):
        if action == CHANGE:
            return NOTHING  # a ledger: written by the attendance actions only, never edited
        return scope.q(
            district="member__organization__district",
            park="member__organization__park",
            org="member__organization",
            member="member",
        )


class PointEntry(models.Model):
    """One line of a member's points ledger. Never edited: a change is a reversal plus a new award.

    ``Member.points`` is always the sum of the member's entries (kept so by the actions).
    """

    class Reason(models.TextChoices):
        AWARD = "award", _("attendance")
        REVERSAL = "reversal", _("reversal")

    member = models.ForeignKey("members.Member", models.CASCADE, related_name="point_entries", verbose_name=_("member"))
    activity = models.ForeignKey(
        Activity,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="point_entries",
        verbose_name=_("activity"),
    )
    points = models.IntegerField(_("points"))
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(
        _("recorded at"), auto_now_add=True, db_index=True, validators=SYSTEM_TIME.validators()
    )
    history = HistoricalRecords()
    objects = PointEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("point entry")
        verbose_name_plural = _("point entries")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["member", "activity"])]
        constraints = [SYSTEM_TIME.constraint("created_at", datetime_field=True)]

    def __str__(self):
        return f"{self.member} {self.points:+d}"


class OrganizationMonth(models.Model):
    """Summary of one organisation's held activities of one kind in one month (owner: statistics).

    Built from Activity and Attendance by ``activities.summaries.refresh`` (after each write through
    the actions, nightly, and by ``manage.py refresh_statistics``) so that dashboards never scan
    attendance rows. ``compliance_held`` counts what the 三会一课 compliance grid counts for this
    organisation: its own activities, those of its party groups and those it co-hosts, once each,
    without a party congress below quorum. The month is the first day, in the portal's time zone.
    """

    organization = models.ForeignKey(
        "parks.Organization", models.CASCADE, related_name="month_summaries", verbose_name=_("organisation")
    )
    month = models.DateField(_("month"), validators=PARTY_PLAN.validators())
    kind = models.CharField(_("activity kind"), max_length=30, choices=Kind.choices)
    held = models.PositiveIntegerField(_("activities held"), default=0)
    compliance_held = models.PositiveIntegerField(_("activities counted for compliance"), default=0)
    present = models.PositiveIntegerField(_("present (person-times)"), default=0)
    absent = models.PositiveIntegerField(_("absent"), default=0)
    leave = models.PositiveIntegerField(_("on leave"), default=0)
    volunteer_hours = models.DecimalField(_("volunteer hours"), max_digits=12, decimal_places=1, default=0)
    refreshed_at = models.DateTimeField(_("refreshed at"), auto_now=True, validators=SYSTEM_TIME.validators())

    class Meta:
        verbose_name = _("organisation month summary")
        verbose_name_plural = _("organisation month summaries")
        ordering = ["organization", "month", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "month", "kind"], name="organization_month_unique"),
            PARTY_PLAN.constraint("month"),
            SYSTEM_TIME.constraint("refreshed_at", datetime_field=True),
        ]
        indexes = [models.Index(fields=["month", "organization"])]

    def __str__(self):
        return f"{self.organization_id} {self.month:%Y-%m} {self.kind}"


class OrganizationYear(models.Model):
    """The year's roll-up of ``OrganizationMonth``: one organisation's held activities of one kind
    in one calendar year (owner: statistics).

    Kept by the same refresh as the monthly summary (``activities.summaries.refresh``: after each
    write through the actions, nightly, ``manage.py refresh_statistics``), by summing the year's
    monthly rows, so the two never disagree. The year figures of a dashboard read it: a twelfth of
    the monthly rows. ``year`` is the first day of the year.
    """

    organization = models.ForeignKey(
        "parks.Organization", models.CASCADE, related_name="year_summaries", verbose_name=_("organisation")
    )
    year = models.DateField(_("year"), validators=PARTY_PLAN.validators())
    kind = models.CharField(_("activity kind"), max_length=30, choices=Kind.choices)
    held = models.PositiveIntegerField(_("activities held"), default=0)
    compliance_held = models.PositiveIntegerField(_("activities counted for compliance"), default=0)
    present = models.PositiveIntegerField(_("present (person-times)"), default=0)
    absent = models.PositiveIntegerField(_("absent"), default=0)
    leave = models.PositiveIntegerField(_("on leave"), default=0)
    volunteer_hours = models.DecimalField(_("volunteer hours"), max_digits=12, decimal_places=1, default=0)
    refreshed_at = models.DateTimeField(_("refreshed at"), auto_now=True, validators=SYSTEM_TIME.validators())

    class Meta:
        verbose_name = _("organisation year summary")
        verbose_name_plural = _("organisation year summaries")
        ordering = ["organization", "year", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "year", "kind"], name="organization_year_unique"),
            PARTY_PLAN.constraint("year"),
            SYSTEM_TIME.constraint("refreshed_at", datetime_field=True),
        ]
        indexes = [models.Index(fields=["year", "organization"])]

    def __str__(self):
        return f"{self.organization_id} {self.year:%Y} {self.kind}"
