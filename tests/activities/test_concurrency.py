"""Races of organisation life, between two processes with their own PostgreSQL connections.

Each race runs ``ROUNDS`` times: points stay the sum of the ledger when two activities of one
member are saved at once, two refreshes of one organisation-month neither fail nor leave a wrong
row, a double-submitted activity form logs one activity. The last test (any database) checks that a
failing summary refresh after a committed save is logged, not raised.
"""

import logging
import uuid

import pytest
from django.db import connection
from django.db.models import Sum
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from activities import actions, summaries
from activities.actions import AttendanceInput
from activities.models import Activity, Attendance, OrganizationMonth, PointEntry, PointRule
from members.models import Member
from tests.processes import failures, race

from .factories import ActivityFactory, earlier_today

ROUNDS = 20


@pytest.fixture
def rule():
    # A transactional test starts from an emptied database: the default rules are not there.
    rule, _created = PointRule.objects.update_or_create(
        kind=Activity.Kind.THEMED_DAY, defaults={"points": 3, "points_per_volunteer_hour": 0, "is_active": True}
    )
    return rule


def ledger_total(member) -> int:
    return PointEntry.objects.filter(member=member).aggregate(total=Sum("points"))["total"] or 0


@pytest.fixture(autouse=True)
def _postgres_only(request):
    if request.node.get_closest_marker("postgres") and connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: run with DATABASE_URL=postgres://…")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_attendances_of_one_member_at_once_keep_points_equal_to_the_ledger(world, rule):
    member = world.member_a1
    lost_rounds = []
    for round_ in range(ROUNDS):
        first, second = (
            ActivityFactory(
                host=world.branch_a1,
                kind=Activity.Kind.THEMED_DAY,
                status=Activity.Status.PLANNED,
                starts_at=earlier_today(hours=2),
            )
            for _ in range(2)
        )

        def record(activity):
            def call():
                entries = [AttendanceInput(member_id=member.pk, status=Attendance.Status.PRESENT)]
                return actions.attendance_record(activity=activity, by=world.secretary, entries=entries).pk

            return call

        outcomes = race(record(first), record(second))
        assert not failures(outcomes), outcomes
        points = Member.objects.values_list("points", flat=True).get(pk=member.pk)
        if points != ledger_total(member):
            lost_rounds.append(round_)
        assert ledger_total(member) == 2 * (round_ + 1) * rule.points
    assert lost_rounds == [], f"points differ from the ledger in rounds {lost_rounds} of {ROUNDS}"
    assert Member.objects.get(pk=member.pk).points == 2 * ROUNDS * rule.points


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_refreshes_of_one_organisation_month_at_once(world, rule):
    month = summaries.month_of(timezone.localdate(earlier_today(hours=2)))
    for round_ in range(ROUNDS):
        activity = ActivityFactory(
            host=world.branch_a1, kind=Activity.Kind.THEMED_DAY, starts_at=earlier_today(hours=2)
        )
        Attendance.objects.create(activity=activity, member=world.member_a1, status=Attendance.Status.PRESENT)
        if round_ % 2:  # half the rounds start without the summary rows, half with stale ones
            OrganizationMonth.objects.filter(organization=world.branch_a1).delete()

        def refresh():
            return summaries.refresh(organization_ids={world.branch_a1.pk}, months=[month])

        outcomes = race(refresh, refresh)
        assert not failures(outcomes), failures(outcomes)[0]
        rows = list(OrganizationMonth.objects.filter(organization=world.branch_a1, month=month))
        assert len(rows) == 1
        assert (rows[0].kind, rows[0].held, rows[0].present) == (
            Activity.Kind.THEMED_DAY,
            round_ + 1,
            round_ + 1,
        )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_double_submitted_activity_form_logs_one_activity(world, rule):
    client = Client()
    client.force_login(world.secretary)
    form = client.get(reverse("activities:create"), {"org": world.branch_a1.pk})
    assert b'name="idempotency_token"' in form.content
    starts_at = timezone.localtime(earlier_today(hours=1)).strftime("%Y-%m-%dT%H:%M")
    for round_ in range(ROUNDS):
        data = {
            "org": world.branch_a1.pk,
            "kind": "themed_day",
            "title": f"主题党日 {round_}",
            "starts_at": starts_at,
            "non_member_count": "0",
            "idempotency_token": uuid.uuid4().hex,  # one rendered form, sent twice
        }

        def submit(data=data):
            response = client.post(reverse("activities:create"), data)
            return response.status_code, response.get("Location")

        outcomes = race(submit, submit)
        assert not failures(outcomes), outcomes
        activities = list(Activity.objects.filter(title=data["title"]))
        assert len(activities) == 1, f"round {round_}: {len(activities)} activities"
        assert outcomes == [(302, activities[0].get_absolute_url())] * 2
        # The past activity gave its points once: one award per present member.
        awards = PointEntry.objects.filter(activity=activities[0])
        assert awards.count() == activities[0].attendances.count() > 0
    assert Member.objects.get(pk=world.member_a1.pk).points == ROUNDS * rule.points == ledger_total(world.member_a1)


@pytest.mark.django_db(transaction=True)
def test_a_failing_summary_refresh_after_a_committed_save_is_logged_not_raised(world, rule, monkeypatch, caplog):
    def broken(**kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(summaries, "refresh", broken)
    activity = ActivityFactory(
        host=world.branch_a1,
        kind=Activity.Kind.THEMED_DAY,
        status=Activity.Status.PLANNED,
        starts_at=earlier_today(hours=2),
    )
    entries = [AttendanceInput(member_id=world.member_a1.pk)]
    with caplog.at_level(logging.ERROR, logger="activities.summaries"):
        actions.attendance_record(activity=activity, by=world.secretary, entries=entries)
    assert Activity.objects.get(pk=activity.pk).status == Activity.Status.HELD  # the save stands
    assert Member.objects.get(pk=world.member_a1.pk).points == rule.points
    assert any("nightly refresh" in r.getMessage() for r in caplog.records), caplog.records
