"""factory_boy factories for every domain model, producing valid codes."""

import datetime

import factory
from django.contrib.auth import get_user_model

from accounts.models import Role, RoleAssignment
from core.codes import make_credit_code, make_id_number
from members.models import Member, Stage
from parks.models import District, Enterprise, Organization, Park, Room


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.com")
    password = factory.django.Password("Hongfan@2026")


class DistrictFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = District

    name = factory.Sequence(lambda n: f"测试区{n}")
    city = "嘉兴市"
    code = factory.Sequence(lambda n: f"33{(n % 9000) + 1000:04d}")


class ParkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Park

    name = factory.Sequence(lambda n: f"电商产业园{n}")
    district = factory.SubFactory(DistrictFactory)


class EnterpriseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enterprise

    name = factory.Sequence(lambda n: f"测试电子商务有限公司{n}")
    credit_code = factory.Sequence(lambda n: make_credit_code(division="330402", sequence=n + 1))
    park = factory.SubFactory(ParkFactory)
    employee_count = 5


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"测试支部{n}")
    code = factory.Sequence(lambda n: f"ORG{n:05d}")
    kind = Organization.Kind.BRANCH
    park = factory.SubFactory(ParkFactory)
    district = factory.LazyAttribute(lambda o: o.park.district if o.park else DistrictFactory())


class RoomFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Room

    park = factory.SubFactory(ParkFactory)
    name = factory.Sequence(lambda n: f"会议室{n}")


class MemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Member

    name = factory.Sequence(lambda n: f"党员{n}")
    gender = "M"
    birth_date = factory.Sequence(lambda n: datetime.date(1980, 1, 1) + datetime.timedelta(days=n * 37 % 6000))
    id_number = factory.LazyAttributeSequence(
        lambda o, n: make_id_number(division="330402", birth_date=o.birth_date, gender=o.gender, sequence=n)
    )
    phone = factory.Sequence(lambda n: f"138{n:08d}")
    organization = factory.SubFactory(OrganizationFactory)
    stage = Stage.FULL
    applied_on = datetime.date(2015, 3, 1)
    activist_on = datetime.date(2015, 6, 1)
    candidate_on = datetime.date(2016, 7, 1)
    probationary_on = datetime.date(2016, 9, 1)
    full_on = datetime.date(2017, 9, 1)


def assign(user, role, scope_object):
    """Give ``user`` a role over a district, park or organisation."""
    field = {
        Role.DISTRICT_OFFICIAL: "district",
        Role.PARK_ADMIN: "park",
        Role.SERVICE_STAFF: "park",
        Role.BRANCH_SECRETARY: "organization",
    }[role]
    RoleAssignment.objects.create(user=user, role=role, **{field: scope_object})
    if role == Role.PARK_ADMIN and not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    if hasattr(user, "_hongfan_scope"):
        del user._hongfan_scope
    return user
