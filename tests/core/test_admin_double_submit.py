"""A back-office add form sent twice adds once (core.admin.ScopedAdmin.add_view, core.idempotency)."""

import datetime
import re

import pytest
from django.contrib import admin
from django.urls import reverse
from django.utils import timezone

from core.admin import ScopedAdmin
from core.idempotency import FORM_FIELD
from members.models import MemberLeave

pytestmark = pytest.mark.django_db

TOKEN = re.compile(r'<form[^>]*id="\w+_form"[^>]*>.*?name="' + FORM_FIELD + r'" value="([0-9a-f]{32})"', re.S)


def test_every_add_form_of_the_back_office_carries_its_own_token(client, world):
    client.force_login(world.superuser)
    checked = 0
    for model, model_admin in admin.site._registry.items():
        if not isinstance(model_admin, ScopedAdmin):
            continue
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_add")
        response = client.get(url)
        if response.status_code == 403:  # read-only in the back office
            continue
        assert response.status_code == 200, url
        first = TOKEN.search(response.content.decode())
        assert first, f"{url}: no token inside the form"
        assert TOKEN.search(client.get(url).content.decode()).group(1) != first.group(1), url
        checked += 1
    assert checked >= 10
    # A change form is not a create: no token.
    change = client.get(reverse("admin:parks_park_change", args=[world.park_a1.pk])).content.decode()
    assert FORM_FIELD not in change


def test_the_same_add_form_sent_twice_adds_one_row_and_shows_it(client, world):
    client.force_login(world.park_admin)
    add = reverse("admin:members_memberleave_add")
    token = TOKEN.search(client.get(add).content.decode()).group(1)
    data = {
        "member": world.member_a1.pk,
        "kind": "abroad",
        "starts_on": (timezone.localdate() - datetime.timedelta(days=10)).isoformat(),
        "arrangement": "赴外学习，支部批准",
        FORM_FIELD: token,
    }
    first = client.post(add, data)
    assert first.status_code == 302
    again = client.post(add, data, follow=True)
    assert MemberLeave.objects.count() == 1
    assert again.redirect_chain[0][0] == first["Location"]
    assert "This form had already been sent: here is what it did." in again.content.decode()
    # A new form (a new token) adds a new row.
    fresh = TOKEN.search(client.get(add).content.decode()).group(1)
    assert client.post(add, {**data, FORM_FIELD: fresh}).status_code == 302
    assert MemberLeave.objects.count() == 2


def test_a_refused_add_form_keeps_its_token_and_the_corrected_one_adds_once(client, world):
    client.force_login(world.park_admin)
    add = reverse("admin:members_memberleave_add")
    token = TOKEN.search(client.get(add).content.decode()).group(1)
    data = {"kind": "abroad", "starts_on": timezone.localdate().isoformat(), "arrangement": "x", FORM_FIELD: token}
    refused = client.post(add, data)  # no member
    assert refused.status_code == 200
    assert TOKEN.search(refused.content.decode()).group(1) == token
    corrected = {**data, "member": world.member_a1.pk}
    assert client.post(add, corrected).status_code == 302
    assert client.post(add, corrected).status_code == 302
    assert MemberLeave.objects.count() == 1
