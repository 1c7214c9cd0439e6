"""A district official opens the dashboard: the charts render, a click on the heatmap opens the
branch, and a figure drills down to its rows. On a desktop and on a phone."""

import datetime

import pytest
from django.utils import timezone

from .conftest import PHONE, login, screenshot

CHARTS = ("chart-trend", "chart-coverage", "chart-stages", "chart-heatmap")


@pytest.fixture
def district(transactional_db):
    from activities.defaults import ensure_default_rules
    from stats import statistics
    from tests.activities.factories import ActivityFactory, AttendanceFactory
    from tests.scenario import build_world

    ensure_default_rules()  # a transactional test database starts without the migration's rows
    world = build_world()
    now = timezone.now()
    for months_ago, branch in ((0, world.branch_a1), (1, world.branch_a1), (2, world.branch_a2), (4, world.group_a1)):
        activity = ActivityFactory(host=branch, starts_at=now - datetime.timedelta(days=30 * months_ago, hours=2))
        for member in branch.members.all():
            AttendanceFactory(activity=activity, member=member)
    statistics.refresh_summaries()
    return world


def painted_pixels(page, chart_id):
    """How many pixels of the chart's canvas are not transparent (0 for a blank chart)."""
    return page.evaluate(
        """(id) => {
            const canvas = document.querySelector('#' + id + ' canvas');
            if (!canvas) { return 0; }
            const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
            let painted = 0;
            for (let i = 3; i < data.length; i += 4) { if (data[i] !== 0) { painted++; } }
            return painted;
        }""",
        chart_id,
    )


def assert_charts_render(page):
    for chart_id in CHARTS:
        page.locator(f"#{chart_id}[data-rendered=true] canvas").wait_for()
        assert painted_pixels(page, chart_id) > 500, chart_id


def click_heatmap_row(page, row):
    """Click the cell of the first rule on the heatmap's ``row``-th line (a branch)."""
    page.locator("#chart-heatmap").scroll_into_view_if_needed()
    x, y = page.evaluate(
        """(row) => {
            const chart = echarts.getInstanceByDom(document.getElementById('chart-heatmap'));
            return chart.convertToPixel({seriesIndex: 0}, [0, row]);
        }""",
        row,
    )
    box = page.locator("#chart-heatmap").bounding_box()
    with page.expect_navigation():
        page.mouse.click(box["x"] + x, box["y"] + y)
    page.wait_for_load_state("networkidle")


def test_official_opens_the_dashboard_clicks_a_branch_and_drills_down(new_page, district):
    world = district
    page = new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    login(page, "official")
    page.click("#menu-stats > a")
    page.click('#menu-stats a[href="/dashboard/"]')
    page.wait_for_load_state("networkidle")
    assert page.url.endswith(f"/dashboard/district/{world.district_a.pk}/")
    assert_charts_render(page)
    page.locator("#alert-groups, #no-alerts").first.wait_for()
    assert page.locator('[data-alert="no_secretary"]').count() == 1
    page.locator("#children [data-child]").first.wait_for()
    assert page.locator("#children [data-child]").count() == 2
    screenshot(page, "dashboard-district")

    # The heatmap lists the weakest branch first; the official lands on that branch's dashboard.
    names = page.locator("#heatmap-branches li").all_inner_texts()
    assert sorted(names) == ["支部A1", "支部A2"]
    click_heatmap_row(page, 0)
    target = world.branch_a1 if names[0] == "支部A1" else world.branch_a2
    assert page.url.endswith(f"/dashboard/organization/{target.pk}/")
    assert target.name in page.locator("h1").inner_text()
    screenshot(page, "dashboard-branch")

    # A figure drills down to the rows behind it.
    page.click('#headline a[data-figure="members"]')
    page.wait_for_load_state("networkidle")
    assert "/rows/members/" in page.url
    shown = page.locator("#rows tbody tr").count()
    assert shown == target.members.count() + (1 if target == world.branch_a1 else 0)  # with its party group
    screenshot(page, "dashboard-rows")
    assert errors == []


def test_dashboard_on_a_phone_in_chinese(new_page, district):
    page = new_page(viewport=PHONE, locale="zh-CN")
    login(page, "official")
    page.goto(f"/dashboard/district/{district.district_a.pk}/?period={timezone.localdate().year}")
    assert_charts_render(page)
    # Nothing wider than the screen: the page does not scroll sideways.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert "年" in page.locator("#period-selector").inner_text()
    screenshot(page, "dashboard-district-phone")
