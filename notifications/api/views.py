"""Endpoints of notifications: the user's own bell, and marking messages read."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api import ScopedReadOnlyModelViewSet, call_action

from .. import actions
from ..models import Notification
from .serializers import MarkedSerializer, NotificationSerializer


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


def register(router):
    router.register("notifications", NotificationViewSet, basename="notification")
