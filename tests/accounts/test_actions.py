"""Granting and revoking roles (accounts.actions): the rules of accounts.selectors, one door for
the back office and the API."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.actions import role_grant, role_revoke
from accounts.models import Role, RoleAssignment
from core.scope import scope_for

pytestmark = pytest.mark.django_db


def test_a_park_administrator_grants_a_secretary_of_their_park(world):
    person = world.member_a1_other
    person.user = world.outsider
    person.save()
    assignment = role_grant(
        by=world.park_admin, user=world.outsider, role=Role.BRANCH_SECRETARY, organization=world.branch_a1
    )
    assert RoleAssignment.objects.filter(pk=assignment.pk, user=world.outsider).exists()
    assert world.branch_a1.pk in scope_for(world.outsider).org_ids


@pytest.mark.parametrize(
    ("role", "target", "field"),
    [
        (Role.PARK_ADMIN, "park_a1", "role"),  # not a role a park administrator hands out
        (Role.SERVICE_STAFF, "park_b", "park"),  # another district's park
        (Role.BRANCH_SECRETARY, "branch_b", "organization"),
    ],
)
def test_a_park_administrator_is_refused_outside_their_grant(world, role, target, field):
    scope_field = {"park_admin": "park", "service_staff": "park", "branch_secretary": "organization"}[role]
    with pytest.raises(ValidationError) as refused:
        role_grant(by=world.park_admin, user=world.member_user, role=role, **{scope_field: getattr(world, target)})
    assert field in refused.value.message_dict
    assert not RoleAssignment.objects.filter(user=world.member_user).exists()


def test_nobody_outside_the_park_gets_a_role_from_its_administrator(world):
    with pytest.raises(ValidationError) as refused:
        role_grant(by=world.park_admin, user=world.official_b, role=Role.SERVICE_STAFF, park=world.park_a1)
    assert "user" in refused.value.message_dict


def test_the_same_grant_twice_is_a_clear_error_not_a_second_row(world):
    role_grant(by=world.superuser, user=world.outsider, role=Role.SERVICE_STAFF, park=world.park_a1)
    with pytest.raises(ValidationError):
        role_grant(by=world.superuser, user=world.outsider, role=Role.SERVICE_STAFF, park=world.park_a1)
    assert RoleAssignment.objects.filter(user=world.outsider).count() == 1


def test_granting_a_park_administrator_makes_staff_and_revoking_takes_it_back(world):
    assignment = role_grant(by=world.superuser, user=world.outsider, role=Role.PARK_ADMIN, park=world.park_b)
    world.outsider.refresh_from_db()
    assert world.outsider.is_staff
    role_revoke(by=world.superuser, assignment=assignment)
    world.outsider.refresh_from_db()
    assert not world.outsider.is_staff


def test_a_park_administrator_revokes_only_what_they_could_grant(world):
    own = RoleAssignment.objects.get(user=world.secretary)
    other = RoleAssignment.objects.get(user=world.secretary_b)
    with pytest.raises(PermissionDenied):
        role_revoke(by=world.park_admin, assignment=other)
    with pytest.raises(PermissionDenied):
        role_revoke(by=world.park_admin, assignment=RoleAssignment.objects.get(user=world.park_admin))
    role_revoke(by=world.park_admin, assignment=own)
    assert not RoleAssignment.objects.filter(pk=own.pk).exists()
    assert RoleAssignment.objects.filter(pk=other.pk).exists()


def test_the_back_office_lists_tokens_without_their_keys_and_revokes_through_the_action(client, world):
    from django.urls import reverse

    from accounts.actions import token_create
    from accounts.models import ApiToken

    key = token_create(user=world.secretary)
    token = ApiToken.objects.get(user=world.secretary)
    client.force_login(world.superuser)
    page = client.get(reverse("admin:accounts_apitoken_changelist")).content.decode()
    assert "secretary" in page
    assert key not in page
    assert f"{key[:6]}…" in page
    assert client.get(reverse("admin:accounts_apitoken_add")).status_code == 403
    url = reverse("admin:accounts_apitoken_delete", args=[token.pk])
    assert client.post(url, {"post": "yes"}).status_code == 302
    assert not ApiToken.objects.filter(user=world.secretary).exists()
    client.force_login(world.park_admin)
    assert client.get(reverse("admin:accounts_apitoken_changelist")).status_code == 403
