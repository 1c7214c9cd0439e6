"""The default 三会一课 frequencies of DESIGN §3 and default points; both are editable in the admin."""

from django.db import migrations

COMPLIANCE_RULES = [
    ("party_congress", "quarter", 1),
    ("committee_meeting", "month", 1),
    ("group_meeting", "month", 1),
    ("party_lecture", "quarter", 1),
    ("themed_day", "month", 1),
    ("life_meeting", "year", 1),
    ("democratic_review", "year", 1),
]

POINT_RULES = [
    ("party_congress", 3, 0),
    ("committee_meeting", 2, 0),
    ("group_meeting", 2, 0),
    ("party_lecture", 3, 0),
    ("themed_day", 3, 0),
    ("life_meeting", 3, 0),
    ("democratic_review", 3, 0),
    ("training", 2, 0),
    ("salon", 1, 0),
    ("forum", 1, 0),
    ("volunteer", 2, 1),
    ("mass_activity", 1, 0),
    ("other", 1, 0),
]


def create_defaults(apps, schema_editor):
    ComplianceRule = apps.get_model("activities", "ComplianceRule")
    PointRule = apps.get_model("activities", "PointRule")
    for kind, period, minimum in COMPLIANCE_RULES:
        ComplianceRule.objects.get_or_create(kind=kind, defaults={"period": period, "minimum_count": minimum})
    for kind, points, per_hour in POINT_RULES:
        PointRule.objects.get_or_create(kind=kind, defaults={"points": points, "points_per_volunteer_hour": per_hour})


class Migration(migrations.Migration):
    dependencies = [("activities", "0001_initial")]

    operations = [migrations.RunPython(create_defaults, migrations.RunPython.noop)]
