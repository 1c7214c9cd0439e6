"""Room booking: the form is prefilled (ISO values that <input type=date|time> shows), overlaps with
other requests are a warning the user confirms, the administrator's queue marks them, and the week
view draws the bookings over 7 columns of slots whose free ones open the form."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from services import selectors
from services.models import RoomBooking

from .factories import RoomBookingFactory

pytestmark = pytest.mark.django_db


def at(day, hour, minute=0):
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=timezone.get_current_timezone())


def value_of(html, name):
    tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', html).group(0)
    match = re.search(r'value="([^"]*)"', tag)
    return match.group(1) if match else None


@pytest.fixture
def day():
    return timezone.localdate() + datetime.timedelta(days=3)


@pytest.fixture
def page(client, svc):
    client.force_login(svc.member_user)
    return reverse("services:room_week", args=[svc.room_a1.pk])


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_form_is_prefilled_from_the_tapped_slot(client, svc, page, day, language):
    client.cookies["django_language"] = language
    html = client.get(page, {"date": day.isoformat(), "start": "10:30"}).content.decode()
    assert value_of(html, "day") == day.isoformat()
    assert (value_of(html, "start"), value_of(html, "end")) == ("10:30", "11:30")


def test_without_a_slot_the_form_proposes_today_or_the_first_day_of_a_later_week(client, svc, page):
    html = client.get(page).content.decode()
    assert value_of(html, "day") == timezone.localdate().isoformat()
    later = timezone.localdate() + datetime.timedelta(days=14)
    html = client.get(page, {"week": later.isoformat()}).content.decode()
    assert value_of(html, "day") == selectors.week_start(later).isoformat()
    assert value_of(html, "start") == "09:00"
    html = client.get(page, {"date": "2020-01-01", "start": "25:99"}).content.decode()  # past, garbage
    assert value_of(html, "day") == timezone.localdate().isoformat()


def test_overlap_edges(svc, day):
    w = svc
    RoomBookingFactory(room=w.room_a1, starts_at=at(day, 10), ends_at=at(day, 11))
    RoomBookingFactory(room=w.room_a1, starts_at=at(day, 12), ends_at=at(day, 13), status="declined")

    def overlaps(start, end):
        return len(selectors.overlapping_bookings(w.room_a1, start, end))

    assert overlaps(at(day, 11), at(day, 12)) == 0  # adjacent after
    assert overlaps(at(day, 9), at(day, 10)) == 0  # adjacent before
    assert overlaps(at(day, 10, 59), at(day, 11, 30)) == 1  # one minute
    assert overlaps(at(day, 9), at(day, 10, 1)) == 1
    assert overlaps(at(day, 12), at(day, 13)) == 0  # a declined booking is no obstacle


def test_overlapping_a_pending_request_is_a_warning_to_confirm(client, svc, page, day):
    w = svc
    other = RoomBookingFactory(room=w.room_a1, starts_at=at(day, 10), ends_at=at(day, 11))
    form = {"day": day.isoformat(), "purpose": "支部学习", "attendees": 3}
    assert client.post(page, {**form, "start": "11:00", "end": "12:00"}).status_code == 302  # adjacent
    response = client.post(page, {**form, "start": "09:00", "end": "10:01"})
    assert response.status_code == 400
    html = response.content.decode()
    assert f"#{other.pk}" in html
    assert 'type="checkbox" name="accept_overlap"' in html
    assert RoomBooking.objects.filter(room=w.room_a1).count() == 2
    response = client.post(page, {**form, "start": "09:00", "end": "10:01", "accept_overlap": "on"})
    assert response.status_code == 302
    assert RoomBooking.objects.filter(room=w.room_a1, status="pending").count() == 3


def test_overlapping_a_confirmed_booking_is_refused(client, svc, page, day):
    w = svc
    RoomBookingFactory(room=w.room_a1, starts_at=at(day, 10), ends_at=at(day, 11), status="confirmed")
    form = {"day": day.isoformat(), "start": "10:30", "end": "11:30", "purpose": "x", "attendees": 1}
    response = client.post(page, {**form, "accept_overlap": "on"})
    assert response.status_code == 400
    assert RoomBooking.objects.filter(room=w.room_a1).count() == 1


def test_the_administrators_queue_marks_overlaps(client, svc, day):
    w = svc
    a = RoomBookingFactory(room=w.room_a1, starts_at=at(day, 10), ends_at=at(day, 11))
    b = RoomBookingFactory(room=w.room_a1, starts_at=at(day, 10, 30), ends_at=at(day, 12))
    c = RoomBookingFactory(room=w.room_a1, starts_at=at(day, 12), ends_at=at(day, 13))  # adjacent to b
    client.force_login(w.park_admin)
    with translation.override("en"):
        response = client.get(reverse("services:booking_list"), HTTP_ACCEPT_LANGUAGE="en")
    marks = {x.pk: [o.pk for o in x.overlaps] for x in response.context["bookings"]}
    assert marks == {a.pk: [b.pk], b.pk: [a.pk], c.pk: []}
    html = response.content.decode()
    assert f"#{b.pk}" in html
    assert html.count('class="small text-danger fw-semibold booking-overlaps"') == 2


def test_week_view_draws_bookings_and_links_free_slots(client, svc, page, day):
    w = svc
    booking = RoomBookingFactory(room=w.room_a1, starts_at=at(day, 10), ends_at=at(day, 11, 30), status="confirmed")
    response = client.get(page, {"week": day.isoformat()})
    grid = response.context["grid"]
    assert len(grid["columns"]) == 7
    column = next(c for c in grid["columns"] if c["date"] == day)
    placed = column["bookings"]
    assert [(p["booking"].pk, p["row"], p["span"]) for p in placed] == [(booking.pk, 2 + 4, 3)]  # 10:00, 3 slots
    free = {cell["time"].strftime("%H:%M"): cell["free"] for cell in column["cells"]}
    assert free["09:30"]
    assert not free["10:00"]
    assert not free["11:00"]
    assert free["11:30"]
    html = response.content.decode()
    assert f'data-booking="{booking.pk}"' in html
    assert f"date={day.isoformat()}&amp;start=11:30#booking-form" in html
    assert f"date={day.isoformat()}&amp;start=10:30" not in html
    # Past slots are not offered.
    past = client.get(page, {"week": (timezone.localdate() - datetime.timedelta(days=7)).isoformat()})
    assert not any(cell["free"] for col in past.context["grid"]["columns"] for cell in col["cells"])
