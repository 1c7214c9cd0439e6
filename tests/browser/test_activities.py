"""A branch secretary logs a 支委会 with two absentees on a phone; the calendar and points follow.
The 支委会's checklist is the branch committee; a branch without one sees its 支委会 as "n/a"."""

import datetime

import pytest
from django.utils import timezone

from accounts.models import Role
from elections.models import CommitteeSeat, Election
from members.models import Member
from tests.factories import MemberFactory, OrganizationFactory, UserFactory, assign

from .conftest import PHONE, login, screenshot


@pytest.fixture
def branch(transactional_db):
    from activities.defaults import ensure_default_rules

    ensure_default_rules()  # a transactional test database starts without the migration's rows
    org = OrganizationFactory(name="乌镇互联网产业园支部")
    secretary = assign(UserFactory(username="secretary"), Role.BRANCH_SECRETARY, org)
    members = [MemberFactory(name=name, organization=org) for name in ("张伟", "李娜", "王强", "刘洋")]
    # The branch elected a committee of three a year ago: its 支委会 lists them, not 刘洋.
    election = Election.objects.create(
        organization=org,
        held_on=timezone.localdate() - datetime.timedelta(days=365),
        eligible_voters=4,
        votes_cast=4,
        status=Election.Status.APPROVED,
    )
    for post, member in zip(("secretary", "organization", "propaganda"), members[:3], strict=True):
        CommitteeSeat.objects.create(election=election, member=member, post=post)
    # Another branch whose secretary must not see the activity.
    other = OrganizationFactory(name="嘉兴电子商务产业园支部")
    assign(UserFactory(username="secretary2"), Role.BRANCH_SECRETARY, other)
    return org, secretary, members


def cell_state(page):
    month = timezone.localdate().month
    cell = page.locator(f'[data-rule="committee_meeting"] [data-cell="committee_meeting-{month}"]')
    return cell.get_attribute("data-state")


def test_secretary_logs_committee_meeting_on_phone(new_page, branch):
    org, _secretary, members = branch
    page = new_page(viewport=PHONE)
    login(page, "secretary")

    page.goto("/activities/calendar/")
    assert cell_state(page) in {"due", "due_soon"}
    screenshot(page, "activities-calendar-before")

    page.goto("/activities/new/")
    page.select_option("#id_kind", "committee_meeting")
    # htmx swaps in the committee's checklist.
    page.locator("#checklist-committee-note").wait_for()
    assert page.locator("#attendance-checklist .hf-att-row").count() == 3
    page.fill("#id_title", "十一月支委会")
    by_name = {m.name: m.pk for m in members}
    for name in ("李娜", "王强"):
        page.click(f'label[for="att-{by_name[name]}-absent"]')
        # htmx re-renders the row with a reason box
        page.locator(f'#att-row-{by_name[name]}[data-status="absent"] input[name^="reason-"]').wait_for()
    page.fill(f'input[name="reason-{by_name["李娜"]}"]', "出差")
    screenshot(page, "activities-log-form")
    page.click("#save-activity")
    page.wait_for_load_state("networkidle")
    assert page.locator("#activity-title").inner_text() == "十一月支委会"
    assert page.locator('#attendance-list [data-status="absent"]').count() == 2
    screenshot(page, "activities-detail")

    page.goto("/activities/calendar/")
    assert cell_state(page) == "held"
    screenshot(page, "activities-calendar-after")

    points = dict(Member.objects.filter(organization=org).values_list("name", "points"))
    assert points == {"张伟": 2, "李娜": 0, "王强": 0, "刘洋": 0}  # 刘洋 is not on the committee

    # The other branch's secretary sees nothing of it.
    other = new_page(viewport=PHONE)
    login(other, "secretary2")
    other.goto("/activities/")
    assert "十一月支委会" not in other.content()


def test_branch_without_committee_sees_committee_meeting_not_applicable(new_page, transactional_db):
    from activities.defaults import ensure_default_rules

    ensure_default_rules()
    org = OrganizationFactory(name="官渡电商小微企业支部")
    assign(UserFactory(username="secretary"), Role.BRANCH_SECRETARY, org)
    for name in ("赵敏", "孙丽"):
        MemberFactory(name=name, organization=org)
    page = new_page()
    login(page, "secretary")
    page.goto("/activities/calendar/")
    month = timezone.localdate().month
    assert cell_state(page) == "na"
    assert page.locator(f'[data-cell="group_meeting-{month}"]').get_attribute("data-state") == "na"
    assert page.locator(f'[data-cell="themed_day-{month}"]').get_attribute("data-state") in {"due", "due_soon"}
    assert page.locator("#legend-na").is_visible()
    screenshot(page, "activities-calendar-not-applicable")
    zh = new_page(locale="zh-CN")
    login(zh, "secretary")
    zh.goto("/activities/calendar/")
    screenshot(zh, "activities-calendar-not-applicable-zh")
