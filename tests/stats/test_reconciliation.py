"""Reconciliation: every figure shown equals the count of the rows its drill-down lists, and the
same metric is the same number on every page that shows it: the district dashboard and its parks
table, the park dashboard, the home cards, the statistics API and the yearly report.

The world is the statistics tests' (tests/stats/statistics_world.py: district D with parks P1 and
P2, activities from April to July 2026) plus, for the pages that show "now", activities and a new
member in the current month. The pages run on the real clock, so the periods are taken from it
(the current month and year) and from the world's data (2026, 2026-Q2, 2026-05).
"""

import copy
import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from activities.models import Activity, Attendance
from core.periods import Period
from members.models import Stage
from reports.building import build_report
from reports.models import StatReport
from stats import dashboards, metrics, statistics
from stats.basis import StatScope
from tests.activities.factories import ActivityFactory, AttendanceFactory, earlier_today
from tests.factories import MemberFactory, UserFactory, assign

from .statistics_world import build

pytestmark = pytest.mark.django_db


@pytest.fixture
def r(db):
    w = build()
    today = timezone.localdate()
    # The current month: B1 meets its committee and holds a themed day, B3 only a themed day, so
    # that the parks differ; a member of B3 becomes probationary.
    for host, kind in ((w.b1, "committee_meeting"), (w.b1, "themed_day"), (w.b3, "themed_day")):
        activity = ActivityFactory(host=host, kind=kind, starts_at=earlier_today(hours=2))
        for member in host.members.filter(stage__in=(Stage.FULL, Stage.PROBATIONARY)):
            AttendanceFactory(activity=activity, member=member)
    MemberFactory(
        organization=w.b3,
        stage=Stage.PROBATIONARY,
        full_on=None,
        probationary_on=today.replace(day=1),
    )
    statistics.refresh_summaries()
    w.superuser = UserFactory(username="root", is_superuser=True, is_staff=True)
    w.official = assign(UserFactory(username="official-d"), Role.DISTRICT_OFFICIAL, w.d)
    w.park_admin = assign(UserFactory(username="admin-p1"), Role.PARK_ADMIN, w.p1)
    w.today = today
    return w


def periods(today):
    """The periods the figures are compared over: those of the world's data, and the running ones."""
    labels = {"2026", "2026-Q2", "2026-05", Period.current("month", today=today).label}
    labels.add(Period.current("year", today=today).label)
    return [Period.parse(label) for label in sorted(labels)]


def dashboard(client, kind, obj, period):
    response = client.get(reverse("dashboard", args=[kind, obj.pk]) + f"?period={period.label}")
    assert response.status_code == 200
    return response


def tiles(response) -> dict:
    return {tile["metric"]: tile for tile in response.context["headline"] + response.context["in_flight_tiles"]}


def rows(client, kind, obj, key, period):
    response = client.get(reverse("dashboard_rows", args=[kind, obj.pk, key]) + f"?period={period.label}")
    assert response.status_code == 200, key
    return response


def shown_stats(html) -> dict:
    return dict(re.findall(r'data-stat="(\w+)">([^<]+)<', html))


# --- each figure equals its drill-down ------------------------------------------------------------


@pytest.mark.parametrize("target", ["d", "p1", "p2", "b1"])
def test_every_headline_figure_equals_the_rows_it_opens(client, r, target):
    obj = getattr(r, target)
    kind = StatScope.of(obj).kind
    client.force_login(r.official)
    for period in periods(r.today):
        response = dashboard(client, kind, obj, period)
        for key, tile in tiles(response).items():
            listed = rows(client, kind, obj, tile["figure"], period)
            count = listed.context["page"].paginator.count
            metric = metrics.get(key)
            if key == "compliance":
                summary = listed.context["summary"]
                assert summary["counted"] == count
                assert tile["value"] == summary["rate"], (period.label, target)
                assert tile["detail"] == f"{summary['met']} of {count} rule periods met"
            elif key == "coverage_rate":
                enterprises = rows(client, kind, obj, "enterprises", period).context["page"].paginator.count
                expected = None if not enterprises else round(100 * (enterprises - count) / enterprises, 1)
                assert tile["value"] == expected, (period.label, target)
            else:
                assert metric.has_rows
                assert tile["value"] == count, (key, period.label, target)


def test_the_compliance_rows_are_the_cells_of_the_grid(client, r):
    """The compliance drill-down lists the rule periods counted, branch by branch; the met ones are
    those whose held activities reach the rule's minimum."""
    client.force_login(r.official)
    year = Period.parse("2026")
    listed = rows(client, "district", r.d, "compliance", year).context["page"].paginator.object_list
    assert {cell.organization.name for cell in listed} == {"B1", "B2", "B3"}
    assert all((cell.count >= cell.rule.minimum_count) == cell.met for cell in listed)
    # The same cells as the compliance grid the activities app shows (year to date).
    grid = statistics.compliance_by_branch(StatScope.of(r.d), year=2026)
    assert len(listed) == sum(branch.elapsed for branch in grid)
    assert sum(cell.met for cell in listed) == sum(branch.met for branch in grid)


def test_compliance_from_the_summary_and_from_the_activities_agree(r):
    for target in ("d", "p1", "p2", "b1", "b3"):
        scope = StatScope.of(getattr(r, target))
        for period in periods(r.today):
            assert metrics.compliance(scope, period) == metrics.compliance(scope, period, live=True), target


# --- the same metric on every page ----------------------------------------------------------------


def test_the_parks_table_shows_each_parks_own_dashboard_figures(client, r):
    client.force_login(r.official)
    for period in periods(r.today):
        district = dashboard(client, "district", r.d, period)
        section = client.get(reverse("dashboard_compliance", args=["district", r.d.pk]) + f"?period={period.label}")
        children = {row.name: row for row in section.context["children"]}
        assert set(children) == {"P1", "P2"}
        # The compliance column and the headline read the same grid: the parks add up to it.
        met = sum(row.figures["compliance_detail"][0] for row in children.values())
        counted = sum(row.figures["compliance_detail"][1] for row in children.values())
        head = tiles(district)["compliance"]
        assert head["value"] == (round(100 * met / counted, 1) if counted else None)
        for park in (r.p1, r.p2):
            row = children[park.name]
            own = tiles(dashboard(client, "park", park, period))
            for key in ("enterprises", "organizations", "members", "compliance", "requests_open"):
                assert row.figures[key] == own[key]["value"], (key, park.name, period.label)
            assert row.figures["requests_overdue_now"] == own["requests_overdue_now"]["value"]
            # ... and each of its figures opens the park's rows, as many as it says.
            for key in ("enterprises", "organizations", "members", "requests_open", "requests_overdue_now"):
                listed = client.get(row.links[key])
                assert listed.context["page"].paginator.count == row.figures[key], (key, park.name)
            listed = client.get(row.links["compliance"])
            assert listed.context["summary"]["rate"] == row.figures["compliance"], park.name


def test_the_branches_table_shows_each_branchs_own_figures(client, r):
    client.force_login(r.park_admin)
    for period in periods(r.today):
        section = client.get(reverse("dashboard_compliance", args=["park", r.p1.pk]) + f"?period={period.label}")
        for row in section.context["children"]:
            listed = client.get(row.links["party_members"])
            assert listed.context["page"].paginator.count == row.figures["members"], row.name
            branch = next(b for b in (r.b1, r.b2) if b.name == row.name)
            own = tiles(dashboard(client, "organization", branch, period))
            assert row.figures["compliance"] == own["compliance"]["value"], (row.name, period.label)
            if row.figures["compliance"] is not None:
                assert client.get(row.links["compliance"]).context["summary"]["rate"] == row.figures["compliance"]


def test_the_home_cards_show_the_dashboards_figures_of_today(client, r):
    month = Period.current("month", today=r.today)
    client.force_login(r.official)
    home = client.get(reverse("home"))
    (card,) = [c["card"] for c in home.context["cards"] if c["template"].endswith("card_district.html")]
    (district,) = card["districts"]
    head = tiles(dashboard(client, "district", r.d, month))
    assert district["enterprises"] == head["enterprises"]["value"]
    assert district["organizations"] == head["organizations"]["value"]
    assert district["members"] == head["members"]["value"]
    assert str(district["captions"]["members"]) == str(head["members"]["caption"])
    section = client.get(reverse("dashboard_compliance", args=["district", r.d.pk]) + f"?period={month.label}")
    children = {row.name: row for row in section.context["children"]}
    for park in district["parks"]:
        assert park["enterprises"] == children[park["park"].name].figures["enterprises"]
        assert park["members"] == children[park["park"].name].figures["members"]
    by_stage = {s["stage"]: s["count"] for s in district["stages"]}
    figures = statistics.figures(StatScope.of(r.d), month)
    assert by_stage == figures["members"]["by_stage"]

    client.force_login(r.park_admin)
    home = client.get(reverse("home"))
    (card,) = [c["card"] for c in home.context["cards"] if c["template"].endswith("card_park.html")]
    (park,) = card["parks"]
    head = tiles(dashboard(client, "park", r.p1, month))
    for key in ("enterprises", "organizations", "members"):
        assert park[key] == head[key]["value"], key
    assert shown_stats(home.content.decode())["members"] == str(head["members"]["value"])


def over_the_period_but_compliance(figures):
    """The figures a dashboard page holds: all of the period's, but the compliance within it (the
    page shows the compliance of the period's year, its own tile, checked against the year's)."""
    page = copy.deepcopy(figures)
    del page["activities"]["compliance_rate"]
    return page


def test_the_api_gives_the_dashboards_figures(client, r):
    client.force_login(r.official)
    for target in ("d", "p1", "b1"):
        obj = getattr(r, target)
        kind = StatScope.of(obj).kind
        for period in periods(r.today):
            page = dashboard(client, kind, obj, period)
            api = client.get(reverse("api:statistics-figures", args=[kind, obj.pk]) + f"?period={period.label}")
            assert api.status_code == 200
            assert page.context["figures"] == over_the_period_but_compliance(api.json())
            for key, tile in tiles(page).items():
                metric = metrics.get(key)
                if metric.path:
                    assert tile["value"] == metric.value(api.json()), (key, period.label)
            # The dashboard's compliance is the API's compliance rate of the period's year ...
            year = metrics.compliance_period(period)
            yearly = client.get(reverse("api:statistics-figures", args=[kind, obj.pk]) + f"?period={year.label}")
            rate = yearly.json()["activities"]["compliance_rate"]
            assert tiles(page)["compliance"]["value"] == (None if rate is None else round(100 * rate, 1))
            # ... and the sum of the API's compliance grid of that year.
            grid = client.get(reverse("api:statistics-compliance", args=[kind, obj.pk]) + f"?year={year.start.year}")
            met = sum(branch["met"] for branch in grid.json())
            counted = sum(branch["elapsed"] for branch in grid.json())
            assert tiles(page)["compliance"]["detail"] == f"{met} of {counted} rule periods met"


def test_the_api_lists_every_metric_with_its_definition(client, r):
    client.force_login(r.official)
    answer = client.get(reverse("api:statistics-metrics")).json()
    assert [m["key"] for m in answer] == list(metrics.METRICS)
    assert all(m["definition"] and m["basis"] in metrics.BASES for m in answer)


def test_the_yearly_report_shows_the_dashboards_figures_of_the_year(client, r):
    year = Period.parse("2026")
    for obj in (r.d, r.p1):
        scope = StatScope.of(obj)
        report = build_report(scope=scope, period=year)
        client.force_login(r.official)
        page = dashboard(client, scope.kind, obj, year)
        assert page.context["figures"] == over_the_period_but_compliance(report.data)
        shown = tiles(page)
        for key, tile in shown.items():
            metric = metrics.get(key)
            if metric.path:
                assert tile["value"] == metric.value(report.data), key
        rate = report.data["activities"]["compliance_rate"]
        assert shown["compliance"]["value"] == (None if rate is None else round(100 * rate, 1))
        # The report page says which metric each line is, with its period and basis.
        html = client.get(reverse("reports:detail", args=[report.pk])).content.decode()
        assert 'data-metric="compliance_rate"' in html
        assert f"As at {min(datetime.date(2026, 12, 31), timezone.localdate()):%Y-%m-%d}" in html
    assert StatReport.objects.count() == 2


def test_activity_and_attendance_tiles_count_held_activities_and_present_rows(client, r):
    """Planned and cancelled activities, and absent or on-leave rows, are in no figure."""
    client.force_login(r.official)
    year = Period.parse("2026")
    head = tiles(dashboard(client, "district", r.d, year))
    held = Activity.objects.filter(host__district=r.d, status=Activity.Status.HELD, starts_at__year=2026).count()
    present = Attendance.objects.filter(
        activity__host__district=r.d,
        activity__status=Activity.Status.HELD,
        activity__starts_at__year=2026,
        status=Attendance.Status.PRESENT,
    ).count()
    assert (head["activities"]["value"], head["attendance"]["value"]) == (held, present)
    assert held > 0
    assert present > 0


# --- captions --------------------------------------------------------------------------------------


def caption_texts(html):
    """Each ``data-caption`` of a page and its text (a caption's dates are kept on one line, a
    span each)."""
    found = re.findall(r'data-caption="(\w+)">((?:[^<]|<span class="text-nowrap">[^<]*</span>)+)', html)
    return {key: re.sub(r"<[^>]+>", "", text) for key, text in found}


def test_every_figure_on_the_dashboard_carries_its_period_and_basis(client, r):
    client.force_login(r.official)
    month = Period.current("month", today=r.today)
    page = dashboard(client, "district", r.d, month).content.decode()
    captions = caption_texts(page)
    for tile in tiles(dashboard(client, "district", r.d, month)).values():
        assert tile["key"] in captions, tile["key"]
    assert captions["members"] == f"As at {statistics.reference_day(month):%Y-%m-%d}"
    year = metrics.compliance_period(month)
    assert captions["compliance_rate"].startswith(f"{year.label} to ")
    assert captions["transfers_open"] == f"Now ({r.today:%Y-%m-%d})"
    section = client.get(reverse("dashboard_compliance", args=["district", r.d.pk])).content.decode()
    columns = caption_texts(section)
    # The parks table's compliance column is on the same period and basis as the tile.
    assert captions["compliance_rate"].startswith(columns["compliance"] + " · ")
    assert columns["members"] == captions["members"]


def test_docs_define_every_metric():
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "docs" / "statistics.md").read_text()
    missing = [key for key in metrics.METRICS if f"`{key}`" not in text]
    assert missing == []
    assert dashboards.FIGURES.keys() <= metrics.METRICS.keys()
