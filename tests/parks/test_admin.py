"""The back office of parks, enterprises, organisations and rooms: scope, roles, queries."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.codes import make_credit_code
from parks.models import Enterprise, Organization, Park
from tests.factories import EnterpriseFactory, OrganizationFactory, RoomFactory, UserFactory

pytestmark = pytest.mark.django_db


def changelist(model):
    return reverse(f"admin:parks_{model}_changelist")


def change(model, pk):
    return reverse(f"admin:parks_{model}_change", args=[pk])


def text(response):
    return response.content.decode()


# -- changelists: superuser everything, park administrator their park only -------------------------


@pytest.mark.parametrize(
    ("model", "mine", "others"),
    [
        ("district", ["南湖区"], ["海曙区"]),
        ("park", ["园区A1"], ["园区A2", "园区B"]),
        ("enterprise", ["企业A1"], ["企业A2", "企业B"]),
        # (The district committee appears as the parent of 支部A1, so it is not among "others".)
        ("organization", ["支部A1", "党小组A1"], ["支部A2", "支部B"]),
        ("room", ["会议室A1"], ["会议室B"]),
    ],
)
def test_changelists_are_scoped(client, world, model, mine, others):
    client.force_login(world.superuser)
    response = client.get(changelist(model))
    assert response.status_code == 200
    for name in mine + others:
        assert name in text(response)

    client.force_login(world.park_admin)
    response = client.get(changelist(model))
    assert response.status_code == 200
    for name in mine:
        assert name in text(response)
    for name in others:  # neither as a row nor in a filter of the sidebar
        assert name not in text(response)
    assert {obj.name for obj in response.context["cl"].result_list} == set(mine)


def test_filter_sidebar_lists_only_visible_parks(client, world):
    # A park administrator of two parks gets a park filter, with their two parks only.
    from accounts.models import Role
    from tests.factories import assign

    assign(world.park_admin, Role.PARK_ADMIN, world.park_a2)
    client.force_login(world.park_admin)
    body = text(client.get(changelist("enterprise")))
    assert f"?park__id__exact={world.park_a1.pk}" in body
    assert f"?park__id__exact={world.park_a2.pk}" in body
    assert f"?park__id__exact={world.park_b.pk}" not in body
    assert "园区B" not in body


def test_change_view_of_another_park_is_not_found(client, world):
    client.force_login(world.park_admin)
    for model, obj in [
        ("enterprise", world.enterprise_b),
        ("organization", world.branch_a2),
        ("room", world.room_b),
        ("park", world.park_b),
    ]:
        response = client.get(change(model, obj.pk))
        assert response.status_code in (302, 404)
        assert obj.name not in text(response)
    # History pages too.
    response = client.get(reverse("admin:parks_enterprise_history", args=[world.enterprise_b.pk]))
    assert response.status_code == 404


def test_who_gets_into_the_admin(client, world):
    for user in (world.official, world.secretary, world.service, world.member_user, world.outsider):
        client.force_login(user)
        assert client.get(reverse("admin:index")).status_code == 302
        assert client.get(changelist("enterprise")).status_code == 302
    # Staff status without the role is not enough.
    staff = UserFactory(username="staff_only", is_staff=True)
    client.force_login(staff)
    assert client.get(changelist("enterprise")).status_code == 302
    client.force_login(world.park_admin)
    assert client.get(reverse("admin:index")).status_code == 200


def test_park_admin_permissions_on_parks_and_districts(client, world):
    client.force_login(world.park_admin)
    assert client.get(reverse("admin:parks_park_add")).status_code == 403
    assert client.get(reverse("admin:parks_district_add")).status_code == 403
    # Own park: editable; district: read-only.
    park_page = text(client.get(change("park", world.park_a1.pk)))
    assert 'name="name"' in park_page
    district_page = client.get(change("district", world.district_a.pk))
    assert district_page.status_code == 200
    assert 'name="name"' not in text(district_page)
    response = client.post(
        change("district", world.district_a.pk), {"name": "改名区", "city": "嘉兴市", "code": "330402"}
    )
    assert response.status_code == 403
    world.district_a.refresh_from_db()
    assert world.district_a.name == "南湖区"


def test_park_admin_changes_own_park(client, world):
    client.force_login(world.park_admin)
    response = client.post(
        change("park", world.park_a1.pk),
        {
            "name": "园区A1新名",
            "kind": "park",
            "district": world.district_a.pk,
            "address": "",
            "area": "",
            "opened_on": "",
            "operator": "",
            "service_centre_area": "",
        },
    )
    assert response.status_code == 302, response.content[:2000]
    world.park_a1.refresh_from_db()
    assert world.park_a1.name == "园区A1新名"


# -- crafted POSTs: another park is refused with a form error -------------------------------------


def enterprise_data(park, name="新企业", sequence=900):
    return {
        "name": name,
        "credit_code": make_credit_code(division="330402", sequence=sequence),
        "park": park.pk,
        "industry": "online_shop",
        "employee_count": "3",
        "entered_on": "",
        "investor_name": "",
    }


def test_park_admin_adds_enterprise_in_own_park(client, world):
    client.force_login(world.park_admin)
    response = client.post(reverse("admin:parks_enterprise_add"), enterprise_data(world.park_a1))
    assert response.status_code == 302
    assert Enterprise.objects.get(name="新企业").park == world.park_a1


def test_crafted_post_into_another_park_is_refused(client, world):
    client.force_login(world.park_admin)
    response = client.post(reverse("admin:parks_enterprise_add"), enterprise_data(world.park_b))
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["park"]
    assert not Enterprise.objects.filter(name="新企业").exists()

    data = enterprise_data(world.park_b, name="企业A1", sequence=901)
    data["credit_code"] = world.enterprise_a1.credit_code
    response = client.post(change("enterprise", world.enterprise_a1.pk), data)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["park"]
    world.enterprise_a1.refresh_from_db()
    assert world.enterprise_a1.park == world.park_a1


def test_crafted_organisation_into_another_park_or_without_park_is_refused(client, world):
    client.force_login(world.park_admin)
    base = {
        "name": "新支部",
        "code": "NEW001",
        "kind": "branch",
        "formation": "single",
        "district": world.district_a.pk,
        "founded_on": "",
        "term_start": "",
        "term_end": "",
    }
    for park in (world.park_a2.pk, ""):
        response = client.post(reverse("admin:parks_organization_add"), {**base, "park": park})
        assert response.status_code == 200
        assert response.context["adminform"].form.errors
    assert not Organization.objects.filter(code="NEW001").exists()
    response = client.post(reverse("admin:parks_organization_add"), {**base, "park": world.park_a1.pk})
    assert response.status_code == 302
    assert Organization.objects.get(code="NEW001").park == world.park_a1


def test_branch_below_a_district_committee_stays_editable(client, world):
    # The committee is outside the park administrator's rows, yet it is the branch's current parent.
    client.force_login(world.park_admin)
    response = client.post(
        change("organization", world.branch_a1.pk),
        {
            "name": "支部A1",
            "code": world.branch_a1.code,
            "kind": "branch",
            "formation": "single",
            "parent": world.committee.pk,
            "district": world.district_a.pk,
            "park": world.park_a1.pk,
            "enterprises": [world.enterprise_a1.pk],
            "founded_on": "",
            "term_start": "2025-01-01",
            "term_end": "",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    world.branch_a1.refresh_from_db()
    assert world.branch_a1.term_start.isoformat() == "2025-01-01"
    # But another committee cannot be chosen.
    other = OrganizationFactory(name="别处党委", kind="committee", park=None, district=world.district_b)
    response = client.post(
        change("organization", world.branch_a1.pk),
        {
            "name": "支部A1",
            "code": world.branch_a1.code,
            "kind": "branch",
            "formation": "single",
            "parent": other.pk,
            "district": world.district_a.pk,
            "park": world.park_a1.pk,
            "enterprises": [],
            "founded_on": "",
            "term_start": "",
            "term_end": "",
        },
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["parent"]


# -- autocomplete -------------------------------------------------------------------------------


def autocomplete(client, app_label, model_name, field_name, term=""):
    response = client.get(
        reverse("admin:autocomplete"),
        {
            "app_label": app_label,
            "model_name": model_name,
            "field_name": field_name,
            "term": term,
        },
    )
    assert response.status_code == 200
    return {item["text"] for item in json.loads(response.content)["results"]}


def test_autocomplete_is_scoped(client, world):
    client.force_login(world.park_admin)
    assert autocomplete(client, "parks", "enterprise", "park") == {"园区A1"}
    assert autocomplete(client, "parks", "organization", "enterprises") == {"企业A1"}
    assert autocomplete(client, "parks", "organization", "enterprises", "企业") == {"企业A1"}
    assert autocomplete(client, "parks", "organization", "parent") == {"支部A1", "党小组A1"}
    assert autocomplete(client, "parks", "organization", "secretary") == {"成员A1", "成员A1乙", "小组成员"}
    client.force_login(world.superuser)
    assert autocomplete(client, "parks", "enterprise", "park") == {"园区A1", "园区A2", "园区B"}


def test_autocomplete_refused_outside_the_admin(client, world):
    client.force_login(world.official)
    response = client.get(
        reverse("admin:autocomplete"),
        {
            "app_label": "parks",
            "model_name": "enterprise",
            "field_name": "park",
            "term": "",
        },
    )
    assert response.status_code in (302, 403)


# -- query counts do not grow with the rows shown -----------------------------------------------


def queries_for(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def grow(world, model, count):
    factory = {"enterprise": EnterpriseFactory, "room": RoomFactory}
    if model == "organization":
        return OrganizationFactory.create_batch(count, park=world.park_a1, parent=world.branch_a1)
    return factory[model].create_batch(count, park=world.park_a1)


@pytest.mark.parametrize("model", ["enterprise", "organization", "room", "park"])
@pytest.mark.parametrize("who", ["superuser", "park_admin"])
def test_changelist_queries_do_not_grow(client, world, model, who):
    client.force_login(getattr(world, who))
    url = changelist(model)
    if model == "park":
        from tests.factories import ParkFactory

        ParkFactory.create_batch(3, district=world.district_a)
        first = queries_for(client, url)
        ParkFactory.create_batch(25, district=world.district_a)
        assert queries_for(client, url) == first
        return
    grow(world, model, 3)
    first = queries_for(client, url)
    grow(world, model, 25)
    assert queries_for(client, url) == first


def test_enterprise_history_records_the_change(client, world):
    client.force_login(world.park_admin)
    data = enterprise_data(world.park_a1, name="企业A1改")
    data["credit_code"] = world.enterprise_a1.credit_code
    assert client.post(change("enterprise", world.enterprise_a1.pk), data).status_code == 302
    body = text(client.get(reverse("admin:parks_enterprise_history", args=[world.enterprise_a1.pk])))
    assert "企业A1改" in body
    assert world.park_admin.username in body
    assert Park.objects.count() == 3


def test_bulk_delete_cannot_reach_rows_only_read_through_another_role(client, world):
    from accounts.models import Role
    from tests.factories import assign

    assign(world.park_admin, Role.DISTRICT_OFFICIAL, world.district_a)  # now also reads park A2
    client.force_login(world.park_admin)
    response = client.get(changelist("enterprise"))
    assert "企业A2" in text(response)
    assert client.get(change("enterprise", world.enterprise_a2.pk)).status_code == 200  # read-only
    data = {"action": "delete_selected", "_selected_action": [world.enterprise_a2.pk], "post": "yes"}
    response = client.post(changelist("enterprise"), data)
    assert response.status_code == 403
    assert Enterprise.objects.filter(pk=world.enterprise_a2.pk).exists()
    # Their own park's rows can be deleted in bulk.
    extra = EnterpriseFactory(park=world.park_a1)
    data["_selected_action"] = [extra.pk]
    assert client.post(changelist("enterprise"), data).status_code == 302
    assert not Enterprise.objects.filter(pk=extra.pk).exists()
