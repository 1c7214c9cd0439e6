"""The one Period type (core/periods.py) at its edges: month ends, quarter ends, leap days."""

import datetime

import pytest

from core.periods import Period, period_of, periods_in_year

D = datetime.date


@pytest.mark.parametrize(
    ("kind", "day", "start", "last_day"),
    [
        ("month", D(2028, 2, 29), D(2028, 2, 1), D(2028, 2, 29)),  # leap day
        ("month", D(2027, 2, 28), D(2027, 2, 1), D(2027, 2, 28)),
        ("month", D(2026, 12, 31), D(2026, 12, 1), D(2026, 12, 31)),
        ("quarter", D(2026, 3, 31), D(2026, 1, 1), D(2026, 3, 31)),  # a quarter's last day
        ("quarter", D(2026, 4, 1), D(2026, 4, 1), D(2026, 6, 30)),  # and the next one's first
        ("quarter", D(2026, 12, 31), D(2026, 10, 1), D(2026, 12, 31)),
        ("year", D(2028, 2, 29), D(2028, 1, 1), D(2028, 12, 31)),
    ],
)
def test_the_period_holding_a_day(kind, day, start, last_day):
    period = period_of(day, kind)
    assert period.start == start
    assert period.last_day == last_day
    assert period.end == last_day + datetime.timedelta(days=1)
    assert period.contains(day)
    assert not period.contains(period.end)
    assert period.contains(period.last_day)


def test_closed_from_the_day_after_its_last_day():
    q1 = Period.parse("2026-Q1")
    assert not q1.is_closed(D(2026, 3, 30))  # the day before the last
    assert not q1.is_closed(D(2026, 3, 31))  # the last day
    assert q1.is_closed(D(2026, 4, 1))  # the day after


def test_labels_previous_and_index():
    assert Period.parse("2026-04").label == "2026-04"
    assert Period.parse("2026-04").short_label == "4"
    assert Period.parse("2026-q2").label == "2026-Q2"
    assert Period.parse("2026-Q2").index == 2
    assert Period.parse("2026-Q2").short_label == "Q2"
    assert Period.parse("2026").previous() == Period.parse("2025")
    assert Period.parse("2026-01").previous() == Period.parse("2025-12")
    assert Period.parse("2026-Q1").previous() == Period.parse("2025-Q4")
    assert [p.short_label for p in periods_in_year(2026, "quarter")] == ["Q1", "Q2", "Q3", "Q4"]
    assert [p.index for p in periods_in_year(2026, "month")] == list(range(1, 13))


@pytest.mark.parametrize("value", ["", "2026-13", "2026-00", "2026-Q5", "26-01", "abcd", "2026-1", None])
def test_what_is_not_a_period(value):
    with pytest.raises(ValueError, match="not a period"):
        Period.parse(value)


def test_a_period_starts_on_its_first_day_and_has_a_known_kind():
    with pytest.raises(ValueError, match="does not start"):
        Period("month", D(2026, 5, 2))
    with pytest.raises(ValueError, match="unknown period kind"):
        Period("week", D(2026, 5, 4))
