"""Demo elections (换届): every demo organisation's current term comes from an approved election
held on its term's first day. A branch with 7 or more full members (its party groups included)
elected a committee of 3 to 5; a smaller one a secretary only; a party committee (党委) a committee
of 5 from its branches' members. The organisation whose term is overdue has recorded its new
election, which awaits the level above's approval (the approvers' inbox shows it).

Idempotent: organisations that already have an election are left alone.
"""

import datetime
import random
from collections import defaultdict

from django.utils import timezone

from elections import rules
from elections.models import CommitteeSeat, Election
from members.models import Member, Stage
from parks import rules as park_rules
from parks.models import Organization

COMMITTEE_POSTS = ["organization", "propaganda", "discipline", "deputy_secretary"]


def _tree_members(organizations) -> dict[int, list[int]]:
    """{organisation id: the ids of the active full members of it and its sub-units} (one query)."""
    parents = {org.pk: org.parent_id for org in organizations}
    direct = defaultdict(list)
    for member_id, org_id in (
        Member.objects.filter(status=Member.Status.ACTIVE, stage=Stage.FULL)
        .order_by("pk")
        .values_list("pk", "organization_id")
    ):
        direct[org_id].append(member_id)
    tree = defaultdict(list)
    for org_id, members in direct.items():
        node, seen = org_id, set()
        while node is not None and node not in seen:
            tree[node].extend(members)
            seen.add(node)
            node = parents.get(node)
    return tree


def _seats(org, electable: list[int], rng: random.Random) -> list[tuple[int, str]]:
    """(member id, post) of the elected: the organisation's secretary first."""
    secretary = org.secretary_id if org.secretary_id in electable else electable[0]
    others = [m for m in electable if m != secretary]
    if org.kind == Organization.Kind.COMMITTEE:
        size = 5
    elif len(electable) >= rules.COMMITTEE_REQUIRED_FULL_MEMBERS:
        size = rng.randint(3, 5)
    else:
        size = 1
    chosen = rng.sample(others, min(size - 1, len(others)))
    return [(secretary, "secretary"), *zip(chosen, COMMITTEE_POSTS, strict=False)]


def _election(org, held_on, voters: int, status, rng, decided_at=None) -> Election:
    cast = voters - rng.randint(0, voters // 10)  # more than four fifths take part
    return Election(
        organization=org,
        held_on=held_on,
        method=Election.Method.MEMBERS_CONGRESS,
        competitive=rng.random() < 0.8,
        eligible_voters=voters,
        votes_cast=cast,
        status=status,
        term_end=park_rules.term_end(held_on, park_rules.term_years(org.kind))
        if status == Election.Status.APPROVED
        else None,
        decided_at=decided_at,
    )


def seed(*, rng: random.Random, stdout) -> None:
    today = timezone.localdate()
    organizations = list(Organization.objects.order_by("code"))
    tree = _tree_members(organizations)
    done = set(Election.objects.values_list("organization_id", flat=True))
    elections, seats = [], []
    for org in organizations:
        electable = tree.get(org.pk, [])
        if org.kind == Organization.Kind.GROUP or org.pk in done or not org.term_start or not electable:
            continue
        decided = timezone.make_aware(
            datetime.datetime.combine(org.term_start + datetime.timedelta(days=12), datetime.time(10))
        )
        election = _election(org, org.term_start, len(electable), Election.Status.APPROVED, rng, decided)
        elections.append(election)
        seats.append((election, _seats(org, electable, rng)))
        if org.term_end and org.term_end < today:
            # Overdue: the new election was held last week and awaits approval.
            pending = _election(org, today - datetime.timedelta(days=7), len(electable), Election.Status.SUBMITTED, rng)
            elections.append(pending)
            seats.append((pending, _seats(org, electable, rng)))
    Election.objects.bulk_create(elections)
    rows = []
    for election, chosen in seats:
        for member_id, post in chosen:
            votes = election.votes_cast - rng.randint(0, (election.votes_cast - 1) // 2)  # a majority
            rows.append(CommitteeSeat(election=election, member_id=member_id, post=post, votes=votes))
    CommitteeSeat.objects.bulk_create(rows, batch_size=1000)
    committees = sum(
        1 for e, chosen in seats if e.status == Election.Status.APPROVED and rules.is_committee(len(chosen))
    )
    stdout.write(f"elections: {len(elections)} elections ({committees} committees), {len(rows)} seats")
