"""Every text has a maximum (issue #14; docs/security.md, "Every text has a maximum").

Each TextField of each model has ``max_length`` (forms and the API enforce it) and a CHECK on its
length; every save checks the maxima of texts and char fields (SQLite does not enforce a varchar);
inputs that are not model fields are bounded too; ``check_bounds`` lists texts over their maximum.
"""

import datetime
import io

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import IntegrityError, connection, models, transaction
from django.utils import timezone

from activities import actions as activity_actions
from activities.actions import AttendanceInput
from activities.models import Activity, Attendance
from core.fields import EncryptedCharField
from core.validators import TEXT_DESCRIPTION, TEXT_MINUTES, TEXT_NOTE, fit_text
from members import actions as member_actions
from members.models import Transfer
from notifications.actions import notify
from notifications.models import Notification
from services.models import ServiceCategory, ServiceRequest
from tests.api.conftest import token_client

pytestmark = pytest.mark.django_db

PROJECT_APPS = {
    "accounts",
    "activities",
    "core",
    "dataio",
    "elections",
    "members",
    "notifications",
    "parks",
    "reports",
    "services",
}


def _project_models(with_history=False):
    for model in apps.get_models():
        if model._meta.app_label not in PROJECT_APPS:
            continue
        if model.__name__.startswith("Historical") and not with_history:
            continue
        yield model


def test_every_text_field_of_every_model_has_a_maximum_and_a_constraint():
    missing, checked = [], 0
    for model in _project_models():
        names = {c.name for c in model._meta.constraints}
        for field in model._meta.concrete_fields:
            if not isinstance(field, models.CharField | models.TextField):
                continue
            checked += 1
            label = f"{model._meta.label}.{field.name}"
            if not field.max_length:
                missing.append(f"{label}: no max_length")
            constraint = f"{model._meta.app_label}_{model._meta.model_name}_{field.name}_length"
            # An encrypted field's column holds ciphertext: its maximum is checked before saving.
            encrypted = isinstance(field, EncryptedCharField)
            if isinstance(field, models.TextField) and not encrypted and constraint not in names:
                missing.append(f"{label}: no constraint {constraint}")
    assert checked > 100
    assert missing == []


def test_history_tables_follow_their_models_maxima():
    for model in _project_models(with_history=True):
        if not model.__name__.startswith("Historical"):
            continue
        for field in model._meta.concrete_fields:
            if isinstance(field, models.TextField):
                assert field.max_length, f"{model._meta.label}.{field.name}"


def test_the_maxima_fit_their_meaning():
    def limit(model, name):
        return model._meta.get_field(name).max_length

    assert limit(Activity, "minutes") == TEXT_MINUTES == 20_000
    assert limit(ServiceRequest, "description") == limit(ServiceCategory, "description") == TEXT_DESCRIPTION == 5_000
    assert limit(Transfer, "reason") == limit(Transfer, "rejection_reason") == TEXT_NOTE == 2_000


# --- every save ------------------------------------------------------------------------------------


def test_a_save_refuses_a_text_over_its_maximum_with_the_field(world):
    category = ServiceCategory.objects.first()
    category.description = "字" * (TEXT_DESCRIPTION + 1)
    with pytest.raises(ValidationError) as caught:
        category.save()
    assert list(caught.value.message_dict) == ["description"]
    assert "at most 5000 characters" in caught.value.message_dict["description"][0]
    category.description = "字" * TEXT_DESCRIPTION  # characters, not bytes: the maximum itself is fine
    category.save()
    category.refresh_from_db()
    assert len(category.description) == TEXT_DESCRIPTION


def test_a_save_refuses_a_char_field_over_its_maximum_on_sqlite_too(world):
    """SQLite does not enforce varchar(n); the pre-save check does, as PostgreSQL would."""
    park = world.park_a1
    park.name = "园" * 201
    with pytest.raises(ValidationError) as caught:
        park.save()
    assert "name" in caught.value.message_dict


def test_update_meets_the_database_constraint(world):
    category = ServiceCategory.objects.first()
    with pytest.raises(IntegrityError), transaction.atomic():
        ServiceCategory.objects.filter(pk=category.pk).update(description="x" * (TEXT_DESCRIPTION + 1))


# --- the doors -------------------------------------------------------------------------------------


def test_api_request_description_over_its_maximum_is_400_and_nothing_stored(world):
    api = token_client(world.member_user)
    body = {"category": ServiceCategory.objects.first().pk, "title": "求助", "description": "x" * 5001}
    before = ServiceRequest.objects.count()
    response = api.post("/api/v1/service-requests/", body, format="json")
    assert response.status_code == 400
    assert "5000" in response.json()["description"][0]
    assert ServiceRequest.objects.count() == before


def test_api_step_reason_over_its_maximum_is_400(world):
    transfer = member_actions.transfer_request(
        member=world.member_a1_other, by=world.secretary, reason="工作调动", to_organization=world.branch_a2
    )
    api = token_client(world.superuser)
    response = api.post(f"/api/v1/transfers/{transfer.pk}/reject/", {"reason": "x" * 2001}, format="json")
    assert response.status_code == 400
    assert "reason" in response.json()
    transfer.refresh_from_db()
    assert transfer.status == Transfer.Status.REQUESTED


def test_activity_form_minutes_over_their_maximum_is_refused(world, client):
    client.force_login(world.secretary)
    before = Activity.objects.count()
    response = client.post(
        "/activities/new/",
        {
            "kind": "party_lecture",
            "title": "党课",
            "starts_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "minutes": "x" * (TEXT_MINUTES + 1),
        },
    )
    assert response.status_code == 400
    assert "at most 20000 characters" in response.content.decode()
    assert Activity.objects.count() == before


# --- reasons for a change: kept whole, never cut ---------------------------------------------------


def _closed_activity(world):
    return activity_actions.activity_log(
        by=world.secretary,
        host=world.branch_a1,
        kind="party_lecture",
        title="党课",
        starts_at=timezone.now() - datetime.timedelta(days=400),
    )


def test_a_change_reason_of_300_characters_is_kept_whole_in_the_history(world):
    """The history's change reason held 100 characters while the forms allowed 300: on PostgreSQL
    a longer reason was a DataError (a 500). It holds 300 now; a longer one is a field error."""
    activity = _closed_activity(world)
    api = token_client(world.secretary)
    reason = "因" * 300
    response = api.patch(f"/api/v1/activities/{activity.pk}/", {"title": "改过", "reason": reason}, format="json")
    assert response.status_code == 200, response.content
    assert activity.history.latest().history_change_reason == reason

    with pytest.raises(ValidationError) as caught:
        activity_actions.activity_update(activity=activity, by=world.secretary, title="再改", reason=reason + "多")
    assert "at most 300 characters" in caught.value.message_dict["reason"][0]


def test_the_attendance_page_refuses_a_long_change_reason_and_a_long_leave_reason(world, client):
    activity = _closed_activity(world)
    member = activity.attendances.first().member
    with pytest.raises(ValidationError):
        activity_actions.attendance_record(
            activity=activity,
            by=world.secretary,
            reason="x" * 301,
            entries=[AttendanceInput(member_id=member.pk, status="absent")],
        )
    with pytest.raises(ValidationError, match="at most 200 characters"):
        activity_actions.attendance_record(
            activity=activity,
            by=world.secretary,
            reason="更正",
            entries=[AttendanceInput(member_id=member.pk, status="leave", reason="假" * 201)],
        )
    assert Attendance.objects.get(activity=activity, member=member).status == Attendance.Status.PRESENT

    client.force_login(world.secretary)
    response = client.post(
        f"/activities/{activity.pk}/attendance/", {f"att-{member.pk}": "absent", "reason": "x" * 100_000}
    )
    assert response.status_code == 400
    assert "at most 300 characters" in response.content.decode()
    assert Attendance.objects.get(activity=activity, member=member).status == Attendance.Status.PRESENT


# --- what the portal writes itself -----------------------------------------------------------------


def test_a_notification_composed_from_long_texts_is_cut_to_fit(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        notify(recipients=[world.member_user], title="标" * 500, body="文" * 10_000)
    sent = Notification.objects.filter(recipient=world.member_user).latest("pk")
    assert len(sent.title) == 200
    assert sent.title.endswith("…")
    assert len(sent.body) == TEXT_DESCRIPTION
    assert fit_text("短", 10) == "短"


# --- check_bounds ----------------------------------------------------------------------------------


def test_check_bounds_lists_a_text_over_its_maximum(world):
    out = io.StringIO()
    call_command("check_bounds", stdout=out)
    assert "Every text is within its maximum length." in out.getvalue()

    category = ServiceCategory.objects.first()
    name = "services_servicecategory_description_length"
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA ignore_check_constraints = ON")
        try:
            ServiceCategory.objects.filter(pk=category.pk).update(description="x" * 5003)
        finally:
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA ignore_check_constraints = OFF")
    else:
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f'ALTER TABLE "{ServiceCategory._meta.db_table}" DROP CONSTRAINT "{name}"')
        ServiceCategory.objects.filter(pk=category.pk).update(description="x" * 5003)
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(SystemExit) as exited:
        call_command("check_bounds", stdout=out, stderr=err)
    assert exited.value.code == 1
    assert f"services.servicecategory\t{category.pk}\tdescription\t5003 characters (at most 5000)" in out.getvalue()
