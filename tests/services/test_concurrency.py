"""Races on PostgreSQL: two threads, two connections, exactly one winner."""

import datetime
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, connections, transaction
from django.utils import timezone

from services import actions
from services.models import RoomBooking, Wish
from tests.factories import MemberFactory, UserFactory

from .factories import RoomBookingFactory, WishFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (set DATABASE_URL)")


def race(*calls):
    """Run the calls at the same moment in threads; return their outcomes (result or exception)."""
    barrier = threading.Barrier(len(calls))
    outcomes = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait()
            outcomes[index] = call()
        except Exception as exc:  # noqa: BLE001 - the outcome is what we test
            outcomes[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return outcomes


def test_two_members_claim_one_wish(world):
    w = world
    wish = WishFactory(park=w.park_a1)
    other = UserFactory()
    MemberFactory(user=other, organization=w.branch_a1)
    for _ in range(3):
        Wish.objects.filter(pk=wish.pk).update(status="open", claimed_by=None, claimed_at=None)
        outcomes = race(
            lambda: actions.wish_claim(wish=wish, by=w.member_user), lambda: actions.wish_claim(wish=wish, by=other)
        )
        winners = [o for o in outcomes if isinstance(o, Wish)]
        losers = [o for o in outcomes if isinstance(o, ValidationError)]
        assert len(winners) == 1, outcomes
        assert len(losers) == 1, outcomes
        assert Wish.objects.get(pk=wish.pk).claimed_by_id == winners[0].claimed_by_id


def test_two_overlapping_bookings_confirmed_at_once(world):
    w = world
    start = timezone.now().replace(minute=0, second=0, microsecond=0) + datetime.timedelta(days=1)
    first = RoomBookingFactory(room=w.room_a1, starts_at=start, ends_at=start + datetime.timedelta(hours=2))
    second = RoomBookingFactory(
        room=w.room_a1, starts_at=start + datetime.timedelta(hours=1), ends_at=start + datetime.timedelta(hours=3)
    )
    outcomes = race(
        lambda: actions.booking_confirm(booking=first, by=w.park_admin),
        lambda: actions.booking_confirm(booking=second, by=w.park_admin),
    )
    assert sum(isinstance(o, RoomBooking) for o in outcomes) == 1, outcomes
    assert sum(isinstance(o, ValidationError) for o in outcomes) == 1, outcomes
    assert RoomBooking.objects.confirmed().count() == 1


def test_the_database_refuses_overlapping_confirmed_bookings(world):
    w = world
    start = timezone.now() + datetime.timedelta(days=1)
    RoomBookingFactory(room=w.room_a1, starts_at=start, ends_at=start + datetime.timedelta(hours=2), status="confirmed")
    # Back to back and other rooms are fine; pending ones may overlap.
    RoomBookingFactory(
        room=w.room_a1,
        starts_at=start + datetime.timedelta(hours=2),
        ends_at=start + datetime.timedelta(hours=3),
        status="confirmed",
    )
    RoomBookingFactory(room=w.room_b, starts_at=start, ends_at=start + datetime.timedelta(hours=2), status="confirmed")
    RoomBookingFactory(room=w.room_a1, starts_at=start, ends_at=start + datetime.timedelta(hours=2))
    with pytest.raises(IntegrityError), transaction.atomic():
        RoomBookingFactory(
            room=w.room_a1,
            starts_at=start + datetime.timedelta(minutes=30),
            ends_at=start + datetime.timedelta(hours=1),
            status="confirmed",
        )
