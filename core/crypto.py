"""Encryption at rest for personal data, with a keyed digest for uniqueness and look-ups.

Fernet (AES-128-CBC + HMAC-SHA256) encrypts; a MultiFernet over the configured keys lets a key
be rotated (the first key encrypts, every key decrypts). The digest is HMAC-SHA256 with a
separate key, so a database dump alone can neither decrypt nor brute-force the 18-digit numbers
through their digests.
"""

import hashlib
import hmac
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


@lru_cache(maxsize=1)
def _fernet() -> MultiFernet:
    return MultiFernet([Fernet(key.encode()) for key in settings.FIELD_ENCRYPTION_KEYS])


def encrypt(value: str) -> str:
    return _fernet().encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise ValueError("cannot decrypt a personal-data field: wrong HONGFAN_FIELD_KEYS?") from exc


def digest(value: str) -> str:
    return hmac.new(settings.FIELD_HASH_KEY.encode(), value.encode(), hashlib.sha256).hexdigest()
