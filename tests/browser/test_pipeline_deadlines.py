"""Issue #13 item 7, as the branch secretary and the park administrator see it: the secretary's
home card lists the pipeline deadlines (overdue or due within 30 days) with links to the members,
and the dashboard's alerts show the same deadlines."""

import datetime

import pytest
from django.utils import timezone

from accounts.models import Role
from members import rules
from members.models import ApplicationTalk, Stage
from tests.factories import DistrictFactory, MemberFactory, OrganizationFactory, ParkFactory, UserFactory, assign

from .conftest import PHONE, login, screenshot

pytestmark = pytest.mark.django_db(transaction=True)
D = datetime.timedelta
NO_DATES = dict(activist_on=None, candidate_on=None, probationary_on=None, full_on=None)


@pytest.fixture
def branch():
    today = timezone.localdate()
    park = ParkFactory(name="乌镇互联网产业园", district=DistrictFactory(name="桐乡市", code="330483"))
    branch = OrganizationFactory(name="乌镇互联网产业园支部", park=park)
    assign(UserFactory(username="secretary"), Role.BRANCH_SECRETARY, branch)
    assign(UserFactory(username="parkadmin"), Role.PARK_ADMIN, park)
    people = {
        "talk": MemberFactory(
            name="李申请", organization=branch, stage=Stage.APPLICANT, applied_on=today - D(40), **NO_DATES
        ),
        "candidacy": MemberFactory(
            name="王积极",
            organization=branch,
            stage=Stage.ACTIVIST,
            applied_on=today - D(500),
            **{**NO_DATES, "activist_on": rules.add_months(today, -12) + D(12)},
        ),
        "confirmation": MemberFactory(
            name="赵预备",
            organization=branch,
            stage=Stage.PROBATIONARY,
            probationary_on=rules.add_months(today, -12),
            full_on=None,
        ),
    }
    talked = MemberFactory(
        name="钱申请", organization=branch, stage=Stage.APPLICANT, applied_on=today - D(40), **NO_DATES
    )
    ApplicationTalk.objects.create(member=talked, held_on=today - D(20))
    return branch, people


def test_secretary_home_card_and_dashboard_alerts(new_page, branch):
    org, people = branch
    page = new_page(viewport=PHONE)
    login(page, "secretary")
    page.goto("/")
    card = page.locator("#card-pipeline")
    assert card.is_visible()
    items = card.locator("li[data-deadline]")
    assert items.count() == 3
    assert "钱申请" not in card.inner_text()  # the talk is recorded
    talk = card.locator("li[data-deadline=talk]")
    assert "李申请" in talk.inner_text()
    assert "overdue by" in talk.inner_text()
    today = timezone.localdate()
    candidacy = (rules.candidacy_from(people["candidacy"].activist_on) - today).days
    assert f"due in {candidacy} days" in card.locator("li[data-deadline=candidacy]").inner_text()
    ends = rules.probation_normal_end(people["confirmation"].probationary_on)
    assert ends.isoformat() in card.locator("li[data-deadline=confirmation]").inner_text()
    screenshot(page, "pipeline-1-secretary-card")
    talk.locator("a").click()
    page.wait_for_url(f"**/members/member/{people['talk'].pk}/lifecycle/")

    zh = new_page(viewport=PHONE, locale="zh-CN")
    login(zh, "secretary")
    zh.goto("/")
    assert "已逾期" in zh.locator("#card-pipeline").inner_text()
    screenshot(zh, "pipeline-2-secretary-card-zh")

    admin = new_page()
    login(admin, "parkadmin")
    admin.goto(f"/dashboard/park/{org.park_id}/")
    for code in ("talk_due", "candidacy_due", "probation_due"):
        group = admin.locator(f"details[data-alert={code}]")
        group.wait_for()
        assert group.locator("[data-alert-count]").inner_text() == "1"
    group = admin.locator("details[data-alert=candidacy_due]")
    group.locator("summary").click()
    assert f"due in {candidacy} days" in group.inner_text()
    screenshot(admin, "pipeline-3-dashboard-alerts")
