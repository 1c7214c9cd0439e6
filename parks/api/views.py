"""Districts, parks, enterprises, organisations and rooms.

Writes follow the back office (parks/admin.py): superusers everything; a park administrator edits
their own park (never adds or deletes parks) and adds, edits and deletes the enterprises,
organisations and rooms of their park. Districts are written by superusers only; everyone else
reads what their scope shows.
"""

from core.api import ScopedModelViewSet, is_superuser
from core.querysets import CHANGE
from parks.models import District, Enterprise, Organization, Park, Room

from . import filters, serializers


class DistrictViewSet(ScopedModelViewSet):
    """Districts (区/县/市) with their GB/T 2260 code; written by superusers."""

    queryset = District.objects.all()
    serializer_class = serializers.DistrictSerializer
    search_fields = ["name", "city", "code"]
    ordering_fields = ["code", "name"]
    filterset_fields = ["city"]


class ParkViewSet(ScopedModelViewSet):
    """Parks; a park administrator edits their own park, superusers add and delete."""

    queryset = Park.objects.all()
    serializer_class = serializers.ParkSerializer
    filterset_class = filters.ParkFilter
    select_related = ("district",)
    search_fields = ["name", "address", "operator"]
    ordering_fields = ["name", "opened_on", "area"]

    def may_write(self, user, obj):
        return Park.objects.allows(user, obj, CHANGE)

    def may_delete(self, user, obj):
        return is_superuser(user)


class ParkScopedViewSet(ScopedModelViewSet):
    """A model written by the administrators of the row's park."""

    def may_create(self, user):
        return self.queryset.model.objects.reaches_any(user, CHANGE)

    def may_write(self, user, obj):
        return self.queryset.model.objects.allows(user, obj, CHANGE)


class EnterpriseViewSet(ParkScopedViewSet):
    """Enterprises of the parks, by unified social credit code; written by the park's administrators."""

    queryset = Enterprise.objects.all()
    serializer_class = serializers.EnterpriseSerializer
    filterset_class = filters.EnterpriseFilter
    select_related = ("park",)
    search_fields = ["name", "=credit_code", "investor_name"]
    ordering_fields = ["name", "employee_count", "entered_on"]


class OrganizationViewSet(ParkScopedViewSet):
    """Party organisations (committees, branches, groups); written by the park's administrators."""

    queryset = Organization.objects.all()
    serializer_class = serializers.OrganizationSerializer
    filterset_class = filters.OrganizationFilter
    select_related = ("park",)
    prefetch_related = ("enterprises",)
    search_fields = ["name", "=code"]
    ordering_fields = ["name", "code", "founded_on", "term_end"]


class RoomViewSet(ParkScopedViewSet):
    """Rooms of the parks' service centres; written by the park's administrators."""

    queryset = Room.objects.all()
    serializer_class = serializers.RoomSerializer
    filterset_class = filters.RoomFilter
    search_fields = ["name", "location"]
    ordering_fields = ["name", "capacity"]
