"""The statistics summary kept fresh, and the cost of the figures (query counts that do not grow)."""

import datetime

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from activities.actions import activity_cancel
from activities.models import Activity, Attendance, OrganizationMonth
from members.models import Member
from stats.statistics import StatScope, figures, monthly_trend, refresh_summaries
from tests.factories import (
    MemberFactory,
    UserFactory,
)

from .statistics_world import MAY, Q2, TODAY, YEAR, at, get

# --- the summary is kept fresh ----------------------------------------------------------------------


def test_refresh_is_idempotent_and_partial(w):
    rows = OrganizationMonth.objects.count()
    assert refresh_summaries() == rows
    assert OrganizationMonth.objects.count() == rows
    # B1 in May: its committee meeting and G1's group meeting (compliance only).
    b1_may = {r.kind: r for r in OrganizationMonth.objects.filter(organization=w.b1, month=MAY.start)}
    assert b1_may["committee_meeting"].held == 1
    assert b1_may["committee_meeting"].compliance_held == 1
    assert b1_may["group_meeting"].held == 0
    assert b1_may["group_meeting"].compliance_held == 1
    assert (
        b1_may["committee_meeting"].present,
        b1_may["committee_meeting"].absent,
        b1_may["committee_meeting"].leave,
    ) == (2, 1, 1)
    Attendance.objects.filter(activity=w.a1, member=w.m3).update(status=Attendance.Status.PRESENT)
    assert get(w.d, MAY)["activities"]["attendance_person_times"] == 3  # stale until refreshed
    assert refresh_summaries(organization_ids=[w.b1.pk], months=[MAY.start]) == 2
    assert get(w.d, MAY)["activities"]["attendance_person_times"] == 4
    assert get(w.d, MAY) == get(w.d, MAY, live=True)
    assert OrganizationMonth.objects.count() == rows


def test_actions_refresh_the_summary_on_commit(w, django_capture_on_commit_callbacks):
    root = UserFactory(username="root", is_superuser=True)
    with django_capture_on_commit_callbacks(execute=True):
        activity_cancel(activity=w.a1, by=root, reason="wrongly logged")
    may = get(w.d, MAY)
    assert may["activities"]["total"] == 1
    assert may["activities"]["attendance_person_times"] == 1
    assert may == get(w.d, MAY, live=True)


def test_management_command(w, capsys):
    OrganizationMonth.objects.all().delete()
    call_command("refresh_statistics", "--period", "2026-Q2")
    assert "summary rows written" in capsys.readouterr().out
    assert set(OrganizationMonth.objects.values_list("month", flat=True)) == {
        datetime.date(2026, 4, 1),
        datetime.date(2026, 5, 1),
        datetime.date(2026, 6, 1),
    }
    assert get(w.d, Q2) == get(w.d, Q2, live=True)


def test_nightly_task(w):
    from activities.tasks import refresh_statistics_summaries

    OrganizationMonth.objects.all().delete()
    assert refresh_statistics_summaries.delay().get() > 0
    assert get(w.d, YEAR) == get(w.d, YEAR, live=True)


# --- cost -------------------------------------------------------------------------------------------


def grow(w, n):
    """Add ``n`` members, each at ten activities of B3 (a hundred-odd attendance rows per n)."""
    members = [MemberFactory(organization=w.b3, birth_date=datetime.date(1980 + i % 30, 1, 1)) for i in range(n)]
    for month in (1, 2, 3, 4, 5, 6, 7, 1, 2, 3):
        a = Activity.objects.create(
            host=w.b3,
            kind="committee_meeting",
            title="x",
            starts_at=at(datetime.date(2026, month, 12)),
            status=Activity.Status.HELD,
        )
        Attendance.objects.bulk_create(Attendance(activity=a, member=m) for m in members)
    refresh_summaries()


def count_queries(fn):
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx.captured_queries)


@pytest.mark.parametrize("obj", ["d", "p2", "b3"])
def test_query_count_does_not_grow(w, obj, django_assert_num_queries):
    def dashboard():
        scope = StatScope.of(getattr(w, obj))
        figures(scope, YEAR, today=TODAY)
        figures(scope, Q2, today=TODAY)
        monthly_trend(scope, until=TODAY)

    small = count_queries(dashboard)
    grow(w, 15)
    with django_assert_num_queries(small):
        dashboard()
    # Each compliance figure asks two more questions since rules have subjects (the committees and
    # the branches with party groups): a fixed number, as the line above checks.
    assert small <= 44


def test_summary_figures_do_not_read_attendance(w):
    with CaptureQueriesContext(connection) as ctx:
        figures(StatScope.of(w.d), YEAR, today=TODAY)
        monthly_trend(StatScope.of(w.d), until=TODAY)
    assert not any("activities_attendance" in q["sql"] for q in ctx.captured_queries)
    with CaptureQueriesContext(connection) as ctx:
        figures(StatScope.of(w.d), YEAR, live=True, today=TODAY)
    assert any("activities_attendance" in q["sql"] for q in ctx.captured_queries)


def test_default_today_is_the_local_date(w, monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: TODAY)
    assert figures(StatScope.of(w.d), Q2) == get(w.d, Q2)


def test_member_figures_follow_every_change_of_a_member(w):
    assert get(w.d, YEAR)["members"]["total"] == 9  # now cached
    MemberFactory(organization=w.b1)
    assert get(w.d, YEAR)["members"]["total"] == 10
    w.m6.status = Member.Status.REMOVED
    w.m6.save()
    after = get(w.d, YEAR)
    assert after["members"]["total"] == 9
    assert after["members"]["by_stage"]["applicant"] == 0
    assert after == get(w.d, YEAR, live=True)
    w.m10.delete()
    assert get(w.d, YEAR)["members"]["total"] == 8


# --- the yearly roll-up ------------------------------------------------------------------------------


def test_the_year_rows_are_the_sums_of_the_month_rows_and_give_the_live_year_figures(w):
    from collections import defaultdict

    from activities.models import OrganizationYear
    from activities.summaries import FIELDS

    def sums_of_months():
        sums = defaultdict(lambda: dict.fromkeys(FIELDS, 0))
        for row in OrganizationMonth.objects.all():
            for name in FIELDS:
                sums[row.organization_id, row.month.replace(month=1), row.kind][name] += getattr(row, name)
        return {key: value for key, value in sums.items()}

    def year_rows():
        return {
            (row.organization_id, row.year, row.kind): {name: getattr(row, name) for name in FIELDS}
            for row in OrganizationYear.objects.all()
        }

    assert year_rows() == sums_of_months()
    assert year_rows()
    assert get(w.d, YEAR) == get(w.d, YEAR, live=True)
    # A change, refreshed for its organisation and month only, reaches the year row and figures.
    Attendance.objects.filter(activity=w.a1, member=w.m3).update(status=Attendance.Status.PRESENT)
    refresh_summaries(organization_ids=[w.b1.pk], months=[MAY.start])
    assert year_rows() == sums_of_months()
    assert get(w.d, YEAR) == get(w.d, YEAR, live=True)
    # An activity gone: its year row goes with its month row.
    Activity.objects.filter(host=w.b3).delete()
    refresh_summaries()
    assert year_rows() == sums_of_months()
    assert not OrganizationYear.objects.filter(organization=w.b3, held__gt=0).exists()
    assert get(w.d, YEAR) == get(w.d, YEAR, live=True)


def test_year_figures_read_the_year_rows(w):
    with CaptureQueriesContext(connection) as ctx:
        figures(StatScope.of(w.d), YEAR, today=TODAY)
    sql = " ".join(q["sql"] for q in ctx.captured_queries)
    assert "activities_organizationyear" in sql
