"""The rules of organisation life at their edges (docs/rules.md, "三会一课 frequencies" and "The
party congress quorum"): exactly half of the voting members, the last and first moments of a
quarter and a year in the portal's time zone, a leap day, the day a period closes, and the rule
rows as editable data."""

import datetime

import pytest

from activities import rules, selectors
from activities.actions import AttendanceInput
from activities.models import ComplianceRule
from notifications.models import Notification
from tests.factories import MemberFactory

from .conftest import local

pytestmark = pytest.mark.django_db


def row_of(organization, kind, *, year, today):
    branch = selectors.compliance([organization], year=year, today=today)[0]
    return branch, next(r for r in branch.rows if r.rule.kind == kind)


def states(row):
    return {cell.period.label: cell.state for cell in row.cells}


# --- the party congress quorum: more than half of the full members present ------------------------


@pytest.mark.parametrize(
    ("present", "voting", "met"),
    [
        (3, 6, False),
        (4, 6, True),
        (2, 5, False),
        (3, 5, True),
        (1, 2, False),
        (2, 2, True),
        (1, 1, True),
        (0, 0, False),
    ],
)
def test_quorum_is_more_than_half_of_the_voting_members(present, voting, met):
    assert rules.congress_quorum_met(present, voting) is met


@pytest.fixture
def six_full(world):
    """Branch A1 with six full members (the world's three and three more), who vote."""
    return [world.member_a1, world.member_a1_other, world.member_group] + [
        MemberFactory(organization=world.branch_a1) for _ in range(3)
    ]


@pytest.mark.parametrize(("present", "counts"), [(3, False), (4, True)])
def test_a_congress_with_exactly_half_present_does_not_count_one_more_does(
    world, log, six_full, present, counts, django_capture_on_commit_callbacks
):
    entries = [
        AttendanceInput(member_id=m.pk, status="present" if i < present else "absent") for i, m in enumerate(six_full)
    ]
    with django_capture_on_commit_callbacks(execute=True):
        congress = log(kind="party_congress", title="党员大会", starts_at=local(2025, 5, 20), attendance=entries)
    assert (congress.voting_members, congress.voting_present) == (6, present)
    assert congress.quorum_met is counts
    branch, row = row_of(world.branch_a1, "party_congress", year=2025, today=datetime.date(2025, 12, 31))
    assert states(row)["2025-Q2"] == ("held" if counts else "missing")
    assert branch.below_quorum == (0 if counts else 1)
    # Below quorum, the secretary who logged it is told so, with the count.
    told = Notification.objects.filter(recipient=world.secretary, url=congress.get_absolute_url())
    assert [("3" in n.body and "6" in n.body) for n in told] == ([] if counts else [True])


def test_a_congress_reaching_quorum_after_attendance_is_corrected_counts(world, log, six_full):
    from activities import actions

    entries = [AttendanceInput(member_id=m.pk, status="present" if i < 3 else "absent") for i, m in enumerate(six_full)]
    congress = log(kind="party_congress", title="党员大会", starts_at=local(2025, 5, 20), attendance=entries)
    assert congress.quorum_met is False
    congress = actions.attendance_record(
        activity=congress, by=world.secretary, entries=[AttendanceInput(member_id=six_full[3].pk)], reason="补录"
    )
    assert (congress.voting_present, congress.quorum_met) == (4, True)
    _branch, row = row_of(world.branch_a1, "party_congress", year=2025, today=datetime.date(2025, 12, 31))
    assert states(row)["2025-Q2"] == "held"


# --- periods: quarter and year ends in Asia/Shanghai, a leap day ----------------------------------


def test_a_congress_on_the_last_minute_of_a_quarter_counts_for_that_quarter(world, log):
    log(kind="party_congress", title="一季度党员大会", starts_at=local(2025, 3, 31, 23, 59))
    _branch, row = row_of(world.branch_a1, "party_congress", year=2025, today=datetime.date(2025, 12, 31))
    assert states(row) == {"2025-Q1": "held", "2025-Q2": "missing", "2025-Q3": "missing", "2025-Q4": "due_soon"}


def test_a_congress_at_midnight_opening_a_quarter_counts_for_the_new_quarter(world, log):
    log(kind="party_congress", title="二季度党员大会", starts_at=local(2025, 4, 1, 0, 0))
    _branch, row = row_of(world.branch_a1, "party_congress", year=2025, today=datetime.date(2025, 12, 31))
    assert states(row)["2025-Q1"] == "missing"
    assert states(row)["2025-Q2"] == "held"


@pytest.mark.parametrize(
    ("today", "q1"),
    [
        (datetime.date(2025, 3, 30), "due_soon"),  # the day before the quarter's last day
        (datetime.date(2025, 3, 31), "due_soon"),  # its last day: still open
        (datetime.date(2025, 4, 1), "missing"),  # the day after: missed
    ],
)
def test_a_quarter_without_a_congress_is_missing_only_from_the_day_after_it_ends(world, today, q1):
    _branch, row = row_of(world.branch_a1, "party_congress", year=2025, today=today)
    assert states(row)["2025-Q1"] == q1
    assert row.elapsed == (1 if q1 == "missing" else 0)


def test_compliance_is_periods_held_over_periods_elapsed(world, log):
    log(kind="party_congress", title="党员大会", starts_at=local(2025, 2, 10))
    # On 1 July: Q1 held, Q2 missed, Q3 open (not elapsed), Q4 not begun.
    _branch, row = row_of(world.branch_a1, "party_congress", year=2025, today=datetime.date(2025, 7, 1))
    assert states(row) == {"2025-Q1": "held", "2025-Q2": "missing", "2025-Q3": "due", "2025-Q4": "upcoming"}
    assert (row.met, row.elapsed) == (1, 2)
    # Two congresses in one quarter still make one period held.
    log(kind="party_congress", title="党员大会（二）", starts_at=local(2025, 3, 10))
    _branch, row = row_of(world.branch_a1, "party_congress", year=2025, today=datetime.date(2025, 7, 1))
    assert (row.met, row.elapsed) == (1, 2)


def test_a_themed_day_on_a_leap_day_counts_for_february(world, log):
    log(kind="themed_day", title="主题党日", starts_at=local(2024, 2, 29, 9, 0))
    _branch, row = row_of(world.branch_a1, "themed_day", year=2024, today=datetime.date(2024, 12, 31))
    assert states(row)["2024-02"] == "held"
    assert states(row)["2024-03"] == "missing"
    assert states(row)["2024-01"] == "missing"


def test_a_yearly_meeting_on_new_years_eve_counts_for_that_year_only(world, log):
    log(kind="life_meeting", title="组织生活会", starts_at=local(2024, 12, 31, 23, 30))
    _branch, row = row_of(world.branch_a1, "life_meeting", year=2024, today=datetime.date(2025, 1, 1))
    assert states(row) == {"2024": "held"}
    _branch, row = row_of(world.branch_a1, "life_meeting", year=2025, today=datetime.date(2026, 1, 1))
    assert states(row) == {"2025": "missing"}


# --- the frequencies are data ---------------------------------------------------------------------


def test_the_default_frequencies(db):
    rules = {r.kind: (r.period, r.minimum_count) for r in ComplianceRule.objects.filter(is_active=True)}
    assert rules == {
        "party_congress": ("quarter", 1),
        "committee_meeting": ("month", 1),
        "group_meeting": ("month", 1),
        "party_lecture": ("quarter", 1),
        "themed_day": ("month", 1),
        "life_meeting": ("year", 1),
        "democratic_review": ("year", 1),
    }


def test_a_district_that_edits_a_rule_is_judged_by_the_edited_row(world, log):
    log(kind="party_lecture", title="党课", starts_at=local(2025, 2, 10))
    _branch, row = row_of(world.branch_a1, "party_lecture", year=2025, today=datetime.date(2025, 12, 31))
    assert states(row)["2025-Q1"] == "held"
    ComplianceRule.objects.filter(kind="party_lecture").update(minimum_count=2)
    _branch, row = row_of(world.branch_a1, "party_lecture", year=2025, today=datetime.date(2025, 12, 31))
    assert states(row)["2025-Q1"] == "missing"
    log(kind="party_lecture", title="党课（二）", starts_at=local(2025, 3, 31, 20, 0))
    _branch, row = row_of(world.branch_a1, "party_lecture", year=2025, today=datetime.date(2025, 12, 31))
    assert states(row)["2025-Q1"] == "held"
    # A rule switched off is not judged at all.
    ComplianceRule.objects.filter(kind="party_lecture").update(is_active=False)
    branch = selectors.compliance([world.branch_a1], year=2025, today=datetime.date(2025, 12, 31))[0]
    assert "party_lecture" not in {r.rule.kind for r in branch.rows}
