"""Structured logs (core/logs.py): JSON lines, the request id into tasks, and no secret in any line."""

import contextlib
import datetime
import io
import json
import logging
import re

import pytest
from django.db import connection
from django.urls import reverse

from core.codes import make_id_number
from core.logs import REQUEST_ID, ContextFilter, JsonFormatter, RedactingFilter

pytestmark = pytest.mark.django_db


@contextlib.contextmanager
def production_log():
    """Every logger at DEBUG (SQL with its parameters included) into a handler built as
    production's (JSON formatter, context and redacting filters); yields the written text."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(ContextFilter())
    handler.addFilter(RedactingFilter())
    handler.setLevel(logging.DEBUG)
    loggers = [logging.getLogger()] + [
        logger for logger in logging.root.manager.loggerDict.values() if isinstance(logger, logging.Logger)
    ]
    levels = [(logger, logger.level) for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.DEBUG)
    root = logging.getLogger()
    others = root.handlers[:]
    root.handlers = [handler]  # this handler alone: nothing redacted by another one first
    debug_cursor = connection.force_debug_cursor
    connection.force_debug_cursor = True  # django.db.backends logs every query and its parameters
    try:
        yield stream
    finally:
        connection.force_debug_cursor = debug_cursor
        root.handlers = others
        for logger, level in levels:
            logger.setLevel(level)


def lines(stream):
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.startswith("{")]


def test_a_request_logs_one_json_line_with_its_context(client, world):
    client.force_login(world.secretary)
    with production_log() as stream:
        response = client.get(reverse("home"))
    request_id = response["X-Request-ID"]
    (entry,) = [e for e in lines(stream) if e["logger"] == "hongfan.request"]
    assert entry["level"] == "INFO"
    assert entry["request_id"] == request_id
    assert entry["user_id"] == world.secretary.pk
    assert entry["path"] == "/"
    assert entry["status"] == response.status_code
    assert entry["duration_ms"] >= 0
    assert datetime.datetime.fromisoformat(entry["time"]).tzinfo is not None
    assert entry["message"] == f"GET / {response.status_code}"
    # Every line of that request carries its id (the SQL of the session look-up, for one).
    sql = [e for e in lines(stream) if e["logger"] == "django.db.backends"]
    assert sql
    assert {e["request_id"] for e in sql} == {request_id}


def test_the_request_id_travels_into_a_task(settings):
    """The id goes into the message headers at publish, and the worker sets it for the task."""
    from celery import signals

    from core import logs

    headers = {}
    token = REQUEST_ID.set("req-0123456789")
    try:
        signals.before_task_publish.send(sender="x", headers=headers, body=None)
    finally:
        REQUEST_ID.reset(token)
    assert headers[logs.TASK_HEADER] == "req-0123456789"

    class Task:
        name = "portal.tasks.example"

        class request:  # noqa: N801 - what Celery's worker makes of the message headers
            hongfan_request_id = "req-0123456789"

    seen = []
    signals.task_prerun.send(sender=Task, task_id="t1", task=Task, args=(), kwargs={})
    seen.append(REQUEST_ID.get())
    signals.task_postrun.send(sender=Task, task_id="t1", task=Task, args=(), kwargs={}, retval=None, state="SUCCESS")
    assert seen == ["req-0123456789"]
    assert REQUEST_ID.get() == ""


def test_redaction():
    from core.logs import redact

    token = "9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b"
    text = f"id 33040219920517771X login password=Hunter2-xyz Authorization: Token {token} ok"
    assert redact(text) == "id [redacted] login password=[redacted] Authorization: [redacted] ok"
    # Ordinary numbers (phones, ids, dates) stay readable.
    assert redact("member 12345 phone 13912345678 on 2026-01-05") == "member 12345 phone 13912345678 on 2026-01-05"


def test_no_id_number_password_or_token_in_any_log_line(client, world, settings, tmp_path):
    """Representative flows at DEBUG: a login, a member created with an ID number, an API token
    created, an import of members with ID numbers. No line written holds any of those values."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client

    from tests.api.conftest import token_client
    from tests.dataio.test_imports import XLSX, member_row, xlsx

    settings.MEDIA_ROOT = tmp_path
    password = "Correct-Horse-4471"
    world.secretary.set_password(password)
    world.secretary.save()
    birth = datetime.date(1992, 5, 17)
    id_number = make_id_number(division="330402", birth_date=birth, gender="F", sequence=77)
    rows = [member_row(i, world.branch_a1.code) for i in range(3)]

    with production_log() as stream:
        # A failed then a good login.
        browser = Client()
        assert browser.post(reverse("login"), {"username": "secretary", "password": password + "x"}).status_code == 200
        assert browser.post(reverse("login"), {"username": "secretary", "password": password}).status_code == 302
        # An API token, made on its page.
        created_page = browser.post("/accounts/tokens/", {"action": "create"}, follow=True).content.decode()
        page_token = re.search(r'value="([^"]+)" readonly id="token-key"', created_page).group(1)
        # A member with an ID number, by the API with that token.
        from rest_framework.test import APIClient

        api_client = APIClient()
        api_client.credentials(HTTP_AUTHORIZATION=f"Token {page_token}")
        created = api_client.post(
            "/api/v1/members/",
            {
                "name": "新党员",
                "gender": "F",
                "birth_date": birth.isoformat(),
                "id_number": id_number,
                "phone": "13912345678",
                "organization": world.branch_a1.pk,
                "stage": "applicant",
                "applied_on": "2026-01-05",
            },
            format="json",
        )
        assert created.status_code == 201, created.content
        # The same number again: refused (an error path logs too).
        assert api_client.post("/api/v1/members/", {"id_number": id_number}, format="json").status_code == 400
        # An import of members, checked then written.
        admin = Client()
        admin.force_login(world.park_admin)
        response = admin.post(
            reverse("imports"), {"kind": "members", "file": SimpleUploadedFile("m.xlsx", xlsx(rows), XLSX)}
        )
        assert response.status_code == 302
        from dataio.models import ImportJob

        job = ImportJob.objects.get()
        admin.post(reverse("import_confirm", args=[job.pk]))
        # A token made outside the page, used on the API.
        admin_api = token_client(world.park_admin)
        assert admin_api.get("/api/v1/members/").status_code == 200
        admin_token = world.park_admin._test_api_key

    written = stream.getvalue()
    assert len(written.splitlines()) > 50  # the flows did log: SQL, requests, axes
    assert "axes" in written  # the failed login was logged (without its password)
    secrets = {"ID number": id_number, "password": password, "page token": page_token, "admin token": admin_token}
    secrets.update({f"imported ID number {i}": row[1] for i, row in enumerate(rows)})
    for what, value in secrets.items():
        assert value not in written, f"the {what} is in the log"
        assert value.lower() not in written.lower(), f"the {what} is in the log"
