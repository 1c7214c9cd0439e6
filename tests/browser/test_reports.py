"""A district official opens the statistics reports, reads one beside the previous period,
rebuilds it (in-process without a broker) and downloads it as Excel."""

import io

import pytest

from accounts.models import Role
from reports import building as report_building
from stats import statistics
from tests.factories import (
    DistrictFactory,
    EnterpriseFactory,
    MemberFactory,
    OrganizationFactory,
    ParkFactory,
    UserFactory,
    assign,
)

from .conftest import PHONE, login, screenshot


@pytest.fixture
def district(transactional_db):
    district = DistrictFactory(name="南湖区", code="330402")
    park = ParkFactory(name="嘉兴电子商务产业园", district=district)
    branch = OrganizationFactory(name="电商产业园联合党支部", park=park)
    branch.enterprises.add(EnterpriseFactory(name="嘉兴云仓物流有限公司", park=park))
    EnterpriseFactory(name="南湖直播电商有限公司", park=park)
    for name in ("张伟", "李娜", "王强"):
        MemberFactory(name=name, organization=branch)
    assign(UserFactory(username="official"), Role.DISTRICT_OFFICIAL, district)
    scope = statistics.StatScope.of(district)
    report_building.build_report(scope=scope, period=statistics.Period.parse("2026-09"))
    MemberFactory(name="刘洋", organization=branch)
    report = report_building.build_report(scope=scope, period=statistics.Period.parse("2026-10"))
    report_building.build_report(scope=statistics.StatScope.of(park), period=statistics.Period.parse("2026-10"))
    return report


def test_official_reads_rebuilds_and_downloads_a_report(new_page, district):
    from openpyxl import load_workbook

    page = new_page(locale="zh-CN")
    login(page, "official")
    page.goto("/reports/")
    assert page.locator("#report-table tbody tr").count() == 3
    screenshot(page, "reports-list")

    page.click(f'[data-report="{district.pk}"] a')
    page.wait_for_load_state("networkidle")
    total = page.locator('[data-figure="members.total"] td')
    assert total.nth(1).inner_text() == "4"
    assert total.nth(2).inner_text() == "3"
    assert total.nth(3).inner_text() == "+1"
    screenshot(page, "report-detail")

    page.click("#rebuild-now")
    page.wait_for_load_state("networkidle")
    assert page.locator("#last-run").get_attribute("data-status") == "success"
    assert page.locator("#run-table tbody tr[data-run]").count() == 1

    with page.expect_download() as download_info:
        page.click("#download-excel")
    download = download_info.value
    assert download.suggested_filename.endswith("2026-10.xlsx")
    with open(download.path(), "rb") as handle:
        book = load_workbook(io.BytesIO(handle.read()))
    assert [c.value for c in book["党员"][1]] == [
        "指标",
        "本期",
        "上期",
        "变化",
        "本期期间与口径",
        "上期期间与口径",
        "定义",
    ]
    total = [c.value for c in book["党员"][2]]
    assert total[4] == "截至2026-10-31"
    assert total[5] == "截至2026-09-30"  # the report before, September


def test_report_page_on_a_phone(new_page, district):
    page = new_page(viewport=PHONE, locale="zh-CN")
    login(page, "official")
    page.goto(f"/reports/{district.pk}/")
    # Nothing wider than the screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1
    screenshot(page, "report-detail-phone")
