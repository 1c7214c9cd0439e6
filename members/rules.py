"""The workflows of the members app, each as one table: from which states a step may be taken and
to which state it leads. Every step is an action of members.actions taken through
core.transitions.transition (lock, check, save, timeline entry, notifications after commit).

Also the pure rules of lapse risk (党章 Art. 38): ``lapse_grounds`` and its two grounds, fed with
dates by ``members.selectors.lapse_risks`` (docs/rules.md, "Lapse risk").
"""

import calendar
import datetime
from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _

from core.transitions import Step

from .models import STAGE_ORDER, Stage, Transfer

_T = Transfer.Status

# An organisation-relation transfer (DESIGN §3). A transfer within the portal or out of it is
# approved by the sending side, then accepted by the receiving side (out of the portal: the sending
# side confirms the receipt); a transfer in from outside is accepted straight from its request.
TRANSFER_STEPS = {
    "request": Step(from_=(), to=_T.REQUESTED),
    "approve": Step(
        from_={_T.REQUESTED},
        to=_T.APPROVED,
        refused=_("This transfer cannot be approved: it is %(status)s."),
    ),
    "accept": Step(
        from_={_T.APPROVED},
        to=_T.DONE,
        refused=_("This transfer cannot be accepted: it is %(status)s."),
        refused_from={_T.REQUESTED: _("This transfer has not been approved by the sending organisation yet.")},
    ),
    "accept_in": Step(
        from_={_T.REQUESTED},
        to=_T.DONE,
        refused=_("This transfer cannot be accepted: it is %(status)s."),
    ),
    "reject": Step(
        from_=Transfer.OPEN_STATUSES,
        to=_T.REJECTED,
        refused=_("This transfer cannot be rejected: it is %(status)s."),
    ),
    "cancel": Step(
        from_=Transfer.OPEN_STATUSES,
        to=_T.CANCELLED,
        refused=_("This transfer cannot be cancelled: it is %(status)s."),
    ),
    "expire": Step(from_={_T.APPROVED}, to=_T.EXPIRED),  # the daily job; skipped, never refused
}


def next_stage(member) -> str:
    """The stage after the member's: the pipeline never skips one."""
    return STAGE_ORDER[STAGE_ORDER.index(member.stage) + 1]


# A member's development (DESIGN §3): one stage at a time, an extension of probation that keeps the
# stage, and a correction (back, or past a stage) to a stage the action names.
STAGE_STEPS = {
    "advance": Step(from_=STAGE_ORDER[:-1], to=next_stage, refused=_("A full member has no further stage.")),
    "extend": Step(
        from_={Stage.PROBATIONARY},
        to=Stage.PROBATIONARY,
        refused=_("Only a probationary member's probation can be extended."),
    ),
    "correct": Step(from_=STAGE_ORDER, to=None),
}


# --- Lapse risk (失联风险) ----------------------------------------------------------------------


def add_months(day: datetime.date, months: int) -> datetime.date:
    """The same day ``months`` later (or earlier), clamped to the end of a shorter month
    (2024-08-31 + 6 months = 2025-02-28; 2023-08-31 + 6 months = 2024-02-29)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def months_between(start: datetime.date, end: datetime.date) -> int:
    """Whole calendar months from the month of ``start`` to the month of ``end`` (0 if not after)."""
    return max(0, (end.year - start.year) * 12 + end.month - start.month)


LAPSE_MONTHS = 6


class LapseGround(models.TextChoices):
    """The grounds of 党章 Art. 38, each flagged on its own."""

    NO_LIFE = "no_life", _("no organisation life")
    NO_DUES = "no_dues", _("dues not paid")
    # The third ground, "不做党所分配的工作" (not doing the work the Party assigns), is not
    # recorded in the portal: there is no record of assigned work, so it is never flagged.


@dataclass(frozen=True)
class LeaveSpan:
    """An approved leave: ``kind`` is a MemberLeave.Kind value; ``ends_on`` is its last day (None:
    still on leave)."""

    kind: str
    starts_on: datetime.date
    ends_on: datetime.date | None = None


# Which approved leaves excuse which ground (docs/rules.md, "Lapse risk"): a flowing member with a
# recorded arrangement takes part in organisation life where the arrangement says, outside this
# branch's record, but still owes dues; a member abroad with leave is excused from both.
LEAVE_EXCUSES = {
    LapseGround.NO_LIFE: ("flowing", "abroad"),
    LapseGround.NO_DUES: ("abroad",),
}


def _counting_from(*days):
    return max(day for day in days if day is not None)


def _leave_days(leaves, start: datetime.date, end: datetime.date) -> int:
    """Days in [start, end) covered by the leaves (overlapping leaves counted once)."""
    covered = set()
    for leave in leaves:
        first = max(leave.starts_on, start)
        last = min(leave.ends_on + datetime.timedelta(days=1) if leave.ends_on else end, end)
        covered.update(range(first.toordinal(), last.toordinal()))
    return len(covered)


def _month_on_leave(leaves, month: datetime.date) -> bool:
    """Whether one leave covers the whole calendar month starting on ``month``."""
    last = add_months(month, 1) - datetime.timedelta(days=1)
    return any(leave.starts_on <= month and (leave.ends_on is None or leave.ends_on >= last) for leave in leaves)


def no_organisation_life_since(
    *,
    today: datetime.date,
    registered_on: datetime.date,
    joined_on: datetime.date | None = None,
    last_attended_on: datetime.date | None = None,
    leaves=(),
) -> datetime.date | None:
    """党章 Art. 38 (2022): a member who, without good reason, takes no part in the Party's
    organisation life for six consecutive months is regarded as having given up membership
    (连续六个月不参加党的组织生活 … 就被认为是自行脱党). DESIGN §3 "Lapse risk".

    The six months are counted from the latest of: joining the branch (``joined_on``, from the
    membership history), being registered in the portal (``registered_on``: the portal holds no
    record of what came before) and the last day the member attended (present) a held activity of
    organisation life (``last_attended_on``). The ground holds from the same day six months later
    (2024-02-29 → 2024-08-29), unless approved leave (``LeaveSpan`` of kind flowing or abroad)
    paused the count: every day on leave moves that day one day later.

    Returns the day the count started ("no organisation life since"), or None.
    """
    start = _counting_from(registered_on, joined_on, last_attended_on)
    if today <= start:
        return None
    excused = [leave for leave in leaves if leave.kind in LEAVE_EXCUSES[LapseGround.NO_LIFE]]
    needed = (add_months(start, LAPSE_MONTHS) - start).days
    counted = (today - start).days - _leave_days(excused, start, today)
    return start if counted >= needed else None


def dues_uncovered_since(
    *,
    today: datetime.date,
    registered_on: datetime.date,
    joined_on: datetime.date | None = None,
    covered_until: datetime.date | None = None,
    leaves=(),
) -> datetime.date | None:
    """党章 Art. 38 (2022): a member who, without good reason, does not pay dues for six
    consecutive months is regarded as having given up membership (连续六个月不交纳党费).
    DESIGN §3: by the months the dues cover, not the day they were paid.

    ``covered_until`` is the last month covered by a settled payment (DuesPayment.month of a row
    with amount paid ≥ amount due; prepaid months count as covered). The gap runs from the later
    of the month after it and the first whole month in the branch (the month of joining or of
    registration if that was its first day, else the month after), up to last month: the current
    month is not late yet. The ground holds once that gap has six months that are not wholly
    covered by a leave of kind abroad; e.g. joined on 2024-02-29 with nothing paid: March–August,
    flagged from 2024-09-01.

    Returns the first uncovered month ("dues not covered since"), or None.
    """

    def first_whole_month(day):
        return day if day.day == 1 else add_months(day.replace(day=1), 1)

    start = _counting_from(
        first_whole_month(registered_on),
        first_whole_month(joined_on) if joined_on else None,
        add_months(covered_until.replace(day=1), 1) if covered_until else None,
    )
    this_month = today.replace(day=1)
    excused = [leave for leave in leaves if leave.kind in LEAVE_EXCUSES[LapseGround.NO_DUES]]
    gap, month = 0, start
    while month < this_month and gap < LAPSE_MONTHS:
        gap += not _month_on_leave(excused, month)
        month = add_months(month, 1)
    return start if gap >= LAPSE_MONTHS else None


def lapse_grounds(
    *,
    today: datetime.date,
    registered_on: datetime.date,
    joined_on: datetime.date | None = None,
    last_attended_on: datetime.date | None = None,
    covered_until: datetime.date | None = None,
    leaves=(),
    attendance_known: bool = True,
) -> dict:
    """{LapseGround: since} for the grounds of 党章 Art. 38 that hold (an empty dict: none).
    ``attendance_known=False`` leaves the organisation-life ground out (no attendance record)."""
    grounds = {}
    if attendance_known:
        since = no_organisation_life_since(
            today=today,
            registered_on=registered_on,
            joined_on=joined_on,
            last_attended_on=last_attended_on,
            leaves=leaves,
        )
        if since:
            grounds[LapseGround.NO_LIFE] = since
    since = dues_uncovered_since(
        today=today, registered_on=registered_on, joined_on=joined_on, covered_until=covered_until, leaves=leaves
    )
    if since:
        grounds[LapseGround.NO_DUES] = since
    return grounds
