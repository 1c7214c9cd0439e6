"""Elections written straight to the database, for tests that need a recorded committee (the
actions' own tests go through elections.actions)."""

import datetime

from elections.models import CommitteeSeat, Election

POSTS = ["secretary", "organization", "propaganda", "discipline", "youth", "women", "member"]


def elected(organization, members, *, held_on=datetime.date(2025, 1, 10), status=Election.Status.APPROVED):
    """An election of ``organization`` that elected ``members`` (the first as secretary)."""
    election = Election.objects.create(
        organization=organization,
        held_on=held_on,
        eligible_voters=max(len(members), 1),
        votes_cast=max(len(members), 1),
        status=status,
    )
    CommitteeSeat.objects.bulk_create(
        [CommitteeSeat(election=election, member=m, post=POSTS[i]) for i, m in enumerate(members)]
    )
    return election
