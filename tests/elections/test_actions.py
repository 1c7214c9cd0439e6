"""Recording an election and the level above's decision (elections.actions)."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from elections import actions
from elections.models import CommitteeSeat, Election
from members.models import Member, Stage
from notifications.models import Notification
from parks.models import Organization
from parks.rules import add_years
from tests.factories import MemberFactory

from .conftest import record

pytestmark = pytest.mark.django_db


def messages(exc_info) -> str:
    return " ".join(exc_info.value.messages)


def test_record_then_approve_starts_the_term_and_sets_the_secretary(world, branch_members, oncommit):
    held_on = timezone.localdate() - datetime.timedelta(days=3)
    election = oncommit(record, world, branch_members[:3], held_on=held_on)
    assert election.status == Election.Status.SUBMITTED
    assert [s.post for s in election.seats.order_by("pk")] == ["secretary", "organization", "propaganda"]
    # The next actor, the level above (the park's administrator here), is told; the recorder is not.
    assert Notification.objects.filter(recipient=world.park_admin).count() == 1
    assert not Notification.objects.filter(recipient=world.secretary).exists()
    branch = Organization.objects.get(pk=world.branch_a1.pk)
    assert branch.term_start is None  # nothing changes before the approval

    election = oncommit(actions.election_approve, election=election, by=world.park_admin)
    assert election.status == Election.Status.APPROVED
    assert election.decided_by == world.park_admin
    assert election.term_end == add_years(held_on, 3)  # a branch's term
    branch.refresh_from_db()
    assert branch.term_start == held_on
    assert branch.term_end == election.term_end
    assert branch.secretary_id == branch_members[0].pk
    assert Notification.objects.filter(recipient=world.secretary, title__contains="approved").count() == 1


def test_the_organisations_own_secretary_cannot_approve(world, branch_members):
    election = record(world, branch_members[:3])
    with pytest.raises(ValidationError, match="level above"):
        actions.election_approve(election=election, by=world.secretary)
    assert Election.objects.get(pk=election.pk).status == Election.Status.SUBMITTED


@pytest.mark.parametrize("who", ["park_admin", "official", "committee_secretary", "superuser"])
def test_the_level_above_approves(world, branch_members, committee_secretary, who):
    user = committee_secretary if who == "committee_secretary" else getattr(world, who)
    election = record(world, branch_members[:3])
    assert actions.election_approve(election=election, by=user).status == Election.Status.APPROVED


@pytest.mark.parametrize("who", ["secretary", "member_user", "service", "official_b", "secretary_b", "outsider"])
def test_others_cannot_decide(world, branch_members, who):
    election = record(world, branch_members[:3])
    with pytest.raises(ValidationError):
        actions.election_approve(election=election, by=getattr(world, who))
    with pytest.raises(ValidationError):
        actions.election_reject(election=election, by=getattr(world, who), reason="不符合程序")


def test_reject_needs_a_reason_and_leaves_the_term(world, branch_members, oncommit):
    election = record(world, branch_members[:3])
    with pytest.raises(ValidationError, match="reason"):
        actions.election_reject(election=election, by=world.park_admin, reason="  ")
    election = oncommit(actions.election_reject, election=election, by=world.park_admin, reason="票数统计有误")
    assert election.status == Election.Status.REJECTED
    assert election.decision_note == "票数统计有误"
    assert Organization.objects.get(pk=world.branch_a1.pk).term_start is None
    assert Notification.objects.filter(recipient=world.secretary, title__contains="rejected").count() == 1
    # Decided once: neither step again.
    with pytest.raises(ValidationError, match="cannot be approved"):
        actions.election_approve(election=election, by=world.park_admin)
    # The organisation records it again.
    assert record(world, branch_members[:3]).status == Election.Status.SUBMITTED


def test_one_election_awaits_approval_at_a_time(world, branch_members):
    record(world, branch_members[:3])
    with pytest.raises(ValidationError, match="already awaiting"):
        record(world, branch_members[:3])
    assert Election.objects.filter(organization=world.branch_a1).count() == 1


def test_who_may_record(world, branch_members):
    assert record(world, branch_members[:1], posts=("secretary",), by=world.park_admin)
    for user in (world.member_user, world.official, world.secretary_b, world.service):
        with pytest.raises(ValidationError, match="may not record"):
            record(world, branch_members[:1], posts=("secretary",), by=user, organization=world.branch_a2)
    with pytest.raises(ValidationError, match="party group"):
        record(world, [world.member_group], posts=("secretary",), organization=world.group_a1)


@pytest.mark.parametrize(
    ("n", "ok"),
    [(0, False), (1, True), (3, True), (7, True), (8, False)],
)
def test_seat_count_is_one_to_seven(world, n, ok):
    members = [MemberFactory(organization=world.branch_a1) for _ in range(8)]
    posts = ["secretary", "organization", "propaganda", "discipline", "youth", "women", "member", "member"][:n]
    if ok:
        assert record(world, members[:n], posts=posts, eligible_voters=10, votes_cast=10).seats.count() == n
    else:
        with pytest.raises(ValidationError, match="1 to 7"):
            record(world, members[:n], posts=posts, eligible_voters=10, votes_cast=10)


def test_exactly_one_secretary(world, branch_members):
    with pytest.raises(ValidationError, match="Exactly one"):
        record(world, branch_members[:3], posts=("organization", "propaganda", "member"))
    with pytest.raises(ValidationError, match="Exactly one"):
        record(world, branch_members[:3], posts=("secretary", "secretary", "member"))


def test_without_a_committee_only_a_secretary_and_a_deputy(world, branch_members):
    assert record(world, branch_members[:2], posts=("secretary", "deputy_secretary"))
    Election.objects.all().delete()
    with pytest.raises(ValidationError, match="only a secretary and a deputy"):
        record(world, branch_members[:2], posts=("secretary", "organization"))


def test_seats_are_active_full_members_of_the_organisation_or_its_sub_units(world, branch_members):
    probationary = MemberFactory(organization=world.branch_a1, stage=Stage.PROBATIONARY, full_on=None)
    gone = MemberFactory(organization=world.branch_a1, status=Member.Status.TRANSFERRED_OUT)
    for outsider in (world.member_a2, world.member_b, probationary, gone):
        with pytest.raises(ValidationError, match="Only active full members"):
            record(world, [branch_members[0], branch_members[1], outsider])
    # The party group's member belongs to a sub-unit: electable.
    assert record(world, [world.member_group, branch_members[0], branch_members[1]])


def test_a_member_holds_one_seat(world, branch_members):
    with pytest.raises(ValidationError, match="one seat"):
        record(world, [branch_members[0], branch_members[0], branch_members[1]])


def test_held_on_bounds(world, branch_members):
    today = timezone.localdate()
    with pytest.raises(ValidationError, match="before it is held"):
        record(world, branch_members[:3], held_on=today + datetime.timedelta(days=1))
    assert record(world, branch_members[:3], held_on=today).held_on == today
    Election.objects.all().delete()
    with pytest.raises(ValidationError, match="1921"):
        record(world, branch_members[:3], held_on=datetime.date(1921, 6, 30))
    Organization.objects.filter(pk=world.branch_a1.pk).update(founded_on=datetime.date(2020, 5, 1))
    world.branch_a1.refresh_from_db()
    with pytest.raises(ValidationError, match="founded on 2020-05-01"):
        record(world, branch_members[:3], held_on=datetime.date(2020, 4, 30))
    assert record(world, branch_members[:3], held_on=datetime.date(2020, 5, 1))


def test_votes_are_bounded_and_need_a_quorum_and_a_majority(world, branch_members):
    # More than four fifths must vote: 8 of 10 is exactly 4/5 and not enough; 9 of 10 is.
    with pytest.raises(ValidationError, match="four fifths"):
        record(world, branch_members[:3], eligible_voters=10, votes_cast=8)
    with pytest.raises(ValidationError, match="between 1 and"):
        record(world, branch_members[:3], eligible_voters=10, votes_cast=11)
    with pytest.raises(ValidationError, match="entitled to vote"):
        record(world, branch_members[:3], eligible_voters=0, votes_cast=0)

    def with_votes(votes):
        return actions.election_record(
            organization=world.branch_a1,
            by=world.secretary,
            held_on=timezone.localdate(),
            eligible_voters=10,
            votes_cast=10,
            seats=[
                actions.Seat(member=m, post=p, votes=v)
                for m, p, v in zip(branch_members, ["secretary", "organization", "propaganda"], votes, strict=False)
            ],
        )

    with pytest.raises(ValidationError, match="more than half"):
        with_votes([10, 9, 5])  # exactly half is not elected
    with pytest.raises(ValidationError, match="more votes than"):
        with_votes([11, 9, 9])
    election = with_votes([10, 9, 6])
    assert sorted(CommitteeSeat.objects.filter(election=election).values_list("votes", flat=True)) == [6, 9, 10]


def test_an_older_election_approved_later_leaves_the_current_term(world, branch_members):
    today = timezone.localdate()
    recent = record(world, branch_members[:3], held_on=today - datetime.timedelta(days=10))
    actions.election_approve(election=recent, by=world.park_admin)
    older = record(world, branch_members[3:4], posts=("secretary",), held_on=today - datetime.timedelta(days=4 * 365))
    older = actions.election_approve(election=older, by=world.park_admin)
    branch = Organization.objects.get(pk=world.branch_a1.pk)
    assert branch.term_start == recent.held_on
    assert branch.secretary_id == branch_members[0].pk
    assert older.term_end is not None  # its own (past) term is stored on it
