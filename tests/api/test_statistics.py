"""/api/v1/statistics/: the figures, the trend and the compliance of a scope, as portal.statistics
computes them; 404 outside the user's scope, 400 for a bad parameter, described in the schema."""

import pytest
from django.urls import reverse
from django.utils import timezone

from stats import statistics
from tests.activities.factories import ActivityFactory, AttendanceFactory, earlier_today

from .conftest import token_client

pytestmark = pytest.mark.django_db


def endpoint(name, kind, obj):
    return reverse(f"api:statistics-{name}", args=[kind, obj.pk])


@pytest.fixture
def activity(world):
    activity = ActivityFactory(host=world.branch_a1, kind="themed_day", starts_at=earlier_today(hours=3))
    for member in (world.member_a1, world.member_a1_other):
        AttendanceFactory(activity=activity, member=member)
    statistics.refresh_summaries()
    return activity


@pytest.mark.parametrize("period", ["", "2026", "2026-Q2", "2026-04"])
def test_figures_are_those_of_the_module(world, activity, period):
    response = token_client(world.official).get(
        endpoint("figures", "district", world.district_a), {"period": period} if period else {}
    )
    assert response.status_code == 200
    expected_period = statistics.Period.parse(period) if period else statistics.Period.current("month")
    expected = statistics.figures(statistics.StatScope.of(world.district_a), expected_period)
    assert response.json() == expected


def test_live_figures_equal_the_summary(world, activity):
    client = token_client(world.park_admin)
    path = endpoint("figures", "park", world.park_a1)
    assert client.get(path, {"live": "true"}).json() == client.get(path).json()
    assert client.get(path).json()["activities"]["attendance_person_times"] == 2


@pytest.mark.parametrize(
    ("who", "kind", "target", "status"),
    [
        ("official", "district", "district_a", 200),
        ("official", "district", "district_b", 404),
        ("official", "organization", "branch_a1", 200),
        ("park_admin", "park", "park_a1", 200),
        ("park_admin", "park", "park_a2", 404),
        ("park_admin", "district", "district_a", 404),
        ("secretary", "organization", "branch_a1", 200),
        ("secretary", "organization", "branch_b", 404),
        ("member_user", "organization", "branch_a1", 404),
        ("official_b", "park", "park_a1", 404),
        ("superuser", "park", "park_b", 200),
    ],
)
def test_every_endpoint_is_scoped(world, who, kind, target, status):
    client = token_client(getattr(world, who))
    for name in ("figures", "trend", "compliance"):
        assert client.get(endpoint(name, kind, getattr(world, target))).status_code == status, name


def test_anonymous_is_refused_and_unknown_kinds_are_not_found(world):
    assert token_client().get(endpoint("figures", "district", world.district_a)).status_code in (401, 403)
    client = token_client(world.official)
    assert client.get(f"/api/v1/statistics/enterprise/{world.enterprise_a1.pk}/").status_code == 404


@pytest.mark.parametrize(
    ("name", "params", "field"),
    [
        ("figures", {"period": "2026-13"}, "period"),
        ("figures", {"period": "last year"}, "period"),
        ("figures", {"period": "0001"}, "period"),
        ("figures", {"period": "9999-12"}, "period"),
        ("trend", {"until": "0001-01-01"}, "until"),
        ("trend", {"months": "0"}, "months"),
        ("trend", {"months": "many"}, "months"),
        ("trend", {"until": "2026-02-30"}, "until"),
        ("compliance", {"year": "20x6"}, "year"),
    ],
)
def test_bad_parameters_are_400_with_the_field(world, name, params, field):
    response = token_client(world.official).get(endpoint(name, "district", world.district_a), params)
    assert response.status_code == 400
    assert field in response.json()


def test_trend(world, activity):
    scope = statistics.StatScope.of(world.park_a1)
    response = token_client(world.park_admin).get(endpoint("trend", "park", world.park_a1), {"months": 6})
    assert response.status_code == 200
    assert response.json() == statistics.monthly_trend(scope, months=6)
    assert len(response.json()) == 6
    assert response.json()[-1]["activities"] == 1


def test_compliance(world, activity):
    year = timezone.localdate().year
    response = token_client(world.official).get(endpoint("compliance", "district", world.district_a), {"year": year})
    assert response.status_code == 200
    rows = response.json()
    assert [row["name"] for row in rows] == ["支部A1", "支部A2"]
    expected = statistics.compliance_by_branch(statistics.StatScope.of(world.district_a), year=year)
    assert [row["met"] for row in rows] == [branch.met for branch in expected]
    themed = next(rule for rule in rows[0]["rules"] if rule["kind"] == "themed_day")
    assert len(themed["cells"]) == 12
    assert themed["met"] >= 1
    # 支部A1 has no committee: its 支委会 periods are not applicable, neither met nor missing.
    committee = next(rule for rule in rows[0]["rules"] if rule["kind"] == "committee_meeting")
    assert committee["applies_to"] == "with_committee"
    assert {cell["state"] for cell in committee["cells"]} == {"na"}
    assert committee["elapsed"] == 0


def test_query_count_does_not_grow(world, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import MemberFactory, OrganizationFactory

    client = token_client(world.official)
    paths = [endpoint(name, "district", world.district_a) for name in ("figures", "trend", "compliance")]

    def grow(n):
        for _ in range(n):
            branch = OrganizationFactory(park=world.park_a1)
            members = [MemberFactory(organization=branch) for _ in range(3)]
            activity = ActivityFactory(host=branch, starts_at=earlier_today(hours=5))
            for member in members:
                AttendanceFactory(activity=activity, member=member)
        statistics.refresh_summaries()

    grow(1)
    counts = []
    for path in paths:
        with CaptureQueriesContext(connection) as queries:
            client.get(path)
        counts.append(len(queries))
    grow(5)
    for path, count in zip(paths, counts, strict=True):
        with django_assert_max_num_queries(count):
            assert client.get(path).status_code == 200


def test_schema_describes_the_bodies(world):
    response = token_client(world.official).get(reverse("api:schema"), {"format": "json"})
    assert response.status_code == 200
    schema = response.json()
    paths = schema["paths"]
    figures = paths["/api/v1/statistics/{kind}/{id}/"]["get"]
    assert figures["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/StatFigures")
    assert {p["name"] for p in figures["parameters"]} >= {"kind", "id", "period"}
    assert "404" in figures["responses"]
    assert "400" in figures["responses"]
    members = schema["components"]["schemas"]["StatMemberFigures"]["properties"]
    assert {"total", "by_stage", "new", "transferred_in"} <= set(members)
    assert "/api/v1/statistics/{kind}/{id}/trend/" in paths
    assert "/api/v1/statistics/{kind}/{id}/compliance/" in paths
