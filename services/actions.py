"""Writes of the service centre. Every workflow step is an action here: keyword-only, validated,
transactional, locking the row it changes, recording a timeline entry and notifying after commit.

Refusals raise ``ValidationError`` (a rule of the workflow) or ``PermissionDenied`` (the user may
not take that step).
"""

import datetime
import re

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Role
from members.models import Member
from notifications.actions import notify
from parks.models import Enterprise, Park, Room

from . import rules
from .models import (
    EnterpriseContact,
    RequestStatus,
    RoomBooking,
    ServiceCategory,
    ServiceRequest,
    ServiceRequestEvent,
    ServiceTeam,
    Urgency,
    Wish,
    due_date,
)

Event = ServiceRequestEvent.Kind
REOPEN_DAYS = 7
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
MAX_BOOKING_HOURS = 12
BOOKING_HORIZON_DAYS = 90


# ---------------------------------------------------------------------------------------------
# helpers


def park_admins(park_id):
    return list(
        get_user_model()
        .objects.filter(role_assignments__role=Role.PARK_ADMIN, role_assignments__park_id=park_id, is_active=True)
        .distinct()
    )


def _followers(request):
    """The requester and the contacts of the request's enterprise."""
    users = [request.requester]
    if request.enterprise_id:
        users += [
            c.user for c in EnterpriseContact.objects.filter(enterprise_id=request.enterprise_id).select_related("user")
        ]
    return users


def _team_members(team_id):
    if team_id is None:
        return []
    return list(get_user_model().objects.filter(service_teams=team_id, is_active=True))


def _url(request):
    return reverse("services:request_detail", args=[request.pk])


def _check_attachment(attachment):
    if attachment and attachment.size > MAX_ATTACHMENT_BYTES:
        raise ValidationError({"attachment": _("The attachment is larger than 10 MB.")})


def _lock(request) -> ServiceRequest:
    return ServiceRequest.objects.select_for_update().get(pk=request.pk)


def _require_status(request, allowed, message):
    if request.status not in allowed:
        raise ValidationError(message)


def _record(request, *, kind, by, text="", attachment=None):
    event = ServiceRequestEvent(request=request, kind=kind, actor=by, text=text, status_after=request.status)
    if attachment:
        event.attachment = attachment
    event.full_clean(exclude=["request", "actor"])
    event.save()
    return event


# ---------------------------------------------------------------------------------------------
# service requests


@transaction.atomic
def request_submit(
    *,
    by,
    category: ServiceCategory,
    title: str,
    description: str,
    urgency: str = Urgency.NORMAL,
    enterprise: Enterprise | None = None,
    attachment=None,
) -> ServiceRequest:
    """A member or an enterprise contact submits a request.

    A request for an enterprise needs the submitter to be its contact or a member employed there;
    without an enterprise the submitter must be a member. The request belongs to the park of the
    enterprise, else to the park of the member's organisation; its due date follows the urgency.
    """
    errors = {}
    title, description = (title or "").strip(), (description or "").strip()
    if not title:
        errors["title"] = _("Give the request a short title.")
    if not description:
        errors["description"] = _("Describe what you need.")
    if urgency not in Urgency.values:
        errors["urgency"] = _("Choose an urgency.")
    if not category.is_active:
        errors["category"] = _("This service is not offered at the moment.")
    member = Member.objects.filter(user=by).select_related("organization").first() if by.is_authenticated else None
    if enterprise is not None:
        allowed = rules.is_contact(by, enterprise.pk) or (member is not None and member.employer_id == enterprise.pk)
        if not allowed:
            raise PermissionDenied(_("You may only submit requests for an enterprise you represent."))
        park_id = enterprise.park_id
    elif member is not None and member.organization.park_id:
        park_id = member.organization.park_id
    else:
        raise PermissionDenied(_("Only party members and enterprise contacts may submit service requests."))
    _check_attachment(attachment)
    if errors:
        raise ValidationError(errors)
    request = ServiceRequest.objects.create(
        park_id=park_id,
        enterprise=enterprise,
        requester=by,
        category=category,
        title=title,
        description=description,
        urgency=urgency,
        due_on=due_date(urgency),
    )
    _record(request, kind=Event.SUBMITTED, by=by, attachment=attachment)
    notify(
        recipients=park_admins(park_id),
        title=_("New service request: %(title)s") % {"title": title},
        body=_("%(category)s, due %(due)s.") % {"category": category.name, "due": request.due_on},
        url=_url(request),
    )
    return request


@transaction.atomic
def request_accept(*, request: ServiceRequest, by) -> ServiceRequest:
    """The park administrator accepts a submitted request."""
    request = _lock(request)
    if not rules.manages_park(by, request.park_id):
        raise PermissionDenied(_("Only the park's administrators accept requests."))
    _require_status(request, [RequestStatus.SUBMITTED], _("Only a submitted request can be accepted."))
    request.status = RequestStatus.ACCEPTED
    request.accepted_at = timezone.now()
    request.save(update_fields=["status", "accepted_at"])
    _record(request, kind=Event.ACCEPTED, by=by)
    notify(
        recipients=_followers(request),
        title=_("Your request was accepted: %(title)s") % {"title": request.title},
        url=_url(request),
    )
    return request


@transaction.atomic
def request_assign(*, request: ServiceRequest, by, team: ServiceTeam, note: str = "") -> ServiceRequest:
    """The park administrator assigns (or reassigns) a request to one of the park's teams.

    Assigning a request that was only submitted accepts it at the same time (two timeline entries).
    Work already started is not taken away from a team.
    """
    request = _lock(request)
    if not rules.manages_park(by, request.park_id):
        raise PermissionDenied(_("Only the park's administrators assign requests."))
    _require_status(
        request,
        [RequestStatus.SUBMITTED, RequestStatus.ACCEPTED, RequestStatus.ASSIGNED],
        _("Only a submitted, accepted or assigned request can be assigned."),
    )
    if team.park_id != request.park_id or not team.is_active:
        raise ValidationError({"team": _("Choose an active team of the request's park.")})
    if request.status == RequestStatus.ASSIGNED and request.team_id == team.pk:
        raise ValidationError({"team": _("The request is already assigned to this team.")})
    if request.status == RequestStatus.SUBMITTED:
        request.status = RequestStatus.ACCEPTED
        request.accepted_at = timezone.now()
        _record(request, kind=Event.ACCEPTED, by=by)
    request.status = RequestStatus.ASSIGNED
    request.team = team
    request.save(update_fields=["status", "team", "accepted_at"])
    _record(request, kind=Event.ASSIGNED, by=by, text=(note or "").strip() or team.name)
    notify(
        recipients=_team_members(team.pk),
        title=_("Request assigned to %(team)s: %(title)s") % {"team": team.name, "title": request.title},
        body=_("Due %(due)s.") % {"due": request.due_on},
        url=_url(request),
    )
    notify(
        recipients=_followers(request),
        title=_("Your request was passed to %(team)s") % {"team": team.name},
        body=request.title,
        url=_url(request),
    )
    return request


@transaction.atomic
def request_start(*, request: ServiceRequest, by) -> ServiceRequest:
    """A member of the assigned team starts work on the request."""
    request = _lock(request)
    if not rules.in_team(by, request.team_id):
        raise PermissionDenied(_("Only members of the assigned team work on this request."))
    _require_status(request, [RequestStatus.ASSIGNED], _("Only an assigned request can be started."))
    request.status = RequestStatus.IN_PROGRESS
    request.save(update_fields=["status"])
    _record(request, kind=Event.STARTED, by=by)
    notify(
        recipients=_followers(request),
        title=_("Work started on your request: %(title)s") % {"title": request.title},
        url=_url(request),
    )
    return request


@transaction.atomic
def request_resolve(*, request: ServiceRequest, by, note: str, attachment=None) -> ServiceRequest:
    """A member of the assigned team resolves the request, saying how."""
    request = _lock(request)
    if not rules.in_team(by, request.team_id):
        raise PermissionDenied(_("Only members of the assigned team resolve this request."))
    _require_status(request, [RequestStatus.IN_PROGRESS], _("Only a request in progress can be resolved."))
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": _("Say how the request was resolved.")})
    _check_attachment(attachment)
    request.status = RequestStatus.RESOLVED
    request.resolved_at = timezone.now()
    request.save(update_fields=["status", "resolved_at"])
    _record(request, kind=Event.RESOLVED, by=by, text=note, attachment=attachment)
    notify(
        recipients=_followers(request) + park_admins(request.park_id),
        title=_("Request resolved: %(title)s") % {"title": request.title},
        body=_("Please close it with a rating, or reopen it within %(days)s days.") % {"days": REOPEN_DAYS},
        url=_url(request),
    )
    return request


@transaction.atomic
def request_close(*, request: ServiceRequest, by, rating: int, comment: str = "") -> ServiceRequest:
    """The requester (or a contact of the enterprise) closes a resolved request with a 1–5 rating."""
    request = _lock(request)
    if not rules.owns_request(by, request):
        raise PermissionDenied(_("Only the requester closes a request."))
    _require_status(request, [RequestStatus.RESOLVED], _("Only a resolved request can be closed."))
    try:
        rating = int(rating)
    except (TypeError, ValueError):
        rating = 0
    if not 1 <= rating <= 5:
        raise ValidationError({"rating": _("Give a rating from 1 to 5.")})
    request.status = RequestStatus.CLOSED
    request.rating = rating
    request.rating_comment = (comment or "").strip()
    request.closed_at = timezone.now()
    request.save(update_fields=["status", "rating", "rating_comment", "closed_at"])
    _record(request, kind=Event.CLOSED, by=by, text=f"{rating}/5 {request.rating_comment}".strip())
    notify(
        recipients=park_admins(request.park_id) + _team_members(request.team_id),
        title=_("Request closed with a rating of %(rating)s: %(title)s") % {"rating": rating, "title": request.title},
        body=request.rating_comment,
        url=_url(request),
    )
    return request


@transaction.atomic
def request_reject(*, request: ServiceRequest, by, reason: str) -> ServiceRequest:
    """The park administrator rejects a request that is not being worked on, with a reason."""
    request = _lock(request)
    if not rules.manages_park(by, request.park_id):
        raise PermissionDenied(_("Only the park's administrators reject requests."))
    _require_status(
        request,
        [RequestStatus.SUBMITTED, RequestStatus.ACCEPTED, RequestStatus.ASSIGNED],
        _("A request in progress, resolved or closed cannot be rejected."),
    )
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give the reason for the rejection.")})
    team_id = request.team_id
    request.status = RequestStatus.REJECTED
    request.reject_reason = reason
    request.save(update_fields=["status", "reject_reason"])
    _record(request, kind=Event.REJECTED, by=by, text=reason)
    notify(
        recipients=_followers(request) + _team_members(team_id),
        title=_("Request rejected: %(title)s") % {"title": request.title},
        body=reason,
        url=_url(request),
    )
    return request


@transaction.atomic
def request_reopen(*, request: ServiceRequest, by, reason: str) -> ServiceRequest:
    """The requester reopens a resolved (or closed) request within 7 days of its resolution.

    It goes back to its team (or to the park's queue if it had none) with a fresh due date; a
    rating given at closing is withdrawn.
    """
    request = _lock(request)
    if not rules.owns_request(by, request):
        raise PermissionDenied(_("Only the requester reopens a request."))
    _require_status(
        request,
        [RequestStatus.RESOLVED, RequestStatus.CLOSED],
        _("Only a resolved or closed request can be reopened."),
    )
    if request.resolved_at is None or timezone.now() - request.resolved_at > datetime.timedelta(days=REOPEN_DAYS):
        raise ValidationError(
            _("A request can be reopened only within %(days)s days of its resolution.") % {"days": REOPEN_DAYS}
        )
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the request is reopened.")})
    request.status = RequestStatus.ASSIGNED if request.team_id else RequestStatus.ACCEPTED
    request.rating = None
    request.rating_comment = ""
    request.closed_at = None
    request.resolved_at = None
    request.due_on = due_date(request.urgency)
    request.save(update_fields=["status", "rating", "rating_comment", "closed_at", "resolved_at", "due_on"])
    _record(request, kind=Event.REOPENED, by=by, text=reason)
    notify(
        recipients=park_admins(request.park_id) + _team_members(request.team_id),
        title=_("Request reopened: %(title)s") % {"title": request.title},
        body=reason,
        url=_url(request),
    )
    return request


@transaction.atomic
def request_comment(*, request: ServiceRequest, by, text: str, attachment=None) -> ServiceRequestEvent:
    """A comment (optionally with an attachment) on the timeline by anyone working on or following it."""
    request = _lock(request)
    if not rules.request_permissions(by, request)["comment"]:
        raise PermissionDenied(_("You cannot comment on this request."))
    text = (text or "").strip()
    if not text and not attachment:
        raise ValidationError({"text": _("Write a comment or attach a file.")})
    _check_attachment(attachment)
    event = _record(request, kind=Event.COMMENT, by=by, text=text, attachment=attachment)
    others = [
        u for u in _followers(request) + park_admins(request.park_id) + _team_members(request.team_id) if u.pk != by.pk
    ]
    notify(
        recipients=others,
        title=_("New comment on request: %(title)s") % {"title": request.title},
        body=text,
        url=_url(request),
    )
    return event


# ---------------------------------------------------------------------------------------------
# micro-wishes

_DIGITS = re.compile(r"\d{6,}")


@transaction.atomic
def wish_post(*, by, park: Park, beneficiary: str, need: str) -> Wish:
    """A park administrator posts a micro-wish: a first name and the need, nothing else personal."""
    if not rules.manages_park(by, park.pk):
        raise PermissionDenied(_("Only the park's administrators post micro-wishes."))
    beneficiary, need = (beneficiary or "").strip(), (need or "").strip()
    errors = {}
    if not beneficiary or len(beneficiary) > 20 or any(ch.isdigit() for ch in beneficiary):
        errors["beneficiary"] = _("Give a first name or a nickname only (up to 20 characters, no digits).")
    if not need:
        errors["need"] = _("Describe the wish.")
    elif _DIGITS.search(need):
        errors["need"] = _("Leave out phone, ID or account numbers: the wish is shown to every member of the park.")
    if errors:
        raise ValidationError(errors)
    wish = Wish.objects.create(park=park, beneficiary=beneficiary, need=need, posted_by=by)
    members = get_user_model().objects.filter(
        member__organization__park=park, member__status=Member.Status.ACTIVE, is_active=True
    )
    notify(
        recipients=list(members),
        title=_("New micro-wish: %(need)s") % {"need": need[:60]},
        url=reverse("services:wish_list"),
    )
    return wish


@transaction.atomic
def wish_claim(*, wish: Wish, by) -> Wish:
    """A member of the wish's park claims an open wish. Exactly one claim wins, even concurrently:
    the row is locked and the update is conditional on the wish still being open."""
    member = Member.objects.filter(user=by, status=Member.Status.ACTIVE).select_related("organization").first()
    if member is None:
        raise PermissionDenied(_("Only party members claim micro-wishes."))
    wish = Wish.objects.select_for_update().get(pk=wish.pk)
    if member.organization.park_id != wish.park_id:
        raise PermissionDenied(_("This micro-wish belongs to another park."))
    now = timezone.now()
    updated = Wish.objects.filter(pk=wish.pk, status=Wish.Status.OPEN).update(
        status=Wish.Status.CLAIMED, claimed_by=member, claimed_at=now
    )
    if not updated:
        raise ValidationError(_("This micro-wish has already been claimed."))
    wish.refresh_from_db()
    notify(
        recipients=park_admins(wish.park_id) + ([wish.posted_by] if wish.posted_by else []),
        title=_("Micro-wish claimed by %(member)s") % {"member": member.name},
        body=wish.need,
        url=reverse("services:wish_list"),
    )
    return wish


@transaction.atomic
def wish_fulfil(*, wish: Wish, by, note: str, photo=None) -> Wish:
    """The member who claimed the wish records its fulfilment with a note and, optionally, a photo."""
    wish = Wish.objects.select_for_update(of=("self",)).select_related("claimed_by").get(pk=wish.pk)
    if wish.claimed_by is None or wish.claimed_by.user_id != by.pk:
        raise PermissionDenied(_("Only the member who claimed the wish records its fulfilment."))
    if wish.status != Wish.Status.CLAIMED:
        raise ValidationError(_("Only a claimed wish can be fulfilled."))
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": _("Say how the wish was fulfilled.")})
    if photo is not None and photo.size > MAX_ATTACHMENT_BYTES:
        raise ValidationError({"photo": _("The photo is larger than 10 MB.")})
    wish.status = Wish.Status.FULFILLED
    wish.fulfilled_at = timezone.now()
    wish.fulfilment_note = note
    if photo is not None:
        wish.photo = photo
    wish.full_clean(exclude=["park", "posted_by", "claimed_by"])
    wish.save()
    notify(
        recipients=park_admins(wish.park_id),
        title=_("Micro-wish fulfilled: %(need)s") % {"need": wish.need[:60]},
        body=note,
        url=reverse("services:wish_list"),
    )
    return wish


@transaction.atomic
def wish_cancel(*, wish: Wish, by) -> Wish:
    """A park administrator withdraws a wish that is not fulfilled yet."""
    wish = Wish.objects.select_for_update(of=("self",)).select_related("claimed_by__user").get(pk=wish.pk)
    if not rules.manages_park(by, wish.park_id):
        raise PermissionDenied(_("Only the park's administrators withdraw micro-wishes."))
    if wish.status not in (Wish.Status.OPEN, Wish.Status.CLAIMED):
        raise ValidationError(_("Only an open or claimed wish can be withdrawn."))
    wish.status = Wish.Status.CANCELLED
    wish.save(update_fields=["status"])
    if wish.claimed_by and wish.claimed_by.user:
        notify(
            recipients=[wish.claimed_by.user],
            title=_("A micro-wish you claimed was withdrawn"),
            body=wish.need,
            url=reverse("services:wish_list"),
        )
    return wish


# ---------------------------------------------------------------------------------------------
# room bookings


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
        title=_("Room booking to confirm: %(room)s") % {"room": room.name},
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
    booking = RoomBooking.objects.select_for_update().get(pk=booking.pk)
    if not rules.manages_park(by, room.park_id):
        raise PermissionDenied(_("Only the park's administrators confirm bookings."))
    if booking.status != RoomBooking.Status.PENDING:
        raise ValidationError(_("Only a pending booking can be confirmed."))
    clash = (
        RoomBooking.objects.confirmed()
        .overlapping(room=room, starts_at=booking.starts_at, ends_at=booking.ends_at)
        .exclude(pk=booking.pk)
    )
    if clash.exists():
        raise ValidationError(_("Another confirmed booking of this room overlaps this one."))
    booking.status = RoomBooking.Status.CONFIRMED
    booking.decided_by = by
    booking.decided_at = timezone.now()
    try:
        with transaction.atomic():
            booking.save(update_fields=["status", "decided_by", "decided_at"])
    except IntegrityError as exc:
        raise ValidationError(_("Another confirmed booking of this room overlaps this one.")) from exc
    notify(
        recipients=[booking.booked_by],
        title=_("Room booking confirmed: %(room)s") % {"room": room.name},
        body=f"{timezone.localtime(booking.starts_at):%Y-%m-%d %H:%M}",
        url=reverse("services:my_bookings"),
    )
    return booking


@transaction.atomic
def booking_decline(*, booking: RoomBooking, by, reason: str) -> RoomBooking:
    """The park administrator declines a pending booking, with a reason."""
    booking = RoomBooking.objects.select_for_update(of=("self",)).select_related("room").get(pk=booking.pk)
    if not rules.manages_park(by, booking.room.park_id):
        raise PermissionDenied(_("Only the park's administrators decline bookings."))
    if booking.status != RoomBooking.Status.PENDING:
        raise ValidationError(_("Only a pending booking can be declined."))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give the reason.")})
    booking.status = RoomBooking.Status.DECLINED
    booking.decided_by = by
    booking.decided_at = timezone.now()
    booking.decline_reason = reason
    booking.save(update_fields=["status", "decided_by", "decided_at", "decline_reason"])
    notify(
        recipients=[booking.booked_by],
        title=_("Room booking declined: %(room)s") % {"room": booking.room.name},
        body=reason,
        url=reverse("services:my_bookings"),
    )
    return booking


@transaction.atomic
def booking_cancel(*, booking: RoomBooking, by) -> RoomBooking:
    """Whoever booked (or a park administrator) cancels a pending or confirmed booking not yet begun."""
    booking = RoomBooking.objects.select_for_update(of=("self",)).select_related("room").get(pk=booking.pk)
    manager = rules.manages_park(by, booking.room.park_id)
    if booking.booked_by_id != by.pk and not manager:
        raise PermissionDenied(_("Only whoever booked the room cancels the booking."))
    if booking.status not in (RoomBooking.Status.PENDING, RoomBooking.Status.CONFIRMED):
        raise ValidationError(_("This booking is no longer active."))
    if booking.starts_at <= timezone.now():
        raise ValidationError(_("A booking that has begun cannot be cancelled."))
    booking.status = RoomBooking.Status.CANCELLED
    booking.save(update_fields=["status"])
    recipients = park_admins(booking.room.park_id) if not manager else [booking.booked_by]
    notify(
        recipients=recipients,
        title=_("Room booking cancelled: %(room)s") % {"room": booking.room.name},
        body=f"{timezone.localtime(booking.starts_at):%Y-%m-%d %H:%M} {booking.purpose}",
        url=reverse("services:booking_list"),
    )
    return booking
