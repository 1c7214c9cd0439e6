"""The statistics module (stats/statistics.py) against hand-computed figures on a small world
(tests/stats/statistics_world.py): periods and scopes, and every figure."""

import datetime

import pytest

from accounts.models import Role
from activities.models import Activity
from core.periods import Period
from stats.statistics import StatScope, compliance_by_branch, monthly_trend
from tests.factories import (
    UserFactory,
    assign,
)

from .statistics_world import JUNE, MAY, Q2, TODAY, YEAR, get

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
    # Held a1 a2 a3 a4 a5 a8; present 2+1+1+2+1+1, absent 1+1+1, leave 1. Compliance: Jan-Jun
    # themed day × 3 branches + 支委会 and 党小组会 × B1 only (the one with a committee and a party
    # group) = 30 cells, Q1 Q2 × 2 quarterly rules × 3 = 12, plus July's met themed day of B2 = 43;
    # met: B1 May committee + group (G1), B3 June themed day, B2 July themed day.
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
        "compliance_rate": round(4 / 43, 4),
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
    # 3 months × (themed day × 3 branches + 支委会 and 党小组会 × B1) + 2 quarterly rules × 3
    # branches = 21; the congress was below quorum and the lecture cancelled.
    assert activities["compliance_rate"] == round(3 / 21, 4)
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
    # May: themed day × 3 branches, 支委会 and 党小组会 of B1 only (B2, B3: not applicable).
    assert may["activities"]["compliance_rate"] == round(2 / 5, 4)
    assert may["members"]["new"] == 1
    assert may["members"]["transferred_out"] == 1
    june = get(w.d, JUNE)
    assert (june["activities"]["total"], june["activities"]["attendance_rate"]) == (2, 0.75)
    assert june["activities"]["compliance_rate"] == round(1 / 5, 4)
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
    # a1, a2, a3: present 2+1+1, absent 1+1, leave 1; B1 (9 + 2) and B2 (3 themed days + 2) cells,
    # 2 met (B2 has no committee and no party group: those rules do not bind it).
    assert (f["activities"]["total"], f["activities"]["attendance_person_times"]) == (3, 4)
    assert f["activities"]["attendance_rate"] == round(4 / 7, 4)
    assert f["activities"]["compliance_rate"] == round(2 / 16, 4)
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
    assert sum(row.elapsed for row in rows) == 43
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
