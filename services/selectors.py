"""Reads of the service centre, always through ``visible_to(user)`` and with a fixed query count."""

import datetime
from dataclasses import dataclass

from django.db.models import Count, Prefetch, Q
from django.utils import timezone

from core.scope import scope_for
from parks.models import Enterprise, Park, Room

from .models import (
    AWAITING_TRIAGE,
    OPEN_STATUSES,
    EnterpriseContact,
    RoomBooking,
    ServiceCategory,
    ServiceRequest,
    ServiceRequestEvent,
    ServiceTeam,
    Wish,
    contact_enterprise_ids,
    member_team_ids,
    overdue_q,
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


# The service staff's inbox: its tabs, in order. Each tab's list and the home card's count come
# from ``inbox_conditions``, so they always agree.
INBOX_TABS = ("new", "team", "overdue")


def inbox_conditions(user, today=None) -> dict:
    """``{"new": Q, "team": Q, "overdue": Q}`` over requests the user may see:

    * new: requests of the parks where the user is service staff that await triage (submitted, or
      accepted and not yet passed to a team);
    * team: open requests assigned to the user's teams (assigned or in progress);
    * overdue: either of those, past its due date (``models.overdue_q``).
    """
    service_parks = scope_for(user).service_park_ids
    new = Q(park__in=service_parks) & AWAITING_TRIAGE if service_parks else Q(pk__in=[])
    team = Q(team__in=member_team_ids(user), status__in=OPEN_STATUSES)
    return {"new": new, "team": team, "overdue": (new | team) & overdue_q(today)}


def may_use_inbox(user) -> bool:
    scope = scope_for(user)
    return bool(scope.service_park_ids) or ServiceTeam.members.through.objects.filter(user=user).exists()


def inbox(user, tab: str):
    """One tab of the inbox: overdue first, then by due date and age."""
    qs = ServiceRequest.objects.visible_to(user).filter(inbox_conditions(user)[tab])
    return _request_list(qs).order_by("-is_overdue", "due_on", "created_at", "pk")


def inbox_counts(user) -> dict:
    """The number of rows of each inbox tab, in one query."""
    conditions = inbox_conditions(user)
    counts = ServiceRequest.objects.visible_to(user).aggregate(
        **{f"n_{tab}": Count("pk", filter=conditions[tab]) for tab in INBOX_TABS}
    )
    return {tab: counts[f"n_{tab}"] for tab in INBOX_TABS}


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


# The week view of a room: half-hour slots from 08:00 to 22:00 (bookings outside are drawn at the
# edge they cross).
GRID_FIRST_HOUR = 8
GRID_LAST_HOUR = 22
GRID_SLOT_MINUTES = 30
ACTIVE_BOOKING = (RoomBooking.Status.PENDING, RoomBooking.Status.CONFIRMED)


def overlapping_bookings(room, starts_at, ends_at, exclude_pk=None):
    """The room's pending and confirmed bookings meeting [starts_at, ends_at) (half-open: a booking
    that ends when this one starts does not overlap)."""
    qs = RoomBooking.objects.filter(status__in=ACTIVE_BOOKING).overlapping(
        room=room, starts_at=starts_at, ends_at=ends_at
    )
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    return list(qs.order_by("starts_at", "pk"))


def with_overlaps(bookings: list) -> list:
    """Set ``overlaps`` on each booking: the other pending or confirmed bookings of its room that
    meet it (for the administrator's queue: "overlaps with #N"). One query for the whole list."""
    for booking in bookings:
        booking.overlaps = []
    active = [b for b in bookings if b.status in ACTIVE_BOOKING]
    if not active:
        return bookings
    others = RoomBooking.objects.filter(
        status__in=ACTIVE_BOOKING,
        room__in={b.room_id for b in active},
        starts_at__lt=max(b.ends_at for b in active),
        ends_at__gt=min(b.starts_at for b in active),
    ).only("pk", "room_id", "starts_at", "ends_at", "status")
    others = list(others)
    for booking in active:
        booking.overlaps = [
            other
            for other in others
            if other.pk != booking.pk
            and other.room_id == booking.room_id
            and other.starts_at < booking.ends_at
            and other.ends_at > booking.starts_at
        ]
    return bookings


def grid_hours(days) -> tuple[int, int]:
    """The hours the week's grid spans: GRID_FIRST_HOUR to GRID_LAST_HOUR, widened to the whole
    hours of any booking outside them (an evening meeting at 22:30 is shown, not dropped); a booking
    that runs past midnight keeps its day's column to its end (24:00)."""
    first_hour, last_hour = GRID_FIRST_HOUR, GRID_LAST_HOUR
    for day in days:
        for booking in day["bookings"]:
            start, end = timezone.localtime(booking.starts_at), timezone.localtime(booking.ends_at)
            first_hour = min(first_hour, start.hour if start.date() == day["date"] else 0)
            if end.date() == day["date"]:
                last_hour = max(last_hour, end.hour + (1 if end.time() != datetime.time(end.hour) else 0))
            else:
                last_hour = 24
    return first_hour, last_hour


def week_grid(days, *, now):
    """The week view as a grid: 7 columns of half-hour slots with the bookings placed over them.

    ``days`` as ``room_week`` returns them. Each slot knows whether it is free (no pending or
    confirmed booking meets it) and not past, so the page links it to the booking form.
    """
    tz = timezone.get_current_timezone()
    step = datetime.timedelta(minutes=GRID_SLOT_MINUTES)
    first_hour, last_hour = grid_hours(days)
    slots = (last_hour - first_hour) * 60 // GRID_SLOT_MINUTES
    times = [
        (datetime.datetime.combine(datetime.date.min, datetime.time(first_hour)) + i * step).time()
        for i in range(slots)
    ]
    columns = []
    for index, day in enumerate(days):
        grid_start = datetime.datetime.combine(day["date"], datetime.time(first_hour), tzinfo=tz)
        grid_end = grid_start + slots * step
        placed = []
        for booking in day["bookings"]:
            start = max(booking.starts_at, grid_start)
            end = min(booking.ends_at, grid_end)
            if end <= start:
                continue
            first = int((start - grid_start) / step)
            last = -int(-(end - grid_start) / step)  # ceiling
            placed.append({"booking": booking, "row": first + 2, "span": max(1, last - first)})
        cells = []
        for i, time in enumerate(times):
            starts = grid_start + i * step
            busy = any(b.starts_at < starts + step and b.ends_at > starts for b in day["bookings"])
            cells.append({"time": time, "row": i + 2, "free": not busy and starts >= now})
        columns.append({"date": day["date"], "column": index + 2, "cells": cells, "bookings": placed})
    return {
        "columns": columns,
        "hours": [{"time": t, "row": i + 2} for i, t in enumerate(times) if t.minute == 0],
        "rows": slots,
    }
