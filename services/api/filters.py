"""FilterSets of the service-centre API (django-filter), applied to querysets already scoped by
``visible_to``."""

import django_filters
from django.utils.translation import gettext_lazy as _

from activities.api.filters import IdFilter
from core.filters import DateFilter, IsoDateTimeFilter

from ..models import (
    OPEN_STATUSES,
    EnterpriseContact,
    RequestStatus,
    RoomBooking,
    ServiceCategory,
    ServiceRequest,
    ServiceRequestEvent,
    ServiceTeam,
    Urgency,
    Wish,
    overdue_q,
)


class ServiceCategoryFilterSet(django_filters.FilterSet):
    is_active = django_filters.BooleanFilter()

    class Meta:
        model = ServiceCategory
        fields = ["is_active"]


class EnterpriseContactFilterSet(django_filters.FilterSet):
    enterprise = IdFilter(field_name="enterprise_id")
    user = IdFilter(field_name="user_id")
    park = IdFilter(field_name="enterprise__park_id")

    class Meta:
        model = EnterpriseContact
        fields = ["enterprise", "user", "park"]


class ServiceTeamFilterSet(django_filters.FilterSet):
    park = IdFilter(field_name="park_id")
    kind = django_filters.ChoiceFilter(choices=ServiceTeam.Kind.choices)
    is_active = django_filters.BooleanFilter()

    class Meta:
        model = ServiceTeam
        fields = ["park", "kind", "is_active"]


class ServiceRequestFilterSet(django_filters.FilterSet):
    park = IdFilter(field_name="park_id")
    enterprise = IdFilter(field_name="enterprise_id")
    category = IdFilter(field_name="category_id")
    team = IdFilter(field_name="team_id")
    status = django_filters.MultipleChoiceFilter(choices=RequestStatus.choices)
    urgency = django_filters.MultipleChoiceFilter(choices=Urgency.choices)
    open = django_filters.BooleanFilter(method="filter_open", label=_("Still open"))
    overdue = django_filters.BooleanFilter(method="filter_overdue", label=_("Open and past its due date"))
    due_before = DateFilter(field_name="due_on", lookup_expr="lt")
    created_after = IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")

    class Meta:
        model = ServiceRequest
        fields = ["park", "enterprise", "category", "team", "status", "urgency", "open", "overdue"]

    def filter_open(self, queryset, name, value):
        return queryset.filter(status__in=OPEN_STATUSES) if value else queryset.exclude(status__in=OPEN_STATUSES)

    def filter_overdue(self, queryset, name, value):
        return queryset.filter(overdue_q()) if value else queryset.exclude(overdue_q())


class ServiceRequestEventFilterSet(django_filters.FilterSet):
    request = IdFilter(field_name="request_id")
    kind = django_filters.MultipleChoiceFilter(choices=ServiceRequestEvent.Kind.choices)

    class Meta:
        model = ServiceRequestEvent
        fields = ["request", "kind"]


class WishFilterSet(django_filters.FilterSet):
    park = IdFilter(field_name="park_id")
    status = django_filters.MultipleChoiceFilter(choices=Wish.Status.choices)
    claimed_by = IdFilter(field_name="claimed_by_id")

    class Meta:
        model = Wish
        fields = ["park", "status", "claimed_by"]


class RoomBookingFilterSet(django_filters.FilterSet):
    room = IdFilter(field_name="room_id")
    park = IdFilter(field_name="room__park_id")
    status = django_filters.MultipleChoiceFilter(choices=RoomBooking.Status.choices)
    starts_after = IsoDateTimeFilter(field_name="starts_at", lookup_expr="gte")
    starts_before = IsoDateTimeFilter(field_name="starts_at", lookup_expr="lt")
    mine = django_filters.BooleanFilter(method="filter_mine", label=_("Booked by me"))

    class Meta:
        model = RoomBooking
        fields = ["room", "park", "status", "starts_after", "starts_before", "mine"]

    def filter_mine(self, queryset, name, value):
        user = self.request.user
        return queryset.filter(booked_by=user) if value else queryset.exclude(booked_by=user)
