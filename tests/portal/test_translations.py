"""The Simplified Chinese catalog is complete, consistent with the source and compiled.

Chinese is the portal's default language and the source strings are English, so an untranslated
string shows English to every user. After adding strings, a developer runs (see `make messages`):

    .venv/bin/python manage.py makemessages -l zh_Hans <MAKEMESSAGES_IGNORES as --ignore=...>
    # translate the new entries in locale/zh_Hans/LC_MESSAGES/django.po, remove their fuzzy flags
    .venv/bin/python manage.py compilemessages --ignore=.venv
"""

import os
import re
import shutil
from collections import Counter
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import translation

LOCALE_DIR = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES"
PO_PATH = LOCALE_DIR / "django.po"
MO_PATH = LOCALE_DIR / "django.mo"

# Directories makemessages must not scan: third-party code, built or uploaded files, tests, benchmarks.
MAKEMESSAGES_IGNORES = [
    ".venv", "node_modules", "static/vendor", "staticfiles", "test-artifacts", "tests", "bench", "media",
]  # fmt: skip

# Named placeholders (%(name)s, {name}) may change order in Chinese; positional ones (%s, %d) may not.
NAMED = re.compile(r"%\([^)]+\)[-#0 +]*\d*(?:\.\d+)?[sdifr]|\{[A-Za-z_][A-Za-z0-9_]*\}")
POSITIONAL = re.compile(r"%%|%[-#0 +]*\d*(?:\.\d+)?[sdifr]")


def placeholders(text):
    named = Counter(NAMED.findall(text))
    positional = POSITIONAL.findall(NAMED.sub("", text))
    return named, positional


def entry_key(entry):
    return (entry.msgctxt, entry.msgid, entry.msgid_plural or None)


def msgstrs(entry):
    return list(entry.msgstr_plural.values()) if entry.msgid_plural else [entry.msgstr]


@pytest.fixture(scope="module")
def catalog():
    assert PO_PATH.exists(), f"{PO_PATH} is missing: run makemessages -l zh_Hans"
    return polib.pofile(str(PO_PATH))


def test_catalog_header_is_simplified_chinese_with_one_plural_form(catalog):
    assert catalog.metadata["Language"] == "zh_Hans"
    assert catalog.metadata["Plural-Forms"].replace(" ", "") == "nplurals=1;plural=0;"
    assert not catalog.metadata_is_fuzzy
    assert len(catalog) > 100, "the catalog looks truncated"


def test_every_entry_is_translated_and_none_is_fuzzy(catalog):
    fuzzy = [e.msgid for e in catalog if "fuzzy" in e.flags]
    untranslated = [e.msgid for e in catalog if not all(s.strip() for s in msgstrs(e)) or not msgstrs(e)]
    assert not fuzzy, f"{len(fuzzy)} fuzzy entries, e.g. {fuzzy[:5]}"
    assert not untranslated, f"{len(untranslated)} untranslated entries, e.g. {untranslated[:5]}"


def test_plural_entries_have_exactly_one_form(catalog):
    wrong = [e.msgid for e in catalog if e.msgid_plural and sorted(e.msgstr_plural) != [0]]
    assert not wrong, f"plural entries must have exactly msgstr[0] (nplurals=1): {wrong[:5]}"


def test_placeholders_of_each_translation_equal_those_of_its_source(catalog):
    wrong = []
    for entry in catalog:
        sources = [entry.msgid] + ([entry.msgid_plural] if entry.msgid_plural else [])
        for text in msgstrs(entry):
            got = placeholders(text)
            # A plural translation may use the placeholders of either English form.
            if not any(got == placeholders(src) for src in sources):
                wrong.append((entry.msgid, text))
    assert not wrong, f"{len(wrong)} translations change the placeholders, e.g. {wrong[:3]}"


def test_placeholder_check_catches_a_changed_placeholder():
    # Guards the guard: a renamed or dropped placeholder must not compare equal.
    assert placeholders("%(org)s 的活动") == placeholders("activities of %(org)s")
    assert placeholders("%(org)s 的活动") != placeholders("activities of %(name)s")
    assert placeholders("活动") != placeholders("%(n)d files")
    assert placeholders("{name}") != placeholders("%(name)s")


def test_compiled_catalog_matches_the_po_file(catalog):
    assert MO_PATH.exists(), f"{MO_PATH} is missing: run compilemessages"
    compiled = {}
    for entry in polib.mofile(str(MO_PATH)):
        if entry.msgid:  # the header
            compiled[entry_key(entry)] = msgstrs(entry)
    source = {entry_key(e): msgstrs(e) for e in catalog.translated_entries() if "fuzzy" not in e.flags}
    stale = sorted(k[1] for k in source.keys() ^ compiled.keys())
    changed = sorted(k[1] for k in source.keys() & compiled.keys() if source[k] != compiled[k])
    advice = "django.mo is out of date with django.po: run `manage.py compilemessages --ignore=.venv`"
    assert not stale, f"{advice} (entries only on one side: {stale[:5]})"
    assert not changed, f"{advice} (translations that differ: {changed[:5]})"


def test_catalog_has_every_string_of_the_source(catalog, tmp_path, monkeypatch, settings):
    """Extract the strings of the current source tree afresh and compare with the committed catalog."""
    if not (shutil.which("xgettext") and shutil.which("msguniq") and shutil.which("msgmerge")):
        message = "GNU gettext (xgettext, msguniq, msgmerge) is not installed: cannot extract strings"
        if os.environ.get("CI"):
            pytest.fail(message + " (CI is set: the CI machine must install gettext)")
        pytest.skip(message)
    # makemessages writes into the locale directory nearest to the scanned files, so scan a mirror of
    # the project (symlinks to everything but locale/) that has an empty locale directory of its own.
    base = Path(settings.BASE_DIR)
    committed_mtime = PO_PATH.stat().st_mtime_ns
    for child in base.iterdir():
        if child.name != "locale":
            (tmp_path / child.name).symlink_to(child)
    fresh_dir = tmp_path / "locale"
    fresh_dir.mkdir()
    settings.LOCALE_PATHS = [fresh_dir]  # never write into the committed catalog
    monkeypatch.chdir(tmp_path)
    call_command(
        "makemessages", locale=["zh_Hans"], ignore_patterns=MAKEMESSAGES_IGNORES, symlinks=True,
        verbosity=0,
    )  # fmt: skip
    assert PO_PATH.stat().st_mtime_ns == committed_mtime, "the extraction wrote into the committed catalog"
    fresh = polib.pofile(str(fresh_dir / "zh_Hans" / "LC_MESSAGES" / "django.po"))
    assert len(fresh) > 100, "extraction found almost nothing: the mirror of the source tree is wrong"
    committed = {entry_key(e) for e in catalog}
    missing = sorted(f"{e.msgid!r} ({e.occurrences[0][0]}:{e.occurrences[0][1]})"
                     for e in fresh if entry_key(e) not in committed)  # fmt: skip
    assert not missing, (
        f"{len(missing)} strings of the source are not in locale/zh_Hans/LC_MESSAGES/django.po: run "
        f"`make messages`, translate them and compile. First ones: {missing[:10]}"
    )


def test_model_labels_are_translated():
    from members.models import Member

    with translation.override("zh-hans"):
        assert str(Member._meta.verbose_name) == "党员"
    with translation.override("en"):
        assert str(Member._meta.verbose_name) == "party member"


@pytest.mark.django_db
@pytest.mark.zh_default
def test_login_page_is_chinese_by_default_and_english_on_request(client):
    page = client.get("/accounts/login/")
    assert page.status_code == 200
    html = page.content.decode()
    assert '<html lang="zh-hans"' in html
    assert "<title>登录" in html
    assert "登录</button>" in html
    assert "Log in" not in html

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get("/accounts/login/").content.decode()
    assert "Log in</button>" in html
    assert "登录" not in html


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("accept_language", "expected", "unexpected"),
    [("zh-CN,zh;q=0.9,en;q=0.8", "登录", "Log in"), ("en-US,en;q=0.9", "Log in", "登录")],
)
def test_browser_language_is_followed(client, accept_language, expected, unexpected):
    html = client.get("/accounts/login/", headers={"accept-language": accept_language}).content.decode()
    assert expected in html
    assert unexpected not in html
