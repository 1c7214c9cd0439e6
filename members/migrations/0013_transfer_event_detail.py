"""A transfer step gets ``detail``: the portal's own note on the step as a message key with its
parameters (core.texts), read in each reader's language. The approvals written before kept the
sentence on the months owed in the approver's language, after the letter's line in ``note``; it is
moved into ``detail`` here, from the two texts it could have been stored as (English or Chinese)."""

import re

from django.db import migrations, models

SINGULAR = "Approved with dues owed for %(n)d month (%(months)s): %(reason)s"
PLURAL = "Approved with dues owed for %(n)d months (%(months)s): %(reason)s"
STORED_AS = [
    re.compile(r"Approved with dues owed for (\d+) months? \(([^)]*)\): (.*)", re.S),
    re.compile(r"欠缴党费(\d+)个月（([^）]*)）仍予审批，理由：(.*)", re.S),
]


def sentences_to_detail(apps, schema_editor):
    TransferEvent = apps.get_model("members", "TransferEvent")
    for event in TransferEvent.objects.filter(action="approve", note__contains="\n").iterator():
        letter_line, _newline, sentence = event.note.partition("\n")
        for pattern in STORED_AS:
            found = pattern.fullmatch(sentence)
            if found:
                n, months, reason = int(found[1]), found[2], found[3]
                event.detail = {"t": SINGULAR, "pl": PLURAL, "n": "n", "p": {"n": n, "months": months, "reason": reason}}
                event.note = letter_line
                event.save(update_fields=["detail", "note"])
                break


def detail_to_sentences(apps, schema_editor):
    TransferEvent = apps.get_model("members", "TransferEvent")
    for event in TransferEvent.objects.filter(action="approve").exclude(detail={}).iterator():
        params = event.detail.get("p", {})
        sentence = (SINGULAR if params.get("n") == 1 else PLURAL) % params
        event.note = f"{event.note}\n{sentence}"
        event.save(update_fields=["note"])


class Migration(migrations.Migration):
    dependencies = [("members", "0012_system_notes_as_keys")]

    operations = [
        migrations.AddField(
            model_name="transferevent",
            name="detail",
            field=models.JSONField(blank=True, default=dict, editable=False, verbose_name="detail"),
        ),
        migrations.RunPython(sentences_to_detail, detail_to_sentences),
    ]
