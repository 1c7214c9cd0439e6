"""The small world of the statistics tests (tests/stats/test_statistics*.py).

District D has parks P1 and P2, a committee C (founded 2026-08-01), branch B1 with party group G1
(and a committee) and joint branch B2 in P1, branch B3 in P2; district E has one branch and an activity that must
never be counted. "Today" is 2026-07-10 throughout, so Q2 2026 is over and 2026 is running.
Every expected number in the tests is worked out by hand in the comment next to it.
"""

import datetime
from decimal import Decimal
from types import SimpleNamespace

from activities.models import Activity, Attendance
from core.periods import Period, day_start
from elections.models import CommitteeSeat, Election
from members.models import Member, Stage, Transfer
from parks.models import Organization
from services.models import ServiceRequest, Wish
from stats.statistics import StatScope, figures, refresh_summaries
from tests.factories import (
    DistrictFactory,
    EnterpriseFactory,
    MemberFactory,
    OrganizationFactory,
    ParkFactory,
    UserFactory,
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

    # B1 has had a committee since 1 December 2025, so 支委会 binds it; B2 and B3 have none (their
    # 支委会 cells are "not applicable"), and only B1 has a party group (G1, with m3) for 党小组会.
    election = Election.objects.create(
        organization=w.b1,
        held_on=datetime.date(2025, 12, 1),
        eligible_voters=3,
        votes_cast=3,
        status=Election.Status.APPROVED,
    )
    for post, member in (("secretary", w.m1), ("organization", w.m2), ("member", w.m3)):
        CommitteeSeat.objects.create(election=election, member=member, post=post)

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


def get(scope_obj, period, live=False):
    return figures(StatScope.of(scope_obj), period, live=live, today=TODAY)
