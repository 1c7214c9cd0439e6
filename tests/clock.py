"""Today as the portal sees it, read when a test runs.

A module-level ``TODAY = timezone.localdate()`` is read when pytest collects the module; a run
that crosses midnight in the portal's time zone (16:00 UTC for Asia/Shanghai) then compares
yesterday's date with the portal's today. Call ``today()`` inside the test instead, and give
parametrised days as offsets from it.
"""

import datetime

from django.utils import timezone

from core.periods import Period


def today() -> datetime.date:
    return timezone.localdate()


def this_month() -> Period:
    return Period("month", today().replace(day=1))


def last_month() -> Period:
    return Period("month", (today().replace(day=1) - datetime.timedelta(days=1)).replace(day=1))
