"""Periods (month / quarter / year) in the portal's time zone, Asia/Shanghai."""

import datetime
from dataclasses import dataclass

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class PeriodKind(models.TextChoices):
    MONTH = "month", _("month")
    QUARTER = "quarter", _("quarter")
    YEAR = "year", _("year")


@dataclass(frozen=True)
class Period:
    """A calendar month, quarter or year in the portal's time zone, from its first day.

    The one period type of the portal: compliance rules count activities per period, statistics
    and reports compute figures over one, and the API and pages name one as ``2026``, ``2026-Q2``
    or ``2026-04`` (``parse``, ``label``). ``end`` is the first day after the period (half-open,
    as the statistics filter ``< end``); ``last_day`` is its last day.
    """

    kind: str
    start: datetime.date

    def __post_init__(self):
        if self.kind not in PeriodKind.values:
            raise ValueError(f"unknown period kind {self.kind!r}")
        if self.start != _first_day(self.kind, self.start):
            raise ValueError(f"{self.start} does not start a {self.kind}")

    @classmethod
    def containing(cls, kind: str, day: datetime.date) -> "Period":
        if kind not in PeriodKind.values:
            raise ValueError(f"unknown period kind {kind!r}")
        return cls(kind, _first_day(kind, day))

    @classmethod
    def current(cls, kind: str, today: datetime.date | None = None) -> "Period":
        return cls.containing(kind, today or timezone.localdate())

    @classmethod
    def parse(cls, value: str) -> "Period":
        """'2026', '2026-Q2' or '2026-04'; ValueError otherwise."""
        value = (value or "").strip()
        try:
            if len(value) == 4 and value.isdigit():
                return cls(PeriodKind.YEAR, datetime.date(int(value), 1, 1))
            if len(value) == 7 and value[4:6].upper() == "-Q" and value[6] in "1234" and value[:4].isdigit():
                return cls(PeriodKind.QUARTER, datetime.date(int(value[:4]), 3 * int(value[6]) - 2, 1))
            if len(value) == 7 and value[4] == "-" and value[:4].isdigit() and value[5:].isdigit():
                return cls(PeriodKind.MONTH, datetime.date(int(value[:4]), int(value[5:]), 1))
        except (TypeError, ValueError):
            pass
        raise ValueError(f"not a period: {value!r}")

    @property
    def year(self) -> int:
        return self.start.year

    @property
    def index(self) -> int:
        """The month (1-12), the quarter (1-4), or 1 for a year."""
        if self.kind == PeriodKind.MONTH:
            return self.start.month
        if self.kind == PeriodKind.QUARTER:
            return (self.start.month - 1) // 3 + 1
        return 1

    @property
    def months(self) -> int:
        return {PeriodKind.MONTH: 1, PeriodKind.QUARTER: 3, PeriodKind.YEAR: 12}[self.kind]

    @property
    def end(self) -> datetime.date:
        """The first day after the period."""
        months = self.start.month - 1 + self.months
        return datetime.date(self.start.year + months // 12, months % 12 + 1, 1)

    @property
    def last_day(self) -> datetime.date:
        return self.end - datetime.timedelta(days=1)

    @property
    def label(self) -> str:
        """``2026-04``, ``2026-Q2`` or ``2026``."""
        if self.kind == PeriodKind.MONTH:
            return f"{self.start:%Y-%m}"
        if self.kind == PeriodKind.QUARTER:
            return f"{self.start.year}-Q{self.index}"
        return str(self.start.year)

    @property
    def short_label(self) -> str:
        """Within its year: ``4``, ``Q2`` or ``2026`` (the compliance calendar's columns)."""
        if self.kind == PeriodKind.MONTH:
            return str(self.index)
        if self.kind == PeriodKind.QUARTER:
            return f"Q{self.index}"
        return str(self.year)

    def contains(self, day: datetime.date) -> bool:
        return self.start <= day < self.end

    def is_closed(self, today: datetime.date) -> bool:
        return today >= self.end

    def previous(self) -> "Period":
        return self.containing(self.kind, self.start - datetime.timedelta(days=1))

    def as_dict(self) -> dict:
        return {"kind": self.kind, "start": self.start.isoformat(), "end": self.end.isoformat(), "label": self.label}


def _first_day(kind: str, day: datetime.date) -> datetime.date:
    if kind == PeriodKind.MONTH:
        return day.replace(day=1)
    if kind == PeriodKind.QUARTER:
        return datetime.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    return datetime.date(day.year, 1, 1)


def period_of(day: datetime.date, kind: str) -> Period:
    """The period of ``kind`` that holds ``day``."""
    return Period.containing(kind, day)


def periods_in_year(year: int, kind: str) -> list[Period]:
    count = {PeriodKind.MONTH: 12, PeriodKind.QUARTER: 4, PeriodKind.YEAR: 1}[kind]
    step = 12 // count
    return [period_of(datetime.date(year, 1 + i * step, 1), kind) for i in range(count)]


def local_day(moment: datetime.datetime) -> datetime.date:
    """The calendar day of an aware datetime in Asia/Shanghai (settings.TIME_ZONE)."""
    return timezone.localtime(moment).date()


def day_start(day: datetime.date) -> datetime.datetime:
    """Midnight at the start of ``day`` in the portal's time zone, as an aware datetime."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
