"""Service requests: submitted by a member or an enterprise contact, then the steps of
services.rules.REQUEST_STEPS, each through core.transitions (row lock, state check, timeline entry,
notifications after commit), and comments on the timeline.

Refusals raise ``ValidationError`` (a rule of the workflow) or ``PermissionDenied`` (the user may
not take that step).
"""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.texts import Text
from core.transitions import transition
from members.models import member_of_login
from notifications.actions import notify
from parks.models import Enterprise

from .. import rules
from ..models import (
    RequestStatus,
    ServiceCategory,
    ServiceRequest,
    ServiceRequestEvent,
    ServiceTeam,
    Urgency,
    due_date,
)
from .common import Event, _check_attachment, _followers, _record, _team_members, _url, park_admins, park_service_staff

REOPEN_DAYS = 7


def _triager(user, request):
    """The park's administrators and its service staff accept, assign and reject its requests."""
    return rules.triages(user, request.park_id)


def _worker(user, request):
    return rules.in_team(user, request.team_id)


def _step(request, step, *, by, may, refused, event, text="", attachment=None, **kwargs) -> ServiceRequest:
    """Take ``step`` of REQUEST_STEPS: ``may(by, request)`` or PermissionDenied(``refused``); the
    timeline entry is of kind ``event`` with ``text`` (or a callable of the request) and the file."""

    def guard(locked):
        if not may(by, locked):
            raise PermissionDenied(refused)

    def record(locked, _from_status):
        note = text(locked) if callable(text) else text
        return _record(locked, kind=event, by=by, text=note, attachment=attachment)

    kwargs.setdefault("record", record)
    return transition(request, rules.REQUEST_STEPS[step], guard=guard, **kwargs).obj


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
    member = member_of_login(by).select_related("organization").first() if by.is_authenticated else None
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
        recipients=park_admins(park_id) + park_service_staff(park_id),
        title=Text(_("New service request: %(title)s"), title=title),
        body=Text(_("%(category)s, due %(due)s."), category=category.name, due=request.due_on),
        url=_url(request),
    )
    return request


@transaction.atomic
def request_accept(*, request: ServiceRequest, by) -> ServiceRequest:
    """The park administrator accepts a submitted request."""
    return _step(
        request,
        "accept",
        by=by,
        may=_triager,
        refused=_("Only the park's administrators and service staff accept requests."),
        event=Event.ACCEPTED,
        changes=lambda locked: {"accepted_at": timezone.now()},
        notify=lambda locked, _from: notify(
            recipients=_followers(locked),
            title=Text(_("Your request was accepted: %(title)s"), title=locked.title),
            url=_url(locked),
        ),
    )


@transaction.atomic
def request_assign(*, request: ServiceRequest, by, team: ServiceTeam, note: str = "") -> ServiceRequest:
    """The park administrator or service staff assign (or reassign) a request to one of the park's teams.

    Assigning a request that was only submitted accepts it at the same time (two timeline entries).
    Work already started is not taken away from a team.
    """

    def check(locked):
        if team.park_id != locked.park_id or not team.is_active:
            raise ValidationError({"team": _("Choose an active team of the request's park.")})
        if locked.status == RequestStatus.ASSIGNED and locked.team_id == team.pk:
            raise ValidationError({"team": _("The request is already assigned to this team.")})

    def changes(locked):
        if locked.status == RequestStatus.SUBMITTED:
            return {"team": team, "accepted_at": timezone.now()}
        return {"team": team}

    def record(locked, from_status):
        if from_status == RequestStatus.SUBMITTED:  # accepted on the way
            _record(locked, kind=Event.ACCEPTED, by=by, status_after=RequestStatus.ACCEPTED)
        return _record(locked, kind=Event.ASSIGNED, by=by, text=(note or "").strip() or team.name)

    def notify_team_and_followers(locked, _from_status):
        notify(
            recipients=_team_members(team.pk),
            title=Text(_("Request assigned to %(team)s: %(title)s"), team=team.name, title=locked.title),
            body=Text(_("Due %(due)s."), due=locked.due_on),
            url=_url(locked),
        )
        notify(
            recipients=_followers(locked),
            title=Text(_("Your request was passed to %(team)s"), team=team.name),
            body=locked.title,
            url=_url(locked),
        )

    return _step(
        request,
        "assign",
        by=by,
        may=_triager,
        refused=_("Only the park's administrators and service staff assign requests."),
        event=Event.ASSIGNED,
        check=check,
        changes=changes,
        record=record,
        notify=notify_team_and_followers,
    )


@transaction.atomic
def request_start(*, request: ServiceRequest, by) -> ServiceRequest:
    """A member of the assigned team starts work on the request."""
    return _step(
        request,
        "start",
        by=by,
        may=_worker,
        refused=_("Only members of the assigned team work on this request."),
        event=Event.STARTED,
        notify=lambda locked, _from: notify(
            recipients=_followers(locked),
            title=Text(_("Work started on your request: %(title)s"), title=locked.title),
            url=_url(locked),
        ),
    )


@transaction.atomic
def request_resolve(*, request: ServiceRequest, by, note: str, attachment=None) -> ServiceRequest:
    """A member of the assigned team resolves the request, saying how."""
    note = (note or "").strip()

    def check(locked):
        if not note:
            raise ValidationError({"note": _("Say how the request was resolved.")})
        _check_attachment(attachment)

    return _step(
        request,
        "resolve",
        by=by,
        may=_worker,
        refused=_("Only members of the assigned team resolve this request."),
        event=Event.RESOLVED,
        text=note,
        attachment=attachment,
        check=check,
        changes=lambda locked: {"resolved_at": timezone.now()},
        notify=lambda locked, _from: notify(
            recipients=_followers(locked) + park_admins(locked.park_id),
            title=Text(_("Request resolved: %(title)s"), title=locked.title),
            body=Text(_("Please close it with a rating, or reopen it within %(days)s days."), days=REOPEN_DAYS),
            url=_url(locked),
        ),
    )


@transaction.atomic
def request_close(*, request: ServiceRequest, by, rating: int, comment: str = "") -> ServiceRequest:
    """The requester (or a contact of the enterprise) closes a resolved request with a 1–5 rating."""
    try:
        rating = int(rating)
    except (TypeError, ValueError):
        rating = 0
    comment = (comment or "").strip()

    def check(locked):
        if not 1 <= rating <= 5:
            raise ValidationError({"rating": _("Give a rating from 1 to 5.")})

    return _step(
        request,
        "close",
        by=by,
        may=rules.owns_request,
        refused=_("Only the requester closes a request."),
        event=Event.CLOSED,
        text=f"{rating}/5 {comment}".strip(),
        check=check,
        changes=lambda locked: {"rating": rating, "rating_comment": comment, "closed_at": timezone.now()},
        notify=lambda locked, _from: notify(
            recipients=park_admins(locked.park_id) + _team_members(locked.team_id),
            title=Text(_("Request closed with a rating of %(rating)s: %(title)s"), rating=rating, title=locked.title),
            body=comment,
            url=_url(locked),
        ),
    )


@transaction.atomic
def request_reject(*, request: ServiceRequest, by, reason: str) -> ServiceRequest:
    """The park administrator or service staff reject a request that is not being worked on, with a reason."""
    reason = (reason or "").strip()

    def check(locked):
        if not reason:
            raise ValidationError({"reason": _("Give the reason for the rejection.")})

    return _step(
        request,
        "reject",
        by=by,
        may=_triager,
        refused=_("Only the park's administrators and service staff reject requests."),
        event=Event.REJECTED,
        text=reason,
        check=check,
        changes={"reject_reason": reason},
        notify=lambda locked, _from: notify(
            recipients=_followers(locked) + _team_members(locked.team_id),
            title=Text(_("Request rejected: %(title)s"), title=locked.title),
            body=reason,
            url=_url(locked),
        ),
    )


@transaction.atomic
def request_reopen(*, request: ServiceRequest, by, reason: str) -> ServiceRequest:
    """The requester reopens a resolved (or closed) request within 7 days of its resolution.

    It goes back to its team (or to the park's queue if it had none) with a fresh due date; a
    rating given at closing is withdrawn.
    """
    reason = (reason or "").strip()

    def check(locked):
        if locked.resolved_at is None or timezone.now() - locked.resolved_at > datetime.timedelta(days=REOPEN_DAYS):
            raise ValidationError(
                _("A request can be reopened only within %(days)s days of its resolution.") % {"days": REOPEN_DAYS}
            )
        if not reason:
            raise ValidationError({"reason": _("Say why the request is reopened.")})

    return _step(
        request,
        "reopen",
        by=by,
        may=rules.owns_request,
        refused=_("Only the requester reopens a request."),
        event=Event.REOPENED,
        text=reason,
        check=check,
        changes=lambda locked: {
            "rating": None,
            "rating_comment": "",
            "closed_at": None,
            "resolved_at": None,
            "due_on": due_date(locked.urgency),
        },
        notify=lambda locked, _from: notify(
            recipients=park_admins(locked.park_id) + _team_members(locked.team_id),
            title=Text(_("Request reopened: %(title)s"), title=locked.title),
            body=reason,
            url=_url(locked),
        ),
    )


@transaction.atomic
def request_comment(*, request: ServiceRequest, by, text: str, attachment=None) -> ServiceRequestEvent:
    """A comment (optionally with an attachment) on the timeline by anyone working on or following it."""
    request = ServiceRequest.objects.select_for_update().get(pk=request.pk)
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
        title=Text(_("New comment on request: %(title)s"), title=request.title),
        body=text,
        url=_url(request),
    )
    return event
