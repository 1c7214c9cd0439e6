"""Health checks and the Prometheus endpoint, for the load balancer, compose and monitoring.

``OpsMiddleware`` (first in MIDDLEWARE) answers before host validation and the HTTPS redirect, so
that a load balancer or Prometheus may call the container by its internal name over plain HTTP:

* ``/health/live/``: the process answers (liveness), nothing else is touched;
* ``/health/ready/``: what this web process needs to serve a page: database, cache, broker, storage;
* ``/health/``: those plus beat's last tick and a worker's answer to a ping;
* ``/metrics``: Prometheus' text format, for a client address in ``HONGFAN_METRICS_ALLOWED_IPS``
  or a request with ``Authorization: Bearer <HONGFAN_METRICS_TOKEN>``; anyone else goes on to the
  URLconf's ``/metrics``, which serves superusers and answers 404 to everybody else.

Each health answer is JSON, one entry per component (``ok``, ``error`` or ``skipped`` with the time
it took and, on error, the kind of error), with 200 when none failed and 503 otherwise.
"""

import hmac
import ipaddress
import json
import logging
import time

from django.conf import settings
from django.http import Http404, HttpResponse

logger = logging.getLogger(__name__)

BEAT_TICK_KEY = "hongfan:beat:tick"
PROBE_NAME = "health/.probe"


def _timeout() -> float:
    return float(getattr(settings, "HONGFAN_HEALTH_TIMEOUT", 2))


def _eager() -> bool:
    return bool(getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False))


# --- the checks: each returns a detail text (ok), None (skipped), or raises (error) -------------


def check_database():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return connection.vendor


def check_cache():
    from django.core.cache import caches

    names = ["default"] + (["progress"] if "progress" in settings.CACHES else [])
    for name in names:
        cache = caches[name]
        cache.set("hongfan:health:probe", 1, timeout=30)
        if cache.get("hongfan:health:probe") != 1:
            raise RuntimeError(f"cache {name} does not keep a value")
    return ", ".join(f"{name}: {settings.CACHES[name]['BACKEND'].rsplit('.', 1)[-1]}" for name in names)


def check_broker():
    if _eager():
        return None  # the embedded mode: tasks run in the request, there is no broker
    with _broker_connection() as connection:
        connection.ensure_connection(max_retries=1, interval_start=0, timeout=_timeout())
        # Redis connects lazily: a command proves that the broker answers.
        client = getattr(connection.default_channel, "client", None)
        if client is not None and hasattr(client, "ping"):
            client.ping()
    return "answers"


def _broker_connection():
    from kombu import Connection

    timeout = _timeout()
    return Connection(
        settings.CELERY_BROKER_URL,
        connect_timeout=timeout,
        transport_options={"socket_timeout": timeout, "socket_connect_timeout": timeout, "max_retries": 0},
    )


def check_storage():
    from django.core.files.storage import default_storage

    default_storage.exists(PROBE_NAME)
    return type(default_storage._wrapped if hasattr(default_storage, "_wrapped") else default_storage).__name__


def check_beat():
    if _eager():
        return None
    from django.core.cache import cache

    last = cache.get(BEAT_TICK_KEY)
    if last is None:
        raise LookupError("no tick recorded")
    age = time.time() - float(last)
    if age > float(getattr(settings, "HONGFAN_BEAT_STALE_SECONDS", 120)):
        raise TimeoutError(f"last tick {age:.0f}s ago")
    return f"last tick {age:.0f}s ago"


def check_worker():
    if _eager():
        return None
    from celery import current_app

    with _broker_connection() as connection:
        connection.ensure_connection(max_retries=1, interval_start=0, timeout=_timeout())
        replies = current_app.control.ping(timeout=_timeout(), connection=connection)
    if not replies:
        raise TimeoutError("no worker answered")
    return f"{len(replies)} answered"


READY = {"database": check_database, "cache": check_cache, "broker": check_broker, "storage": check_storage}
ALL = {**READY, "beat": check_beat, "worker": check_worker}


def run_checks(checks) -> tuple[bool, dict]:
    components = {}
    healthy = True
    for name, check in checks.items():
        started = time.monotonic()
        try:
            detail = check()
        except Exception as exc:  # noqa: BLE001 - any failure is the component's state
            healthy = False
            # The kind of error only: the answer is public, the details (addresses) go to the log.
            logger.warning("health check %s failed", name, exc_info=True)
            components[name] = {"status": "error", "error": type(exc).__name__}
        else:
            components[name] = {"status": "ok" if detail is not None else "skipped"}
            if detail:
                components[name]["detail"] = detail
        components[name]["ms"] = round((time.monotonic() - started) * 1000, 1)
    return healthy, components


def _json(payload, status):
    response = HttpResponse(json.dumps(payload), content_type="application/json", status=status)
    response["Cache-Control"] = "no-store"
    return response


def health_response(checks):
    healthy, components = run_checks(checks)
    return _json({"status": "ok" if healthy else "error", "components": components}, 200 if healthy else 503)


# --- /metrics ---------------------------------------------------------------------------------------


def _address_allowed(request) -> bool:
    allowed = getattr(settings, "HONGFAN_METRICS_ALLOWED_IPS", [])
    if not allowed:
        return False
    from core.security import client_ip

    address = client_ip(request)
    if not address:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    for entry in allowed:
        try:
            if ip in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            continue
    return False


def _token_allowed(request) -> bool:
    token = getattr(settings, "HONGFAN_METRICS_TOKEN", "")
    offered = request.META.get("HTTP_AUTHORIZATION", "")
    if not token or not offered.startswith("Bearer "):
        return False
    return hmac.compare_digest(offered[len("Bearer ") :].strip().encode(), token.encode())


def metrics_response():
    from django_prometheus.exports import ExportToDjangoView

    response = ExportToDjangoView(None)
    response["Cache-Control"] = "no-store"
    return response


def metrics_view(request):
    """/metrics through the URLconf: superusers only (park administrators are staff too; machines
    come in through OpsMiddleware)."""
    user = getattr(request, "user", None)
    if not (user is not None and user.is_authenticated and user.is_superuser):
        raise Http404
    return metrics_response()


class OpsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path_info
        if request.method in ("GET", "HEAD"):
            if path == "/health/live/":
                return _json({"status": "ok"}, 200)
            if path == "/health/ready/":
                return health_response(READY)
            if path == "/health/":
                return health_response(ALL)
            if path == "/metrics" and (_token_allowed(request) or _address_allowed(request)):
                return metrics_response()
        return self.get_response(request)
