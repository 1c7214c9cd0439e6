from django.contrib.auth import get_user_model
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.api import ModelCleanSerializer, ModelSerializer
from core.scope import scope_for

from ..models import Role, RoleAssignment
from ..selectors import grantable_users

User = get_user_model()


class RoleAssignmentSerializer(ModelCleanSerializer):
    """A role over one scope object: a district (official), a park (administrator, service staff)
    or an organisation (branch secretary). Not edited: remove it and assign again."""

    username = serializers.CharField(source="user.username", read_only=True)
    scope_name = serializers.SerializerMethodField()

    class Meta:
        model = RoleAssignment
        fields = ["id", "user", "username", "role", "district", "park", "organization", "scope_name", "created_at"]
        read_only_fields = ["created_at"]

    def get_fields(self):
        fields = super().get_fields()
        request = self.context.get("request")
        user = getattr(request, "user", None)
        if user is not None and "user" in fields and not fields["user"].read_only:
            fields["user"].queryset = grantable_users(user)
        return fields

    def get_scope_name(self, obj) -> str:
        scope_object = obj.scope_object
        return str(scope_object) if scope_object is not None else ""


class RoleSummarySerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=Role.choices)
    scope_kind = serializers.CharField()
    scope_id = serializers.IntegerField()
    scope_name = serializers.CharField()


class MeSerializer(ModelSerializer):
    """The user the request authenticates as, with their roles and member record."""

    roles = serializers.SerializerMethodField()
    member = serializers.SerializerMethodField()
    is_superuser = serializers.BooleanField(read_only=True)

    class Meta:
        model = User
        fields = ["id", "username", "first_name", "last_name", "email", "is_superuser", "roles", "member"]
        read_only_fields = fields

    @extend_schema_field(RoleSummarySerializer(many=True))
    def get_roles(self, obj):
        assignments = RoleAssignment.objects.filter(user=obj).select_related("district", "park", "organization")
        rows = []
        for assignment in assignments:
            kind = {"district_official": "district", "branch_secretary": "organization"}.get(assignment.role, "park")
            target = assignment.scope_object
            rows.append({"role": assignment.role, "scope_kind": kind, "scope_id": target.pk, "scope_name": str(target)})
        return RoleSummarySerializer(rows, many=True).data

    def get_member(self, obj) -> int | None:
        return scope_for(obj).member_id
