import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from activities.models import CHANGE_REASON_MAX_LENGTH, Activity, ActivityFile, Attendance

from .factories import ActivityFactory, AttendanceFactory, earlier_today

pytestmark = pytest.mark.django_db


def png_bytes():
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buffer, "PNG")
    return buffer.getvalue()


def form_data(**extra):
    data = {
        "org": "",
        "kind": "training",
        "title": "支委会",
        "starts_at": timezone.localtime(earlier_today(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "non_member_count": "0",
    }
    data.update(extra)
    return data


@pytest.fixture
def secretary_client(client, world):
    client.force_login(world.secretary)
    return client


@pytest.fixture
def other_activity(world):
    return ActivityFactory(host=world.branch_b, title="支部B的会")


def test_secretary_logs_an_activity_with_absentees(secretary_client, world):
    data = form_data(org=world.branch_a1.pk)
    data[f"att-{world.member_a1.pk}"] = "absent"
    data[f"att-{world.member_a1_other.pk}"] = "leave"
    data[f"reason-{world.member_a1_other.pk}"] = "出差"
    response = secretary_client.post(reverse("activities:create"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    activity = Activity.objects.get()
    statuses = dict(activity.attendances.values_list("member_id", "status"))
    assert statuses == {
        world.member_a1.pk: "absent",
        world.member_a1_other.pk: "leave",
        world.member_group.pk: "present",
    }
    world.member_a1.refresh_from_db()
    world.member_group.refresh_from_db()
    assert world.member_a1.points == 0
    assert world.member_group.points == 2
    page = secretary_client.get(activity.get_absolute_url())
    assert page.status_code == 200
    assert "支委会" in page.content.decode()


def test_bad_input_gives_400_not_500(secretary_client, world):
    response = secretary_client.post(reverse("activities:create"), form_data(org=world.branch_a1.pk, title=""))
    assert response.status_code == 400
    response = secretary_client.post(
        reverse("activities:create"),
        form_data(org=world.branch_a1.pk, **{f"att-{world.member_a1.pk}": "bogus"}),
    )
    assert response.status_code == 400
    response = secretary_client.post(
        reverse("activities:create"), form_data(org=world.branch_a1.pk, **{"att-abc": "present"})
    )
    assert response.status_code == 400
    response = secretary_client.get(reverse("activities:list"), {"period": "2026-13"})
    assert response.status_code == 400
    response = secretary_client.post(reverse("activities:create"), form_data(org="x"))
    assert response.status_code == 404
    assert not Activity.objects.exists()


def test_crafted_attendance_of_another_branchs_member_is_refused(secretary_client, world):
    data = form_data(org=world.branch_a1.pk, **{f"att-{world.member_b.pk}": "present"})
    response = secretary_client.post(reverse("activities:create"), data)
    assert response.status_code == 400
    assert not Activity.objects.exists()


def test_photo_and_attachment_checks(secretary_client, world):
    fake = SimpleUploadedFile("photo.jpg", b"not an image at all", content_type="image/jpeg")
    response = secretary_client.post(
        reverse("activities:create"), {**form_data(org=world.branch_a1.pk), "photos": [fake]}
    )
    assert response.status_code == 400
    exe = SimpleUploadedFile("minutes.pdf", b"MZ\x90\x00", content_type="application/pdf")
    response = secretary_client.post(
        reverse("activities:create"), {**form_data(org=world.branch_a1.pk), "attachments": [exe]}
    )
    assert response.status_code == 400
    assert not Activity.objects.exists()
    good = SimpleUploadedFile("photo.png", png_bytes(), content_type="image/png")
    pdf = SimpleUploadedFile("minutes.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf")
    response = secretary_client.post(
        reverse("activities:create"),
        {**form_data(org=world.branch_a1.pk), "photos": [good], "attachments": [pdf]},
    )
    assert response.status_code == 302
    assert sorted(ActivityFile.objects.values_list("kind", flat=True)) == ["attachment", "photo"]


def test_oversized_photo_is_refused(world, settings):
    from django.core.exceptions import ValidationError

    from activities import validators

    big = SimpleUploadedFile("big.png", png_bytes() + b"\0" * (validators.MAX_PHOTO_BYTES + 1))
    with pytest.raises(ValidationError):
        validators.validate_photo(big)


def test_secretary_cannot_see_or_change_another_branchs_activity(secretary_client, world, other_activity):
    pk = other_activity.pk
    assert secretary_client.get(reverse("activities:detail", args=[pk])).status_code == 404
    assert secretary_client.get(reverse("activities:edit", args=[pk])).status_code == 404
    assert secretary_client.post(reverse("activities:edit", args=[pk]), form_data(title="hacked")).status_code == 404
    assert (
        secretary_client.post(
            reverse("activities:attendance", args=[pk]), {f"att-{world.member_b.pk}": "absent"}
        ).status_code
        == 404
    )
    assert secretary_client.post(reverse("activities:cancel", args=[pk]), {"reason": "x"}).status_code == 404
    listing = secretary_client.get(reverse("activities:list")).content.decode()
    assert "支部B的会" not in listing
    # Logging for another branch by a crafted org id.
    response = secretary_client.post(reverse("activities:create"), form_data(org=world.branch_b.pk))
    assert response.status_code == 404
    other_activity.refresh_from_db()
    assert other_activity.title == "支部B的会"
    assert other_activity.status == "held"
    assert Activity.objects.count() == 1


def test_action_refuses_another_branch(world):
    from django.core.exceptions import ValidationError

    from activities import actions

    with pytest.raises(ValidationError):
        actions.activity_log(
            by=world.secretary,
            host=world.branch_b,
            kind="committee_meeting",
            title="x",
            starts_at=timezone.now(),
        )
    activity = ActivityFactory(host=world.branch_b)
    with pytest.raises(ValidationError):
        actions.activity_cancel(activity=activity, by=world.secretary, reason="x")


def test_admin_is_scoped(client, world, other_activity):
    mine = ActivityFactory(host=world.branch_a1, title="园区A1的会")
    client.force_login(world.secretary)
    assert client.get(reverse("admin:activities_activity_changelist")).status_code in (302, 403)
    client.force_login(world.park_admin)
    response = client.get(reverse("admin:activities_activity_changelist"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "园区A1的会" in body
    assert "支部B的会" not in body
    assert client.get(reverse("admin:activities_activity_change", args=[other_activity.pk])).status_code in (
        302,
        404,
    )
    assert client.get(reverse("admin:activities_activity_change", args=[mine.pk])).status_code == 200


def _make_activities(world, count):
    for i in range(count):
        activity = ActivityFactory(host=world.branch_a1, starts_at=timezone.now() - datetime.timedelta(days=i + 1))
        AttendanceFactory(activity=activity, member=world.member_a1)
        AttendanceFactory(activity=activity, member=world.member_a1_other, status=Attendance.Status.ABSENT)


def _count_queries(client, url, django_assert_max_num_queries, limit):
    with django_assert_max_num_queries(limit):
        response = client.get(url)
    assert response.status_code == 200
    return response


@pytest.mark.parametrize("url_name", ["activities:list", "activities:calendar"])
def test_query_count_does_not_grow(secretary_client, world, django_assert_num_queries, url_name):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    url = reverse(url_name)
    _make_activities(world, 3)
    secretary_client.get(url)  # warm the session
    with CaptureQueriesContext(connection) as few:
        assert secretary_client.get(url).status_code == 200
    _make_activities(world, 20)
    with CaptureQueriesContext(connection) as many:
        assert secretary_client.get(url).status_code == 200
    assert len(many) == len(few)
    assert len(few) <= 25


def test_compliance_table_is_scoped_and_sortable(client, world):
    ActivityFactory(host=world.branch_a1, kind="themed_day")
    client.force_login(world.official)
    response = client.get(reverse("activities:compliance"), {"sort": "-rate"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "支部A1" in body
    assert "支部A2" in body
    assert "支部B" not in body
    rows = response.context["rows"]
    assert [r.organization.name for r in rows][0] == "支部A1"
    ascending = client.get(reverse("activities:compliance"), {"sort": "rate"}).context["rows"]
    assert ascending[-1].organization.name == "支部A1"
    assert client.get(reverse("activities:compliance"), {"sort": "nonsense"}).status_code == 200
    client.force_login(world.secretary)
    assert client.get(reverse("activities:compliance")).status_code == 403


def test_compliance_table_counts_each_branchs_active_full_members_and_sorts_by_them(client, world):
    from members.models import Member
    from tests.factories import MemberFactory

    def full_members(branch):
        return Member.objects.filter(organization=branch, stage="full", status="active").count()

    MemberFactory.create_batch(3, organization=world.branch_a2)
    MemberFactory(organization=world.branch_a2, stage="probationary")  # not yet full
    MemberFactory(organization=world.branch_a2, status="deceased")  # no longer on the roll
    client.force_login(world.official)
    rows = client.get(reverse("activities:compliance"), {"sort": "-members"}).context["rows"]
    shown = {row.organization.name: row.organization.full_members for row in rows}
    assert shown == {"支部A1": full_members(world.branch_a1), "支部A2": full_members(world.branch_a2)}
    assert shown["支部A2"] > shown["支部A1"]
    assert [row.organization.name for row in rows] == ["支部A2", "支部A1"]


def test_compliance_table_pages_what_it_sorted_over_every_branch(client, world, monkeypatch):
    from activities import views

    ActivityFactory(host=world.branch_a1, kind="themed_day")
    client.force_login(world.official)
    client.cookies["django_language"] = "en"
    everything = client.get(reverse("activities:compliance"), {"sort": "-rate", "year": 2026})
    assert "compliance-shown" not in everything.content.decode()  # one page: no pager
    order = [r.organization.name for r in everything.context["rows"]]
    assert len(order) >= 2
    monkeypatch.setattr(views, "COMPLIANCE_ROWS_PER_PAGE", 1)
    seen = []
    for number in range(1, len(order) + 1):
        response = client.get(reverse("activities:compliance"), {"sort": "-rate", "year": 2026, "page": number})
        body = response.content.decode()
        assert [r.organization.name for r in response.context["rows"]] == [order[number - 1]]
        seen.append(order[number - 1])
        assert f"Branches {number}–{number} of {len(order)}" in body
        if number < len(order):  # the next page keeps the year and the sort
            assert f'href="?year=2026&amp;sort=-rate&amp;page={number + 1}"' in body
    assert seen == order
    # Past the last page: the last page, not an error.
    beyond = client.get(reverse("activities:compliance"), {"sort": "-rate", "year": 2026, "page": 99})
    assert [r.organization.name for r in beyond.context["rows"]] == [order[-1]]
    client.cookies["django_language"] = "zh-hans"
    chinese = client.get(reverse("activities:compliance"), {"sort": "-rate", "year": 2026, "page": 1})
    assert f"第 1–1 个支部，共 {len(order)} 个" in chinese.content.decode()


def test_compliance_table_counts_are_kept_per_version_and_follow_every_write(client, world):
    """The counts of every branch's grid are read once per change of their data: a second view
    reads them from the cache, and a held activity, a full member or a committee elected since is
    in the next view, as the grid computed afresh says."""
    from django.core.cache import cache
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from activities.selectors import compliance
    from elections.models import CommitteeSeat, Election
    from tests.factories import MemberFactory

    client.force_login(world.official)
    url = reverse("activities:compliance")

    def shown():
        rows = client.get(url, {"sort": "name"}).context["rows"]
        return {r.organization.name: (r.organization.full_members, r.met, r.elapsed, r.below_quorum) for r in rows}

    def computed():
        branches = compliance([world.branch_a1, world.branch_a2], year=timezone.localdate().year)
        return {b.organization.name: (b.met, b.elapsed, b.below_quorum) for b in branches}

    def agrees():
        table = shown()
        assert {name: counts[1:] for name, counts in table.items()} == computed()
        return table

    first = agrees()
    cache.clear()
    with CaptureQueriesContext(connection) as cold:
        client.get(url)
    with CaptureQueriesContext(connection) as warm:
        client.get(url)
    assert len(warm) < len(cold), (len(warm), len(cold))

    ActivityFactory(host=world.branch_a1, kind="themed_day")
    after_activity = agrees()
    assert after_activity["支部A1"][1] == first["支部A1"][1] + 1

    MemberFactory(organization=world.branch_a2)
    assert agrees()["支部A2"][0] == first["支部A2"][0] + 1

    # A committee (three seats or more) elected in branch A2: the committee rule binds it now.
    members = MemberFactory.create_batch(3, organization=world.branch_a2)
    with transaction.atomic():
        election = Election.objects.create(
            organization=world.branch_a2,
            held_on=timezone.localdate().replace(month=1, day=1),
            eligible_voters=10,
            votes_cast=10,
            status=Election.Status.APPROVED,
        )
        CommitteeSeat.objects.bulk_create(
            [
                CommitteeSeat(election=election, member=member, post=post, votes=10)
                for member, post in zip(members, ["secretary", "member", "member"], strict=True)
            ]
        )
    assert agrees()["支部A2"][2] > after_activity["支部A2"][2]


def test_member_pages(client, world):
    activity = ActivityFactory(host=world.branch_a1, kind="training", title="我的会")
    from activities import actions

    actions.attendance_record(
        activity=activity, by=world.secretary, entries=[actions.AttendanceInput(member_id=world.member_a1.pk)]
    )
    client.force_login(world.member_user)
    assert "我的会" in client.get(reverse("activities:mine")).content.decode()
    body = client.get(reverse("activities:points")).content.decode()
    assert 'id="points-total">2<' in body


def test_checklist_row_htmx(secretary_client, world):
    url = reverse("activities:checklist_row", args=[world.member_a1.pk])
    body = secretary_client.get(url, {f"att-{world.member_a1.pk}": "leave"}).content.decode()
    assert f'name="reason-{world.member_a1.pk}"' in body
    assert "required" in body
    assert secretary_client.get(reverse("activities:checklist_row", args=[world.member_b.pk])).status_code == 404


def test_demo_seed_is_idempotent(world):
    import random

    from demo import activities as demo
    from members.models import Member

    out = io.StringIO()
    demo.seed(rng=random.Random(1), stdout=out)
    count = Activity.objects.count()
    assert count > 0
    demo.seed(rng=random.Random(1), stdout=out)
    assert Activity.objects.count() == count
    from django.db.models import Sum

    from activities.models import PointEntry

    for member in Member.objects.all():
        assert member.points == (PointEntry.objects.filter(member=member).aggregate(s=Sum("points"))["s"] or 0)


def test_home_card_shows_what_the_rules_still_require(secretary_client, world):
    body = secretary_client.get(reverse("home")).content.decode()
    assert 'id="card-branch-requirements"' in body
    assert "支部A1" in body


@pytest.mark.parametrize(
    ("reason", "message"),
    [
        ("更正\x00考勤", "Null characters are not allowed."),
        ("x" * (CHANGE_REASON_MAX_LENGTH + 1), f"at most {CHANGE_REASON_MAX_LENGTH} characters"),
        ("", "give a reason"),
    ],
)
def test_a_late_change_of_attendance_refuses_a_reason_it_cannot_keep(secretary_client, world, reason, message):
    """A held party lecture of a quarter that has closed (on any day the suite runs): the checklist
    page asks the reason for the change, read from the POST as it came. A NUL (PostgreSQL cannot
    store one), a reason longer than the history keeps, or none: 400 with the error, nothing written."""
    from activities import actions

    activity = actions.activity_log(
        by=world.secretary,
        host=world.branch_a1,
        kind="party_lecture",
        title="上季度党课",
        starts_at=timezone.now() - datetime.timedelta(days=200),
    )
    url = reverse("activities:attendance", args=[activity.pk])
    page = secretary_client.get(url).content.decode()
    assert 'name="reason"' in page
    before = (list(Attendance.objects.values_list("pk", "status")), activity.history.count())
    response = secretary_client.post(url, {f"att-{world.member_a1.pk}": "absent", "reason": reason})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert (list(Attendance.objects.values_list("pk", "status")), activity.history.count()) == before
    response = secretary_client.post(url, {f"att-{world.member_a1.pk}": "absent", "reason": "更正考勤"})
    assert response.status_code == 302
    assert Attendance.objects.get(activity=activity, member=world.member_a1).status == "absent"
