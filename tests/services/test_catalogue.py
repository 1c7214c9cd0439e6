"""The catalogue is data in both languages, with the categories the parks' service teams serve."""

import pytest
from django.urls import reverse
from django.utils import translation

from services.models import ServiceCategory

pytestmark = pytest.mark.django_db

TEAM_CATEGORIES = {
    "financing": ("融资与金融服务", "Financing and financial services"),
    "tax": ("税务咨询", "Tax consultation"),
    "legal": ("法律服务", "Legal services"),
    "market-regulation": ("市场监管", "Market regulation"),
}


def test_the_migration_adds_the_teams_categories_in_both_languages():
    rows = {c.code: (c.name, c.name_en) for c in ServiceCategory.objects.filter(code__in=TEAM_CATEGORIES)}
    assert rows == TEAM_CATEGORIES
    # The eight defaults got their English name.
    assert ServiceCategory.objects.get(code="ecommerce-policy").name_en == "E-commerce policy consultation"
    assert not ServiceCategory.objects.filter(is_active=True, name_en="").exists()


def test_pages_show_the_name_in_the_active_language(client, svc):
    financing = ServiceCategory.objects.get(code="financing")
    with translation.override("en"):
        assert str(financing) == "Financing and financial services"
    with translation.override("zh-hans"):
        assert str(financing) == "融资与金融服务"
    client.force_login(svc.contact)
    client.cookies["django_language"] = "en"
    html = client.get(reverse("services:request_new")).content.decode()
    assert "Financing and financial services" in html
    assert "融资与金融服务" not in html
    client.cookies["django_language"] = "zh-hans"
    html = client.get(reverse("services:request_new")).content.decode()
    assert "融资与金融服务" in html
