"""Endpoints of accounts: role assignments and the current user.

Role assignments follow the back office (accounts/admin.py RoleAssignmentAdmin): everyone reads
their own and what their scope shows; a superuser assigns any role; a park administrator assigns
and removes branch secretaries and service staff of their own park; nobody edits one (remove it
and assign again).
"""

from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api import ScopedViewSetMixin
from core.querysets import CHANGE

from ..actions import role_grant, role_revoke
from ..models import RoleAssignment
from .serializers import MeSerializer, RoleAssignmentSerializer


class RoleAssignmentViewSet(
    ScopedViewSetMixin,
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Who holds which role over which district, park or organisation; assigned and removed, never edited."""

    queryset = RoleAssignment.objects.all()
    serializer_class = RoleAssignmentSerializer
    select_related = ("user", "district", "park", "organization")
    filterset_fields = ["role", "user", "district", "park", "organization"]
    search_fields = ["user__username", "user__first_name", "user__last_name"]
    ordering_fields = ["created_at", "role"]

    def may_create(self, user):
        return RoleAssignment.objects.reaches_any(user, CHANGE)

    def may_write(self, user, obj):
        return RoleAssignment.objects.allows(user, obj, CHANGE)

    def create_object(self, serializer):
        serializer.instance = role_grant(by=self.request.user, **serializer.validated_data)

    def destroy_object(self, instance):
        role_revoke(by=self.request.user, assignment=instance)


class UserViewSet(viewsets.GenericViewSet):
    """Users: only the current one (``/users/me/``); the back office manages accounts."""

    permission_classes = [permissions.IsAuthenticated]
    serializer_class = MeSerializer
    pagination_class = None

    def get_queryset(self):
        return get_user_model().objects.filter(pk=self.request.user.pk)

    @extend_schema(summary=_("The current user, their roles and member record"), responses={200: MeSerializer})
    @action(detail=False, methods=["get"])
    def me(self, request):
        return Response(MeSerializer(request.user, context=self.get_serializer_context()).data)


def register(router):
    router.register("role-assignments", RoleAssignmentViewSet, basename="roleassignment")
    router.register("users", UserViewSet, basename="user")
