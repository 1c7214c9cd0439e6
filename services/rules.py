"""The service centre's workflows as tables (which step from which state) and who may take them:
small predicates used by actions and by templates.

Actions enforce them (every step goes through core.transitions); pages only use them to decide
which buttons to show.
"""

from django.utils.translation import gettext_lazy as _

from core.querysets import CHANGE
from core.scope import scope_for
from core.transitions import Step
from parks.models import Park

from .models import OPEN_STATUSES, EnterpriseContact, RequestStatus, RoomBooking, ServiceTeam, Wish

_R = RequestStatus
_WAITING = {_R.SUBMITTED, _R.ACCEPTED, _R.ASSIGNED}  # not yet being worked on

# A service request: the park's administrators and service staff accept, assign (or reassign) and reject it, the
# assigned team starts and resolves it, the requester closes it with a rating or reopens it.
REQUEST_STEPS = {
    "accept": Step(from_={_R.SUBMITTED}, to=_R.ACCEPTED, refused=_("Only a submitted request can be accepted.")),
    "assign": Step(
        from_=_WAITING, to=_R.ASSIGNED, refused=_("Only a submitted, accepted or assigned request can be assigned.")
    ),
    "start": Step(from_={_R.ASSIGNED}, to=_R.IN_PROGRESS, refused=_("Only an assigned request can be started.")),
    "resolve": Step(from_={_R.IN_PROGRESS}, to=_R.RESOLVED, refused=_("Only a request in progress can be resolved.")),
    "close": Step(from_={_R.RESOLVED}, to=_R.CLOSED, refused=_("Only a resolved request can be closed.")),
    "reject": Step(
        from_=_WAITING, to=_R.REJECTED, refused=_("A request in progress, resolved or closed cannot be rejected.")
    ),
    # back to its team, or to the park's queue if it had none
    "reopen": Step(
        from_={_R.RESOLVED, _R.CLOSED},
        to=lambda request: _R.ASSIGNED if request.team_id else _R.ACCEPTED,
        refused=_("Only a resolved or closed request can be reopened."),
    ),
}

# A micro-wish: posted open, claimed by one member, fulfilled by them, or withdrawn before that.
WISH_STEPS = {
    "claim": Step(
        from_={Wish.Status.OPEN}, to=Wish.Status.CLAIMED, refused=_("This micro-wish has already been claimed.")
    ),
    "fulfil": Step(
        from_={Wish.Status.CLAIMED}, to=Wish.Status.FULFILLED, refused=_("Only a claimed wish can be fulfilled.")
    ),
    "cancel": Step(
        from_={Wish.Status.OPEN, Wish.Status.CLAIMED},
        to=Wish.Status.CANCELLED,
        refused=_("Only an open or claimed wish can be withdrawn."),
    ),
}

_B = RoomBooking.Status

# A room booking: asked for (pending), confirmed or declined by the park, cancelled before it begins.
BOOKING_STEPS = {
    "confirm": Step(from_={_B.PENDING}, to=_B.CONFIRMED, refused=_("Only a pending booking can be confirmed.")),
    "decline": Step(from_={_B.PENDING}, to=_B.DECLINED, refused=_("Only a pending booking can be declined.")),
    "cancel": Step(from_={_B.PENDING, _B.CONFIRMED}, to=_B.CANCELLED, refused=_("This booking is no longer active.")),
}


def manages_park(user, park_id) -> bool:
    """A park administrator of that park (or a superuser)."""
    return Park.objects.allows(user, Park(pk=park_id), CHANGE)


def triages(user, park_id) -> bool:
    """Accepts, assigns and rejects the park's requests: its administrators and its service staff."""
    return manages_park(user, park_id) or park_id in scope_for(user).service_park_ids


def is_contact(user, enterprise_id) -> bool:
    if not user.is_authenticated or enterprise_id is None:
        return False
    return EnterpriseContact.objects.filter(user=user, enterprise_id=enterprise_id).exists()


def in_team(user, team_id) -> bool:
    if not user.is_authenticated or team_id is None:
        return False
    return (
        scope_for(user).superuser
        or ServiceTeam.members.through.objects.filter(user=user, serviceteam_id=team_id).exists()
    )


def owns_request(user, request) -> bool:
    """The requester, or a contact of the request's enterprise: they follow, close and reopen it."""
    return request.requester_id == user.pk or is_contact(user, request.enterprise_id)


def request_permissions(user, request) -> dict:
    """The steps ``user`` may take on ``request`` now (for the request's page)."""
    manager = manages_park(user, request.park_id)
    triager = manager or request.park_id in scope_for(user).service_park_ids
    worker = in_team(user, request.team_id)
    owner = owns_request(user, request)
    status = request.status
    return {
        "accept": triager and REQUEST_STEPS["accept"].allows(status),
        "assign": triager and REQUEST_STEPS["assign"].allows(status),
        "reject": triager and REQUEST_STEPS["reject"].allows(status),
        "start": worker and REQUEST_STEPS["start"].allows(status),
        "resolve": worker and REQUEST_STEPS["resolve"].allows(status),
        "close": owner and REQUEST_STEPS["close"].allows(status),
        "reopen": owner and REQUEST_STEPS["reopen"].allows(status),
        "comment": (triager or worker or owner) and (status in OPEN_STATUSES or status == RequestStatus.RESOLVED),
    }
