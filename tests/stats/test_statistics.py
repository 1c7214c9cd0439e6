"""The statistics module (portal/statistics.py) against hand-computed figures on a small world.

District D has parks P1 and P2, a committee C (founded 2026-08-01), branch B1 with party group G1
and joint branch B2 in P1, branch B3 in P2; district E has one branch and an activity that must
never be counted. "Today" is 2026-07-10 throughout, so Q2 2026 is over and 2026 is running.
Every expected number below is worked out by hand in the comment next to it.
"""

import datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Role
from activities.actions import activity_cancel
from activities.models import Activity, Attendance, OrganizationMonth
from core.periods import Period, day_start
from members.models import Member, Stage, Transfer
from parks.models import Organization
from services.models import ServiceRequest, Wish
from stats.statistics import StatScope, compliance_by_branch, figures, monthly_trend, refresh_summaries
from tests.factories import (
    DistrictFactory,
    EnterpriseFactory,
    MemberFactory,
    OrganizationFactory,
    ParkFactory,
    UserFactory,
    assign,
)
from tests.services.factories import category as service_category

TODAY = datetime.date(2026, 7, 10)
Q2 = Period("quarter", datetime.date(2026, 4, 1))
MAY = Period("month", datetime.date(2026, 5, 1))
JUNE = Period("month", datetime.date(2026, 6, 1))
YEAR = Period("year", datetime.date(2026, 1, 1))


def at(day, hour=10, minute=0):
    """An aware datetime, local (Asia/Shanghai) time."""
    return day_start(day) + datetime.timedelta(hours=hour, minutes=minute)


def undated(**kwargs):
    return {
        "applied_on": None,
        "activist_on": None,
        "candidate_on": None,
        "probationary_on": None,
        "full_on": None,
        **kwargs,
    }


def build():
    w = SimpleNamespace()
    w.d = DistrictFactory(name="南湖区", code="330402")
    w.e = DistrictFactory(name="海曙区", code="330203")
    w.p1 = ParkFactory(name="P1", district=w.d)
    w.p2 = ParkFactory(name="P2", district=w.d)
    w.pe = ParkFactory(name="PE", district=w.e)
    w.c = OrganizationFactory(
        name="C", kind=Organization.Kind.COMMITTEE, park=None, district=w.d, founded_on=datetime.date(2026, 8, 1)
    )
    w.b1 = OrganizationFactory(name="B1", park=w.p1, parent=w.c, formation=Organization.Formation.SINGLE)
    w.g1 = OrganizationFactory(name="G1", kind=Organization.Kind.GROUP, park=w.p1, parent=w.b1)
    w.b2 = OrganizationFactory(
        name="B2", kind=Organization.Kind.JOINT_BRANCH, park=w.p1, parent=w.c, formation=Organization.Formation.JOINT
    )
    w.b3 = OrganizationFactory(name="B3", park=w.p2, formation=Organization.Formation.SINGLE)
    w.be = OrganizationFactory(name="BE", park=w.pe)

    w.e1 = EnterpriseFactory(name="E1", park=w.p1)
    w.e2 = EnterpriseFactory(name="E2", park=w.p1)
    w.e3 = EnterpriseFactory(name="E3", park=w.p1)
    w.e4 = EnterpriseFactory(name="E4", park=w.p1)
    w.e5 = EnterpriseFactory(name="E5", park=w.p2)
    w.e6 = EnterpriseFactory(name="E6", park=w.p2, entered_on=datetime.date(2026, 9, 1))
    w.ee = EnterpriseFactory(name="EE", park=w.pe)
    w.b1.enterprises.add(w.e1)  # B1 covers E1 only: E1 has its own organisation
    w.b2.enterprises.add(w.e2, w.e3)  # joint formation over two: covered jointly
    w.b3.enterprises.add(w.e5)  # single formation: own
    w.be.enterprises.add(w.ee)

    F, M = Member.Gender.FEMALE, Member.Gender.MALE
    w.m1 = MemberFactory(
        organization=w.b1, gender=M, birth_date=datetime.date(1990, 3, 1), education="bachelor", employer=w.e1
    )
    w.m2 = MemberFactory(organization=w.b1, gender=F, birth_date=datetime.date(1980, 7, 1), education="master")
    w.m3 = MemberFactory(organization=w.g1, gender=M, birth_date=datetime.date(1965, 1, 1), education="college")
    w.m4 = MemberFactory(
        organization=w.b1,
        gender=F,
        birth_date=datetime.date(1998, 5, 5),
        education="bachelor",
        stage=Stage.PROBATIONARY,
        **undated(
            applied_on=datetime.date(2024, 1, 1),
            activist_on=datetime.date(2024, 3, 1),
            candidate_on=datetime.date(2025, 4, 1),
            probationary_on=datetime.date(2026, 5, 10),
        ),
    )
    w.m5 = MemberFactory(
        organization=w.b2, gender=M, birth_date=datetime.date(1975, 2, 2), education="senior", employer=w.e2
    )
    w.m6 = MemberFactory(
        organization=w.b2,
        gender=F,
        birth_date=datetime.date(2000, 1, 1),
        education="",
        stage=Stage.APPLICANT,
        **undated(applied_on=datetime.date(2026, 2, 1)),
    )
    w.m7 = MemberFactory(
        organization=w.b3, gender=M, birth_date=datetime.date(1970, 12, 31), education="doctor", employer=w.e5
    )
    w.m8 = MemberFactory(
        organization=w.b3,
        gender=F,
        birth_date=datetime.date(1995, 6, 30),
        education="junior",
        stage=Stage.ACTIVIST,
        **undated(applied_on=datetime.date(2025, 1, 1), activist_on=datetime.date(2025, 6, 1)),
    )
    w.m9 = MemberFactory(
        organization=w.b3,
        gender=M,
        birth_date=datetime.date(1985, 1, 1),
        education="bachelor",
        status=Member.Status.TRANSFERRED_OUT,
        employer=w.e4,
    )
    w.m10 = MemberFactory(
        organization=w.b3,
        gender=M,
        birth_date=datetime.date(1992, 8, 8),
        education="master",
        stage=Stage.CANDIDATE,
        **undated(
            applied_on=datetime.date(2023, 1, 1),
            activist_on=datetime.date(2023, 6, 1),
            candidate_on=datetime.date(2026, 6, 1),
        ),
    )
    w.me = MemberFactory(organization=w.be, employer=w.ee)

    def activity(host, kind, starts_at, attendance=(), status=Activity.Status.HELD, **extra):
        a = Activity.objects.create(
            host=host, kind=kind, title=f"{host.name} {kind}", starts_at=starts_at, status=status, **extra
        )
        for member, state, *hours in attendance:
            Attendance.objects.create(
                activity=a, member=member, status=state, volunteer_hours=hours[0] if hours else Decimal(0)
            )
        return a

    P, A, L = Attendance.Status.PRESENT, Attendance.Status.ABSENT, Attendance.Status.LEAVE
    w.a1 = activity(
        w.b1, "committee_meeting", at(datetime.date(2026, 5, 10)), [(w.m1, P), (w.m2, P), (w.m3, A), (w.m4, L)]
    )
    w.a2 = activity(w.g1, "group_meeting", at(datetime.date(2026, 5, 20)), [(w.m3, P)])
    w.a3 = activity(
        w.b2,
        "party_congress",
        at(datetime.date(2026, 4, 15)),
        [(w.m5, P), (w.m6, A)],
        quorum_met=False,
        voting_members=2,
        voting_present=1,
    )
    w.a4 = activity(
        w.b3,
        "volunteer",
        at(datetime.date(2026, 6, 1)),
        [(w.m7, P, Decimal("3.5")), (w.m8, P, Decimal("2.0")), (w.m10, A)],
    )
    w.a4.co_hosts.add(w.b1)
    # 00:30 on 1 June in Beijing is still 31 May in UTC: it belongs to June.
    w.a5 = activity(w.b3, "themed_day", at(datetime.date(2026, 6, 1), 0, 30), [(w.m7, P)])
    w.a6 = activity(w.b1, "party_lecture", at(datetime.date(2026, 5, 5)), [(w.m1, P)], status=Activity.Status.CANCELLED)
    w.a7 = activity(w.be, "committee_meeting", at(datetime.date(2026, 5, 10)), [(w.me, P)])
    w.a8 = activity(w.b2, "themed_day", at(datetime.date(2026, 7, 3)), [(w.m5, P)])

    Transfer.objects.create(
        member=w.m9,
        kind=Transfer.Kind.OUT,
        status=Transfer.Status.DONE,
        from_organization=w.b3,
        outside_organization="外地",
        reason="r",
        closed_at=at(datetime.date(2026, 5, 15)),
    )
    Transfer.objects.create(
        member=w.me,
        kind=Transfer.Kind.INTERNAL,
        status=Transfer.Status.DONE,
        from_organization=w.be,
        to_organization=w.b2,
        reason="r",
        closed_at=at(datetime.date(2026, 6, 10)),
    )
    Transfer.objects.create(
        member=w.m2,
        kind=Transfer.Kind.INTERNAL,
        status=Transfer.Status.DONE,
        from_organization=w.b1,
        to_organization=w.b3,
        reason="r",
        closed_at=at(datetime.date(2026, 6, 5)),
    )

    requester = UserFactory(username="requester")
    cat = service_category()

    def request(park, enterprise, created, due, status, resolved=None, closed=None, rating=None):
        r = ServiceRequest.objects.create(
            park=park,
            enterprise=enterprise,
            requester=requester,
            category=cat,
            title="t",
            description="d",
            due_on=due,
            status=status,
            rating=rating,
        )
        ServiceRequest.objects.filter(pk=r.pk).update(created_at=created, resolved_at=resolved, closed_at=closed)
        return r

    S = ServiceRequest.Status
    request(
        w.p1,
        w.e1,
        at(datetime.date(2026, 5, 1)),
        datetime.date(2026, 5, 8),
        S.CLOSED,
        resolved=at(datetime.date(2026, 5, 4)),
        closed=at(datetime.date(2026, 5, 5)),
        rating=5,
    )  # 3 days
    request(
        w.p1,
        w.e2,
        at(datetime.date(2026, 5, 10)),
        datetime.date(2026, 5, 17),
        S.RESOLVED,
        resolved=at(datetime.date(2026, 5, 11), 22),
    )  # 1.5 days
    request(w.p2, w.e5, at(datetime.date(2026, 6, 1)), datetime.date(2026, 6, 8), S.IN_PROGRESS)  # overdue
    request(
        w.p2,
        None,
        at(datetime.date(2026, 6, 20)),
        datetime.date(2026, 6, 27),
        S.CLOSED,
        resolved=at(datetime.date(2026, 7, 2)),
        closed=at(datetime.date(2026, 7, 3)),
        rating=2,
    )  # 12 days
    request(w.pe, w.ee, at(datetime.date(2026, 5, 1)), datetime.date(2026, 5, 2), S.SUBMITTED)

    Wish.objects.create(
        park=w.p1,
        beneficiary="甲",
        need="n",
        status=Wish.Status.FULFILLED,
        claimed_by=w.m1,
        fulfilled_at=at(datetime.date(2026, 5, 20)),
    )
    Wish.objects.create(
        park=w.p2,
        beneficiary="乙",
        need="n",
        status=Wish.Status.FULFILLED,
        claimed_by=w.m7,
        fulfilled_at=at(datetime.date(2026, 8, 1)),
    )
    Wish.objects.create(park=w.p1, beneficiary="丙", need="n")
    Wish.objects.create(
        park=w.pe,
        beneficiary="丁",
        need="n",
        status=Wish.Status.FULFILLED,
        claimed_by=w.me,
        fulfilled_at=at(datetime.date(2026, 5, 20)),
    )
    refresh_summaries()
    return w


@pytest.fixture
def w(db):
    return build()


def get(scope_obj, period, live=False):
    return figures(StatScope.of(scope_obj), period, live=live, today=TODAY)


# --- periods and scopes ---------------------------------------------------------------------------


def test_period_labels_bounds_and_parse():
    assert (Q2.label, Q2.end, Q2.previous().label) == ("2026-Q2", datetime.date(2026, 7, 1), "2026-Q1")
    assert (MAY.label, MAY.end, MAY.previous().label) == ("2026-05", datetime.date(2026, 6, 1), "2026-04")
    assert Period("month", datetime.date(2026, 1, 1)).previous().label == "2025-12"
    assert Period("month", datetime.date(2026, 12, 1)).end == datetime.date(2027, 1, 1)
    assert (YEAR.label, YEAR.end, YEAR.previous().label) == ("2026", datetime.date(2027, 1, 1), "2025")
    for period in (Q2, MAY, YEAR):
        assert Period.parse(period.label) == period
    assert Period.parse("2026-q4").start == datetime.date(2026, 10, 1)
    assert Period.current("quarter", today=TODAY) == Period("quarter", datetime.date(2026, 7, 1))
    assert Period.containing("month", datetime.date(2026, 2, 28)).start == datetime.date(2026, 2, 1)
    for bad in ("", "2026-13", "2026-Q5", "26-01", "abcd", "2026-1", None):
        with pytest.raises(ValueError):
            Period.parse(bad)
    with pytest.raises(ValueError):
        Period("month", datetime.date(2026, 5, 2))
    with pytest.raises(ValueError):
        Period("week", datetime.date(2026, 5, 4))


def test_scope_of_name_and_visibility(w):
    scope = StatScope.of(w.d)
    assert (scope.kind, scope.id, scope.name()) == ("district", w.d.pk, "南湖区")
    assert StatScope.of(w.b1).organization_ids == {w.b1.pk, w.g1.pk}
    with pytest.raises(TypeError):
        StatScope.of(w.m1)
    official = assign(UserFactory(username="off"), Role.DISTRICT_OFFICIAL, w.d)
    park_admin = assign(UserFactory(username="padm"), Role.PARK_ADMIN, w.p1)
    secretary = assign(UserFactory(username="sec"), Role.BRANCH_SECRETARY, w.b1)
    root = UserFactory(username="root", is_superuser=True)
    nobody = UserFactory(username="nobody")
    cases = {
        StatScope.of(w.d): {official, root},
        StatScope.of(w.e): {root},
        StatScope.of(w.p1): {official, park_admin, root},
        StatScope.of(w.p2): {official, root},
        StatScope.of(w.b1): {official, park_admin, secretary, root},
        StatScope.of(w.g1): {official, park_admin, secretary, root},
        StatScope.of(w.b3): {official, root},
        StatScope.of(w.be): {root},
    }
    for scope, allowed in cases.items():
        for user in (official, park_admin, secretary, root, nobody):
            assert scope.visible_to(user) == (user in allowed), (scope, user)


# --- the figures ----------------------------------------------------------------------------------


def test_district_year(w):
    f = get(w.d, YEAR)
    assert f["scope"] == {"kind": "district", "id": w.d.pk, "name": "南湖区"}
    assert f["period"] == {"kind": "year", "start": "2026-01-01", "end": "2027-01-01", "label": "2026"}
    assert f["organizations"] == {
        "total": 5,
        "by_kind": {"committee": 1, "general_branch": 0, "branch": 2, "joint_branch": 1, "group": 1},
    }
    # E1, E5 own; E2, E3 joint; E4, E6 uncovered; E1, E2, E5 employ a party member (m9 left).
    assert f["enterprises"] == {
        "total": 6,
        "with_members": 3,
        "own_organization": 2,
        "joint_organization": 2,
        "uncovered": 2,
        "coverage_rate": 0.6667,
    }
    # Active: everyone but m9. Ages on 2026-07-10: m2 has turned 46.
    assert f["members"] == {
        "total": 9,
        "by_stage": {"applicant": 1, "activist": 1, "candidate": 1, "probationary": 1, "full": 5},
        "by_gender": {"M": 5, "F": 4},
        "by_age_band": {"18-35": 4, "36-45": 1, "46-60": 3, "61+": 1},
        "by_education": {"junior": 1, "senior": 1, "college": 1, "bachelor": 2, "master": 2, "doctor": 1, "unknown": 1},
        "new": 1,
        "transferred_in": 1,
        "transferred_out": 1,
    }
    # Held a1 a2 a3 a4 a5 a8; present 2+1+1+2+1+1, absent 1+1+1, leave 1. Compliance: Jan-Jun 3
    # monthly rules × 3 branches = 54 cells, Q1 Q2 × 2 quarterly rules × 3 = 12, plus July's met
    # themed day of B2; met: B1 May committee + group (G1), B3 June themed day, B2 July themed day.
    assert f["activities"] == {
        "total": 6,
        "by_kind": {
            **dict.fromkeys(Activity.Kind.values, 0),
            "committee_meeting": 1,
            "group_meeting": 1,
            "party_congress": 1,
            "volunteer": 1,
            "themed_day": 2,
        },
        "attendance_person_times": 8,
        "attendance_rate": round(8 / 12, 4),
        "volunteer_hours": 5.5,
        "compliance_rate": round(4 / 67, 4),
    }
    # Received r1-r4; resolved r1 (3 d), r2 (1.5 d), r4 (12 d); rated r1 5, r4 2; open and late: r3.
    assert f["services"] == {
        "received": 4,
        "resolved": 3,
        "overdue": 1,
        "median_days_to_resolve": 3.0,
        "mean_satisfaction": 3.5,
        "wishes_fulfilled": 2,
    }


def test_district_quarter(w):
    f = get(w.d, Q2)
    assert f["organizations"]["total"] == 4  # the committee was founded in August
    assert f["enterprises"] == {
        "total": 5,
        "with_members": 3,
        "own_organization": 2,
        "joint_organization": 2,
        "uncovered": 1,
        "coverage_rate": 0.8,
    }
    members = f["members"]
    assert members["by_age_band"] == {"18-35": 4, "36-45": 2, "46-60": 2, "61+": 1}  # on 2026-06-30
    assert members["by_stage"] == {"applicant": 1, "activist": 1, "candidate": 1, "probationary": 1, "full": 5}
    assert (members["new"], members["transferred_in"], members["transferred_out"]) == (1, 1, 1)
    activities = f["activities"]
    assert (activities["total"], activities["attendance_person_times"], activities["volunteer_hours"]) == (5, 7, 5.5)
    assert activities["attendance_rate"] == round(7 / 11, 4)
    # 3 months × 3 monthly rules × 3 branches + 2 quarterly rules × 3 branches; the congress was
    # below quorum and the lecture cancelled.
    assert activities["compliance_rate"] == round(3 / 33, 4)
    # r4 was open and past due on 30 June, as was r3.
    assert f["services"] == {
        "received": 4,
        "resolved": 2,
        "overdue": 2,
        "median_days_to_resolve": 2.25,
        "mean_satisfaction": 5.0,
        "wishes_fulfilled": 1,
    }


def test_district_months(w):
    may = get(w.d, MAY)
    # a1 and a2 (a5 is June in Beijing time): present 3, absent 1, leave 1.
    assert (may["activities"]["total"], may["activities"]["attendance_person_times"]) == (2, 3)
    assert may["activities"]["attendance_rate"] == 0.6
    assert may["activities"]["compliance_rate"] == round(2 / 9, 4)
    assert may["members"]["new"] == 1
    assert may["members"]["transferred_out"] == 1
    june = get(w.d, JUNE)
    assert (june["activities"]["total"], june["activities"]["attendance_rate"]) == (2, 0.75)
    assert june["activities"]["compliance_rate"] == round(1 / 9, 4)
    assert june["activities"]["by_kind"]["themed_day"] == 1
    april = get(w.d, Period.parse("2026-04"))
    # At the end of April m4 was still a candidate and m10 an activist.
    assert april["members"]["by_stage"] == {
        "applicant": 1,
        "activist": 2,
        "candidate": 1,
        "probationary": 0,
        "full": 5,
    }
    assert april["activities"]["by_kind"]["party_congress"] == 1
    january = get(w.d, Period.parse("2026-01"))
    assert january["members"]["total"] == 8  # m6 applied in February
    assert january["activities"]["total"] == 0
    assert january["activities"]["attendance_rate"] is None
    assert january["services"]["median_days_to_resolve"] is None
    assert january["services"]["mean_satisfaction"] is None


def test_park_quarter(w):
    f = get(w.p1, Q2)
    assert f["organizations"]["by_kind"] == {
        "committee": 0,
        "general_branch": 0,
        "branch": 1,
        "joint_branch": 1,
        "group": 1,
    }
    assert f["enterprises"] == {
        "total": 4,
        "with_members": 2,
        "own_organization": 1,
        "joint_organization": 2,
        "uncovered": 1,
        "coverage_rate": 0.75,
    }
    assert f["members"]["total"] == 6
    assert (f["members"]["transferred_in"], f["members"]["transferred_out"]) == (1, 1)  # me in, m2 out
    # a1, a2, a3: present 2+1+1, absent 1+1, leave 1; B1 and B2: 2 × (9 + 2) cells, 2 met.
    assert (f["activities"]["total"], f["activities"]["attendance_person_times"]) == (3, 4)
    assert f["activities"]["attendance_rate"] == round(4 / 7, 4)
    assert f["activities"]["compliance_rate"] == round(2 / 22, 4)
    assert f["services"] == {
        "received": 2,
        "resolved": 2,
        "overdue": 0,
        "median_days_to_resolve": 2.25,
        "mean_satisfaction": 5.0,
        "wishes_fulfilled": 1,
    }
    p2 = get(w.p2, Q2)
    assert (p2["members"]["transferred_in"], p2["members"]["transferred_out"]) == (1, 1)  # m2 in, m9 out
    assert p2["services"]["overdue"] == 2
    assert p2["services"]["wishes_fulfilled"] == 0
    assert p2["activities"]["volunteer_hours"] == 5.5


def test_organization_quarter(w):
    f = get(w.b1, Q2)
    assert f["organizations"] == {
        "total": 2,
        "by_kind": {"committee": 0, "general_branch": 0, "branch": 1, "joint_branch": 0, "group": 1},
    }
    assert f["enterprises"] == {
        "total": 1,
        "with_members": 1,
        "own_organization": 1,
        "joint_organization": 0,
        "uncovered": 0,
        "coverage_rate": 1.0,
    }
    assert f["members"]["total"] == 4
    assert f["members"]["by_gender"] == {"M": 2, "F": 2}
    assert (f["members"]["transferred_in"], f["members"]["transferred_out"]) == (0, 1)
    # Hosted by B1 or G1: a1, a2 (a4 only co-hosted). One branch: 11 cells, 2 met.
    assert (f["activities"]["total"], f["activities"]["attendance_person_times"]) == (2, 3)
    assert f["activities"]["compliance_rate"] == round(2 / 11, 4)
    assert f["services"] == {
        "received": 1,
        "resolved": 1,
        "overdue": 0,
        "median_days_to_resolve": 3.0,
        "mean_satisfaction": 5.0,
        "wishes_fulfilled": 1,
    }


def test_other_district_sees_only_its_own(w):
    f = get(w.e, MAY)
    assert f["activities"]["total"] == 1
    assert f["activities"]["attendance_person_times"] == 1
    assert f["members"]["total"] == 1
    assert f["enterprises"]["own_organization"] == 1
    assert f["services"]["received"] == 1
    assert f["services"]["wishes_fulfilled"] == 1
    assert get(w.e, JUNE)["members"]["transferred_out"] == 1


def test_live_and_summary_agree(w):
    for obj in (w.d, w.e, w.p1, w.p2, w.b1, w.g1, w.b2, w.b3):
        for period in (YEAR, Q2, MAY, JUNE, Period.parse("2026-07"), Period.parse("2025")):
            assert get(obj, period) == get(obj, period, live=True), (obj, period.label)


def test_figures_are_json_serialisable(w):
    import json

    f = get(w.d, YEAR)
    assert json.loads(json.dumps(f)) == f


def test_compliance_matches_the_branch_table(w):
    rows = compliance_by_branch(StatScope.of(w.d), year=2026, today=TODAY)
    assert {row.organization.name for row in rows} == {"B1", "B2", "B3"}
    assert sum(row.met for row in rows) == 4
    assert sum(row.elapsed for row in rows) == 67
    assert [row.organization.name for row in compliance_by_branch(StatScope.of(w.b1), year=2026, today=TODAY)] == ["B1"]


def test_monthly_trend(w):
    trend = monthly_trend(StatScope.of(w.d), months=4, until=datetime.date(2026, 7, 10))
    assert trend == [
        {"month": "2026-04", "new_members": 0, "activities": 1, "attendance_person_times": 1},
        {"month": "2026-05", "new_members": 1, "activities": 2, "attendance_person_times": 3},
        {"month": "2026-06", "new_members": 0, "activities": 2, "attendance_person_times": 3},
        {"month": "2026-07", "new_members": 0, "activities": 1, "attendance_person_times": 1},
    ]
    assert trend == monthly_trend(StatScope.of(w.d), months=4, until=datetime.date(2026, 7, 10), live=True)
    assert len(monthly_trend(StatScope.of(w.p1), until=datetime.date(2026, 1, 15))) == 12
    assert monthly_trend(StatScope.of(w.p1), until=datetime.date(2026, 1, 15))[0]["month"] == "2025-02"


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
    assert small <= 40


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
