"""The models that left the portal app keep their tables and rows.

Role assignments (with their history), notifications, statistics reports and runs, import jobs and
rows moved to accounts, notifications, reports and dataio with state-only migrations. A database
built before the move is migrated back to that point, filled through the old models, and migrated
forward: every row is read back through the new models, and the content types (hence permissions
and the admin's history) follow the models.
"""

import datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE_MOVE = [
    ("portal", "0008_importrow"),
    ("accounts", None),
    ("notifications", None),
    ("reports", None),
    ("dataio", None),
]
MOMENT = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
MOVED = {
    "roleassignment": "accounts",
    "historicalroleassignment": "accounts",
    "notification": "notifications",
    "statreport": "reports",
    "statreportrun": "reports",
    "importjob": "dataio",
    "importrow": "dataio",
}


def _migrate(targets):
    """Migrate to ``targets`` and return the models as they are there."""
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()
    nodes = [target for target in targets if target[1] is not None]
    return executor.loader.project_state([*nodes, ("contenttypes", "0002_remove_content_type_name")]).apps


def _leaves():
    executor = MigrationExecutor(connection)
    return executor.loader.graph.leaf_nodes()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_rows_written_before_the_move_are_read_through_the_new_models(django_user_model):
    leaves = _leaves()
    old = _migrate(BEFORE_MOVE)
    try:
        User = old.get_model("auth", "User")
        District = old.get_model("parks", "District")
        ContentType = old.get_model("contenttypes", "ContentType")
        user = User.objects.create(username="before-the-move", email="b@example.org")
        district = District.objects.create(name="南湖区", city="嘉兴市", code="330402")
        for model in MOVED:
            ContentType.objects.get_or_create(app_label="portal", model=model)
        assignment = old.get_model("portal", "RoleAssignment").objects.create(
            user_id=user.pk, role="district_official", district_id=district.pk
        )
        old.get_model("portal", "HistoricalRoleAssignment").objects.create(
            id=assignment.pk, user_id=user.pk, role="district_official", district_id=district.pk,
            created_at=MOMENT,
            history_date=MOMENT, history_type="+",
        )  # fmt: skip
        old.get_model("portal", "Notification").objects.create(recipient_id=user.pk, title="转接已批准")
        report = old.get_model("portal", "StatReport").objects.create(
            scope_kind="district", district_id=district.pk, period_kind="year",
            period_start=datetime.date(2025, 1, 1), data={"members": {"total": 3}}, generated_at=MOMENT,
        )  # fmt: skip
        old.get_model("portal", "StatReportRun").objects.create(
            scope_kind="district", district_id=district.pk, period_kind="year",
            period_start=datetime.date(2025, 1, 1), report_id=report.pk, status="success",
        )  # fmt: skip
        job = old.get_model("portal", "ImportJob").objects.create(user_id=user.pk, kind="members", filename="m.xlsx")
        old.get_model("portal", "ImportRow").objects.create(job_id=job.pk, position=1, line=2, action="new")
    finally:
        _migrate(leaves)

    from django.contrib.contenttypes.models import ContentType as CurrentContentType

    from accounts.models import RoleAssignment
    from dataio.models import ImportJob, ImportRow
    from notifications.models import Notification
    from reports.models import StatReport, StatReportRun

    assignment = RoleAssignment.objects.get(user__username="before-the-move")
    assert assignment.district.code == "330402"
    assert assignment.history.count() == 1
    assert Notification.objects.get().title == "转接已批准"
    assert StatReport.objects.get().data == {"members": {"total": 3}}
    assert StatReportRun.objects.get().report == StatReport.objects.get()
    assert ImportRow.objects.get().job == ImportJob.objects.get(filename="m.xlsx")
    for model, app in MOVED.items():
        assert CurrentContentType.objects.filter(app_label=app, model=model).count() == 1
        assert not CurrentContentType.objects.filter(app_label="portal", model=model).exists()
    with connection.cursor() as cursor:
        tables = set(connection.introspection.table_names(cursor))
    assert {f"portal_{model}" for model in MOVED} <= tables
    # The moved models kept their tables: none was created again under its new app's name (new
    # models of those apps, such as accounts.ApiToken, have tables of their own).
    assert not {f"{app}_{model}" for model, app in MOVED.items()} & tables
