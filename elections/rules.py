"""The rules of elections (换届) and committees, each with its source.

* Term of office: a 党支部 or 党总支 committee (or a branch secretary where there is no committee)
  serves 3 years, a 党委 5 years (《中国共产党章程》(2022) 第三十条; 《中国共产党支部工作条例（试行）》
  第六章). The lengths are data (``TermRule``), bounded to 1–5 years; the term itself is derived in
  parks (``parks.rules``, below this app), which these names re-export.
* The term runs from the election the level above approved; a term that has run out is renewed
  on time (《中国共产党基层组织选举工作条例》(2020) 第三条).
* A branch with 7 or more full members sets up a committee of 3 to 5 members, normally not more
  than 7, with a secretary; a branch with fewer than 7 full members has no committee, only a
  secretary and, where needed, a deputy (《中国共产党支部工作条例（试行）》第六章).
* Only full members vote and may be elected; probationary members do not (《中国共产党基层组织选举
  工作条例》第五条).
* An election is valid when more than four fifths of the members entitled to vote take part, and
  a candidate is elected with the votes of more than half of those voting (《中国共产党基层组织
  选举工作条例》, 选举的实施).
"""

import datetime

from django.utils.translation import gettext_lazy as _

from core.transitions import Step
from parks.rules import (  # noqa: F401  (the term rules live in parks, below this app)
    DEFAULT_TERM_YEARS,
    FALLBACK_TERM_YEARS,
    TERM_YEARS_MAX,
    TERM_YEARS_MIN,
    add_years,
    term_end,
)

# A committee has at least this many seats; a secretary alone (or with a deputy) is not a committee.
COMMITTEE_MIN_SEATS = 3
COMMITTEE_MAX_SEATS = 7
# A branch with this many full members or more must elect a committee.
COMMITTEE_REQUIRED_FULL_MEMBERS = 7
# Without a committee a branch elects a secretary and, where needed, a deputy (the posts' values
# of ``CommitteeSeat.Post``).
POSTS_WITHOUT_COMMITTEE = frozenset({"secretary", "deputy_secretary"})
# An election records at least its secretary and at most a committee's largest size.
SEATS_MIN = 1
SEATS_MAX = COMMITTEE_MAX_SEATS
# No party organisation held an election before the Party was founded.
EARLIEST_ELECTION = datetime.date(1921, 7, 1)
# Bounds of the vote counts a page may store (a members' or delegates' congress of a basic organisation).
VOTERS_MAX = 100_000


def is_committee(seats: int) -> bool:
    """Whether an elected body of ``seats`` members is a committee (not a secretary alone)."""
    return seats >= COMMITTEE_MIN_SEATS


def quorum_reached(*, votes_cast: int, eligible_voters: int) -> bool:
    """More than four fifths of the members entitled to vote took part (exactly 4/5 is not enough)."""
    return votes_cast * 5 > eligible_voters * 4


def elected_by_majority(*, votes: int, votes_cast: int) -> bool:
    """A candidate is elected with more than half of the votes cast (exactly half is not enough)."""
    return votes * 2 > votes_cast


# The workflow of an election: recorded by the organisation (or its park), then approved or
# rejected by the level above. States are the values of ``Election.Status``.
SUBMITTED, APPROVED, REJECTED = "submitted", "approved", "rejected"
ELECTION_STEPS = {
    "record": Step(from_=(), to=SUBMITTED),
    "approve": Step(
        from_={SUBMITTED},
        to=APPROVED,
        refused=_("This election cannot be approved: it is %(status)s."),
    ),
    "reject": Step(
        from_={SUBMITTED},
        to=REJECTED,
        refused=_("This election cannot be rejected: it is %(status)s."),
    ),
}
