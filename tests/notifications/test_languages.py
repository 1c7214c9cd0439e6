"""Notifications are stored as a message key with parameters and read in the reader's language."""

import importlib

import pytest
from django.core import mail
from django.db import transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from core.texts import Text, render, stored
from notifications.actions import notify
from notifications.models import Notification, UserLanguage
from tests.factories import UserFactory

TITLE = _("Room booking confirmed: %(room)s")


def test_a_text_is_rendered_in_the_active_language_with_its_parameters_as_written():
    value = stored(Text(TITLE, room="Room A 会议室"))
    assert value == {"t": "Room booking confirmed: %(room)s", "p": {"room": "Room A 会议室"}}
    with translation.override("en"):
        assert render(value) == "Room booking confirmed: Room A 会议室"
    with translation.override("zh-hans"):
        assert render(value) == "会议室预约已确认：Room A 会议室"


def test_lazy_parameters_are_translated_too_and_plain_text_stays_as_written():
    value = stored(Text(_("Your stage changed: %(stage)s"), stage=_("activist")))
    with translation.override("en"):
        assert render(value) == "Your stage changed: activist"
    with translation.override("zh-hans"):
        assert render(value) == "您的发展阶段已变更：入党积极分子"
    assert render(stored("会后请交材料")) == "会后请交材料"


OWED = ngettext_lazy(
    "Approved with dues owed for %(n)d month (%(months)s): %(reason)s",
    "Approved with dues owed for %(n)d months (%(months)s): %(reason)s",
    "n",
)


@pytest.mark.parametrize(("n", "english"), [(1, "1 month"), (2, "2 months"), (0, "0 months")])
def test_a_sentence_with_a_count_takes_the_form_of_the_readers_language(n, english):
    with translation.override("zh-hans"):  # written by someone working in Chinese
        value = stored(Text(OWED, n=n, months="2026-10", reason="补交"))
    assert value["t"] == OWED._kw["singular"]
    assert (value["pl"], value["n"], value["p"]["n"]) == (OWED._kw["plural"], "n", n)
    with translation.override("en"):
        assert render(value) == f"Approved with dues owed for {english} (2026-10): 补交"
    with translation.override("zh-hans"):
        assert render(value) == f"欠缴党费{n}个月（2026-10）仍予审批，理由：补交"


def test_a_count_must_be_a_number_and_a_stored_one_lost_shows_the_key():
    with pytest.raises(TypeError, match="'n'"):
        Text(OWED, n="2", months="2026-10", reason="x")
    value = stored(Text(OWED, n=2, months="2026-10", reason="x"))
    del value["p"]["n"]
    with translation.override("en"):
        assert render(value) == OWED._kw["singular"]


@pytest.mark.zh_default
@pytest.mark.django_db(transaction=True)
def test_the_bell_and_the_mail_speak_the_readers_language(client):
    reader_en, reader_zh = UserFactory(username="en_reader"), UserFactory(username="zh_reader")
    UserLanguage.objects.create(user=reader_en, language="en")
    with transaction.atomic(), translation.override("en"):  # the sender's language is not the readers'
        notify(recipients=[reader_en, reader_zh], title=Text(TITLE, room="A101"), body="9:00", url="/services/")
    subjects = {m.to[0]: m.subject for m in mail.outbox}
    assert "Room booking confirmed: A101" in subjects["en_reader@example.com"]
    assert "会议室预约已确认：A101" in subjects["zh_reader@example.com"]

    client.force_login(reader_zh)
    page = client.get(reverse("notifications"), headers={"accept-language": "zh-hans"}).content.decode()
    assert "会议室预约已确认：A101" in page
    page = client.get(reverse("notifications"), headers={"accept-language": "en"}).content.decode()
    assert "Room booking confirmed: A101" in page
    assert "会议室预约" not in page
    api = client.get("/api/v1/notifications/", headers={"accept-language": "en"}).json()
    assert api["results"][0]["title"] == "Room booking confirmed: A101"
    # The back office searches the text in the default language.
    assert Notification.objects.get(recipient=reader_en).title == "会议室预约已确认：A101"


@pytest.mark.django_db
def test_switching_the_language_keeps_the_preference(client):
    user = UserFactory()
    client.force_login(user)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert UserLanguage.objects.get(user=user).language == "en"
    client.post(reverse("set_language"), {"language": "xx", "next": "/"})
    assert UserLanguage.objects.get(user=user).language == "en"


@pytest.mark.zh_default
def test_old_rows_in_chinese_are_recognised_as_keys_and_others_stay_as_written():
    migration = importlib.import_module("notifications.migrations.0005_message_keys_data")
    patterns = migration._patterns()
    recognised = migration._recognise("会议室预约已确认：A101", patterns)
    assert recognised == {"t": "Room booking confirmed: %(room)s", "p": {"room": "A101"}}
    with translation.override("en"):
        assert render(recognised) == "Room booking confirmed: A101"
    assert migration._recognise("请尽快交材料", patterns) == "请尽快交材料"
