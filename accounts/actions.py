"""Writes of accounts: API tokens (role grants and revocations follow in this module).

Every door (the token page, the API, the back office) calls these; none writes a token itself.
"""

from django.db import transaction
from rest_framework.authtoken.models import Token


@transaction.atomic
def token_create(*, user) -> Token:
    """Give ``user`` a new API token, replacing any previous one (which stops working at once)."""
    Token.objects.filter(user=user).delete()
    return Token.objects.create(user=user)


@transaction.atomic
def token_revoke(*, user) -> bool:
    """Delete ``user``'s API token; True when there was one."""
    deleted, _rows = Token.objects.filter(user=user).delete()
    return bool(deleted)
