"""The layout in a real browser: phone and desktop, Chinese and English, the collapsed menu."""

import pytest

from accounts.models import Role
from members.models import Stage
from tests.factories import (
    EnterpriseFactory,
    MemberFactory,
    OrganizationFactory,
    ParkFactory,
    RoomFactory,
    UserFactory,
    assign,
)

from .conftest import DESKTOP, PHONE, login, screenshot


@pytest.fixture
def people(transactional_db):
    park = ParkFactory(name="乌镇互联网产业园")
    branch = OrganizationFactory(name="乌镇互联网产业园支部", park=park, district=park.district)
    enterprise = EnterpriseFactory(name="乌镇电子商务有限公司", park=park)
    branch.enterprises.add(enterprise)
    RoomFactory(park=park, name="党员活动室")
    secretary = assign(UserFactory(username="secretary", first_name="书记"), Role.BRANCH_SECRETARY, branch)
    MemberFactory(name="王书记", organization=branch, user=secretary, employer=enterprise, points=12)
    MemberFactory.create_batch(2, organization=branch)
    MemberFactory(organization=branch, stage=Stage.PROBATIONARY, full_on=None)
    parkadmin = assign(UserFactory(username="parkadmin"), Role.PARK_ADMIN, park)
    return {"secretary": secretary, "parkadmin": parkadmin}


def switch_language(page, code):
    page.click("#language-menu")
    with page.expect_navigation():
        page.click(f"button[name=language][value={code}]")
    page.wait_for_load_state("networkidle")


def test_phone_layout_collapsed_menu_and_language(new_page, people):
    page = new_page(viewport=PHONE, locale="zh-CN")
    login(page, "secretary")
    assert page.url.endswith("/")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    # Our CSS and Bootstrap's are loaded: the navbar has the red gradient, the container its padding.
    navbar_bg = page.eval_on_selector(".hf-navbar", "el => getComputedStyle(el).backgroundImage")
    assert "linear-gradient" in navbar_bg
    assert page.eval_on_selector("#main-menu", "el => getComputedStyle(el).display") == "none"
    # The bell stays visible outside the collapsed menu.
    assert page.locator("#notification-bell").is_visible()
    assert page.locator("#card-member").is_visible()
    assert page.locator("#card-organization").is_visible()
    screenshot(page, "layout-phone-zh-hans")

    page.click(".navbar-toggler")
    page.wait_for_selector("#main-menu.show", state="visible")
    page.wait_for_timeout(400)  # the collapse animation
    assert page.locator("#main-menu .nav-link.active").first.is_visible()
    assert page.locator("#user-menu").is_visible()
    screenshot(page, "layout-phone-menu-open")

    switch_language(page, "en")
    assert page.locator("html").get_attribute("lang") == "en"
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    assert cookies.get("django_language") == "en"
    screenshot(page, "layout-phone-en")


def assert_fits_the_width(page):
    """The menu bar of a park administrator, who sees the most items, fits a 1280 px screen on
    one line: no sideways scrolling, the navbar one row high."""
    assert page.evaluate("document.documentElement.scrollWidth") <= DESKTOP["width"]
    assert page.eval_on_selector(".hf-navbar", "el => el.getBoundingClientRect().height") < 80


def test_desktop_layout_in_both_languages(new_page, people):
    page = new_page(viewport=DESKTOP, locale="zh-CN")
    login(page, "parkadmin")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert page.eval_on_selector("#main-menu", "el => getComputedStyle(el).display") != "none"
    assert page.locator(".navbar-toggler").is_hidden()
    # Bootstrap icons' font is loaded from static/vendor.
    assert page.evaluate("document.fonts.check('16px bootstrap-icons')")
    assert page.locator(".hf-card-park").count() == 1
    screenshot(page, "layout-desktop-zh-hans")
    assert_fits_the_width(page)

    page.click("#user-menu")
    assert page.locator("#logout-form button").is_visible()
    screenshot(page, "layout-desktop-user-menu")
    page.keyboard.press("Escape")

    switch_language(page, "en")
    assert page.locator("html").get_attribute("lang") == "en"
    assert_fits_the_width(page)
    page.click("#menu-work > a")
    assert page.locator('#menu-work a[href="/activities/"]').is_visible()
    screenshot(page, "layout-desktop-en")
    page.keyboard.press("Escape")

    # Log out through the POST form in the user menu.
    page.click("#user-menu")
    with page.expect_navigation():
        page.click("#logout-form button")
    assert "/accounts/login/" in page.url
    screenshot(page, "layout-desktop-login-en")
