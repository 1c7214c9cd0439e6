"""Two-factor authentication in the browser: a park administrator opening the back office sets up
an authenticator from the QR code, gets recovery codes, and reaches the back office."""

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import Role
from tests.factories import ParkFactory, UserFactory, assign

from .conftest import PHONE, login, screenshot


@pytest.fixture
def park_admin(transactional_db, settings):
    settings.HONGFAN_REQUIRE_2FA = True
    return assign(
        UserFactory(username="parkadmin", first_name="园区"), Role.PARK_ADMIN, ParkFactory(name="乌镇互联网产业园")
    )


def test_set_up_from_the_back_office_on_a_phone_in_chinese(new_page, park_admin):
    page = new_page(viewport=PHONE, locale="zh-CN")
    login(page, "parkadmin")
    page.goto("/admin/")
    page.wait_for_load_state("networkidle")
    assert page.url.endswith("/accounts/2fa/setup/?next=%2Fadmin%2F")
    qr = page.locator("#twofactor-qr svg")
    assert qr.is_visible()
    box = qr.bounding_box()
    assert box["width"] >= 120  # large enough to scan
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    screenshot(page, "twofactor-setup-phone-zh")
    device = TOTPDevice.objects.get(user=park_admin)
    code = f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"
    page.fill("input[name=code]", code)
    page.click("#twofactor-confirm")
    page.wait_for_load_state("networkidle")
    assert page.locator("#recovery-codes li").count() == 10
    screenshot(page, "twofactor-recovery-codes-phone-zh")
    page.click("#twofactor-done")
    page.wait_for_load_state("networkidle")
    assert page.url.endswith("/admin/")
