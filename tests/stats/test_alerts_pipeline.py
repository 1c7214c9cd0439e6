"""The dashboard's development-pipeline alerts (issue #13, item 7): the talk with an applicant, an
activist's year of training and the end of probation, each overdue or due within 30 days, with the
member, the date and how late or near, linked to the member; the dates are members.rules'."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from members.models import Stage, StageChange
from stats import alerts
from stats.statistics import StatScope
from tests.factories import MemberFactory, OrganizationFactory

pytestmark = pytest.mark.django_db
D = datetime.timedelta
NO_DATES = dict(activist_on=None, candidate_on=None, probationary_on=None, full_on=None)


def applicant(org, applied_on, **kw):
    return MemberFactory(organization=org, stage=Stage.APPLICANT, applied_on=applied_on, **{**NO_DATES, **kw})


def activist(org, activist_on, **kw):
    return MemberFactory(organization=org, stage=Stage.ACTIVIST, **{**NO_DATES, "activist_on": activist_on, **kw})


def probationary(org, probationary_on, **kw):
    return MemberFactory(
        organization=org, stage=Stage.PROBATIONARY, probationary_on=probationary_on, full_on=None, **kw
    )


def rows(world, code, today, *, user=None, scope=None):
    scope = scope or StatScope.of(world.district_a)
    return alerts.alerts_of_kind(user or world.park_admin, scope, code, today=today)


CASES = [  # (code, make the member, deadline)
    (
        "talk_due",
        lambda w: applicant(w.branch_a1, datetime.date(2024, 1, 31), name="申请人"),
        datetime.date(2024, 2, 29),
    ),
    (
        "candidacy_due",
        lambda w: activist(w.branch_a1, datetime.date(2024, 2, 29), name="积极分子"),
        datetime.date(2025, 2, 28),
    ),
    (
        "probation_due",
        lambda w: probationary(w.branch_a1, datetime.date(2024, 2, 29), name="预备党员"),
        datetime.date(2025, 2, 28),
    ),
]
EDGES = [(-31, None), (-30, "due in 30 days"), (-1, "due in 1 day"), (0, "due today"), (1, "overdue by 1 day")]


@pytest.mark.parametrize(("code", "make", "due"), CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize(("shift", "words"), EDGES, ids=[str(e[0]) for e in EDGES])
def test_pipeline_alert_at_the_edges(world, code, make, due, shift, words):
    member = make(world)
    found = rows(world, code, due + D(shift))
    if words is None:
        assert found == []
        return
    [alert] = found
    assert alert.subject == member.name
    assert due.isoformat() in alert.detail
    assert words in alert.detail
    assert alert.url == f"/members/member/{member.pk}/lifecycle/"
    assert alert.where == world.branch_a1.name
    # Only its own kind: the other pipeline kinds stay empty.
    others = {c for c, _m, _d in CASES} - {code}
    assert all(rows(world, other, due + D(shift)) == [] for other in others)


def test_official_sees_pipeline_alerts_without_a_link_and_not_across_districts(world):
    applicant(world.branch_a1, datetime.date(2026, 5, 1), name="逾期谈话")
    applicant(world.branch_b, datetime.date(2026, 5, 1), name="乙区谈话")
    today = datetime.date(2026, 6, 15)
    [alert] = rows(world, "talk_due", today, user=world.official)
    assert (alert.subject, alert.url) == ("逾期谈话", None)
    assert [
        a.subject for a in rows(world, "talk_due", today, user=world.official_b, scope=StatScope.of(world.district_b))
    ] == ["乙区谈话"]


def test_pipeline_alerts_run_a_fixed_number_of_queries(world):
    today = datetime.date(2026, 6, 15)
    scope = StatScope.of(world.district_a)

    def grow(n):
        for _i in range(n):
            branch = OrganizationFactory(park=world.park_a1)
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

    def run(**section):
        ctx = alerts._Context(world.official, scope, today, **section)
        with CaptureQueriesContext(connection) as queries:
            found = [row for result in alerts._pipeline_deadlines(ctx) for row in result.rows()]
        return len(queries), len(found)

    def section():
        """The section's queries: the first view of the day's data, then the next view."""
        first, again = run(first=None, first_asked=True), run(first=None, first_asked=True)
        assert first[1] == again[1]
        return first[0], again[0], first[1]

    grow(1)
    small, small_section = run(), section()
    grow(5)
    large, large_section = run(), section()
    assert (small[1], large[1]) == (small_section[2], large_section[2]) == (3, 18)
    # A drill-down: the count, the numbered rows, the members of those rows.
    assert small[0] == large[0] == 3
    # The section: the data's version, then the counts and numbered rows (one reading of the
    # pipeline) and the members of those rows; the next view finds the numbered rows in the cache.
    assert small_section[:2] == large_section[:2] == (3, 2)
    groups = {g.code: g.count for g in alerts.alerts_for(world.official, scope, today=today)}
    assert (groups["talk_due"], groups["candidacy_due"], groups["probation_due"]) == (6, 6, 6)


def test_the_first_page_of_a_pipeline_drill_down_counts_with_its_rows(world, client):
    """The drill-down's first page counts the kind in the same reading of the pipeline as its rows
    (one query fewer than another page); every page shows the rows of the Python rule, in order."""
    from django.urls import reverse

    from members import selectors
    from stats.views import ROWS_PER_PAGE

    for i in range(ROWS_PER_PAGE + 5):
        applicant(world.branch_a1, timezone.localdate() - D(days=40 + i % 7), name=f"申请人{i:02d}")
    expected = [d.member.name for d in selectors.pipeline_deadlines([world.branch_a1.pk]) if d.kind == "talk"]
    assert len(expected) == ROWS_PER_PAGE + 5
    client.force_login(world.official)
    url = reverse("dashboard_rows", args=["district", world.district_a.pk, "alert-talk_due"])
    client.get(url)  # what is read once per session
    shown, cost = [], {}
    for number in (1, 2):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url, {"page": number})
        assert response.status_code == 200
        page = response.context["page"]
        assert page.paginator.count == len(expected)
        shown += [a.subject for a in page.object_list]
        cost[number] = len(queries)
    assert shown == expected
    assert cost[1] == cost[2] - 1


def test_the_sections_cached_pipeline_follows_every_change_of_its_data(world):
    """The section's pipeline rows are cached for the day between two writes to what they read: a
    talk recorded or removed, an extension of probation, a stage or a branch changed, a member
    removed, and the next day are each seen by the next view, as the Python rule sees them."""
    from members import selectors
    from members.models import ApplicationTalk, Member

    today = datetime.date(2026, 6, 15)
    scope = StatScope.of(world.district_a)
    talk = applicant(world.branch_a1, datetime.date(2026, 5, 1), name="待谈话")
    trainee = activist(world.branch_a1, datetime.date(2025, 6, 1), name="满一年")
    probation = probationary(world.branch_a1, datetime.date(2025, 6, 10), name="预备期满")

    def section(day=today):
        """{code: subjects} of the section (its first rows) and of the Python rule."""
        groups = alerts.alerts_for(world.official, scope, today=day, first=alerts.SECTION_ROWS)
        shown = {g.code: [a.subject for a in g.items] for g in groups if g.code in alerts.PIPELINE_ALERTS.values()}
        counts = {g.code: g.count for g in groups if g.code in alerts.PIPELINE_ALERTS.values()}
        expected = {}
        for deadline in selectors.pipeline_deadlines(
            alerts.scope_organizations(world.official, scope).values("pk"), today=day
        ):
            expected.setdefault(alerts.PIPELINE_ALERTS[deadline.kind], []).append(deadline.member.name)
        assert shown == expected
        assert counts == {code: len(names) for code, names in expected.items()}
        return shown

    assert section() == {"talk_due": ["待谈话"], "candidacy_due": ["满一年"], "probation_due": ["预备期满"]}
    section()  # from the cache
    held = ApplicationTalk.objects.create(member=talk, held_on=datetime.date(2026, 5, 20))
    assert "talk_due" not in section()
    held.delete()
    assert section()["talk_due"] == ["待谈话"]
    StageChange.objects.create(
        member=probation,
        kind=StageChange.Kind.EXTENSION,
        from_stage=Stage.PROBATIONARY,
        to_stage=Stage.PROBATIONARY,
        effective_on=datetime.date(2026, 12, 10),
    )
    assert "probation_due" not in section()
    trainee.stage, trainee.candidate_on = Stage.CANDIDATE, datetime.date(2026, 6, 1)
    trainee.save()
    assert "candidacy_due" not in section()
    moved = activist(world.branch_b, datetime.date(2025, 6, 1), name="外区积极分子")
    assert "candidacy_due" not in section()
    moved.organization = world.branch_a2
    moved.save()
    assert section()["candidacy_due"] == ["外区积极分子"]
    Member.objects.get(pk=moved.pk).delete()
    assert "candidacy_due" not in section()
    # Another day, another reading: the application of 1 May is due within 30 days on 2 May already.
    assert section(datetime.date(2026, 5, 2)) == {"talk_due": ["待谈话"]}
