"""Selectors of the district, park and branch dashboards: the context a dashboard page renders.

Every figure shown is a named metric of ``stats.metrics`` (its definition, period and basis, and
its drill-down), computed by ``stats.statistics`` (DESIGN §7); this module arranges the figures for
the page (headline tiles with their captions, chart data, the parks or branches of the scope) and
lists the rows behind a figure (drill-down).
The number of queries is fixed whatever the number of members, branches or parks.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from activities.rules import NOT_APPLICABLE
from core.scope import scope_for
from members.models import Member, Stage, Transfer
from members.selectors import transfer_due_on
from parks.models import District, Organization, Park
from services.models import OPEN_STATUSES
from stats import alerts, metrics, statistics
from stats.alerts import organization_url, scope_organizations, scope_parks, scope_requests

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


def headline(figures: dict, compliance: dict, period, *, today=None) -> list[dict]:
    """The tiles at the top of the dashboard, each one named metric (``stats.metrics``) with its
    caption (period and basis) and the drill-down behind it. ``compliance`` is
    ``metrics.compliance()``: the grid of the period's year, the same the heatmap and the parks or
    branches below show."""

    def tile(key, stat="", **extra):
        return metrics.tile(key, metrics.get(key).value(figures), period, today=today, stat=stat, **extra)

    rate = compliance["rate"]
    return [
        tile("members"),
        tile("members_new", stat="new_members"),
        tile("organizations"),
        tile("enterprises"),
        tile("coverage_rate"),
        tile("activities"),
        tile("attendance"),
        metrics.tile(
            "compliance",
            None if rate is None else round(100 * rate, 1),
            period,
            today=today,
            stat="compliance_rate",
            detail=format_lazy(
                _("{met} of {elapsed} rule periods met"), met=compliance["met"], elapsed=compliance["elapsed"]
            ),
        ),
        tile("requests"),
        tile("requests_overdue"),
    ]


# The "in flight now" tiles: (metric, key of in_flight()).
IN_FLIGHT_METRICS = (
    ("transfers_open", "transfers_open"),
    ("transfers_overdue", "transfers_overdue"),
    ("requests_open", "requests_open"),
    ("requests_overdue_now", "requests_overdue"),
)


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
    """One branch's compliance over the year: (met, elapsed, applicable) per rule and in all."""

    organization_id: int
    name: str
    park_id: int | None
    rule_list: list  # the rules, shared by every branch
    counts: tuple  # ((met, elapsed, applicable), …) one per rule; applicable is False where it never binds
    met: int
    elapsed: int

    @property
    def rules(self) -> list:
        """[(rule, met, elapsed, applicable)]"""
        return [(rule, *counts) for rule, counts in zip(self.rule_list, self.counts, strict=True)]

    @property
    def rate(self):
        return None if not self.elapsed else self.met / self.elapsed


def scores(scope, *, year: int, today) -> list[BranchScore]:
    """The scope's branches (by park and code) with their compliance counts of ``year``
    (``statistics.compliance_counts``: a fixed number of grouped queries, no cell built)."""
    rules, branches = statistics.compliance_counts(scope, year=year, today=today)
    return [
        BranchScore(
            branch.organization_id,
            branch.name,
            branch.park_id,
            rules,
            branch.counts,
            sum(counts[0] for counts in branch.counts),
            sum(counts[1] for counts in branch.counts),
        )
        for branch in branches
    ]


def heatmap(user, rows: list[BranchScore], *, limit=HEATMAP_BRANCHES) -> dict:
    """ECharts heatmap data: one line per branch (weakest first), one column per 三会一课 rule,
    the value the share of elapsed periods that met the rule (null when none elapsed); a rule that
    binds the branch in no period of the year (no committee, no party groups) is marked "na"."""
    rows = sorted(rows, key=lambda b: (b.rate if b.rate is not None else 2, b.name))
    shown = rows[:limit]
    organizations = Organization.objects.select_related("park", "district").in_bulk(
        [branch.organization_id for branch in shown]
    )
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
        "y": [branch.name for branch in shown],
        "urls": [organization_url(user, organizations[branch.organization_id]) for branch in shown],
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
    links: dict = field(default_factory=dict)  # metric key → the URL of its rows


PARK_COLUMNS = ("enterprises", "organizations", "members", "compliance", "requests_open", "requests_overdue_now")


def children_columns(kind, period, *, today=None) -> list[dict]:
    """The head of the parks or branches table: each column a metric with its caption."""
    keys = PARK_COLUMNS if kind == "parks" else ("party_members", "compliance")
    return [metrics.tile(key, None, period, today=today) for key in keys]


def _rows_url(kind, pk, key, period):
    return reverse("dashboard_rows", args=[kind, pk, key]) + f"?period={period.label}"


def district_children(user, scope, compliance_rows, period, *, today=None) -> list[ChildRow]:
    """The district's parks, each figure the metric of the dashboard's period counted over the
    district's own rows that lie in the park, which is the park's dashboard figure; compliance
    sums the park's branches' cells of the compliance year. Each figure links to the park's rows."""
    today = today or timezone.localdate()
    parks = list(scope_parks(user, scope).order_by("name", "pk").only("pk", "name"))
    counted = metrics.per_park(user, scope, period, [k for k in PARK_COLUMNS if k != "compliance"], today=today)
    met, elapsed = defaultdict(int), defaultdict(int)
    for branch in compliance_rows:
        met[branch.park_id] += branch.met
        elapsed[branch.park_id] += branch.elapsed
    rows = []
    for park in parks:
        figures = {key: counted.get(park.pk, {}).get(key, 0) for key in PARK_COLUMNS if key != "compliance"}
        figures["compliance"] = _rate(met[park.pk] / elapsed[park.pk]) if elapsed[park.pk] else None
        figures["compliance_detail"] = (met[park.pk], elapsed[park.pk])
        row = ChildRow(park.name, reverse("dashboard", args=["park", park.pk]), figures)
        row.links = {key: _rows_url("park", park.pk, key, period) for key in PARK_COLUMNS}
        rows.append(row)
    return rows


def branch_children(user, scope, compliance_rows, period, *, today) -> list[ChildRow]:
    """The park's branches, or the organisation and its units: party members today (of the
    organisation itself) and compliance over the compliance year; each links to its rows."""
    rates = {branch.organization_id: branch.rate for branch in compliance_rows}
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
                {
                    "party_members": _rows_url("organization", org.pk, "party_members", period),
                    "compliance": _rows_url("organization", org.pk, "compliance", period),
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
    return metrics.compliance_period(period, today).start.year


def dashboard(user, scope, period, *, today=None) -> dict:
    """The context of a dashboard page. The compliance section (heatmap and the parks or branches)
    and the alerts are loaded by requests of their own after the page: over 2 000 branches they
    take seconds, the page itself a fraction of one."""
    today = today or timezone.localdate()
    st = statistics
    figures = st.figures(scope, period, compliance=False)  # shown over the year: ``compliance``
    flight = in_flight(user, scope, today=today)
    compliance = metrics.compliance(scope, period, today=today)
    last_day = min(period.end - datetime.timedelta(days=1), today)
    trend = st.monthly_trend(scope, months=TREND_MONTHS, until=last_day)
    return {
        "scope": scope,
        "scope_name": figures["scope"]["name"],
        "period": period,
        "figures": figures,
        "headline": headline(figures, compliance, period, today=today),
        "in_flight": flight,
        "in_flight_tiles": [metrics.tile(key, flight[value], period, today=today) for key, value in IN_FLIGHT_METRICS],
        "charts": charts(figures, trend),
        "navigation": period_navigation(period, today=today),
        "breadcrumbs": breadcrumbs(user, scope),
        "compliance_year": compliance_year(period, today),
    }


def compliance_section(user, scope, period, *, today=None) -> dict:
    """The 三会一课 heatmap of the period's year and the scope's parks (district) or branches."""
    today = today or timezone.localdate()
    year = compliance_year(period, today)
    compliance_rows = scores(scope, year=year, today=today)
    if scope.kind == "district":
        children, children_kind = district_children(user, scope, compliance_rows, period, today=today), "parks"
    else:
        children = branch_children(user, scope, compliance_rows, period, today=today)
        children_kind = "branches" if scope.kind == "park" else "units"
    return {
        "columns": children_columns(children_kind, period, today=today),
        "compliance_caption": metrics.caption(metrics.get("compliance"), period, today),
        "compliance_definition": metrics.get("compliance").definition,
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


@dataclass(frozen=True)
class Figure:
    """A drill-down that is no metric of its own (one kind of alert)."""

    label: str
    kind: str
    build: object = None
    definition: str = ""
    basis: str = metrics.NOW


# Every metric with rows of its own, by the key of its drill-down (stats.metrics is the registry).
FIGURES = {key: metric for key, metric in metrics.METRICS.items() if metric.has_rows}

ORDERING = {
    "members": ("name", "pk"),
    "enterprises": ("name", "pk"),
    "organizations": ("name", "pk"),
    "activities": ("-starts_at", "-pk"),
    "requests": ("due_on", "pk"),
    "transfers": ("-requested_at", "-pk"),
    "attendances": ("-activity__starts_at", "member__name", "pk"),
}
RELATED = {
    "members": ("organization", "organization__park", "employer"),
    "enterprises": ("park",),
    "organizations": ("park", "parent", "secretary"),
    "activities": ("host",),
    "requests": ("park", "enterprise", "category"),
    "transfers": (),  # transfer_queryset() has its joins already
    "attendances": ("member", "activity", "activity__host"),
}


def drilldown(user, scope, period, figure: str, *, today=None, first_page: int | None = None):
    """(Figure, rows) for one figure of the dashboard: the rows behind it, in the user's scope.

    ``rows`` is a queryset with its joins (or a list for rules computed in Python), ready to be
    paginated. Raises KeyError for an unknown figure. ``alert-<code>`` lists one kind of alert.
    ``first_page``: the page size, when the first page is the one to be shown.
    """
    today = today or timezone.localdate()
    if figure.startswith("alert-"):
        code = figure.removeprefix("alert-")
        if code not in alerts.KINDS:
            raise KeyError(figure)
        rows = alerts.alerts_of_kind(user, scope, code, today=today, first_page=first_page)
        return Figure(alerts.KINDS[code][0], "alerts", None), rows
    spec = FIGURES[figure]
    rows = spec.build(user, scope, period, today)
    if not isinstance(rows, list):
        if RELATED[spec.kind]:
            rows = rows.select_related(*RELATED[spec.kind])
        rows = rows.order_by(*ORDERING[spec.kind])
    return spec, rows


def rows_summary(spec, rows, period, *, today=None) -> dict:
    """What the drill-down page says above its rows: the figure's caption (period and basis), its
    definition, and for the compliance cells how many of the rows were met and the rate they give
    (which is the compliance figure)."""
    summary = {
        "caption": metrics.caption(spec, period, today) if isinstance(spec, metrics.Metric) else "",
        "definition": spec.definition,
    }
    if spec.kind == "cells":
        met = sum(1 for cell in rows if cell.met)
        summary.update(met=met, counted=len(rows), rate=_rate(met / len(rows)) if rows else None)
    return summary
