"""The portal's own endpoints (role assignments, the user's notifications, the current user) and
the page where a user creates and revokes their API token.

Role assignments follow the back office (portal/admin.py RoleAssignmentAdmin): everyone reads
their own and what their scope shows; a superuser assigns any role; a park administrator assigns
and removes branch secretaries and service staff of their own park; nobody edits one (remove it
and assign again).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, viewsets
from rest_framework.authtoken.models import Token
from rest_framework.decorators import action
from rest_framework.response import Response

from . import actions
from .admin import PARK_ADMIN_GRANTABLE, assignment_park_id
from .api_base import ScopedReadOnlyModelViewSet, ScopedViewSetMixin, call_action, is_superuser
from .api_serializers import MarkedSerializer, MeSerializer, NotificationSerializer, RoleAssignmentSerializer
from .models import Notification, RoleAssignment
from .scope import forget_scope, scope_for


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
        return is_superuser(user) or scope_for(user).is_park_admin

    def may_write(self, user, obj):
        if is_superuser(user):
            return True
        return obj.role in PARK_ADMIN_GRANTABLE and assignment_park_id(obj) in scope_for(user).park_ids

    def perform_create(self, serializer):
        super().perform_create(serializer)
        forget_scope(serializer.instance.user)

    def destroy_object(self, instance):
        instance.delete()


class NotificationViewSet(ScopedReadOnlyModelViewSet):
    """The user's own notifications (the bell), newest first."""

    queryset = Notification.objects.all()
    serializer_class = NotificationSerializer
    filterset_fields = {"read_at": ["isnull"]}
    ordering_fields = ["created_at"]

    def base_queryset(self):
        return Notification.objects.for_user(self.request.user)

    @extend_schema(summary=_("Mark one notification read"), request=None, responses={200: NotificationSerializer})
    @action(detail=True, methods=["post"], url_path="mark-read")
    def mark_read(self, request, pk=None):
        notification = self.get_object()
        notification = call_action(actions.notification_mark_read, notification_id=notification.pk, user=request.user)
        return Response(self.get_serializer(notification).data)

    @extend_schema(summary=_("Mark all notifications read"), request=None, responses={200: MarkedSerializer})
    @action(detail=False, methods=["post"], url_path="mark-all-read")
    def mark_all_read(self, request):
        marked = call_action(actions.notifications_mark_all_read, user=request.user)
        return Response({"marked": marked})


class UserViewSet(viewsets.GenericViewSet):
    """Users: only the current one (``/users/me/``); the back office manages accounts."""

    permission_classes = [permissions.IsAuthenticated]
    serializer_class = MeSerializer
    pagination_class = None

    def get_queryset(self):
        from django.contrib.auth import get_user_model

        return get_user_model().objects.filter(pk=self.request.user.pk)

    @extend_schema(summary=_("The current user, their roles and member record"), responses={200: MeSerializer})
    @action(detail=False, methods=["get"])
    def me(self, request):
        return Response(MeSerializer(request.user, context=self.get_serializer_context()).data)


def register(router):
    router.register("role-assignments", RoleAssignmentViewSet, basename="roleassignment")
    router.register("notifications", NotificationViewSet, basename="notification")
    router.register("users", UserViewSet, basename="user")


# --- API tokens: a page where users create (the key shown once) and revoke their token --------


@transaction.atomic
def token_create(*, user) -> Token:
    """Give ``user`` a new API token, replacing any previous one (which stops working at once)."""
    Token.objects.filter(user=user).delete()
    return Token.objects.create(user=user)


@transaction.atomic
def token_revoke(*, user) -> bool:
    """Delete ``user``'s API token; True when there was one."""
    deleted, _rows = Token.objects.filter(user=user).delete()
    return bool(deleted)


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def tokens(request):
    new_key = None
    if request.method == "POST":
        if request.POST.get("action") == "revoke":
            if token_revoke(user=request.user):
                messages.success(
                    request, gettext("Your API token is revoked; scripts using it are refused from now on.")
                )
            return redirect("api_tokens")
        new_key = token_create(user=request.user).key
    token = Token.objects.filter(user=request.user).first()
    return render(
        request,
        "portal/tokens.html",
        {"token": token, "new_key": new_key, "hint": token.key[-4:] if token and not new_key else ""},
    )
