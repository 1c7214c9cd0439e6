"""Issue #15: the introduction letter prints as the standard document (stub, letter, receipt on one
A4 page, no menus), and its QR code opens the public check filled in."""

import re

import pytest

from accounts.models import Role
from members.actions import transfer_approve, transfer_request
from tests.factories import DistrictFactory, MemberFactory, OrganizationFactory, ParkFactory, UserFactory, assign

from .conftest import ARTIFACTS, PHONE, login, screenshot

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def letter():
    park = ParkFactory(name="乌镇互联网产业园", district=DistrictFactory(name="桐乡市", code="330483"))
    branch_from = OrganizationFactory(name="乌镇互联网产业园第一支部", park=park)
    branch_to = OrganizationFactory(name="嘉兴电商园第一支部", park=ParkFactory(name="嘉兴电子商务产业园"))
    member = MemberFactory(name="张三丰", organization=branch_from, ethnicity="汉族")
    sender = assign(UserFactory(username="secretary"), Role.BRANCH_SECRETARY, branch_from)
    transfer = transfer_request(member=member, by=sender, to_organization=branch_to, reason="工作调动")
    return transfer_approve(transfer=transfer, by=sender, valid_months=1), member


def test_letter_prints_on_one_page_and_its_qr_opens_the_check(new_page, letter):
    transfer, member = letter
    page = new_page(locale="zh-CN")
    login(page, "secretary")
    page.goto(f"/members/transfers/{transfer.pk}/letter/")
    for part in ("#letter-stub", "#letter-body", "#letter-receipt"):
        assert page.locator(part).is_visible()
    assert page.locator("#stub-name").inner_text() == "张三丰"
    assert page.locator("#stub-id-number").inner_text() == member.id_number_masked
    text = page.locator("#letter-text").inner_text()
    assert f"兹介绍张三丰同志（正式党员），身份证号码{member.id_number_masked}，" in text
    assert "请转接组织关系。" in text
    assert page.locator("#receipt-text").inner_text() == "张三丰同志的党员组织关系已转达我处，特此回复。"
    screenshot(page, "letter-1-screen-zh")

    page.emulate_media(media="print")
    page.set_viewport_size({"width": 718, "height": 1047})  # A4 less the 10 mm margins, at 96 dpi
    assert not page.locator("nav.hf-navbar").is_visible()
    assert not page.locator("#print-letter").is_visible()
    screenshot(page, "letter-2-print-zh")
    # One A4 page: the browser's own PDF (what "Save as PDF" gives) has exactly one page.
    pdf = page.pdf(format="A4", prefer_css_page_size=True)
    (ARTIFACTS / "letter-print-zh.pdf").write_bytes(pdf)
    assert len(re.findall(rb"/Type\s*/Page(?!s)", pdf)) == 1
    page.emulate_media(media="screen")

    href = page.locator("#letter-qr").get_attribute("href")
    assert href.startswith("http://")
    visitor = new_page(viewport=PHONE, locale="zh-CN")
    visitor.goto(href)
    assert visitor.locator("#verify-result").get_attribute("data-result") == "valid"
    assert visitor.locator("#verify-member").inner_text() == "张**"
    assert visitor.locator("#verify-from").inner_text() == "乌镇互联网产业园第一支部"
    assert visitor.locator("#verify-to").inner_text() == "嘉兴电商园第一支部"
    assert visitor.locator("#verify-number").inner_text() == transfer.letter_number
    assert visitor.locator("input[name=code]").input_value() == transfer.verification_code
    assert "张三丰" not in visitor.content()
    screenshot(visitor, "letter-3-verify-by-qr-zh")
