"""The dashboard's compliance section counts (met, elapsed, applicable) per branch and rule in the
database (``statistics.compliance_counts``); its heatmap and its parks or branches must be exactly
what the rule × period grid of ``activities.selectors.compliance()`` gives, cell for cell counted,
and its queries must not grow with the branches."""

import datetime
import random

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from activities.models import Activity, Kind
from core.periods import Period
from members.models import Member
from parks.models import Organization
from stats import dashboards, statistics
from stats.basis import StatScope
from tests.activities.factories import ActivityFactory
from tests.activities.test_compliance_grid import elect
from tests.factories import MemberFactory, OrganizationFactory, ParkFactory

pytestmark = pytest.mark.django_db

YEAR = Period("year", datetime.date(2026, 1, 1))


def grid_scores(scope, *, year, today) -> list[dashboards.BranchScore]:
    """The section's rows as they were computed before (2026-11): every cell of the grid of
    ``statistics.compliance_by_branch`` walked, "held" met, "held" or "missing" elapsed, and a rule
    applicable where some cell is not "na"."""
    result = []
    for branch in statistics.compliance_by_branch(scope, year=year, today=today):
        rules = []
        for row in branch.rows:
            met = sum(1 for cell in row.cells if cell.state == "held")
            elapsed = sum(1 for cell in row.cells if cell.state in ("held", "missing"))
            rules.append((row.rule, met, elapsed, any(cell.state != "na" for cell in row.cells)))
        org = branch.organization
        met = sum(met for _rule, met, _elapsed, _applicable in rules)
        elapsed = sum(elapsed for _rule, _met, elapsed, _applicable in rules)
        rule_list, counts = [rule for rule, *_ in rules], tuple(tuple(counts) for _rule, *counts in rules)
        result.append(dashboards.BranchScore(org.pk, org.name, org.park_id, rule_list, counts, met, elapsed))
    return result


def grid_section(user, scope, period, *, today) -> dict:
    """The heatmap and the children figures from the grid."""
    year = dashboards.compliance_year(period, today)
    rows = grid_scores(scope, year=year, today=today)
    if scope.kind == "district":
        children = dashboards.district_children(user, scope, rows, period, today=today)
    else:
        children = dashboards.branch_children(user, scope, rows, period, today=today)
    return {"heatmap": dashboards.heatmap(user, rows), "children": [(c.name, c.figures) for c in children]}


def section(user, scope, period, *, today) -> dict:
    result = dashboards.compliance_section(user, scope, period, today=today)
    return {"heatmap": result["heatmap"], "children": [(c.name, c.figures) for c in result["children"]]}


def random_world(world, rng):
    """District A's branches with every kind of subject, and random activities of 2026."""
    zone = timezone.get_current_timezone()
    park = ParkFactory(name="园区A3", district=world.district_a)
    branches = [world.branch_a1, world.branch_a2]
    branches += [OrganizationFactory(park=rng.choice([world.park_a1, park]), parent=world.committee) for _ in range(6)]
    # Two branches of one name (the heatmap sorts by rate, then name), a joint branch, a general
    # branch, and a branch founded mid-year.
    branches.append(OrganizationFactory(name=branches[2].name, park=world.park_a2, parent=world.committee))
    branches.append(OrganizationFactory(park=park, kind=Organization.Kind.JOINT_BRANCH))
    branches.append(OrganizationFactory(park=world.park_a2, kind=Organization.Kind.GENERAL_BRANCH))
    branches.append(OrganizationFactory(park=park, founded_on=datetime.date(2026, 5, 20)))
    # Committees: elected on a quarter's first day, mid-year, a secretary only, a committee
    # replaced by a secretary, one elected the day after a quarter ends.
    elect(world.branch_a1, datetime.date(2026, 4, 15), 3)
    elect(branches[3], datetime.date(2025, 3, 1), 1)
    elect(branches[4], datetime.date(2025, 3, 1), 5)
    elect(branches[4], datetime.date(2026, 8, 1), 2)
    elect(branches[5], datetime.date(2026, 7, 1), 3)
    elect(branches[6], datetime.date(2026, 6, 30), 4)
    # Party groups: one founded in June, one without a founding day, one without party members.
    late = OrganizationFactory(
        park=park, parent=branches[7], kind=Organization.Kind.GROUP, founded_on=datetime.date(2026, 6, 1)
    )
    MemberFactory(organization=late)
    undated = OrganizationFactory(park=world.park_a2, parent=branches[8], kind=Organization.Kind.GROUP)
    MemberFactory(organization=undated)
    OrganizationFactory(park=world.park_a2, parent=branches[9], kind=Organization.Kind.GROUP)
    hosts = [*branches, world.group_a1, late, undated, world.branch_b, OrganizationFactory(park=park)]
    kinds = [*Kind.values, Kind.PARTY_CONGRESS, Kind.COMMITTEE_MEETING, Kind.GROUP_MEETING, Kind.THEMED_DAY]
    for _ in range(260):
        host = rng.choice(hosts)
        day = datetime.date(2026, 1, 1) + datetime.timedelta(days=rng.randrange(365))
        day = max(day, host.founded_on or day)  # none before its organisation was founded
        hour = rng.choice([0, 0, 7, 10, 23])  # around local midnight: the local month counts
        activity = ActivityFactory(
            host=host,
            kind=rng.choice(kinds),
            starts_at=datetime.datetime.combine(day, datetime.time(hour, rng.choice([0, 30])), tzinfo=zone),
            status=rng.choice([Activity.Status.HELD] * 4 + [Activity.Status.CANCELLED]),
            quorum_met=rng.choice([None, True, False]),
        )
        if rng.random() < 0.3:
            activity.co_hosts.add(*rng.sample(hosts, rng.randint(1, 3)))
    # The last local hour of 2025 and the first of 2027 stay out.
    ActivityFactory(host=world.branch_a1, starts_at=datetime.datetime(2025, 12, 31, 23, 30, tzinfo=zone))
    ActivityFactory(host=world.branch_a1, starts_at=datetime.datetime(2027, 1, 1, 0, 30, tzinfo=zone))
    statistics.refresh_summaries()
    return park, branches


# The day before, of and after a month's, a quarter's and the year's end (and its first day).
DAYS = [
    datetime.date(2026, 1, 1),
    datetime.date(2026, 4, 29),
    datetime.date(2026, 4, 30),
    datetime.date(2026, 5, 1),
    datetime.date(2026, 6, 29),
    datetime.date(2026, 6, 30),
    datetime.date(2026, 7, 1),
    datetime.date(2026, 12, 30),
    datetime.date(2026, 12, 31),
    datetime.date(2027, 1, 1),
]


def test_the_section_is_the_grids_on_random_activities(world):
    park, branches = random_world(world, random.Random(16))
    scopes = [
        (world.official, StatScope.of(world.district_a)),
        (world.superuser, StatScope.of(park)),
        (world.park_admin, StatScope.of(world.park_a1)),
        (world.secretary, StatScope.of(world.branch_a1)),
        (world.official, StatScope.of(branches[7])),
    ]
    compared = set()
    for today in DAYS:
        for user, scope in scopes:
            expected = grid_section(user, scope, YEAR, today=today)
            assert section(user, scope, YEAR, today=today) == expected, (today, scope)
            for x, _y, *rest in expected["heatmap"]["data"]:
                compared.add((x, "na" if rest[1:] else rest[0] is None))
    # The days compared covered rules that bind nowhere, periods with none elapsed, and rates.
    assert {(x, state) for x, state in compared if state == "na"}
    assert (0, True) in compared
    assert (0, False) in compared
    rows = dashboards.scores(StatScope.of(world.district_a), year=2026, today=datetime.date(2026, 7, 1))
    assert 0 < sum(b.met for b in rows) < sum(b.elapsed for b in rows)


def test_a_month_of_the_year_is_on_the_grid_of_its_year(world):
    """The section of a month's dashboard is over the month's year: 2026-06 with today in July."""
    random_world(world, random.Random(3))
    scope = StatScope.of(world.district_a)
    month = Period("month", datetime.date(2026, 6, 1))
    today = datetime.date(2026, 7, 1)
    assert section(world.official, scope, month, today=today) == grid_section(world.official, scope, month, today=today)


def test_the_counts_of_each_branch_and_rule_are_the_grids(world):
    """Rule by rule, the (met, elapsed, applicable) of statistics.compliance_counts are the grid's
    ``RuleRow.met``, ``.elapsed`` and ``.applicable``."""
    random_world(world, random.Random(7))
    scope = StatScope.of(world.district_a)
    for today in (datetime.date(2026, 6, 30), datetime.date(2026, 7, 1)):
        rules, counted = statistics.compliance_counts(scope, year=2026, today=today)
        grid = statistics.compliance_by_branch(scope, year=2026, today=today)
        assert [b.organization_id for b in counted] == [b.organization.pk for b in grid]
        for mine, theirs in zip(counted, grid, strict=True):
            assert [row.rule for row in theirs.rows] == rules
            assert list(mine.counts) == [(row.met, row.elapsed, row.applicable) for row in theirs.rows]


def _section_queries(user, scope, today):
    """The section's queries (after a write to a member, between two writes): a district's members
    per park are counted once per version of the members (stats.metrics.per_park)."""
    dashboards.compliance_section(user, scope, YEAR, today=today)  # the user's scope is kept after
    counts = []
    for after_a_write in (True, False):
        if after_a_write:
            Member.objects.first().save()
        with CaptureQueriesContext(connection) as queries:
            dashboards.compliance_section(user, scope, YEAR, today=today)
        counts.append(len(queries))
    return counts


@pytest.mark.parametrize(("who", "where"), [("official", "district_a"), ("park_admin", "park_a1")])
def test_the_sections_queries_do_not_grow_with_the_branches(world, who, where):
    zone = timezone.get_current_timezone()
    user, scope = getattr(world, who), StatScope.of(getattr(world, where))
    today = datetime.date(2026, 7, 1)

    def add_branches(n):
        for i in range(n):
            branch = OrganizationFactory(park=world.park_a1, parent=world.committee)
            group = OrganizationFactory(park=world.park_a1, parent=branch, kind=Organization.Kind.GROUP)
            MemberFactory(organization=group)
            elect(branch, datetime.date(2026, 1, 2), 3)
            for kind in (Kind.THEMED_DAY, Kind.COMMITTEE_MEETING, Kind.GROUP_MEETING, Kind.PARTY_CONGRESS):
                ActivityFactory(
                    host=group if kind == Kind.GROUP_MEETING else branch,
                    kind=kind,
                    starts_at=datetime.datetime(2026, 1 + i % 6, 10, 10, tzinfo=zone),
                )
        statistics.refresh_summaries()

    add_branches(3)
    small = _section_queries(user, scope, today)
    add_branches(9)
    assert _section_queries(user, scope, today) == small
    if scope.kind == "district":
        assert small[0] == small[1] + 1  # the members per park
    shown = dashboards.compliance_section(user, scope, YEAR, today=today)["heatmap"]["shown"]
    assert shown >= 12
