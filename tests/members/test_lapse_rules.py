"""Lapse risk (党章 Art. 38), the pure rule at its edges: the day before, of and after six months,
leap days, prepaid dues, registration and joining, approved leave."""

import datetime

import pytest

from members.rules import (
    LapseGround,
    LeaveSpan,
    add_months,
    dues_uncovered_since,
    lapse_grounds,
    no_organisation_life_since,
)

D = datetime.date
LONG_AGO = D(2020, 1, 1)


def no_life(today, **kw):
    kw.setdefault("registered_on", LONG_AGO)
    return no_organisation_life_since(today=today, **kw)


def no_dues(today, **kw):
    kw.setdefault("registered_on", LONG_AGO)
    return dues_uncovered_since(today=today, **kw)


@pytest.mark.parametrize(
    ("today", "flagged"),
    [(D(2024, 7, 14), False), (D(2024, 7, 15), True), (D(2024, 7, 16), True)],
)
def test_no_life_exactly_six_months_after_the_last_attendance(today, flagged):
    since = no_life(today, last_attended_on=D(2024, 1, 15))
    assert since == (D(2024, 1, 15) if flagged else None)


def test_no_life_counts_from_the_later_of_joining_registration_and_attendance():
    # Joined the branch after the last attendance elsewhere: counted from joining.
    assert no_life(D(2024, 7, 1), joined_on=D(2024, 3, 1), last_attended_on=D(2023, 1, 1)) is None
    assert no_life(D(2024, 9, 1), joined_on=D(2024, 3, 1), last_attended_on=D(2023, 1, 1)) == D(2024, 3, 1)
    # Registered yesterday, a member since 2010 who never attended in the portal: not flagged.
    today = D(2026, 6, 15)
    assert no_life(today, registered_on=today - datetime.timedelta(days=1), joined_on=D(2010, 1, 1)) is None
    assert lapse_grounds(today=today, registered_on=today - datetime.timedelta(days=1), joined_on=D(2010, 1, 1)) == {}


@pytest.mark.parametrize(
    ("today", "flagged"),
    [(D(2024, 8, 28), False), (D(2024, 8, 29), True), (D(2024, 8, 30), True)],
)
def test_joined_on_a_leap_day(today, flagged):
    assert (no_life(today, joined_on=D(2024, 2, 29)) is not None) is flagged


def test_six_months_from_the_31st_ends_on_a_leap_day():
    assert add_months(D(2023, 8, 31), 6) == D(2024, 2, 29)
    assert no_life(D(2024, 2, 28), joined_on=D(2023, 8, 31)) is None
    assert no_life(D(2024, 2, 29), joined_on=D(2023, 8, 31)) == D(2023, 8, 31)


@pytest.mark.parametrize(
    ("today", "flagged"),
    [(D(2024, 6, 30), False), (D(2024, 7, 1), True), (D(2024, 7, 2), True)],
)
def test_no_dues_once_six_whole_months_have_ended(today, flagged):
    # Joined on 1 January: January to June uncovered; the current month is never late yet.
    assert no_dues(today, joined_on=D(2024, 1, 1)) == (D(2024, 1, 1) if flagged else None)


def test_no_dues_counts_whole_months_in_the_branch_from_a_leap_day():
    # Joined on 29 February: the first whole month is March; March–August ends on 31 August.
    assert no_dues(D(2024, 8, 31), joined_on=D(2024, 2, 29)) is None
    assert no_dues(D(2024, 9, 1), joined_on=D(2024, 2, 29)) == D(2024, 3, 1)


def test_no_dues_by_months_covered_not_payment_date():
    # Twelve months prepaid seven months ago (2024-01 to 2024-12, paid in January): covered.
    assert no_dues(D(2024, 8, 15), covered_until=D(2024, 12, 1)) is None
    # Then nothing: the gap starts in January 2025 and reaches six months at the start of July.
    assert no_dues(D(2025, 6, 30), covered_until=D(2024, 12, 1)) is None
    assert no_dues(D(2025, 7, 1), covered_until=D(2024, 12, 1)) == D(2025, 1, 1)


def test_flowing_leave_pauses_the_organisation_life_count_not_the_dues():
    leave = LeaveSpan("flowing", D(2024, 3, 1), D(2024, 3, 31))  # 31 days away, arrangement recorded
    kw = {"last_attended_on": D(2024, 1, 15)}
    assert no_life(D(2024, 8, 14), leaves=[leave], **kw) is None
    assert no_life(D(2024, 8, 15), leaves=[leave], **kw) == D(2024, 1, 15)
    assert no_dues(D(2024, 7, 1), joined_on=D(2024, 1, 1), leaves=[leave]) == D(2024, 1, 1)


def test_abroad_leave_excludes_whole_months_from_the_dues_gap():
    leave = LeaveSpan("abroad", D(2024, 2, 10), D(2024, 4, 30))  # March and April wholly away
    assert no_dues(D(2024, 8, 31), joined_on=D(2024, 1, 1), leaves=[leave]) is None
    assert no_dues(D(2024, 9, 1), joined_on=D(2024, 1, 1), leaves=[leave]) == D(2024, 1, 1)


def test_open_ended_leave_keeps_the_count_paused():
    leave = LeaveSpan("abroad", D(2024, 2, 1), None)
    grounds = lapse_grounds(today=D(2026, 1, 1), registered_on=LONG_AGO, joined_on=D(2024, 1, 1), leaves=[leave])
    assert grounds == {}


def test_each_ground_on_its_own():
    today = D(2024, 9, 1)
    both = lapse_grounds(today=today, registered_on=LONG_AGO, joined_on=D(2024, 1, 1))
    assert both == {LapseGround.NO_LIFE: D(2024, 1, 1), LapseGround.NO_DUES: D(2024, 1, 1)}
    attended = lapse_grounds(
        today=today, registered_on=LONG_AGO, joined_on=D(2024, 1, 1), last_attended_on=D(2024, 8, 1)
    )
    assert attended == {LapseGround.NO_DUES: D(2024, 1, 1)}
    unknown = lapse_grounds(today=today, registered_on=LONG_AGO, joined_on=D(2024, 1, 1), attendance_known=False)
    assert list(unknown) == [LapseGround.NO_DUES]
