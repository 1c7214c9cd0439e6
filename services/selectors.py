"""Reads of the service centre, always through ``visible_to(user)`` and with a fixed query count."""

import datetime
from dataclasses import dataclass

from django.db.models import Prefetch
from django.utils import timezone

from core.scope import scope_for
from parks.models import Enterprise, Park, Room

from .models import (
    OPEN_STATUSES,
    EnterpriseContact,
    RoomBooking,
    ServiceCategory,
    ServiceRequest,
    ServiceRequestEvent,
    ServiceTeam,
    Wish,
    contact_enterprise_ids,
)


def _request_list(qs):
    return qs.with_overdue().select_related("category", "team", "enterprise", "park", "requester")


def my_requests(user):
    """Requests the user submitted, or submitted for an enterprise they are a contact of."""
    from django.db.models import Q

    qs = ServiceRequest.objects.filter(Q(requester=user) | Q(enterprise__in=contact_enterprise_ids(user)))
    return _request_list(qs).order_by("-created_at", "-pk")


@dataclass
class QueueFilters:
    status: str = ""
    category: int | None = None
    team: int | None = None
    overdue: bool = False
    park: int | None = None


def park_queue(user, filters: QueueFilters | None = None):
    """The park's queue as the user may see it: overdue first, then by due date."""
    filters = filters or QueueFilters()
    qs = ServiceRequest.objects.visible_to(user)
    if filters.park:
        qs = qs.filter(park_id=filters.park)
    if filters.status == "open":
        qs = qs.open()
    elif filters.status:
        qs = qs.filter(status=filters.status)
    if filters.category:
        qs = qs.filter(category_id=filters.category)
    if filters.team:
        qs = qs.filter(team_id=filters.team)
    qs = _request_list(qs)
    if filters.overdue:
        qs = qs.filter(is_overdue=True)
    return qs.order_by("-is_overdue", "due_on", "created_at", "pk")


def team_queue(user, team: ServiceTeam):
    """The requests assigned to a team, open ones first and overdue first among them."""
    from django.db.models import Case, IntegerField, Value, When

    qs = _request_list(ServiceRequest.objects.visible_to(user).filter(team=team))
    return qs.annotate(
        open_rank=Case(When(status__in=OPEN_STATUSES, then=Value(0)), default=Value(1), output_field=IntegerField())
    ).order_by("open_rank", "-is_overdue", "due_on", "pk")


def request_detail(user, pk):
    events = ServiceRequestEvent.objects.select_related("actor", "actor__member").order_by("created_at", "pk")
    return (
        _request_list(ServiceRequest.objects.visible_to(user))
        .prefetch_related(Prefetch("events", queryset=events))
        .get(pk=pk)
    )


def queue_parks(user):
    """The parks whose queue the user may open (administrators and district officials)."""

    scope = scope_for(user)
    if scope.superuser:
        return Park.objects.all()
    parks = Park.objects.none()
    if scope.park_ids or scope.district_ids:
        parks = Park.objects.filter(pk__in=scope.park_ids) | Park.objects.filter(district__in=scope.district_ids)
    return parks.select_related("district").order_by("district__code", "name")


def categories():
    return ServiceCategory.objects.active()


def teams_of_park(park_id):
    return ServiceTeam.objects.filter(park_id=park_id, is_active=True).order_by("name")


def visible_teams(user):
    return ServiceTeam.objects.visible_to(user).select_related("park").order_by("park__name", "name")


def my_teams(user):
    return ServiceTeam.objects.filter(members=user, is_active=True).select_related("park")


def submit_enterprises(user):
    """Enterprises the user may submit for: those they are a contact of, and their employer."""
    from django.db.models import Q

    return (
        Enterprise.objects.filter(
            Q(pk__in=EnterpriseContact.objects.filter(user=user).values("enterprise")) | Q(members__user=user)
        )
        .distinct()
        .select_related("park")
    )


def wishes(user):
    return Wish.objects.visible_to(user).select_related("park", "claimed_by").order_by("status", "-posted_at")


def rooms(user):
    from django.db.models import Q

    contact_parks = EnterpriseContact.objects.filter(user=user).values("enterprise__park")
    return (
        (Room.objects.visible_to(user) | Room.objects.filter(Q(park__in=contact_parks)))
        .filter(is_active=True)
        .select_related("park")
        .distinct()
        .order_by("park__name", "name")
    )


def week_start(day: datetime.date) -> datetime.date:
    return day - datetime.timedelta(days=day.weekday())


def room_week(user, room: Room, monday: datetime.date):
    """The room's active bookings in the week starting ``monday``, grouped by day (7 lists)."""
    tz = timezone.get_current_timezone()
    start = datetime.datetime.combine(monday, datetime.time.min, tzinfo=tz)
    end = start + datetime.timedelta(days=7)
    bookings = (
        RoomBooking.objects.visible_to(user)
        .filter(room=room, status__in=[RoomBooking.Status.PENDING, RoomBooking.Status.CONFIRMED])
        .overlapping(room=room, starts_at=start, ends_at=end)
        .select_related("booked_by", "enterprise")
        .order_by("starts_at")
    )
    days = [{"date": monday + datetime.timedelta(days=i), "bookings": []} for i in range(7)]
    for booking in bookings:
        index = (timezone.localtime(booking.starts_at).date() - monday).days
        days[max(0, min(index, 6))]["bookings"].append(booking)
    return days


def pending_bookings(user):
    """Bookings the user manages (park administrator), pending first, upcoming only."""

    scope = scope_for(user)
    qs = RoomBooking.objects.filter(ends_at__gte=timezone.now())
    if not scope.superuser:
        qs = qs.filter(room__park__in=scope.park_ids)
    return qs.select_related("room", "room__park", "booked_by", "booked_by__member", "enterprise").order_by(
        "status", "starts_at"
    )


def my_bookings(user):
    return RoomBooking.objects.filter(booked_by=user).select_related("room", "room__park").order_by("-starts_at")


def teams_of_parks(park_ids):
    """The service teams of these parks (already within the user's scope), by park and name."""
    return ServiceTeam.objects.filter(park__in=park_ids).select_related("park").order_by("park__name", "name")
