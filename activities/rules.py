"""The rules of organisation life that are not data, each with its source.

The 三会一课 frequencies are data (``ComplianceRule`` rows, defaults in ``activities/defaults.py``):
党员大会 once a quarter, 支委会 once a month (《中国共产党支部工作条例（试行）》第十二条), 党小组会
once a month (第十三条), 党课 once a quarter, 主题党日 once a month, 组织生活会 and 民主评议 once a
year (the 条例's provisions on organisation life; local rules differ, hence data).

Which rule applies where (the rule's ``applies_to``, docs/rules.md "Which rule applies where"):

* ``every_branch``: every branch (党支部, 联合党支部, 党总支).
* ``with_committee``: a branch with a committee. A 党支部 with fewer than 7 full members has no
  committee, only a secretary and maybe a deputy (see ``elections.rules``), so it holds no 支委会.
  "Has a committee on a day" is ``elections.selectors.committee_organization_ids``: its current
  approved election elected at least three members.
* ``with_groups``: a branch with party groups (党小组 are set up where a branch is large or its
  members scattered, 第十三条): a child organisation of kind 党小组 with at least one active party
  member (probationary or full) now, founded (``founded_on``, when recorded) on or before the day.

A rule binds a branch in a period when its subject holds on the day ``judged_on`` gives: the
period's first day. A committee elected on the first day of a month owes that month's 支委会; one
elected on the second day owes the next month's first. A period that has not begun yet is judged
on today, the latest that is known. Elsewhere the period is "not applicable": neither met nor
missing, and out of the rate's denominator.

Who is listed on an activity's attendance checklist (``activities.selectors.attendance_checklist``):
a 支委会 lists the committee on the day of the meeting (支委会 is the committee's meeting, 第十二条);
a 党小组会 is hosted by the party group and lists its members; any other activity lists the host's
party members, its party groups included. Only those listed are recorded and earn points.
"""

import datetime

# ComplianceRule.Subject values (the model holds the choices and their labels).
EVERY_BRANCH = "every_branch"
WITH_COMMITTEE = "with_committee"
WITH_GROUPS = "with_groups"

NOT_APPLICABLE = "na"  # the compliance cell state of a period where the rule does not bind


def judged_on(period, today: datetime.date) -> datetime.date:
    """The day on which whether a rule binds a branch in ``period`` is decided: the period's first
    day; today for a period that has not begun."""
    return period.start if period.start <= today else today


def group_counts_on(founded_on: datetime.date | None, day: datetime.date) -> bool:
    """A party group makes its branch "a branch with party groups" on ``day`` when it existed then
    (founded on or before the day; a group without a recorded founding day always counts)."""
    return founded_on is None or founded_on <= day


def congress_quorum_met(present: int, voting: int) -> bool:
    """Whether a party congress (党员大会) had its quorum: more than half of the members with a vote
    present (《中国共产党支部工作条例（试行）》第十一条: 表决必须有半数以上有表决权的党员到会方可进行;
    the portal reads 半数以上 as "more than half", DESIGN §3, so exactly half is not enough: 3 of 6
    is below quorum, 4 of 6 is not). The voting members are the branch's full members: probationary
    members have no vote (党章 第七条). A branch without full members has no quorum. A congress below
    quorum does not count for the 三会一课 rule (``activities.selectors.compliance``)."""
    return voting > 0 and 2 * present > voting
