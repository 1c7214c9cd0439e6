"""The dashboard's organisation rules at their edges (docs/rules.md, "Branch activity, size and
blank spots"): the 60th and 61st day without a held activity, exactly 50 and 51 party members,
2 and 3 full members in an enterprise, the 7th and 8th day of a transfer request."""

import datetime

import pytest
from django.utils import timezone

from members.models import Stage, Transfer
from stats import alerts
from stats.statistics import StatScope
from tests.activities.factories import ActivityFactory
from tests.factories import EnterpriseFactory, MemberFactory, OrganizationFactory

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 6, 15)
D = datetime.timedelta


def subjects(world, code, today=TODAY):
    return [a.subject for a in alerts.alerts_of_kind(world.official, StatScope.of(world.district_a), code, today=today)]


def moment(day, hour=10):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


@pytest.mark.parametrize(("days_ago", "flagged"), [(59, False), (60, False), (61, True)])
def test_a_branch_is_inactive_from_the_61st_day_after_its_last_held_activity(world, days_ago, flagged):
    branch = OrganizationFactory(name="边界支部", park=world.park_a1, founded_on=datetime.date(2020, 1, 1))
    # Late in the evening in Shanghai: the local day counts, not the UTC one.
    ActivityFactory(host=branch, kind="themed_day", starts_at=moment(TODAY - D(days_ago), hour=23))
    assert ("边界支部" in subjects(world, "inactive_branch")) is flagged


@pytest.mark.parametrize(("founded_days_ago", "flagged"), [(60, False), (61, True)])
def test_a_new_branch_without_activity_is_flagged_once_it_has_had_60_days(world, founded_days_ago, flagged):
    OrganizationFactory(name="新建支部", park=world.park_a1, founded_on=TODAY - D(founded_days_ago))
    assert ("新建支部" in subjects(world, "inactive_branch")) is flagged


@pytest.mark.parametrize(("members", "flagged"), [(50, False), (51, True)])
def test_a_branch_is_too_big_above_50_party_members(world, members, flagged):
    branch = OrganizationFactory(name="规模支部", park=world.park_a1)
    for _ in range(members - 10):
        MemberFactory(organization=branch)
    for _ in range(10):  # probationary members are party members too
        MemberFactory(organization=branch, stage=Stage.PROBATIONARY, full_on=None)
    assert ("规模支部" in subjects(world, "branch_too_big")) is flagged


@pytest.mark.parametrize(("full", "flagged"), [(2, False), (3, True)])
def test_an_enterprise_with_three_full_members_needs_its_own_organisation(world, full, flagged):
    enterprise = EnterpriseFactory(name="边界企业", park=world.park_a1)
    for _ in range(full):
        MemberFactory(organization=world.branch_a2, employer=enterprise)
    # Probationary members do not count towards the three.
    MemberFactory(organization=world.branch_a2, employer=enterprise, stage=Stage.PROBATIONARY, full_on=None)
    assert ("边界企业" in subjects(world, "enterprise_without_branch")) is flagged


@pytest.mark.parametrize(("days_ago", "flagged"), [(6, False), (7, False), (8, True)])
def test_a_transfer_request_is_overdue_from_the_eighth_day(world, days_ago, flagged):
    t = Transfer.objects.create(
        member=world.member_a1, from_organization=world.branch_a1, to_organization=world.branch_a2, reason="调动"
    )
    Transfer.objects.filter(pk=t.pk).update(requested_at=moment(TODAY - D(days_ago)))
    assert ("成员A1" in subjects(world, "transfer_overdue")) is flagged
