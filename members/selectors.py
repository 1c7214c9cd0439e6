"""Reads of the members app: scoped, with their select_related/prefetch_related."""

from portal.scope import scope_for


def can_view_full_id_number(user, member) -> bool:
    """Whether ``user`` may see ``member``'s full resident ID number (otherwise it is shown masked).

    The rule (DESIGN §2, "shown masked to everyone who does not need the full number"): superusers,
    the member themself, and park administrators of the member's park, who handle the paperwork of
    organisation relations. District officials, secretaries and service staff see it masked.

    Costs no query when ``member.organization`` is loaded (``select_related("organization")``) and
    the user's scope is cached (once per request).
    """
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    scope = scope_for(user)
    if scope.superuser:
        return True
    if member is None or member.pk is None:
        return False
    if scope.member_id is not None and scope.member_id == member.pk:
        return True
    if scope.park_ids and member.organization_id is not None:
        return member.organization.park_id in scope.park_ids
    return False
