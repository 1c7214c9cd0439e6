import datetime

import factory
from django.utils import timezone

from activities.models import Activity, Attendance
from tests.factories import OrganizationFactory


def earlier_today(hours=1):
    """``hours`` ago, but never before today's local midnight: a moment that has passed and lies in
    the current day, month, quarter and year whatever the clock says (a plain ``now - 1 h`` lands in
    the previous year between 00:00 and 01:00 on 1 January, and in a closed period)."""
    now = timezone.now()
    midnight = timezone.make_aware(datetime.datetime.combine(timezone.localdate(now), datetime.time.min))
    return max(now - datetime.timedelta(hours=hours), midnight)


class ActivityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Activity

    host = factory.SubFactory(OrganizationFactory)
    kind = Activity.Kind.COMMITTEE_MEETING
    title = factory.Sequence(lambda n: f"支委会{n}")
    starts_at = factory.LazyFunction(lambda: earlier_today(hours=2))
    status = Activity.Status.HELD


class AttendanceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Attendance

    activity = factory.SubFactory(ActivityFactory)
    status = Attendance.Status.PRESENT
