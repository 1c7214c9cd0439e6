"""Reads of the activities app: scoped, with a number of queries that does not grow with the rows."""

import datetime
import hashlib
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.utils import timezone

from core.history import data_version, versioned_cache
from core.periods import Period, day_start, local_day, periods_in_year
from core.querysets import CHANGE
from core.scope import scope_for
from elections.models import Election
from elections.selectors import committee_member_ids, committee_organization_ids_on
from members.models import Member, Stage
from parks.models import Organization

from . import rules as life_rules
from .models import Activity, Attendance, ComplianceRule, Kind, PeriodKind, PointEntry

# Organisations that keep their own 三会一课 record; a party group's meetings count for its branch.
COMPLIANCE_KINDS = (
    Organization.Kind.BRANCH,
    Organization.Kind.JOINT_BRANCH,
    Organization.Kind.GENERAL_BRANCH,
)
# Who is on the attendance checklist: party members (probationary members attend but do not vote).
ATTENDING_STAGES = (Stage.PROBATIONARY, Stage.FULL)
DUE_SOON_DAYS = 10


# The kinds of activity that are organisation life (组织生活) for the lapse-risk rule (党章 Art. 38,
# members.rules.no_organisation_life_since): 三会一课, the themed party day, the organisation-life
# meeting and the democratic review. Training, salons, forums, volunteer service and mass-
# organisation activities are party work, not organisation life (docs/rules.md, "Lapse risk").
ORGANISATION_LIFE_KINDS = (
    Kind.PARTY_CONGRESS,
    Kind.COMMITTEE_MEETING,
    Kind.GROUP_MEETING,
    Kind.PARTY_LECTURE,
    Kind.THEMED_DAY,
    Kind.LIFE_MEETING,
    Kind.DEMOCRATIC_REVIEW,
)


def _organisation_life_attended():
    return Attendance.objects.filter(
        member=OuterRef("pk"),
        status=Attendance.Status.PRESENT,
        activity__status=Activity.Status.HELD,
        activity__kind__in=ORGANISATION_LIFE_KINDS,
    )


def last_organisation_life():
    """An expression for a Member queryset: when the member (``OuterRef("pk")``) last attended,
    present, a held activity of organisation life, whoever hosted it (NULL: never). Registered with
    members.selectors (``register_organisation_life``) by this app's AppConfig.ready(), so the
    members' lapse-risk selector reads attendance without importing the floor above."""
    attended = _organisation_life_attended()
    return Subquery(attended.order_by("-activity__starts_at").values("activity__starts_at")[:1])


def organisation_life_since(moment):
    """An expression for a Member queryset: whether the member attended, present, a held activity
    of organisation life starting at or after ``moment`` (``last_organisation_life`` >= moment, as
    EXISTS: the database can answer it for many members at once). Registered with the other."""
    return Exists(_organisation_life_attended().filter(activity__starts_at__gte=moment))


# --- who may do what ------------------------------------------------------------------------------


def may_manage(user, organization) -> bool:
    """A user may log and change the activities of an organisation they are secretary of (or of one
    above it), of an organisation in a park they administer, or anything as a superuser: the
    activity's "change" scope (``ActivityQuerySet.scope_filter``), checked without a query."""
    return Activity.objects.allows(user, Activity(host=organization), CHANGE)


def manageable_organizations(user):
    """The organisations whose activities the user may log (Activity "change"), branches first."""
    return (
        Activity.objects.targets(user, "host", CHANGE)
        .exclude(kind=Organization.Kind.COMMITTEE)
        .order_by("park", "code")
    )


def compliance_organizations(user):
    """Branches whose compliance the user may see."""
    return Organization.objects.visible_to(user).filter(kind__in=COMPLIANCE_KINDS)


def organization_tree_ids(organization) -> set[int]:
    return Organization.objects.with_descendants({organization.pk})


def checklist_members(organization):
    """The members listed on an activity's attendance checklist: active party members of the
    organisation and its sub-units (a branch's party groups)."""
    return (
        Member.objects.filter(
            organization_id__in=organization_tree_ids(organization),
            status=Member.Status.ACTIVE,
            stage__in=ATTENDING_STAGES,
        )
        .select_related("organization")
        .order_by("name", "pk")
    )


def attendance_checklist(host, kind: str, day: datetime.date | None = None):
    """Who is listed on the attendance checklist of an activity of ``kind`` hosted by ``host`` on
    ``day`` (``activities.rules``): a 支委会 lists the host's committee on that day (nobody where it
    has none); any other kind, a 党小组会 hosted by its party group included, lists
    ``checklist_members(host)``. Only those listed are recorded and earn points."""
    members = checklist_members(host)
    if kind == Kind.COMMITTEE_MEETING:
        return members.filter(pk__in=committee_member_ids(host, on=day or timezone.localdate()))
    return members


def activity_checklist(activity):
    """The checklist of an existing activity (its kind, host and local day)."""
    return attendance_checklist(activity.host, activity.kind, local_day(activity.starts_at))


# --- lists and pages ------------------------------------------------------------------------------


def parse_period(value: str):
    """'2026', '2026-Q2' or '2026-04' → (first day, last day), or None when not understood."""
    try:
        period = Period.parse(value)
    except ValueError:
        return None
    return period.start, period.last_day


def activity_list(user, *, organization=None, kind="", period="", status=""):
    """Activities the user may see, newest first, filtered (a page of it: two queries, plus
    ``attach_attendance_counts``)."""
    queryset = Activity.objects.visible_to(user)
    if organization is not None:
        tree = organization_tree_ids(organization)
        queryset = queryset.filter(
            Q(host_id__in=tree)
            | Q(pk__in=Activity.co_hosts.through.objects.filter(organization_id__in=tree).values("activity_id"))
        )
    if kind:
        queryset = queryset.filter(kind=kind)
    if status:
        queryset = queryset.filter(status=status)
    bounds = parse_period(period) if period else None
    if bounds:
        queryset = queryset.filter(
            starts_at__gte=day_start(bounds[0]),
            starts_at__lt=day_start(bounds[1] + datetime.timedelta(days=1)),
        )
    # No per-row aggregate here: the paginator's count would join every attendance row. The page's
    # rows get theirs from attach_attendance_counts.
    return queryset.select_related("host", "room").order_by("-starts_at", "-pk")


def attach_attendance_counts(activities):
    """Set ``attendance_count`` and ``present_count`` on each of ``activities`` (a page of rows):
    one grouped query over their ids, whatever the size of the attendance table. Returns them."""
    activities = list(activities)
    ids = [activity.pk for activity in activities]
    counts = {}
    if ids:
        counts = {
            activity_id: (total, present)
            for activity_id, total, present in Attendance.objects.filter(activity_id__in=ids)
            .order_by()
            .values_list("activity_id")
            .annotate(total=Count("pk"), present=Count("pk", filter=Q(status=Attendance.Status.PRESENT)))
        }
    for activity in activities:
        activity.attendance_count, activity.present_count = counts.get(activity.pk, (0, 0))
    return activities


def activity_detail(user, pk):
    """One activity the user may see (or Activity.DoesNotExist), with what its page shows."""
    return (
        Activity.objects.visible_to(user)
        .select_related("host", "host__park", "room", "created_by", "created_by__member")
        .prefetch_related(
            "co_hosts",
            "files",
            Prefetch(
                "attendances",
                queryset=Attendance.objects.select_related("member").order_by("status", "member__name", "pk"),
            ),
        )
        .get(pk=pk)
    )


def my_attendances(user):
    scope = scope_for(user)
    if scope.member_id is None:
        return Attendance.objects.none()
    return (
        Attendance.objects.filter(member_id=scope.member_id)
        .exclude(activity__status=Activity.Status.CANCELLED)
        .select_related("activity", "activity__host")
        .order_by("-activity__starts_at", "-pk")
    )


def my_point_entries(user):
    scope = scope_for(user)
    if scope.member_id is None:
        return PointEntry.objects.none()
    return (
        PointEntry.objects.filter(member_id=scope.member_id).select_related("activity").order_by("-created_at", "-pk")
    )


# --- compliance -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    period: Period
    state: str  # held / missing / due_soon / due / upcoming / na (the rule does not bind the branch)
    count: int = 0
    below_quorum: int = 0


@dataclass
class RuleRow:
    rule: ComplianceRule
    cells: list = field(default_factory=list)

    @property
    def met(self):
        return sum(1 for cell in self.cells if cell.state == "held")

    @property
    def elapsed(self):
        return sum(1 for cell in self.cells if cell.state in ("held", "missing"))

    @property
    def applicable(self):
        """Whether the rule binds the branch in any period of the year."""
        return any(cell.state != NOT_APPLICABLE for cell in self.cells)


@dataclass
class BranchCompliance:
    organization: Organization
    rows: list = field(default_factory=list)

    @property
    def met(self):
        return sum(row.met for row in self.rows)

    @property
    def elapsed(self):
        return sum(row.elapsed for row in self.rows)

    @property
    def missing(self):
        return self.elapsed - self.met

    @property
    def below_quorum(self):
        return sum(cell.below_quorum for row in self.rows for cell in row.cells)

    @property
    def due_soon(self):
        return [(row.rule, cell) for row in self.rows for cell in row.cells if cell.state == "due_soon"]

    @property
    def open_requirements(self):
        """The current periods whose minimum is not yet reached."""
        return [(row.rule, cell) for row in self.rows for cell in row.cells if cell.state in ("due", "due_soon")]

    @property
    def rate(self):
        """Periods that met the rule ÷ periods elapsed (a met current period counts as elapsed)."""
        return None if not self.elapsed else self.met / self.elapsed


NOT_APPLICABLE = life_rules.NOT_APPLICABLE


@dataclass(frozen=True)
class RuleSubjects:
    """Which branches each rule binds in which period (``activities.rules``), for a set of
    organisations and one year: built by ``rule_subjects`` in at most two queries."""

    today: datetime.date
    committees: dict = field(default_factory=dict)  # day → {organisations with a committee}
    groups_since: dict = field(default_factory=dict)  # branch → earliest founding of a group (None: always)

    def applies(self, rule, organization_id: int, period: Period) -> bool:
        subject = rule.applies_to
        if subject == life_rules.WITH_COMMITTEE:
            return organization_id in self.committees.get(life_rules.judged_on(period, self.today), ())
        if subject == life_rules.WITH_GROUPS:
            if organization_id not in self.groups_since:
                return False
            return life_rules.group_counts_on(
                self.groups_since[organization_id], life_rules.judged_on(period, self.today)
            )
        return True

    def bound(self, rule, organization_ids: set, period: Period) -> set:
        """Those of ``organization_ids`` that ``rule`` binds in ``period``: ``applies`` asked of
        each, as one set operation (the statistics ask it of 2 000 branches at once)."""
        subject = rule.applies_to
        if subject == life_rules.WITH_COMMITTEE:
            return organization_ids & self.committees.get(life_rules.judged_on(period, self.today), set())
        if subject == life_rules.WITH_GROUPS:
            day = life_rules.judged_on(period, self.today)
            return {
                pk
                for pk, since in self.groups_since.items()
                if pk in organization_ids and life_rules.group_counts_on(since, day)
            }
        return set(organization_ids)


def _id_filter(organization_ids):
    """Ids for an ``__in`` filter: a query of ids stays a subquery (a list of 2 000 ids costs the ORM
    more to prepare than the database to read); anything else becomes a list."""
    return organization_ids if isinstance(organization_ids, QuerySet) else list(organization_ids)


def branches_with_groups(organization_ids) -> dict:
    """{branch id: the earliest founding day of its party groups (None when one has none recorded)}
    for the branches among ``organization_ids`` (ids, or a query of ids) with a party group that
    has an active party member (probationary or full). One query."""
    rows = (
        Organization.objects.filter(
            parent_id__in=_id_filter(organization_ids),
            kind=Organization.Kind.GROUP,
            members__status=Member.Status.ACTIVE,
            members__stage__in=ATTENDING_STAGES,
        )
        .values_list("parent_id", "founded_on")
        .distinct()
        .order_by()
    )
    since = {}
    for parent_id, founded_on in rows:
        if parent_id in since and (since[parent_id] is None or founded_on is None):
            since[parent_id] = None
        elif parent_id in since:
            since[parent_id] = min(since[parent_id], founded_on)
        else:
            since[parent_id] = founded_on
    return since


def rule_subjects(rules, organization_ids, *, year: int, today: datetime.date, query=None) -> RuleSubjects:
    """The subjects of ``rules`` among ``organization_ids`` over ``year``: the committees on each
    day a committee rule is judged on (one query) and the branches with party groups (one query);
    a query is saved when no rule needs it. ``query``, a query of the same ids, is what the two
    queries filter on when given (a subquery instead of a long list of ids)."""
    ids = list(organization_ids)
    within = ids if query is None else query
    days = {
        life_rules.judged_on(period, today)
        for rule in rules
        if rule.applies_to == life_rules.WITH_COMMITTEE
        for period in periods_in_year(year, rule.period)
    }
    committees = committee_organization_ids_on(within, days) if days and ids else {}
    wants_groups = any(rule.applies_to == life_rules.WITH_GROUPS for rule in rules)
    groups_since = branches_with_groups(within) if wants_groups and ids else {}
    return RuleSubjects(today, committees, groups_since)


# The index of a rule period (Period.index) from the month (1-12) of a day within it.
_PERIOD_INDEX = {
    PeriodKind.MONTH: lambda month: month,
    PeriodKind.QUARTER: lambda month: (month - 1) // 3 + 1,
    PeriodKind.YEAR: lambda month: 1,
}


def _cell_state(period: Period, count: int, minimum: int, today: datetime.date, applies: bool = True) -> str:
    if not applies:
        return NOT_APPLICABLE
    if count >= minimum:
        return "held"
    if period.last_day < today:
        return "missing"
    if period.start > today:
        return "upcoming"
    return "due_soon" if (period.last_day - today).days < DUE_SOON_DAYS else "due"


def compliance(organizations, *, year: int, today: datetime.date | None = None) -> list[BranchCompliance]:
    """The rule × period grid of ``year`` for each organisation: six queries in all.

    A held activity counts for its host, for its co-hosts, and for the branch above a party group
    that hosts it. A party congress below quorum (not more than half the full members present) is
    counted apart and does not make a period held. A period where the rule does not bind the
    branch (``activities.rules``: no committee, no party groups) is "na", neither met nor missing.
    """
    today = today or timezone.localdate()
    organizations = list(organizations)
    rules = list(ComplianceRule.objects.filter(is_active=True).order_by("pk"))
    ids = {org.pk for org in organizations}
    if not organizations or not rules:
        return [BranchCompliance(org, [RuleRow(rule) for rule in rules]) for org in organizations]
    # A party group's activities count for the branch directly above it.
    groups = dict(
        Organization.objects.filter(parent_id__in=ids, kind=Organization.Kind.GROUP).values_list("pk", "parent_id")
    )
    counted_for = {**{pk: pk for pk in ids}, **groups}
    kinds = [rule.kind for rule in rules]
    activities = (
        Activity.objects.held()
        .filter(
            kind__in=kinds,
            starts_at__gte=day_start(datetime.date(year, 1, 1)),
            starts_at__lt=day_start(datetime.date(year + 1, 1, 1)),
        )
        .filter(Q(host_id__in=counted_for) | Q(co_hosts__in=ids))
        .values_list("pk", "host_id", "kind", "starts_at", "quorum_met", "co_hosts")
    )
    # (org, kind, period index) → [held, below quorum]; each activity counted once per organisation.
    tally = defaultdict(lambda: [0, 0])
    seen = set()
    index_of = {rule.kind: _PERIOD_INDEX[rule.period] for rule in rules}
    zone = timezone.get_current_timezone()
    for pk, host_id, kind, starts_at, quorum_met, co_host in activities:
        # The period's index from the local month: period_of(local_day(starts_at), rule.period).index.
        index = index_of[kind](starts_at.astimezone(zone).month)
        column = 1 if kind == Kind.PARTY_CONGRESS and quorum_met is False else 0  # below quorum apart
        for org_id in (counted_for.get(host_id), co_host if co_host in ids else None):
            if org_id is None or (pk, org_id) in seen:
                continue
            seen.add((pk, org_id))
            tally[org_id, kind, index][column] += 1
    counted = defaultdict(list)  # (org, kind) → [(period index, held, below quorum)]
    for (org_id, kind, index), (held, below) in tally.items():
        counted[org_id, kind].append((index, held, below))
    # Each rule's row where nothing was held, built once and copied for every branch (Cell is frozen,
    # so the empty cells are shared); only the cells with activities are made per branch. Building
    # the periods and cells per branch cost seconds over 2 000 branches.
    subjects = rule_subjects(rules, ids, year=year, today=today)
    grid = []
    for rule in rules:
        periods = periods_in_year(year, rule.period)  # Period.index is the position + 1
        empty = [Cell(period, _cell_state(period, 0, rule.minimum_count, today)) for period in periods]
        not_applicable = [Cell(period, NOT_APPLICABLE) for period in periods]
        grid.append((rule, rule.kind, rule.minimum_count, periods, empty, not_applicable))
    result = []
    for org in organizations:
        org_pk = org.pk
        branch = BranchCompliance(org)
        for rule, kind, minimum, periods, empty, not_applicable in grid:
            if rule.applies_to == life_rules.EVERY_BRANCH:
                applies = None  # every period: the common case, without a check per cell
                cells = list(empty)
            else:
                applies = [subjects.applies(rule, org_pk, period) for period in periods]
                cells = [e if a else n for e, n, a in zip(empty, not_applicable, applies, strict=True)]
            for index, held, below in counted.get((org_pk, kind), ()):
                period = periods[index - 1]
                bound = applies is None or applies[index - 1]
                cells[index - 1] = Cell(period, _cell_state(period, held, minimum, today, bound), held, below)
            branch.rows.append(RuleRow(rule, cells))
        result.append(branch)
    return result


SORT_KEYS = {
    "name": lambda b: (b.organization.name,),
    "park": lambda b: (str(b.organization.park or ""), b.organization.name),
    "rate": lambda b: (b.rate if b.rate is not None else -1, b.organization.name),
    "missing": lambda b: (b.missing, b.organization.name),
    "below_quorum": lambda b: (b.below_quorum, b.organization.name),
    "members": lambda b: (b.organization.full_members, b.organization.name),
}


@dataclass(frozen=True)
class TableRow:
    """One branch of the compliance table: its organisation (with ``full_members``) and the
    counts of its year's grid (``BranchCompliance``'s, without the cells)."""

    organization: Organization
    met: int
    elapsed: int
    below_quorum: int

    @property
    def missing(self):
        return self.elapsed - self.met

    @property
    def rate(self):
        return None if not self.elapsed else self.met / self.elapsed


# What the compliance table reads: the held activities (and their co-hosts), the members (full
# members, party groups with members), the organisations (groups, founding days), the elections
# (committees; a committee's seats are written with their election) and the rules.
TABLE_VERSIONED = (Activity, Member, Organization, Election, ComplianceRule)


def compliance_table(user, *, year: int, sort: str = "rate", today=None):
    """Compliance per branch the user may see, sorted by ``sort`` ('-rate' for descending).

    Returns (rows, sort actually applied). An unknown sort key falls back to ascending rate, so
    the weakest branches come first. The counts of every branch's grid (2 000 branches: a quarter
    of a second to build) are kept in the cache for the day, under the branches' ids and the
    version of the data they read (``TABLE_VERSIONED``): any write to it is seen by the next view.
    """
    descending = sort.startswith("-")
    key = sort.lstrip("-")
    if key not in SORT_KEYS:
        key, descending = "rate", False
    today = today or timezone.localdate()
    scope = compliance_organizations(user)
    organizations = list(scope.select_related("park", "district"))

    def counts():
        # The full members of each, counted apart: as an annotation, the organisations joined to
        # every member and were grouped by all their columns (90 against 40 ms at 100 000 members).
        full = dict(
            Member.objects.filter(organization__in=scope.values("pk"), stage=Stage.FULL, status=Member.Status.ACTIVE)
            .order_by()
            .values_list("organization")
            .annotate(n=Count("*"))
        )
        return {
            branch.organization.pk: (
                full.get(branch.organization.pk, 0),
                branch.met,
                branch.elapsed,
                branch.below_quorum,
            )
            for branch in compliance(organizations, year=year, today=today)
        }

    ids = hashlib.sha256(",".join(str(org.pk) for org in sorted(organizations, key=lambda o: o.pk)).encode())
    found = versioned_cache(
        ("activities", "compliance-table", ids.hexdigest()[:32], year, today),
        counts,
        version=data_version(*TABLE_VERSIONED),
    )
    rows = []
    for organization in organizations:
        # A branch added since the counts were kept changes the ids, so every one is found.
        full_members, met, elapsed, below_quorum = found[organization.pk]
        organization.full_members = full_members
        rows.append(TableRow(organization, met, elapsed, below_quorum))
    rows.sort(key=SORT_KEYS[key], reverse=descending)
    return rows, ("-" if descending else "") + key


def own_member_points(user):
    """The user's own member record with its points total (name and points only)."""
    return Member.objects.only("pk", "name", "points").get(pk=scope_for(user).member_id)
