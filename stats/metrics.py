"""The named metrics: every figure a dashboard, a report, a home card or the statistics API shows.

A metric is one definition: its ``key`` (also the address of its drill-down,
``/dashboard/<kind>/<id>/rows/<key>/``), its ``label``, its ``definition`` (what is counted),
its ``basis`` (stock as at the period's end, flow within the period, now, or over the compliance
year), where its value sits in ``statistics.figures()`` (``path``), and the rows it counts
(``build``: the drill-down; the count of those rows is the figure, or for a rate its numerator
and denominator). Pages show ``caption(metric, period)`` next to each figure and the definition
as its tooltip, so a reader knows which period and which basis a number is on.

Two figures that look alike but count different things are two metrics with two captions (the
dashboard's compliance over the year so far, a report's compliance over its own period). The
list, with each definition, is docs/statistics.md; a test keeps the two in step.
"""

import datetime
from dataclasses import dataclass, field

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import lazy
from django.utils.text import format_lazy
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from activities.models import Activity, Attendance
from core.periods import Period, day_start
from members.models import Member, Stage, Transfer
from members.selectors import transfer_due_on
from parks.models import Organization
from services.models import OPEN_STATUSES, ServiceRequest
from stats import alerts, statistics
from stats.alerts import scope_enterprises, scope_organizations, scope_requests

# The label of the count of everyone on the roll, applicants to full members: "Members" in English,
# 在册人员 in Chinese, where 党员 would say probationary and full members only.
ON_THE_ROLL = pgettext_lazy("figure: everyone on the roll, applicants to full members", "Members")

# --- bases ----------------------------------------------------------------------------------------

STOCK = "stock"  # the state on the reference day: the period's last day, or today while it runs
FLOW = "flow"  # what happened within the period
NOW = "now"  # the state today, whatever period the page shows
YEAR = "year"  # the compliance grid of the period's calendar year, up to the reference day

BASES = {
    STOCK: _("stock: as at the end of the period (today while it runs)"),
    FLOW: _("flow: counted within the period"),
    NOW: _("now: the state today, whatever the period"),
    YEAR: _("三会一课 grid of the year: rule periods ended, or running and already met"),
}


# --- the rows behind a figure (drill-down) ----------------------------------------------------------


def _period_bounds(period):
    return day_start(period.start), day_start(period.end)


def _members(user, scope, period, today):
    """As ``members.total``: active members with a stage as at the period's end (the statistics
    module's own expression of it, so that the rows are exactly those counted)."""
    return (
        Member.objects.visible_to(user)
        .filter(scope.organizations_q("organization__"), status=Member.Status.ACTIVE)
        .annotate(stage_at=statistics._stage_at(period.end))
        .exclude(stage_at=None)
    )


def _members_at_stage(stage):
    def build(user, scope, period, today):
        return _members(user, scope, period, today).filter(stage_at=stage)

    return build


def _members_new(user, scope, period, today):
    """As ``members.new``: made probationary within the period."""
    return Member.objects.visible_to(user).filter(
        scope.organizations_q("organization__"),
        probationary_on__gte=period.start,
        probationary_on__lt=period.end,
    )


def _party_members_now(user, scope, period, today):
    """Active probationary and full members today: of the organisation itself for an organisation
    (its party groups have their own line), of every organisation of a park or district."""
    where = Q(organization_id=scope.id) if scope.kind == "organization" else scope.organizations_q("organization__")
    return Member.objects.visible_to(user).filter(where, status=Member.Status.ACTIVE, stage__in=statistics.PARTY_STAGES)


def _members_now(user, scope, period, today):
    """Active members today at their current stage, applicants to full members: of the
    organisation itself for an organisation, of every organisation of a park or district."""
    where = Q(organization_id=scope.id) if scope.kind == "organization" else scope.organizations_q("organization__")
    return Member.objects.visible_to(user).filter(where, status=Member.Status.ACTIVE)


def _coverage(kind):
    """As ``enterprises``: present at the period's end; own / joint / uncovered as the figures."""

    def build(user, scope, period, today):
        enterprises = scope_enterprises(user, scope).filter(Q(entered_on__isnull=True) | Q(entered_on__lt=period.end))
        if kind is None:
            return enterprises
        through = Organization.enterprises.through.objects
        covered = through.values("enterprise_id")
        if kind == "uncovered":
            return enterprises.exclude(pk__in=covered)
        own = through.filter(organization_id__in=statistics._own_organization_ids()).values("enterprise_id")
        if kind == "own":
            return enterprises.filter(pk__in=own)
        return enterprises.filter(pk__in=covered).exclude(pk__in=own)

    return build


def _organizations(user, scope, period, today):
    """As ``organizations.total``: founded before the period ends (or undated)."""
    return scope_organizations(user, scope).filter(Q(founded_on__isnull=True) | Q(founded_on__lt=period.end))


def _branches(user, scope, period, today):
    return scope_organizations(user, scope).filter(kind__in=alerts.BRANCH_KINDS)


def _activities(user, scope, period, today):
    """As ``activities.total``: held activities hosted in the scope within the period."""
    start, end = _period_bounds(period)
    return (
        statistics.activities_in_scope(scope)
        .filter(pk__in=Activity.objects.visible_to(user).values("pk"))
        .filter(status=Activity.Status.HELD, starts_at__gte=start, starts_at__lt=end)
    )


def _attendances(user, scope, period, today):
    """As ``activities.attendance_person_times``: present at those held activities."""
    return Attendance.objects.filter(
        activity__in=_activities(user, scope, period, today).values("pk"), status=Attendance.Status.PRESENT
    )


def _requests(which):
    def build(user, scope, period, today):
        queryset = scope_requests(user, scope)
        start, end = _period_bounds(period)
        if which == "open":
            return queryset.filter(status__in=OPEN_STATUSES)
        if which == "overdue_now":
            return queryset.filter(status__in=OPEN_STATUSES, due_on__lt=today)
        if which == "overdue":  # as ``services.overdue``: overdue at the period's end
            if statistics.reference_day(period, today) == today:
                return queryset.filter(status__in=OPEN_STATUSES, due_on__lt=today)
            return queryset.filter(created_at__lt=end, due_on__lt=period.end).exclude(
                Q(resolved_at__lt=end) | Q(closed_at__lt=end) | Q(status=ServiceRequest.Status.REJECTED)
            )
        return queryset.filter(created_at__gte=start, created_at__lt=end)

    return build


def _transfers(which):
    def build(user, scope, period, today):
        queryset = alerts.scope_transfers(user, scope).filter(status__in=Transfer.OPEN_STATUSES)
        if which == "overdue":
            return [t for t in queryset.order_by("-requested_at", "-pk") if (d := transfer_due_on(t)) and d < today]
        return queryset

    return build


# --- the compliance grid --------------------------------------------------------------------------


def compliance_period(period, today=None) -> Period:
    """The period the dashboards' compliance is taken over: the calendar year of ``period`` (the
    current year for a period not yet begun). The 三会一课 rules run per month, quarter and year,
    so a month alone would leave out the quarterly and yearly rules, and the running month alone
    counts only the periods already met (a rate of 100 % that says nothing)."""
    today = today or timezone.localdate()
    return Period("year", datetime.date(min(period.start.year, today.year), 1, 1))


@dataclass(frozen=True)
class CellRow:
    """One counted cell of the compliance grid: a branch, a rule, one of the rule's periods."""

    organization: Organization
    rule: object
    period: Period
    count: int
    met: bool

    @property
    def pk(self):
        return f"{self.organization.pk}-{self.rule.pk}-{self.period.start:%Y%m%d}"


def compliance_cells(branches) -> list[CellRow]:
    """The counted cells (met, or elapsed and missing) of ``activities.selectors.compliance()``
    rows, branch by branch: the rows whose count is the compliance rate's denominator."""
    cells = []
    for branch in branches:
        for row in branch.rows:
            for cell in row.cells:
                if cell.state in ("held", "missing"):
                    cells.append(CellRow(branch.organization, row.rule, cell.period, cell.count, cell.state == "held"))
    return cells


def _compliance_rows(user, scope, period, today):
    """As ``compliance``: the counted cells of the scope's branches that the user may see, over
    the compliance year."""
    year = compliance_period(period, today).start.year
    visible = set(scope_organizations(user, scope).values_list("pk", flat=True))
    grid = [b for b in statistics.compliance_by_branch(scope, year=year, today=today) if b.organization.pk in visible]
    return compliance_cells(grid)


def compliance(scope, period, *, today=None, live=False) -> dict:
    """The dashboards' 三会一课 compliance of ``scope``: cells met ÷ cells counted over the
    compliance year of ``period`` (``statistics.compliance_cells``, the one evaluation of the
    grid). ``{"period", "met", "elapsed", "rate"}``; the rate is ``None`` with nothing counted."""
    today = today or timezone.localdate()
    over = compliance_period(period, today)
    met, elapsed = statistics.compliance_cells(scope, over, live=live, today=today)
    return {"period": over, "met": met, "elapsed": elapsed, "rate": statistics._rate(met, elapsed)}


# --- the registry ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Metric:
    key: str
    label: str
    definition: str
    basis: str
    kind: str = ""  # the kind of rows behind it: members, enterprises, … ("" for none)
    build: object = None  # (user, scope, period, today) -> queryset or list: the drill-down
    path: tuple = ()  # where its value is in statistics.figures()
    unit: str = ""  # "%" for a rate (shown × 100)
    drilldown: str = ""  # the metric whose rows a rate opens (its own key when it has rows)
    aliases: tuple = field(default=())

    @property
    def has_rows(self) -> bool:
        return self.build is not None

    @property
    def rows_key(self) -> str:
        return self.key if self.build is not None else self.drilldown

    def value(self, figures: dict):
        """The metric's value in a ``statistics.figures()`` dict (rates as percentages)."""
        value = figures
        for part in self.path:
            value = value[part]
        if self.unit == "%":
            return None if value is None else round(100 * value, 1)
        return value


M = Metric
STAGE_LABELS = dict(Stage.choices)

METRICS_LIST = [
    # organisations
    M(
        "organizations",
        _("Party organisations"),
        _("Party organisations of the scope (every kind) founded before the period's end, or undated."),
        STOCK,
        "organizations",
        _organizations,
        ("organizations", "total"),
    ),
    M(
        "organizations_by_kind",
        _("Party organisations by kind"),
        _("The party organisations above, per kind (committee, general branch, branch, joint branch, group)."),
        STOCK,
        path=("organizations", "by_kind"),
    ),
    M(
        "branches",
        _("Branches"),
        _("Branches, joint branches and general branches of the scope: those that keep a 三会一课 record."),
        NOW,
        "organizations",
        _branches,
    ),
    # enterprises
    M(
        "enterprises",
        _("Enterprises"),
        _("Enterprises of the scope that entered the park before the period's end (or undated)."),
        STOCK,
        "enterprises",
        _coverage(None),
        ("enterprises", "total"),
    ),
    M(
        "enterprises_with_members",
        _("Enterprises with party members"),
        _("Enterprises employing at least one active probationary or full member."),
        STOCK,
        path=("enterprises", "with_members"),
    ),
    M(
        "enterprises_own",
        _("Enterprises with their own organisation"),
        _("Enterprises covered by an organisation of single formation or one that covers it alone."),
        STOCK,
        "enterprises",
        _coverage("own"),
        ("enterprises", "own_organization"),
    ),
    M(
        "enterprises_joint",
        _("Enterprises covered by a joint organisation"),
        _("Enterprises covered only by organisations that also cover other enterprises."),
        STOCK,
        "enterprises",
        _coverage("joint"),
        ("enterprises", "joint_organization"),
    ),
    M(
        "enterprises_uncovered",
        _("Enterprises without a party organisation"),
        _("Enterprises covered by no party organisation at all (blank spots)."),
        STOCK,
        "enterprises",
        _coverage("uncovered"),
        ("enterprises", "uncovered"),
    ),
    M(
        "coverage_rate",
        _("Coverage of enterprises"),
        _("Enterprises covered by a party organisation ÷ enterprises; opens the uncovered ones."),
        STOCK,
        path=("enterprises", "coverage_rate"),
        unit="%",
        drilldown="enterprises_uncovered",
    ),
    # members
    M(
        "members",
        ON_THE_ROLL,
        _(
            "Active members of the scope's organisations (applicants to full members), at their stage as at "
            "the period's end; a member who had not applied by then is not counted."
        ),
        STOCK,
        "members",
        _members,
        ("members", "total"),
    ),
    *[
        M(
            f"members_{stage}",
            format_lazy("{}: {}", ON_THE_ROLL, label),
            format_lazy("{} {}", _("The members above whose stage at the period's end was:"), label),
            STOCK,
            "members",
            _members_at_stage(stage),
            ("members", "by_stage", stage),
        )
        for stage, label in Stage.choices
    ],
    M(
        "members_by_gender",
        _("Members by gender"),
        _("The members above, per gender."),
        STOCK,
        path=("members", "by_gender"),
    ),
    M(
        "members_by_age_band",
        _("Members by age band"),
        _("The members above, per age on the reference day."),
        STOCK,
        path=("members", "by_age_band"),
    ),
    M(
        "members_by_education",
        _("Members by education"),
        _("The members above, per education level (not recorded apart)."),
        STOCK,
        path=("members", "by_education"),
    ),
    M(
        "members_new",
        _("New members"),
        _("Members of the scope who became probationary members (发展党员) within the period."),
        FLOW,
        "members",
        _members_new,
        ("members", "new"),
    ),
    M(
        "transferred_in",
        _("Transferred in"),
        _("Organisation-relation transfers into the scope completed within the period."),
        FLOW,
        path=("members", "transferred_in"),
    ),
    M(
        "transferred_out",
        _("Transferred out"),
        _("Organisation-relation transfers out of the scope completed within the period."),
        FLOW,
        path=("members", "transferred_out"),
    ),
    M(
        "party_members",
        _("Party members"),
        _(
            "Active probationary and full members, today: of the organisation itself on an organisation's line "
            "(a party group has its own line), of every organisation in a park or district."
        ),
        NOW,
        "members",
        _party_members_now,
    ),
    M(
        "members_now",
        _("Members now"),
        _(
            "Active members today at their current stage, applicants, activists and candidates included: of the "
            "organisation itself on an organisation's line, of every organisation in a park or district."
        ),
        NOW,
        "members",
        _members_now,
    ),
    # activities
    M(
        "activities",
        _("Activities"),
        _("Held activities hosted by the scope's organisations that started within the period."),
        FLOW,
        "activities",
        _activities,
        ("activities", "total"),
    ),
    M(
        "activities_by_kind",
        _("Activities by kind"),
        _("The held activities above, per kind."),
        FLOW,
        path=("activities", "by_kind"),
    ),
    M(
        "attendance",
        _("Attendance (person-times)"),
        _("Attendance rows marked present at the held activities above."),
        FLOW,
        "attendances",
        _attendances,
        ("activities", "attendance_person_times"),
    ),
    M(
        "attendance_rate",
        _("Attendance rate"),
        _("Present ÷ (present + absent + on leave) at the held activities above."),
        FLOW,
        path=("activities", "attendance_rate"),
        unit="%",
    ),
    M(
        "volunteer_hours",
        _("Volunteer hours"),
        _("Volunteer hours recorded on the attendance at the held activities above."),
        FLOW,
        path=("activities", "volunteer_hours"),
    ),
    M(
        "compliance",
        _("三会一课 compliance"),
        _(
            "Of the scope's branches' rule periods (month, quarter or year of each active 三会一课 rule) in the "
            "calendar year that have ended, or are running and already met, the share that met the rule's minimum."
        ),
        YEAR,
        "cells",
        _compliance_rows,
        unit="%",
    ),
    M(
        "compliance_rate",
        _("三会一课 compliance rate"),
        _(
            "Of the scope's branches' rule periods lying inside the report's period that have ended, or are "
            "running and already met, the share that met the rule's minimum (a month takes the monthly rules only)."
        ),
        FLOW,
        path=("activities", "compliance_rate"),
        unit="%",
    ),
    # services
    M(
        "requests",
        _("Service requests received"),
        _("Service requests of the scope submitted within the period."),
        FLOW,
        "requests",
        _requests("received"),
        ("services", "received"),
    ),
    M(
        "requests_resolved",
        _("Service requests resolved"),
        _("Service requests of the scope resolved within the period."),
        FLOW,
        path=("services", "resolved"),
    ),
    M(
        "requests_overdue",
        _("Overdue requests"),
        _("Service requests past their due date and not yet resolved, closed or rejected at the period's end."),
        STOCK,
        "requests",
        _requests("overdue"),
        ("services", "overdue"),
    ),
    M(
        "median_days_to_resolve",
        _("Median days to resolve"),
        _("The median of (resolved − submitted) in days, over the requests resolved within the period."),
        FLOW,
        path=("services", "median_days_to_resolve"),
    ),
    M(
        "mean_satisfaction",
        _("Mean satisfaction (1–5)"),
        _("The mean rating of the requests closed within the period."),
        FLOW,
        path=("services", "mean_satisfaction"),
    ),
    M(
        "wishes_fulfilled",
        _("Micro-wishes fulfilled"),
        _("Micro-wishes of the scope fulfilled within the period."),
        FLOW,
        path=("services", "wishes_fulfilled"),
    ),
    M(
        "requests_open",
        _("Open requests"),
        _("Service requests of the scope not yet resolved, closed or rejected, today."),
        NOW,
        "requests",
        _requests("open"),
    ),
    M(
        "requests_overdue_now",
        _("Overdue requests now"),
        _("Open service requests of the scope whose due date has passed, today."),
        NOW,
        "requests",
        _requests("overdue_now"),
    ),
    M(
        "transfers_open",
        _("Open transfers"),
        _("Organisation-relation transfers into or out of the scope still in flight, today."),
        NOW,
        "transfers",
        _transfers("open"),
    ),
    M(
        "transfers_overdue",
        _("Overdue transfers"),
        _("Transfers in flight past their due date (a step not taken in time, or the letter run out), today."),
        NOW,
        "transfers",
        _transfers("overdue"),
    ),
]

METRICS = {metric.key: metric for metric in METRICS_LIST}
BY_PATH = {metric.path: metric for metric in METRICS_LIST if metric.path}


def get(key: str) -> Metric:
    return METRICS[key]


def for_path(*path) -> Metric | None:
    """The metric whose value sits at ``path`` in ``statistics.figures()`` (a breakdown's line is
    its breakdown's metric: ``("members", "by_stage", "full")`` → ``members_full``)."""
    while path:
        if path in BY_PATH:
            return BY_PATH[path]
        path = path[:-1]
    return None


# --- captions: the period and basis shown next to a figure ----------------------------------------


def _day(value) -> str:
    return date_format(value, "Y-m-d")


def _caption(metric, period, today):
    today = today or timezone.localdate()
    if metric.basis == NOW:
        return gettext("Now (%(day)s)") % {"day": _day(today)}
    if metric.basis == YEAR:
        over = compliance_period(period, today)
        day = statistics.reference_day(over, today)
        return gettext("%(year)s to %(day)s · rule periods ended or met") % {"year": over.label, "day": _day(day)}
    if metric.basis == STOCK:
        return gettext("As at %(day)s") % {"day": _day(statistics.reference_day(period, today))}
    last = statistics.reference_day(period, today)
    if last < period.last_day:
        return gettext("%(start)s to %(day)s (period running)") % {"start": _day(period.start), "day": _day(last)}
    return gettext("%(start)s to %(end)s") % {"start": _day(period.start), "end": _day(period.last_day)}


caption = lazy(_caption, str)
caption.__doc__ = """The period and basis of ``metric`` on a page of ``period``, e.g. "As at
2026-11-30", "2026-11-01 to 2026-11-30", "Now (2026-11-30)", "2026 to 2026-11-30 · rule periods
ended or met"; translated when rendered."""


def tile(metric_key: str, value, period, *, today=None, detail: str = "", stat: str = "") -> dict:
    """A figure as the dashboards show it: label, value, unit, caption (period and basis),
    definition (tooltip) and the drill-down it opens."""
    metric = METRICS[metric_key]
    return {
        "key": stat or metric.key,
        "metric": metric.key,
        "label": metric.label,
        "value": value,
        "unit": metric.unit,
        "figure": metric.rows_key,
        "caption": caption(metric, period, today),
        "definition": format_lazy("{} ({})", metric.definition, BASES[metric.basis]),
        "detail": detail,
    }


# --- the same figures for each park of a district (the dashboard's parks table, the home card) ----

# What a kind of rows is grouped by to give each park its figure.
PARK_OF = {
    "members": "organization__park",
    "enterprises": "park",
    "organizations": "park",
    "activities": "host__park",
    "attendances": "activity__host__park",
    "requests": "park",
}


# The kinds of rows whose count per park is kept per version of the tables the count reads (the
# members' scans every member of the district: 40–80 ms at 100 000); the others read an index or a
# small table.
PER_PARK_VERSIONED = {"members": (Member, Organization)}


def per_park(user, scope, period, keys, *, today=None) -> dict:
    """``{park_id: {key: n}}``: the rows of each metric in ``keys`` for ``scope``, counted per park,
    one query per metric. A park's figure is therefore the count of the district's rows that lie
    in that park, which is the park's own figure (its drill-down lists the same rows).

    The counts of the kinds in ``PER_PARK_VERSIONED`` are cached under their query (its SQL and
    parameters: the user's scope, the scope, the period) and the ``statistics.data_version`` of the
    tables it reads, so any change to them is seen by the next view."""
    today = today or timezone.localdate()
    versioned = sorted(
        {model for key in keys for model in PER_PARK_VERSIONED.get(METRICS[key].kind, ())}, key=lambda m: m._meta.label
    )
    versions = dict(zip(versioned, statistics.data_version(*versioned), strict=True)) if versioned else {}
    result = {}
    for key in keys:
        metric = METRICS[key]
        rows = metric.build(user, scope, period, today)
        grouped = rows.order_by().values_list(PARK_OF[metric.kind]).annotate(n=Count("pk", distinct=True))
        if metric.kind in PER_PARK_VERSIONED:
            grouped = statistics.cached_by_version(
                ("per-park", statistics.query_key(grouped)),
                lambda grouped=grouped: list(grouped),
                version=tuple(versions[model] for model in PER_PARK_VERSIONED[metric.kind]),
            )
        for park_id, n in grouped:
            result.setdefault(park_id, {})[key] = n
    return result


def current(user, scope, *, today=None) -> dict:
    """The home cards' figures of ``scope``: the metrics ``enterprises``, ``organizations`` and
    ``members`` (by stage) of the current month, counted over their drill-down rows, so that a
    card shows what the dashboard shows today. Three queries."""
    today = today or timezone.localdate()
    period = Period.current("month", today=today)
    by_stage = dict(_members(user, scope, period, today).order_by().values_list("stage_at").annotate(n=Count("pk")))
    return {
        "period": period,
        "enterprises": _coverage(None)(user, scope, period, today).count(),
        "organizations": _organizations(user, scope, period, today).count(),
        "by_stage": by_stage,
        "members": sum(by_stage.values()),
    }
