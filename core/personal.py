"""Personal data: who sees a member's full resident ID number and mobile number.

The rule (DESIGN §2, "shown masked to everyone who does not need the full number"): superusers,
the member themself, and park administrators of the member's park, who handle the paperwork of
organisation relations. District officials, secretaries and service staff see them masked.
"""

from .scope import scope_for


def may_see_full_id_number(user, member) -> bool:
    """Whether ``user`` may see ``member``'s full ID number (otherwise it is shown masked).

    ``member`` is any object with ``pk``, ``organization_id`` and ``organization.park_id`` (a
    Member). Costs no query when ``member.organization`` is loaded (``select_related``) and the
    user's scope is cached (once per request).
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
