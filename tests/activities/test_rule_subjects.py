"""Which rule applies where (activities/rules.py, docs/rules.md "Which rule applies where"): a 支委会
binds a branch with a committee, a 党小组会 a branch with party groups; elsewhere the periods are
"not applicable" and stay out of the rate. The checklist of a 支委会 is the committee."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from activities import actions, selectors
from activities.models import Attendance, ComplianceRule, PointEntry
from elections.models import CommitteeSeat, Election
from members.models import Member
from parks.models import Organization
from tests.factories import MemberFactory, OrganizationFactory

from .conftest import local

AFTER_2025 = datetime.date(2026, 1, 5)  # every period of 2025 has closed


def elect(organization, held_on, members):
    election = Election.objects.create(
        organization=organization,
        held_on=held_on,
        eligible_voters=len(members) + 4,
        votes_cast=len(members) + 4,
        status=Election.Status.APPROVED,
    )
    for i, member in enumerate(members):
        CommitteeSeat.objects.create(election=election, member=member, post="secretary" if i == 0 else "member")
    return election


def row_of(branch, kind):
    return next(row for row in branch.rows if row.rule.kind == kind)


def grid(organization, *, year=2025, today=AFTER_2025):
    return selectors.compliance([organization], year=year, today=today)[0]


def test_default_rules_declare_their_subject(db):
    subjects = dict(ComplianceRule.objects.values_list("kind", "applies_to"))
    assert subjects["committee_meeting"] == "with_committee"
    assert subjects["group_meeting"] == "with_groups"
    assert {subjects[k] for k in ("party_congress", "party_lecture", "themed_day", "life_meeting")} == {"every_branch"}


def test_branch_without_committee_shows_committee_meeting_not_applicable(world, log):
    for month in range(1, 13):
        log(kind="themed_day", starts_at=local(2025, month, 10), attendance=[])
    branch = grid(world.branch_a1)
    committee = row_of(branch, "committee_meeting")
    assert [cell.state for cell in committee.cells] == ["na"] * 12
    assert not committee.applicable
    # Elapsed: congress 4 + 党小组会 12 (A1 has a party group with a member) + lecture 4 + themed day
    # 12 + life meeting 1 + review 1 = 34, the 12 themed days met; no 支委会 counted missing.
    assert (branch.met, branch.elapsed, branch.missing) == (12, 34, 22)
    assert branch.rate == pytest.approx(12 / 34)
    assert all(rule.kind != "committee_meeting" for rule, _cell in branch.open_requirements)


def test_branch_with_a_committee_owes_its_committee_meetings(world, a1_members, log):
    elect(world.branch_a1, datetime.date(2024, 6, 1), a1_members[:3])
    log(kind="committee_meeting", starts_at=local(2025, 3, 10), attendance=[])
    committee = row_of(grid(world.branch_a1), "committee_meeting")
    states = [cell.state for cell in committee.cells]
    assert states[2] == "held"
    assert states.count("missing") == 11


@pytest.mark.parametrize(
    ("held_on", "first_bound_month"),
    [
        (datetime.date(2025, 3, 31), 4),  # the day before April: April binds
        (datetime.date(2025, 4, 1), 4),  # April's first day: April binds
        (datetime.date(2025, 4, 2), 5),  # the day after: April does not, May does
    ],
)
def test_committee_elected_mid_year_binds_from_the_next_period_start(world, a1_members, held_on, first_bound_month):
    elect(world.branch_a1, held_on, a1_members[:3])
    committee = row_of(grid(world.branch_a1), "committee_meeting")
    bound = [cell.state != "na" for cell in committee.cells]
    assert bound == [False] * (first_bound_month - 1) + [True] * (13 - first_bound_month)


@pytest.mark.parametrize(
    ("held_on", "bound_quarters"),
    [
        (datetime.date(2025, 3, 31), [False, True, True, True]),
        (datetime.date(2025, 4, 1), [False, True, True, True]),
        (datetime.date(2025, 4, 2), [False, False, True, True]),  # mid-quarter: from Q3
        (datetime.date(2025, 5, 15), [False, False, True, True]),
    ],
)
def test_quarterly_committee_rule_and_a_mid_quarter_election(world, a1_members, held_on, bound_quarters):
    ComplianceRule.objects.filter(kind="committee_meeting").update(period="quarter")
    elect(world.branch_a1, held_on, a1_members[:3])
    committee = row_of(grid(world.branch_a1), "committee_meeting")
    assert [cell.state != "na" for cell in committee.cells] == bound_quarters


def test_a_secretary_alone_is_no_committee_and_a_later_one_ends_it(world, a1_members):
    elect(world.branch_a1, datetime.date(2024, 1, 1), a1_members[:2])  # secretary and deputy
    assert all(c.state == "na" for c in row_of(grid(world.branch_a1), "committee_meeting").cells)
    elect(world.branch_a1, datetime.date(2023, 1, 1), a1_members[:4])  # an older committee, replaced
    assert all(c.state == "na" for c in row_of(grid(world.branch_a1), "committee_meeting").cells)


def test_current_period_is_judged_on_its_first_day_and_upcoming_ones_on_today(world, a1_members):
    elect(world.branch_a1, datetime.date(2025, 6, 10), a1_members[:3])
    states = [
        c.state for c in row_of(grid(world.branch_a1, today=datetime.date(2025, 6, 20)), "committee_meeting").cells
    ]
    assert states[:6] == ["na"] * 6  # June began before the election
    assert states[6:] == ["upcoming"] * 6


def test_branch_with_party_groups_needs_group_meetings(world, log):
    a1 = row_of(grid(world.branch_a1), "group_meeting")
    assert [c.state for c in a1.cells] == ["missing"] * 12
    a2 = row_of(grid(world.branch_a2), "group_meeting")
    assert [c.state for c in a2.cells] == ["na"] * 12
    # A party group with no party member does not make A2 "a branch with party groups".
    empty = OrganizationFactory(park=world.park_a2, parent=world.branch_a2, kind=Organization.Kind.GROUP)
    MemberFactory(organization=empty, stage="activist")
    assert all(c.state == "na" for c in row_of(grid(world.branch_a2), "group_meeting").cells)
    MemberFactory(organization=empty, stage="full", status=Member.Status.TRANSFERRED_OUT)
    assert all(c.state == "na" for c in row_of(grid(world.branch_a2), "group_meeting").cells)
    log(host=world.group_a1, kind="group_meeting", starts_at=local(2025, 6, 10), attendance=[])
    assert row_of(grid(world.branch_a1), "group_meeting").cells[5].state == "held"


def test_committee_meeting_checklist_is_the_committee_and_only_it_earns_points(world, a1_members, log):
    committee = a1_members[:3]
    elect(world.branch_a1, datetime.date(2024, 6, 1), committee)
    activity = log(kind="committee_meeting")
    assert {a.member_id for a in activity.attendances.all()} == {m.pk for m in committee}
    assert set(selectors.activity_checklist(activity)) == set(committee)
    for member in Member.objects.filter(pk__in=[m.pk for m in a1_members]):
        assert member.points == (2 if member in committee else 0)
    outsider = a1_members[3]
    with pytest.raises(ValidationError, match="members of the committee"):
        actions.attendance_record(
            activity=activity, by=world.secretary, entries=[actions.AttendanceInput(member_id=outsider.pk)]
        )
    assert not Attendance.objects.filter(activity=activity, member=outsider).exists()
    assert not PointEntry.objects.filter(member=outsider).exists()


def test_committee_meeting_of_a_branch_without_committee_lists_nobody(world, a1_members, log):
    activity = log(kind="committee_meeting")
    assert activity.attendances.count() == 0
    with pytest.raises(ValidationError):
        log(kind="committee_meeting", attendance=[actions.AttendanceInput(member_id=a1_members[0].pk)])


def test_group_meeting_is_hosted_by_the_group_and_lists_its_members(world, a1_members, log):
    with pytest.raises(ValidationError, match="hosted by a party group"):
        log(kind="group_meeting")
    activity = log(host=world.group_a1, kind="group_meeting")
    assert [a.member_id for a in activity.attendances.all()] == [world.member_group.pk]


def test_the_log_form_lists_the_committee_for_a_committee_meeting(client, world, a1_members):
    elect(world.branch_a1, datetime.date(2024, 6, 1), a1_members[:3])
    client.force_login(world.secretary)
    url = reverse("activities:checklist")
    body = client.get(url, {"org": world.branch_a1.pk, "kind": "committee_meeting"}).content.decode()
    assert body.count('class="list-group-item hf-att-row') == 3
    assert a1_members[3].name not in body
    body = client.get(url, {"org": world.branch_a1.pk, "kind": "themed_day"}).content.decode()
    assert body.count('class="list-group-item hf-att-row') == len(a1_members)
    page = client.get(reverse("activities:create"), {"org": world.branch_a2.pk})
    assert page.status_code == 404  # not the secretary's branch


def test_calendar_shows_not_applicable_cells(client, world):
    client.force_login(world.secretary)
    body = client.get(reverse("activities:calendar"), {"org": world.branch_a1.pk, "year": 2025}).content.decode()
    assert 'data-cell="committee_meeting-1" data-state="na"' in body
    assert "not applicable" in body
