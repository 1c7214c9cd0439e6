"""Factories for the service centre's models."""

import datetime

import factory
from django.utils import timezone

from services.models import (
    EnterpriseContact,
    RoomBooking,
    ServiceCategory,
    ServiceRequest,
    ServiceTeam,
    Wish,
    due_date,
)
from tests.factories import EnterpriseFactory, ParkFactory, RoomFactory, UserFactory


def category(code="ecommerce-policy", name="电商政策咨询"):
    """A default category of the data migration (re-created after a transactional test's flush)."""
    return ServiceCategory.objects.get_or_create(code=code, defaults={"name": name})[0]


class EnterpriseContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EnterpriseContact

    user = factory.SubFactory(UserFactory)
    enterprise = factory.SubFactory(EnterpriseFactory)


class ServiceTeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServiceTeam
        skip_postgeneration_save = True

    park = factory.SubFactory(ParkFactory)
    name = factory.Sequence(lambda n: f"服务团队{n}")
    kind = ServiceTeam.Kind.OTHER

    @factory.post_generation
    def members(self, create, extracted, **kwargs):
        if create and extracted:
            self.members.add(*extracted)


class ServiceRequestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServiceRequest

    enterprise = factory.SubFactory(EnterpriseFactory)
    park = factory.LazyAttribute(lambda o: o.enterprise.park if o.enterprise else ParkFactory())
    requester = factory.SubFactory(UserFactory)
    category = factory.LazyFunction(category)
    title = factory.Sequence(lambda n: f"诉求{n}")
    description = "需要帮助"
    urgency = ServiceRequest.Urgency.NORMAL
    due_on = factory.LazyAttribute(lambda o: due_date(o.urgency))


class WishFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Wish

    park = factory.SubFactory(ParkFactory)
    beneficiary = "小明"
    need = "一套学习用品"


class RoomBookingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RoomBooking

    room = factory.SubFactory(RoomFactory)
    booked_by = factory.SubFactory(UserFactory)
    purpose = "支部会议"
    starts_at = factory.LazyFunction(
        lambda: timezone.now().replace(minute=0, second=0, microsecond=0) + datetime.timedelta(days=1)
    )
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + datetime.timedelta(hours=2))
