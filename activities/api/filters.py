"""FilterSets of the activities API (django-filter). They narrow a queryset already scoped by
``visible_to``; they never widen it."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.filters import IdFilter, IsoDateTimeFilter

from ..models import Activity, ActivityFile, Attendance, ComplianceRule, Kind, PeriodKind, PointEntry, PointRule


class ActivityFilterSet(django_filters.FilterSet):
    host = IdFilter(field_name="host_id", label=_("Host organisation id"))
    organization = IdFilter(method="filter_organization", label=_("Hosted or co-hosted by this organisation id"))
    kind = django_filters.MultipleChoiceFilter(choices=Kind.choices)
    status = django_filters.MultipleChoiceFilter(choices=Activity.Status.choices)
    starts_after = IsoDateTimeFilter(field_name="starts_at", lookup_expr="gte")
    starts_before = IsoDateTimeFilter(field_name="starts_at", lookup_expr="lt")
    online = django_filters.BooleanFilter()
    room = IdFilter(field_name="room_id")

    class Meta:
        model = Activity
        fields = ["host", "organization", "kind", "status", "starts_after", "starts_before", "online", "room"]

    def filter_organization(self, queryset, name, value):
        through = Activity.co_hosts.through.objects.filter(organization_id=value).values("activity_id")
        return queryset.filter(Q(host_id=value) | Q(pk__in=through))


class ActivityFileFilterSet(django_filters.FilterSet):
    activity = IdFilter(field_name="activity_id")
    kind = django_filters.ChoiceFilter(choices=ActivityFile.Kind.choices)

    class Meta:
        model = ActivityFile
        fields = ["activity", "kind"]


class AttendanceFilterSet(django_filters.FilterSet):
    activity = IdFilter(field_name="activity_id")
    member = IdFilter(field_name="member_id")
    status = django_filters.MultipleChoiceFilter(choices=Attendance.Status.choices)
    kind = django_filters.ChoiceFilter(field_name="activity__kind", choices=Kind.choices, label=_("Activity kind"))

    class Meta:
        model = Attendance
        fields = ["activity", "member", "status", "kind"]


class ComplianceRuleFilterSet(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=Kind.choices)
    period = django_filters.ChoiceFilter(choices=PeriodKind.choices)
    is_active = django_filters.BooleanFilter()

    class Meta:
        model = ComplianceRule
        fields = ["kind", "period", "is_active"]


class PointRuleFilterSet(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=Kind.choices)
    is_active = django_filters.BooleanFilter()

    class Meta:
        model = PointRule
        fields = ["kind", "is_active"]


class PointEntryFilterSet(django_filters.FilterSet):
    member = IdFilter(field_name="member_id")
    activity = IdFilter(field_name="activity_id")
    reason = django_filters.ChoiceFilter(choices=PointEntry.Reason.choices)
    since = IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")

    class Meta:
        model = PointEntry
        fields = ["member", "activity", "reason", "since"]
