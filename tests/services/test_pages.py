import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from services import actions
from services.models import RequestStatus, ServiceRequest

from .factories import RoomBookingFactory, ServiceRequestFactory, WishFactory, category

pytestmark = pytest.mark.django_db


def login(client, user):
    client.force_login(user)
    return client


def test_submit_page_creates_a_request_and_rejects_bad_input(client, svc):
    w = svc
    login(client, w.contact)
    url = reverse("services:request_new")
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "category": category().pk,
            "enterprise": w.enterprise_a1.pk,
            "title": "",
            "description": "x",
            "urgency": "nonsense",
        },
    )
    assert response.status_code == 400
    assert not ServiceRequest.objects.exists()
    # An enterprise the user does not represent is not a valid choice.
    response = client.post(
        url,
        {
            "category": category().pk,
            "enterprise": w.enterprise_b.pk,
            "title": "t",
            "description": "d",
            "urgency": "normal",
        },
    )
    assert response.status_code == 400
    response = client.post(
        url,
        {
            "category": category().pk,
            "enterprise": w.enterprise_a1.pk,
            "title": "融资",
            "description": "需要贷款",
            "urgency": "normal",
        },
    )
    req = ServiceRequest.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("services:request_detail", args=[req.pk])
    assert client.get(reverse("services:my_requests")).content.decode().count("融资") >= 1


def test_outsider_cannot_submit(client, svc):
    assert login(client, svc.outsider).get(reverse("services:request_new")).status_code == 403


def test_request_page_and_steps(client, svc):
    w = svc
    req = actions.request_submit(
        by=w.contact, category=category(), title="融资", description="d", enterprise=w.enterprise_a1
    )
    detail = reverse("services:request_detail", args=[req.pk])
    step = lambda name: reverse("services:request_step", args=[req.pk, name])  # noqa: E731
    assert login(client, w.contact_b).get(detail).status_code == 404  # another park's contact
    login(client, w.park_admin)
    page = client.get(detail).content.decode()
    assert 'id="assign-form"' in page
    assert client.post(step("assign"), {"team": w.team_b.pk}).status_code == 400  # another park's team
    assert client.post(step("assign"), {"team": w.finance.pk}).status_code == 302
    assert client.post(step("start")).status_code == 403  # not in the team
    assert client.post(step("nonsense")).status_code == 404
    login(client, w.service)
    assert client.post(step("start")).status_code == 302
    assert client.post(step("resolve"), {"note": ""}).status_code == 400
    assert client.post(step("resolve"), {"note": "已办结"}).status_code == 302
    login(client, w.contact)
    assert client.post(step("close"), {"rating": "9"}).status_code == 400
    assert client.post(step("close"), {"rating": "5", "comment": "好"}).status_code == 302
    req.refresh_from_db()
    assert req.status == RequestStatus.CLOSED
    assert req.rating == 5
    assert client.post(step("close"), {"rating": "5"}).status_code == 400  # already closed
    page = client.get(detail).content.decode()
    assert page.count("timeline-") == 6


def test_queue_overdue_first_filters_and_constant_queries(client, svc, django_assert_max_num_queries):
    w = svc
    today = timezone.localdate()
    fresh = ServiceRequestFactory(enterprise=w.enterprise_a1, due_on=today + datetime.timedelta(days=1))
    late = ServiceRequestFactory(
        enterprise=w.enterprise_a1, due_on=today - datetime.timedelta(days=2), team=w.finance, status="assigned"
    )
    ServiceRequestFactory(enterprise=w.enterprise_b, due_on=today - datetime.timedelta(days=5))  # park B
    login(client, w.park_admin)
    url = reverse("services:queue")
    response = client.get(url)
    rows = [r.pk for r in response.context["rows"]]
    assert rows == [late.pk, fresh.pk]
    assert [r.pk for r in client.get(url, {"overdue": "on"}).context["rows"]] == [late.pk]
    assert [r.pk for r in client.get(url, {"team": w.finance.pk}).context["rows"]] == [late.pk]
    assert [r.pk for r in client.get(url, {"status": "submitted"}).context["rows"]] == [fresh.pk]
    assert client.get(url, {"team": w.team_b.pk}).status_code == 400  # not a choice here
    assert client.get(url, {"status": "bogus"}).status_code == 400
    partial = client.get(url, headers={"HX-Request": "true"})
    assert b"<html" not in partial.content
    assert b"request-rows" in partial.content

    def count_queries():
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx)

    before = count_queries()
    ServiceRequestFactory.create_batch(15, enterprise=w.enterprise_a1, team=w.legal, status="assigned")
    with django_assert_max_num_queries(before):
        client.get(url)
    assert login(client, w.member_user).get(url).status_code == 403
    assert login(client, w.official).get(url).status_code == 200


def test_team_queue_and_my_requests_constant_queries(client, svc, django_assert_max_num_queries):
    w = svc
    ServiceRequestFactory.create_batch(
        2, enterprise=w.enterprise_a1, requester=w.contact, team=w.finance, status="assigned"
    )
    team_url = reverse("services:team_queue", args=[w.finance.pk])
    mine_url = reverse("services:my_requests")
    login(client, w.service)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as team_ctx:
        assert client.get(team_url).status_code == 200
    login(client, w.contact)
    with CaptureQueriesContext(connection) as mine_ctx:
        assert client.get(mine_url).status_code == 200
    ServiceRequestFactory.create_batch(
        12, enterprise=w.enterprise_a1, requester=w.contact, team=w.finance, status="assigned"
    )
    with django_assert_max_num_queries(len(mine_ctx)):
        client.get(mine_url)
    login(client, w.service)
    with django_assert_max_num_queries(len(team_ctx)):
        assert len(client.get(team_url).context["rows"]) == 14
    assert login(client, w.team_b_worker).get(team_url).status_code == 404


def test_wish_pages(client, svc):
    w = svc
    login(client, w.park_admin)
    url = reverse("services:wish_list")
    assert client.post(url, {"park": w.park_a1.pk, "beneficiary": "", "need": "x"}).status_code == 400
    assert client.post(url, {"park": w.park_b.pk, "beneficiary": "小红", "need": "书包"}).status_code == 400
    assert client.post(url, {"park": w.park_a1.pk, "beneficiary": "小红", "need": "书包"}).status_code == 302
    other = WishFactory(park=w.park_b)
    login(client, w.member_user)
    page = client.get(url).content.decode()
    assert "书包" in page
    assert other.need not in page
    assert page.count("data-wish=") == 1
    wish = w.park_a1.wishes.get()
    assert client.post(reverse("services:wish_step", args=[wish.pk, "claim"])).status_code == 302
    wish.refresh_from_db()
    assert wish.claimed_by == w.member_a1
    assert client.post(reverse("services:wish_step", args=[other.pk, "claim"])).status_code == 404
    assert login(client, w.member_user).post(url, {"park": w.park_a1.pk}).status_code == 403


def test_room_week_and_booking_pages(client, svc):
    w = svc
    mine = RoomBookingFactory(room=w.room_a1, booked_by=w.member_user, purpose="党小组学习")
    login(client, w.member_user)
    url = reverse("services:room_week", args=[w.room_a1.pk])
    week = timezone.localtime(mine.starts_at).date().isoformat()
    page = client.get(url, {"week": week}).content.decode()
    assert "党小组学习" in page
    assert client.get(url, {"week": "garbage"}).status_code == 200
    assert client.get(reverse("services:room_week", args=[w.room_b.pk])).status_code == 404
    day = (timezone.localdate() + datetime.timedelta(days=2)).isoformat()
    bad = client.post(url, {"day": day, "start": "10:00", "end": "09:00", "purpose": "x", "attendees": 1})
    assert bad.status_code == 400
    ok = client.post(url, {"day": day, "start": "09:00", "end": "10:00", "purpose": "学习", "attendees": 3})
    assert ok.status_code == 302
    booking = w.room_a1.bookings.get(purpose="学习")
    assert client.get(reverse("services:booking_list")).status_code == 403
    login(client, w.park_admin)
    assert "学习" in client.get(reverse("services:booking_list")).content.decode()
    client.post(reverse("services:booking_step", args=[booking.pk, "confirm"]))
    booking.refresh_from_db()
    assert booking.status == "confirmed"


def test_every_page_renders_for_every_role(client, svc):
    w = svc
    req = ServiceRequestFactory(enterprise=w.enterprise_a1, requester=w.contact)
    for user in (w.superuser, w.official, w.park_admin, w.service, w.member_user, w.contact, w.outsider):
        login(client, user)
        for name in ("my_requests", "team_list", "wish_list", "room_list", "my_bookings"):
            assert client.get(reverse(f"services:{name}")).status_code == 200, (user, name)
    login(client, w.official)
    assert client.get(reverse("services:request_detail", args=[req.pk])).status_code == 200


def _local(day, hour, minute=0):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def test_room_week_shows_bookings_outside_the_usual_hours(client, svc):
    """The grid runs 08:00–22:00, widened to any booking outside it: an evening meeting from 22:30,
    an early one at 06:00 and one past midnight are all on the page, at their hours."""
    from services.selectors import GRID_FIRST_HOUR, GRID_LAST_HOUR, grid_hours, room_week

    w = svc
    today = timezone.localdate()
    monday = today - datetime.timedelta(days=today.weekday()) + datetime.timedelta(days=7)
    url = reverse("services:room_week", args=[w.room_a1.pk])
    login(client, w.member_user)
    daytime = RoomBookingFactory(
        room=w.room_a1,
        booked_by=w.member_user,
        purpose="白天会议",
        starts_at=_local(monday, 9),
        ends_at=_local(monday, 10),
    )
    assert grid_hours(room_week(w.member_user, w.room_a1, monday)) == (GRID_FIRST_HOUR, GRID_LAST_HOUR)
    evening = RoomBookingFactory(
        room=w.room_a1,
        booked_by=w.member_user,
        purpose="晚间党课",
        starts_at=_local(monday, 22, 30),
        ends_at=_local(monday, 23, 30),
    )
    early = RoomBookingFactory(
        room=w.room_a1,
        booked_by=w.member_user,
        purpose="清晨学习",
        starts_at=_local(monday + datetime.timedelta(days=2), 6),
        ends_at=_local(monday + datetime.timedelta(days=2), 7),
    )
    assert grid_hours(room_week(w.member_user, w.room_a1, monday)) == (6, 24)
    page = client.get(url, {"week": monday.isoformat()}).content.decode()
    for booking in (daytime, evening, early):
        assert booking.purpose in page
    assert "06:00" in page
    assert "23:00" in page
    late = _local(monday + datetime.timedelta(days=4), 23)
    RoomBookingFactory(
        room=w.room_a1,
        booked_by=w.member_user,
        purpose="跨夜值班",
        starts_at=late,
        ends_at=late + datetime.timedelta(hours=2),
    )
    assert grid_hours(room_week(w.member_user, w.room_a1, monday)) == (6, 24)
    assert "跨夜值班" in client.get(url, {"week": monday.isoformat()}).content.decode()
