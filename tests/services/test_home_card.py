"""The service centre's card on the home page of park administrators and district officials."""

import datetime

import pytest
from django.urls import reverse

from tests.services.factories import RoomBookingFactory, ServiceRequestFactory

pytestmark = pytest.mark.django_db


def card(client, user):
    client.force_login(user)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    return next((c["card"] for c in response.context["cards"] if c["template"].startswith("services/")), None)


def test_park_admin_sees_open_overdue_and_pending_counts_of_their_park_only(client, world):
    ServiceRequestFactory(enterprise=world.enterprise_a1)
    ServiceRequestFactory(enterprise=world.enterprise_a1, due_on=datetime.date(2020, 1, 1))
    ServiceRequestFactory(enterprise=world.enterprise_b, due_on=datetime.date(2020, 1, 1))
    RoomBookingFactory(room=world.room_a1)
    RoomBookingFactory(room=world.room_b)
    shown = card(client, world.park_admin)
    assert shown["requests"] == {"open": 2, "overdue": 1, "submitted": 2}
    assert shown["pending_bookings"] == 1
    html = client.get(reverse("home")).content.decode()
    assert reverse("services:queue") + "?overdue=1" in html


def test_official_sees_requests_of_the_district_but_confirms_no_bookings(client, world):
    ServiceRequestFactory(enterprise=world.enterprise_a2)
    ServiceRequestFactory(enterprise=world.enterprise_b)
    shown = card(client, world.official)
    assert shown["requests"]["open"] == 1
    assert shown["pending_bookings"] is None


def test_secretaries_and_members_get_no_service_centre_card(client, world):
    assert card(client, world.secretary) is None
    assert card(client, world.member_user) is None
