"""Every page of every demo role, in Chinese and in English: no word of the other language.

The demo world is seeded (``seed_demo``); each role logs in and visits each link of its menu
(``portal.navigation``) once per language. Data (what is in the database: names of members,
organisations, parks, titles people wrote) may be in any language: every text value of the
database is taken out of the page's visible text before it is scanned, so that what remains is
the portal's own wording. A screenshot of each page goes to test-artifacts/screens/<lang>/.
"""

import re
from io import StringIO

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import models

from core.scope import scope_for
from portal.navigation import items_for

from .conftest import ARTIFACTS, DESKTOP, login

ROLES = ["official", "parkadmin", "secretary", "service", "member", "contact"]
CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")
WORD = re.compile(r"[A-Za-z][A-Za-z'-]*[A-Za-z]|[A-Za-z]")
CODE = re.compile(r"\b\w+(?:[._/@:-]\w+)+\b")  # e-mail addresses, file names, dates, codes
# Latin words that stay in Chinese: codes, units, product names.
ALLOWED_LATIN = {
    "api",
    "id",
    "excel",
    "url",
    "totp",
    "csv",
    "xlsx",
    "json",
    "pdf",
    "qr",
    "ok",
    "token",
    "hongfan",
    "am",
    "pm",
    "kb",
    "mb",
    "m",
    "h",
    "min",
    "email",
    "e-mail",
    "ip",
    "no",
    "vs",
    "english",
    "utc",
}
ALLOWED_LATIN.add("authorization")  # the HTTP header of the API tokens' example
# Chinese that English keeps: the language switch names each language in itself, and 三会一课 is
# the portal's name for the rules of organisational life in both languages.
ALLOWED_CJK = {"简体中文", "三会一课"}


def _data_values() -> list[str]:
    """Every text in the database that a page may show as it is, longest first."""
    values = set()
    for model in apps.get_models():
        fields = [f.attname for f in model._meta.concrete_fields if isinstance(f, models.CharField | models.TextField)]
        if not fields or model._meta.app_label in {"sessions", "admin", "axes", "django_celery_beat"}:
            continue
        for row in model.objects.values_list(*fields):
            for value in row:
                if value:
                    values.add(str(value))
                    values.update(part for part in re.split(r"[\s,，、/·:：]+", str(value)) if len(part) >= 2)
    return sorted(values, key=len, reverse=True)


def _without_data(text: str, data: list[str]) -> str:
    for value in data:
        if value in text:
            text = text.replace(value, " ")
    return text


def _menu_urls(user):
    urls = {"/": "home"}
    for item in items_for(scope_for(user)):
        urls.setdefault(item["url"], item["url_name"].replace(":", "-"))
    return [(name, url) for url, name in urls.items()]


@pytest.fixture
def demo(transactional_db):
    call_command("seed_demo", stdout=StringIO())
    return _data_values()


def test_every_page_of_every_role_speaks_one_language(new_page, demo):
    problems = []
    users = get_user_model().objects.in_bulk(ROLES, field_name="username")
    for language, locale in (("zh", "zh-CN"), ("en", "en-US")):
        folder = ARTIFACTS / "screens" / language
        folder.mkdir(parents=True, exist_ok=True)
        for role in ROLES:
            page = new_page(viewport=DESKTOP, locale=locale)
            login(page, role)
            for name, url in _menu_urls(users[role]):
                response = page.goto(url)
                assert response.status < 400, (role, url, response.status)
                page.screenshot(path=str(folder / f"{role}-{name}.png"), full_page=True)
                text = _without_data(page.evaluate("document.body.innerText"), demo)
                if language == "zh":
                    text = CODE.sub(" ", text)
                    words = {w for w in WORD.findall(text) if w.lower() not in ALLOWED_LATIN and not w.isupper()}
                else:
                    words = set(CJK.findall(text)) - ALLOWED_CJK
                if words:
                    problems.append(f"{language} {role} {url}: {sorted(words)}")
    assert problems == [], "\n".join(problems)
