"""Bounded dates (issue #14): each date field's range, the same at every door, and check_bounds."""

import datetime
import io

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from activities.models import Activity
from core.validators import (
    PARTY_PLAN,
    DateRange,
    NotAfter,
    NotBefore,
    WithinYearsAhead,
    bound_errors,
)
from members.models import Member
from tests.api.conftest import token_client
from tests.dataio.helpers import run, xlsx
from tests.dataio.test_members_enterprises import MEMBER_HEADERS, member_row

pytestmark = pytest.mark.django_db


# --- the validators ---------------------------------------------------------------------------------


def test_range_edges_for_dates_and_aware_datetimes():
    bounds = DateRange(datetime.date(1921, 7, 1), datetime.date(2100, 12, 31))
    validators = bounds.validators()
    for ok in (datetime.date(1921, 7, 1), datetime.date(2100, 12, 31)):
        for validator in validators:
            validator(ok)
    shanghai = timezone.get_default_timezone()
    with pytest.raises(ValidationError, match="on or after 1921-07-01"):
        NotBefore(datetime.date(1921, 7, 1))(datetime.date(1921, 6, 30))
    with pytest.raises(ValidationError, match="on or before 2100-12-31"):
        NotAfter(datetime.date(2100, 12, 31))(datetime.date(2101, 1, 1))
    # Year 1 and year 9999 in the portal's zone: judged by their calendar date, no conversion.
    with pytest.raises(ValidationError):
        NotBefore(datetime.date(1921, 7, 1))(datetime.datetime(1, 1, 1, tzinfo=shanghai))
    with pytest.raises(ValidationError):
        NotAfter(datetime.date(2100, 12, 31))(datetime.datetime(9999, 12, 31, 23, 59, tzinfo=shanghai))
    assert bounds.contains(None)
    assert not bounds.contains(datetime.date(1, 1, 1))


def test_years_ahead_counts_from_today_and_zero_means_not_in_future():
    today = timezone.localdate()
    WithinYearsAhead(0)(today)
    with pytest.raises(ValidationError, match="cannot be in the future"):
        WithinYearsAhead(0)(today + datetime.timedelta(days=1))
    a_year = (
        today.replace(year=today.year + 1)
        if (today.month, today.day) != (2, 29)
        else today.replace(year=today.year + 1, day=28)
    )
    WithinYearsAhead(1)(a_year)
    with pytest.raises(ValidationError, match="at most 1 year"):
        WithinYearsAhead(1)(a_year + datetime.timedelta(days=1))


def test_validators_deconstruct_equal_for_migrations():
    assert PARTY_PLAN.validators() == PARTY_PLAN.validators()
    path, args, _kwargs = NotBefore(datetime.date(2000, 1, 1)).deconstruct()
    assert path == "core.validators.NotBefore"
    assert args == (datetime.date(2000, 1, 1),)


def test_every_date_field_of_every_model_has_a_range_and_a_constraint():
    from django.apps import apps
    from django.db import models

    missing = []
    for model in apps.get_models():
        if model._meta.app_label not in {
            "accounts",
            "activities",
            "dataio",
            "members",
            "notifications",
            "parks",
            "reports",
            "services",
        } or model.__name__.startswith("Historical"):
            continue
        names = {c.name for c in model._meta.constraints}
        for field in model._meta.concrete_fields:
            if not isinstance(field, models.DateField):
                continue
            has_validators = any(isinstance(v, NotBefore) for v in field.validators) and any(
                isinstance(v, NotAfter) for v in field.validators
            )
            constraint = f"{model._meta.app_label}_{model._meta.model_name}_{field.name}_in_range"
            if not has_validators or constraint not in names:
                missing.append(f"{model._meta.label}.{field.name}")
    assert missing == []


# --- the doors --------------------------------------------------------------------------------------


def test_the_issue_year_one_activity_form_is_refused_and_nothing_stored(world, client):
    client.force_login(world.secretary)
    before = Activity.objects.count()
    response = client.post(
        "/activities/new/", {"kind": "party_lecture", "title": "一年", "starts_at": "0001-01-01T00:00"}
    )
    assert response.status_code == 400
    assert "on or after 1921-07-01" in response.content.decode()
    assert Activity.objects.count() == before


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("0001-01-01", "Datetime value out of range."),
        ("0001-01-01T00:00", "Datetime value out of range."),
        ("1900-01-01T00:00", "Enter a date on or after 1921-07-01."),
        ("9999-12-31T23:59", "Enter a date on or before 2100-12-31."),
    ],
)
def test_the_issue_api_date_times_answer_400_with_the_field(world, value, message):
    api = token_client(world.secretary)
    body = {"host": world.branch_a1.pk, "kind": "party_lecture", "title": "x", "starts_at": value}
    before = Activity.objects.count()
    response = api.post("/api/v1/activities/", body, format="json")
    assert response.status_code == 400
    assert response.json()["starts_at"] == [message]
    assert Activity.objects.count() == before


def test_api_room_booking_out_of_range_is_400(world):
    api = token_client(world.member_user)
    body = {"room": world.room_a1.pk, "purpose": "会", "starts_at": "0001-01-01", "ends_at": "0001-01-01T02:00"}
    response = api.post("/api/v1/room-bookings/", body, format="json")
    assert response.status_code == 400
    assert "starts_at" in response.json()


def test_an_activity_a_year_and_more_ahead_or_before_its_host_was_founded_is_refused(world):
    from activities.actions import activity_log

    world.branch_a1.founded_on = datetime.date(2010, 5, 1)
    world.branch_a1.save()
    with pytest.raises(ValidationError) as caught:
        activity_log(
            by=world.secretary,
            host=world.branch_a1,
            kind="party_lecture",
            title="过远",
            starts_at=timezone.now() + datetime.timedelta(days=400),
        )
    assert "starts_at" in caught.value.message_dict
    with pytest.raises(ValidationError, match="before its organisation was founded"):
        activity_log(
            by=world.secretary,
            host=world.branch_a1,
            kind="party_lecture",
            title="过早",
            starts_at=datetime.datetime(2009, 1, 1, 9, tzinfo=datetime.UTC),
        )


def test_any_save_checks_the_range_and_update_meets_the_constraint(world):
    member = world.member_a1
    member.birth_date = datetime.date(1899, 12, 31)
    with pytest.raises(ValidationError) as caught:
        member.save()
    assert list(caught.value.message_dict) == ["birth_date"]
    # update() bypasses save(): the database constraint holds the absolute range.
    with pytest.raises(IntegrityError), transaction.atomic():
        Member.objects.filter(pk=member.pk).update(birth_date=datetime.date(1, 1, 1))


def test_bound_errors_lists_each_field_out_of_range():
    errors = bound_errors(
        Activity, starts_at=datetime.datetime(1, 1, 1, tzinfo=datetime.UTC), ends_at=None, title="ignored"
    )
    assert list(errors) == ["starts_at"]


def test_import_refuses_a_birth_date_out_of_range(world):
    row = member_row(1, world.branch_a1.code)
    row[6] = "0001-01-01"  # applied on
    report = run("members", world.secretary, xlsx(MEMBER_HEADERS, [row]))
    assert not report.committed
    [bad] = [r for r in report.rows if r.action == "error"]
    assert any("1921-07-01" in message for _field, message in bad.errors)


# --- check_bounds -----------------------------------------------------------------------------------


def _store_without_checks(model, pk, **values):
    """Write values the constraints refuse, as an old database may hold them."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA ignore_check_constraints = ON")
        try:
            model.objects.filter(pk=pk).update(**values)
        finally:
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA ignore_check_constraints = OFF")
    else:
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no pending trigger events before ALTER
            for field in values:
                name = f"{model._meta.app_label}_{model._meta.model_name}_{field}_in_range"
                cursor.execute(f'ALTER TABLE "{model._meta.db_table}" DROP CONSTRAINT "{name}"')
        model.objects.filter(pk=pk).update(**values)


def test_check_bounds_lists_rows_out_of_range_and_exits_non_zero(world):
    out = io.StringIO()
    call_command("check_bounds", stdout=out)
    assert "Every date is within its range." in out.getvalue()

    _store_without_checks(Member, world.member_a1.pk, birth_date=datetime.date(1800, 1, 1))
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(SystemExit) as exited:
        call_command("check_bounds", stdout=out, stderr=err)
    assert exited.value.code == 1
    assert f"members.member\t{world.member_a1.pk}\tbirth_date\t1800-01-01" in out.getvalue()
    assert "1 value(s) outside their ranges" in err.getvalue()
