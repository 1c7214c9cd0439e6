"""API of the service centre: every endpoint on the generic base, and every workflow step through the
API calling the same action as the pages (the timeline entry, the notification and the state)."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from notifications.models import Notification
from services.models import (
    EnterpriseContact,
    RoomBooking,
    ServiceCategory,
    ServiceRequest,
    ServiceRequestEvent,
    ServiceTeam,
    Wish,
)
from tests.factories import UserFactory
from tests.services.conftest import svc  # noqa: F401  (the service centre's people, as a fixture)
from tests.services.factories import (
    EnterpriseContactFactory,
    RoomBookingFactory,
    ServiceRequestFactory,
    ServiceTeamFactory,
    WishFactory,
    category,
)

from .base import APIViewTestCases

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def once(w, name, make):
    if not hasattr(w, name):
        setattr(w, name, make())
    return getattr(w, name)


def url(name, obj=None, **query):
    path = reverse(f"api:{name}", args=[obj.pk] if obj is not None else [])
    if query:
        from urllib.parse import urlencode

        path += "?" + urlencode(query, doseq=True)
    return path


def tomorrow(hour, minutes=0):
    day = timezone.localtime() + datetime.timedelta(days=1)
    return day.replace(hour=hour, minute=minutes, second=0, microsecond=0)


class Eager:
    """Create the visible and hidden rows before the test's first request (the hooks are lazy)."""

    @pytest.fixture(autouse=True)
    def _rows(self, world):
        self.visible(world)
        self.hidden(world)


# --- the generic tests ----------------------------------------------------------------------------


class TestServiceCategories(APIViewTestCases.Full):
    basename = "servicecategory"
    model = ServiceCategory

    global_catalogue = True

    def writer(self, w):
        return w.superuser

    def reader(self, w):
        return w.park_admin

    def list_user(self, w):
        return w.member_user

    def visible(self, w):
        return category()

    def deletable(self, w):
        return ServiceCategory.objects.create(code="to-delete", name="待删除")

    def create_data(self, w):
        return {"code": "live-streaming", "name": "直播电商咨询", "position": 9}

    def update_data(self, w):
        return {"name": "电商政策咨询（新）"}

    def make_rows(self, w, n):
        for i in range(n):
            ServiceCategory.objects.create(code=f"c{i}", name=f"类别{i}")

    def test_a_used_category_is_not_deleted(self, world, api):
        request = ServiceRequestFactory(enterprise=world.enterprise_a1)
        response = api(world.superuser).delete(self.detail_url(request.category))
        assert response.status_code == 400
        assert ServiceCategory.objects.filter(pk=request.category_id).exists()

    def test_duplicate_code_is_400(self, world, api):
        response = api(world.superuser).post(self.list_url(), {"code": category().code, "name": "x"})
        assert response.status_code == 400
        assert "code" in response.json()


class TestEnterpriseContacts(Eager, APIViewTestCases.Full):
    basename = "enterprisecontact"
    model = EnterpriseContact

    def writer(self, w):
        return w.superuser

    def reader(self, w):
        return w.official

    def list_user(self, w):
        return w.park_admin

    def visible(self, w):
        return once(w, "contact_a1", lambda: EnterpriseContactFactory(enterprise=w.enterprise_a1))

    def hidden(self, w):
        return once(w, "contact_b", lambda: EnterpriseContactFactory(enterprise=w.enterprise_b))

    def create_data(self, w):
        return {"user": w.outsider.pk, "enterprise": w.enterprise_a1.pk, "position": "行政"}

    def update_data(self, w):
        return {"position": "财务"}

    def make_rows(self, w, n):
        for _i in range(n):
            EnterpriseContactFactory(enterprise=w.enterprise_a1)

    def test_park_admin_removes_but_does_not_add(self, world, api):
        client = api(world.park_admin)
        assert client.post(self.list_url(), self.create_data(world), format="json").status_code == 403
        assert client.delete(self.detail_url(self.visible(world))).status_code == 204

    def test_the_contact_sees_their_own_row(self, world, api):
        contact = self.visible(world)
        assert self.ids(api(contact.user).get(self.list_url())) == {contact.pk}


class TestServiceTeams(Eager, APIViewTestCases.Full):
    basename = "serviceteam"
    model = ServiceTeam

    def writer(self, w):
        return w.park_admin

    def reader(self, w):
        return w.official

    def visible(self, w):
        return once(w, "team_a1", lambda: ServiceTeamFactory(park=w.park_a1, members=[w.service]))

    def hidden(self, w):
        return once(w, "team_b", lambda: ServiceTeamFactory(park=w.park_b))

    def create_data(self, w):
        return {"park": w.park_a1.pk, "name": "税务服务队", "kind": "tax", "members": [w.service.pk]}

    def update_data(self, w):
        return {"name": "法律服务队（新）"}

    def make_rows(self, w, n):
        for _i in range(n):
            ServiceTeamFactory(park=w.park_a1, members=[w.service, w.park_admin])

    def test_another_park_is_refused(self, world, api):
        data = {"park": world.park_a2.pk, "name": "x", "kind": "tax"}
        response = api(world.park_admin).post(self.list_url(), data, format="json")
        assert response.status_code == 400
        assert "park" in response.json()

    def test_team_member_sees_the_team(self, world, api):
        assert self.visible(world).pk in self.ids(api(world.service).get(self.list_url()))

    def test_a_team_with_requests_is_not_deleted(self, world, api):
        team = self.visible(world)
        ServiceRequestFactory(enterprise=world.enterprise_a1, team=team, status="assigned")
        assert api(world.park_admin).delete(self.detail_url(team)).status_code == 400


class TestServiceRequests(
    Eager,
    APIViewTestCases.GetObject,
    APIViewTestCases.ListObjects,
    APIViewTestCases.CreateObject,
    APIViewTestCases.QueryCount,
):
    basename = "servicerequest"
    model = ServiceRequest

    def writer(self, w):
        return w.member_user

    def reader(self, w):
        return w.official

    def list_user(self, w):
        return w.park_admin

    def visible(self, w):
        return once(w, "request_a1", lambda: ServiceRequestFactory(enterprise=w.enterprise_a1, requester=w.member_user))

    def hidden(self, w):
        return once(w, "request_b", lambda: ServiceRequestFactory(enterprise=w.enterprise_b))

    def create_data(self, w):
        return {"category": category().pk, "title": "政策咨询", "description": "想了解电商扶持政策", "urgency": "high"}

    def make_rows(self, w, n):
        team = ServiceTeamFactory(park=w.park_a1)
        for _i in range(n):
            ServiceRequestFactory(enterprise=w.enterprise_a1, team=team)

    def test_update_and_delete_are_not_offered(self, world, api):
        client = api(world.park_admin)
        obj = self.visible(world)
        assert client.patch(self.detail_url(obj), {"status": "closed"}, format="json").status_code == 405
        assert client.delete(self.detail_url(obj)).status_code == 405
        obj.refresh_from_db()
        assert obj.status == "submitted"

    def test_filters(self, world, api):
        client = api(world.park_admin)
        assert self.ids(client.get(self.list_url(status="closed"))) == set()
        assert self.visible(world).pk in self.ids(client.get(self.list_url(open="true")))
        assert client.get(self.list_url(status="nonsense")).status_code == 400


class TestServiceRequestEvents(Eager, APIViewTestCases.ReadOnly):
    basename = "servicerequestevent"
    model = ServiceRequestEvent

    def writer(self, w):
        return w.park_admin

    @staticmethod
    def event(request):
        return ServiceRequestEvent.objects.create(
            request=request, kind="submitted", actor=request.requester, status_after="submitted"
        )

    def visible(self, w):
        return once(w, "event_a1", lambda: self.event(ServiceRequestFactory(enterprise=w.enterprise_a1)))

    def hidden(self, w):
        return once(w, "event_b", lambda: self.event(ServiceRequestFactory(enterprise=w.enterprise_b)))

    def make_rows(self, w, n):
        for _i in range(n):
            self.event(ServiceRequestFactory(enterprise=w.enterprise_a1))


class TestWishes(
    Eager,
    APIViewTestCases.GetObject,
    APIViewTestCases.ListObjects,
    APIViewTestCases.CreateObject,
    APIViewTestCases.QueryCount,
):
    basename = "wish"
    model = Wish

    def writer(self, w):
        return w.park_admin

    def reader(self, w):
        return w.official

    def visible(self, w):
        return once(w, "wish_a1", lambda: WishFactory(park=w.park_a1))

    def hidden(self, w):
        return once(w, "wish_b", lambda: WishFactory(park=w.park_b))

    def create_data(self, w):
        return {"park": w.park_a1.pk, "beneficiary": "小红", "need": "一个新书包"}

    def make_rows(self, w, n):
        for _i in range(n):
            WishFactory(park=w.park_a1, status="claimed", claimed_by=w.member_a1)

    def test_personal_numbers_are_refused(self, world, api):
        data = {"park": world.park_a1.pk, "beneficiary": "小红", "need": "请打电话 13812345678"}
        response = api(world.park_admin).post(self.list_url(), data, format="json")
        assert response.status_code == 400
        assert "need" in response.json()

    def test_another_park_is_not_a_choice(self, world, api):
        data = {"park": world.park_b.pk, "beneficiary": "小红", "need": "书包"}
        response = api(world.park_admin).post(self.list_url(), data, format="json")
        assert response.status_code == 400
        assert "park" in response.json()


class TestRoomBookings(
    Eager,
    APIViewTestCases.GetObject,
    APIViewTestCases.ListObjects,
    APIViewTestCases.CreateObject,
    APIViewTestCases.QueryCount,
):
    basename = "roombooking"
    model = RoomBooking

    def writer(self, w):
        return w.member_user

    def reader(self, w):
        return w.official

    def list_user(self, w):
        return w.park_admin

    def visible(self, w):
        return once(w, "booking_a1", lambda: RoomBookingFactory(room=w.room_a1, booked_by=w.member_user))

    def hidden(self, w):
        return once(w, "booking_b", lambda: RoomBookingFactory(room=w.room_b))

    def create_data(self, w):
        return {
            "room": w.room_a1.pk,
            "starts_at": tomorrow(14).isoformat(),
            "ends_at": tomorrow(16).isoformat(),
            "purpose": "支部学习",
            "attendees": 5,
        }

    def make_rows(self, w, n):
        for i in range(n):
            start = tomorrow(8) + datetime.timedelta(days=i + 1)
            RoomBookingFactory(room=w.room_a1, starts_at=start, ends_at=start + datetime.timedelta(hours=1))


# --- the steps, as on the pages -------------------------------------------------------------------


def test_request_workflow_through_the_api(svc, api, django_capture_on_commit_callbacks):  # noqa: F811
    w = svc
    with django_capture_on_commit_callbacks(execute=True):
        response = api(w.contact).post(
            url("servicerequest-list"),
            {
                "category": category().pk,
                "title": "融资需求",
                "description": "需要流动资金贷款",
                "urgency": "high",
                "enterprise": w.enterprise_a1.pk,
            },
            format="json",
        )
    assert response.status_code == 201, response.content
    req = ServiceRequest.objects.get(pk=response.json()["id"])
    assert req.park == w.park_a1
    assert req.requester == w.contact
    assert Notification.objects.filter(recipient=w.park_admin).count() == 1

    def step(user, name, data=None):
        with django_capture_on_commit_callbacks(execute=True):
            return api(user).post(url(f"servicerequest-{name}", req), data or {}, format="json")

    assert step(w.park_admin, "accept").json()["status"] == "accepted"
    assert (
        step(w.park_admin, "assign", {"team": w.finance.pk, "note": "请金融服务队办理"}).json()["status"] == "assigned"
    )
    assert Notification.objects.filter(recipient=w.service).count() == 2  # the new request, then the assignment
    assert step(w.service, "start").json()["status"] == "in_progress"
    assert step(w.service, "resolve", {"note": "已对接银行"}).json()["status"] == "resolved"
    closed = step(w.contact, "close", {"rating": 5, "comment": "很满意"}).json()
    assert closed["status"] == "closed"
    assert closed["rating"] == 5
    kinds = list(req.events.values_list("kind", flat=True))
    assert kinds == ["submitted", "accepted", "assigned", "started", "resolved", "closed"]
    assert all(e.actor_id for e in req.events.all())
    assert Notification.objects.filter(recipient=w.contact).count() == 4
    # The timeline through its own endpoint.
    timeline = api(w.contact).get(url("servicerequestevent-list", request=req.pk)).json()["results"]
    assert [e["kind"] for e in timeline] == kinds
    # Reopen within 7 days, with a reason.
    assert step(w.contact, "reopen", {}).status_code == 400
    assert step(w.contact, "reopen", {"reason": "问题又出现了"}).json()["status"] == "assigned"


def test_request_steps_refused(svc, api):  # noqa: F811
    w = svc
    req = ServiceRequestFactory(enterprise=w.enterprise_a1, requester=w.contact)
    # A rule of the workflow: 400 with the field at fault.
    response = api(w.park_admin).post(url("servicerequest-reject", req), {"reason": ""}, format="json")
    assert response.status_code == 400
    assert "reason" in response.json()
    response = api(w.park_admin).post(url("servicerequest-assign", req), {"team": w.team_b.pk}, format="json")
    assert response.status_code == 400
    assert "team" in response.json()
    assert api(w.park_admin).post(url("servicerequest-start", req)).status_code == 403  # not in the team
    response = api(w.contact).post(url("servicerequest-close", req), {"rating": 9}, format="json")
    assert response.status_code == 400
    assert "rating" in response.json()
    assert api(w.park_admin).post(url("servicerequest-resolve", req), {}, format="json").status_code == 400
    # Who may not take the step at all: 403; who cannot see the request: 404.
    assert api(w.official).post(url("servicerequest-accept", req)).status_code == 403
    assert api(w.contact).post(url("servicerequest-accept", req)).status_code == 403
    assert api(w.park_admin_b).post(url("servicerequest-accept", req)).status_code == 404
    assert api(w.secretary_b).get(url("servicerequest-detail", req)).status_code == 404
    req.refresh_from_db()
    assert req.status == "submitted"
    assert req.events.count() == 0
    # Rejected with a reason.
    response = api(w.park_admin).post(url("servicerequest-reject", req), {"reason": "不属于受理范围"}, format="json")
    assert response.status_code == 200
    assert response.json()["reject_reason"] == "不属于受理范围"
    assert req.events.get().kind == "rejected"


def test_submit_refusals(svc, api):  # noqa: F811
    w = svc
    data = {"category": category().pk, "title": "t", "description": "d"}
    assert api(w.outsider).post(url("servicerequest-list"), data, format="json").status_code == 403
    response = api(w.contact).post(url("servicerequest-list"), {**data, "enterprise": w.enterprise_b.pk}, format="json")
    assert response.status_code == 400
    assert "enterprise" in response.json()
    response = api(w.member_user).post(url("servicerequest-list"), {**data, "urgency": "now"}, format="json")
    assert response.status_code == 400
    assert "urgency" in response.json()


def test_comment_with_attachment(svc, api, django_capture_on_commit_callbacks):  # noqa: F811
    w = svc
    req = ServiceRequestFactory(enterprise=w.enterprise_a1, requester=w.contact)
    upload = SimpleUploadedFile("note.txt", "说明".encode(), content_type="text/plain")
    with django_capture_on_commit_callbacks(execute=True):
        response = api(w.contact).post(
            url("servicerequest-comment", req), {"text": "补充材料", "attachment": upload}, format="multipart"
        )
    assert response.status_code == 201, response.content
    assert response.json()["kind"] == "comment"
    assert response.json()["attachment_url"].startswith("/media/")
    assert Notification.objects.filter(recipient=w.park_admin, title__contains=req.title).exists()
    assert api(w.contact).post(url("servicerequest-comment", req), {}, format="json").status_code == 400


def test_wish_workflow(svc, api, django_capture_on_commit_callbacks):  # noqa: F811
    w = svc
    with django_capture_on_commit_callbacks(execute=True):
        response = api(w.park_admin).post(
            url("wish-list"), {"park": w.park_a1.pk, "beneficiary": "小明", "need": "一套学习用品"}, format="json"
        )
    assert response.status_code == 201
    wish = Wish.objects.get(pk=response.json()["id"])
    assert Notification.objects.filter(recipient=w.member_user).exists()
    # Another park's member cannot even see it; a non-member cannot claim.
    assert api(w.contact_b).post(url("wish-claim", wish)).status_code == 404
    assert api(w.park_admin).post(url("wish-claim", wish)).status_code == 403
    response = api(w.member_user).post(url("wish-claim", wish))
    assert response.status_code == 200
    assert response.json()["status"] == "claimed"
    assert response.json()["claimed_by"] == w.member_a1.pk
    assert api(w.member_user).post(url("wish-claim", wish)).status_code in (400, 404)
    assert api(w.member_user).post(url("wish-fulfil", wish), {"note": ""}, format="json").status_code == 400
    response = api(w.member_user).post(url("wish-fulfil", wish), {"note": "已送到"}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "fulfilled"
    assert api(w.park_admin).post(url("wish-cancel", wish)).status_code == 400  # fulfilled already
    other = WishFactory(park=w.park_a1)
    assert api(w.official).post(url("wish-cancel", other)).status_code == 403
    assert api(w.park_admin).post(url("wish-cancel", other)).json()["status"] == "cancelled"


def test_booking_workflow_and_overlap(svc, api, django_capture_on_commit_callbacks):  # noqa: F811
    w = svc
    data = {
        "room": w.room_a1.pk,
        "starts_at": tomorrow(9).isoformat(),
        "ends_at": tomorrow(11).isoformat(),
        "purpose": "支部学习",
    }
    first = api(w.member_user).post(url("roombooking-list"), data, format="json")
    assert first.status_code == 201
    assert first.json()["status"] == "pending"
    booking = RoomBooking.objects.get(pk=first.json()["id"])
    # A second pending one for the same slot is allowed until one is confirmed.
    second = RoomBooking.objects.get(
        pk=api(w.contact)
        .post(url("roombooking-list"), {**data, "enterprise": w.enterprise_a1.pk}, format="json")
        .json()["id"]
    )
    assert api(w.member_user).post(url("roombooking-confirm", booking)).status_code == 403
    with django_capture_on_commit_callbacks(execute=True):
        response = api(w.park_admin).post(url("roombooking-confirm", booking))
    assert response.status_code == 200
    assert response.json()["status"] == "confirmed"
    assert Notification.objects.filter(recipient=w.member_user, title__contains=w.room_a1.name).exists()
    # Now the slot is taken: a new request is a 400 on starts_at, confirming the other one a 400.
    overlap = {**data, "starts_at": tomorrow(10).isoformat(), "ends_at": tomorrow(12).isoformat()}
    response = api(w.member_user).post(url("roombooking-list"), overlap, format="json")
    assert response.status_code == 400
    assert "starts_at" in response.json()
    response = api(w.park_admin).post(url("roombooking-confirm", second))
    assert response.status_code == 400
    assert RoomBooking.objects.filter(status="confirmed").count() == 1
    # Decline needs a reason; then the requester's cancel.
    response = api(w.park_admin).post(url("roombooking-decline", second), {"reason": ""}, format="json")
    assert response.status_code == 400
    assert "reason" in response.json()
    response = api(w.park_admin).post(url("roombooking-decline", second), {"reason": "时段已满"}, format="json")
    assert response.json()["status"] == "declined"
    assert api(w.contact_b).post(url("roombooking-cancel", booking)).status_code == 404
    response = api(w.member_user).post(url("roombooking-cancel", booking))
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"


def test_booking_bad_input(svc, api):  # noqa: F811
    w = svc
    client = api(w.member_user)
    data = {"room": w.room_a1.pk, "starts_at": tomorrow(11).isoformat(), "ends_at": tomorrow(9).isoformat()}
    response = client.post(url("roombooking-list"), {**data, "purpose": "x"}, format="json")
    assert response.status_code == 400
    assert "ends_at" in response.json()
    response = client.post(url("roombooking-list"), {**data, "purpose": ""}, format="json")
    assert response.status_code == 400
    assert "purpose" in response.json()
    response = client.post(url("roombooking-list"), {**data, "room": w.room_b.pk, "purpose": "x"}, format="json")
    assert response.status_code == 400
    assert "room" in response.json()
    outsider = UserFactory()
    response = api(outsider).post(
        url("roombooking-list"),
        {
            "room": w.room_a1.pk,
            "starts_at": tomorrow(9).isoformat(),
            "ends_at": tomorrow(10).isoformat(),
            "purpose": "x",
        },
        format="json",
    )
    assert response.status_code == 400
    assert "room" in response.json()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_exclusion_constraint_becomes_400(svc, api, monkeypatch):  # noqa: F811
    """On PostgreSQL the database refuses overlapping confirmed bookings even if the check in the
    action were bypassed; the API answers 400, never 500."""
    from services.models import RoomBookingQuerySet

    w = svc
    first = RoomBookingFactory(room=w.room_a1, starts_at=tomorrow(9), ends_at=tomorrow(11))
    second = RoomBookingFactory(room=w.room_a1, starts_at=tomorrow(10), ends_at=tomorrow(12))
    assert api(w.park_admin).post(url("roombooking-confirm", first)).status_code == 200
    monkeypatch.setattr(RoomBookingQuerySet, "overlapping", lambda self, **kw: self.none())
    response = api(w.park_admin).post(url("roombooking-confirm", second))
    assert response.status_code == 400, response.content
    assert RoomBooking.objects.filter(status="confirmed").count() == 1


def test_a_huge_id_filter_is_400(world, api):
    client = api(world.park_admin)
    for name in ("servicerequest-list", "wish-list", "roombooking-list", "serviceteam-list"):
        assert client.get(url(name, park=str(10**30))).status_code == 400, name


def test_status_in_a_body_is_ignored(svc, api):  # noqa: F811
    w = svc
    data = {"category": category().pk, "title": "t", "description": "d", "status": "closed", "rating": 5}
    response = api(w.member_user).post(url("servicerequest-list"), data, format="json")
    assert response.status_code == 201
    assert response.json()["status"] == "submitted"
    assert response.json()["rating"] is None


def test_decline_and_withdraw_notify_as_on_the_pages(svc, api, django_capture_on_commit_callbacks):  # noqa: F811
    w = svc
    booking = RoomBookingFactory(room=w.room_a1, booked_by=w.member_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = api(w.park_admin).post(url("roombooking-decline", booking), {"reason": "装修"}, format="json")
    assert response.status_code == 200
    assert response.json()["decline_reason"] == "装修"
    assert Notification.objects.filter(recipient=w.member_user, body="装修").exists()
    wish = WishFactory(park=w.park_a1, status="claimed", claimed_by=w.member_a1)
    with django_capture_on_commit_callbacks(execute=True):
        assert api(w.park_admin).post(url("wish-cancel", wish)).status_code == 200
    assert Notification.objects.filter(recipient=w.member_user, body=wish.need).exists()
