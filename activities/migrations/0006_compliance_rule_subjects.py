"""The subject of the default rules: 支委会 binds branches with a committee, 党小组会 branches with
party groups (《中国共产党支部工作条例（试行）》第十二条, 第十三条); every other rule every branch."""

from django.db import migrations

SUBJECTS = {"committee_meeting": "with_committee", "group_meeting": "with_groups"}


def set_subjects(apps, schema_editor):
    ComplianceRule = apps.get_model("activities", "ComplianceRule")
    for kind, subject in SUBJECTS.items():
        ComplianceRule.objects.filter(kind=kind, applies_to="every_branch").update(applies_to=subject)


def unset_subjects(apps, schema_editor):
    ComplianceRule = apps.get_model("activities", "ComplianceRule")
    ComplianceRule.objects.filter(kind__in=list(SUBJECTS)).update(applies_to="every_branch")


class Migration(migrations.Migration):
    dependencies = [("activities", "0005_compliance_rule_applies_to")]

    operations = [migrations.RunPython(set_subjects, unset_subjects)]
