"""The branch page's dues table shows each ground of lapse risk with since when (phone, Chinese)."""

import datetime

import pytest
from django.utils import timezone

from accounts.models import Role
from members.models import DuesPayment, Member
from tests.factories import MemberFactory, OrganizationFactory, UserFactory, assign

from .conftest import PHONE, login, screenshot

pytestmark = pytest.mark.django_db(transaction=True)


def test_branch_page_shows_the_lapse_grounds(new_page):
    branch = OrganizationFactory(name="新星商圈联合支部")
    assign(UserFactory(username="secretary"), Role.BRANCH_SECRETARY, branch)
    today = timezone.localdate()
    silent = MemberFactory(name="王五", organization=branch)
    paying = MemberFactory(name="李四", organization=branch)
    MemberFactory(name="赵六", organization=branch)  # registered today: no ground yet
    Member.objects.filter(pk__in=[silent.pk, paying.pk]).update(
        created_at=timezone.now() - datetime.timedelta(days=400)
    )
    DuesPayment.objects.create(member=paying, month=today.replace(day=1), amount_due=10, amount_paid=10, paid_on=today)
    page = new_page(viewport=PHONE, locale="zh-CN")
    login(page, "secretary")
    page.goto(f"/members/branch/{branch.pk}/")
    page.locator("#dues").scroll_into_view_if_needed()
    screenshot(page, "branch-lapse-grounds")
    rows = {
        row.locator("td").first.inner_text(): row.locator("td").last.inner_text()
        for row in page.locator("#dues tbody tr").all()
    }
    since = (today - datetime.timedelta(days=400)).isoformat()
    assert since in rows["王五"]
    assert "未参加组织生活" in rows["王五"]
    assert "未交纳党费" in rows["王五"]
    assert "未参加组织生活" in rows["李四"]
    assert "未交纳党费" not in rows["李四"]
    assert rows["赵六"].strip() == ""
