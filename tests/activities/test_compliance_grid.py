"""activities.selectors.compliance() builds the grid once per rule and shares the empty cells: its
result must equal, cell for cell, the straightforward per-branch construction it replaced."""

import datetime
import random
from collections import defaultdict

from django.db.models import Q
from django.utils import timezone

from activities import rules as life_rules
from activities import selectors
from activities.models import Activity, ComplianceRule, Kind
from core.periods import day_start, local_day, period_of, periods_in_year
from elections.models import CommitteeSeat, Election
from elections.selectors import committee_organization_ids
from members.models import Member
from parks.models import Organization
from tests.factories import MemberFactory, OrganizationFactory

from .factories import ActivityFactory


def elect(organization, held_on, seats):
    """An approved election of ``organization`` on ``held_on`` with ``seats`` members elected."""
    election = Election.objects.create(
        organization=organization, held_on=held_on, eligible_voters=9, votes_cast=9, status=Election.Status.APPROVED
    )
    for i in range(seats):
        member = MemberFactory(organization=organization)
        CommitteeSeat.objects.create(election=election, member=member, post="secretary" if i == 0 else "member")
    return election


def reference_applies(rule, org, period, today):
    """Whether ``rule`` binds ``org`` in ``period``, asked the plain way, one question per cell."""
    day = life_rules.judged_on(period, today)
    if rule.applies_to == life_rules.WITH_COMMITTEE:
        return org.pk in committee_organization_ids([org.pk], on=day)
    if rule.applies_to == life_rules.WITH_GROUPS:
        groups = Organization.objects.filter(
            parent=org,
            kind=Organization.Kind.GROUP,
            members__status=Member.Status.ACTIVE,
            members__stage__in=selectors.ATTENDING_STAGES,
        )
        return groups.filter(Q(founded_on__isnull=True) | Q(founded_on__lte=day)).exists()
    return True


def reference_compliance(organizations, *, year, today):
    """activities.selectors.compliance() as it was before the grid was optimised (2026-11), with
    each cell's subject asked on its own (``reference_applies``)."""
    S = selectors
    organizations = list(organizations)
    rules = list(ComplianceRule.objects.filter(is_active=True).order_by("pk"))
    ids = {org.pk for org in organizations}
    if not organizations or not rules:
        return [S.BranchCompliance(org, [S.RuleRow(rule) for rule in rules]) for org in organizations]
    groups = dict(
        Organization.objects.filter(parent_id__in=ids, kind=Organization.Kind.GROUP).values_list("pk", "parent_id")
    )
    counted_for = {**{pk: pk for pk in ids}, **groups}
    activities = (
        Activity.objects.held()
        .filter(
            kind__in=[rule.kind for rule in rules],
            starts_at__gte=day_start(datetime.date(year, 1, 1)),
            starts_at__lt=day_start(datetime.date(year + 1, 1, 1)),
        )
        .filter(Q(host_id__in=counted_for) | Q(co_hosts__in=ids))
        .values_list("pk", "host_id", "kind", "starts_at", "quorum_met", "co_hosts")
    )
    tally = defaultdict(lambda: [0, 0])
    seen = set()
    period_kind = {rule.kind: rule.period for rule in rules}
    for pk, host_id, kind, starts_at, quorum_met, co_host in activities:
        index = period_of(local_day(starts_at), period_kind[kind]).index
        for org_id in {counted_for.get(host_id), co_host if co_host in ids else None} - {None}:
            if (pk, org_id) in seen:
                continue
            seen.add((pk, org_id))
            if kind == Kind.PARTY_CONGRESS and quorum_met is False:
                tally[org_id, kind, index][1] += 1
            else:
                tally[org_id, kind, index][0] += 1
    result = []
    for org in organizations:
        branch = S.BranchCompliance(org)
        for rule in rules:
            row = S.RuleRow(rule)
            for period in periods_in_year(year, rule.period):
                held, below = tally[org.pk, rule.kind, period.index]
                applies = reference_applies(rule, org, period, today)
                state = S._cell_state(period, held, rule.minimum_count, today, applies)
                row.cells.append(S.Cell(period, state, held, below))
            branch.rows.append(row)
        result.append(branch)
    return result


def as_plain(rows):
    return [
        (
            branch.organization.pk,
            [(row.rule.pk, [(c.period, c.state, c.count, c.below_quorum) for c in row.cells]) for row in branch.rows],
            branch.met,
            branch.elapsed,
            branch.below_quorum,
            branch.rate,
        )
        for branch in rows
    ]


def test_grid_equals_the_reference_construction(world):
    rng = random.Random(6)
    branches = [world.branch_a1, world.branch_a2, world.branch_b]
    branches += [OrganizationFactory(park=world.park_a1, parent=world.committee) for _ in range(3)]
    group = world.group_a1
    hosts = [*branches, group, OrganizationFactory(park=world.park_a2)]  # and one outside the list
    # Committees: elected mid-year, a secretary only, and a committee replaced by a secretary.
    elect(world.branch_a1, datetime.date(2026, 4, 15), 3)
    elect(branches[3], datetime.date(2025, 3, 1), 1)
    elect(branches[4], datetime.date(2025, 3, 1), 5)
    elect(branches[4], datetime.date(2026, 8, 1), 2)
    # A party group founded in June (its members make its branch one "with party groups").
    late_group = OrganizationFactory(
        park=world.park_a1, parent=branches[5], kind=Organization.Kind.GROUP, founded_on=datetime.date(2026, 6, 1)
    )
    MemberFactory(organization=late_group)
    kinds = [*Kind.values, Kind.PARTY_CONGRESS, Kind.PARTY_CONGRESS]
    zone = timezone.get_current_timezone()
    for _ in range(160):
        day = datetime.date(2026, 1, 1) + datetime.timedelta(days=rng.randrange(365))
        # Around local midnight too, so the local month and the UTC month differ.
        hour = rng.choice([0, 0, 7, 10, 23])
        starts_at = datetime.datetime.combine(day, datetime.time(hour, rng.choice([0, 30])), tzinfo=zone)
        activity = ActivityFactory(
            host=rng.choice(hosts),
            kind=rng.choice(kinds),
            starts_at=starts_at,
            status=rng.choice([Activity.Status.HELD] * 4 + [Activity.Status.CANCELLED]),
            quorum_met=rng.choice([None, True, False]),
        )
        if rng.random() < 0.3:
            activity.co_hosts.add(*rng.sample(hosts, rng.randint(1, 3)))
    # Edges of the year: the last local hour of 2025 and the first of 2027 stay out.
    ActivityFactory(host=world.branch_a1, starts_at=datetime.datetime(2025, 12, 31, 23, 30, tzinfo=zone))
    ActivityFactory(host=world.branch_a1, starts_at=datetime.datetime(2027, 1, 1, 0, 30, tzinfo=zone))
    for today in (datetime.date(2026, 1, 5), datetime.date(2026, 6, 25), datetime.date(2026, 11, 22)):
        for organizations in (branches, branches[:1], [group]):
            new = selectors.compliance(organizations, year=2026, today=today)
            old = reference_compliance(organizations, year=2026, today=today)
            assert new == old
            assert as_plain(new) == as_plain(old)
    rows = selectors.compliance(branches, year=2026, today=datetime.date(2026, 11, 22))
    assert sum(cell.below_quorum for branch in rows for row in branch.rows for cell in row.cells) > 0
    assert sum(branch.met for branch in rows) > 0
    # The subjects vary, so the comparison above covered "na" cells beside the others.
    committee = {b.organization.pk: next(r for r in b.rows if r.rule.kind == Kind.COMMITTEE_MEETING) for b in rows}
    assert [c.state == "na" for c in committee[world.branch_a1.pk].cells] == [True] * 4 + [False] * 8
    assert [c.state == "na" for c in committee[branches[4].pk].cells] == [False] * 7 + [True] * 5  # from August 1st
    assert all(c.state == "na" for c in committee[branches[3].pk].cells)
    groups = next(r for r in rows[5].rows if r.rule.kind == Kind.GROUP_MEETING)
    assert [c.state == "na" for c in groups.cells] == [True] * 5 + [False] * 7


def test_grid_queries_do_not_grow_with_branches(world, django_assert_max_num_queries):
    branches = [OrganizationFactory(park=world.park_a1, parent=world.committee) for _ in range(20)]
    for branch in branches:
        ActivityFactory(
            host=branch, starts_at=datetime.datetime(2025, 6, 10, 10, tzinfo=timezone.get_current_timezone())
        )
    with django_assert_max_num_queries(6):
        rows = selectors.compliance(branches, year=2025, today=datetime.date(2025, 12, 31))
    assert len(rows) == 20
