"""Reads of elections: the current (approved) election of organisations and the committees they
elected, who decides an election, and the pages' lists.

"Current" on a day is the latest approved election held on or before that day; a committee serves
until the next election even when its term has run out (the term alerts say that it has).
"""

import datetime
from collections import defaultdict

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from core.querysets import NOTHING, evaluate
from core.scope import scope_for
from members.models import Member, Stage
from parks import rules as park_rules
from parks.models import Organization

from . import rules
from .models import CommitteeSeat, Election, TermRule


def term_years_table() -> dict[str, int]:
    """{organisation kind: years} of the TermRule rows (one query); ``parks.rules`` reads the term
    lengths through it (registered in ``ElectionsConfig.ready``)."""
    return dict(TermRule.objects.values_list("kind", "years"))


def term_years(kind: str) -> int:
    """The term length of an organisation kind: its TermRule row, else the rules' default."""
    return park_rules.term_years(kind)


def current_elections(organization_ids=None, *, on: datetime.date | None = None) -> dict[int, Election]:
    """{organisation id: its current approved election on ``on``} for the given organisations (all if None).

    One query whatever the number of organisations (the seat counts are annotated as ``seat_count``).
    """
    on = on or timezone.localdate()
    elections = Election.objects.approved().filter(held_on__lte=on)
    if organization_ids is not None:
        # A query of ids stays a subquery; anything else becomes a list.
        ids = organization_ids if isinstance(organization_ids, QuerySet) else list(organization_ids)
        elections = elections.filter(organization_id__in=ids)
    elections = elections.annotate(seat_count=Count("seats")).order_by("organization_id", "-held_on", "-pk")
    current = {}
    for election in elections:
        current.setdefault(election.organization_id, election)
    return current


def committee_organization_ids(organization_ids=None, *, on: datetime.date | None = None) -> set[int]:
    """The organisations that have a committee on ``on``: their current election elected at least
    ``rules.COMMITTEE_MIN_SEATS`` members (a secretary alone, or with a deputy, is no committee).
    One query; ``organization_ids`` may be a query of ids (it stays a subquery)."""
    on = on or timezone.localdate()
    elections = Election.objects.approved().filter(held_on__lte=on)
    if organization_ids is not None:
        ids = organization_ids if isinstance(organization_ids, QuerySet) else list(organization_ids)
        elections = elections.filter(organization_id__in=ids)
    # current_elections' order and choice, read as tuples: a district's thousands of elections
    # are not built as model instances to read one count of each.
    rows = (
        elections.annotate(seat_count=Count("seats"))
        .order_by("organization_id", "-held_on", "-pk")
        .values_list("organization_id", "seat_count")
    )
    current = {}
    for org_id, seat_count in rows:
        current.setdefault(org_id, seat_count)
    return {org_id for org_id, seat_count in current.items() if rules.is_committee(seat_count)}


def committee_member_ids(organization, *, on: datetime.date | None = None) -> set[int]:
    """The ids of the members on ``organization``'s current committee (empty if it has none)."""
    election = current_elections([organization.pk], on=on).get(organization.pk)
    if election is None or not rules.is_committee(election.seat_count):
        return set()
    return set(CommitteeSeat.objects.filter(election=election).values_list("member_id", flat=True))


# --- who records and who decides ------------------------------------------------------------------


def deciders_condition(scope, prefix: str = "") -> Q | None:
    """The organisations (``prefix`` leads from a model to the organisation) whose elections a
    user of ``scope`` decides: the level above — a secretary of the parent organisation (or of a
    unit above it), the administrator of its park, an official of its district. The organisation's
    own secretary is not the level above. None: every organisation (a superuser)."""
    if scope.superuser:
        return None
    if not scope.has_any_role:
        return NOTHING
    return scope.q(district=f"{prefix}district", park=f"{prefix}park", org=f"{prefix}parent")


def may_decide(user, organization) -> bool:
    """Whether ``user`` approves or rejects the elections of ``organization`` (no query)."""
    condition = deciders_condition(scope_for(user))
    return condition is None or evaluate(condition, organization)


def may_record(user, organization) -> bool:
    """Whether ``user`` records an election of ``organization``: its secretary (or of a unit above
    it), the administrator of its park, a superuser — the elections' "change" (no query)."""
    if organization is None or user is None or not user.is_authenticated:
        return False
    return Election.objects.allows(user, Election(organization=organization))


def recordable_organizations(user):
    """The organisations (not party groups: they elect no committee) whose elections ``user`` records."""
    return (
        Election.objects.targets(user, "organization")
        .exclude(kind=Organization.Kind.GROUP)
        .select_related("park", "parent")
        .order_by("name", "pk")
    )


def pending_elections(user):
    """Elections awaiting ``user``'s decision (the level above's inbox), oldest first."""
    condition = deciders_condition(scope_for(user), "organization__")
    queryset = Election.objects.filter(status=Election.Status.SUBMITTED)
    if condition is not None:
        queryset = queryset.filter(condition)
    return (
        queryset.select_related("organization", "organization__parent", "organization__park", "recorded_by")
        .annotate(seat_count=Count("seats"))
        .prefetch_related(_seats())
        .order_by("held_on", "pk")
    )


# --- the pages ------------------------------------------------------------------------------------


def _seats():
    return Prefetch("seats", queryset=CommitteeSeat.objects.select_related("member").order_by("pk"))


def elections_of(organization):
    """The organisation's elections, newest first, with their seats (3 queries in all)."""
    return (
        organization.elections.select_related("recorded_by", "decided_by")
        .annotate(seat_count=Count("seats"))
        .prefetch_related(_seats())
        .order_by("-held_on", "-pk")
    )


def visible_election(user, pk) -> Election:
    """An election ``user`` may see (``Election.DoesNotExist`` outside the scope)."""
    return (
        Election.objects.visible_to(user)
        .select_related(
            "organization",
            "organization__parent",
            "organization__park",
            "recorded_by",
            "recorded_by__member",
            "decided_by",
            "decided_by__member",
        )
        .annotate(seat_count=Count("seats"))
        .prefetch_related(_seats())
        .get(pk=pk)
    )


def electable_members(organization):
    """The members who may be elected in ``organization``: its active full members and those of
    its sub-units (rules: only full members vote and stand)."""
    ids = Organization.objects.with_descendants({organization.pk})
    return Member.objects.filter(organization__in=ids, status=Member.Status.ACTIVE, stage=Stage.FULL).order_by(
        "name", "pk"
    )


def committee_organization_ids_on(organization_ids, days) -> dict[datetime.date, set[int]]:
    """{day: the organisations that have a committee on that day} for several days at once: what
    ``committee_organization_ids(organization_ids, on=day)`` gives for each day, in one query
    (the compliance grid asks it for every month of a year)."""
    days = sorted(set(days))
    if not days:
        return {}
    elections = Election.objects.approved().filter(held_on__lte=days[-1])
    if organization_ids is not None:
        # A query of ids stays a subquery; anything else becomes a list.
        ids = organization_ids if isinstance(organization_ids, QuerySet) else list(organization_ids)
        elections = elections.filter(organization_id__in=ids)
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
