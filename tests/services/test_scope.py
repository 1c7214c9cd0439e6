"""Who sees what: requests, timeline, wishes, rooms and bookings, through visible_to only."""

import pytest

from parks.models import Room
from services import selectors
from services.models import RoomBooking, ServiceRequest, ServiceRequestEvent, ServiceTeam, Wish

from .factories import RoomBookingFactory, ServiceRequestFactory, WishFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def rows(svc):
    w = svc
    w.req_contact = ServiceRequestFactory(
        enterprise=w.enterprise_a1, requester=w.contact, team=w.finance, status="assigned"
    )
    w.req_member = ServiceRequestFactory(enterprise=None, park=w.park_a1, requester=w.member_user)
    w.req_a2 = ServiceRequestFactory(enterprise=w.enterprise_a2)
    w.req_b = ServiceRequestFactory(enterprise=w.enterprise_b, requester=w.contact_b, team=w.team_b)
    for req in (w.req_contact, w.req_member, w.req_a2, w.req_b):
        ServiceRequestEvent.objects.create(request=req, kind="submitted", actor=req.requester, status_after=req.status)
    w.wish_a1 = WishFactory(park=w.park_a1)
    w.wish_b = WishFactory(park=w.park_b)
    w.booking_a1 = RoomBookingFactory(room=w.room_a1, booked_by=w.member_user)
    w.booking_b = RoomBookingFactory(room=w.room_b, booked_by=w.contact_b)
    return w


def visible(model, user):
    return set(model.objects.visible_to(user).values_list("pk", flat=True))


def test_requests(rows):
    w = rows
    assert visible(ServiceRequest, w.superuser) == {r.pk for r in (w.req_contact, w.req_member, w.req_a2, w.req_b)}
    assert visible(ServiceRequest, w.official) == {w.req_contact.pk, w.req_member.pk, w.req_a2.pk}
    assert visible(ServiceRequest, w.park_admin) == {w.req_contact.pk, w.req_member.pk}
    assert visible(ServiceRequest, w.park_admin_b) == {w.req_b.pk}
    assert visible(ServiceRequest, w.contact) == {w.req_contact.pk}
    assert visible(ServiceRequest, w.member_user) == {w.req_member.pk}
    # Service staff of park A1 see its requests (they triage the new ones), not A2's or B's.
    assert visible(ServiceRequest, w.service) == {w.req_contact.pk, w.req_member.pk}
    assert visible(ServiceRequest, w.team_b_worker) == {w.req_b.pk}
    for nobody in (w.outsider, w.secretary, w.official_b and w.secretary_b):
        assert visible(ServiceRequest, nobody) == set()
    # The timeline follows its request.
    assert visible(ServiceRequestEvent, w.contact) == set(w.req_contact.events.values_list("pk", flat=True))
    assert visible(ServiceRequestEvent, w.outsider) == set()


def test_wishes_rooms_and_bookings_stay_in_their_park(rows):
    w = rows
    assert visible(Wish, w.member_user) == {w.wish_a1.pk}
    assert visible(Wish, w.park_admin) == {w.wish_a1.pk}
    assert visible(Wish, w.park_admin_b) == {w.wish_b.pk}
    assert visible(Wish, w.outsider) == set()
    assert visible(Room, w.member_user) == {w.room_a1.pk}
    assert visible(RoomBooking, w.member_user) == {w.booking_a1.pk}
    assert visible(RoomBooking, w.contact_b) == {w.booking_b.pk}
    assert visible(RoomBooking, w.contact) == {w.booking_a1.pk}  # a contact sees the park's calendar
    assert {r.pk for r in selectors.rooms(w.contact)} == {w.room_a1.pk}
    assert {r.pk for r in selectors.rooms(w.contact_b)} == {w.room_b.pk}
    assert visible(ServiceTeam, w.service) == {w.finance.pk, w.legal.pk}  # service staff of the park
    assert visible(ServiceTeam, w.team_b_worker) == {w.team_b.pk}


def test_member_of_one_park_sees_nothing_of_another(rows):
    w = rows
    assert not ServiceRequest.objects.visible_to(w.member_user).filter(park=w.park_b).exists()
    assert not Wish.objects.visible_to(w.member_user).filter(park=w.park_b).exists()
    assert not Room.objects.visible_to(w.member_user).filter(park=w.park_b).exists()
    assert not RoomBooking.objects.visible_to(w.member_user).filter(room__park=w.park_b).exists()
