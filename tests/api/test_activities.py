"""API of the activities app: every endpoint on the generic base, and every step through the API
calling the same action as the pages (the state, the ledger and the notifications it leaves)."""

import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from activities.models import Activity, ActivityFile, Attendance, ComplianceRule, Kind, PointEntry, PointRule
from members.models import Member
from notifications.models import Notification
from tests.activities.factories import ActivityFactory, AttendanceFactory
from tests.factories import MemberFactory

from .base import APIViewTestCases

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def png_bytes():
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buffer, "PNG")
    return buffer.getvalue()


def once(w, name, make):
    """The same object for every hook call of one test (the hooks are called several times)."""
    if not hasattr(w, name):
        setattr(w, name, make())
    return getattr(w, name)


def activity_a1(w):
    return once(w, "activity_a1", lambda: ActivityFactory(host=w.branch_a1, title="支委会A1"))


def activity_b(w):
    return once(w, "activity_b", lambda: ActivityFactory(host=w.branch_b, title="支委会B"))


def url(name, obj=None, **query):
    path = reverse(f"api:{name}", args=[obj.pk] if obj is not None else [])
    if query:
        from urllib.parse import urlencode

        path += "?" + urlencode(query, doseq=True)
    return path


def past(hours=1):
    return (timezone.now() - datetime.timedelta(hours=hours)).isoformat()


# --- the generic tests ----------------------------------------------------------------------------


class Eager:
    """Create the visible and hidden rows before the test's first request (the hooks are lazy)."""

    @pytest.fixture(autouse=True)
    def _rows(self, world):
        self.visible(world)
        self.hidden(world)


class TestActivities(
    Eager,
    APIViewTestCases.GetObject,
    APIViewTestCases.ListObjects,
    APIViewTestCases.CreateObject,
    APIViewTestCases.UpdateObject,
    APIViewTestCases.QueryCount,
):
    basename = "activity"
    model = Activity

    def writer(self, w):
        return w.secretary

    def reader(self, w):
        return w.official

    def visible(self, w):
        return activity_a1(w)

    def hidden(self, w):
        return activity_b(w)

    def create_data(self, w):
        return {"host": w.branch_a1.pk, "kind": "committee_meeting", "title": "支委会（接口）", "starts_at": past()}

    def update_data(self, w):
        return {"title": "支委会（改）", "place": "党群服务中心"}

    def make_rows(self, w, n):
        for i in range(n):
            activity = ActivityFactory(host=w.branch_a1, title=f"活动{i}")
            activity.co_hosts.add(w.branch_a2)
            AttendanceFactory(activity=activity, member=w.member_a1)

    def test_not_deleted(self, world, api):
        response = api(world.secretary).delete(self.detail_url(activity_a1(world)))
        assert response.status_code == 405
        assert Activity.objects.filter(pk=activity_a1(world).pk).exists()

    def test_status_is_not_writable(self, world, api):
        activity = ActivityFactory(host=world.branch_a1, status=Activity.Status.PLANNED)
        response = api(world.secretary).patch(self.detail_url(activity), {"status": "held"}, format="json")
        assert response.status_code == 200
        activity.refresh_from_db()
        assert activity.status == Activity.Status.PLANNED

    def test_filters_search_and_ordering(self, world, api):
        ActivityFactory(host=world.branch_a1, kind=Kind.PARTY_LECTURE, title="党课：电商与党建")
        ActivityFactory(host=world.branch_a1, kind=Kind.COMMITTEE_MEETING, title="支委会十一月")
        client = api(world.secretary)
        rows = client.get(url("activity-list", kind="party_lecture")).json()["results"]
        assert [r["title"] for r in rows] == ["党课：电商与党建"]
        rows = client.get(url("activity-list", search="十一月")).json()["results"]
        assert [r["title"] for r in rows] == ["支委会十一月"]
        assert client.get(url("activity-list", ordering="title")).status_code == 200
        assert client.get(url("activity-list", kind="nonsense")).status_code == 400


class TestAttendances(Eager, APIViewTestCases.ReadOnly):
    basename = "attendance"
    model = Attendance

    def writer(self, w):
        return w.secretary

    def visible(self, w):
        return once(w, "att_a1", lambda: AttendanceFactory(activity=activity_a1(w), member=w.member_a1))

    def hidden(self, w):
        return once(w, "att_b", lambda: AttendanceFactory(activity=activity_b(w), member=w.member_b))

    def make_rows(self, w, n):
        for _i in range(n):
            AttendanceFactory(activity=ActivityFactory(host=w.branch_a1), member=w.member_a1_other)

    def test_member_sees_only_their_own(self, world, api):
        own = self.visible(world)
        other = AttendanceFactory(activity=activity_a1(world), member=world.member_a1_other)
        ids = self.ids(api(world.member_user).get(self.list_url()))
        assert own.pk in ids
        assert other.pk not in ids


class TestActivityFiles(Eager, APIViewTestCases.GetObject, APIViewTestCases.ListObjects, APIViewTestCases.QueryCount):
    basename = "activityfile"
    model = ActivityFile

    def writer(self, w):
        return w.secretary

    @staticmethod
    def make_file(activity, name="photo.png"):
        return ActivityFile.objects.create(
            activity=activity,
            kind=ActivityFile.Kind.PHOTO,
            file=SimpleUploadedFile(name, png_bytes()),
            name=name,
            size=100,
        )

    def visible(self, w):
        return once(w, "file_a1", lambda: self.make_file(activity_a1(w)))

    def hidden(self, w):
        return once(w, "file_b", lambda: self.make_file(activity_b(w)))

    def make_rows(self, w, n):
        for i in range(n):
            self.make_file(activity_a1(w), f"p{i}.png")

    def upload(self, client, activity, name="photo.png", content=None, kind="photo"):
        upload = SimpleUploadedFile(name, content if content is not None else png_bytes(), content_type="image/png")
        return client.post(self.list_url(), {"activity": activity.pk, "kind": kind, "file": upload}, format="multipart")

    def test_upload_a_photo(self, world, api):
        response = self.upload(api(world.secretary), activity_a1(world))
        assert response.status_code == 201, response.content
        body = response.json()
        assert body["activity"] == activity_a1(world).pk
        assert body["kind"] == "photo"
        assert body["url"].startswith("/media/activities/")
        assert ActivityFile.objects.filter(pk=body["id"], activity=activity_a1(world)).exists()

    def test_fake_image_is_400_with_field_error(self, world, api):
        response = self.upload(api(world.secretary), activity_a1(world), "photo.png", b"<html>not an image</html>")
        assert response.status_code == 400
        assert "file" in response.json()
        assert ActivityFile.objects.count() == 2  # the visible and hidden rows only

    def test_wrong_attachment_type_is_400(self, world, api):
        response = self.upload(api(world.secretary), activity_a1(world), "x.exe", b"MZ....", kind="attachment")
        assert response.status_code == 400
        assert "file" in response.json()

    def test_read_only_role_cannot_upload(self, world, api):
        assert self.upload(api(world.official), activity_a1(world)).status_code == 403
        assert ActivityFile.objects.count() == 2  # the visible and hidden rows only

    def test_another_branch_cannot_upload(self, world, api):
        response = self.upload(api(world.secretary_b), activity_a1(world))
        assert response.status_code == 400  # the activity is not a valid choice: its existence does not leak
        assert "activity" in response.json()
        assert ActivityFile.objects.count() == 2  # the visible and hidden rows only

    def test_delete(self, world, api):
        obj = self.visible(world)
        assert api(world.official).delete(self.detail_url(obj)).status_code == 403
        assert api(world.secretary_b).delete(self.detail_url(obj)).status_code == 404
        assert api(world.secretary).delete(self.detail_url(obj)).status_code == 204
        assert not ActivityFile.objects.filter(pk=obj.pk).exists()


class TestComplianceRules(APIViewTestCases.Full):
    basename = "compliancerule"
    model = ComplianceRule

    global_catalogue = True

    def writer(self, w):
        return w.superuser

    def reader(self, w):
        return w.secretary

    def list_user(self, w):
        return w.secretary

    def visible(self, w):
        return ComplianceRule.objects.get(kind="committee_meeting")

    def deletable(self, w):
        return ComplianceRule.objects.create(kind="salon", period="year")

    def create_data(self, w):
        return {"kind": "training", "period": "quarter", "minimum_count": 2}

    def update_data(self, w):
        return {"minimum_count": 2}

    def make_rows(self, w, n):
        for kind in ["training", "salon", "forum", "volunteer", "mass_activity", "other"][:n]:
            ComplianceRule.objects.create(kind=kind, period="year")

    def test_duplicate_kind_is_400(self, world, api):
        response = api(world.superuser).post(self.list_url(), {"kind": "committee_meeting", "period": "month"})
        assert response.status_code == 400
        assert "kind" in response.json()

    def test_zero_minimum_is_400(self, world, api):
        response = api(world.superuser).patch(self.detail_url(self.visible(world)), {"minimum_count": 0})
        assert response.status_code == 400
        assert "minimum_count" in response.json()


class TestPointRules(
    APIViewTestCases.GetObject,
    APIViewTestCases.ListObjects,
    APIViewTestCases.UpdateObject,
    APIViewTestCases.DeleteObject,
):
    basename = "pointrule"
    model = PointRule

    global_catalogue = True

    def writer(self, w):
        return w.superuser

    def reader(self, w):
        return w.park_admin

    def list_user(self, w):
        return w.member_user

    def visible(self, w):
        return PointRule.objects.get(kind="party_lecture")

    def update_data(self, w):
        return {"points": 5}

    def test_create(self, world, api):
        PointRule.objects.filter(kind="other").delete()
        data = {"kind": "other", "points": 2}
        assert api(world.park_admin).post(self.list_url(), data).status_code == 403
        assert api(world.superuser).post(self.list_url(), {"kind": "other", "points": -1}).status_code == 400
        response = api(world.superuser).post(self.list_url(), data)
        assert response.status_code == 201
        assert PointRule.objects.get(kind="other").points == 2

    def test_list_query_count_is_constant(self, world, api, django_assert_max_num_queries):
        client = api(world.member_user)
        client.get(self.list_url())
        with django_assert_max_num_queries(6):
            response = client.get(self.list_url())
        assert response.json()["count"] == len(Kind.values)


class TestPointEntries(Eager, APIViewTestCases.ReadOnly):
    basename = "pointentry"
    model = PointEntry

    def writer(self, w):
        return w.secretary

    @staticmethod
    def entry(member, activity=None, points=2):
        return PointEntry.objects.create(member=member, activity=activity, points=points, reason="award")

    def visible(self, w):
        return once(w, "entry_a1", lambda: self.entry(w.member_a1, activity_a1(w)))

    def hidden(self, w):
        return once(w, "entry_b", lambda: self.entry(w.member_b, activity_b(w)))

    def make_rows(self, w, n):
        for _i in range(n):
            self.entry(w.member_a1_other, ActivityFactory(host=w.branch_a1))


# --- the steps, as on the pages -------------------------------------------------------------------


def test_log_an_activity_with_attendance(world, api):
    """The curl example of docs/api.md: one call logs a held activity with its attendance list."""
    response = api(world.secretary).post(
        url("activity-list"),
        {
            "host": world.branch_a1.pk,
            "kind": "themed_day",
            "title": "主题党日",
            "starts_at": past(2),
            "ends_at": past(1),
            "attendance": [
                {"member": world.member_a1.pk, "status": "present", "volunteer_hours": "2.0"},
                {"member": world.member_a1_other.pk, "status": "leave", "reason": "出差"},
            ],
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "held"
    assert body["attendance_count"] == 2
    assert body["present_count"] == 1
    activity = Activity.objects.get(pk=body["id"])
    assert activity.created_by == world.secretary
    rows = {a.member_id: a.status for a in activity.attendances.all()}
    assert rows == {world.member_a1.pk: "present", world.member_a1_other.pk: "leave"}
    # Points follow the rule, exactly as for the page.
    world.member_a1.refresh_from_db()
    assert world.member_a1.points == PointRule.objects.get(kind="themed_day").points
    assert PointEntry.objects.filter(activity=activity, member=world.member_a1, reason="award").exists()


def test_log_without_attendance_takes_the_checklist(world, api):
    response = api(world.secretary).post(
        url("activity-list"),
        {"host": world.branch_a1.pk, "kind": "themed_day", "title": "主题党日", "starts_at": past()},
        format="json",
    )
    assert response.status_code == 201
    activity = Activity.objects.get(pk=response.json()["id"])
    expected = {world.member_a1.pk, world.member_a1_other.pk, world.member_group.pk}
    assert set(activity.attendances.values_list("member_id", flat=True)) == expected


def test_a_future_activity_is_planned_and_attendance_waits(world, api):
    future = (timezone.now() + datetime.timedelta(days=2)).isoformat()
    client = api(world.secretary)
    data = {"host": world.branch_a1.pk, "kind": "party_lecture", "title": "党课", "starts_at": future}
    response = client.post(url("activity-list"), data, format="json")
    assert response.status_code == 201
    assert response.json()["status"] == "planned"
    activity = Activity.objects.get(pk=response.json()["id"])
    response = client.post(
        url("activity-attendance", activity), {"entries": [{"member": world.member_a1.pk}]}, format="json"
    )
    assert response.status_code == 400
    assert response.json()


def test_record_attendance_makes_it_held(world, api, django_capture_on_commit_callbacks):
    activity = ActivityFactory(host=world.branch_a1, status=Activity.Status.PLANNED, kind="party_congress")
    with django_capture_on_commit_callbacks(execute=True):
        response = api(world.secretary).post(
            url("activity-attendance", activity),
            {"entries": [{"member": world.member_a1.pk}, {"member": world.member_a1_other.pk, "status": "absent"}]},
            format="json",
        )
    assert response.status_code == 200, response.content
    activity.refresh_from_db()
    assert activity.status == Activity.Status.HELD
    assert activity.attendances.count() == 2
    assert PointEntry.objects.filter(activity=activity, member=world.member_a1).exists()
    # A party congress records its quorum; below it the secretary is notified, as from the page.
    assert activity.quorum_met is not None
    if activity.below_quorum:
        assert Notification.objects.filter(recipient=world.secretary, title__contains=activity.title).exists()


def test_attendance_bad_input_is_400_with_field_errors(world, api):
    activity = activity_a1(world)
    client = api(world.secretary)
    bad_status = client.post(
        url("activity-attendance", activity),
        {"entries": [{"member": world.member_a1.pk, "status": "x"}]},
        format="json",
    )
    assert bad_status.status_code == 400
    assert "entries" in bad_status.json()
    outsider = client.post(
        url("activity-attendance", activity), {"entries": [{"member": world.member_b.pk}]}, format="json"
    )
    assert outsider.status_code == 400
    assert "attendance" in outsider.json()
    leave = client.post(
        url("activity-attendance", activity),
        {"entries": [{"member": world.member_a1.pk, "status": "leave"}]},
        format="json",
    )
    assert leave.status_code == 400
    assert "attendance" in leave.json()
    hours = client.post(
        url("activity-attendance", activity),
        {"entries": [{"member": world.member_a1.pk, "volunteer_hours": "99"}]},
        format="json",
    )
    assert hours.status_code == 400
    assert client.post(url("activity-attendance", activity), {}, format="json").status_code == 400
    assert not Attendance.objects.filter(activity=activity).exists()


def test_cancel_reverses_points(world, api):
    client = api(world.secretary)
    response = client.post(
        url("activity-list"),
        {"host": world.branch_a1.pk, "kind": "themed_day", "title": "主题党日", "starts_at": past()},
        format="json",
    )
    activity = Activity.objects.get(pk=response.json()["id"])
    assert client.post(url("activity-cancel", activity), {}, format="json").status_code == 400
    response = client.post(url("activity-cancel", activity), {"reason": "重复登记"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "cancelled"
    assert PointEntry.objects.filter(activity=activity, reason="reversal").exists()
    world.member_a1.refresh_from_db()
    assert world.member_a1.points == 0
    again = client.post(url("activity-cancel", activity), {"reason": "再次"}, format="json")
    assert again.status_code == 400


def test_update_bad_input_is_400(world, api):
    activity = activity_a1(world)
    client = api(world.secretary)
    response = client.patch(
        url("activity-detail", activity),
        {"ends_at": (activity.starts_at - datetime.timedelta(hours=1)).isoformat()},
        format="json",
    )
    assert response.status_code == 400
    assert "ends_at" in response.json()
    response = client.patch(url("activity-detail", activity), {"co_hosts": [world.branch_a1.pk]}, format="json")
    assert response.status_code == 400
    assert "co_hosts" in response.json()
    response = client.patch(url("activity-detail", activity), {"kind": "dance"}, format="json")
    assert response.status_code == 400
    assert "kind" in response.json()


def test_create_bad_input_is_400(world, api):
    client = api(world.secretary)
    data = {"host": world.branch_a1.pk, "kind": "committee_meeting", "title": " ", "starts_at": "yesterday"}
    response = client.post(url("activity-list"), data, format="json")
    assert response.status_code == 400
    assert {"title", "starts_at"} <= set(response.json())
    # A host outside the secretary's branch is not a valid choice.
    data = {"host": world.branch_b.pk, "kind": "committee_meeting", "title": "x", "starts_at": past()}
    response = client.post(url("activity-list"), data, format="json")
    assert response.status_code == 400
    assert "host" in response.json()


def test_checklist(world, api):
    activity = activity_a1(world)
    response = api(world.secretary).get(url("activity-checklist", activity))
    assert response.status_code == 200
    assert {row["id"] for row in response.json()} == {
        world.member_a1.pk,
        world.member_a1_other.pk,
        world.member_group.pk,
    }
    assert "id_number" not in response.json()[0]
    assert api(world.official).get(url("activity-checklist", activity)).status_code == 403
    assert api(world.secretary_b).get(url("activity-checklist", activity)).status_code == 404


def test_another_branch_cannot_read_or_change_activities_or_attendance(world, api):
    activity = activity_a1(world)
    attendance = AttendanceFactory(activity=activity, member=world.member_a1)
    client = api(world.secretary_b)
    assert activity.pk not in {r["id"] for r in client.get(url("activity-list")).json()["results"]}
    assert client.get(url("activity-detail", activity)).status_code == 404
    assert client.patch(url("activity-detail", activity), {"title": "x"}, format="json").status_code == 404
    assert client.post(url("activity-cancel", activity), {"reason": "x"}, format="json").status_code == 404
    entries = {"entries": [{"member": world.member_b.pk}]}
    assert client.post(url("activity-attendance", activity), entries, format="json").status_code == 404
    assert client.get(url("attendance-detail", attendance)).status_code == 404
    assert client.get(url("attendance-list", activity=activity.pk)).json()["count"] == 0
    activity.refresh_from_db()
    assert activity.title == "支委会A1"
    assert activity.status == Activity.Status.HELD
    assert Attendance.objects.filter(activity=activity).count() == 1


def test_read_only_roles_get_403_on_steps(world, api):
    activity = activity_a1(world)
    for user in (world.official, world.member_user):
        client = api(user)
        assert client.get(url("activity-detail", activity)).status_code == 200
        assert client.post(url("activity-cancel", activity), {"reason": "x"}, format="json").status_code == 403
        entries = {"entries": [{"member": world.member_a1.pk}]}
        assert client.post(url("activity-attendance", activity), entries, format="json").status_code == 403
    activity.refresh_from_db()
    assert activity.status == Activity.Status.HELD


def test_park_admin_manages_the_parks_activities(world, api):
    activity = activity_a1(world)
    response = api(world.park_admin).patch(url("activity-detail", activity), {"topic": "学习"}, format="json")
    assert response.status_code == 200
    assert api(world.park_admin).get(url("activity-detail", activity_b(world))).status_code == 404


def test_member_points_ledger(world, api):
    other = MemberFactory(name="乙", organization=world.branch_a1)
    PointEntry.objects.create(member=world.member_a1, points=2, reason="award")
    PointEntry.objects.create(member=other, points=3, reason="award")
    rows = api(world.member_user).get(url("pointentry-list")).json()["results"]
    assert {r["member"] for r in rows} == {world.member_a1.pk}
    assert Member.objects.get(pk=world.member_a1.pk).id_number not in str(rows)


def test_a_huge_or_fractional_id_filter_is_400(world, api):
    client = api(world.secretary)
    assert client.get(url("activity-list", host="-6.7e125")).status_code == 400
    assert client.get(url("activity-list", organization=str(10**30))).status_code == 400
    assert client.get(url("attendance-list", activity="1.5")).status_code == 400
    assert client.get(url("activity-list", host=world.branch_a1.pk)).status_code == 200


def test_co_host_and_room_as_on_the_page(world, api):
    """A secretary picks a co-host among the branches of the host's park, and a room of that park,
    even where their own scope does not show that branch."""
    from tests.factories import OrganizationFactory, RoomFactory

    sibling = OrganizationFactory(name="支部A1乙", park=world.park_a1, parent=world.committee)
    room = RoomFactory(name="会议室A1乙", park=world.park_a1)
    data = {
        "host": world.branch_a1.pk,
        "kind": "party_lecture",
        "title": "联合党课",
        "starts_at": past(),
        "co_hosts": [sibling.pk],
        "room": room.pk,
    }
    response = api(world.secretary).post(url("activity-list"), data, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["co_hosts"] == [sibling.pk]
    assert response.json()["room"] == room.pk
    # A branch of another district is no choice at all.
    response = api(world.secretary).post(url("activity-list"), {**data, "co_hosts": [world.branch_b.pk]}, format="json")
    assert response.status_code == 400
    assert "co_hosts" in response.json()
