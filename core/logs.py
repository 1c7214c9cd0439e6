"""Structured logs: one JSON object per line, a request id across web and Celery, and redaction.

* ``RequestIdMiddleware`` gives every request an id (the reverse proxy's ``X-Request-ID`` when
  ``HONGFAN_TRUST_REQUEST_ID`` is on and the value is well-formed, else a new one), returns it in
  the ``X-Request-ID`` response header and writes one line per request (logger ``hongfan.request``:
  path, status, duration) once the response is ready;
* a task queued during the request carries the id in its message headers (``before_task_publish``)
  and the worker sets it again while the task runs (``task_prerun``/``task_postrun``), so the
  task's log lines carry the request's id (``connect_celery_signals``, from core.apps);
* ``ContextFilter`` puts the request id, user id, path into every record, ``RedactingFilter``
  masks resident ID numbers, passwords and tokens in whatever a record says, and
  ``JsonFormatter`` writes the record as one JSON line (``HONGFAN_LOG_FORMAT=json``).
"""

import contextvars
import datetime
import json
import logging
import re
import time
import uuid

REQUEST_ID: contextvars.ContextVar[str] = contextvars.ContextVar("hongfan_request_id", default="")
USER_ID: contextvars.ContextVar[int | None] = contextvars.ContextVar("hongfan_user_id", default=None)
PATH: contextvars.ContextVar[str] = contextvars.ContextVar("hongfan_path", default="")

HEADER = "X-Request-ID"
TASK_HEADER = "hongfan_request_id"
_VALID_ID = re.compile(r"^[A-Za-z0-9._:-]{8,128}$")

request_logger = logging.getLogger("hongfan.request")


def new_id() -> str:
    return uuid.uuid4().hex


def current_request_id() -> str:
    return REQUEST_ID.get()


# --- the request --------------------------------------------------------------------------------


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from django.conf import settings

        offered = request.META.get("HTTP_X_REQUEST_ID", "")
        trusted = getattr(settings, "HONGFAN_TRUST_REQUEST_ID", False) and _VALID_ID.match(offered)
        request_id = offered if trusted else new_id()
        request.request_id = request_id
        tokens = [REQUEST_ID.set(request_id), PATH.set(request.path[:300]), USER_ID.set(None)]
        started = time.monotonic()
        try:
            response = self.get_response(request)
            user = _loaded_user(request)
            if user is not None and user.is_authenticated:
                USER_ID.set(user.pk)
            response[HEADER] = request_id
            status = response.status_code
            level = logging.ERROR if status >= 500 else logging.INFO
            request_logger.log(
                level,
                "%s %s %s",
                request.method,
                request.path[:300],
                status,
                extra={"status": status, "duration_ms": round((time.monotonic() - started) * 1000, 1)},
            )
            return response
        finally:
            for var, token in zip((REQUEST_ID, PATH, USER_ID), tokens, strict=True):
                var.reset(token)


def _loaded_user(request):
    """The request's user if something already loaded it: reading it here would cost the
    session and user queries on requests that never needed them."""
    from django.utils.functional import empty

    user = request.__dict__.get("user")
    if user is None or getattr(user, "_wrapped", None) is empty:
        return None
    return user


# --- Celery ----------------------------------------------------------------------------------------


def _publish(sender=None, headers=None, **kwargs):
    request_id = REQUEST_ID.get()
    if request_id and headers is not None:
        headers.setdefault(TASK_HEADER, request_id)


_task_tokens: dict[str, list] = {}


def _prerun(task_id=None, task=None, **kwargs):
    request_id = getattr(task.request, TASK_HEADER, None) if task is not None else None
    if not request_id and task is not None:
        request_id = (getattr(task.request, "headers", None) or {}).get(TASK_HEADER)
    # Eager (in-process) tasks keep the id of the request that runs them.
    token = REQUEST_ID.set(request_id or REQUEST_ID.get() or f"task-{task_id}")
    _task_tokens[task_id] = [token, PATH.set(f"task:{getattr(task, 'name', '')}")]


def _postrun(task_id=None, **kwargs):
    tokens = _task_tokens.pop(task_id, None)
    if tokens:
        PATH.reset(tokens[1])
        REQUEST_ID.reset(tokens[0])


def connect_celery_signals():
    from celery import signals

    signals.before_task_publish.connect(_publish, dispatch_uid="hongfan.request_id.publish", weak=False)
    signals.task_prerun.connect(_prerun, dispatch_uid="hongfan.request_id.prerun", weak=False)
    signals.task_postrun.connect(_postrun, dispatch_uid="hongfan.request_id.postrun", weak=False)


# --- filters and the formatter -------------------------------------------------------------------


class ContextFilter(logging.Filter):
    """Adds request_id, user_id and path (of the request or task running) to every record."""

    def filter(self, record):
        if not getattr(record, "request_id", None):
            record.request_id = REQUEST_ID.get() or "-"
        if getattr(record, "user_id", None) is None:
            record.user_id = USER_ID.get()
        if not getattr(record, "path", None):
            record.path = PATH.get() or None
        return True


MASK = "[redacted]"
_REDACTIONS = [
    # A resident ID number: 17 digits and a check digit (digit or X), not inside a longer number.
    (re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])"), MASK),
    # DRF tokens and other 40-hex secrets; long hex/base64-ish secrets after token/key words.
    (re.compile(r"(?<![0-9a-fA-F])[0-9a-fA-F]{40}(?![0-9a-fA-F])"), MASK),
    (re.compile(r"(?i)(authorization[\"']?\s*[:=]\s*[\"']?)(token|bearer)?\s*[^\s,;\"'&]+"), r"\1" + MASK),
    (
        re.compile(
            r"(?i)((?:password|passwd|pwd|secret|token|api_key|apikey|csrfmiddlewaretoken|sessionid)"
            r"\d?[\"']?\s*[:=]\s*[\"']?)[^\s,;\"'&}]+"
        ),
        r"\1" + MASK,
    ),
]


def redact(text: str) -> str:
    for pattern, replacement in _REDACTIONS:
        text = pattern.sub(replacement, text)
    return text


class RedactingFilter(logging.Filter):
    """Masks ID numbers, passwords and tokens in a record's message, arguments and traceback.

    The message is formatted once here (``getMessage``) and kept redacted, so no handler or
    formatter after this one sees the raw values."""

    def filter(self, record):
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken format string is logged as it is
            message = str(record.msg)
        record.msg = redact(message)
        record.args = ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
            record.exc_info = None
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request_id, user_id, path, status,
    duration_ms (when the record has them), and the traceback (``exc``)."""

    FIELDS = ("request_id", "user_id", "path", "status", "duration_ms", "task_id", "task_name")

    def format(self, record):
        entry = {
            "time": datetime.datetime.fromtimestamp(record.created, tz=datetime.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for field in self.FIELDS:
            value = getattr(record, field, None)
            if value not in (None, "", "-"):
                entry[field] = value
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exc"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)
