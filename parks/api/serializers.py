from rest_framework import serializers

from core.api import ModelCleanSerializer
from parks.models import District, Enterprise, Organization, Park, Room


class DistrictSerializer(ModelCleanSerializer):
    class Meta:
        model = District
        fields = ["id", "name", "city", "code"]


class ParkSerializer(ModelCleanSerializer):
    district_name = serializers.CharField(source="district.name", read_only=True)

    class Meta:
        model = Park
        fields = [
            "id",
            "name",
            "kind",
            "district",
            "district_name",
            "address",
            "area",
            "opened_on",
            "operator",
            "service_centre_area",
        ]


class EnterpriseSerializer(ModelCleanSerializer):
    park_name = serializers.CharField(source="park.name", read_only=True)

    class Meta:
        model = Enterprise
        fields = [
            "id",
            "name",
            "credit_code",
            "park",
            "park_name",
            "industry",
            "employee_count",
            "entered_on",
            "investor_name",
            "investor_is_member",
        ]


class OrganizationSerializer(ModelCleanSerializer):
    park_name = serializers.SerializerMethodField()
    term_status = serializers.SerializerMethodField()

    class Meta:
        model = Organization
        fields = [
            "id",
            "name",
            "code",
            "parent",
            "kind",
            "formation",
            "district",
            "park",
            "park_name",
            "enterprises",
            "secretary",
            "founded_on",
            "term_start",
            "term_end",
            "term_status",
        ]
        # The end of the term follows from its start and the kind's length (parks.rules).
        read_only_fields = ["term_end"]
        extra_kwargs = {"enterprises": {"required": False}}

    def get_park_name(self, obj) -> str | None:
        return obj.park.name if obj.park_id else None

    def get_term_status(self, obj) -> str:
        return obj.term_status()


class RoomSerializer(ModelCleanSerializer):
    class Meta:
        model = Room
        fields = ["id", "park", "name", "capacity", "location", "equipment", "is_active"]
