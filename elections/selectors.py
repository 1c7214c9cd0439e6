"""Reads of elections: the current (approved) election of organisations and the committees they elected.

"Current" on a day is the latest approved election held on or before that day; a committee serves
until the next election even when its term has run out (the term alerts say that it has).
"""

import datetime
from collections import defaultdict

from django.db.models import Count
from django.utils import timezone

from . import rules
from .models import CommitteeSeat, Election, TermRule


def term_years(kind: str) -> int:
    """The term length of an organisation kind: its TermRule row, else the rules' default."""
    row = TermRule.objects.filter(kind=kind).values_list("years", flat=True).first()
    return row or rules.DEFAULT_TERM_YEARS.get(kind, rules.FALLBACK_TERM_YEARS)


def current_elections(organization_ids=None, *, on: datetime.date | None = None) -> dict[int, Election]:
    """{organisation id: its current approved election on ``on``} for the given organisations (all if None).

    Two queries whatever the number of organisations (the elections, then their seat counts are
    annotated as ``seat_count``).
    """
    on = on or timezone.localdate()
    elections = Election.objects.approved().filter(held_on__lte=on)
    if organization_ids is not None:
        elections = elections.filter(organization_id__in=list(organization_ids))
    elections = elections.annotate(seat_count=Count("seats")).order_by("organization_id", "-held_on", "-pk")
    current = {}
    for election in elections:
        current.setdefault(election.organization_id, election)
    return current


def committee_organization_ids(organization_ids=None, *, on: datetime.date | None = None) -> set[int]:
    """The organisations that have a committee on ``on``: their current election elected at least
    ``rules.COMMITTEE_MIN_SEATS`` members (a secretary alone, or with a deputy, is no committee)."""
    return {
        org_id
        for org_id, election in current_elections(organization_ids, on=on).items()
        if rules.is_committee(election.seat_count)
    }


def committee_member_ids(organization, *, on: datetime.date | None = None) -> set[int]:
    """The ids of the members on ``organization``'s current committee (empty if it has none)."""
    election = current_elections([organization.pk], on=on).get(organization.pk)
    if election is None or not rules.is_committee(election.seat_count):
        return set()
    return set(CommitteeSeat.objects.filter(election=election).values_list("member_id", flat=True))


def pending_elections(user):
    """Elections awaiting approval that ``user`` may see, oldest first."""
    return (
        Election.objects.visible_to(user)
        .filter(status=Election.Status.SUBMITTED)
        .select_related("organization", "organization__parent")
        .order_by("held_on", "pk")
    )


def elections_of(organization):
    return organization.elections.annotate(seat_count=Count("seats")).order_by("-held_on", "-pk")


def committee_organization_ids_on(organization_ids, days) -> dict[datetime.date, set[int]]:
    """{day: the organisations that have a committee on that day} for several days at once: what
    ``committee_organization_ids(organization_ids, on=day)`` gives for each day, in one query
    (the compliance grid asks it for every month of a year)."""
    days = sorted(set(days))
    if not days:
        return {}
    elections = Election.objects.approved().filter(held_on__lte=days[-1])
    if organization_ids is not None:
        elections = elections.filter(organization_id__in=list(organization_ids))
    history = defaultdict(list)  # organisation → [(held on, is a committee)], latest first
    rows = (
        elections.annotate(seat_count=Count("seats"))
        .order_by("organization_id", "-held_on", "-pk")
        .values_list("organization_id", "held_on", "seat_count")
    )
    for org_id, held_on, seats in rows:
        history[org_id].append((held_on, rules.is_committee(seats)))
    result = {day: set() for day in days}
    for org_id, elected in history.items():
        for day in days:
            # The current election on ``day``: the latest held on or before it.
            current = next((committee for held_on, committee in elected if held_on <= day), False)
            if current:
                result[day].add(org_id)
    return result
