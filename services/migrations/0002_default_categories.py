"""The eight default entries of the service centre's catalogue (DESIGN §2); editable afterwards."""

from django.db import migrations

DEFAULTS = [
    ("relation-transfer", "Organisation-relation transfer"),
    ("party-policy", "Party-affairs policy consultation"),
    ("education-training", "Education and training"),
    ("care-assistance", "Care and assistance"),
    ("ecommerce-policy", "E-commerce policy consultation"),
    ("experience-sharing", "Experience sharing"),
    ("culture-sports", "Culture and sports"),
    ("public-opinion", "Public-opinion channel"),
]
# Stored in Chinese, the portal's default language: the names are data, edited by park staff.
NAMES_ZH = {
    "relation-transfer": "组织关系转接",
    "party-policy": "党务政策咨询",
    "education-training": "教育培训",
    "care-assistance": "关怀帮扶",
    "ecommerce-policy": "电商政策咨询",
    "experience-sharing": "经验交流",
    "culture-sports": "文体活动",
    "public-opinion": "社情民意",
}


def create(apps, schema_editor):
    ServiceCategory = apps.get_model("services", "ServiceCategory")
    for position, (code, english) in enumerate(DEFAULTS, start=1):
        ServiceCategory.objects.get_or_create(
            code=code, defaults={"name": NAMES_ZH[code], "description": english, "position": position * 10}
        )


def remove(apps, schema_editor):
    ServiceCategory = apps.get_model("services", "ServiceCategory")
    ServiceCategory.objects.filter(code__in=[code for code, _ in DEFAULTS], requests__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("services", "0001_initial")]
    operations = [migrations.RunPython(create, remove)]
