from django.db import migrations

# The term lengths of the rules (elections/rules.py); editable afterwards as data.
DEFAULTS = {"committee": 5, "general_branch": 3, "branch": 3, "joint_branch": 3}


def seed(apps, schema_editor):
    TermRule = apps.get_model("elections", "TermRule")
    for kind, years in DEFAULTS.items():
        TermRule.objects.get_or_create(kind=kind, defaults={"years": years})


class Migration(migrations.Migration):
    dependencies = [("elections", "0001_elections_and_committees")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
