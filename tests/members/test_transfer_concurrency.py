"""Two secretaries acting on one transfer at the same moment: exactly one transition, one timeline entry.

Real concurrency needs real row locks, so this runs on PostgreSQL (CI's PostgreSQL pass) and skips on
SQLite.
"""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections

from accounts.models import Role
from members import actions
from members.models import LetterSequence, Member, Transfer, TransferEvent
from tests.factories import UserFactory, assign

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks: run with DATABASE_URL=postgres://…")


def race(fn, users):
    """Run fn(user) for each user in its own thread, released together; return (results, errors)."""
    barrier = threading.Barrier(len(users))
    results, errors = [], []

    def run(user):
        try:
            barrier.wait()
            results.append(fn(user))
        except ValidationError as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(u,)) for u in users]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results, errors


def test_two_secretaries_approving_at_once_make_one_transition(world):
    second_secretary = assign(UserFactory(username="secretary_two"), Role.BRANCH_SECRETARY, world.branch_a1)
    transfer = actions.transfer_request(
        member=world.member_a1, by=world.member_user, to_organization=world.branch_b, reason="换工作"
    )
    results, errors = race(
        lambda user: actions.transfer_approve(transfer=Transfer(pk=transfer.pk), by=user),
        [world.secretary, second_secretary],
    )
    assert len(results) == 1
    assert len(errors) == 1
    assert "cannot be approved" in errors[0].messages[0]
    assert TransferEvent.objects.filter(transfer=transfer, action="approve").count() == 1
    assert Transfer.objects.get(pk=transfer.pk).status == Transfer.Status.APPROVED
    assert LetterSequence.objects.get().last == 1  # the loser did not burn a number


def test_two_secretaries_accepting_at_once_make_one_transition(world):
    second_secretary = assign(UserFactory(username="secretary_b_two"), Role.BRANCH_SECRETARY, world.branch_b)
    transfer = actions.transfer_request(
        member=world.member_a1, by=world.member_user, to_organization=world.branch_b, reason="换工作"
    )
    actions.transfer_approve(transfer=transfer, by=world.secretary)
    results, errors = race(
        lambda user: actions.transfer_accept(transfer=Transfer(pk=transfer.pk), by=user),
        [world.secretary_b, second_secretary],
    )
    assert len(results) == 1
    assert len(errors) == 1
    assert TransferEvent.objects.filter(transfer=transfer, action="accept").count() == 1
    assert Member.objects.get(pk=world.member_a1.pk).organization_id == world.branch_b.pk


def test_concurrent_approvals_of_different_transfers_get_distinct_letter_numbers(world):
    first = actions.transfer_request(
        member=world.member_a1, by=world.member_user, to_organization=world.branch_b, reason="a"
    )
    second = actions.transfer_request(
        member=world.member_a1_other, by=world.secretary, to_organization=world.branch_b, reason="b"
    )
    results, errors = race(
        lambda pk: actions.transfer_approve(transfer=Transfer(pk=pk), by=world.secretary),
        [first.pk, second.pk],
    )
    assert not errors
    assert sorted(t.letter_sequence for t in results) == [1, 2]
