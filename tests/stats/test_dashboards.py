"""District, park and organisation dashboards: who may open them, the figures they show (those of
portal.statistics), the rows behind each figure, and a query count that does not grow with the data."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from activities.models import Activity, Attendance
from members.models import Member, Stage, Transfer
from services.models import ServiceRequest
from stats import dashboards, statistics
from tests.activities.factories import ActivityFactory, AttendanceFactory, earlier_today
from tests.factories import EnterpriseFactory, MemberFactory, OrganizationFactory
from tests.services.factories import ServiceRequestFactory

pytestmark = pytest.mark.django_db


def url(name, kind, obj, *extra, period=None):
    result = reverse(name, args=[kind, obj.pk, *extra])
    return result + (f"?period={period}" if period else "")


def data(world, *, branches=1, park=None, today=None):
    """Give district A some life: per extra branch, members (a new probationary one among them),
    a held activity with attendance, an open overdue service request and an open transfer."""
    park = park or world.park_a1
    today = today or timezone.localdate()
    for i in range(branches):
        n = Organization_count()
        branch = OrganizationFactory(name=f"支部X{n}", park=park)
        enterprise = EnterpriseFactory(name=f"企业X{n}", park=park)
        if i % 2:
            branch.enterprises.add(enterprise)
        members = [MemberFactory(organization=branch, employer=enterprise) for _ in range(3)]
        MemberFactory(
            organization=branch,
            stage=Stage.PROBATIONARY,
            full_on=None,
            probationary_on=today.replace(day=1),
        )
        MemberFactory(
            organization=branch,
            stage=Stage.PROBATIONARY,
            full_on=None,
            probationary_on=today - datetime.timedelta(days=400),
        )
        activity = ActivityFactory(host=branch, starts_at=earlier_today(hours=3))
        for member in members:
            AttendanceFactory(activity=activity, member=member)
        request = ServiceRequestFactory(enterprise=enterprise, requester=world.member_user)
        ServiceRequest.objects.filter(pk=request.pk).update(due_on=today - datetime.timedelta(days=2))
        transfer = Transfer.objects.create(
            member=members[0], from_organization=branch, to_organization=world.branch_a2, reason="工作调动"
        )
        Transfer.objects.filter(pk=transfer.pk).update(requested_at=timezone.now() - datetime.timedelta(days=30))
    statistics.refresh_summaries()


_counter = iter(range(10_000))


def Organization_count():
    return next(_counter)


# --- who may open which dashboard -----------------------------------------------------------------

ACCESS = [
    ("official", "district", "district_a", 200),
    ("official", "district", "district_b", 404),
    ("official", "park", "park_a1", 200),
    ("official", "park", "park_b", 404),
    ("official", "organization", "branch_a1", 200),
    ("official", "organization", "branch_b", 404),
    ("official_b", "district", "district_a", 404),
    ("park_admin", "park", "park_a1", 200),
    ("park_admin", "park", "park_a2", 404),
    ("park_admin", "district", "district_a", 404),
    ("park_admin", "organization", "branch_a1", 200),
    ("park_admin", "organization", "branch_a2", 404),
    ("secretary", "organization", "branch_a1", 200),
    ("secretary", "organization", "branch_a2", 404),
    ("secretary", "park", "park_a1", 404),
    ("superuser", "district", "district_b", 200),
    ("member_user", "organization", "branch_a1", 403),
    ("service", "park", "park_a1", 403),
    ("outsider", "district", "district_a", 403),
]


@pytest.mark.parametrize(("who", "kind", "target", "status"), ACCESS)
def test_access_per_role(client, world, who, kind, target, status):
    client.force_login(getattr(world, who))
    obj = getattr(world, target)
    assert client.get(url("dashboard", kind, obj)).status_code == status
    assert client.get(url("dashboard_alerts", kind, obj)).status_code == status
    assert client.get(url("dashboard_compliance", kind, obj)).status_code == status
    assert client.get(url("dashboard_rows", kind, obj, "members")).status_code == status


def test_anonymous_users_log_in_first(client, world):
    response = client.get(url("dashboard", "district", world.district_a))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_unknown_scope_kind_and_figure_are_not_found(client, world):
    client.force_login(world.official)
    assert client.get(f"/dashboard/enterprise/{world.enterprise_a1.pk}/").status_code == 404
    assert client.get(f"/dashboard/district/{world.district_a.pk + 999}/").status_code == 404
    assert client.get(url("dashboard_rows", "district", world.district_a, "salaries")).status_code == 404
    assert client.get(url("dashboard_rows", "district", world.district_a, "alert-nothing")).status_code == 404


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("official", ("district", "district_a")),
        ("park_admin", ("park", "park_a1")),
        ("secretary", ("organization", "branch_a1")),
    ],
)
def test_dashboard_home_sends_each_user_to_their_own(client, world, who, expected):
    client.force_login(getattr(world, who))
    response = client.get(reverse("dashboard_home"))
    kind, target = expected
    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard", args=[kind, getattr(world, target).pk])


@pytest.mark.parametrize("who", ["member_user", "service", "outsider"])
def test_dashboard_home_refuses_roles_without_a_dashboard(client, world, who):
    client.force_login(getattr(world, who))
    assert client.get(reverse("dashboard_home")).status_code == 403


def test_menu_and_home_card_link_officials_and_park_admins_only(client, world):
    for who, shown in (("official", True), ("park_admin", True), ("secretary", False), ("member_user", False)):
        client.force_login(getattr(world, who))
        page = client.get(reverse("home")).content.decode()
        assert (f'href="{reverse("dashboard_home")}"' in page) is shown, who
        assert ('id="card-dashboard"' in page) is shown, who


def test_a_bad_period_is_a_400_with_the_current_month(client, world):
    client.force_login(world.official)
    response = client.get(url("dashboard", "district", world.district_a, period="2026-13"))
    assert response.status_code == 400
    assert 'id="period-error"' in response.content.decode()
    assert response.context["period"] == statistics.Period.current("month")
    response = client.get(url("dashboard_rows", "district", world.district_a, "members", period="junk"))
    assert response.status_code == 400
    for value in ("0001", "9999", "0001-01", "9999-Q4"):
        assert client.get(url("dashboard", "district", world.district_a, period=value)).status_code == 400, value


# --- the figures shown are the module's -----------------------------------------------------------


@pytest.mark.parametrize("period", ["", "month", "quarter", "year"])
def test_the_figures_shown_are_those_of_the_statistics_module(client, world, period):
    data(world, branches=2)
    label = statistics.Period.current(period).label if period else ""
    client.force_login(world.official)
    response = client.get(url("dashboard", "district", world.district_a, period=label))
    assert response.status_code == 200
    scope = statistics.StatScope.of(world.district_a)
    expected = statistics.figures(scope, response.context["period"], compliance=False)  # compliance: over the year
    assert response.context["figures"] == expected
    page = response.content.decode()
    shown = dict(re.findall(r'data-stat="(\w+)">([^<]+)<', page))
    assert shown["members"] == str(expected["members"]["total"])
    assert shown["new_members"] == str(expected["members"]["new"])
    assert shown["activities"] == str(expected["activities"]["total"])
    assert shown["attendance"] == str(expected["activities"]["attendance_person_times"])
    assert shown["requests"] == str(expected["services"]["received"])
    assert shown["enterprises"] == str(expected["enterprises"]["total"])
    assert expected["activities"]["total"] == 2
    assert expected["members"]["new"] >= 2


def test_trend_heatmap_and_coverage_come_from_the_module(client, world):
    data(world, branches=2)
    client.force_login(world.park_admin)
    response = client.get(url("dashboard", "park", world.park_a1))
    charts = response.context["charts"]
    heat = client.get(url("dashboard_compliance", "park", world.park_a1)).context["heatmap"]
    scope = statistics.StatScope.of(world.park_a1)
    trend = statistics.monthly_trend(scope, months=12)
    assert charts["trend"]["months"] == [row["month"] for row in trend]
    assert charts["trend"]["series"][1]["data"] == [row["activities"] for row in trend]
    branches = statistics.compliance_by_branch(scope, year=timezone.localdate().year)
    assert sorted(heat["y"]) == sorted(b.organization.name for b in branches)
    assert heat["total"] == len(branches)
    figures = statistics.figures(scope, response.context["period"])
    assert [s["value"] for s in charts["coverage"]] == [
        figures["enterprises"]["own_organization"],
        figures["enterprises"]["joint_organization"],
        figures["enterprises"]["uncovered"],
    ]
    page = response.content.decode()
    assert 'id="dashboard-data"' in page
    assert "vendor/echarts.min.js" in page
    assert "//cdn" not in page


def test_heatmap_links_to_the_branch_page_or_its_dashboard(client, world):
    client.force_login(world.park_admin)
    heat = client.get(url("dashboard_compliance", "park", world.park_a1)).context["heatmap"]
    assert heat["urls"] == [reverse("members:branch", args=[world.branch_a1.pk])]
    client.force_login(world.official)
    heat = client.get(url("dashboard_compliance", "park", world.park_a1)).context["heatmap"]
    assert heat["urls"] == [reverse("dashboard", args=["organization", world.branch_a1.pk])]


def test_district_lists_its_parks_and_park_its_branches(client, world):
    client.force_login(world.official)
    response = client.get(url("dashboard_compliance", "district", world.district_a))
    assert response.context["children_kind"] == "parks"
    assert [row.name for row in response.context["children"]] == ["园区A1", "园区A2"]
    assert response.context["children"][0].url == reverse("dashboard", args=["park", world.park_a1.pk])
    client.force_login(world.park_admin)
    response = client.get(url("dashboard_compliance", "park", world.park_a1))
    assert response.context["children_kind"] == "branches"
    assert [row.name for row in response.context["children"]] == ["支部A1"]


def test_the_cached_members_of_each_park_follow_every_change_of_their_data(client, world):
    """The district's parks table counts each park's members once per version of the members and
    organisations (stats.metrics.per_park): a member added, moved to another park's branch, gone
    inactive, a branch moved to another park and another period are each seen by the next view,
    and each park's figure is the count of its own drill-down."""
    from stats import metrics

    client.force_login(world.official)

    def members_by_park(period=None):
        response = client.get(url("dashboard_compliance", "district", world.district_a, period=period))
        table = {row.name: row.figures["members"] for row in response.context["children"]}
        shown = response.context["period"]
        for park in (world.park_a1, world.park_a2):
            rows = metrics.METRICS["members"].build(
                world.official, statistics.StatScope.of(park), shown, timezone.localdate()
            )
            assert table[park.name] == rows.count()
        return [table["园区A1"], table["园区A2"]]

    a1, a2 = members_by_park()
    assert a2 > 0
    assert members_by_park() == [a1, a2]  # from the cache
    MemberFactory(organization=world.branch_a1)
    assert members_by_park() == [a1 + 1, a2]
    moved = Member.objects.get(pk=world.member_a1.pk)
    moved.organization = world.branch_a2
    moved.save()
    assert members_by_park() == [a1, a2 + 1]
    moved.status = Member.Status.TRANSFERRED_OUT
    moved.save()
    assert members_by_park() == [a1, a2]
    branch = world.branch_a2
    branch.park = world.park_a1
    branch.save()
    assert members_by_park() == [a1 + a2, 0]
    today = timezone.localdate()
    last_year = str(today.year - 1)
    MemberFactory(
        organization=world.branch_a1,
        stage=Stage.APPLICANT,
        applied_on=today,
        activist_on=None,
        candidate_on=None,
        probationary_on=None,
        full_on=None,
    )
    assert members_by_park() == [a1 + a2 + 1, 0]
    assert members_by_park(last_year) == [a1 + a2, 0]  # no applicant yet at the end of last year


def test_in_flight_counts_open_and_overdue_transfers_and_requests(client, world):
    data(world, branches=2)
    client.force_login(world.official)
    flight = client.get(url("dashboard", "district", world.district_a)).context["in_flight"]
    assert flight == {"transfers_open": 2, "transfers_overdue": 2, "requests_open": 2, "requests_overdue": 2}
    client.force_login(world.official_b)
    flight = client.get(url("dashboard", "district", world.district_b)).context["in_flight"]
    assert flight == {"transfers_open": 0, "transfers_overdue": 0, "requests_open": 0, "requests_overdue": 0}


# --- drill-down -----------------------------------------------------------------------------------

FIGURE_OF = {
    "members": ("members", "total"),
    "members_new": ("members", "new"),
    "enterprises": ("enterprises", "total"),
    "enterprises_own": ("enterprises", "own_organization"),
    "enterprises_joint": ("enterprises", "joint_organization"),
    "enterprises_uncovered": ("enterprises", "uncovered"),
    "organizations": ("organizations", "total"),
    "activities": ("activities", "total"),
    "requests": ("services", "received"),
    "requests_overdue": ("services", "overdue"),
}


@pytest.mark.parametrize("period_kind", ["month", "year"])
@pytest.mark.parametrize(
    ("who", "kind", "target"),
    [
        ("official", "district", "district_a"),
        ("park_admin", "park", "park_a1"),
        ("secretary", "organization", "branch_a1"),
    ],
)
def test_drill_down_rows_are_exactly_those_behind_the_figure(client, world, who, kind, target, period_kind):
    data(world, branches=3)
    data(world, branches=1, park=world.park_b)
    period = statistics.Period.current(period_kind)
    obj = getattr(world, target)
    figures = statistics.figures(statistics.StatScope.of(obj), period)
    client.force_login(getattr(world, who))
    for figure, (group, key) in FIGURE_OF.items():
        response = client.get(url("dashboard_rows", kind, obj, figure, period=period.label))
        assert response.status_code == 200, figure
        assert response.context["page"].paginator.count == figures[group][key], figure


def test_drill_down_lists_the_members_in_scope_and_links_on(client, world):
    data(world, branches=1, park=world.park_b)
    client.force_login(world.official)
    response = client.get(url("dashboard_rows", "district", world.district_a, "members"))
    rows = [row for row, _link in response.context["links"]]
    assert {m.pk for m in rows} == {
        world.member_a1.pk,
        world.member_a1_other.pk,
        world.member_group.pk,
        world.member_a2.pk,
    }
    # An official sees the list but cannot open a member's lifecycle page: no link.
    assert all(link is None for _row, link in response.context["links"])
    client.force_login(world.park_admin)
    response = client.get(url("dashboard_rows", "park", world.park_a1, "members"))
    links = dict((row.pk, link) for row, link in response.context["links"])
    assert set(links) == {world.member_a1.pk, world.member_a1_other.pk, world.member_group.pk}
    assert links[world.member_a1.pk] == reverse("members:member_lifecycle", args=[world.member_a1.pk])
    assert "成员B" not in response.content.decode()


def test_drill_down_to_activities_requests_and_transfers_links_to_their_pages(client, world):
    data(world, branches=1)
    client.force_login(world.official)
    activity = Activity.objects.get(title__startswith="支委会", host__park=world.park_a1)
    page = client.get(url("dashboard_rows", "district", world.district_a, "activities")).content.decode()
    assert reverse("activities:detail", args=[activity.pk]) in page
    request = ServiceRequest.objects.get()
    page = client.get(url("dashboard_rows", "district", world.district_a, "requests_overdue")).content.decode()
    assert reverse("services:request_detail", args=[request.pk]) in page
    transfer = Transfer.objects.get()
    page = client.get(url("dashboard_rows", "district", world.district_a, "transfers_overdue")).content.decode()
    assert reverse("members:transfer_detail", args=[transfer.pk]) in page
    page = client.get(url("dashboard_rows", "district", world.district_a, "alert-probation_due")).content.decode()
    assert 'data-kind="alerts"' in page


def test_drill_down_is_paginated(client, world):
    for _ in range(3):
        MemberFactory(organization=world.branch_a2)
    client.force_login(world.official)
    from stats import views as views_dashboards

    old, views_dashboards.ROWS_PER_PAGE = views_dashboards.ROWS_PER_PAGE, 2
    try:
        response = client.get(url("dashboard_rows", "district", world.district_a, "members") + "?page=2")
    finally:
        views_dashboards.ROWS_PER_PAGE = old
    assert response.context["page"].number == 2
    assert len(response.context["links"]) == 2


# --- query counts ---------------------------------------------------------------------------------


def _count(client, path):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    return len(queries)


@pytest.mark.parametrize(
    ("who", "name", "kind", "target", "extra"),
    [
        ("official", "dashboard", "district", "district_a", ()),
        ("park_admin", "dashboard", "park", "park_a1", ()),
        ("official", "dashboard_alerts", "district", "district_a", ()),
        ("official", "dashboard_compliance", "district", "district_a", ()),
        ("park_admin", "dashboard_compliance", "park", "park_a1", ()),
        ("official", "dashboard_rows", "district", "district_a", ("members",)),
        ("park_admin", "dashboard_rows", "park", "park_a1", ("activities",)),
        ("official", "dashboard_rows", "district", "district_a", ("requests_overdue",)),
        ("official", "dashboard_rows", "district", "district_a", ("transfers_open",)),
    ],
)
def test_query_count_does_not_grow_with_the_data(
    client, world, django_assert_num_queries, who, name, kind, target, extra
):
    data(world, branches=1)
    data(world, branches=1, park=world.park_a2)
    client.force_login(getattr(world, who))
    path = url(name, kind, getattr(world, target), *extra)
    small = _count(client, path)
    data(world, branches=6)
    data(world, branches=3, park=world.park_a2)
    with django_assert_num_queries(small):
        client.get(path)


def test_dashboard_selector_is_usable_without_a_request(world):
    """The bench (bench/stats_at_scale.py) times dashboards.dashboard() directly."""
    scope = statistics.StatScope.of(world.district_a)
    context = dashboards.dashboard(world.official, scope, statistics.Period.current("year"))
    assert context["scope_name"] == "南湖区"
    assert Member.objects.count()
    assert Attendance.objects.count() == 0


def test_breadcrumbs_lead_up_to_the_dashboards_the_user_may_open(client, world):
    client.force_login(world.official)
    crumbs = client.get(url("dashboard", "organization", world.branch_a1)).context["breadcrumbs"]
    assert [c["name"] for c in crumbs] == ["南湖区", "园区A1"]
    client.force_login(world.park_admin)
    crumbs = client.get(url("dashboard", "organization", world.branch_a1)).context["breadcrumbs"]
    assert [c["url"] for c in crumbs] == [reverse("dashboard", args=["park", world.park_a1.pk])]
    client.force_login(world.secretary)
    assert client.get(url("dashboard", "organization", world.branch_a1)).context["breadcrumbs"] == []


def test_an_organisation_dashboard_lists_the_organisation_and_its_units(client, world):
    client.force_login(world.secretary)
    response = client.get(url("dashboard_compliance", "organization", world.branch_a1))
    assert response.context["children_kind"] == "units"
    rows = {row.name: row for row in response.context["children"]}
    assert set(rows) == {"支部A1", "党小组A1"}
    assert rows["支部A1"].url == reverse("members:branch", args=[world.branch_a1.pk])
    assert rows["支部A1"].figures["members"] == 2
    assert rows["党小组A1"].figures["members"] == 1


@pytest.mark.parametrize("period_kind", ["month", "year"])
def test_drill_down_by_stage_equals_the_members_by_stage(client, world, period_kind):
    data(world, branches=2)
    MemberFactory(
        organization=world.branch_a2,
        stage=Stage.APPLICANT,
        activist_on=None,
        candidate_on=None,
        probationary_on=None,
        full_on=None,
    )
    period = statistics.Period.current(period_kind)
    by_stage = statistics.figures(statistics.StatScope.of(world.district_a), period)["members"]["by_stage"]
    client.force_login(world.official)
    charts = client.get(url("dashboard", "district", world.district_a, period=period.label)).context["charts"]
    assert [row["figure"] for row in charts["stages"]] == [f"members_{stage}" for stage in by_stage]
    for stage, expected in by_stage.items():
        response = client.get(
            url("dashboard_rows", "district", world.district_a, f"members_{stage}", period=period.label)
        )
        assert response.context["page"].paginator.count == expected, stage
    assert by_stage["probationary"] >= 2
    assert by_stage["applicant"] == 1
