"""API tokens stored hashed: the key is made here, shown once, and only its digest is kept.

``TokenAuthentication`` is DRF's header scheme (``Authorization: Token <key>``) looking the key up
by its HMAC-SHA256 digest (``core.crypto.digest``, keyed by ``HONGFAN_HASH_KEY``): a database dump
holds no usable token. Tokens are not affected by two-factor authentication (scripts have no
second factor; the token page itself is behind the login).
"""

import hmac
import secrets

from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from core import crypto

PREFIX_LENGTH = 6


def new_key() -> str:
    """A fresh key: 40 hex characters (160 random bits), the same shape as DRF's."""
    return secrets.token_hex(20)


def token_digest(key: str) -> str:
    return crypto.digest(key)


class TokenAuthentication(authentication.TokenAuthentication):
    """DRF's token authentication against ``accounts.ApiToken`` (digest look-up)."""

    def authenticate_credentials(self, key):
        from .models import ApiToken

        digest = token_digest(key)
        token = ApiToken.objects.select_related("user").filter(digest=digest).first()
        # The look-up is by an indexed digest; compare again in constant time all the same.
        if token is None or not hmac.compare_digest(token.digest, digest):
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        return (token.user, token)
