import datetime

import factory
from django.utils import timezone

from activities.models import Activity, Attendance
from tests.factories import OrganizationFactory


class ActivityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Activity

    host = factory.SubFactory(OrganizationFactory)
    kind = Activity.Kind.COMMITTEE_MEETING
    title = factory.Sequence(lambda n: f"支委会{n}")
    starts_at = factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(hours=2))
    status = Activity.Status.HELD


class AttendanceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Attendance

    activity = factory.SubFactory(ActivityFactory)
    status = Attendance.Status.PRESENT
