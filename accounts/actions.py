"""Writes of accounts: granting and revoking roles, creating and revoking API tokens.

Every door (the back office, the API, the token page) calls these; none writes a role assignment
or a token itself. The rules of who may grant what are ``accounts.selectors``.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from core.scope import forget_scope

from .models import ApiToken, RoleAssignment
from .selectors import grant_errors, grantable_users, may_revoke
from .tokens import PREFIX_LENGTH, new_key, token_digest


@transaction.atomic
def role_grant(*, by, user, role, district=None, park=None, organization=None) -> RoleAssignment:
    """Give ``user`` the ``role`` over one district, park or organisation (the one the role needs).

    Refused (ValidationError keyed by field) when ``by`` may not grant it (``grant_errors``), when
    ``user`` is not among the people ``by`` may give a role to, when the scope object does not fit
    the role, and when the user holds it already. ``is_staff`` follows by the signal.
    """
    errors = grant_errors(by, role=role, park=park, organization=organization)
    if not errors and not grantable_users(by).filter(pk=user.pk).exists():
        errors = {"user": _("You may not give a role to this person.")}
    if errors:
        raise ValidationError(errors)
    assignment = RoleAssignment(user=user, role=role, district=district, park=park, organization=organization)
    assignment.full_clean()
    try:
        with transaction.atomic():
            assignment.save()
    except IntegrityError:  # the same grant, submitted twice at once
        raise ValidationError(_("This person holds this role already.")) from None
    forget_scope(user)
    return assignment


@transaction.atomic
def role_revoke(*, by, assignment: RoleAssignment) -> None:
    """Take a role assignment away (PermissionDenied unless ``by`` may: ``may_revoke``)."""
    if not may_revoke(by, assignment):
        raise PermissionDenied(_("You may not remove this role."))
    user = assignment.user
    assignment.delete()
    forget_scope(user)


@transaction.atomic
def token_create(*, user) -> str:
    """Give ``user`` a new API token, replacing any previous one (which stops working at once).

    Returns the key: the caller shows it once; only its digest is stored (``accounts.tokens``).
    """
    key = new_key()
    ApiToken.objects.filter(user=user).delete()
    ApiToken.objects.create(user=user, digest=token_digest(key), prefix=key[:PREFIX_LENGTH])
    return key


@transaction.atomic
def token_revoke(*, user) -> bool:
    """Delete ``user``'s API token; True when there was one."""
    deleted, _rows = ApiToken.objects.filter(user=user).delete()
    return bool(deleted)
