import datetime

import pytest
from django.utils import timezone

from accounts.models import Role
from elections import actions
from tests.factories import MemberFactory, UserFactory, assign


@pytest.fixture
def oncommit(django_capture_on_commit_callbacks):
    """Run on_commit callbacks (notifications) as the test's transactions 'commit'."""

    def run(fn, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return fn(*args, **kwargs)

    return run


@pytest.fixture
def branch_members(world):
    """Branch A1's active full members: member A1, member A1乙, the group's member, and five more."""
    extra = [MemberFactory(name=f"支委{i}", organization=world.branch_a1) for i in range(5)]
    return [world.member_a1, world.member_a1_other, world.member_group, *extra]


@pytest.fixture
def committee_secretary(world):
    """The secretary of the committee above branch A1 (the level above)."""
    return assign(UserFactory(username="committee_secretary"), Role.BRANCH_SECRETARY, world.committee)


def seats(members, posts=("secretary", "organization", "propaganda")):
    return [actions.Seat(member=m, post=p) for m, p in zip(members, posts, strict=False)]


def record(
    world,
    members,
    *,
    by=None,
    organization=None,
    held_on=None,
    posts=("secretary", "organization", "propaganda"),
    eligible_voters=8,
    votes_cast=8,
    **kwargs,
):
    """Branch A1's secretary records an election of branch A1 held three days ago (by default)."""
    return actions.election_record(
        organization=organization or world.branch_a1,
        by=by or world.secretary,
        held_on=held_on or timezone.localdate() - datetime.timedelta(days=3),
        seats=seats(members, posts),
        eligible_voters=eligible_voters,
        votes_cast=votes_cast,
        **kwargs,
    )
