"""The back office of members and stage changes: scope, masking of ID numbers, search, history."""

import datetime

import pytest
from django.contrib import admin
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Role
from core.codes import make_id_number
from members.models import Member, StageChange
from members.selectors import can_view_full_id_number
from tests.factories import MemberFactory, assign

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:members_member_changelist"


def change_url(member):
    return reverse("admin:members_member_change", args=[member.pk])


def text(response):
    return response.content.decode()


def member_data(member, **overrides):
    data = {
        "name": member.name,
        "gender": member.gender,
        "ethnicity": member.ethnicity,
        "birth_date": member.birth_date.isoformat(),
        "id_number": member.id_number,
        "phone": member.phone,
        "education": member.education,
        "organization": member.organization_id,
        "employer": member.employer_id or "",
        "service_commitment": member.service_commitment,
        "stage_changes-TOTAL_FORMS": "0",
        "stage_changes-INITIAL_FORMS": "0",
        "stage_changes-MIN_NUM_FORMS": "0",
        "stage_changes-MAX_NUM_FORMS": "1000",
        "membership_events-TOTAL_FORMS": "0",
        "membership_events-INITIAL_FORMS": "0",
        "membership_events-MIN_NUM_FORMS": "0",
        "membership_events-MAX_NUM_FORMS": "1000",
    }
    data.update(overrides)
    return data


def new_member_data(organization, name="新党员", sequence=777):
    birth = datetime.date(1990, 5, 6)
    return member_data(
        Member(
            name=name,
            gender="F",
            ethnicity="汉族",
            birth_date=birth,
            id_number=make_id_number(division="330402", birth_date=birth, gender="F", sequence=sequence),
            phone="13900000001",
            education="bachelor",
            organization=organization,
        ),
        stage="applicant",
        applied_on="2025-01-02",
        activist_on="",
        candidate_on="",
        probationary_on="",
        full_on="",
        status="active",
        points="0",
    )


# -- the masking rule -------------------------------------------------------------------------


def test_who_may_see_a_full_id_number(world):
    m = world.member_a1
    m = Member.objects.select_related("organization").get(pk=m.pk)
    assert can_view_full_id_number(world.superuser, m)
    assert can_view_full_id_number(world.park_admin, m)  # park of the member
    assert can_view_full_id_number(world.member_user, m)  # the member themself
    for user in (world.official, world.secretary, world.service, world.outsider, world.official_b):
        assert not can_view_full_id_number(user, m), user
    other = Member.objects.select_related("organization").get(pk=world.member_a2.pk)
    assert not can_view_full_id_number(world.park_admin, other)
    assert not can_view_full_id_number(world.member_user, other)


# -- changelist ------------------------------------------------------------------------------


def test_changelist_scoped_with_full_numbers_for_own_park(client, world):
    client.force_login(world.park_admin)
    response = client.get(reverse(CHANGELIST))
    assert response.status_code == 200
    body = text(response)
    assert {m.name for m in response.context["cl"].result_list} == {"成员A1", "成员A1乙", "小组成员"}
    assert "成员A2" not in body
    assert "成员B" not in body
    assert world.member_a1.id_number in body
    assert world.member_b.id_number not in body
    assert "园区B" not in body
    assert "支部B" not in body


def test_changelist_masks_numbers_the_user_does_not_need(client, world):
    # A park administrator of A1 who is also an official of district A sees A2's members masked.
    assign(world.park_admin, Role.DISTRICT_OFFICIAL, world.district_a)
    client.force_login(world.park_admin)
    response = client.get(reverse(CHANGELIST))
    body = text(response)
    assert "成员A2" in body
    assert world.member_a2.id_number not in body
    assert world.member_a2.id_number_masked in body
    assert world.member_a2.phone not in body
    assert world.member_a1.id_number in body
    # The change form of the A2 member: read-only and masked.
    response = client.get(change_url(world.member_a2))
    assert response.status_code == 200
    body = text(response)
    assert world.member_a2.id_number not in body
    assert world.member_a2.id_number_masked in body
    assert 'name="id_number"' not in body
    # And it cannot be changed.
    response = client.post(change_url(world.member_a2), member_data(world.member_a2, name="改名"))
    assert response.status_code == 403


def test_superuser_sees_full_numbers_never_the_ciphertext(client, world):
    client.force_login(world.superuser)
    body = text(client.get(reverse(CHANGELIST)))
    for m in (world.member_a1, world.member_b):
        assert m.id_number in body
    stored = Member.objects.filter(pk=world.member_b.pk).values_list("id_number", "id_number_digest").get()
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number FROM members_member WHERE id = %s", [world.member_b.pk])
        ciphertext = cursor.fetchone()[0]
    assert ciphertext != world.member_b.id_number
    page = text(client.get(change_url(world.member_b)))
    assert ciphertext not in page
    assert stored[1] not in page
    assert ciphertext not in body


def test_search_by_full_id_number_uses_the_digest(client, world):
    client.force_login(world.superuser)
    response = client.get(reverse(CHANGELIST), {"q": world.member_b.id_number})
    assert [m.name for m in response.context["cl"].result_list] == ["成员B"]
    response = client.get(reverse(CHANGELIST), {"q": world.member_b.id_number.lower()})
    assert [m.name for m in response.context["cl"].result_list] == ["成员B"]
    # A park administrator finds their own members by ID number, never anyone else's.
    client.force_login(world.park_admin)
    response = client.get(reverse(CHANGELIST), {"q": world.member_b.id_number})
    assert list(response.context["cl"].result_list) == []
    response = client.get(reverse(CHANGELIST), {"q": world.member_a1_other.id_number})
    assert [m.name for m in response.context["cl"].result_list] == ["成员A1乙"]
    # Name search still works.
    response = client.get(reverse(CHANGELIST), {"q": "小组"})
    assert [m.name for m in response.context["cl"].result_list] == ["小组成员"]


def test_out_of_scope_member_is_not_found(client, world):
    client.force_login(world.park_admin)
    response = client.get(change_url(world.member_b))
    assert response.status_code in (302, 404)
    assert "成员B" not in text(response)
    assert client.get(reverse("admin:members_member_history", args=[world.member_b.pk])).status_code == 404
    version = world.member_b.history.first()
    url = reverse("admin:members_member_simple_history", args=[world.member_b.pk, version.history_id])
    assert client.get(url).status_code == 404


# -- writes ----------------------------------------------------------------------------------


def test_park_admin_adds_member_in_own_park_only(client, world):
    client.force_login(world.park_admin)
    url = reverse("admin:members_member_add")
    response = client.post(url, new_member_data(world.branch_b))
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["organization"]
    assert not Member.objects.filter(name="新党员").exists()

    response = client.post(url, new_member_data(world.branch_a1))
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Member.objects.get(name="新党员").organization == world.branch_a1


def test_crafted_move_to_another_park_is_refused(client, world):
    client.force_login(world.park_admin)
    response = client.post(change_url(world.member_a1), member_data(world.member_a1, organization=world.branch_a2.pk))
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["organization"]
    world.member_a1.refresh_from_db()
    assert world.member_a1.organization == world.branch_a1


def test_stage_is_not_a_free_edit_for_park_admins(client, world):
    client.force_login(world.park_admin)
    response = client.post(
        change_url(world.member_a1), member_data(world.member_a1, stage="applicant", name="成员A1新")
    )
    assert response.status_code == 302
    world.member_a1.refresh_from_db()
    assert world.member_a1.name == "成员A1新"
    assert world.member_a1.stage == "full"


def test_history_shows_the_change_and_masks_id_numbers(client, world):
    client.force_login(world.park_admin)
    response = client.post(change_url(world.member_a1), member_data(world.member_a1, name="成员A1改名"))
    assert response.status_code == 302
    body = text(client.get(reverse("admin:members_member_history", args=[world.member_a1.pk])))
    assert "成员A1改名" in body
    assert world.park_admin.username in body

    client.force_login(world.superuser)
    m = world.member_a1
    old = m.id_number
    new = make_id_number(division="330402", birth_date=m.birth_date, gender=m.gender, sequence=555)
    m.refresh_from_db()
    superuser_fields = {"stage": m.stage, "status": m.status, "points": m.points, "user": m.user_id or ""}
    for field in ("applied_on", "activist_on", "candidate_on", "probationary_on", "full_on"):
        superuser_fields[field] = getattr(m, field).isoformat()
    response = client.post(change_url(m), member_data(m, id_number=new, **superuser_fields))
    assert response.status_code == 302, response.context["adminform"].form.errors
    body = text(client.get(reverse("admin:members_member_history", args=[m.pk])))
    assert old not in body
    assert new not in body
    assert Member.objects.by_id_number(new).get() == m


def test_stage_change_inline_and_admin_are_scoped(client, world):
    StageChange.objects.create(
        member=world.member_a1,
        from_stage="probationary",
        to_stage="full",
        effective_on=datetime.date(2017, 9, 1),
    )
    StageChange.objects.create(
        member=world.member_b,
        from_stage="probationary",
        to_stage="full",
        effective_on=datetime.date(2017, 9, 1),
    )
    client.force_login(world.park_admin)
    response = client.get(reverse("admin:members_stagechange_changelist"))
    assert response.status_code == 200
    assert [s.member.name for s in response.context["cl"].result_list] == ["成员A1"]
    # Stage changes are written by members.actions only: the park administrator corrects a stage
    # through stage_correct (its page and API); the inline and the stand-alone admin are read-only.
    data = member_data(world.member_a1)
    data.update(
        {
            "stage_changes-TOTAL_FORMS": "2",
            "stage_changes-INITIAL_FORMS": "1",
            "stage_changes-0-id": world.member_a1.stage_changes.get().pk,
            "stage_changes-0-member": world.member_a1.pk,
            "stage_changes-0-kind": "advance",
            "stage_changes-0-from_stage": "probationary",
            "stage_changes-0-to_stage": "full",
            "stage_changes-0-effective_on": "2017-09-01",
            "stage_changes-0-reason": "",
            "stage_changes-1-member": world.member_a1.pk,
            "stage_changes-1-kind": "correction",
            "stage_changes-1-from_stage": "full",
            "stage_changes-1-to_stage": "full",
            "stage_changes-1-effective_on": "2020-01-01",
            "stage_changes-1-reason": "核对档案",
        }
    )
    response = client.post(change_url(world.member_a1), data)
    assert response.status_code == 302, response.context["inline_admin_formsets"][0].formset.errors
    assert not world.member_a1.stage_changes.filter(kind="correction").exists()  # the inline row was ignored
    stage_admin = admin.site._registry[StageChange]
    request = RequestFactory().get("/")
    request.user = world.park_admin
    row = world.member_a1.stage_changes.get()
    assert stage_admin.has_view_permission(request, row)
    assert not stage_admin.has_add_permission(request)
    assert not stage_admin.has_change_permission(request, row)
    assert not stage_admin.has_delete_permission(request, row)
    # A crafted POST to the stand-alone admin is refused, for the park's own member and another's.
    for member in (world.member_a1, world.member_b):
        response = client.post(
            reverse("admin:members_stagechange_add"),
            {
                "member": member.pk,
                "kind": "correction",
                "from_stage": "full",
                "to_stage": "full",
                "effective_on": "2020-01-01",
                "reason": "x",
            },
        )
        assert response.status_code == 403
    response = client.post(
        reverse("admin:members_stagechange_change", args=[row.pk]),
        {"member": row.member_id, "kind": "correction", "to_stage": "full", "effective_on": "2020-01-01"},
    )
    assert response.status_code == 403
    assert StageChange.objects.count() == 2


# -- query counts ----------------------------------------------------------------------------


def queries_for(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("who", ["superuser", "park_admin"])
def test_member_changelist_queries_do_not_grow(client, world, who):
    client.force_login(getattr(world, who))
    url = reverse(CHANGELIST)
    MemberFactory.create_batch(2, organization=world.branch_a1)  # 5 rows in the park
    first = queries_for(client, url)
    MemberFactory.create_batch(25, organization=world.branch_a1, employer=world.enterprise_a1)  # 30 rows
    assert queries_for(client, url) == first


def test_stage_change_changelist_queries_do_not_grow(client, world):
    client.force_login(world.park_admin)
    url = reverse("admin:members_stagechange_changelist")
    for m in MemberFactory.create_batch(5, organization=world.branch_a1):
        StageChange.objects.create(
            member=m, to_stage="full", effective_on=datetime.date(2020, 1, 1), changed_by=world.park_admin
        )
    first = queries_for(client, url)
    for m in MemberFactory.create_batch(25, organization=world.branch_a1):
        StageChange.objects.create(
            member=m, to_stage="full", effective_on=datetime.date(2020, 1, 1), changed_by=world.secretary
        )
    assert queries_for(client, url) == first
