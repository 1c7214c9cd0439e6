"""The rules' subjects in the statistics, the heatmap and the alerts: a 支委会 or 党小组会 period
where the rule does not bind the branch is in no rate (summary and live alike), shows "n/a" on the
heatmap, and a 党支部 with fewer than 3 full members is flagged (parks/rules.py)."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from elections.models import CommitteeSeat, Election
from members.models import Stage
from parks.models import Organization
from stats import alerts, dashboards
from stats.statistics import StatScope, figures
from tests.factories import MemberFactory, OrganizationFactory

from .statistics_world import JUNE, MAY, Q2, TODAY, YEAR

pytestmark = pytest.mark.django_db


def elect(organization, held_on, members):
    election = Election.objects.create(
        organization=organization, held_on=held_on, eligible_voters=9, votes_cast=9, status=Election.Status.APPROVED
    )
    for i, member in enumerate(members):
        CommitteeSeat.objects.create(election=election, member=member, post="secretary" if i == 0 else "member")


def test_summary_and_live_agree_when_a_committee_is_elected_mid_quarter(w):
    # B3 elects a committee on 15 May (its 支委会 binds from June), B2 only a secretary.
    elect(w.b3, datetime.date(2026, 5, 15), [w.m7, w.m8, w.m10])
    elect(w.b2, datetime.date(2026, 1, 10), [w.m5])
    for period in (MAY, JUNE, Q2, YEAR):
        summary = figures(StatScope.of(w.d), period, today=TODAY)["activities"]["compliance_rate"]
        live = figures(StatScope.of(w.d), period, live=True, today=TODAY)["activities"]["compliance_rate"]
        assert summary == live, period
    # June: themed day × 3, 支委会 of B1 and B3, 党小组会 of B1 = 6 cells; met: B3's themed day.
    assert figures(StatScope.of(w.d), JUNE, today=TODAY)["activities"]["compliance_rate"] == round(1 / 6, 4)
    # May: B3's committee came after 1 May, so still 5 cells (as without it), 2 met.
    assert figures(StatScope.of(w.d), MAY, today=TODAY)["activities"]["compliance_rate"] == round(2 / 5, 4)


def test_heatmap_marks_rules_that_do_not_bind_a_branch(w):
    rows = dashboards.scores(StatScope.of(w.d), year=2026, today=TODAY)
    by_name = {s.name: {rule.kind: applicable for rule, _m, _e, applicable in s.rules} for s in rows}
    assert by_name["B1"]["group_meeting"]
    assert by_name["B1"]["committee_meeting"]
    assert not by_name["B2"]["group_meeting"]
    assert not by_name["B3"]["committee_meeting"]
    assert by_name["B2"]["themed_day"]
    assert by_name["B3"]["party_congress"]


def test_dashboard_heatmap_shows_na_not_zero_for_group_meetings_without_groups(client, w):
    from tests.factories import UserFactory

    admin = UserFactory(is_superuser=True, is_staff=True)
    client.force_login(admin)
    response = client.get(reverse("dashboard_compliance", args=["district", w.d.pk]), {"period": "2026"})
    heat = response.context["heatmap"]
    column = heat["x"].index("party group meeting")
    cells = {heat["y"][y]: rest for x, y, *rest in heat["data"] if x == column}
    assert cells["B2"] == [None, "na"]
    assert cells["B3"] == [None, "na"]
    assert cells["B1"] != [None, "na"]
    assert response.context["heatmap_labels"]["not_applicable"]


def full(n, organization, **kwargs):
    return [MemberFactory(organization=organization, stage=Stage.FULL, **kwargs) for _ in range(n)]


def too_small(world):
    scope = StatScope.of(world.district_a)
    return sorted(a.subject for a in alerts.alerts_of_kind(world.official, scope, "branch_too_small", today=TODAY))


def test_branch_with_fewer_than_three_full_members(world):
    two = OrganizationFactory(name="两人支部", park=world.park_a1, kind=Organization.Kind.BRANCH)
    full(2, two)
    MemberFactory(organization=two, stage=Stage.PROBATIONARY, full_on=None)  # not a full member
    three = OrganizationFactory(name="三人支部", park=world.park_a1, kind=Organization.Kind.BRANCH)
    full(2, three)
    group = OrganizationFactory(park=world.park_a1, parent=three, kind=Organization.Kind.GROUP)
    full(1, group)  # a party group's members count for its branch: 3
    joint = OrganizationFactory(name="联合支部", park=world.park_a1, kind=Organization.Kind.JOINT_BRANCH)
    full(1, joint)  # a joint branch is where small units belong
    flagged = too_small(world)
    assert "两人支部" in flagged
    assert "三人支部" not in flagged
    assert "联合支部" not in flagged
    # The scenario's own branches: A1 has 3 full members (two and its group's one), A2 one.
    assert "支部A2" in flagged
    assert "支部A1" not in flagged
    MemberFactory(organization=two, stage=Stage.FULL)
    assert "两人支部" not in too_small(world)


def test_branch_too_small_costs_no_query_per_branch(world):
    scope = StatScope.of(world.district_a)
    OrganizationFactory(park=world.park_a1)
    alerts.alerts_for(world.official, scope, today=TODAY)  # the user's scope is computed once, then kept
    with CaptureQueriesContext(connection) as small:
        alerts.alerts_for(world.official, scope, today=TODAY)
    for _ in range(5):
        full(1, OrganizationFactory(park=world.park_a1))
    alerts.alerts_for(world.official, scope, today=TODAY)  # the member counts cached again (after the writes)
    with CaptureQueriesContext(connection) as big:
        groups = alerts.alerts_for(world.official, scope, today=TODAY)
    assert len(big) == len(small)
    assert {g.code: g.count for g in groups}["branch_too_small"] >= 6
