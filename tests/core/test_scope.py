"""Role × model: each role sees exactly its rows through ``visible_to`` (DESIGN §1)."""

import datetime

import pytest

from accounts.models import RoleAssignment
from core.scope import scope_for
from members.models import Member, StageChange
from parks.models import District, Enterprise, Organization, Park, Room

ROLES = [
    "superuser",
    "official",
    "park_admin",
    "secretary",
    "service",
    "member_user",
    "official_b",
    "secretary_b",
    "outsider",
]

EXPECTED = {
    District: {
        "superuser": ["district_a", "district_b"],
        "official": ["district_a"],
        "park_admin": ["district_a"],
        "secretary": ["district_a"],
        "service": ["district_a"],
        "member_user": ["district_a"],
        "official_b": ["district_b"],
        "secretary_b": ["district_b"],
        "outsider": [],
    },
    Park: {
        "superuser": ["park_a1", "park_a2", "park_b"],
        "official": ["park_a1", "park_a2"],
        "park_admin": ["park_a1"],
        "secretary": ["park_a1"],
        "service": ["park_a1"],
        "member_user": ["park_a1"],
        "official_b": ["park_b"],
        "secretary_b": ["park_b"],
        "outsider": [],
    },
    Enterprise: {
        "superuser": ["enterprise_a1", "enterprise_a2", "enterprise_b"],
        "official": ["enterprise_a1", "enterprise_a2"],
        "park_admin": ["enterprise_a1"],
        "secretary": ["enterprise_a1"],  # the enterprises its branch covers
        "service": ["enterprise_a1"],
        "member_user": ["enterprise_a1"],  # the member's employer
        "official_b": ["enterprise_b"],
        "secretary_b": [],
        "outsider": [],
    },
    Organization: {
        "superuser": ["committee", "branch_a1", "group_a1", "branch_a2", "branch_b"],
        "official": ["committee", "branch_a1", "group_a1", "branch_a2"],
        "park_admin": ["branch_a1", "group_a1"],
        "secretary": ["branch_a1", "group_a1"],  # its branch and the units below it
        "service": ["branch_a1", "group_a1"],
        "member_user": ["branch_a1"],
        "official_b": ["branch_b"],
        "secretary_b": ["branch_b"],
        "outsider": [],
    },
    Room: {
        "superuser": ["room_a1", "room_b"],
        "official": ["room_a1"],
        "park_admin": ["room_a1"],
        "secretary": ["room_a1"],
        "service": ["room_a1"],
        "member_user": ["room_a1"],
        "official_b": ["room_b"],
        "secretary_b": ["room_b"],
        "outsider": [],
    },
    Member: {
        "superuser": ["member_a1", "member_a1_other", "member_group", "member_a2", "member_b"],
        "official": ["member_a1", "member_a1_other", "member_group", "member_a2"],
        "park_admin": ["member_a1", "member_a1_other", "member_group"],
        "secretary": ["member_a1", "member_a1_other", "member_group"],
        "service": [],
        "member_user": ["member_a1"],
        "official_b": ["member_b"],
        "secretary_b": ["member_b"],
        "outsider": [],
    },
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("model", list(EXPECTED), ids=lambda m: m.__name__)
def test_each_role_sees_exactly_its_rows(world, model, role):
    user = getattr(world, role)
    expected = {getattr(world, name).pk for name in EXPECTED[model][role]}
    seen = list(model.objects.visible_to(user).values_list("pk", flat=True))
    assert len(seen) == len(set(seen)), "a row is repeated"
    assert set(seen) == expected


@pytest.mark.parametrize("role", ROLES)
def test_stage_changes_follow_the_members(world, role):
    for name in ["member_a1", "member_a1_other", "member_group", "member_a2", "member_b"]:
        StageChange.objects.create(member=getattr(world, name), to_stage="full", effective_on=datetime.date(2020, 1, 1))
    user = getattr(world, role)
    expected = {getattr(world, name).pk for name in EXPECTED[Member][role]}
    assert set(StageChange.objects.visible_to(user).values_list("member_id", flat=True)) == expected


def test_role_assignments(world):
    everyone_in_a = {world.official.pk, world.park_admin.pk, world.secretary.pk, world.service.pk}
    assert {a.user_id for a in RoleAssignment.objects.visible_to(world.official)} == everyone_in_a
    assert {a.user_id for a in RoleAssignment.objects.visible_to(world.park_admin)} == {
        world.park_admin.pk,
        world.secretary.pk,
        world.service.pk,
    }
    assert {a.user_id for a in RoleAssignment.objects.visible_to(world.secretary)} == {world.secretary.pk}
    assert not RoleAssignment.objects.visible_to(world.outsider).exists()


def test_inactive_and_anonymous_users_see_nothing(world):
    from django.contrib.auth.models import AnonymousUser

    world.official.is_active = False
    world.official._hongfan_scope = None
    assert not Member.objects.visible_to(world.official).exists()
    assert not Member.objects.visible_to(AnonymousUser()).exists()


def test_a_user_with_two_roles_sees_the_union(world):
    from accounts.models import Role
    from tests.factories import assign

    assign(world.secretary, Role.BRANCH_SECRETARY, world.branch_b)
    names = set(Member.objects.visible_to(world.secretary).values_list("name", flat=True))
    assert names == {"成员A1", "成员A1乙", "小组成员", "成员B"}


def test_the_scope_is_computed_once_per_user_object(world, django_assert_num_queries):
    scope_for(world.secretary)
    # The roles were read once; later querysets cost only their own query each.
    with django_assert_num_queries(2):
        list(Member.objects.visible_to(world.secretary))
        list(Organization.objects.visible_to(world.secretary))
