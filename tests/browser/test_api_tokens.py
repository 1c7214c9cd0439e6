"""The API token page reached from the menu, and Swagger UI served without a CDN."""

import pytest

from accounts.models import ApiToken, Role
from tests.factories import MemberFactory, OrganizationFactory, ParkFactory, UserFactory, assign

from .conftest import ARTIFACTS, PHONE, login, screenshot


@pytest.fixture
def secretary(transactional_db):
    park = ParkFactory(name="乌镇互联网产业园")
    branch = OrganizationFactory(name="乌镇互联网产业园支部", park=park, district=park.district)
    user = assign(UserFactory(username="secretary", first_name="书记"), Role.BRANCH_SECRETARY, branch)
    MemberFactory(name="王书记", organization=branch, user=user)
    return user


def test_create_and_revoke_a_token_from_the_menu(new_page, secretary):
    page = new_page()
    login(page, "secretary")
    page.click("#user-menu")
    page.click(".hf-user-menu a[href='/accounts/tokens/']")
    page.wait_for_load_state("networkidle")
    assert "You have no API token." in page.inner_text("#token-status")
    page.click("#token-create")
    page.wait_for_load_state("networkidle")
    key = page.input_value("#token-key")
    token = ApiToken.objects.get(user=secretary)
    assert token.prefix == key[:6]
    assert key not in (token.digest, token.prefix)
    screenshot(page, "api-tokens-created")
    page.goto("/accounts/tokens/")
    assert page.locator("#token-key").count() == 0
    assert key[:6] in page.inner_text("#token-status")
    page.click("#token-revoke")
    page.wait_for_load_state("networkidle")
    assert "revoked" in page.inner_text("body")
    assert not ApiToken.objects.filter(user=secretary).exists()


def test_token_page_on_a_phone_in_chinese(new_page, secretary):
    page = new_page(viewport=PHONE, locale="zh-CN")
    login(page, "secretary")
    page.goto("/accounts/tokens/")
    page.click("#token-create")
    page.wait_for_load_state("networkidle")
    assert page.locator("#token-key").is_visible()
    # The key fits the screen: no horizontal scrolling.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    screenshot(page, "api-tokens-phone-zh")


def test_swagger_ui_and_redoc_render_offline(new_page, live_server, secretary):
    page = new_page()
    off_site = []  # requests the browser let through to another site
    page.on(
        "request",
        lambda r: off_site.append(r) if not r.url.startswith((live_server.url, "data:", "blob:")) else None,
    )
    login(page, "secretary")
    # Swagger UI renders the tags lazily while scrolling; a deep link opens one step directly.
    page.goto("/api/v1/docs/#/transfers/transfers_approve_create")
    page.wait_for_selector(".swagger-ui .information-container", timeout=30000)
    assert "Hongfan API" in page.inner_text(".swagger-ui .information-container")
    page.wait_for_selector("#operations-transfers-transfers_approve_create", timeout=30000)
    viewport_screenshot(page, "api-swagger")
    page.goto("/api/v1/redoc/")
    page.wait_for_selector("[data-section-id='tag/transfers']", state="attached", timeout=30000)
    viewport_screenshot(page, "api-redoc")
    page.wait_for_load_state("networkidle")
    # Redoc's bundle links its "by Redocly" logo from its own site: the page's content security
    # policy stops it in the browser, before any connection is made.
    assert [(r.url, r.failure) for r in off_site if r.failure not in ("csp", "net::ERR_BLOCKED_BY_CSP")] == []


def viewport_screenshot(page, name):
    """The visible part only: the whole documentation page is too tall for one picture."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))
