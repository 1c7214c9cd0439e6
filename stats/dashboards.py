"""Selectors of the district, park and branch dashboards: the context a dashboard page renders.

Every figure comes from ``portal.statistics`` (the one definition of each figure, DESIGN §7),
reached through ``stats.statistics`` only; this module arranges figures for the page (headline tiles,
chart data, the parks or branches of the scope) and lists the rows behind a figure (drill-down).
The number of queries is fixed whatever the number of members, branches or parks.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from activities.models import Activity
from activities.rules import NOT_APPLICABLE
from core.periods import day_start
from core.scope import scope_for
from members.models import Member, Stage, Transfer
from members.selectors import transfer_due_on
from parks.models import District, Organization, Park
from services.models import OPEN_STATUSES, ServiceRequest
from stats import alerts, statistics
from stats.alerts import organization_url, scope_enterprises, scope_organizations, scope_parks, scope_requests
from stats.selectors import park_summaries

SCOPE_KINDS = ("district", "park", "organization")
PERIOD_KINDS = (("month", _("Month")), ("quarter", _("Quarter")), ("year", _("Year")))
HEATMAP_BRANCHES = 40  # the weakest branches shown on the heatmap; the full table is one click away
TREND_MONTHS = 12
YEARS = (2000, 2100)  # the periods a dashboard or the API accepts


# --- scope and period from the URL ----------------------------------------------------------------


SCOPE_MODELS = {"district": District, "park": Park, "organization": Organization}


def resolve_scope(user, kind: str, pk: int):
    """The StatScope for ``kind``/``pk`` if it exists and the user may see its figures, else None."""
    model = SCOPE_MODELS.get(kind)
    if model is None:
        return None
    obj = model.objects.visible_to(user).filter(pk=pk).first()
    if obj is None:
        return None
    scope = statistics.StatScope.of(obj)
    return scope if scope.visible_to(user) else None


def parse_period(value: str | None, *, today=None):
    """The period named by ``?period=`` ('2026-04', '2026-Q2', '2026'); the current month when
    empty. Raises ValueError for anything else."""
    Period = statistics.Period
    if not value:
        return Period.current("month", today=today)
    period = Period.parse(value.strip())
    if not YEARS[0] <= period.start.year <= YEARS[1]:
        raise ValueError(f"year out of range: {value!r}")  # year 1 or 9999 would overflow the dates
    return period


def own_dashboard_url(user) -> str | None:
    """Where /dashboard/ sends a user: their district, else their park, else their organisation."""
    scope = scope_for(user)
    for kind, ids in (("district", scope.district_ids), ("park", scope.park_ids), ("organization", scope.org_ids)):
        if ids:
            model = SCOPE_MODELS[kind]
            first = (
                model.objects.visible_to(user).filter(pk__in=ids).order_by("pk").values_list("pk", flat=True).first()
            )
            if first is not None:
                return reverse("dashboard", args=[kind, first])
    if scope.superuser:
        first = District.objects.order_by("code").values_list("pk", flat=True).first()
        if first is not None:
            return reverse("dashboard", args=["district", first])
    return None


def may_use_dashboards(user) -> bool:
    scope = scope_for(user)
    return scope.superuser or scope.is_official or scope.is_park_admin or scope.is_secretary


def period_navigation(period, *, today=None) -> dict:
    Period = statistics.Period
    today = today or timezone.localdate()
    following = Period.containing(period.kind, period.end)
    return {
        "previous": period.previous().label,
        "next": following.label if following.start <= today else None,
        "kinds": [
            {
                "kind": kind,
                "label": label,
                "period": Period.containing(kind, min(period.start, today)).label,
                "active": kind == period.kind,
            }
            for kind, label in PERIOD_KINDS
        ],
        "current": Period.current(period.kind, today=today).label,
    }


# --- the dashboard --------------------------------------------------------------------------------


def _rate(value):
    return None if value is None else round(100 * value, 1)


def headline(figures: dict) -> list[dict]:
    """The tiles at the top of the dashboard; ``figure`` names the drill-down behind each."""
    m, e, a, s, o = (figures[k] for k in ("members", "enterprises", "activities", "services", "organizations"))
    return [
        {"key": "members", "label": _("Members"), "value": m["total"], "figure": "members"},
        {"key": "new_members", "label": _("New members"), "value": m["new"], "figure": "members_new"},
        {"key": "organizations", "label": _("Party organisations"), "value": o["total"], "figure": "organizations"},
        {"key": "enterprises", "label": _("Enterprises"), "value": e["total"], "figure": "enterprises"},
        {
            "key": "coverage_rate",
            "label": _("Coverage of enterprises"),
            "value": _rate(e["coverage_rate"]),
            "unit": "%",
            "figure": "enterprises_uncovered",
        },
        {"key": "activities", "label": _("Activities"), "value": a["total"], "figure": "activities"},
        {
            "key": "attendance",
            "label": _("Attendance (person-times)"),
            "value": a["attendance_person_times"],
            "figure": "activities",
        },
        {
            "key": "compliance_rate",
            "label": _("三会一课 compliance"),
            "value": _rate(a["compliance_rate"]),
            "unit": "%",
            "figure": "branches",
        },
        {"key": "requests", "label": _("Service requests received"), "value": s["received"], "figure": "requests"},
        {
            "key": "requests_overdue",
            "label": _("Overdue requests"),
            "value": s["overdue"],
            "figure": "requests_overdue",
        },
    ]


def in_flight(user, scope, *, today) -> dict:
    """Transfers and service requests still open, and how many of them are overdue (now)."""

    open_transfers = list(
        alerts.scope_transfers(user, scope)
        .filter(status__in=Transfer.OPEN_STATUSES)
        .select_related(None)
        .only("status", "requested_at", "letter_valid_until")
    )
    transfers_overdue = sum(1 for t in open_transfers if (d := transfer_due_on(t)) is not None and d < today)
    requests = scope_requests(user, scope).aggregate(
        open=Count("pk", filter=Q(status__in=OPEN_STATUSES)),
        overdue=Count("pk", filter=Q(status__in=OPEN_STATUSES, due_on__lt=today)),
    )
    return {
        "transfers_open": len(open_transfers),
        "transfers_overdue": transfers_overdue,
        "requests_open": requests["open"],
        "requests_overdue": requests["overdue"],
    }


@dataclass
class BranchScore:
    """One branch's compliance, counted once: (met, elapsed) per rule and in all."""

    organization: Organization
    rules: list  # [(rule, met, elapsed, applicable)]: applicable is False where the rule never binds it
    met: int
    elapsed: int

    @property
    def rate(self):
        return None if not self.elapsed else self.met / self.elapsed


def scores(compliance_rows) -> list[BranchScore]:
    """The compliance rows' counts in one pass over their cells (their properties recount the
    cells at every call, which costs seconds over 2 000 branches)."""
    result = []
    for branch in compliance_rows:
        rules, met, elapsed = [], 0, 0
        for row in branch.rows:
            row_met = row_elapsed = 0
            applicable = False
            for cell in row.cells:
                if cell.state == "held":
                    row_met += 1
                    row_elapsed += 1
                elif cell.state == "missing":
                    row_elapsed += 1
                if cell.state != NOT_APPLICABLE:
                    applicable = True
            rules.append((row.rule, row_met, row_elapsed, applicable))
            met += row_met
            elapsed += row_elapsed
        result.append(BranchScore(branch.organization, rules, met, elapsed))
    return result


def heatmap(user, rows: list[BranchScore], *, limit=HEATMAP_BRANCHES) -> dict:
    """ECharts heatmap data: one line per branch (weakest first), one column per 三会一课 rule,
    the value the share of elapsed periods that met the rule (null when none elapsed); a rule that
    binds the branch in no period of the year (no committee, no party groups) is marked "na"."""
    rows = sorted(rows, key=lambda b: (b.rate if b.rate is not None else 2, b.organization.name))
    shown = rows[:limit]
    rules = [rule for rule, _met, _elapsed, _applicable in shown[0].rules] if shown else []
    data = []
    for y, branch in enumerate(shown):
        for x, (_rule, met, elapsed, applicable) in enumerate(branch.rules):
            if not applicable:
                data.append([x, y, None, NOT_APPLICABLE])
                continue
            data.append([x, y, None if not elapsed else round(100 * met / elapsed)])
        data.append([len(rules), y, None if branch.rate is None else round(100 * branch.rate)])
    return {
        "x": [str(rule.get_kind_display()) for rule in rules] + [str(_("All"))],
        "y": [branch.organization.name for branch in shown],
        "urls": [organization_url(user, branch.organization) for branch in shown],
        "data": data,
        "total": len(rows),
        "shown": len(shown),
    }


def _choice_labels(codes: dict, choices) -> list[dict]:
    labels = dict(choices)
    return [{"code": code, "label": str(labels.get(code, code)), "value": value} for code, value in codes.items()]


def charts(figures: dict, trend: list[dict]) -> dict:
    """Everything the page's ECharts need, passed to the page with json_script."""
    e = figures["enterprises"]
    return {
        "trend": {
            "months": [row["month"] for row in trend],
            "series": [
                {"name": str(_("New members")), "data": [row["new_members"] for row in trend]},
                {"name": str(_("Activities")), "data": [row["activities"] for row in trend]},
                {
                    "name": str(_("Attendance (person-times)")),
                    "data": [row["attendance_person_times"] for row in trend],
                },
            ],
        },
        "coverage": [
            {"name": str(_("Own organisation")), "value": e["own_organization"], "figure": "enterprises_own"},
            {"name": str(_("Joint organisation")), "value": e["joint_organization"], "figure": "enterprises_joint"},
            {"name": str(_("No organisation")), "value": e["uncovered"], "figure": "enterprises_uncovered"},
        ],
        "stages": [
            {**row, "figure": f"members_{row['code']}"}
            for row in _choice_labels(figures["members"]["by_stage"], Stage.choices)
        ],
        "labels": {"no_enterprises": str(_("No enterprises"))},
    }


@dataclass
class ChildRow:
    """A park of a district, or a branch of a park, with its key figures."""

    name: str
    url: str
    figures: dict


def district_children(user, scope, compliance_rows) -> list[ChildRow]:
    parks = park_summaries(user, scope_parks(user, scope).values_list("pk", flat=True))
    met, elapsed = defaultdict(int), defaultdict(int)
    for branch in compliance_rows:
        met[branch.organization.park_id] += branch.met
        elapsed[branch.organization.park_id] += branch.elapsed
    requests = {
        row["park"]: row
        for row in scope_requests(user, scope)
        .order_by()
        .values("park")
        .annotate(
            open=Count("pk", filter=Q(status__in=OPEN_STATUSES)),
            overdue=Count("pk", filter=Q(status__in=OPEN_STATUSES, due_on__lt=timezone.localdate())),
        )
    }
    rows = []
    for summary in parks:
        park = summary["park"]
        req = requests.get(park.pk, {})
        rows.append(
            ChildRow(
                park.name,
                reverse("dashboard", args=["park", park.pk]),
                {
                    "enterprises": summary["enterprises"],
                    "organizations": summary["organizations"],
                    "members": summary["members"],
                    "compliance": _rate(met[park.pk] / elapsed[park.pk]) if elapsed[park.pk] else None,
                    "requests_open": req.get("open", 0),
                    "requests_overdue": req.get("overdue", 0),
                },
            )
        )
    return rows


def branch_children(user, scope, compliance_rows, *, today) -> list[ChildRow]:
    rates = {branch.organization.pk: branch.rate for branch in compliance_rows}
    party = Q(members__status=Member.Status.ACTIVE, members__stage__in=(Stage.PROBATIONARY, Stage.FULL))
    branches = (
        scope_organizations(user, scope)
        .select_related("secretary", "park")
        .annotate(party_members=Count("members", filter=party))
        .order_by("name", "pk")
    )
    if scope.kind != "organization":
        # A park lists its branches; an organisation lists itself and all its units.
        branches = branches.filter(kind__in=alerts.BRANCH_KINDS)
    rows = []
    for org in branches:
        rows.append(
            ChildRow(
                org.name,
                organization_url(user, org),
                {
                    "kind": org.get_kind_display(),
                    "members": org.party_members,
                    "secretary": org.secretary.name if org.secretary else None,
                    "term": org.term_status(today),
                    "term_end": org.term_end,
                    "compliance": _rate(rates.get(org.pk)),
                },
            )
        )
    return rows


def breadcrumbs(user, scope) -> list[dict]:
    """The dashboards above this one that the user may open: a park's district, an organisation's
    park and district (two queries at most)."""
    StatScope = statistics.StatScope
    if scope.kind == "district":
        return []
    if scope.kind == "park":
        row = Park.objects.filter(pk=scope.id).values("district_id", "district__name").first()
        above = [("district", row["district_id"], row["district__name"])] if row else []
    else:
        row = (
            Organization.objects.filter(pk=scope.id)
            .values("district_id", "district__name", "park_id", "park__name")
            .first()
        )
        above = []
        if row:
            above.append(("district", row["district_id"], row["district__name"]))
            if row["park_id"]:
                above.append(("park", row["park_id"], row["park__name"]))
    return [
        {"name": name, "url": reverse("dashboard", args=[kind, pk])}
        for kind, pk, name in above
        if StatScope(kind, pk).visible_to(user)
    ]


def compliance_year(period, today) -> int:
    return min(period.start.year, today.year)


def dashboard(user, scope, period, *, today=None) -> dict:
    """The context of a dashboard page. The compliance section (heatmap and the parks or branches)
    and the alerts are loaded by requests of their own after the page: over 2 000 branches they
    take seconds, the page itself a fraction of one."""
    today = today or timezone.localdate()
    st = statistics
    figures = st.figures(scope, period)
    last_day = min(period.end - datetime.timedelta(days=1), today)
    trend = st.monthly_trend(scope, months=TREND_MONTHS, until=last_day)
    return {
        "scope": scope,
        "scope_name": figures["scope"]["name"],
        "period": period,
        "figures": figures,
        "headline": headline(figures),
        "in_flight": in_flight(user, scope, today=today),
        "charts": charts(figures, trend),
        "navigation": period_navigation(period, today=today),
        "breadcrumbs": breadcrumbs(user, scope),
        "compliance_year": compliance_year(period, today),
    }


def compliance_section(user, scope, period, *, today=None) -> dict:
    """The 三会一课 heatmap of the period's year and the scope's parks (district) or branches."""
    today = today or timezone.localdate()
    year = compliance_year(period, today)
    compliance_rows = scores(statistics.compliance_by_branch(scope, year=year, today=today))
    if scope.kind == "district":
        children, children_kind = district_children(user, scope, compliance_rows), "parks"
    else:
        children = branch_children(user, scope, compliance_rows, today=today)
        children_kind = "branches" if scope.kind == "park" else "units"
    return {
        "scope": scope,
        "period": period,
        "heatmap": heatmap(user, compliance_rows),
        "heatmap_labels": {
            "compliance": str(_("Compliance (%)")),
            "no_data": str(_("No period elapsed")),
            "not_applicable": str(_("Not applicable: the rule does not bind this branch")),
            "na": str(_("n/a")),
        },
        "children": children,
        "children_kind": children_kind,
        "compliance_year": year,
    }


# --- drill-down: the rows behind a figure ---------------------------------------------------------


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


@dataclass(frozen=True)
class Figure:
    label: str
    kind: str  # members / enterprises / organizations / activities / requests / transfers
    build: object


FIGURES = {
    "members": Figure(_("Members"), "members", _members),
    **{
        f"members_{stage}": Figure(format_lazy("{}: {}", _("Members"), label), "members", _members_at_stage(stage))
        for stage, label in Stage.choices
    },
    "members_new": Figure(_("New members (became probationary in the period)"), "members", _members_new),
    "enterprises": Figure(_("Enterprises"), "enterprises", _coverage(None)),
    "enterprises_own": Figure(_("Enterprises with their own organisation"), "enterprises", _coverage("own")),
    "enterprises_joint": Figure(_("Enterprises covered by a joint organisation"), "enterprises", _coverage("joint")),
    "enterprises_uncovered": Figure(
        _("Enterprises without a party organisation"), "enterprises", _coverage("uncovered")
    ),
    "organizations": Figure(_("Party organisations"), "organizations", _organizations),
    "branches": Figure(_("Branches"), "organizations", _branches),
    "activities": Figure(_("Activities held"), "activities", _activities),
    "requests": Figure(_("Service requests received"), "requests", _requests("received")),
    "requests_open": Figure(_("Open service requests"), "requests", _requests("open")),
    "requests_overdue": Figure(_("Overdue service requests"), "requests", _requests("overdue")),
    "requests_overdue_now": Figure(_("Service requests overdue now"), "requests", _requests("overdue_now")),
    "transfers_open": Figure(_("Transfers in flight"), "transfers", _transfers("open")),
    "transfers_overdue": Figure(_("Overdue transfers"), "transfers", _transfers("overdue")),
}

ORDERING = {
    "members": ("name", "pk"),
    "enterprises": ("name", "pk"),
    "organizations": ("name", "pk"),
    "activities": ("-starts_at", "-pk"),
    "requests": ("due_on", "pk"),
    "transfers": ("-requested_at", "-pk"),
}
RELATED = {
    "members": ("organization", "organization__park", "employer"),
    "enterprises": ("park",),
    "organizations": ("park", "parent", "secretary"),
    "activities": ("host",),
    "requests": ("park", "enterprise", "category"),
    "transfers": (),  # transfer_queryset() has its joins already
}


def drilldown(user, scope, period, figure: str, *, today=None):
    """(Figure, rows) for one figure of the dashboard: the rows behind it, in the user's scope.

    ``rows`` is a queryset with its joins (or a list for rules computed in Python), ready to be
    paginated. Raises KeyError for an unknown figure. ``alert-<code>`` lists one kind of alert.
    """
    today = today or timezone.localdate()
    if figure.startswith("alert-"):
        code = figure.removeprefix("alert-")
        if code not in alerts.KINDS:
            raise KeyError(figure)
        return Figure(alerts.KINDS[code][0], "alerts", None), alerts.alerts_of_kind(user, scope, code, today=today)
    spec = FIGURES[figure]
    rows = spec.build(user, scope, period, today)
    if not isinstance(rows, list):
        if RELATED[spec.kind]:
            rows = rows.select_related(*RELATED[spec.kind])
        rows = rows.order_by(*ORDERING[spec.kind])
    return spec, rows
