"""The client's address and the throttles that count by it, from one place.

``client_ip(request)`` is the one answer to "who is asking": django-axes (``AXES_CLIENT_IP_CALLABLE``),
the page throttles (``throttled``) and the API's (``AddressRateThrottle``) all call it, so a
forged header fools none of them and all of them agree. Counters live in Django's default cache,
which is Redis (shared by every web process) whenever Redis is configured (portal/settings.py,
``CACHES``). docs/security.md, "Client addresses and throttles".
"""

import ipaddress
import re
import time

from django.conf import settings
from django.core.cache import cache
from rest_framework.throttling import BaseThrottle

# -- who is asking -------------------------------------------------------------------------------


def _address(value) -> str | None:
    """``value`` as a normalised IP address, or None when it is not one (garbage, a port, a name)."""
    try:
        return str(ipaddress.ip_address(str(value or "").strip()))
    except ValueError:
        return None


def client_ip(request) -> str | None:
    """The client's address.

    Directly exposed (``TRUSTED_PROXY_COUNT`` = 0, ``HONGFAN_TRUSTED_PROXIES``), it is
    REMOTE_ADDR and X-Forwarded-For is ignored: anyone can write that header. Behind N trusted
    reverse proxies, each of which appends the address it received the request from
    (nginx's ``$proxy_add_x_forwarded_for``), it is the N-th entry from the right: the address the
    outermost trusted proxy saw, i.e. the right-most one no trusted party vouches for. Entries
    further left were written by the client and could be forged. A header with fewer entries
    than proxies, or an entry that is not an address, means the request did not come through
    the proxies as configured: REMOTE_ADDR then.
    """
    remote = _address(request.META.get("REMOTE_ADDR")) or request.META.get("REMOTE_ADDR")
    count = int(getattr(settings, "TRUSTED_PROXY_COUNT", 0) or 0)
    if count > 0:
        hops = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(hops) >= count:
            return _address(hops[-count]) or remote
    return remote


# -- throttles -------------------------------------------------------------------------------------


RATE_RE = re.compile(r"\s*(\d+)\s*/\s*(\d*)\s*([smhd])[a-z]*\s*")
UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """``"20/10m"`` → (20, 600): requests per a number (default 1) of seconds, minutes, hours or days
    (DRF's ``"60/min"`` reads the same)."""
    match = RATE_RE.fullmatch(str(rate))
    if not match:
        raise ValueError(f"not a throttle rate: {rate!r}")
    count, times, unit = match.groups()
    return int(count), int(times or 1) * UNITS[unit]


def rate_of(scope: str) -> tuple[int, int] | None:
    """The rate of a throttle scope: ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"][scope]``, one table
    for pages and API alike. None: not throttled."""
    rate = settings.REST_FRAMEWORK.get("DEFAULT_THROTTLE_RATES", {}).get(scope)
    return parse_rate(rate) if rate else None


def hit(request, scope: str) -> tuple[bool, float]:
    """Count one request of ``scope`` from this client; (allowed, seconds until the count restarts).

    A window opens with the client's first request and lasts the rate's period; it is counted
    atomically in the shared cache (``add`` then ``incr``, which keeps the key's expiry), so
    parallel requests and several web processes count once each.
    """
    rate = rate_of(scope)
    if rate is None:
        return True, 0.0
    limit, window = rate
    now = time.time()
    key = f"throttle:{scope}:{client_ip(request) or 'unknown'}"
    if cache.add(key, 0, timeout=window):
        cache.set(f"{key}:until", now + window, timeout=window)
    try:
        count = cache.incr(key)
    except ValueError:  # the window ended between add and incr
        cache.set(key, 1, timeout=window)
        cache.set(f"{key}:until", now + window, timeout=window)
        count = 1
    until = cache.get(f"{key}:until") or now + window
    return count <= limit, max(until - now, 0.0)


def throttled(request, scope: str) -> bool:
    """For a page: True when this client has used up ``scope``'s rate (the page answers 429)."""
    allowed, _wait = hit(request, scope)
    return not allowed


class AddressRateThrottle(BaseThrottle):
    """DRF throttle by client address (``client_ip``) for the view's ``throttle_scope``, sharing its
    counter with the pages of the same scope (``throttled``)."""

    def allow_request(self, request, view):
        scope = getattr(view, "throttle_scope", None)
        if not scope:
            return True
        allowed, self._wait = hit(request, scope)
        return allowed

    def wait(self):
        return getattr(self, "_wait", None)

    def get_ident(self, request):
        return client_ip(request)
