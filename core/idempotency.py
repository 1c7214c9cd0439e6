"""Every create happens once, however often it is sent (CONVENTIONS: "every create is idempotent
against a double submit").

Two doors, one record (``core.models.IdempotencyKey``, unique per user and key):

* **pages**: each rendered create form carries a hidden token (``{% idempotency_token %}`` from
  ``core/templatetags/idempotency.py``); the view is decorated with ``@idempotent_form``. The first
  POST with a token runs the view; a repeated POST with the same token (a double click, the back
  button and "send again", a retry after a timeout) redirects to the page the first one redirected
  to, with a message, instead of creating again. A POST without a token runs as before.
* **API**: a POST (a create or a workflow step) with an ``Idempotency-Key`` header is answered once:
  a repeat of the same key by the same user with the same request (method, path and body) gets the
  first answer again (status and body, with ``Idempotent-Replayed: true``); the same key with
  another request is refused with 422. ``IdempotentPostMixin`` (on every viewset of
  ``core.api``).

How it is safe under concurrency: the record is inserted in the same transaction as the create
itself. The unique constraint on (user, key) makes a second request inserting the same key wait
until the first transaction ends (PostgreSQL blocks on the index entry; SQLite lets one writer in
at a time): when the first commits, the second gets an IntegrityError, reads the committed record
and replays it; when the first rolls back (it failed), the second runs as a first. Only successful
answers are kept (a redirect for a form, a 2xx for the API): the record of a request that failed is
deleted in its transaction, so the corrected form or request can be sent again with the same key.

Keys expire after ``TTL`` (24 hours): an older record of the same key is replaced, and each user's
expired records are deleted when they next send a key.
"""

import datetime
import functools
import hashlib
import json
import re
import uuid

from django.contrib import messages
from django.db import IntegrityError, transaction
from django.http import HttpResponseBadRequest
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import IdempotencyKey

TTL = datetime.timedelta(hours=24)
FORM_FIELD = "idempotency_token"
HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
_FORM_TOKEN = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
_API_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")  # printable ASCII, no spaces


def new_token() -> str:
    return uuid.uuid4().hex


def valid_form_token(value) -> bool:
    return isinstance(value, str) and bool(_FORM_TOKEN.match(value))


def valid_api_key(value) -> bool:
    return isinstance(value, str) and bool(_API_KEY.match(value))


def purge_expired(user) -> int:
    """Delete the user's records older than ``TTL`` (in its own statement, outside any request
    transaction, so that it holds no lock while the request runs)."""
    return IdempotencyKey.objects.filter(user=user, created_at__lt=timezone.now() - TTL).delete()[0]


def claim(*, user, key: str, fingerprint: str) -> tuple[IdempotencyKey, bool]:
    """Within the request's transaction: the record of ``key``, and whether this request is the
    first with it (True: go ahead and create, then ``remember``; False: replay the record).

    A concurrent first request with the same key makes the insert wait for it to end; an expired
    record is replaced."""
    assert transaction.get_connection().in_atomic_block, "claim() runs inside the create's transaction"
    for _attempt in range(3):
        now = timezone.now()
        try:
            with transaction.atomic():
                record = IdempotencyKey.objects.create(user=user, key=key, fingerprint=fingerprint, created_at=now)
            return record, True
        except IntegrityError:
            existing = IdempotencyKey.objects.filter(user=user, key=key).first()
            if existing is None:  # removed since (expired and purged): try again
                continue
            if existing.created_at <= now - TTL:
                IdempotencyKey.objects.filter(pk=existing.pk).delete()
                continue
            return existing, False
    raise IntegrityError("could not claim the idempotency key")  # pragma: no cover - a key churned thrice


# --- pages ----------------------------------------------------------------------------------------


def form_fingerprint(request) -> str:
    return hashlib.sha256(f"form {request.path}".encode()).hexdigest()


def idempotent_form(view):
    """Run a create view once per form token (see the module docstring). Put it under
    ``@login_required``; the form's template renders ``{% idempotency_token %}`` inside the form."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        token = request.POST.get(FORM_FIELD) if request.method == "POST" else None
        user = getattr(request, "user", None)
        if token is not None and not valid_form_token(token):
            # Our pages only ever send a token they rendered: a damaged one is refused, not ignored.
            return HttpResponseBadRequest(_("This form's token is damaged: reload the page and send the form again."))
        if not valid_form_token(token) or user is None or not user.is_authenticated:
            return view(request, *args, **kwargs)
        purge_expired(user)
        fingerprint = form_fingerprint(request)
        with transaction.atomic():
            record, first = claim(user=user, key=token, fingerprint=fingerprint)
            if not first:
                if record.fingerprint != fingerprint:  # a token of another form: not ours to replay
                    return view(request, *args, **kwargs)
                messages.info(request, _("This form had already been sent: here is what it did."))
                return redirect(record.result_url or request.path)
            response = view(request, *args, **kwargs)
            if response.status_code in (301, 302, 303) and response.get("Location"):
                record.result_url = response["Location"][:500]
                record.save(update_fields=["result_url"])
            else:  # refused or only re-rendered: forget the token (the view's own writes stay as they are)
                record.delete()
            return response

    return wrapper


# --- API ------------------------------------------------------------------------------------------


def _canonical(value):
    if hasattr(value, "lists"):  # a QueryDict (form or multipart body)
        return {key: [_canonical(v) for v in values] for key, values in value.lists()}
    if hasattr(value, "chunks") and hasattr(value, "name"):  # an uploaded file
        digest = hashlib.sha256()
        for chunk in value.chunks():
            digest.update(chunk)
        value.seek(0)
        return {"file": value.name, "size": value.size, "sha256": digest.hexdigest()}
    if isinstance(value, dict):
        return {str(key): _canonical(v) for key, v in value.items()}
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    return value


def api_fingerprint(request) -> str:
    """What makes two API requests "the same": method, path with query, and the parsed body."""
    body = json.dumps(_canonical(request.data), sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(f"{request.method} {request.get_full_path()}\n{body}".encode()).hexdigest()


class IdempotentPostMixin:
    """For DRF views: a POST with an ``Idempotency-Key`` header runs once per (user, key); see the
    module docstring. Whatever handler the POST maps to (``create``, a viewset's own ``create``,
    a workflow step) is wrapped, after authentication and permissions (``initial``)."""

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if request.method != "POST" or HEADER not in request.headers:
            return
        from rest_framework.exceptions import ValidationError

        key = request.headers[HEADER].strip()
        if not valid_api_key(key):
            raise ValidationError({HEADER: [_("Give at most 255 printable characters without spaces.")]})
        handler = getattr(self, "post", None)
        if handler is not None:
            self.post = functools.partial(self._post_once, handler, key)

    def _post_once(self, handler, key, request, *args, **kwargs):
        from rest_framework.response import Response

        user = request.user
        fingerprint = api_fingerprint(request)
        purge_expired(user)
        with transaction.atomic():
            record, first = claim(user=user, key=key, fingerprint=fingerprint)
            if not first:
                if record.fingerprint != fingerprint:
                    return Response(
                        {
                            "detail": _(
                                "This Idempotency-Key was already used for another request: "
                                "send a new key for a new request."
                            )
                        },
                        status=422,
                    )
                return Response(record.response_body, status=record.response_status, headers={REPLAYED_HEADER: "true"})
            response = handler(request, *args, **kwargs)
            if 200 <= response.status_code < 300:
                record.response_status = response.status_code
                record.response_body = _json_of(response)
                record.save(update_fields=["response_status", "response_body"])
            else:  # refused: forget the key, so the corrected request may use it again
                record.delete()
            return response


def _json_of(response):
    """The response's data as plain JSON (decimals, dates and lazy texts as the API renders them)."""
    from rest_framework.utils.encoders import JSONEncoder

    data = getattr(response, "data", None)
    return None if data is None else json.loads(json.dumps(data, cls=JSONEncoder))
