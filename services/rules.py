"""Who may do what in the service centre: small predicates used by actions and by templates.

Actions enforce them; pages only use them to decide which buttons to show.
"""

from core.querysets import CHANGE
from core.scope import scope_for
from parks.models import Park

from .models import OPEN_STATUSES, EnterpriseContact, RequestStatus, ServiceTeam


def manages_park(user, park_id) -> bool:
    """A park administrator of that park (or a superuser)."""
    return Park.objects.allows(user, Park(pk=park_id), CHANGE)


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
    worker = in_team(user, request.team_id)
    owner = owns_request(user, request)
    status = request.status
    return {
        "accept": manager and status == RequestStatus.SUBMITTED,
        "assign": manager and status in (RequestStatus.SUBMITTED, RequestStatus.ACCEPTED, RequestStatus.ASSIGNED),
        "reject": manager and status in (RequestStatus.SUBMITTED, RequestStatus.ACCEPTED, RequestStatus.ASSIGNED),
        "start": worker and status == RequestStatus.ASSIGNED,
        "resolve": worker and status == RequestStatus.IN_PROGRESS,
        "close": owner and status == RequestStatus.RESOLVED,
        "reopen": owner and status in (RequestStatus.RESOLVED, RequestStatus.CLOSED),
        "comment": (manager or worker or owner) and (status in OPEN_STATUSES or status == RequestStatus.RESOLVED),
    }
