"""The back office in a real browser: a park administrator's member list, and the lock-out page."""

import pytest

from .conftest import DESKTOP, PHONE, login, screenshot


@pytest.fixture
def world_committed(transactional_db):
    from tests.scenario import build_world

    return build_world()


def test_park_admin_member_list(new_page, world_committed):
    w = world_committed
    page = new_page(viewport=DESKTOP)
    login(page, "parkadmin")
    page.goto("/admin/members/member/")
    page.wait_for_load_state("networkidle")
    body = page.inner_text("body")
    assert "成员A1" in body
    assert "成员B" not in body
    assert "成员A2" not in body
    assert w.member_a1.id_number in body  # their own park: the full number
    screenshot(page, "admin-member-list-parkadmin")
    page.goto("/admin/parks/enterprise/")
    body = page.inner_text("body")
    assert "企业A1" in body
    assert "企业B" not in body
    assert "园区B" not in body
    screenshot(page, "admin-enterprise-list-parkadmin")


def test_lockout_page(new_page, world_committed):
    page = new_page(viewport=PHONE)
    for _ in range(5):
        login(page, "secretary", "wrong-password")
    login(page, "secretary")
    assert page.locator("#locked-out").is_visible()
    screenshot(page, "login-locked-out-phone")
