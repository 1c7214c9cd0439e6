"""Statistics reports: built idempotently, runs recorded, retried, scoped pages, Excel, schedule."""

import datetime
import io
import json
import re

import pytest
from django.conf import settings
from django.db import OperationalError
from django.urls import reverse
from django.utils import timezone

from reports import actions as report_actions
from reports import building as report_building
from reports import excel as report_excel
from reports import selectors as report_selectors
from reports.models import StatReport, StatReportRun
from reports.tasks import build_periodic_reports, build_stat_report
from stats import statistics
from tests.factories import MemberFactory

pytestmark = pytest.mark.django_db

APRIL = statistics.Period.parse("2026-04")
MARCH = statistics.Period.parse("2026-03")


def district_scope(world):
    return statistics.StatScope.of(world.district_a)


def build(world, period=APRIL, scope=None):
    return report_building.build_report(scope=scope or district_scope(world), period=period)


# -- building --------------------------------------------------------------------------------------


def test_building_twice_leaves_one_report_with_the_new_figures(world):
    first = build(world)
    assert first.data["members"]["total"] == 4  # A1 ×2, the party group, A2 (not district B)
    assert first.data["scope"] == {"kind": "district", "id": world.district_a.pk, "name": "南湖区"}
    MemberFactory(organization=world.branch_a2)
    second = build(world)
    assert StatReport.objects.count() == 1
    assert second.pk == first.pk
    second.refresh_from_db()
    assert second.data["members"]["total"] == 5
    assert second.generated_at >= first.generated_at


def test_the_report_holds_exactly_the_figures_of_the_statistics_module(world):
    report = build(world, scope=statistics.StatScope.of(world.park_a1))
    assert report.scope_kind == "park"
    assert report.park == world.park_a1
    assert report.district is None
    assert report.data == json.loads(json.dumps(statistics.figures(statistics.StatScope.of(world.park_a1), APRIL)))
    assert report.period_label == "2026-04"
    assert report.period_kind == "month"


def test_one_report_per_scope_and_period_is_a_database_rule(world):
    from django.db import IntegrityError, transaction

    build(world)
    with pytest.raises(IntegrityError), transaction.atomic():
        StatReport.objects.create(
            scope_kind="district",
            district=world.district_a,
            period_kind="month",
            period_start=APRIL.start,
            generated_at=timezone.now(),
        )
    # Other periods, kinds and scopes are other reports.
    build(world, period=MARCH)
    build(world, period=statistics.Period.parse("2026-Q2"))
    build(world, scope=statistics.StatScope.of(world.park_a1))
    assert StatReport.objects.count() == 4


def test_organisation_scopes_have_no_reports(world):
    with pytest.raises(ValueError):
        report_building.build_report(scope=statistics.StatScope.of(world.branch_a1), period=APRIL)


# -- runs and the task -----------------------------------------------------------------------------


def test_a_run_is_enqueued_only_after_commit_and_records_success_and_duration(
    world, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        run = report_actions.request_build(scope_kind="district", scope_id=world.district_a.pk, period=APRIL)
    assert run.status == StatReportRun.Status.QUEUED
    assert run.task_id
    assert not StatReport.objects.exists()  # nothing ran before the commit
    assert len(callbacks) == 1
    callbacks[0]()  # the commit: eagerly, the task runs here
    run.refresh_from_db()
    assert run.status == StatReportRun.Status.SUCCESS
    assert run.attempts == 1
    assert run.error == ""
    assert run.report == StatReport.objects.get()
    assert run.started_at
    assert run.finished_at
    assert run.finished_at >= run.started_at
    assert run.duration is not None
    assert run.duration >= datetime.timedelta(0)


def test_a_rolled_back_request_enqueues_nothing(world, django_capture_on_commit_callbacks):
    from django.db import transaction

    def failing_action():
        with transaction.atomic():
            report_actions.request_build(scope_kind="district", scope_id=world.district_a.pk, period=APRIL)
            raise RuntimeError("the surrounding action failed")

    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(RuntimeError):
        failing_action()
    assert callbacks == []
    assert not StatReportRun.objects.exists()
    assert not StatReport.objects.exists()


def _queued_run(world):
    return StatReportRun.objects.create(
        scope_kind="district", district=world.district_a, period_kind="month", period_start=APRIL.start
    )


def test_a_transient_failure_is_retried_and_the_run_recovers(world, monkeypatch):
    real_figures = statistics.figures
    seen = []

    def flaky(scope, period, **kwargs):
        seen.append(StatReportRun.objects.values_list("status", "attempts").get())
        if len(seen) == 1:
            raise OperationalError("server closed the connection unexpectedly")
        return real_figures(scope, period, **kwargs)

    monkeypatch.setattr(statistics, "figures", flaky)
    run = _queued_run(world)
    # Applied locally, Celery runs the retry at once (a worker would wait for the backoff).
    result = build_stat_report.apply(args=[run.pk], throw=False)
    assert result.state == "SUCCESS"
    assert seen == [("running", 1), ("running", 2)]
    run.refresh_from_db()
    assert run.status == StatReportRun.Status.SUCCESS
    assert run.attempts == 2
    assert run.error == ""
    assert StatReport.objects.count() == 1
    assert run.report_id == StatReport.objects.get().pk


def test_a_failure_that_persists_fails_the_run(world, monkeypatch):
    def down(scope, period, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(statistics, "figures", down)
    run = _queued_run(world)
    # Applied eagerly with errors propagating (the embedded mode), the retry is raised at once
    # instead of run; a worker would retry up to max_retries with backoff.
    with pytest.raises(Exception, match="server closed the connection") as raised:
        build_stat_report.apply(args=[run.pk])
    assert "server closed the connection" in str(raised.value)
    run.refresh_from_db()
    assert run.status == StatReportRun.Status.FAILED
    assert run.attempts == 1
    assert "OperationalError: server closed the connection" in run.error
    assert run.duration is not None
    assert run.finished_at
    assert not StatReport.objects.exists()


def test_a_programming_error_fails_at_once_without_retry(world, monkeypatch):
    def broken(scope, period, **kwargs):
        raise KeyError("no such figure")

    monkeypatch.setattr(statistics, "figures", broken)
    run = _queued_run(world)
    result = build_stat_report.apply(args=[run.pk], throw=False)
    assert result.state == "FAILURE"
    run.refresh_from_db()
    assert run.status == StatReportRun.Status.FAILED
    assert "KeyError" in run.error


def test_task_options_for_production():
    assert build_stat_report.acks_late is True
    assert build_stat_report.max_retries == 3
    assert build_stat_report.retry_backoff
    assert any(issubclass(OperationalError, kind) for kind in build_stat_report.autoretry_for)
    visibility = settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    assert build_stat_report.soft_time_limit < build_stat_report.time_limit < visibility
    assert settings.CELERY_WORKER_PREFETCH_MULTIPLIER == 1
    assert settings.CELERY_TASK_ACKS_LATE


def test_the_periodic_job_builds_every_district_and_park_for_the_period_just_ended(
    world, django_capture_on_commit_callbacks
):
    for _twice in range(2):  # beat twice, or a redelivery: still one report per scope and period
        with django_capture_on_commit_callbacks(execute=True):
            runs = report_actions.request_periodic_builds(period_kind="quarter", today=datetime.date(2026, 7, 1))
        assert len(runs) == 2 + 3  # districts A and B, parks A1, A2 and B
    assert StatReport.objects.count() == 5
    assert set(StatReport.objects.values_list("period_kind", "period_start")) == {
        ("quarter", datetime.date(2026, 4, 1))
    }
    assert StatReport.objects.filter(scope_kind="district").count() == 2
    assert StatReportRun.objects.filter(status="success").count() == 10


def test_the_periodic_task_takes_the_period_from_today(world, django_capture_on_commit_callbacks):
    just_ended = statistics.Period.current("month").previous()
    with django_capture_on_commit_callbacks(execute=True):
        assert build_periodic_reports.apply(kwargs={"period_kind": "month"}).get(disable_sync_subtasks=False) == 5
    assert set(StatReport.objects.values_list("period_kind", "period_start")) == {("month", just_ended.start)}


def test_the_beat_schedule_exists_after_migrate():
    from django_celery_beat.models import PeriodicTask

    tasks = {t.name: t for t in PeriodicTask.objects.select_related("crontab")}
    kinds = {}
    for task in tasks.values():
        if task.task == "portal.tasks.build_periodic_reports":
            kinds[json.loads(task.kwargs)["period_kind"]] = task
    assert set(kinds) == {"month", "quarter", "year"}
    assert all(t.enabled and str(t.crontab.timezone) == "Asia/Shanghai" for t in kinds.values())
    assert kinds["month"].crontab.day_of_month == "1"
    assert kinds["month"].crontab.month_of_year == "*"
    assert kinds["quarter"].crontab.month_of_year == "1,4,7,10"
    assert kinds["year"].crontab.month_of_year == "1"
    assert kinds["year"].crontab.day_of_month == "1"


# -- scope -----------------------------------------------------------------------------------------


@pytest.fixture
def built(world):
    """Reports of April and March 2026 for district A, park A1 and district B."""
    out = {}
    for name, obj in (("a", world.district_a), ("a1", world.park_a1), ("a2", world.park_a2), ("b", world.district_b)):
        scope = statistics.StatScope.of(obj)
        report_building.build_report(scope=scope, period=MARCH)
        out[name] = report_building.build_report(scope=scope, period=APRIL)
    return out


def test_who_sees_which_reports(world, built):
    def seen(user):
        return {(r.scope_kind, r.district_id or r.park_id) for r in report_selectors.reports_visible_to(user)}

    a, a1, a2, b = world.district_a.pk, world.park_a1.pk, world.park_a2.pk, world.district_b.pk
    assert seen(world.official) == {("district", a), ("park", a1), ("park", a2)}
    assert seen(world.park_admin) == {("park", a1)}
    assert seen(world.official_b) == {("district", b)}
    assert seen(world.superuser) == {("district", a), ("park", a1), ("park", a2), ("district", b)}
    for user in (world.secretary, world.service, world.member_user, world.outsider):
        assert seen(user) == set()


def test_another_districts_report_is_not_found(client, world, built):
    client.force_login(world.official)
    other = built["b"]
    assert client.get(reverse("reports:detail", args=[other.pk])).status_code == 404
    assert client.get(reverse("reports:excel", args=[other.pk])).status_code == 404
    assert client.post(reverse("reports:rebuild", args=[other.pk])).status_code == 404
    client.force_login(world.park_admin)
    assert client.get(reverse("reports:detail", args=[built["a"].pk])).status_code == 404
    assert client.get(reverse("reports:detail", args=[built["a2"].pk])).status_code == 404
    assert client.get(reverse("reports:detail", args=[built["a1"].pk])).status_code == 200


def test_roles_without_reports_are_refused(client, world, built):
    for user in (world.secretary, world.member_user, world.service):
        client.force_login(user)
        assert client.get(reverse("reports:list")).status_code == 403
        assert client.get(reverse("reports:detail", args=[built["a1"].pk])).status_code == 403
    client.logout()
    assert client.get(reverse("reports:list")).status_code == 302


# -- pages -----------------------------------------------------------------------------------------


def test_the_list_is_scoped_filtered_and_its_query_count_does_not_grow(
    client, world, built, django_assert_max_num_queries
):
    client.force_login(world.official)
    url = reverse("reports:list")
    with django_assert_max_num_queries(12) as few:
        response = client.get(url)
    shown = {r.pk for r in response.context["page"].object_list}
    assert built["a"].pk in shown
    assert built["a1"].pk in shown
    assert built["b"].pk not in shown
    assert len(shown) == 6  # 3 scopes × 2 months
    # More reports, same number of queries.
    for period in ("2026-01", "2026-02", "2026-Q1", "2025"):
        for obj in (world.district_a, world.park_a1, world.park_a2):
            report_building.build_report(scope=statistics.StatScope.of(obj), period=statistics.Period.parse(period))
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url)
    assert len(response.context["page"].object_list) == 18

    response = client.get(url, {"scope": f"park:{world.park_a1.pk}", "period_kind": "month"})
    assert {(r.park_id, r.period_kind) for r in response.context["page"].object_list} == {(world.park_a1.pk, "month")}
    assert len(response.context["page"].object_list) == 4


def test_a_bad_filter_is_a_400_with_field_errors(client, world, built):
    client.force_login(world.official)
    response = client.get(
        reverse("reports:list"), {"scope": f"district:{world.district_b.pk}", "period_kind": "decade"}
    )
    assert response.status_code == 400
    assert set(response.context["filters"].errors) == {"scope", "period_kind"}
    response = client.get(reverse("reports:list"), {"scope": "park:abc"})
    assert response.status_code == 400


def test_the_report_page_shows_the_figures_beside_the_previous_period(
    client, world, built, django_assert_max_num_queries
):
    MemberFactory(organization=world.branch_a1)
    report = report_building.build_report(scope=district_scope(world), period=APRIL)  # 5 members now, 4 in March
    client.force_login(world.official)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("reports:detail", args=[report.pk]))
    assert response.status_code == 200
    assert response.context["previous"] == StatReport.objects.get(district=world.district_a, period_start=MARCH.start)
    rows = {row.key: row for section in response.context["sections"] for row in section["rows"]}
    assert rows["members.total"].current == 5
    assert rows["members.total"].previous == 4
    assert rows["members.total"].change == 1
    assert rows["members.total"].change_display == "+1"
    assert rows["members.by_stage.full"].label == "full member"
    assert rows["activities.by_kind.party_congress"].label == "party congress"
    body = response.content.decode()
    assert 'id="download-excel"' in body
    assert 'id="rebuild-now"' in body
    assert "2026-03" in body
    assert 'data-figure="members.total"' in body
    # A breakdown shows its period and basis once, on its heading, not under each line.
    heading = re.search(r'data-figure="members.by_stage">(.*?)</tr>', body, re.S).group(1)
    assert "As at 2026-04-30" in heading
    line = re.search(r'data-figure="members.by_stage.full">(.*?)</tr>', body, re.S).group(1)
    assert "data-caption" not in line
    assert 'data-metric="members_full"' in line
    assert "Previous period" in body
    assert "Change" in body


def test_rates_are_shown_as_percentages(world):
    report = StatReport(
        scope_kind="district",
        district=world.district_a,
        period_kind="month",
        period_start=APRIL.start,
        generated_at=timezone.now(),
        data={"enterprises": {"total": 4, "coverage_rate": 0.75}, "activities": {"attendance_rate": None}},
    )
    previous = StatReport(data={"enterprises": {"total": 2, "coverage_rate": 0.5}})
    rows = {row.key: row for s in report_excel.comparison(report, previous) for row in s["rows"]}
    assert rows["enterprises.coverage_rate"].current_display == "75.0%"
    assert rows["enterprises.coverage_rate"].change_display == "+25.0 pp"
    assert rows["activities.attendance_rate"].current_display == "—"
    assert rows["activities.attendance_rate"].change is None


# -- Excel -----------------------------------------------------------------------------------------


def test_the_excel_download_has_chinese_headers_and_numeric_cells(client, world, built):
    from openpyxl import load_workbook

    MemberFactory(organization=world.branch_a1)
    report = report_building.build_report(scope=district_scope(world), period=APRIL)
    client.force_login(world.official)
    response = client.get(reverse("reports:excel", args=[report.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "attachment" in response["Content-Disposition"]
    assert ".xlsx" in response["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["报表信息", "组织", "企业", "党员", "活动", "服务"]
    info = {row[0]: row[1] for row in book["报表信息"].iter_rows(min_row=2, values_only=True)}
    assert info["统计期"] == "2026-04"
    assert info["上期"] == "2026-03"
    assert info["范围"] == "南湖区"
    sheet = book["党员"]
    assert [c.value for c in sheet[1]] == ["指标", "本期", "上期", "变化", "本期期间与口径", "上期期间与口径", "定义"]
    values = list(sheet.iter_rows(min_row=2, values_only=True))
    total = values[0]
    assert total[1:4] == (5, 4, 1)
    assert all(isinstance(v, int) for v in total[1:4])
    # Each line says over what and as at when its figure counts, in this report and the one before.
    assert total[4:6] == ("截至2026-04-30", "截至2026-03-31")
    assert total[6]  # and what it counts
    lines = {row[0]: row for row in values}
    assert lines["新发展党员"][4:6] == ("2026-04-01至2026-04-30", "2026-03-01至2026-03-31")
    # Each line of a breakdown too.
    by_stage = [row for row in values if row[0] in ("正式党员", "预备党员")]
    assert len(by_stage) == 2
    assert all(row[4] == "截至2026-04-30" and row[6] for row in by_stage)
    # A rate stays a number, formatted as a percentage.
    enterprise = book["企业"]
    for row in enterprise.iter_rows(min_row=2):
        if row[1].value is not None and isinstance(row[1].value, float):
            assert row[1].number_format == "0.00%"


def test_excel_text_cannot_become_a_formula(world):
    from openpyxl import load_workbook

    world.district_a.name = '=HYPERLINK("http://evil","x")'
    world.district_a.save()
    report = build(world)
    book = load_workbook(io.BytesIO(report_excel.report_excel(report)))
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
    info = {row[0]: row[1] for row in book["报表信息"].iter_rows(min_row=2, values_only=True)}
    assert info["范围"].startswith("'=")


# -- rebuild now -----------------------------------------------------------------------------------


def test_rebuild_now_enqueues_on_commit_and_shows_the_run(client, world, built, django_capture_on_commit_callbacks):
    report = built["a1"]
    before = report.generated_at
    client.force_login(world.park_admin)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(reverse("reports:rebuild", args=[report.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("reports:detail", args=[report.pk])
    run = StatReportRun.objects.get()
    assert run.status == "queued"
    assert run.requested_by == world.park_admin
    assert run.park_id == world.park_a1.pk
    assert len(callbacks) == 1
    callbacks[0]()
    run.refresh_from_db()
    report.refresh_from_db()
    assert run.status == "success"
    assert report.generated_at > before
    assert StatReport.objects.filter(park=world.park_a1, period_start=APRIL.start).count() == 1
    page = client.get(reverse("reports:detail", args=[report.pk])).content.decode()
    assert f'data-run="{run.pk}" data-status="success"' in page
    assert 'id="last-run" data-status="success"' in page


@pytest.mark.django_db(transaction=True)
def test_rebuild_now_works_without_a_broker(client, world, built):
    """The embedded mode: CELERY_TASK_ALWAYS_EAGER, the job runs in the request after commit."""
    client.force_login(world.official)
    response = client.post(reverse("reports:rebuild", args=[built["a"].pk]), follow=True)
    assert response.status_code == 200
    assert "The report has been built." in response.content.decode()
    assert StatReportRun.objects.get().status == "success"


@pytest.mark.django_db(transaction=True)
def test_a_failed_rebuild_is_shown_not_a_500(client, world, built, monkeypatch):
    def broken(scope, period, **kwargs):
        raise OperationalError("database is locked")

    monkeypatch.setattr(statistics, "figures", broken)
    client.force_login(world.official)
    response = client.post(reverse("reports:rebuild", args=[built["a"].pk]), follow=True)
    assert response.status_code == 200
    assert "Building the report failed" in response.content.decode()
    run = StatReportRun.objects.get()
    assert run.status == "failed"
    assert "database is locked" in run.error


def test_rebuild_is_post_only(client, world, built):
    client.force_login(world.official)
    assert client.get(reverse("reports:rebuild", args=[built["a"].pk])).status_code == 405


@pytest.mark.django_db(transaction=True)
def test_build_a_report_from_the_list(client, world):
    client.force_login(world.official)
    response = client.post(reverse("reports:build"), {"scope": f"park:{world.park_a2.pk}", "period": "2026-Q1"})
    report = StatReport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("reports:detail", args=[report.pk])
    assert report.park == world.park_a2
    assert report.period_label == "2026-Q1"
    # Outside the scope, or a period that is none: 400 with field errors, nothing built.
    response = client.post(reverse("reports:build"), {"scope": f"district:{world.district_b.pk}", "period": "2026-13"})
    assert response.status_code == 400
    assert set(response.context["build_form"].errors) == {"scope", "period"}
    assert StatReport.objects.count() == 1
    assert StatReportRun.objects.count() == 1


def test_a_park_admin_may_not_build_the_district_report(world):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        report_actions.request_build(
            scope_kind="district", scope_id=world.district_a.pk, period=APRIL, user=world.park_admin
        )
    assert report_building.may_build(world.official, scope_kind="park", scope_id=world.park_a2.pk)
    assert not report_building.may_build(world.official, scope_kind="park", scope_id=world.park_b.pk)
    assert not report_building.may_build(world.secretary, scope_kind="park", scope_id=world.park_a1.pk)


# -- menu and back office --------------------------------------------------------------------------


def test_menu_entry_for_officials_and_park_admins_only(client, world):
    for user, shown in ((world.official, True), (world.park_admin, True), (world.secretary, False)):
        client.force_login(user)
        names = [item["url_name"] for item in client.get(reverse("home")).context["nav_items"]]
        assert ("reports:list" in names) is shown, user


def test_the_back_office_shows_reports_read_only(client, world, built):
    client.force_login(world.superuser)
    assert client.get(reverse("admin:reports_statreport_changelist")).status_code == 200
    response = client.get(reverse("admin:reports_statreport_change", args=[built["a"].pk]))
    assert response.status_code == 200
    assert "南湖区" in response.content.decode()
    assert client.get(reverse("admin:reports_statreport_add")).status_code == 403
    report_actions.request_build(scope_kind="park", scope_id=world.park_a1.pk, period=APRIL)
    assert client.get(reverse("admin:reports_statreportrun_changelist")).status_code == 200
    client.force_login(world.park_admin)
    response = client.get(reverse("admin:reports_statreport_changelist"))
    assert response.status_code == 200
    assert {r.pk for r in response.context["cl"].result_list} == {
        built["a1"].pk,
        StatReport.objects.filter(park=world.park_a1).exclude(pk=built["a1"].pk).get().pk,
    }


def test_rows_follow_the_contract_order_whatever_order_the_database_keeps(world):
    # PostgreSQL's jsonb gives keys back shortest first; the rows must not follow that.
    data = statistics.figures(district_scope(world), APRIL)
    shuffled = {
        key: dict(reversed(list(value.items()))) if isinstance(value, dict) else value for key, value in data.items()
    }
    shuffled["members"]["by_stage"] = dict(reversed(list(data["members"]["by_stage"].items())))
    report = StatReport(
        scope_kind="district",
        district=world.district_a,
        period_kind="month",
        period_start=APRIL.start,
        generated_at=timezone.now(),
        data=shuffled,
    )
    sections = report_excel.comparison(report, None)
    assert [s["key"] for s in sections] == ["organizations", "enterprises", "members", "activities", "services"]
    members = [row.key for row in sections[2]["rows"]]
    assert members[:3] == ["members.total", "members.by_stage", "members.by_stage.applicant"]
    assert members[-3:] == ["members.new", "members.transferred_in", "members.transferred_out"]
    assert [k for k in members if k.startswith("members.by_age_band.")] == [
        f"members.by_age_band.{band}" for band in ("18-35", "36-45", "46-60", "61+")
    ]


def test_breakdown_headings_and_keys_without_a_choice(world):
    report = build(world)
    rows = {row.key: row for s in report_excel.comparison(report, None) for row in s["rows"]}
    assert rows["members.by_stage"].is_heading
    assert not rows["members.total"].is_heading
    assert rows["members.by_education.unknown"].label == "not recorded"
    # A figure that is None (no request resolved) is a row, not a heading.
    assert rows["services.median_days_to_resolve"].current is None
    assert not rows["services.median_days_to_resolve"].is_heading
    assert rows["services.median_days_to_resolve"].change_display == "—"


def test_a_period_that_has_not_begun_is_refused(client, world):
    from django.core.exceptions import ValidationError

    next_year = str(timezone.localdate().year + 1)
    with pytest.raises(ValidationError) as refused:
        report_actions.request_build(
            scope_kind="district", scope_id=world.district_a.pk, period=statistics.Period.parse(next_year)
        )
    assert "period" in refused.value.message_dict
    client.force_login(world.official)
    response = client.post(reverse("reports:build"), {"scope": f"district:{world.district_a.pk}", "period": next_year})
    assert response.status_code == 400
    assert response.context["build_form"].errors["period"] == ["This period has not begun yet."]
    assert not StatReportRun.objects.exists()
