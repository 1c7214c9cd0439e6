"""Two-factor authentication for the back office (issue #17): set-up, verification, recovery codes,
turning it off; API tokens unaffected."""

import re

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import twofactor
from tests.api.conftest import token_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def required(settings):
    settings.HONGFAN_REQUIRE_2FA = True


def code_of(device) -> str:
    value = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=device.drift)
    return f"{value:0{device.digits}d}"


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def with_device(user) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name=twofactor.TOTP_DEVICE, confirmed=True)


def test_a_park_admin_without_a_device_is_sent_to_the_setup_and_sets_it_up(required, world):
    client = logged_in(world.park_admin)
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('twofactor_setup')}?next=%2Fadmin%2F"
    page = client.get(response["Location"]).content.decode()
    assert "<svg" in page
    device = TOTPDevice.objects.get(user=world.park_admin, confirmed=False)
    assert "otpauth://" not in page  # the URI is in the picture only; the key is shown for typing
    assert twofactor.secret_text(device) in page
    wrong = "000000" if code_of(device) != "000000" else "111111"
    response = client.post(reverse("twofactor_setup"), {"code": wrong, "next": "/admin/"})
    assert "This code is not right" in response.content.decode()
    device.refresh_from_db()
    assert not device.confirmed
    device.throttle_reset()
    response = client.post(reverse("twofactor_setup"), {"code": code_of(device), "next": "/admin/"})
    codes = re.findall(r'<li class="col">(\w+)</li>', response.content.decode())
    assert len(codes) == twofactor.RECOVERY_CODES
    device.refresh_from_db()
    assert device.confirmed
    # The session is verified: the back office opens.
    assert client.get("/admin/").status_code == 200


def test_with_a_device_the_back_office_asks_for_a_code_and_a_valid_one_passes(required, world):
    device = with_device(world.park_admin)
    client = logged_in(world.park_admin)
    response = client.get("/admin/members/member/")
    assert response["Location"] == f"{reverse('twofactor_verify')}?next=%2Fadmin%2Fmembers%2Fmember%2F"
    response = client.post(reverse("twofactor_verify"), {"code": code_of(device), "next": "/admin/members/member/"})
    assert response.status_code == 302
    assert response["Location"] == "/admin/members/member/"
    assert client.get("/admin/members/member/").status_code == 200


def test_a_wrong_code_fails_with_a_form_error(required, world):
    device = with_device(world.park_admin)
    client = logged_in(world.park_admin)
    wrong = "000000" if code_of(device) != "000000" else "111111"
    response = client.post(reverse("twofactor_verify"), {"code": wrong})
    assert response.status_code == 200
    assert 'id="code-error"' in response.content.decode()
    assert client.get("/admin/")["Location"].startswith(reverse("twofactor_verify"))
    # An empty or overlong code is a form error too, never a server error.
    assert client.post(reverse("twofactor_verify"), {"code": ""}).status_code == 200
    assert client.post(reverse("twofactor_verify"), {"code": "1" * 100}).status_code == 200


def test_a_recovery_code_works_once(required, world):
    with_device(world.superuser)
    codes = twofactor.new_recovery_codes(world.superuser)
    assert StaticToken.objects.filter(device__user=world.superuser).count() == 10
    client = logged_in(world.superuser)
    response = client.post(reverse("twofactor_verify"), {"code": codes[0], "next": "/admin/"})
    assert response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200
    again = logged_in(world.superuser)
    response = again.post(reverse("twofactor_verify"), {"code": codes[0]})
    assert 'id="code-error"' in response.content.decode()
    assert StaticToken.objects.filter(device__user=world.superuser).count() == 9


def test_recovery_codes_are_stored_as_digests_and_work_typed_loosely(required, world):
    codes = twofactor.new_recovery_codes(world.superuser)
    stored = set(StaticToken.objects.filter(device__user=world.superuser).values_list("token", flat=True))
    assert not stored & set(codes)  # what the table holds is no code
    assert stored == {twofactor.recovery_digest(code) for code in codes}
    assert all(len(token) == 16 for token in stored)
    client = logged_in(world.superuser)
    response = client.post(reverse("twofactor_verify"), {"code": f" {codes[1].upper()[:4]} {codes[1].upper()[4:]} "})
    assert response.status_code == 302  # spaces and capitals as a person types them
    assert StaticToken.objects.filter(device__user=world.superuser).count() == 9


def test_a_wrong_recovery_code_does_not_slow_down_the_app_code(required, world):
    device = with_device(world.superuser)
    twofactor.new_recovery_codes(world.superuser)
    client = logged_in(world.superuser)
    client.post(reverse("twofactor_verify"), {"code": "notacode"})
    response = client.post(reverse("twofactor_verify"), {"code": code_of(device), "next": "/admin/"})
    assert response["Location"] == "/admin/"


def test_the_migration_hashes_the_codes_issued_before(required, world):
    import importlib

    from django.apps import apps

    twofactor.new_recovery_codes(world.superuser)
    device = StaticToken.objects.filter(device__user=world.superuser).first().device
    device.token_set.all().delete()
    StaticToken.objects.create(device=device, token="abcd2345")  # as django-otp stored it
    importlib.import_module("accounts.migrations.0004_recovery_codes_hashed").hash_codes(apps, None)
    assert StaticToken.objects.get(device=device).token == twofactor.recovery_digest("abcd2345")
    client = logged_in(world.superuser)
    assert client.post(reverse("twofactor_verify"), {"code": "abcd2345"}).status_code == 302


def test_new_recovery_codes_replace_the_old_ones_in_a_verified_session(required, world):
    device = with_device(world.superuser)
    old = twofactor.new_recovery_codes(world.superuser)
    client = logged_in(world.superuser)
    # Not verified yet: sent to verify first.
    assert client.post(reverse("twofactor_recovery_codes"))["Location"].startswith(reverse("twofactor_verify"))
    client.post(reverse("twofactor_verify"), {"code": code_of(device)})
    page = client.post(reverse("twofactor_recovery_codes")).content.decode()
    new = re.findall(r'<li class="col">(\w+)</li>', page)
    assert len(new) == 10
    assert not set(old) & set(StaticToken.objects.values_list("token", flat=True))


def test_the_api_token_works_without_a_second_factor(required, world):
    with_device(world.park_admin)
    response = token_client(world.park_admin).get("/api/v1/users/me/")
    assert response.status_code == 200
    assert response.json()["username"] == "parkadmin"


def test_optional_for_others_and_off_when_not_required(settings, world):
    settings.HONGFAN_REQUIRE_2FA = True
    # Only superusers and park administrators use the back office; for others it is optional and
    # the back office sends them to its own login as before.
    assert logged_in(world.official).get("/admin/")["Location"].startswith(reverse("admin:login"))
    settings.HONGFAN_REQUIRE_2FA = False
    assert logged_in(world.park_admin).get("/admin/").status_code == 200


def test_an_optional_user_turns_it_off_a_required_one_cannot(required, world):
    device = with_device(world.official)
    client = logged_in(world.official)
    client.post(reverse("twofactor_verify"), {"code": code_of(device)})
    client.post(reverse("twofactor_disable"))
    assert not TOTPDevice.objects.filter(user=world.official).exists()
    device = with_device(world.park_admin)
    client = logged_in(world.park_admin)
    client.post(reverse("twofactor_verify"), {"code": code_of(device)})
    response = client.post(reverse("twofactor_disable"), follow=True)
    assert "cannot be turned off" in response.content.decode()
    assert TOTPDevice.objects.filter(user=world.park_admin).exists()


def test_the_status_page(world):
    client = logged_in(world.secretary)
    page = client.get(reverse("twofactor_status")).content.decode()
    assert "Two-factor authentication is off." in page
    assert 'href="/accounts/2fa/"' in client.get("/").content.decode()


# -- the portal pages that would otherwise get round it ---------------------------------------------

GUARDED = [
    ("api_tokens", ()),
    ("imports", ()),
    ("export", ("members",)),
    ("import_template", ("members", "xlsx")),
]


@pytest.mark.parametrize(("name", "args"), GUARDED)
def test_imports_exports_and_tokens_need_the_second_factor_too(required, world, name, args):
    url = reverse(name, args=args)
    client = logged_in(world.park_admin)  # must have one, has none
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('twofactor_setup')}?next={url.replace('/', '%2F')}"
    device = with_device(world.park_admin)  # has one, this session not verified
    response = client.get(url)
    assert response["Location"].startswith(f"{reverse('twofactor_verify')}?next=")
    client.post(reverse("twofactor_verify"), {"code": code_of(device), "next": url})
    assert client.get(url).status_code == 200


def test_an_export_is_not_written_nor_a_token_made_before_the_second_factor(required, world):

    from accounts.models import ApiToken
    from dataio.models import ExportJob

    with_device(world.park_admin)
    client = logged_in(world.park_admin)
    response = client.get(reverse("export", args=["members"]), {"format": "csv"})
    assert response.status_code == 302
    assert not getattr(response, "streaming", False)
    assert client.post(reverse("export", args=["members"]), {"format": "csv"}).status_code == 302
    assert not ExportJob.objects.exists()
    tokens = ApiToken.objects.count()
    assert client.post(reverse("api_tokens")).status_code == 302
    assert ApiToken.objects.count() == tokens


def test_the_other_pages_and_users_without_a_device_are_not_affected(required, world):
    with_device(world.park_admin)
    client = logged_in(world.park_admin)
    assert client.get(reverse("home")).status_code == 200
    assert client.get(reverse("members:branch_home")).status_code in (200, 302)
    assert "twofactor" not in client.get(reverse("members:branch_home")).get("Location", "")
    # A secretary need not have one, and has none: the imports open as before.
    assert logged_in(world.secretary).get(reverse("imports")).status_code == 200
