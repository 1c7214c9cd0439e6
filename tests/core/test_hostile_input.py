"""Never a 500 from input (issue #14): every form page and every API write, fed hostile values.

The doors are discovered, not listed by hand:

* API writes: every POST / PUT / PATCH operation of the OpenAPI schema (the router's viewsets with
  their create, update and workflow actions), each property of its body given the hostile values
  of its type and format (tests/core/hostile.py), on top of a body copied from an existing row so
  that the value reaches the model and the action; then the whole-body cases (malformed JSON,
  duplicate keys, wrong content types, empty multipart);
* pages: every page of the URLconf (outside the admin and the API) opened by each role, and every
  POST form found on them, each field given the hostile values of its input type.

Each hostile request must answer 4xx — or, for a page, re-render the form with errors — and leave
every table's row count as it was. Unusual but legal text (emoji, right-to-left marks) may be
accepted; it must not fail either. Every request runs in a savepoint rolled back afterwards.
"""

import datetime
import re
from functools import partial

import pytest
from django.core.signals import got_request_exception
from django.urls import get_resolver, resolve
from django.utils import timezone

from accounts.models import Role
from activities import actions as activity_actions
from members import actions as member_actions
from services import actions as service_actions
from services.models import ServiceCategory
from tests.api.conftest import token_client
from tests.factories import assign

from . import hostile

pytestmark = pytest.mark.django_db


@pytest.fixture
def rows(world):
    """A few rows of each kind, so that detail pages and workflow steps have something to act on."""
    w = world
    w.held = activity_actions.activity_log(
        by=w.secretary,
        host=w.branch_a1,
        kind="party_lecture",
        title="党课",
        starts_at=timezone.now() - datetime.timedelta(days=2),
    )
    w.planned = activity_actions.activity_log(
        by=w.secretary,
        host=w.branch_a1,
        kind="themed_day",
        title="主题党日",
        starts_at=timezone.now() + datetime.timedelta(days=5),
    )
    w.request = service_actions.request_submit(
        by=w.member_user, category=ServiceCategory.objects.first(), title="求助", description="需要帮助"
    )
    w.wish = service_actions.wish_post(by=w.park_admin, park=w.park_a1, beneficiary="小明", need="一套书")
    start = (timezone.localtime() + datetime.timedelta(days=3)).replace(hour=9, minute=0, second=0, microsecond=0)
    w.booking = service_actions.booking_request(
        by=w.member_user, room=w.room_a1, starts_at=start, ends_at=start + datetime.timedelta(hours=2), purpose="学习"
    )
    w.transfer = member_actions.transfer_request(
        member=w.member_a1_other, by=w.secretary, reason="工作调动", to_organization=w.branch_a2
    )
    assign(w.superuser, Role.PARK_ADMIN, w.park_a1)
    return w


class Failures:
    """Collects what went wrong (a 5xx, a write, an accepted hostile value) with the exception seen."""

    def __init__(self):
        self.items = []
        self.last_exception = None
        self.requests = 0
        self.statuses = {}

    def record_exception(self, sender, request=None, **kwargs):
        import sys

        self.last_exception = repr(sys.exc_info()[1])

    def check(self, where, value, sent, *, must_refuse=True, page=False, creates=False):
        """A 5xx fails; a refused value must leave every table as it was, and a 2xx must not show
        it stored (an update may ignore a field it does not change, as the members API does with
        the pipeline dates); a page answering 200 must show the form's errors."""
        response, changed = sent
        self.requests += 1
        self.statuses[response.status_code // 100] = self.statuses.get(response.status_code // 100, 0) + 1
        shown = repr(value)[:60]
        if response.status_code >= 500:
            self.items.append(f"{where} {shown}: {response.status_code} {self.last_exception}")
        elif must_refuse and 200 <= response.status_code < 400:
            if page and response.status_code == 200 and not _shows_error(response):
                self.items.append(f"{where} {shown}: 200 without an error message")
            elif (creates or page) and changed:
                self.items.append(f"{where} {shown}: {response.status_code}, wrote {changed}")
            elif not page and hostile.echoes(response, value):
                self.items.append(f"{where} {shown}: {response.status_code}, stored")
        self.last_exception = None


def _shows_error(response):
    text = response.content.decode(errors="replace")
    return "is-invalid" in text or "invalid-feedback" in text or "alert-danger" in text or "errorlist" in text


@pytest.fixture
def failures():
    found = Failures()
    got_request_exception.connect(found.record_exception)
    yield found
    got_request_exception.disconnect(found.record_exception)


# --- the API ----------------------------------------------------------------------------------------


def _resolve_ref(schema, node):
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
    for key in ("allOf", "oneOf"):
        if key in node and len(node[key]) == 1:
            return _resolve_ref(schema, node[key][0])
    return node


def _detail_row(path):
    """The first stored row of the viewset behind a detail path, or None."""
    match = resolve(path.replace("{id}", "1"))
    viewset = getattr(match.func, "cls", None)
    queryset = getattr(viewset, "queryset", None)
    if queryset is None:
        return None
    return queryset.model._base_manager.order_by("pk").first()


def api_writes(schema):
    """(method, path template, body properties, content type) of every write in the schema."""
    for path, item in schema["paths"].items():
        for method in ("post", "put", "patch"):
            operation = item.get(method)
            if not operation:
                continue
            content = operation.get("requestBody", {}).get("content", {})
            content_type = next(iter(content), "application/json")
            body = _resolve_ref(schema, content.get(content_type, {}).get("schema", {}))
            properties = {
                name: _resolve_ref(schema, prop)
                for name, prop in body.get("properties", {}).items()
                if not prop.get("readOnly")
            }
            yield method, path, properties, content_type


def test_api_writes_refuse_hostile_values(rows, failures):
    w = rows
    client = token_client(w.superuser)
    client.raise_request_exception = False
    schema = client.get("/api/v1/schema/?format=json").json()
    writes = list(api_writes(schema))
    assert len(writes) > 20, "the schema lists the API's writes"
    for method, template, properties, content_type in writes:
        row = _detail_row(template) if "{id}" in template else None
        path = template.replace("{id}", str(row.pk if row else 999_999))
        creates = method == "post" and "{" not in template
        base = {}
        detail_path = template.split("{id}")[0] + "{id}/" if "{id}" in template else None
        if detail_path and template == detail_path and row is not None:
            base = {k: v for k, v in client.get(path).json().items() if k in properties}
        if "json" not in content_type:
            base = {}
        fmt = "json" if "json" in content_type else "multipart"
        send = getattr(client, method)
        for name, prop in properties.items():
            for value in hostile.values_for_schema(prop):
                response = hostile.in_rollback(partial(send, path, {**base, name: value}, format=fmt))
                failures.check(f"{method.upper()} {path} {name}", value, response, creates=creates)
        texts = [n for n, p in properties.items() if p.get("type") == "string" and not p.get("format")]
        if texts and fmt == "json":
            for odd in hostile.ODD_TEXT:
                response = hostile.in_rollback(partial(send, path, {**base, texts[0]: odd}, format=fmt))
                failures.check(f"{method.upper()} {path} {texts[0]}", odd, response, must_refuse=False)
        for body_type, raw in hostile.BAD_BODIES:
            response = hostile.in_rollback(partial(client.generic, method.upper(), path, raw, content_type=body_type))
            # An endpoint without a body (a workflow step, a PATCH of nothing) may ignore it.
            where = f"{method.upper()} {path} <body {body_type}>"
            failures.check(where, "", response, must_refuse=bool(properties), creates=creates)
    print(f"API: {len(writes)} writes, {failures.requests} hostile requests, by status class {failures.statuses}")
    assert not failures.items, "\n".join(failures.items)


# --- the pages --------------------------------------------------------------------------------------

SKIP_PAGES = re.compile(r"^(admin/|api/|media/|i18n/|accounts/logout/|\^admin)")
# Which model an <int:...> of a page's path names (the first row in the user's scope is used).
PATH_MODELS = {
    "activities/<int:pk>": "activities.Activity",
    "activities/checklist-row/<int:member_pk>": "members.Member",
    "members/transfers/in/<int:member_pk>": "members.Member",
    "members/transfers/<int:pk>": "members.Transfer",
    "members/branch/<int:org_pk>": "parks.Organization",
    "members/member/<int:pk>": "members.Member",
    "services/requests/<int:pk>": "services.ServiceRequest",
    "services/teams/<int:pk>": "services.ServiceTeam",
    "services/rooms/<int:pk>": "parks.Room",
    "reports/<int:pk>": "reports.StatReport",
    "imports/<int:pk>": "dataio.ImportJob",
    "notifications/<int:pk>": "notifications.Notification",
}


def _page_paths(user):
    """The paths of every page of the URLconf (without a slug step), filled with the user's rows."""
    from django.apps import apps

    def walk(patterns, prefix=""):
        for pattern in patterns:
            if hasattr(pattern, "url_patterns"):
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
            else:
                yield prefix + str(pattern.pattern)

    for route in walk(get_resolver().url_patterns):
        if SKIP_PAGES.match(route) or "<slug:" in route or "<path:" in route:
            continue
        path = route
        for prefix, label in PATH_MODELS.items():
            if route.startswith(prefix):
                model = apps.get_model(label)
                manager = model._default_manager
                rows = manager.visible_to(user) if hasattr(manager, "visible_to") else manager.all()
                row = rows.order_by("pk").first()
                if row is None:
                    path = None
                    break
                path = re.sub(r"<int:\w+>", str(row.pk), route, count=1)
        if path is not None and "<" not in path:
            yield "/" + path


def test_pages_refuse_hostile_values(rows, client, failures):
    w = rows
    forms_seen = {}
    client.raise_request_exception = False
    for role in ("secretary", "park_admin", "member_user", "service", "official", "superuser"):
        user = getattr(w, role)
        client.force_login(user)
        for path in _page_paths(user):
            response = client.get(path)
            if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
                continue
            for form in hostile.post_forms(response.content.decode()):
                action = form["action"] or path
                key = (re.sub(r"\d+", "N", action.split("?")[0]), tuple(sorted(n for n, _k, _v in form["fields"])))
                if key in forms_seen or action.startswith(("/accounts/logout", "/i18n/")):
                    continue
                forms_seen[key] = (role, action)
                _post_hostile_form(client, failures, action, form)
    assert len(forms_seen) >= 10, f"the walk found the portal's forms: {sorted(forms_seen.values())}"
    print(f"pages: {len(forms_seen)} forms, {failures.requests} hostile requests, by status class {failures.statuses}")
    assert not failures.items, "\n".join(failures.items)


def _post_hostile_form(client, failures, action, form):
    base = {}
    for name, _kind, value in form["fields"]:
        base.setdefault(name, []).append(value)
    odd_done = False
    for name, kind, _value in form["fields"]:
        if name == "csrfmiddlewaretoken":
            continue
        for value in hostile.values_for_input(kind):
            data = {**base, name: [value]}
            response = hostile.in_rollback(partial(client.post, action, data))
            failures.check(f"POST {action} {name}", value, response, page=True)
        if not odd_done and kind in ("text", "textarea"):
            odd_done = True
            data = {**base, name: hostile.ODD_TEXT}
            response = hostile.in_rollback(partial(client.post, action, data))
            failures.check(f"POST {action} {name}", hostile.ODD_TEXT[0], response, must_refuse=False)
