"""Encryption at rest for personal data, with a keyed digest for uniqueness and look-ups.

Fernet (AES-128-CBC + HMAC-SHA256) encrypts; a MultiFernet over the configured keys lets a key
be rotated (the first key encrypts, every key decrypts). The digest is HMAC-SHA256 with a
separate key, so a database dump alone can neither decrypt nor brute-force the 18-digit numbers
through their digests.
"""

import hashlib
import hmac
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


@lru_cache(maxsize=1)
def _fernet() -> MultiFernet:
    return MultiFernet([Fernet(key.encode()) for key in settings.FIELD_ENCRYPTION_KEYS])


_TOKENS: ContextVar[dict | None] = ContextVar("reused_tokens", default=None)


def encrypt(value: str) -> str:
    tokens = _TOKENS.get()
    if tokens is not None:
        token = tokens.get(value)
        if token is None:
            token = tokens[value] = _fernet().encrypt(value.encode()).decode()
        return token
    return _fernet().encrypt(value.encode()).decode()


@contextmanager
def one_token_per_value():
    """Within the block, a value encrypted twice gets the same token: a row and its history row
    (simple_history copies the row, and the field encrypts again) written together by an import
    (``core.resources.ImportResource.write``). Both rows hold the same value, so the shared token
    tells nothing the history table does not; Fernet was some 5 % of an import's time. The
    tokens are dropped at the end of the block."""
    reset = _TOKENS.set({})
    try:
        yield
    finally:
        _TOKENS.reset(reset)


def decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise ValueError("cannot decrypt a personal-data field: wrong HONGFAN_FIELD_KEYS?") from exc


_DIGESTS: ContextVar[dict | None] = ContextVar("kept_digests", default=None)


def digest(value: str) -> str:
    digests = _DIGESTS.get()
    if digests is None:
        return _digest(value)
    found = digests.get(value)
    if found is None:
        found = digests[value] = _digest(value)
    return found


def _digest(value: str) -> str:
    return hmac.new(settings.FIELD_HASH_KEY.encode(), value.encode(), hashlib.sha256).hexdigest()


@contextmanager
def digest_once():
    """Within the block, a value's digest is computed once: an import asks for a row's digest
    several times (its key, the look-up of the existing member, the duplicate check, the saved
    field; ``core.importing``, per chunk). The digests are dropped at the end of the block."""
    reset = _DIGESTS.set({})
    try:
        yield
    finally:
        _DIGESTS.reset(reset)
