"""A district official opens the dashboard: the charts render, a click on the heatmap opens the
branch, and a figure drills down to its rows. On a desktop and on a phone."""

import datetime
import json

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
        page.locator(f"#{chart_id}[data-drawn=true] canvas").wait_for()  # its animation finished
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
    # Every cell of the grid is drawn: rated, not applicable, or no period ended yet ("–", the
    # yearly rules before the year's end), none left blank.
    series = page.evaluate(
        """() => echarts.getInstanceByDom(document.getElementById('chart-heatmap')).getOption().series
                 .map((s) => s.data.map((d) => d[2]))"""
    )
    cells = len(json.loads(page.locator("#heatmap-data").text_content())["data"])
    assert sum(len(values) for values in series) == cells
    assert all(value != "-" and value is not None for values in series for value in values)
    assert series[1], "a yearly rule has no period ended before the end of its year"

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


def rows_rate(page):
    """(met, counted, rate shown) on a compliance drill-down page, from what the user sees: the
    rows of every page, counted, and those marked met."""
    rate = page.locator("#rows-rate")
    met, counted = int(rate.get_attribute("data-met")), int(rate.get_attribute("data-counted"))
    value = rate.get_attribute("data-rate")
    start = page.url
    rows = marked = 0
    while True:
        rows += page.locator("#rows tbody tr[data-row]").count()
        marked += page.locator('#rows tbody td[data-met="1"]').count()
        following = page.locator('.pagination a:text-is("›")')
        if not following.count():
            break
        with page.expect_navigation():
            following.click()
    assert (marked, rows) == (met, counted)
    if page.url != start:
        page.goto(start)
    return met, counted, value


def test_official_sees_compliance_with_its_period_and_basis_and_its_rows(new_page, district):
    """The headline compliance rate and the parks table carry their period and basis, and clicking
    each lands on the rule periods counted, whose share met is the figure."""
    world = district
    year = timezone.localdate().year
    page = new_page()
    login(page, "official")
    dashboard = f"/dashboard/district/{world.district_a.pk}/"
    page.goto(dashboard)
    page.locator("#children [data-child]").first.wait_for()
    tile = page.locator('#headline a[data-metric="compliance"]')
    value = tile.locator('[data-stat="compliance_rate"]').inner_text().removesuffix("%")
    caption = tile.locator("[data-caption]").inner_text()
    assert caption.startswith(f"{year} to ")
    assert "rule periods ended or met" in caption
    assert tile.get_attribute("title").startswith("Of the scope's branches' rule periods")
    # The parks table's compliance column says the same period and basis.
    column = page.locator('#children th[data-column="compliance"] [data-caption]').inner_text()
    assert caption.startswith(column)
    assert page.locator("#compliance-caption").inner_text().startswith(column)
    parks = {
        row.get_attribute("data-child"): row.locator('a[data-figure="compliance"]').get_attribute("data-value")
        for row in page.locator("#children tbody tr[data-child]").all()
    }
    assert set(parks) == {"园区A1", "园区A2"}
    screenshot(page, "dashboard-compliance-captions")

    with page.expect_navigation():
        tile.click()
    page.wait_for_load_state("networkidle")
    assert "/rows/compliance/" in page.url
    met, counted, rate = rows_rate(page)
    assert counted > 0
    assert rate == value == f"{round(100 * met / counted, 1)}"
    assert page.locator("#rows-caption [data-caption]").inner_text() == column
    screenshot(page, "dashboard-compliance-rows")

    # A park's figure opens that park's rule periods: their share met is the park's figure.
    page.goto(dashboard)
    page.locator("#children [data-child]").first.wait_for()
    link = page.locator('#children tr[data-child="园区A1"] a[data-figure="compliance"]')
    with page.expect_navigation():
        link.click()
    page.wait_for_load_state("networkidle")
    assert f"/dashboard/park/{world.park_a1.pk}/rows/compliance/" in page.url
    met, counted, rate = rows_rate(page)
    assert rate == parks["园区A1"] == f"{round(100 * met / counted, 1)}"
    # ... and the same park's members column opens as many members as it says.
    page.goto(dashboard)
    page.locator("#children [data-child]").first.wait_for()
    members = page.locator('#children tr[data-child="园区A1"] a[data-figure="members"]')
    expected = int(members.inner_text())
    with page.expect_navigation():
        members.click()
    page.wait_for_load_state("networkidle")
    assert page.locator("#rows tbody tr[data-row]").count() == expected
