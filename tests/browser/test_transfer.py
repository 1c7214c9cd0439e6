"""Acceptance (issue 4): a member of one branch moves to a branch of another park, step by step in the
browser; out-of-order and duplicate steps are refused with a clear message and change nothing."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone
from django.utils.formats import date_format

from accounts.models import Role
from members.actions import add_months, transfer_request
from members.models import DuesPayment, Member, Transfer
from parks.models import Organization
from tests.factories import DistrictFactory, MemberFactory, OrganizationFactory, ParkFactory, UserFactory, assign

from .conftest import PHONE, login, screenshot

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def people():
    district = DistrictFactory(name="桐乡市", code="330483")
    park_from = ParkFactory(name="乌镇互联网产业园", district=district)
    park_to = ParkFactory(name="嘉兴电子商务产业园", district=DistrictFactory(name="南湖区", code="330402"))
    branch_from = OrganizationFactory(name="乌镇互联网产业园支部", park=park_from)
    branch_to = OrganizationFactory(name="嘉兴电商园第一支部", park=park_to, kind=Organization.Kind.JOINT_BRANCH)
    user = UserFactory(username="member", first_name="张三")
    member = MemberFactory(name="张三", organization=branch_from, user=user)
    sender = assign(UserFactory(username="secretary"), Role.BRANCH_SECRETARY, branch_from)
    receiver = assign(UserFactory(username="secretary2"), Role.BRANCH_SECRETARY, branch_to)
    return member, branch_from, branch_to, sender, receiver


def crafted_post(page, path, data=None):
    """A POST the page does not offer, with the session and CSRF token the browser holds."""
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    return page.request.post(path, form=data or {}, headers={"X-CSRFToken": token})


def test_member_transfers_to_a_branch_of_another_park(new_page, people):
    member, branch_from, branch_to, sender, receiver = people

    # 1. The member asks, on a phone.
    mp = new_page(viewport=PHONE)
    login(mp, "member")
    mp.goto("/members/transfers/new/")
    mp.fill("#destination-search", "嘉兴电子商务")
    mp.locator(f"input[name=to_organization][value='{branch_to.pk}']").check()
    mp.fill("textarea[name=reason]", "工作单位迁至嘉兴电子商务产业园")
    screenshot(mp, "transfer-1-request-form")
    mp.click("#transfer-form button[type=submit]")
    mp.wait_for_url("**/members/transfers/*/")
    transfer = Transfer.objects.get(member=member)
    assert transfer.to_organization_id == branch_to.pk
    assert mp.locator("#timeline li").count() == 1

    # 2. The receiving secretary cannot accept before the sending side approves.
    rp = new_page()
    login(rp, "secretary2")
    rp.goto(f"/members/transfers/{transfer.pk}/")
    assert rp.locator("form[action$='/accept/']").count() == 0  # the page offers no such step
    response = crafted_post(rp, f"/members/transfers/{transfer.pk}/accept/")
    assert response.status == 400
    assert "approved" in response.text()
    assert Transfer.objects.get(pk=transfer.pk).status == Transfer.Status.REQUESTED

    # 3. The sending secretary finds it in the inbox and approves.
    sp = new_page()
    login(sp, "secretary")
    sp.goto("/members/transfers/inbox/")
    sp.locator("#inbox-outgoing a", has_text="张三").click()
    sp.select_option("select[name=valid_months]", "2")
    assert sp.locator("input[name=dues_paid_until]").count() == 0  # the ledger's month, not typed
    sp.click("#approve-form button[type=submit]")
    sp.wait_for_selector(".alert-success")
    transfer.refresh_from_db()
    assert transfer.status == Transfer.Status.APPROVED
    assert transfer.letter_number
    screenshot(sp, "transfer-2-approved")
    # Approving twice is refused and changes nothing.
    response = crafted_post(
        sp,
        f"/members/transfers/{transfer.pk}/approve/",
        {"valid_months": "1"},
    )
    assert response.status == 400
    assert Transfer.objects.get(pk=transfer.pk).letter_number == transfer.letter_number
    # The sending secretary may not accept on the receiver's behalf.
    assert crafted_post(sp, f"/members/transfers/{transfer.pk}/accept/").status == 400

    # 4. The receiving secretary accepts from the inbox.
    rp.goto("/members/transfers/inbox/")
    rp.locator("#inbox-incoming a", has_text="张三").click()
    rp.click("form[action$='/accept/'] button")
    rp.wait_for_selector(".alert-success")
    assert Member.objects.get(pk=member.pk).organization_id == branch_to.pk

    # 5. The member now belongs to the new branch and sees the whole timeline.
    mp.goto("/members/transfers/mine/")
    assert "嘉兴电商园第一支部" in mp.content()
    mp.goto(f"/members/transfers/{transfer.pk}/")
    assert mp.locator("#timeline li").count() == 3
    assert "嘉兴电商园第一支部" in mp.locator("#next-step").inner_text()
    screenshot(mp, "transfer-3-member-timeline")

    # 6. The letter checks out on the public page: whose it is (name masked), no other personal data.
    mp.goto(f"/members/transfers/{transfer.pk}/letter/")
    number = mp.locator("#letter-number").inner_text()
    code = mp.locator("#verification-code").inner_text()
    screenshot(mp, "transfer-4-letter")
    anonymous = new_page(viewport=PHONE)
    anonymous.goto("/members/letters/verify/")
    anonymous.fill("input[name=number]", number)
    anonymous.fill("input[name=code]", code)
    anonymous.click("#verify-form button[type=submit]")
    result = anonymous.locator("#verify-result").inner_text()
    assert "张三" not in anonymous.content()
    assert anonymous.locator("#verify-member").inner_text() == "张*"
    assert member.id_number not in anonymous.content()
    assert "支部" in result
    screenshot(anonymous, "transfer-5-verify")

    # 7. A step on a finished transfer is refused.
    response = crafted_post(rp, f"/members/transfers/{transfer.pk}/accept/")
    assert response.status == 400


def test_secretary_approves_a_member_with_dues_owed(new_page, people):
    """Issue #13 item 6: the approval page warns of the months owed, approving needs a reason (kept
    on the timeline), and the letter prints the month of the dues ledger."""
    member, branch_from, branch_to, sender, receiver = people
    this_month = timezone.localdate().replace(day=1)
    Member.objects.filter(pk=member.pk).update(created_at=timezone.now() - datetime.timedelta(days=200))
    for offset in (-6, -5, -4):
        DuesPayment.objects.create(
            member=member,
            month=add_months(this_month, offset),
            amount_due=Decimal("25.00"),
            amount_paid=Decimal("25.00"),
            paid_on=timezone.localdate(),
        )
    paid_through = add_months(this_month, -4)
    owed = [f"{add_months(this_month, offset):%Y-%m}" for offset in (-3, -2, -1)]
    transfer = transfer_request(member=member, by=sender, to_organization=branch_to, reason="工作调动")

    sp = new_page()
    login(sp, "secretary")
    sp.goto(f"/members/transfers/{transfer.pk}/")
    warning = sp.locator("#arrears-warning")
    assert warning.is_visible()
    assert "3 months" in warning.inner_text()
    assert ", ".join(owed) in warning.inner_text()
    assert f"{paid_through:%Y-%m}" in sp.locator("#letter-dues").inner_text()
    reason = sp.locator("textarea[name=arrears_reason]")
    assert reason.get_attribute("required") is not None
    screenshot(sp, "transfer-6-arrears-warning")

    # Without the reason the browser does not send the form, and the server refuses it too.
    sp.click("#approve-form button[type=submit]")
    assert reason.evaluate("el => el.validity.valueMissing")
    assert Transfer.objects.get(pk=transfer.pk).status == Transfer.Status.REQUESTED
    response = crafted_post(sp, f"/members/transfers/{transfer.pk}/approve/", {"valid_months": "1"})
    assert response.status == 400
    assert Transfer.objects.get(pk=transfer.pk).status == Transfer.Status.REQUESTED

    reason.fill("本人承诺转入新支部后一次补交")
    sp.click("#approve-form button[type=submit]")
    sp.wait_for_selector(".alert-success")
    transfer.refresh_from_db()
    assert transfer.status == Transfer.Status.APPROVED
    assert "本人承诺转入新支部后一次补交" in sp.locator("#timeline").inner_text()
    screenshot(sp, "transfer-7-approved-with-reason")

    sp.goto(f"/members/transfers/{transfer.pk}/letter/")
    letter = sp.locator(".letter").inner_text()
    assert f"This comrade's party dues are paid up to {date_format(paid_through, 'YEAR_MONTH_FORMAT')}." in letter
    assert "本人承诺" not in letter
    screenshot(sp, "transfer-8-letter-ledger-month")
    zh = new_page(locale="zh-CN")
    login(zh, "secretary")
    zh.goto(f"/members/transfers/{transfer.pk}/letter/")
    screenshot(zh, "transfer-8-letter-ledger-month-zh")
