"""The portal's back office: role assignments, staff status, notifications, users, the paginator."""

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Role, RoleAssignment
from core.admin import ESTIMATE_THRESHOLD, EstimatedCountPaginator, estimated_row_count
from notifications.models import Notification
from tests.factories import EnterpriseFactory, UserFactory

pytestmark = pytest.mark.django_db
User = get_user_model()

ROLES = "admin:accounts_roleassignment_changelist"
ADD_ROLE = "admin:accounts_roleassignment_add"


def text(response):
    return response.content.decode()


# -- role assignments --------------------------------------------------------------------------


def test_park_admin_sees_assignments_of_their_park(client, world):
    client.force_login(world.park_admin)
    response = client.get(reverse(ROLES))
    assert response.status_code == 200
    users = {a.user.username for a in response.context["cl"].result_list}
    assert users == {"parkadmin", "secretary", "service"}
    assert "secretary_b" not in text(response)
    assert "official_b" not in text(response)

    client.force_login(world.superuser)
    users = {a.user.username for a in client.get(reverse(ROLES)).context["cl"].result_list}
    assert users >= {"parkadmin", "secretary", "service", "official", "official_b", "secretary_b"}


def test_park_admin_grants_service_staff_in_own_park(client, world):
    client.force_login(world.park_admin)
    response = client.post(
        reverse(ADD_ROLE),
        {"user": world.member_user.pk, "role": Role.SERVICE_STAFF, "park": world.park_a1.pk},
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert RoleAssignment.objects.filter(user=world.member_user, role=Role.SERVICE_STAFF).exists()
    world.member_user.refresh_from_db()
    assert not world.member_user.is_staff  # service staff do not enter the back office


def test_park_admin_user_choices_are_people_of_their_park(client, world):
    client.force_login(world.park_admin)
    form = client.get(reverse(ADD_ROLE)).context["adminform"].form
    usernames = {u.username for u in form.fields["user"].queryset}
    assert {"member", "secretary", "service", "parkadmin"} <= usernames
    assert not usernames & {"official_b", "secretary_b", "root", "outsider"}
    roles = {value for value, _ in form.fields["role"].choices if value}
    assert roles == {Role.BRANCH_SECRETARY, Role.SERVICE_STAFF}


@pytest.mark.parametrize(
    "data",
    [
        {"role": Role.PARK_ADMIN, "park": "park_a1"},  # cannot make park administrators
        {"role": Role.SERVICE_STAFF, "park": "park_b"},  # nor staff of another park
        {"role": Role.BRANCH_SECRETARY, "organization": "branch_b"},  # nor secretaries elsewhere
        {"role": Role.DISTRICT_OFFICIAL, "district": "district_a"},
    ],
)
def test_crafted_assignments_are_refused(client, world, data):
    client.force_login(world.park_admin)
    before = RoleAssignment.objects.count()
    post = {"user": world.member_user.pk, "role": data["role"]}
    for field in ("park", "organization", "district"):
        if field in data:
            post[field] = getattr(world, data[field]).pk
    response = client.post(reverse(ADD_ROLE), post)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors
    assert RoleAssignment.objects.count() == before


def test_park_admin_removes_secretary_but_not_park_admins(client, world):
    client.force_login(world.park_admin)
    secretary_role = RoleAssignment.objects.get(user=world.secretary)
    own_role = RoleAssignment.objects.get(user=world.park_admin)
    url = reverse("admin:accounts_roleassignment_delete", args=[own_role.pk])
    assert client.post(url, {"post": "yes"}).status_code == 403
    url = reverse("admin:accounts_roleassignment_delete", args=[secretary_role.pk])
    assert client.post(url, {"post": "yes"}).status_code == 302
    assert not RoleAssignment.objects.filter(pk=secretary_role.pk).exists()
    # Another park's assignment is not even found.
    other = RoleAssignment.objects.get(user=world.secretary_b)
    response = client.post(reverse("admin:accounts_roleassignment_delete", args=[other.pk]), {"post": "yes"})
    assert response.status_code in (302, 404)
    assert RoleAssignment.objects.filter(pk=other.pk).exists()


def test_role_assignment_changelist_queries_do_not_grow(client, world):
    client.force_login(world.park_admin)
    for i in range(3):
        RoleAssignment.objects.create(user=UserFactory(username=f"s{i}"), role=Role.SERVICE_STAFF, park=world.park_a1)
    with CaptureQueriesContext(connection) as first:
        assert client.get(reverse(ROLES)).status_code == 200
    for i in range(3, 28):
        RoleAssignment.objects.create(user=UserFactory(username=f"s{i}"), role=Role.SERVICE_STAFF, park=world.park_a1)
    with CaptureQueriesContext(connection) as second:
        assert client.get(reverse(ROLES)).status_code == 200
    assert len(second.captured_queries) == len(first.captured_queries)


# -- staff status follows the PARK_ADMIN role ------------------------------------------------------


def test_is_staff_follows_park_admin_assignments(world):
    user = UserFactory(username="newadmin")
    assert not user.is_staff
    first = RoleAssignment.objects.create(user=user, role=Role.PARK_ADMIN, park=world.park_a1)
    user.refresh_from_db()
    assert user.is_staff
    second = RoleAssignment.objects.create(user=user, role=Role.PARK_ADMIN, park=world.park_a2)
    first.delete()
    user.refresh_from_db()
    assert user.is_staff  # still administers park A2
    second.delete()
    user.refresh_from_db()
    assert not user.is_staff
    # Other roles never make staff; superusers stay staff.
    RoleAssignment.objects.create(user=user, role=Role.SERVICE_STAFF, park=world.park_a1)
    user.refresh_from_db()
    assert not user.is_staff
    boss = UserFactory(username="boss", is_superuser=True, is_staff=True)
    assignment = RoleAssignment.objects.create(user=boss, role=Role.PARK_ADMIN, park=world.park_a1)
    assignment.delete()
    boss.refresh_from_db()
    assert boss.is_staff


def test_is_staff_when_superuser_grants_park_admin_in_the_admin(client, world):
    client.force_login(world.superuser)
    user = UserFactory(username="futureadmin")
    response = client.post(reverse(ADD_ROLE), {"user": user.pk, "role": Role.PARK_ADMIN, "park": world.park_b.pk})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.is_staff
    client.force_login(user)
    response = client.get(reverse("admin:parks_enterprise_changelist"))
    assert response.status_code == 200
    assert {e.name for e in response.context["cl"].result_list} == {"企业B"}


# -- notifications and users: superusers only ---------------------------------------------------


def test_notifications_read_only_for_superusers(client, world):
    Notification.objects.create(recipient=world.secretary, title="请审批转接")
    client.force_login(world.superuser)
    response = client.get(reverse("admin:notifications_notification_changelist"))
    assert response.status_code == 200
    assert "请审批转接" in text(response)
    assert client.get(reverse("admin:notifications_notification_add")).status_code == 403
    note = Notification.objects.get()
    response = client.post(reverse("admin:notifications_notification_change", args=[note.pk]), {"title": "改"})
    assert response.status_code == 403
    client.force_login(world.park_admin)
    assert client.get(reverse("admin:notifications_notification_changelist")).status_code == 403


def test_users_for_superusers_only(client, world):
    client.force_login(world.park_admin)
    assert client.get(reverse("admin:auth_user_changelist")).status_code == 403
    assert client.get(reverse("admin:auth_user_change", args=[world.secretary.pk])).status_code == 403
    assert "auth_user" not in text(client.get(reverse("admin:index")))
    client.force_login(world.superuser)
    assert client.get(reverse("admin:auth_user_changelist")).status_code == 200
    page = client.get(reverse("admin:auth_user_change", args=[world.park_admin.pk]))
    assert page.status_code == 200
    assert "园区A1" in text(page)  # the account's roles, inline


def test_park_admin_index_lists_their_models_only(client, world):
    client.force_login(world.park_admin)
    body = text(client.get(reverse("admin:index")))
    for url_name in ("parks_enterprise", "parks_organization", "members_member", "accounts_roleassignment"):
        assert reverse(f"admin:{url_name}_changelist") in body
    assert reverse("admin:notifications_notification_changelist") not in body
    assert "django_celery_beat" not in body


# -- the paginator --------------------------------------------------------------------------


def test_paginator_counts_exactly_on_sqlite_and_for_filtered_lists(world):
    EnterpriseFactory.create_batch(4, park=world.park_a1)
    from parks.models import Enterprise

    assert EstimatedCountPaginator(Enterprise.objects.all(), 2).count == 7
    assert EstimatedCountPaginator(Enterprise.objects.filter(park=world.park_a1), 2).count == 5


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="the estimate is PostgreSQL's")
def test_paginator_uses_the_estimate_for_large_unfiltered_tables(world, monkeypatch):
    from parks.models import Enterprise

    EnterpriseFactory.create_batch(20, park=world.park_a1)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE parks_enterprise")
    estimate = estimated_row_count(Enterprise.objects.all())
    assert estimate == 23
    assert estimated_row_count(Enterprise.objects.filter(park=world.park_a1)) is None
    monkeypatch.setattr("core.admin.ESTIMATE_THRESHOLD", 10)
    with CaptureQueriesContext(connection) as ctx:
        assert EstimatedCountPaginator(Enterprise.objects.all(), 10).count == 23
    assert not any("COUNT(" in q["sql"].upper() for q in ctx.captured_queries)
    # Below the threshold (the default), the exact count.
    monkeypatch.setattr("core.admin.ESTIMATE_THRESHOLD", ESTIMATE_THRESHOLD)
    with CaptureQueriesContext(connection) as ctx:
        assert EstimatedCountPaginator(Enterprise.objects.all(), 10).count == 23
    assert any("COUNT(" in q["sql"].upper() for q in ctx.captured_queries)


def test_the_old_back_office_addresses_of_moved_models_redirect(client, world):
    """Role assignments, notifications, reports and import jobs moved out of the portal app; a
    bookmark of their old address still lands on the same page."""
    client.force_login(world.park_admin)
    response = client.get("/admin/portal/roleassignment/?role=branch_secretary")
    assert response.status_code == 301
    assert response["Location"] == reverse("admin:accounts_roleassignment_changelist") + "?role=branch_secretary"
    assert client.get("/admin/portal/importjob/5/change/")["Location"] == reverse(
        "admin:dataio_importjob_change", args=[5]
    )
