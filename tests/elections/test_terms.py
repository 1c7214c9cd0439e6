"""The term of office: derived from its start and the kind's length, bounded, and its alerts at the
edges (six months, 90 days, the end)."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from elections import actions
from elections.models import TermRule
from parks import rules as park_rules
from parks.models import Organization
from stats import alerts
from stats.statistics import StatScope
from tests.factories import MemberFactory, OrganizationFactory

from .factories import elected

pytestmark = pytest.mark.django_db


def test_elected_on_29_february_for_three_years_ends_on_28_february(world):
    branch = OrganizationFactory(term_start=datetime.date(2024, 2, 29))
    assert branch.term_end == datetime.date(2027, 2, 28)


def test_an_approved_election_on_29_february_gives_the_same_end(world):
    members = [MemberFactory(organization=world.branch_a1) for _ in range(3)]
    election = actions.election_record(
        organization=world.branch_a1,
        by=world.secretary,
        held_on=datetime.date(2024, 2, 29),
        eligible_voters=5,
        votes_cast=5,
        seats=[
            actions.Seat(member=m, post=p)
            for m, p in zip(members, ["secretary", "organization", "member"], strict=True)
        ],
    )
    election = actions.election_approve(election=election, by=world.park_admin)
    assert election.term_end == datetime.date(2027, 2, 28)
    assert Organization.objects.get(pk=world.branch_a1.pk).term_end == datetime.date(2027, 2, 28)


def test_a_party_committee_serves_five_years(world):
    committee = OrganizationFactory(kind=Organization.Kind.COMMITTEE, term_start=datetime.date(2023, 7, 1))
    assert committee.term_end == datetime.date(2028, 7, 1)
    branch = OrganizationFactory(kind=Organization.Kind.GENERAL_BRANCH, term_start=datetime.date(2023, 7, 1))
    assert branch.term_end == datetime.date(2026, 7, 1)


def test_editing_the_start_moves_the_end(world):
    branch = OrganizationFactory(term_start=datetime.date(2020, 1, 1))
    assert branch.term_end == datetime.date(2023, 1, 1)
    branch.term_start = datetime.date(2024, 3, 15)
    branch.save()
    assert Organization.objects.get(pk=branch.pk).term_end == datetime.date(2027, 3, 15)
    # An end entered on its own does not stick: it follows the start.
    branch.term_end = datetime.date(2040, 1, 1)
    branch.save()
    assert Organization.objects.get(pk=branch.pk).term_end == datetime.date(2027, 3, 15)
    branch.term_start = None
    branch.save()
    assert Organization.objects.get(pk=branch.pk).term_end is None


def test_the_term_rule_is_editable_data(world):
    TermRule.objects.filter(kind="branch").update(years=4)
    assert OrganizationFactory(term_start=datetime.date(2024, 1, 1)).term_end == datetime.date(2028, 1, 1)


def test_a_ten_year_term_rule_is_refused(world):
    rule = TermRule.objects.get(kind="branch")
    rule.years = 10
    with pytest.raises(ValidationError) as exc:
        rule.full_clean()
    assert "years" in exc.value.message_dict
    with pytest.raises(IntegrityError), transaction.atomic():
        TermRule.objects.filter(kind="branch").update(years=10)
    rule.years = 5
    rule.full_clean()  # the longest term allowed


def test_a_term_longer_than_five_years_is_refused_by_the_organisation(world):
    """Whatever the source of the lengths, an organisation refuses a term over 5 years."""
    try:
        park_rules.use_term_years(lambda: {"branch": 10})
        branch = Organization(
            name="十年支部", code="TEN01", district=world.district_a, term_start=datetime.date(2024, 1, 1)
        )
        with pytest.raises(ValidationError) as exc:
            branch.clean()
        assert "5 years" in " ".join(exc.value.message_dict["term_start"])
    finally:
        from elections.selectors import term_years_table

        park_rules.use_term_years(term_years_table)


# --- alerts at the edges --------------------------------------------------------------------------

END = datetime.date(2027, 2, 28)  # the term of an election held on 2024-02-29


def term_alerts(world, today):
    scope = StatScope.of(world.district_a)
    found = {}
    for group in alerts.alerts_for(world.official, scope, today=today):
        if group.code.startswith("term_"):
            for item in group.items:
                if item.subject == "支部A1":
                    found[group.code] = item.detail
    return found


@pytest.fixture
def elected_branch(world):
    members = [MemberFactory(organization=world.branch_a1) for _ in range(3)]
    elected(world.branch_a1, members, held_on=datetime.date(2024, 2, 29))
    Organization.objects.filter(pk=world.branch_a1.pk).update(term_start=datetime.date(2024, 2, 29), term_end=END)


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (datetime.date(2026, 8, 27), set()),  # the day before six months
        (datetime.date(2026, 8, 28), {"term_notice"}),  # six months before, to the day
        (datetime.date(2026, 8, 29), {"term_notice"}),
        (END - datetime.timedelta(days=91), {"term_notice"}),  # the day before the 90 days
        (END - datetime.timedelta(days=90), {"term_ending"}),
        (END - datetime.timedelta(days=89), {"term_ending"}),
        (END - datetime.timedelta(days=1), {"term_ending"}),
        (END, {"term_ending"}),  # the last day of the term
        (END + datetime.timedelta(days=1), {"term_expired"}),
    ],
)
def test_term_alerts_at_the_edges(world, elected_branch, today, expected):
    found = term_alerts(world, today)
    assert set(found) == expected
    if found:
        assert "2027-02-28" in next(iter(found.values()))


def test_term_stage_rules():
    end = datetime.date(2026, 8, 31)
    assert park_rules.term_stage(end, datetime.date(2026, 2, 27)) == park_rules.OK
    assert park_rules.term_stage(end, datetime.date(2026, 2, 28)) == park_rules.NOTICE  # 31 Aug - 6 months, clamped
    assert park_rules.term_stage(None, end) == park_rules.UNKNOWN


def test_the_notice_counts_as_running_for_the_organisation_badges(world):
    branch = OrganizationFactory(term_start=datetime.date(2024, 2, 29))
    assert branch.term_status(datetime.date(2026, 9, 1)) == "ok"
    assert branch.term_status(datetime.date(2026, 11, 30)) == "ending"
    assert branch.term_status(datetime.date(2027, 3, 1)) == "expired"
