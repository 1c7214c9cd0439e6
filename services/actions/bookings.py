"""Room bookings: asked for by a member of the park or a contact of its enterprises, then the steps
of services.rules.BOOKING_STEPS (confirm, decline, cancel), each through core.transitions."""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.texts import Text
from core.transitions import transition
from members.models import Member
from notifications.actions import notify
from parks.models import Enterprise, Room

from .. import rules
from ..models import RoomBooking
from .common import park_admins

MAX_BOOKING_HOURS = 12
BOOKING_HORIZON_DAYS = 90


def _may_book(user, room, enterprise):
    if enterprise is not None:
        return enterprise.park_id == room.park_id and rules.is_contact(user, enterprise.pk)
    member = Member.objects.filter(user=user, status=Member.Status.ACTIVE).values("organization__park_id").first()
    return member is not None and member["organization__park_id"] == room.park_id


@transaction.atomic
def booking_request(
    *,
    by,
    room: Room,
    starts_at: datetime.datetime,
    ends_at: datetime.datetime,
    purpose: str,
    attendees: int = 1,
    enterprise: Enterprise | None = None,
) -> RoomBooking:
    """A member of the park, or a contact of one of its enterprises, asks for a room.

    The slot must lie in the future (up to 90 days ahead), last at most 12 hours, fit the room and
    not meet a confirmed booking. The park administrator then confirms or declines it.
    """
    if not _may_book(by, room, enterprise):
        raise PermissionDenied(_("Only members of the park and contacts of its enterprises book its rooms."))
    errors = {}
    purpose = (purpose or "").strip()
    if not purpose:
        errors["purpose"] = _("Say what the room is for.")
    if not room.is_active:
        errors["room"] = _("This room cannot be booked at the moment.")
    now = timezone.now()
    if ends_at <= starts_at:
        errors["ends_at"] = _("The booking must end after it starts.")
    elif ends_at - starts_at > datetime.timedelta(hours=MAX_BOOKING_HOURS):
        errors["ends_at"] = _("A booking lasts at most %(hours)s hours.") % {"hours": MAX_BOOKING_HOURS}
    if starts_at < now:
        errors["starts_at"] = _("The booking must start in the future.")
    elif starts_at > now + datetime.timedelta(days=BOOKING_HORIZON_DAYS):
        errors["starts_at"] = _("Bookings open %(days)s days ahead.") % {"days": BOOKING_HORIZON_DAYS}
    if attendees is None or attendees < 1:
        errors["attendees"] = _("At least one person attends.")
    elif attendees > room.capacity:
        errors["attendees"] = _("The room holds %(capacity)s people.") % {"capacity": room.capacity}
    if errors:
        raise ValidationError(errors)
    if RoomBooking.objects.confirmed().overlapping(room=room, starts_at=starts_at, ends_at=ends_at).exists():
        raise ValidationError({"starts_at": _("The room is already booked at that time.")})
    booking = RoomBooking.objects.create(
        room=room,
        booked_by=by,
        enterprise=enterprise,
        purpose=purpose,
        attendees=attendees,
        starts_at=starts_at,
        ends_at=ends_at,
    )
    notify(
        recipients=park_admins(room.park_id),
        title=Text(_("Room booking to confirm: %(room)s"), room=room.name),
        body=f"{timezone.localtime(starts_at):%Y-%m-%d %H:%M}–{timezone.localtime(ends_at):%H:%M} {purpose}",
        url=reverse("services:booking_list"),
    )
    return booking


@transaction.atomic
def booking_confirm(*, booking: RoomBooking, by) -> RoomBooking:
    """The park administrator confirms a pending booking if no confirmed one overlaps it.

    The room row is locked, so two confirmations of overlapping bookings are serialised; on
    PostgreSQL the exclusion constraint is the last word.
    """
    room = Room.objects.select_for_update().get(pk=booking.room_id)
    overlap = _("Another confirmed booking of this room overlaps this one.")

    def manager(locked):
        if not rules.manages_park(by, room.park_id):
            raise PermissionDenied(_("Only the park's administrators confirm bookings."))

    def check(locked):
        clash = (
            RoomBooking.objects.confirmed()
            .overlapping(room=room, starts_at=locked.starts_at, ends_at=locked.ends_at)
            .exclude(pk=locked.pk)
        )
        if clash.exists():
            raise ValidationError(overlap)

    done = transition(
        booking,
        rules.BOOKING_STEPS["confirm"],
        guard=manager,
        check=check,
        changes=lambda locked: {"decided_by": by, "decided_at": timezone.now()},
        conflict=overlap,
        notify=lambda locked, _from: notify(
            recipients=[locked.booked_by],
            title=Text(_("Room booking confirmed: %(room)s"), room=room.name),
            body=f"{timezone.localtime(locked.starts_at):%Y-%m-%d %H:%M}",
            url=reverse("services:my_bookings"),
        ),
    )
    return done.obj


@transaction.atomic
def booking_decline(*, booking: RoomBooking, by, reason: str) -> RoomBooking:
    """The park administrator declines a pending booking, with a reason."""
    reason = (reason or "").strip()

    def manager(locked):
        if not rules.manages_park(by, locked.room.park_id):
            raise PermissionDenied(_("Only the park's administrators decline bookings."))

    def check(locked):
        if not reason:
            raise ValidationError({"reason": _("Give the reason.")})

    done = transition(
        booking,
        rules.BOOKING_STEPS["decline"],
        queryset=RoomBooking.objects.select_related("room"),
        guard=manager,
        check=check,
        changes=lambda locked: {"decided_by": by, "decided_at": timezone.now(), "decline_reason": reason},
        notify=lambda locked, _from: notify(
            recipients=[locked.booked_by],
            title=Text(_("Room booking declined: %(room)s"), room=locked.room.name),
            body=reason,
            url=reverse("services:my_bookings"),
        ),
    )
    return done.obj


@transaction.atomic
def booking_cancel(*, booking: RoomBooking, by) -> RoomBooking:
    """Whoever booked (or a park administrator) cancels a pending or confirmed booking not yet begun."""
    manages = {}

    def booker_or_manager(locked):
        manages["park"] = rules.manages_park(by, locked.room.park_id)
        if locked.booked_by_id != by.pk and not manages["park"]:
            raise PermissionDenied(_("Only whoever booked the room cancels the booking."))

    def not_begun(locked):
        if locked.starts_at <= timezone.now():
            raise ValidationError(_("A booking that has begun cannot be cancelled."))

    def notify_other_side(locked, _from_status):
        recipients = park_admins(locked.room.park_id) if not manages["park"] else [locked.booked_by]
        notify(
            recipients=recipients,
            title=Text(_("Room booking cancelled: %(room)s"), room=locked.room.name),
            body=f"{timezone.localtime(locked.starts_at):%Y-%m-%d %H:%M} {locked.purpose}",
            url=reverse("services:booking_list"),
        )

    done = transition(
        booking,
        rules.BOOKING_STEPS["cancel"],
        queryset=RoomBooking.objects.select_related("room"),
        guard=booker_or_manager,
        check=not_begun,
        notify=notify_other_side,
    )
    return done.obj
