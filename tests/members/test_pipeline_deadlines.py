"""The development pipeline's deadlines (issue #13, item 7): the dates of members.rules at their
edges (the day before, of and after; leap days), the selector that lists what is overdue or due
within 30 days in a fixed number of queries, and the secretary's home card."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from members import actions, rules, selectors
from members.models import ApplicationTalk, Member, Stage, StageChange
from parks.models import Organization
from tests.factories import MemberFactory, OrganizationFactory

D = datetime.timedelta
NO_LATER_DATES = dict(activist_on=None, candidate_on=None, probationary_on=None, full_on=None)


def applicant(organization, applied_on, **kw):
    return MemberFactory(
        organization=organization, stage=Stage.APPLICANT, applied_on=applied_on, **{**NO_LATER_DATES, **kw}
    )


def activist(organization, activist_on, **kw):
    dates = {**NO_LATER_DATES, "activist_on": activist_on}
    return MemberFactory(
        organization=organization, stage=Stage.ACTIVIST, applied_on=activist_on - D(60), **{**dates, **kw}
    )


def probationary(organization, probationary_on, **kw):
    return MemberFactory(
        organization=organization,
        stage=Stage.PROBATIONARY,
        applied_on=probationary_on - D(800),
        activist_on=probationary_on - D(700),
        candidate_on=probationary_on - D(200),
        probationary_on=probationary_on,
        full_on=None,
        **kw,
    )


# --- the rules: pure dates ------------------------------------------------------------------------


def test_talk_is_due_one_month_after_the_application_clamped_to_a_leap_february():
    assert rules.talk_due_on(datetime.date(2024, 1, 31)) == datetime.date(2024, 2, 29)
    assert rules.talk_due_on(datetime.date(2025, 1, 31)) == datetime.date(2025, 2, 28)
    assert rules.talk_due_on(datetime.date(2026, 3, 15)) == datetime.date(2026, 4, 15)
    assert rules.talk_due_on(None) is None


def test_a_year_of_training_from_a_leap_day_ends_on_the_last_day_of_february():
    assert rules.candidacy_from(datetime.date(2024, 2, 29)) == datetime.date(2025, 2, 28)
    assert rules.candidacy_from(datetime.date(2023, 2, 28)) == datetime.date(2024, 2, 28)
    assert rules.probation_normal_end(datetime.date(2024, 2, 29)) == datetime.date(2025, 2, 28)


@pytest.mark.django_db
def test_the_action_and_the_alert_share_the_leap_day_rule(world):
    m = activist(world.branch_a1, datetime.date(2024, 2, 29))
    with pytest.raises(ValidationError, match="one year"):
        actions.stage_advance(member=m, by=world.secretary, effective_on=datetime.date(2025, 2, 27))
    rows = selectors.pipeline_deadlines([world.branch_a1.pk], today=datetime.date(2025, 2, 27))
    assert [(r.member, r.due_on, r.days_left) for r in rows] == [(m, datetime.date(2025, 2, 28), 1)]
    change = actions.stage_advance(member=m, by=world.secretary, effective_on=datetime.date(2025, 2, 28))
    assert change.to_stage == Stage.CANDIDATE
    assert selectors.pipeline_deadlines([world.branch_a1.pk], today=datetime.date(2025, 2, 28)) == []


# --- the selector at the edges ----------------------------------------------------------------------


def deadline_of(world, member, today):
    rows = [r for r in selectors.pipeline_deadlines([world.branch_a1.pk], today=today) if r.member.pk == member.pk]
    assert len(rows) <= 1
    return rows[0] if rows else None


EDGES = [  # (today relative to the deadline, days_left, overdue, words)
    (-1, 1, False, "due in 1 day"),
    (0, 0, False, "due today"),
    (1, -1, True, "overdue by 1 day"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("shift", "days_left", "overdue", "words"), EDGES)
def test_talk_edges_with_the_leap_day(world, shift, days_left, overdue, words):
    m = applicant(world.branch_a1, datetime.date(2024, 1, 31))
    row = deadline_of(world, m, datetime.date(2024, 2, 29) + D(shift))
    assert (row.kind, row.due_on) == ("talk", datetime.date(2024, 2, 29))
    assert (row.days_left, row.overdue, str(row.when)) == (days_left, overdue, words)


@pytest.mark.django_db
@pytest.mark.parametrize(("shift", "days_left", "overdue", "words"), EDGES)
def test_candidacy_edges_from_a_leap_day(world, shift, days_left, overdue, words):
    m = activist(world.branch_a1, datetime.date(2024, 2, 29))
    row = deadline_of(world, m, datetime.date(2025, 2, 28) + D(shift))
    assert (row.kind, row.due_on) == ("candidacy", datetime.date(2025, 2, 28))
    assert (row.days_left, row.overdue, str(row.when)) == (days_left, overdue, words)


@pytest.mark.django_db
@pytest.mark.parametrize(("shift", "days_left", "overdue", "words"), EDGES)
def test_confirmation_edges(world, shift, days_left, overdue, words):
    m = probationary(world.branch_a1, datetime.date(2025, 7, 1))
    row = deadline_of(world, m, datetime.date(2026, 7, 1) + D(shift))
    assert (row.kind, row.due_on) == ("confirmation", datetime.date(2026, 7, 1))
    assert (row.days_left, row.overdue, str(row.when)) == (days_left, overdue, words)


@pytest.mark.django_db
def test_the_warning_starts_thirty_days_ahead(world):
    m = probationary(world.branch_a1, datetime.date(2025, 7, 1))
    due = datetime.date(2026, 7, 1)
    assert deadline_of(world, m, due - D(31)) is None
    assert deadline_of(world, m, due - D(30)).days_left == 30
    t = applicant(world.branch_a1, datetime.date(2024, 1, 31))
    assert deadline_of(world, t, datetime.date(2024, 2, 29) - D(31)) is None
    assert str(deadline_of(world, t, datetime.date(2024, 2, 29) - D(30)).when) == "due in 30 days"


@pytest.mark.django_db
def test_an_extension_moves_the_end_of_probation(world):
    m = probationary(world.branch_a1, datetime.date(2025, 7, 1))
    StageChange.objects.create(
        member=m,
        kind=StageChange.Kind.EXTENSION,
        from_stage=Stage.PROBATIONARY,
        to_stage=Stage.PROBATIONARY,
        effective_on=datetime.date(2027, 1, 1),
    )
    assert deadline_of(world, m, datetime.date(2026, 7, 2)) is None  # not overdue: extended
    row = deadline_of(world, m, datetime.date(2027, 1, 2))
    assert (row.due_on, row.days_left) == (datetime.date(2027, 1, 1), -1)


@pytest.mark.django_db
def test_done_steps_and_other_members_are_not_listed(world):
    today = datetime.date(2026, 6, 15)
    talked = applicant(world.branch_a1, datetime.date(2026, 4, 1))
    ApplicationTalk.objects.create(member=talked, held_on=datetime.date(2026, 4, 20))
    undated = applicant(world.branch_a1, None)
    candidate = MemberFactory(organization=world.branch_a1, stage=Stage.CANDIDATE, probationary_on=None, full_on=None)
    full = MemberFactory(organization=world.branch_a1)
    gone = applicant(world.branch_a1, datetime.date(2026, 4, 1), status=Member.Status.TRANSFERRED_OUT)
    elsewhere = applicant(world.branch_b, datetime.date(2026, 4, 1))
    late = applicant(world.branch_a1, datetime.date(2026, 4, 1))
    listed = {r.member.pk for r in selectors.pipeline_deadlines([world.branch_a1.pk], today=today)}
    assert late.pk in listed
    assert not listed & {m.pk for m in (talked, undated, candidate, full, gone, elsewhere)}


@pytest.mark.django_db
def test_listed_most_overdue_first(world):
    today = datetime.date(2026, 6, 15)
    soon = probationary(world.branch_a1, datetime.date(2025, 6, 25), name="十天后转正")
    long_ago = activist(world.branch_a1, datetime.date(2024, 1, 10), name="早已满一年")
    talk = applicant(world.branch_a1, datetime.date(2026, 5, 1), name="谈话逾期")
    rows = selectors.pipeline_deadlines([world.branch_a1.pk], today=today)
    assert [r.member for r in rows] == [long_ago, talk, soon]
    assert [r.kind for r in rows] == ["candidacy", "talk", "confirmation"]


@pytest.mark.django_db
def test_query_count_does_not_grow_with_members(world):
    today = datetime.date(2026, 6, 15)

    def grow():
        branch = OrganizationFactory(park=world.park_a1, parent=world.branch_a1)
        applicant(branch, datetime.date(2026, 5, 1))
        activist(branch, datetime.date(2025, 6, 1))
        m = probationary(branch, datetime.date(2025, 6, 1))
        StageChange.objects.create(
            member=m,
            kind=StageChange.Kind.EXTENSION,
            from_stage=Stage.PROBATIONARY,
            to_stage=Stage.PROBATIONARY,
            effective_on=datetime.date(2026, 7, 1),
        )

    def count():
        ids = list(Organization.objects.with_descendants({world.branch_a1.pk}))
        with CaptureQueriesContext(connection) as queries:
            rows = selectors.pipeline_deadlines(ids, today=today)
        return len(queries), len(rows)

    grow()
    small, rows_small = count()
    for _i in range(5):
        grow()
    large, rows_large = count()
    assert (rows_small, rows_large) == (3, 18)
    assert small == large == 2  # the members, their extensions of probation


# --- the secretary's home card ------------------------------------------------------------------


@pytest.mark.django_db
def test_secretary_home_card_lists_deadlines_with_links(client, world):
    today = timezone.localdate()
    late = applicant(world.branch_a1, today - D(45), name="谈话逾期者")
    applicant(world.branch_b, today - D(45), name="别的支部")
    client.force_login(world.secretary)
    page = client.get("/").content.decode()
    assert 'id="card-pipeline"' in page
    assert "谈话逾期者" in page
    assert "别的支部" not in page
    assert reverse("members:member_lifecycle", args=[late.pk]) in page
    due = rules.talk_due_on(late.applied_on)
    assert due.isoformat() in page
    assert f"overdue by {(today - due).days} days" in page


@pytest.mark.django_db
def test_home_card_says_when_nothing_is_due_and_is_only_for_secretaries(client, world):
    client.force_login(world.secretary)
    page = client.get("/").content.decode()
    assert 'id="pipeline-none"' in page
    client.force_login(world.member_user)
    assert 'id="card-pipeline"' not in client.get("/").content.decode()
