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
    kind: str
    year: int
    index: int  # month 1-12, quarter 1-4, or 1 for the year
    start: datetime.date
    end: datetime.date  # inclusive

    @property
    def label(self):
        if self.kind == PeriodKind.MONTH:
            return str(self.index)
        if self.kind == PeriodKind.QUARTER:
            return f"Q{self.index}"
        return str(self.year)

    def contains(self, day: datetime.date) -> bool:
        return self.start <= day <= self.end

    def is_closed(self, today: datetime.date) -> bool:
        return today > self.end


def _month_end(year, month):
    if month == 12:
        return datetime.date(year, 12, 31)
    return datetime.date(year, month + 1, 1) - datetime.timedelta(days=1)


def period_of(day: datetime.date, kind: str) -> Period:
    if kind == PeriodKind.MONTH:
        return Period(kind, day.year, day.month, day.replace(day=1), _month_end(day.year, day.month))
    if kind == PeriodKind.QUARTER:
        quarter = (day.month - 1) // 3 + 1
        first = 3 * quarter - 2
        return Period(kind, day.year, quarter, datetime.date(day.year, first, 1), _month_end(day.year, first + 2))
    if kind == PeriodKind.YEAR:
        return Period(kind, day.year, 1, datetime.date(day.year, 1, 1), datetime.date(day.year, 12, 31))
    raise ValueError(f"unknown period kind {kind!r}")


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
