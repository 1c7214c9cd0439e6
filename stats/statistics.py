"""The one definition of every statistical figure (DESIGN §7), for dashboards, reports and the API.

``figures(scope, period)`` returns a JSON-serialisable dict; ``live=True`` computes the activity
figures from the raw Activity / Attendance tables, the default reads the ``OrganizationMonth``
summary (activities/summaries.py); both go through the same aggregation and give the same dict.
Definitions, and which figures are stock and which flow: docs/statistics.md.
"""

import datetime
import hashlib
import statistics as pystats
from collections import Counter, defaultdict
from decimal import Decimal
from typing import NamedTuple

from django.db import connection
from django.db.models import (
    Case,
    CharField,
    Count,
    DateField,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    Sum,
    Value,
    When,
)
from django.db.models.functions import TruncQuarter, TruncYear
from django.utils import timezone

from activities.models import Activity, ComplianceRule, Kind, OrganizationMonth, OrganizationYear
from activities.selectors import COMPLIANCE_KINDS, compliance, rule_subjects
from activities.summaries import aggregate, refresh
from core.history import data_version, versioned_cache
from core.periods import PeriodKind, day_start, periods_in_year
from members.models import STAGE_DATE_FIELD, STAGE_ORDER, Member, Stage, Transfer
from members.selectors import members_at
from parks.models import Enterprise, Organization, add_years
from services.models import ServiceRequest, Wish

from .basis import Period, StatScope, reference_day

AGE_BANDS = ("18-35", "36-45", "46-60", "61+")
# Party members proper: what "an enterprise with members" counts.
PARTY_STAGES = (Stage.PROBATIONARY, Stage.FULL)
# What the own-organisation test treats as the enterprise's own organisation.
OWN_FORMATIONS = (Organization.Formation.SINGLE,)
MEMBER_CACHE_SECONDS = 6 * 3600  # a safety net: the key changes with the data anyway


def _rate(numerator, denominator):
    return None if not denominator else round(numerator / denominator, 4)


def _float(value):
    return round(float(value or 0), 4)


# --- figures --------------------------------------------------------------------------------------


def figures(scope: StatScope, period: Period, *, live: bool = False, today=None, compliance: bool = True) -> dict:
    """Every figure of DESIGN §7 for ``scope`` and ``period``. Stock figures (organisations,
    enterprises, member totals and breakdowns) are as at the period's end, or today while the period
    runs; flow figures (new members, transfers, activities, services) count within the period.

    ``compliance=False`` leaves out ``activities.compliance_rate`` (the grid's cells within the
    period), for a page that shows the compliance over its own period (the dashboards:
    stats.metrics.compliance, over the year)."""
    today = today or timezone.localdate()
    return {
        "scope": {"kind": scope.kind, "id": scope.id, "name": scope.name()},
        "period": period.as_dict(),
        "organizations": organization_figures(scope, period),
        "enterprises": enterprise_figures(scope, period, today=today),
        "members": member_figures(scope, period, today=today, live=live),
        "activities": activity_figures(scope, period, live=live, today=today, compliance=compliance),
        "services": service_figures(scope, period, today=today),
    }


def organization_figures(scope, period) -> dict:
    """Organisations in the scope founded before the period ends (or with no founding date)."""
    rows = (
        scope.organizations()
        .filter(Q(founded_on__isnull=True) | Q(founded_on__lt=period.end))
        .values_list("kind")
        .annotate(n=Count("pk"))
        .order_by()
    )
    by_kind = dict.fromkeys(Organization.Kind.values, 0)
    by_kind.update(dict(rows))
    return {"total": sum(by_kind.values()), "by_kind": by_kind}


def _own_organization_ids():
    """Organisations that count as an enterprise's own: single-enterprise formation, or covering
    exactly one enterprise."""
    return (
        Organization.objects.annotate(covers=Count("enterprises"))
        .filter(Q(formation__in=OWN_FORMATIONS) | Q(covers=1))
        .values("pk")
    )


def enterprise_figures(scope, period, *, today=None) -> dict:
    """Enterprises of the scope present at the period's end; see docs/statistics.md for own/joint."""
    through = Organization.enterprises.through
    if scope.kind == "district":
        enterprises = Enterprise.objects.filter(park__district_id=scope.id)
    elif scope.kind == "park":
        enterprises = Enterprise.objects.filter(park_id=scope.id)
    else:
        enterprises = Enterprise.objects.filter(
            pk__in=through.objects.filter(organization_id__in=scope.organization_ids).values("enterprise_id")
        )
    enterprises = enterprises.filter(Q(entered_on__isnull=True) | Q(entered_on__lt=period.end))
    # Uncorrelated IN (subquery) conditions: PostgreSQL hashes each subquery once, where the
    # correlated EXISTS form re-ran the own-organisation grouping per enterprise (1.5 s at 5 000).
    covered = Q(pk__in=through.objects.values("enterprise_id"))
    own = Q(pk__in=through.objects.filter(organization_id__in=_own_organization_ids()).values("enterprise_id"))
    # ... but a correlated EXISTS for the members, served by the index on Member.employer.
    enterprises = enterprises.annotate(
        has_party_members=Exists(
            Member.objects.filter(employer_id=OuterRef("pk"), status=Member.Status.ACTIVE, stage__in=PARTY_STAGES)
        )
    )
    counts = enterprises.aggregate(
        total=Count("pk"),
        with_members=Count("pk", filter=Q(has_party_members=True)),
        own=Count("pk", filter=own),
        covered=Count("pk", filter=covered),
    )
    total, covered = counts["total"], counts["covered"]
    return {
        "total": total,
        "with_members": counts["with_members"],
        "own_organization": counts["own"],
        "joint_organization": covered - counts["own"],
        "uncovered": total - covered,
        "coverage_rate": _rate(covered, total),
    }


def _stage_at(end):
    """The member's stage as at ``end``: the latest stage reached before it (NULL if none yet); a
    member with no stage date at all is taken at their current stage."""
    whens = [When(**{f"{STAGE_DATE_FIELD[stage]}__lt": end}, then=Value(stage)) for stage in reversed(STAGE_ORDER)]
    undated = Q(**{f"{field}__isnull": True for field in STAGE_DATE_FIELD.values()})
    return Case(*whens, When(undated, then=F("stage")), default=None, output_field=CharField())


def _age_band(day):
    """The age band on ``day``: at least n years old ⇔ born on or before that day n years back."""
    born_by = {n: add_years(day, -n) for n in (36, 46, 61)}
    return Case(
        When(birth_date__gt=born_by[36], then=Value("18-35")),
        When(birth_date__gt=born_by[46], then=Value("36-45")),
        When(birth_date__gt=born_by[61], then=Value("46-60")),
        default=Value("61+"),
        output_field=CharField(),
    )


def members_version() -> str:
    """Changes whenever a member record changes (``data_version(Member)``)."""
    return data_version(Member)[0]


def query_key(queryset) -> str:
    """A cache key's part standing for ``queryset``'s query: a digest of its SQL and parameters (the
    user's scope, the filters and dates it holds), for an aggregate cached per ``data_version``."""
    sql, params = queryset.query.sql_with_params()
    return hashlib.sha256(repr((sql, params)).encode()).hexdigest()[:32]


def cached_by_version(key_parts, compute, *, version: tuple):
    """``compute()``, kept in the cache under ``key_parts`` and ``version``: the ``data_version``
    of every model ``compute`` reads (read by the caller, at once for several aggregates). The
    data is read once per change of it, not once per view."""
    return _cached(key_parts, compute, live=False, version=version)


def _cached(key_parts, compute, *, live, version=None):
    """``compute()``, kept in the cache under the members' version (or ``version``) unless
    ``live``: the member table is read once per change of the data, not once per dashboard view."""
    if live:
        return compute()
    if version is None:
        version = members_version()
    elif isinstance(version, tuple):
        version = "-".join(str(part) for part in version)
    return versioned_cache(("stats", *key_parts), compute, version=version, seconds=MEMBER_CACHE_SECONDS)


def member_figures(scope, period, *, today=None, live=False) -> dict:
    """Active members of the scope's organisations, by their stage as at the period's end; new
    members (made probationary) and completed transfers within the period. The member-table part
    is cached per version of the members' data (``live=True`` reads it afresh)."""
    day = reference_day(period, today)
    stock = _cached(
        ("members", scope.kind, scope.id, period.start, period.end, day),
        lambda: _member_stock(scope, period, day),
        live=live,
    )
    done = Transfer.objects.filter(
        status=Transfer.Status.DONE,
        closed_at__gte=day_start(period.start),
        closed_at__lt=day_start(period.end),
    )
    into = Q(scope.organizations_q("to_organization__"))
    out_of = Q(scope.organizations_q("from_organization__"))
    transfers = done.aggregate(
        transferred_in=Count("pk", filter=into & ~Q(out_of & Q(from_organization__isnull=False))),
        transferred_out=Count("pk", filter=out_of & ~Q(into & Q(to_organization__isnull=False))),
    )
    return {**stock, **transfers}


def _member_stock(scope, period, day) -> dict:
    """The members on the roll of the scope's organisations on the reference ``day``, read from the
    membership history (``members.selectors.members_at``: a member who left since still counts in
    the periods they were there), by their stage as at the period's end; and the new members."""
    members = Member.objects.filter(scope.organizations_q("organization__"))
    on_roll = members_at(scope.organizations().values("pk"), day)
    by_stage = dict.fromkeys(Stage.values, 0)
    by_gender = dict.fromkeys(Member.Gender.values, 0)
    by_age_band = dict.fromkeys(AGE_BANDS, 0)
    by_education = {**dict.fromkeys(Member.Education.values, 0), "unknown": 0}
    # One grouped scan: at most stages × genders × bands × education levels rows come back.
    grouped = (
        on_roll.annotate(stage_at=_stage_at(period.end), band=_age_band(day))
        .exclude(stage_at=None)
        .values_list("stage_at", "gender", "band", "education")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for stage, gender, band, education, n in grouped:
        by_stage[stage] += n
        by_gender[gender] = by_gender.get(gender, 0) + n
        by_age_band[band] += n
        by_education[education or "unknown"] = by_education.get(education or "unknown", 0) + n
    new = members.filter(probationary_on__gte=period.start, probationary_on__lt=period.end).count()
    return {
        "total": sum(by_stage.values()),
        "by_stage": by_stage,
        "by_gender": by_gender,
        "by_age_band": by_age_band,
        "by_education": by_education,
        "new": new,
    }


def _branches(scope):
    return scope.organizations().filter(kind__in=COMPLIANCE_KINDS)


def _activity_rows(scope, period, *, live):
    """[(organization_id, month, kind, held, compliance_held, present, absent, leave, hours)] of the
    scope's organisations in the period: from the raw tables (live) or the summary."""
    if live:
        org_ids = list(scope.organizations().values_list("pk", flat=True))
        rows = aggregate(organization_ids=org_ids, start=period.start, end=period.end, with_compliance=False)
        return [(key, values) for key, values in rows.items()]
    if period.kind == "year":
        # The yearly roll-up (kept with the monthly summary): a twelfth of the rows.
        summary = OrganizationYear.objects.filter(scope.organizations_q("organization__"), year=period.start)
    else:
        summary = OrganizationMonth.objects.filter(scope.organizations_q("organization__")).filter(
            month__gte=period.start, month__lt=period.end
        )
    rows = (
        summary.values_list("kind")
        .annotate(
            held=Sum("held"),
            present=Sum("present"),
            absent=Sum("absent"),
            leave=Sum("leave"),
            hours=Sum("volunteer_hours"),
        )
        .order_by()
    )
    return [
        ((None, None, kind), {"held": h, "present": p, "absent": a, "leave": lv, "volunteer_hours": hrs})
        for kind, h, p, a, lv, hrs in rows
    ]


def activity_figures(scope, period, *, live=False, today=None, compliance=True) -> dict:
    """Held activities hosted in the scope within the period, their attendance, and (unless
    ``compliance=False``) the 三会一课 compliance rate of the scope's branches over the rule periods
    that lie within the period."""
    by_kind = dict.fromkeys(Kind.values, 0)
    present = absent = leave = 0
    hours = Decimal(0)
    for (_org, _month, kind), values in _activity_rows(scope, period, live=live):
        by_kind[kind] += values["held"] or 0
        present += values["present"] or 0
        absent += values["absent"] or 0
        leave += values["leave"] or 0
        hours += values["volunteer_hours"] or Decimal(0)
    result = {
        "total": sum(by_kind.values()),
        "by_kind": by_kind,
        "attendance_person_times": present,
        "attendance_rate": _rate(present, present + absent + leave),
        "volunteer_hours": _float(hours),
    }
    if compliance:
        met, elapsed = compliance_cells(scope, period, live=live, today=today)
        result["compliance_rate"] = _rate(met, elapsed)
    return result


def _cells_within(period, rules, year):
    """(rule, core.periods.Period) pairs whose rule period lies inside ``period``."""
    for rule in rules:
        for cell_period in periods_in_year(year, rule.period):
            if period.start <= cell_period.start and cell_period.end <= period.end:
                yield rule, cell_period


def _as_date(value):
    """A date from a raw cursor: a date, a datetime (PostgreSQL) or an ISO string (SQLite)."""
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, str):
        return datetime.date.fromisoformat(value[:10])
    return value


def compliance_cells(scope, period, *, live=False, today=None) -> tuple[int, int]:
    """(cells met, cells elapsed) of the compliance grid of the scope's branches, over the rule
    periods inside ``period``; live reuses activities.selectors.compliance()."""

    today = today or timezone.localdate()
    year = period.start.year
    if live:
        met = elapsed = 0
        wanted = {
            (rule.pk, p.start) for rule, p in _cells_within(period, ComplianceRule.objects.filter(is_active=True), year)
        }
        for branch in compliance(_branches(scope), year=year, today=today):
            for row in branch.rows:
                for cell in row.cells:
                    if (row.rule.pk, cell.period.start) in wanted:  # a "na" cell counts in neither
                        met += cell.state == "held"
                        elapsed += cell.state in ("held", "missing")
        return met, elapsed
    rules = list(ComplianceRule.objects.filter(is_active=True).order_by("pk"))
    cells = list(_cells_within(period, rules, year))
    if not cells:
        return 0, 0
    rule_of = {rule.kind: rule for rule, _p in cells}
    met_cells = _met_cells(scope, period, rule_of.values(), by="cell")
    every = {kind for kind, rule in rule_of.items() if rule.applies_to == ComplianceRule.Subject.EVERY_BRANCH}
    met_per_cell = Counter()
    if every:
        # ... counted per cell by the database: a few dozen rows come back, not one per branch.
        sql, params = met_cells.filter(kind__in=every).query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT kind, cell, COUNT(*) FROM ({sql}) met GROUP BY kind, cell", params)
            met_per_cell.update({(kind, _as_date(cell)): n for kind, cell, n in cursor.fetchall()})
    closed = any(cell_period.is_closed(today) for _rule, cell_period in cells)
    ids = list(_branches(scope).values_list("pk", flat=True)) if len(every) < len(rule_of) else None
    bound = _bound_branches(
        ids,
        [(r, p) for r, p in cells if r.kind not in every],
        year=year,
        today=today,
        query=_branches(scope).values("pk"),
    )
    if len(every) < len(rule_of):
        # A rule with a subject (支委会, 党小组会) counts where it binds the branch (activities.rules).
        rows = met_cells.exclude(kind__in=every).values_list("organization_id", "kind", "cell")
        for org_id, kind, cell in rows:
            cell = _as_date(cell)
            if org_id in bound.get((kind, cell), ()):
                met_per_cell[kind, cell] += 1
    n_branches = len(ids) if ids is not None else (_branches(scope).count() if closed and every else 0)
    met = elapsed = 0
    for rule, cell_period in cells:
        cell_met = met_per_cell[rule.kind, cell_period.start]
        met += cell_met
        # A closed period counts for every branch it binds; a running one only where already met.
        if not cell_period.is_closed(today):
            elapsed += cell_met
        elif rule.kind in every:
            elapsed += n_branches
        else:
            elapsed += len(bound[rule.kind, cell_period.start])
    return met, elapsed


def _met_cells(scope, period, rules, *, by):
    """The met cells of the compliance grid, from the summary: per branch of the scope, rule and
    rule period starting within ``period``, the activities that count for the branch
    (``OrganizationMonth.compliance_held``: activities.summaries.compliance_counts, the counting of
    activities.selectors.compliance()) summed, kept where the rule's minimum is reached.

    Rows ``{"organization_id", "kind", by, "minimum", "held"}``, the period named ``by``: "cell"
    its first day, or "cell_bit" ``1 << (Period.index - 1)`` (a period of ``period``'s year), so that a
    branch's met periods of a rule add up to one integer. Whether the rule binds the branch in the
    period (activities.rules) is left to the caller.
    """
    rule_of = {rule.kind: rule for rule in rules}
    if by == "cell":
        trunc = {"month": F("month"), "quarter": TruncQuarter("month"), "year": TruncYear("month")}
        key = Case(
            *(When(kind=kind, then=trunc[rule.period]) for kind, rule in rule_of.items()), output_field=DateField()
        )
    else:
        kinds = {kind: [k for k, rule in rule_of.items() if rule.period == kind] for kind in PeriodKind.values}
        key = Case(
            *(
                When(kind__in=kinds[kind], month__gte=p.start, month__lt=p.end, then=Value(1 << (p.index - 1)))
                for kind in PeriodKind.values
                if kinds[kind]
                for p in periods_in_year(period.start.year, kind)
            ),
            output_field=IntegerField(),
        )
    return (
        OrganizationMonth.objects.filter(
            organization_id__in=_branches(scope).values("pk"),
            month__gte=period.start,
            month__lt=period.end,
            kind__in=rule_of,
            compliance_held__gt=0,
        )
        .annotate(
            **{by: key},
            minimum=Case(
                *(When(kind=kind, then=Value(rule.minimum_count)) for kind, rule in rule_of.items()),
                output_field=IntegerField(),
            ),
        )
        .values("organization_id", "kind", by, "minimum")
        .annotate(held=Sum("compliance_held"))
        .filter(held__gte=F("minimum"))
        .order_by()
    )


class BranchCounts(NamedTuple):
    """A branch's line of ``compliance_counts``: ``counts`` is ``((met, elapsed, applicable), …)``,
    one per rule."""

    organization_id: int
    name: str
    park_id: int | None
    counts: tuple


def compliance_counts(scope, *, year: int, today=None) -> tuple[list, list[BranchCounts]]:
    """(rules, one ``BranchCounts`` per branch of the scope, by park and code as
    ``compliance_by_branch``) over the compliance grid of ``year``, from the summary: what
    ``activities.selectors.compliance()`` gives per branch and rule (``RuleRow.met``,
    ``.elapsed``, ``.applicable``), without building its cells.

    A rule period is met where the branch held the rule's minimum (``_met_cells``) and the rule
    binds it then (``RuleSubjects.bound``: activities.rules); elapsed where it binds the branch and
    has ended, or is met; the rule is applicable where it binds the branch in some period of the
    year. Each rule's periods are bits of an integer per branch (``_met_cells(by="cell_bit")``), so the
    database returns one row per branch and rule met at least once, and Python counts bits. Five
    queries whatever the number of branches (one fewer per subject no active rule has).
    """
    today = today or timezone.localdate()
    rules = list(ComplianceRule.objects.filter(is_active=True).order_by("pk"))
    branches = list(_branches(scope).order_by("park__name", "code").values_list("pk", "name", "park_id"))
    ids = {pk for pk, _name, _park in branches}
    if not rules or not ids:
        return rules, [BranchCounts(pk, name, park_id, ()) for pk, name, park_id in branches]
    over = Period("year", datetime.date(year, 1, 1))
    sql, params = _met_cells(scope, over, rules, by="cell_bit").query.sql_with_params()
    met = defaultdict(dict)  # kind → {branch: the bits of its met periods}
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT organization_id, kind, SUM(cell_bit) FROM ({sql}) met GROUP BY organization_id, kind", params
        )
        for org_id, kind, bits in cursor.fetchall():
            met[kind][org_id] = int(bits)
    subjects = rule_subjects(rules, ids, year=year, today=today, query=_branches(scope).values("pk"))

    def counted(held, binds, closed):
        held &= binds
        return held.bit_count(), (binds & (closed | held)).bit_count(), binds != 0

    columns = []  # per rule, in the order of the branches: (met, elapsed, applicable)
    for rule in rules:
        periods = periods_in_year(year, rule.period)
        closed = sum(1 << (p.index - 1) for p in periods if p.is_closed(today))
        held = met[rule.kind]
        if rule.applies_to == ComplianceRule.Subject.EVERY_BRANCH:
            # Binds every branch in every period: the counts depend on the met bits only.
            every = (1 << len(periods)) - 1
            by_bits = {bits: counted(bits, every, closed) for bits in {0, *held.values()}}
            columns.append([by_bits[held.get(pk, 0)] for pk, _name, _park in branches])
            continue
        binds = dict.fromkeys(ids, 0)
        for p in periods:
            for pk in subjects.bound(rule, ids, p):
                binds[pk] |= 1 << (p.index - 1)
        columns.append([counted(held.get(pk, 0), binds[pk], closed) for pk, _name, _park in branches])
    return rules, [
        BranchCounts(pk, name, park_id, counts)
        for (pk, name, park_id), counts in zip(branches, zip(*columns, strict=True), strict=True)
    ]


def _bound_branches(ids, cells, *, year, today, query=None) -> dict:
    """{(kind, period start): those of the branches ``ids`` the rule binds in that period} for the
    cells of rules with a subject (activities.selectors.rule_subjects; ``query``, the same ids as a
    query, is passed on); two queries or none."""
    if not cells:
        return {}
    subjects = rule_subjects({rule for rule, _p in cells}, ids, year=year, today=today, query=query)
    ids = set(ids)
    return {(rule.kind, cell_period.start): subjects.bound(rule, ids, cell_period) for rule, cell_period in cells}


def service_figures(scope, period, *, today=None) -> dict:
    """Service requests of the scope (park/district: by park; organisation: from the enterprises it
    covers) received and resolved in the period, overdue at its end, and micro-wishes fulfilled."""
    today = today or timezone.localdate()
    start, end = day_start(period.start), day_start(period.end)
    if scope.kind == "district":
        requests = ServiceRequest.objects.filter(park__district_id=scope.id)
        wishes = Wish.objects.filter(park__district_id=scope.id)
    elif scope.kind == "park":
        requests = ServiceRequest.objects.filter(park_id=scope.id)
        wishes = Wish.objects.filter(park_id=scope.id)
    else:
        requests = ServiceRequest.objects.filter(
            enterprise__in=Organization.enterprises.through.objects.filter(
                organization_id__in=scope.organization_ids
            ).values("enterprise_id")
        )
        wishes = Wish.objects.filter(claimed_by__organization_id__in=scope.organization_ids)
    day = reference_day(period, today)
    if day == today:
        overdue = requests.overdue(today=today)
    else:
        # Open at the period's end: submitted before, not resolved, closed or rejected by then.
        overdue = requests.filter(created_at__lt=end, due_on__lt=period.end).exclude(
            Q(resolved_at__lt=end) | Q(closed_at__lt=end) | Q(status=ServiceRequest.Status.REJECTED)
        )
    counts = requests.aggregate(
        received=Count("pk", filter=Q(created_at__gte=start, created_at__lt=end)),
        resolved=Count("pk", filter=Q(resolved_at__gte=start, resolved_at__lt=end)),
    )
    durations = [
        (resolved - created).total_seconds() / 86400
        for created, resolved in requests.filter(resolved_at__gte=start, resolved_at__lt=end).values_list(
            "created_at", "resolved_at"
        )
    ]
    ratings = requests.filter(closed_at__gte=start, closed_at__lt=end, rating__isnull=False).aggregate(
        n=Count("pk"), total=Sum("rating")
    )
    return {
        "received": counts["received"],
        "resolved": counts["resolved"],
        "overdue": overdue.count(),
        "median_days_to_resolve": round(pystats.median(durations), 4) if durations else None,
        "mean_satisfaction": _rate(ratings["total"] or 0, ratings["n"]),
        "wishes_fulfilled": wishes.filter(
            status=Wish.Status.FULFILLED, fulfilled_at__gte=start, fulfilled_at__lt=end
        ).count(),
    }


# --- trends and tables ----------------------------------------------------------------------------


def monthly_trend(
    scope: StatScope, *, months: int = 12, until: datetime.date | None = None, live: bool = False
) -> list[dict]:
    """The last ``months`` months up to the month of ``until`` (today), oldest first: new members
    (made probationary), held activities and attendance person-times. Two queries plus the scope's;
    the activity figures come from the summary, so the cost does not grow with attendance rows
    (``live=True`` reads the raw tables instead, for the benchmark and the tests)."""
    last = (until or timezone.localdate()).replace(day=1)
    first = last
    for _ in range(months - 1):
        first = (first - datetime.timedelta(days=1)).replace(day=1)
    end = Period("month", last).end
    series = {}
    month = first
    while month < end:
        series[month] = {"month": f"{month:%Y-%m}", "new_members": 0, "activities": 0, "attendance_person_times": 0}
        month = Period("month", month).end
    if live:
        org_ids = list(scope.organizations().values_list("pk", flat=True))
        rows = aggregate(organization_ids=org_ids, start=first, end=end, with_compliance=False)
        monthly = [(month, values["held"], values["present"]) for (_org, month, _kind), values in rows.items()]
    else:
        monthly = (
            OrganizationMonth.objects.filter(scope.organizations_q("organization__"), month__gte=first, month__lt=end)
            .values_list("month")
            .annotate(held=Sum("held"), present=Sum("present"))
            .order_by()
        )
    for month, held, present in monthly:
        series[month]["activities"] += held or 0
        series[month]["attendance_person_times"] += present or 0

    def new_members():
        return list(
            Member.objects.filter(
                scope.organizations_q("organization__"), probationary_on__gte=first, probationary_on__lt=end
            )
            .values_list("probationary_on")
            .annotate(n=Count("pk"))
            .order_by()
        )

    for day, n in _cached(("new", scope.kind, scope.id, first, end), new_members, live=live):
        series[day.replace(day=1)]["new_members"] += n
    return list(series.values())


def compliance_by_branch(scope: StatScope, *, year: int, today=None) -> list:
    """activities.selectors.compliance() rows for each branch in the scope, by park and code."""

    branches = _branches(scope).select_related("park", "district").order_by("park__name", "code")
    return compliance(branches, year=year, today=today)


def refresh_summaries(*, organization_ids=None, months=None) -> int:
    """Rebuild the summary rows (all organisations / months when None); the number written."""

    return refresh(organization_ids=organization_ids, months=months)


def activities_in_scope(scope: StatScope):
    """The scope's activities (for drill-down from the activity figures)."""
    return Activity.objects.filter(scope.organizations_q("host__"))
