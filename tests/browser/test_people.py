"""In the browser, in Chinese, on a phone: who did what is shown by name, family name first
(余斌, not 斌 余), and a member's home card carries their dues and the shortcuts they need."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import Role
from members.actions import add_months, transfer_approve, transfer_request
from members.models import DuesPayment, Member
from tests.factories import MemberFactory, OrganizationFactory, ParkFactory, UserFactory, assign

from .conftest import PHONE, login, screenshot

pytestmark = pytest.mark.django_db(transaction=True)


def test_timeline_and_home_card_on_a_phone_in_chinese(new_page):
    park = ParkFactory(name="乌镇互联网产业园")
    branch = OrganizationFactory(name="乌镇互联网产业园支部", park=park)
    other = OrganizationFactory(name="嘉兴电商园第一支部", park=ParkFactory(name="嘉兴电子商务产业园"))
    user = UserFactory(username="member", first_name="三", last_name="张")
    member = MemberFactory(name="张三", organization=branch, user=user)
    Member.objects.filter(pk=member.pk).update(created_at=timezone.now() - datetime.timedelta(days=400))
    this_month = timezone.localdate().replace(day=1)
    DuesPayment.objects.create(
        member=member,
        month=add_months(this_month, -2),
        category=DuesPayment.Category.EMPLOYED,
        monthly_pay=Decimal(4000),
        amount_due=Decimal("40.00"),
        amount_paid=Decimal("40.00"),
        paid_on=timezone.localdate(),
    )
    secretary = assign(
        UserFactory(username="secretary", first_name="斌", last_name="余"), Role.BRANCH_SECRETARY, branch
    )
    transfer = transfer_request(member=member, by=user, to_organization=other, reason="工作调动")
    transfer_approve(transfer=transfer, by=secretary, valid_months=1, arrears_reason="已当面说明")

    page = new_page(viewport=PHONE, locale="zh-CN")
    login(page, "member")
    page.goto(f"/members/transfers/{transfer.pk}/")
    timeline = page.locator("#timeline")
    assert "余斌" in timeline.inner_text()
    assert "斌 余" not in timeline.inner_text()
    assert "secretary" not in timeline.inner_text()
    timeline.scroll_into_view_if_needed()
    screenshot(page, "people-transfer-timeline-zh")

    page.goto("/")
    card = page.locator("#card-member")
    assert "已交至" in card.inner_text()
    assert f"{add_months(this_month, -2):%Y-%m}" in card.inner_text()
    assert "¥40.00" in card.inner_text()
    shortcuts = page.locator("#member-shortcuts a")
    assert shortcuts.count() == 3
    for i in range(3):
        box = shortcuts.nth(i).bounding_box()
        assert box["height"] >= 44  # a thumb's target
        assert box["x"] + box["width"] <= PHONE["width"]
    page.locator("#member-shortcuts").scroll_into_view_if_needed()
    screenshot(page, "people-home-card-zh")
