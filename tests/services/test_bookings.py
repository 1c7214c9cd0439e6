import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from services import actions
from services.models import RoomBooking

pytestmark = pytest.mark.django_db


def slot(hours_from=24, length=2):
    start = timezone.now().replace(minute=0, second=0, microsecond=0) + datetime.timedelta(hours=hours_from)
    return start, start + datetime.timedelta(hours=length)


def book(w, by, start_end, **kwargs):
    start, end = start_end
    return actions.booking_request(by=by, room=w.room_a1, starts_at=start, ends_at=end, purpose="支部会议", **kwargs)


def test_request_confirm_and_no_overlap(svc):
    w = svc
    first = book(w, w.member_user, slot(24, 2))
    second = book(w, w.contact, slot(25, 2), enterprise=w.enterprise_a1)  # overlaps, both still pending
    assert {first.status, second.status} == {RoomBooking.Status.PENDING}
    actions.booking_confirm(booking=first, by=w.park_admin)
    with pytest.raises(ValidationError):
        actions.booking_confirm(booking=second, by=w.park_admin)
    with pytest.raises(ValidationError):
        book(w, w.member_user, slot(23, 2))  # refused at once against a confirmed booking
    touching = book(w, w.member_user, slot(26, 1))  # starts when the first ends: no overlap
    assert actions.booking_confirm(booking=touching, by=w.park_admin).status == RoomBooking.Status.CONFIRMED
    assert actions.booking_decline(booking=second, by=w.park_admin, reason="已被占用").status == "declined"


def test_request_refusals(svc):
    w = svc
    with pytest.raises(PermissionDenied):
        book(w, w.outsider, slot())
    with pytest.raises(PermissionDenied):
        book(w, w.contact_b, slot(), enterprise=w.enterprise_b)  # an enterprise of another park
    with pytest.raises(ValidationError) as exc:
        book(w, w.member_user, slot(-2, 1))
    assert "starts_at" in exc.value.error_dict
    with pytest.raises(ValidationError) as exc:
        book(w, w.member_user, slot(24, 13))
    assert "ends_at" in exc.value.error_dict
    with pytest.raises(ValidationError) as exc:
        book(w, w.member_user, slot(), attendees=w.room_a1.capacity + 1)
    assert "attendees" in exc.value.error_dict


def test_decide_and_cancel_rights(svc):
    w = svc
    booking = book(w, w.member_user, slot())
    with pytest.raises(PermissionDenied):
        actions.booking_confirm(booking=booking, by=w.park_admin_b)
    with pytest.raises(PermissionDenied):
        actions.booking_confirm(booking=booking, by=w.member_user)
    with pytest.raises(ValidationError):
        actions.booking_decline(booking=booking, by=w.park_admin, reason="")
    with pytest.raises(PermissionDenied):
        actions.booking_cancel(booking=booking, by=w.contact)
    assert actions.booking_cancel(booking=booking, by=w.member_user).status == "cancelled"
    with pytest.raises(ValidationError):
        actions.booking_confirm(booking=booking, by=w.park_admin)
