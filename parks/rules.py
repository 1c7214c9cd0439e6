"""The rules of party organisations, each with its source.

Setting up (组织设置):

* Any unit with 3 or more full members should set up its own 党支部; a unit with fewer joins others
  in a 联合党支部 (covering normally no more than 5 units) (《中国共产党支部工作条例（试行）》第四条,
  第五条). So a 党支部 (not a joint one) with fewer than 3 full members should be merged into a
  联合党支部; the dashboard flags it (``stats.alerts`` ``branch_too_small``).
* A 党支部 has normally no more than 50 party members (第四条).
* A branch with 7 or more full members elects a committee: ``elections.rules``.

Term of office:

* A 党支部 or 党总支 committee (or a branch secretary where there is no committee) serves 3 years,
  a 党委 5 years (《中国共产党章程》(2022) 第三十条; 《中国共产党支部工作条例（试行）》第十八条). The term
  runs from the election; its end is derived from its start and the length of the organisation's
  kind, never entered on its own (``Organization.save``).
* The lengths are editable data (``elections.TermRule``, registered here by the elections app with
  :func:`use_term_years`, since parks sits below elections), bounded to 1–5 years: no organisation
  serves longer than a 党委.
* The organisation is reminded six months and again 90 days before its term ends, and flagged once
  it has ended (《中国共产党基层组织选举工作条例》第四条: 任期届满按期进行换届选举; the reminders are
  the portal's, DESIGN §3).
"""

import calendar
import datetime
from collections.abc import Callable

# The shortest and the longest term a kind may have (a 党委's five years is the longest).
TERM_YEARS_MIN = 1
TERM_YEARS_MAX = 5
# The lengths the rules give (organisation kind → years), used where no editable row says otherwise.
DEFAULT_TERM_YEARS = {"committee": 5, "general_branch": 3, "branch": 3, "joint_branch": 3}
FALLBACK_TERM_YEARS = 3
# Reminders before the end of a term.
TERM_NOTICE_MONTHS = 6
TERM_WARNING_DAYS = 90


def add_years(day: datetime.date, years: int) -> datetime.date:
    """``day`` plus whole years; 29 February becomes 28 February in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def add_months(day: datetime.date, months: int) -> datetime.date:
    """The same day ``months`` later (or earlier), clamped to the end of a shorter month."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def term_end(start: datetime.date, years: int) -> datetime.date:
    """The last day of a term that starts on ``start`` and lasts ``years`` years: the anniversary
    (elected 2024-02-29 for 3 years: the term ends on 2027-02-28)."""
    return add_years(start, years)


# --- the term lengths: defaults here, editable rows registered by the elections app -------------

_source: Callable[[], dict[str, int]] | None = None


def use_term_years(source: Callable[[], dict[str, int]] | None) -> None:
    """Read the term lengths from ``source()`` ({kind: years}, one query) instead of the defaults
    alone (``elections.apps`` registers ``elections.selectors.term_years_table``)."""
    global _source
    _source = source


def term_years_table() -> dict[str, int]:
    """{organisation kind: term in years}: the registered rows over the defaults."""
    table = dict(DEFAULT_TERM_YEARS)
    if _source is not None:
        table.update(_source())
    return table


def term_years(kind: str, table: dict[str, int] | None = None) -> int:
    """The term length of an organisation kind (``table``: a :func:`term_years_table` read before)."""
    table = term_years_table() if table is None else table
    return table.get(kind, FALLBACK_TERM_YEARS)


def term_years_allowed(years: int) -> bool:
    return TERM_YEARS_MIN <= years <= TERM_YEARS_MAX


# --- where a term stands on a day -----------------------------------------------------------------

UNKNOWN, OK, NOTICE, ENDING, EXPIRED = "unknown", "ok", "notice", "ending", "expired"


def term_stage(end: datetime.date | None, today: datetime.date) -> str:
    """Where a term ending on ``end`` stands on ``today``:

    * ``expired``: the day after ``end`` and later (the last day of the term is still in it);
    * ``ending``: from 90 days before ``end`` (``end - 90 days``) to ``end``;
    * ``notice``: from six months before ``end`` (same day of the month, clamped) to the day
      before the 90 days;
    * ``ok`` before that, ``unknown`` with no recorded term.
    """
    if end is None:
        return UNKNOWN
    if end < today:
        return EXPIRED
    if (end - today).days <= TERM_WARNING_DAYS:
        return ENDING
    if today >= add_months(end, -TERM_NOTICE_MONTHS):
        return NOTICE
    return OK


# --- setting up organisations (组织设置) ------------------------------------------------------

# Full (正式) members a unit needs for a 党支部 of its own; fewer: a 联合党支部.
BRANCH_MIN_FULL_MEMBERS = 3
# Party members (probationary and full) a 党支部 normally has at most.
BRANCH_MAX_MEMBERS = 50
