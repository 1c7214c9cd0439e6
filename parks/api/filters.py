import django_filters

from parks.models import Enterprise, Organization, Park, Room


class ParkFilter(django_filters.FilterSet):
    class Meta:
        model = Park
        fields = ["district", "kind"]


class EnterpriseFilter(django_filters.FilterSet):
    class Meta:
        model = Enterprise
        fields = ["park", "industry", "investor_is_member"]


class OrganizationFilter(django_filters.FilterSet):
    class Meta:
        model = Organization
        fields = ["district", "park", "parent", "kind", "formation"]


class RoomFilter(django_filters.FilterSet):
    class Meta:
        model = Room
        fields = ["park", "is_active"]
