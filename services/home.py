"""The home-page card of the service centre: the queue's figures for park administrators and
district officials, the inbox's for service staff."""

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import selectors
from .models import OPEN_STATUSES, RoomBooking, ServiceRequest, overdue_q


def service_centre(request, scope):
    if not (scope.superuser or scope.park_ids or scope.district_ids):
        if scope.service_park_ids:
            # The same conditions as the inbox's tabs, so each figure equals its list.
            return {"title": _("Service centre"), "inbox": selectors.inbox_counts(request.user)}
        return None
    requests = ServiceRequest.objects.visible_to(request.user).aggregate(
        open=Count("pk", filter=Q(status__in=OPEN_STATUSES)),
        overdue=Count("pk", filter=overdue_q()),
        submitted=Count("pk", filter=Q(status="submitted")),
    )
    pending = None
    if scope.superuser or scope.park_ids:
        bookings = RoomBooking.objects.filter(status=RoomBooking.Status.PENDING, ends_at__gte=timezone.now())
        if not scope.superuser:
            bookings = bookings.filter(room__park__in=scope.park_ids)
        pending = bookings.count()
    return {"title": _("Service centre"), "requests": requests, "pending_bookings": pending}
