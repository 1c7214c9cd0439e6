"""The notes and reasons the system wrote (an import, a change in the back office) were stored
translated, in the language of whoever caused them. They are stored as their message key now and
translated for each reader (``members.models.shown_note``): the rows written before are turned
back into their key, from the texts they could have been stored as (Chinese or English)."""

from django.db import migrations

# key -> the texts it was stored as (the catalogue's Chinese, and the English key itself).
STORED_AS = {
    "Imported from a spreadsheet.": ["从电子表格导入。"],
    "changed in the back office": ["在后台修改"],
}


def to_keys(apps, schema_editor):
    StageChange = apps.get_model("members", "StageChange")
    MembershipEvent = apps.get_model("members", "MembershipEvent")
    for key, texts in STORED_AS.items():
        StageChange.objects.filter(reason__in=texts).update(reason=key)
        MembershipEvent.objects.filter(note__in=texts).update(note=key)


class Migration(migrations.Migration):
    dependencies = [("members", "0011_member_probationary_on_index")]

    operations = [migrations.RunPython(to_keys, migrations.RunPython.noop)]
