"""The catalogue in both languages, and the entries the parks' service teams serve (financing, tax,
legal, market regulation): data, editable afterwards in the back office."""

from django.db import migrations

# code: (Chinese name, English name); the eight defaults of 0002 get their English name, which
# that migration had put in the description.
ENGLISH = {
    "relation-transfer": "Organisation-relation transfer",
    "party-policy": "Party-affairs policy consultation",
    "education-training": "Education and training",
    "care-assistance": "Care and assistance",
    "ecommerce-policy": "E-commerce policy consultation",
    "experience-sharing": "Experience sharing",
    "culture-sports": "Culture and sports",
    "public-opinion": "Public-opinion channel",
}
# New entries, one per kind of service team (services.models.ServiceTeam.Kind), after the defaults.
NEW = [
    ("financing", "融资与金融服务", "Financing and financial services", "贷款贴息、供应链金融、银企对接等。"),
    ("tax", "税务咨询", "Tax consultation", "纳税申报、出口退税、税收优惠政策等。"),
    ("legal", "法律服务", "Legal services", "合同、知识产权、劳动用工等法律问题。"),
    ("market-regulation", "市场监管", "Market regulation", "登记注册、广告合规、产品质量与消费者权益等。"),
]


def forward(apps, schema_editor):
    ServiceCategory = apps.get_model("services", "ServiceCategory")
    for code, english in ENGLISH.items():
        category = ServiceCategory.objects.filter(code=code).first()
        if category is not None and not category.name_en:
            category.name_en = english
            if category.description == english:  # 0002 kept the English name there
                category.description = ""
            category.save(update_fields=["name_en", "description"])
    for position, (code, name, english, description) in enumerate(NEW, start=9):
        ServiceCategory.objects.get_or_create(
            code=code,
            defaults={"name": name, "name_en": english, "description": description, "position": position * 10},
        )


def backward(apps, schema_editor):
    ServiceCategory = apps.get_model("services", "ServiceCategory")
    ServiceCategory.objects.filter(code__in=[code for code, *_rest in NEW], requests__isnull=True).delete()
    for code, english in ENGLISH.items():
        ServiceCategory.objects.filter(code=code, description="").update(description=english)


class Migration(migrations.Migration):
    dependencies = [("services", "0006_category_name_en")]
    operations = [migrations.RunPython(forward, backward)]
