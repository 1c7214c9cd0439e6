"""Hostile input shared by the hostile-input tests (tests/core/test_hostile_input.py) and the
schemathesis script's notes: the values every door must refuse with a 4xx and a message, never a
500, and those it may accept (legal but unusual text) without failing.

Sampled per kind of field rather than crossed: two or three values per kind keep the walk of every
form and every API write under a couple of minutes on SQLite.
"""

import html.parser
import re

from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

# Must be refused (4xx and nothing written).
DATES = ["0001-01-01", "9999-12-31"]
DATETIMES = ["0001-01-01T00:00", "9999-12-31T23:59", "0001-01-01"]
NUMBERS = [2**63, -(2**63)]
TEXT = ["nul\x00byte", "x" * 100_000]
# Legal, if unusual: may be accepted, must not fail.
ODD_TEXT = ["😀 \u202eRTL\u200f مرحبا"]

# Whole bodies of the API writes: (content type, raw body). Each must be a 4xx.
BAD_BODIES = [
    ("application/json", b'{"title": '),  # malformed JSON
    ("application/json", b'{"title": "a", "title": "\x00"}'),  # duplicate keys, the last one hostile
    ("application/json", b"[]"),
    ("application/json", b'"just a string"'),
    ("application/json", b"\xff\xfe\x00"),  # not UTF-8
    ("text/plain", b"title=x"),  # a content type no endpoint parses
    ("multipart/form-data; boundary=x", b"--x--\r\n"),  # empty multipart
]


def values_for_schema(prop: dict) -> list:
    """Hostile values for one property of an OpenAPI request body, by its type and format."""
    kind, fmt = prop.get("type"), prop.get("format")
    if fmt == "date":
        return DATES
    if fmt == "date-time":
        return DATETIMES
    if kind in ("integer", "number"):
        return NUMBERS
    if kind == "array":
        items = prop.get("items", {})
        return [[value] for value in values_for_schema(items)[:1]] if items else []
    if kind == "string" or "enum" in prop or "$ref" in prop or "allOf" in prop or "oneOf" in prop:
        return TEXT
    return []


def values_for_input(field_type: str) -> list:
    """Hostile values for one field of an HTML form, by its input type."""
    if field_type == "date":
        return DATES
    if field_type == "datetime-local":
        return DATETIMES[:2]
    if field_type == "month":
        return ["0001-01", "9999-12"]
    if field_type == "number":
        return NUMBERS
    if field_type in ("checkbox", "radio", "file", "submit", "button"):
        return []
    return TEXT


WRITE = re.compile(r'^\s*(INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)"?', re.I)
IGNORED_TABLES = {"django_session", "auth_user", "axes_accessattempt", "axes_accesslog"}


def tables_written(queries) -> list:
    """The tables a request inserted into, updated or deleted from (sessions and logins aside)."""
    found = []
    for query in queries:
        match = WRITE.match(query.get("sql") or "")
        if match and match[2] not in IGNORED_TABLES and match[2] not in found:
            found.append(match[2])
    return found


class FormParser(html.parser.HTMLParser):
    """The POST forms of a page: [{"action": str, "enctype": str, "fields": [(name, type, value)]}]."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms, self._form, self._select, self._textarea = [], None, None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            if (attrs.get("method") or "get").lower() == "post":
                self._form = {"action": attrs.get("action") or "", "enctype": attrs.get("enctype") or "", "fields": []}
                self.forms.append(self._form)
            return
        if self._form is None or not attrs.get("name"):
            return
        if tag == "input":
            kind = (attrs.get("type") or "text").lower()
            if kind in ("checkbox", "radio") and "checked" not in attrs:
                return
            self._form["fields"].append(
                (attrs["name"], kind, attrs.get("value") or ("on" if kind == "checkbox" else ""))
            )
        elif tag == "select":
            self._select = [attrs["name"], "select", None]
            self._form["fields"].append(self._select)
        elif tag == "textarea":
            self._textarea = [attrs["name"], "textarea", ""]
            self._form["fields"].append(self._textarea)
        elif tag == "option" and self._select is not None and (self._select[2] is None or "selected" in attrs):
            self._select[2] = attrs.get("value", "")

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[2] += data


def post_forms(html_text: str) -> list:
    parser = FormParser()
    parser.feed(html_text)
    for form in parser.forms:
        form["fields"] = [(name, kind, value if value is not None else "") for name, kind, value in form["fields"]]
    return parser.forms


def in_rollback(send):
    """Send one request in a savepoint rolled back afterwards, and return (response, the tables it
    wrote to): whatever one hostile request changes, if it wrongly succeeds, is seen, and does not
    change the world the next request meets."""
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        response = send()
        transaction.set_rollback(True)
    return response, tables_written(queries.captured_queries)


def echoes(response, value) -> bool:
    """Whether a 2xx response shows the hostile value stored (the API answers with the row)."""
    if value is None or value == "":
        return False
    text = response.content.decode(errors="replace")
    if isinstance(value, list):
        value = value[0] if value else ""
    if isinstance(value, int):
        return str(value) in text
    if "\x00" in value:
        return "\\u0000" in text or "\x00" in text
    if len(value) > 1000:
        return value[:1000] in text
    return value[:10] in text
