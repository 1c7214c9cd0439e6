"""Issue #15: a secretary records the attendance of a 35-member branch meeting on a phone (390×844,
zh-CN): searches, marks 2 absent and 1 on leave, watches the sticky counts, and the save button
stays on screen from the top of the list to its bottom. What is saved is what was marked."""

import pytest

from accounts.models import Role
from activities.models import Activity, Attendance
from tests.activities.factories import ActivityFactory
from tests.factories import MemberFactory, OrganizationFactory, UserFactory, assign

from .conftest import PHONE, login, screenshot

pytestmark = pytest.mark.django_db(transaction=True)

FAMILY = "赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨朱秦尤许何吕施张孔曹严华金魏陶姜戚谢邹喻"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建文辉力林鹏斌"


@pytest.fixture
def meeting():
    from activities.defaults import ensure_default_rules

    ensure_default_rules()
    org = OrganizationFactory(name="乌镇互联网产业园第一支部")
    assign(UserFactory(username="secretary"), Role.BRANCH_SECRETARY, org)
    members = [MemberFactory(name=FAMILY[i] + GIVEN[i], organization=org) for i in range(35)]
    activity = ActivityFactory(host=org, kind=Activity.Kind.PARTY_LECTURE, title="十一月党课")
    return activity, {m.name: m.pk for m in members}


def counts(page):
    return {
        k: int(page.locator(f'#att-bar [data-att-count="{k}"]').inner_text()) for k in ("present", "absent", "leave")
    }


def assert_save_in_view(page):
    box = page.locator("#save-attendance").bounding_box()
    assert box is not None
    assert box["y"] >= 0, box
    assert box["y"] + box["height"] <= PHONE["height"], box
    assert box["x"] >= 0, box
    assert box["x"] + box["width"] <= PHONE["width"], box


def test_secretary_records_35_members_on_a_phone(new_page, meeting):
    activity, by_name = meeting
    page = new_page(viewport=PHONE, locale="zh-CN")
    login(page, "secretary")
    page.goto(f"/activities/{activity.pk}/attendance/")
    assert page.locator(".hf-att-row").count() == 35
    assert counts(page) == {"present": 35, "absent": 0, "leave": 0}
    assert page.locator("#att-bar").inner_text().replace("\n", " ").startswith("出席 35")
    assert_save_in_view(page)
    screenshot(page, "attendance-phone-1-top")
    page.screenshot(path="test-artifacts/attendance-phone-1-viewport.png")

    # Search narrows the list to one member; mark them absent there.
    page.fill("#att-search", "冯")
    visible = page.locator(".hf-att-row:visible")
    assert visible.count() == 1
    assert visible.first.get_attribute("data-member") == "冯军"
    page.click(f'label[for="att-{by_name["冯军"]}-absent"]')
    page.locator(f'#att-row-{by_name["冯军"]}[data-status="absent"] input[name^="reason-"]').wait_for()
    page.fill(f'input[name="reason-{by_name["冯军"]}"]', "出差")
    page.screenshot(path="test-artifacts/attendance-phone-2-search.png")
    page.fill("#att-search", "")
    assert page.locator(".hf-att-row:visible").count() == 35

    # One far down the list is absent, one on leave (a reason is required for leave).
    for name, status in (("邹斌", "absent"), ("姜力", "leave")):
        page.click(f'label[for="att-{by_name[name]}-{status}"]')
        page.locator(f'#att-row-{by_name[name]}[data-status="{status}"] input[name^="reason-"]').wait_for()
    page.fill(f'input[name="reason-{by_name["姜力"]}"]', "住院")
    assert counts(page) == {"present": 32, "absent": 2, "leave": 1}
    assert "出席 32 · 缺席 2 · 请假 1" in " ".join(page.locator("#att-counts").inner_text().split())

    # The late / early / hours details are folded: one tap opens them.
    details = page.locator(f"#att-row-{by_name['赵伟']} details")
    assert not details.locator('input[name^="late-"]').is_visible()
    details.locator("summary").click()
    details.locator('input[name^="late-"]').check()
    details.locator('input[name^="hours-"]').fill("2")

    # Not present only: the three who are not here.
    page.click("#att-only-missing")
    assert sorted(r.get_attribute("data-member") for r in page.locator(".hf-att-row:visible").all()) == sorted(
        ["冯军", "邹斌", "姜力"]
    )
    page.screenshot(path="test-artifacts/attendance-phone-3-not-present.png")
    page.click("#att-only-missing")
    assert page.locator(".hf-att-row:visible").count() == 35

    # The save button stays in reach at the top, middle and bottom of the list.
    rows = page.locator(".hf-att-row")
    for index in (0, 17, 34):
        rows.nth(index).scroll_into_view_if_needed()
        assert_save_in_view(page)
    page.mouse.wheel(0, 10000)
    page.wait_for_timeout(100)
    assert_save_in_view(page)
    page.screenshot(path="test-artifacts/attendance-phone-4-bottom.png")

    page.click("#save-attendance")
    page.wait_for_url(f"**/activities/{activity.pk}/")
    saved = {
        a.member.name: (a.status, a.reason)
        for a in Attendance.objects.filter(activity=activity).select_related("member")
    }
    assert len(saved) == 35
    assert {n: s for n, s in saved.items() if s[0] != "present"} == {
        "冯军": ("absent", "出差"),
        "邹斌": ("absent", ""),
        "姜力": ("leave", "住院"),
    }
    zhao = Attendance.objects.get(activity=activity, member_id=by_name["赵伟"])
    assert (zhao.late, zhao.left_early, zhao.volunteer_hours) == (True, False, 2)
    screenshot(page, "attendance-phone-5-saved")


def test_mark_all_present_undoes_the_marks(new_page, meeting):
    activity, by_name = meeting
    page = new_page(viewport=PHONE, locale="zh-CN")
    login(page, "secretary")
    page.goto(f"/activities/{activity.pk}/attendance/")
    for name in ("冯军", "邹斌"):
        page.click(f'label[for="att-{by_name[name]}-absent"]')
    assert counts(page) == {"present": 33, "absent": 2, "leave": 0}
    page.click("#att-all-present")
    assert counts(page) == {"present": 35, "absent": 0, "leave": 0}
    page.locator('.hf-att-row[data-status="absent"]').first.wait_for(state="detached")
    page.click("#save-attendance")
    page.wait_for_url(f"**/activities/{activity.pk}/")
    assert set(Attendance.objects.filter(activity=activity).values_list("status", flat=True)) == {"present"}
