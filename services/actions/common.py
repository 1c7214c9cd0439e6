"""What the service centre's actions share: who to notify, the limits on files, the timeline entry."""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts.models import Role

from ..models import EnterpriseContact, ServiceRequestEvent

Event = ServiceRequestEvent.Kind
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024


def park_admins(park_id):
    return list(
        get_user_model()
        .objects.filter(role_assignments__role=Role.PARK_ADMIN, role_assignments__park_id=park_id, is_active=True)
        .distinct()
    )


def park_service_staff(park_id):
    """The park's service staff: they triage its new requests too (``services.rules.triages``)."""
    return list(
        get_user_model()
        .objects.filter(role_assignments__role=Role.SERVICE_STAFF, role_assignments__park_id=park_id, is_active=True)
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


def _record(request, *, kind, by, text="", attachment=None, status_after=None):
    """A timeline entry of ``request``, stating its status after the step."""
    event = ServiceRequestEvent(
        request=request, kind=kind, actor=by, text=text, status_after=status_after or request.status
    )
    if attachment:
        event.attachment = attachment
    event.full_clean(exclude=["request", "actor"])
    event.save()
    return event
