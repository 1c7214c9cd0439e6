"""A page that does not exist is the portal's own 404, in the reader's language (issue #15)."""

from urllib.parse import urlparse

import pytest

from accounts.models import Role
from tests.factories import OrganizationFactory, UserFactory, assign

from .conftest import DEMO_PASSWORD, PHONE, login, screenshot

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize(
    ("locale", "title", "back", "foreign"),
    [
        ("zh-CN", "页面不存在", "返回首页", "Page not found"),
        ("en-US", "Page not found", "Back to the home page", "页面不存在"),
    ],
)
def test_a_missing_page_is_our_404_in_the_readers_language(new_page, locale, title, back, foreign):
    assign(UserFactory(username="secretary", password=DEMO_PASSWORD), Role.BRANCH_SECRETARY, OrganizationFactory())
    page = new_page(viewport=PHONE, locale=locale)
    login(page, "secretary")
    response = page.goto("/activities/999999/")
    assert response.status == 404
    assert page.get_by_role("heading", name=title).is_visible()
    assert foreign not in page.content()
    assert "Traceback" not in page.content()
    screenshot(page, f"error-404-{locale}")
    page.get_by_role("link", name=back).click()
    page.wait_for_load_state("networkidle")
    assert urlparse(page.url).path == "/"  # back on the home page
