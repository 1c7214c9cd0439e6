"""The rules of elections (换届) and committees, each with its source.

* Term of office: a 党支部 or 党总支 committee (or a branch secretary where there is no committee)
  serves 3 years, a 党委 5 years (《中国共产党章程》(2022) 第三十条; 《中国共产党支部工作条例（试行）》
  第十八条). The lengths are data (``TermRule``), bounded here.
* A branch with 7 or more full members sets up a committee of 3 to 5 members, normally not more
  than 7; a branch with fewer than 7 full members has no committee, only a secretary and, where
  needed, a deputy (《中国共产党支部工作条例（试行）》第九条).
"""

import datetime

# Term lengths a TermRule may hold (a term is never shorter than a year nor longer than a 党委's).
TERM_YEARS_MIN = 1
TERM_YEARS_MAX = 5
# The lengths the rules give, used when no TermRule row exists for a kind.
DEFAULT_TERM_YEARS = {"committee": 5, "general_branch": 3, "branch": 3, "joint_branch": 3}
FALLBACK_TERM_YEARS = 3

# A committee has at least this many seats; a secretary alone (or with a deputy) is not a committee.
COMMITTEE_MIN_SEATS = 3
COMMITTEE_MAX_SEATS = 7
# A branch with this many full members or more must elect a committee.
COMMITTEE_REQUIRED_FULL_MEMBERS = 7


def add_years(day: datetime.date, years: int) -> datetime.date:
    """``day`` plus whole years; 29 February becomes 28 February in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def term_end(held_on: datetime.date, years: int) -> datetime.date:
    """The day a term that starts on ``held_on`` and lasts ``years`` years runs out (the
    anniversary; the same reading as ``Organization.term_end`` has always had)."""
    return add_years(held_on, years)


def is_committee(seats: int) -> bool:
    """Whether an elected body of ``seats`` members is a committee (not a secretary alone)."""
    return seats >= COMMITTEE_MIN_SEATS
