"""What the system writes in a history (an import's reason and note, a change in the back office)
is shown in the reader's language, not the language of whoever caused it."""

import datetime
import importlib

import pytest
from django.apps import apps
from django.urls import reverse
from django.utils import translation

from members import actions
from members.models import IMPORTED_NOTE, MembershipEvent, StageChange
from tests.dataio.helpers import run
from tests.dataio.test_imports import member_row, xlsx

pytestmark = pytest.mark.django_db


def imported(world):
    with translation.override("zh-hans"):  # the uploader reads Chinese
        report = run("members", world.park_admin, xlsx([member_row(1, world.branch_a1.code)]), dry_run=False)
    assert report.counts["new"] == 1
    return StageChange.objects.get(reason=IMPORTED_NOTE).member


def test_an_imported_members_history_reads_in_each_readers_language(client, world):
    member = imported(world)
    assert MembershipEvent.objects.get(member=member).note == IMPORTED_NOTE  # the key, not a translation
    client.force_login(world.park_admin)
    url = reverse("members:member_lifecycle", args=[member.pk])
    english = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert english.count("Imported from a spreadsheet.") == 2  # the stage history and the membership history
    client.cookies["django_language"] = "zh-hans"
    chinese = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert chinese.count("从电子表格导入。") == 2
    assert "Imported from a spreadsheet." not in chinese


def test_the_api_gives_the_reason_in_the_readers_language(world):
    from tests.api.conftest import token_client

    member = imported(world)
    client = token_client(world.park_admin)
    url = f"/api/v1/stage-changes/?member={member.pk}"
    assert client.get(url, HTTP_ACCEPT_LANGUAGE="en").json()["results"][0]["reason"] == "Imported from a spreadsheet."
    assert client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").json()["results"][0]["reason"] == "从电子表格导入。"


def test_what_a_person_wrote_is_shown_as_written(world):
    actions.member_registered(member=world.member_a1, note="Imported from a spreadsheet")  # not the key
    event = MembershipEvent.objects.get(member=world.member_a1)
    with translation.override("zh-hans"):
        assert event.note_display == "Imported from a spreadsheet"


def test_the_migration_turns_stored_translations_back_into_keys(world):
    member = imported(world)
    StageChange.objects.filter(member=member).update(reason="从电子表格导入。")
    MembershipEvent.objects.filter(member=member).update(note="在后台修改")
    StageChange.objects.create(
        member=member, to_stage="full", effective_on=datetime.date(2020, 1, 1), reason="在后台修改了吗"
    )
    migration = importlib.import_module("members.migrations.0012_system_notes_as_keys")
    migration.to_keys(apps, None)
    assert set(StageChange.objects.filter(member=member).values_list("reason", flat=True)) == {
        IMPORTED_NOTE,
        "在后台修改了吗",  # a person's text that merely begins like one is left alone
    }
    assert MembershipEvent.objects.get(member=member).note == "changed in the back office"
