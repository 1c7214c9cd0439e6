"""A small, fully known world for scope and rule tests.

District A has parks A1 and A2 and a committee with branches A1 (with a party group below it) and
A2; district B has park B1 with branch B. One user per role, scoped in district A, plus a
district-B official and secretary to prove the walls between them.
"""

from types import SimpleNamespace

from accounts.models import Role
from parks.models import Organization

from .factories import (
    DistrictFactory,
    EnterpriseFactory,
    MemberFactory,
    OrganizationFactory,
    ParkFactory,
    RoomFactory,
    UserFactory,
    assign,
)


def build_world():
    w = SimpleNamespace()
    w.district_a = DistrictFactory(name="南湖区", code="330402")
    w.district_b = DistrictFactory(name="海曙区", city="宁波市", code="330203")
    w.park_a1 = ParkFactory(name="园区A1", district=w.district_a)
    w.park_a2 = ParkFactory(name="园区A2", district=w.district_a)
    w.park_b = ParkFactory(name="园区B", district=w.district_b)
    w.committee = OrganizationFactory(
        name="联合党委A", kind=Organization.Kind.COMMITTEE, park=None, district=w.district_a
    )
    w.branch_a1 = OrganizationFactory(name="支部A1", park=w.park_a1, parent=w.committee)
    w.group_a1 = OrganizationFactory(name="党小组A1", kind=Organization.Kind.GROUP, park=w.park_a1, parent=w.branch_a1)
    w.branch_a2 = OrganizationFactory(name="支部A2", park=w.park_a2, parent=w.committee)
    w.branch_b = OrganizationFactory(name="支部B", park=w.park_b)
    w.enterprise_a1 = EnterpriseFactory(name="企业A1", park=w.park_a1)
    w.enterprise_a2 = EnterpriseFactory(name="企业A2", park=w.park_a2)
    w.enterprise_b = EnterpriseFactory(name="企业B", park=w.park_b)
    w.branch_a1.enterprises.add(w.enterprise_a1)
    w.room_a1 = RoomFactory(name="会议室A1", park=w.park_a1)
    w.room_b = RoomFactory(name="会议室B", park=w.park_b)

    w.member_user = UserFactory(username="member")
    w.member_a1 = MemberFactory(name="成员A1", organization=w.branch_a1, user=w.member_user, employer=w.enterprise_a1)
    w.member_a1_other = MemberFactory(name="成员A1乙", organization=w.branch_a1)
    w.member_group = MemberFactory(name="小组成员", organization=w.group_a1)
    w.member_a2 = MemberFactory(name="成员A2", organization=w.branch_a2, employer=w.enterprise_a2)
    w.member_b = MemberFactory(name="成员B", organization=w.branch_b, employer=w.enterprise_b)

    w.superuser = UserFactory(username="root", is_superuser=True, is_staff=True)
    w.official = assign(UserFactory(username="official"), Role.DISTRICT_OFFICIAL, w.district_a)
    w.park_admin = assign(UserFactory(username="parkadmin"), Role.PARK_ADMIN, w.park_a1)
    w.secretary = assign(UserFactory(username="secretary"), Role.BRANCH_SECRETARY, w.branch_a1)
    w.service = assign(UserFactory(username="service"), Role.SERVICE_STAFF, w.park_a1)
    w.official_b = assign(UserFactory(username="official_b"), Role.DISTRICT_OFFICIAL, w.district_b)
    w.secretary_b = assign(UserFactory(username="secretary_b"), Role.BRANCH_SECRETARY, w.branch_b)
    w.outsider = UserFactory(username="outsider")
    return w
