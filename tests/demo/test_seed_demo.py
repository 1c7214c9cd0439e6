"""``manage.py seed_demo``: the demo world is complete, valid, scoped, idempotent and deterministic.

The command runs once per module, inside a transaction rolled back at the end, so the other test
modules never see the demo data.
"""

import datetime
import hashlib
import random
import types
from collections import Counter
from io import StringIO
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models import F
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from accounts.models import RoleAssignment
from core.validators import parse_id_number, validate_credit_code, validate_id_number_matches, validate_phone
from demo import seed as demo
from members.models import STAGE_DATE_FIELD, STAGE_ORDER, Member, Stage, StageChange
from parks.models import District, Enterprise, Organization, Park, Room, add_years

USERNAMES = [
    "admin", "official", "parkadmin", "secretary", "service", "member",
    "official2", "parkadmin2", "secretary2", "member2",
]  # fmt: skip


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        out = StringIO()
        call_command("seed_demo", stdout=out)
        yield SimpleNamespace(output=out.getvalue())
        transaction.set_rollback(True)


def org(code_or_name):
    return Organization.objects.get(name=code_or_name)


def branches_of(committee):
    return committee.children.filter(kind__in=Organization.BRANCH_KINDS)


def counts():
    through = Organization.enterprises.through
    models = [
        District,
        Park,
        Enterprise,
        Organization,
        through,
        Member,
        StageChange,
        Room,
        get_user_model(),
        RoleAssignment,
    ]
    return {model.__name__: model.objects.count() for model in models}


def data_digest():
    """A digest of everything the demo generates, by natural keys (never by primary keys)."""
    rows = [
        *District.objects.order_by("code").values_list("code", "city", "name"),
        *Park.objects.order_by("district__code", "name").values_list(
            "district__code", "name", "kind", "address", "opened_on"
        ),
        *Enterprise.objects.order_by("credit_code").values_list(
            "credit_code",
            "name",
            "park__name",
            "industry",
            "employee_count",
            "entered_on",
            "investor_name",
            "investor_is_member",
        ),
        *Organization.objects.order_by("code").values_list(
            "code",
            "name",
            "kind",
            "formation",
            "parent__code",
            "park__name",
            "founded_on",
            "term_start",
            "term_end",
            "secretary__phone",
        ),
        *Organization.enterprises.through.objects.order_by("organization__code", "enterprise__credit_code").values_list(
            "organization__code", "enterprise__credit_code"
        ),
        *Room.objects.order_by("park__name", "name").values_list("park__name", "name", "capacity"),
        *get_user_model()
        .objects.order_by("username")
        .values_list("username", "first_name", "last_name", "email", "is_staff", "is_superuser", "member__phone"),
        *RoleAssignment.objects.order_by("user__username", "role").values_list(
            "user__username", "role", "district__code", "park__name", "organization__code"
        ),
    ]
    members = sorted(
        (
            m.id_number,
            m.name,
            m.gender,
            m.ethnicity,
            m.birth_date,
            m.phone,
            m.education,
            m.employer.credit_code if m.employer else None,
            m.organization.code,
            m.stage,
            m.applied_on,
            m.activist_on,
            m.candidate_on,
            m.probationary_on,
            m.full_on,
            m.status,
            m.shows_identity,
            m.service_commitment,
        )
        for m in Member.objects.select_related("employer", "organization")
    )
    changes = sorted(StageChange.objects.values_list("member__phone", "kind", "from_stage", "to_stage", "effective_on"))
    return hashlib.sha256(repr((rows, members, changes)).encode()).hexdigest()


def wipe_database():
    """Empty every table (as a fresh database would be) but the content types and permissions.

    Foreign keys are checked at commit, and the test's transaction is rolled back.
    """
    keep = {"contenttypes.ContentType", "auth.Permission"}
    with connection.cursor() as cursor:
        for model in apps.get_models(include_auto_created=True):
            if model._meta.label in keep or not model._meta.managed or model._meta.proxy:
                continue
            cursor.execute(f"DELETE FROM {connection.ops.quote_name(model._meta.db_table)}")


# -- what is there ----------------------------------------------------------------------------


def test_prints_counts_and_logins(seeded, db):
    for username in USERNAMES:
        assert f"\n{username} " in seeded.output
    assert demo.DEMO_PASSWORD in seeded.output
    for district in ("嘉兴市桐乡市", "嘉兴市南湖区", "昆明市官渡区", "宁波市海曙区"):
        assert district in seeded.output


def test_districts_parks_and_committees(seeded, db):
    assert dict(District.objects.values_list("code", "name")) == {
        "330483": "桐乡市", "330402": "南湖区", "530111": "官渡区", "330203": "海曙区",
    }  # fmt: skip
    assert Park.objects.get(name="乌镇互联网产业园").kind == Park.Kind.INTERNET_TOWN
    assert Park.objects.get(name="新星商圈").kind == Park.Kind.BUSINESS_DISTRICT
    assert Park.objects.filter(district__code="330483").count() == 3

    tongxiang = org("桐乡市电商联合党委")
    assert tongxiang.kind == Organization.Kind.COMMITTEE
    assert branches_of(tongxiang).count() == 7
    assert branches_of(tongxiang).filter(name="乌镇互联网产业园支部").exists()
    assert branches_of(org("官渡区电子商务产业党委")).count() == 4
    assert branches_of(org("新星商圈电商党委")).count() == 7

    assert Enterprise.objects.filter(park__name="嘉兴电子商务产业园").count() == 263
    alliance = Organization.objects.get(district__code="330402", kind=Organization.Kind.COMMITTEE)
    assert alliance.formation == Organization.Formation.INDUSTRY
    covered = {b.name: b.enterprises.count() for b in branches_of(alliance)}
    joint = [b for b in branches_of(alliance) if b.kind == Organization.Kind.JOINT_BRANCH]
    single = [b for b in branches_of(alliance) if b.formation == Organization.Formation.SINGLE]
    assert len(joint) >= 3
    assert all(covered[b.name] >= 2 for b in joint)
    assert len(single) >= 3
    assert all(covered[b.name] == 1 for b in single)

    # Industries are spread; most enterprises are small.
    industries = Counter(Enterprise.objects.filter(park__district__code="330402").values_list("industry", flat=True))
    assert set(industries) == set(Enterprise.Industry.values)
    small = Enterprise.objects.filter(park__district__code="330402", employee_count__range=(2, 30)).count()
    assert small > 263 * 0.7


def test_members_by_district_and_stage(seeded, db):
    per_district = Counter(Member.objects.values_list("organization__district__code", flat=True))
    assert 300 <= per_district["330483"] <= 340
    assert 190 <= per_district["330203"] <= 210
    assert per_district["330402"] > 50
    assert per_district["530111"] > 20
    assert set(Member.objects.values_list("stage", flat=True)) == set(Stage.values)
    wuzhen = org("乌镇互联网产业园支部")
    in_wuzhen = Member.objects.filter(organization__in=[wuzhen, *wuzhen.children.all()])
    assert set(in_wuzhen.values_list("stage", flat=True)) == set(Stage.values)
    stages = Counter(Member.objects.values_list("stage", flat=True))
    assert stages[Stage.FULL] > 0.6 * sum(stages.values())
    statuses = Counter(Member.objects.values_list("status", flat=True))
    assert statuses[Member.Status.FLOWING] > 0
    assert statuses[Member.Status.TRANSFERRED_OUT] > 0
    assert statuses[Member.Status.ACTIVE] > 0.9 * sum(statuses.values())
    # A branch normally has at most 50 members.
    sizes = Counter(Member.objects.values_list("organization", flat=True))
    assert max(sizes.values()) <= 50


def test_every_code_is_valid_and_consistent(seeded, db):
    members = list(Member.objects.select_related("organization__district"))
    assert len({m.id_number for m in members}) == len(members)
    assert len({m.phone for m in members}) == len(members)
    for member in members:
        validate_id_number_matches(member.id_number, member.birth_date, member.gender)
        assert parse_id_number(member.id_number) == (member.birth_date, member.gender)
        assert member.id_number[:6] == member.organization.district.code
        validate_phone(member.phone)
        member.clean()  # the model's own rules: ID agrees, stage dates in order, no later-stage date
    enterprises = list(Enterprise.objects.select_related("park__district"))
    for enterprise in enterprises:
        validate_credit_code(enterprise.credit_code)
        assert enterprise.credit_code[2:8] == enterprise.park.district.code
    assert len({e.credit_code for e in enterprises}) == len(enterprises)
    assert len({e.name for e in enterprises}) == len(enterprises)


def test_stage_dates_follow_the_rules_and_the_history(seeded, db):
    today = timezone.localdate()
    members = Member.objects.prefetch_related("stage_changes")
    for member in members:
        dates = {stage: member.stage_date(stage) for stage in STAGE_ORDER}
        reached = STAGE_ORDER[: STAGE_ORDER.index(member.stage) + 1]
        assert all(dates[s] for s in reached)
        assert not any(dates[s] for s in STAGE_ORDER if s not in reached)
        assert all(dates[s] <= today for s in reached)
        assert dates[Stage.APPLICANT] >= add_years(member.birth_date, 18)
        if dates[Stage.CANDIDATE]:
            assert dates[Stage.CANDIDATE] >= add_years(dates[Stage.ACTIVIST], 1)
        if dates[Stage.FULL]:
            assert dates[Stage.FULL] == add_years(dates[Stage.PROBATIONARY], 1)
        history = [(c.from_stage, c.to_stage, c.effective_on) for c in member.stage_changes.all()]
        expected = [("", Stage.APPLICANT, dates[Stage.APPLICANT])] + [
            (STAGE_ORDER[i - 1], s, dates[s]) for i, s in enumerate(reached) if i
        ]
        assert history == expected
    assert set(STAGE_DATE_FIELD) == set(STAGE_ORDER)


def test_organisations_are_complete(seeded, db):
    today = timezone.localdate()
    orgs = list(Organization.objects.select_related("secretary__organization", "park", "parent"))
    units = [o for o in orgs if o.kind != Organization.Kind.COMMITTEE]
    for unit in units:
        # The secretary is an active full member of the unit itself.
        assert unit.secretary.organization_id == unit.pk, unit
        assert unit.secretary.stage == Stage.FULL
        assert unit.secretary.status == Member.Status.ACTIVE
        assert unit.code.startswith(unit.parent.code)
        assert unit.park.district_id == unit.district_id
        for enterprise in unit.enterprises.all():
            assert enterprise.park_id == unit.park_id
    for committee in (o for o in orgs if o.kind == Organization.Kind.COMMITTEE):
        assert committee.secretary.organization.parent_id == committee.pk
    assert all(o.founded_on and o.code for o in orgs)
    statuses = Counter(o.term_status(today) for o in orgs if o.kind != Organization.Kind.GROUP)
    assert statuses["expired"] == 1
    assert statuses["ending"] >= 2
    assert statuses["unknown"] == 0
    # Members work for enterprises of their organisation's park.
    wrong = Member.objects.exclude(employer__isnull=True).exclude(employer__park=F("organization__park"))
    assert not wrong.exists()
    # Every park has 2 to 4 rooms.
    assert all(2 <= park.rooms.count() <= 4 for park in Park.objects.all())


# -- logins and scope -----------------------------------------------------------------------------


def test_every_login_authenticates(seeded, db):
    request = RequestFactory().post("/accounts/login/")
    for username in USERNAMES:
        user = authenticate(request, username=username, password=demo.DEMO_PASSWORD)
        assert user is not None, username
        assert user.email == f"{username}@example.com"
        assert user.first_name
        assert user.last_name
    assert get_user_model().objects.get(username="admin").is_superuser
    assert get_user_model().objects.get(username="parkadmin").is_staff
    assert get_user_model().objects.get(username="parkadmin2").is_staff


def test_each_login_has_its_intended_scope(seeded, db):
    users = {u.username: u for u in get_user_model().objects.filter(username__in=USERNAMES)}
    wuzhen = org("乌镇互联网产业园支部")
    units = [wuzhen, *wuzhen.children.all()]
    assert len(units) == 2  # the branch and its party group

    secretary = users["secretary"]
    assert set(Member.objects.visible_to(secretary)) == set(Member.objects.filter(organization__in=units))
    assert Member.objects.filter(organization=units[1]).exists()
    assert secretary.member == wuzhen.secretary

    member = users["member"]
    assert list(Member.objects.visible_to(member)) == [member.member]
    assert member.member.organization == wuzhen
    assert member.member.stage == Stage.FULL

    official = users["official"]
    assert (
        Member.objects.visible_to(official).count()
        == Member.objects.filter(organization__district__code="330483").count()
    )
    assert set(District.objects.visible_to(official).values_list("code", flat=True)) == {"330483"}
    assert set(District.objects.visible_to(users["official2"]).values_list("code", flat=True)) == {"330402"}

    assert set(Member.objects.visible_to(users["parkadmin"])) == set(
        Member.objects.filter(organization__park__name="乌镇互联网产业园")
    )
    assert set(Enterprise.objects.visible_to(users["service"])) == set(
        Enterprise.objects.filter(park__name="乌镇互联网产业园")
    )
    assert Enterprise.objects.visible_to(users["parkadmin2"]).count() == 263

    secretary2 = users["secretary2"]
    branch2 = Organization.objects.get(pk=RoleAssignment.objects.get(user=secretary2).organization_id)
    assert branch2.park.name == "嘉兴电子商务产业园"
    assert secretary2.member == branch2.secretary
    assert set(Member.objects.visible_to(secretary2)) == set(branch2.members.all())
    member2 = users["member2"].member
    assert member2.organization == branch2
    assert member2.stage == Stage.FULL
    assert member2 != branch2.secretary

    assert Member.objects.visible_to(users["admin"]).count() == Member.objects.count()


# -- idempotent and deterministic ------------------------------------------------------------------


def test_running_again_changes_nothing(seeded, db, django_assert_max_num_queries):
    before, digest = counts(), data_digest()
    call_command("seed_demo", stdout=StringIO())
    assert counts() == before
    # On another day too: identity never depends on the day the command runs.
    with django_assert_max_num_queries(60):
        result = demo.seed_core(today=timezone.localdate() + datetime.timedelta(days=200))
    assert not +result.created
    assert counts() == before
    assert data_digest() == digest


def test_two_fresh_databases_get_the_same_data(seeded, db, django_assert_max_num_queries):
    wipe_database()
    assert counts()["Member"] == 0
    with django_assert_max_num_queries(220):
        demo.seed_core()
    first = data_digest()
    wipe_database()
    demo.seed_core()
    assert data_digest() == first
    assert counts()["Member"] > 600


def test_identity_does_not_depend_on_the_day():
    def identity(plan):
        return (
            [(m.id_number, m.name, m.phone, m.org_code) for m in plan.members],
            [(e.credit_code, e.name) for e in plan.enterprises],
            [(o.code, o.name, o.secretary_id_number) for o in plan.organizations],
            [(u.username, u.member_id_number) for u in plan.logins],
        )

    today = datetime.date(2026, 11, 22)
    a = demo.build_plan(random.Random(demo.SEED), today)
    b = demo.build_plan(random.Random(demo.SEED), today + datetime.timedelta(days=400))
    assert identity(a) == identity(b)
    assert identity(a) != identity(demo.build_plan(random.Random(demo.SEED + 1), today))


# -- the apps' hooks ------------------------------------------------------------------------------


def test_app_hooks_run_in_order_each_with_its_own_seed(db, monkeypatch):
    calls = []
    first, second = types.ModuleType("first"), types.ModuleType("second")
    first.seed = lambda *, rng, stdout: calls.append(("first", rng.random(), stdout))
    second.seed = lambda *, rng, stdout: calls.append(("second", rng.random(), stdout)) or [("u", "r", "s")]
    monkeypatch.setattr(demo, "APP_HOOKS", (("second", 7), ("first", 3)))
    monkeypatch.setattr(demo, "APP_MODULES", {"first": first, "second": second})
    out, logins = StringIO(), []
    assert demo.run_app_hooks(stdout=out, logins=logins) == ["second", "first"]
    assert calls == [("second", random.Random(7).random(), out), ("first", random.Random(3).random(), out)]
    assert logins == [("u", "r", "s")]


def test_the_dashboards_and_reports_have_figures_at_once(seeded, db):
    """The app hooks write activities in bulk; the command then fills the statistics summary and
    builds the reports of the last two periods, so a new portal's dashboard and report list are not
    empty."""
    from activities.models import Activity, OrganizationMonth
    from reports.models import StatReport
    from stats import statistics

    assert OrganizationMonth.objects.exists()
    district = District.objects.order_by("code").first()
    scope = statistics.StatScope.of(district)
    period = statistics.Period.current("year").previous()
    assert statistics.figures(scope, period) == statistics.figures(scope, period, live=True)
    assert Activity.objects.exists()
    kinds = set(StatReport.objects.values_list("period_kind", flat=True))
    assert kinds == {"month", "quarter", "year"}
    # Two consecutive periods of each kind, for every district and park.
    assert StatReport.objects.count() == 2 * 3 * (District.objects.count() + Park.objects.count())
    before = StatReport.objects.count()
    call_command("seed_demo", stdout=StringIO())
    assert StatReport.objects.count() == before


@pytest.mark.parametrize("kind", ["month", "quarter", "year"])
def test_the_last_report_compares_with_a_seeded_previous_one(seeded, db, client, kind):
    """The report of the period just ended has the report of the period before it, so its
    "previous period" column is filled; both were built by a run that records how it went."""
    from reports.models import StatReport, StatReportRun
    from stats import statistics

    last = statistics.Period.current(kind).previous()
    official = get_user_model().objects.get(username="official")
    district = official.role_assignments.get().district
    report = StatReport.objects.get(district=district, period_kind=kind, period_start=last.start)
    before = StatReport.objects.get(district=district, period_kind=kind, period_start=last.previous().start)
    for each in (report, before):
        (run,) = StatReportRun.objects.filter(district=district, period_kind=kind, period_start=each.period_start)
        assert run.status == StatReportRun.Status.SUCCESS
        assert run.report == each
        assert run.finished_at is not None
        assert run.duration is not None
        assert each.data == statistics.figures(statistics.StatScope.of(district), building_period(each))
    client.force_login(official)
    response = client.get(reverse("reports:detail", args=[report.pk]))
    assert response.status_code == 200
    assert response.context["previous"] == before
    members = next(row for s in response.context["sections"] for row in s["rows"] if row.key == "members.total")
    assert members.previous == before.data["members"]["total"]
    assert members.previous_display != "—"
    assert [run.status for run in response.context["runs"]] == ["success"]


def building_period(report):
    from reports.building import period_of

    return period_of(report)


def test_running_again_builds_no_report_and_no_run(seeded, db):
    from reports.models import StatReport, StatReportRun

    before = (StatReport.objects.count(), StatReportRun.objects.count())
    assert demo.seed_statistics(stdout=StringIO()) == 0
    assert (StatReport.objects.count(), StatReportRun.objects.count()) == before


# -- elections (demo/elections.py) ----------------------------------------------------------------


def test_every_term_comes_from_an_approved_election_with_its_committee(seeded, db):
    from elections import selectors
    from elections.models import Election
    from parks import rules as park_rules

    orgs = [o for o in Organization.objects.exclude(kind=Organization.Kind.GROUP) if o.term_start]
    current = selectors.current_elections([o.pk for o in orgs])
    committees = selectors.committee_organization_ids([o.pk for o in orgs])
    for o in orgs:
        election = current[o.pk]
        assert election.held_on == o.term_start, o
        # The stored end is the derived one: the kind's term from the election (党委 5 years).
        assert o.term_end == election.term_end == park_rules.term_end(o.term_start, park_rules.term_years(o.kind)), o
        assert election.seats.get(post="secretary").member_id == o.secretary_id, o
        if o.kind in Organization.BRANCH_KINDS:
            full = Member.objects.filter(
                organization__in=Organization.objects.with_descendants({o.pk}),
                status=Member.Status.ACTIVE,
                stage=Stage.FULL,
            ).count()
            if full >= 7:
                assert o.pk in committees, o
                assert 3 <= election.seat_count <= 5, o
            else:
                assert election.seat_count == 1, o
        assert election.votes_cast * 5 > election.eligible_voters * 4
    # The overdue organisation's new election awaits approval.
    pending = Election.objects.filter(status=Election.Status.SUBMITTED)
    assert [e.organization.term_status() for e in pending] == ["expired"]


def test_the_demo_committee_meetings_list_only_their_committee(seeded, db):
    """A 支委会 of the demo is attended by its branch's committee of the day, and only branches with
    a committee hold one (activities.rules: a 支委会's checklist is the committee)."""
    from activities.models import Activity, Attendance
    from activities.selectors import activity_checklist

    meetings = list(Activity.objects.filter(kind=Activity.Kind.COMMITTEE_MEETING).select_related("host"))
    assert meetings
    for activity in meetings:
        listed = set(activity_checklist(activity).values_list("pk", flat=True))
        attended = set(Attendance.objects.filter(activity=activity).values_list("member_id", flat=True))
        assert listed, activity
        assert attended <= listed, activity
