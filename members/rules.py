"""The workflows of the members app, each as one table: from which states a step may be taken and
to which state it leads. Every step is an action of members.actions taken through
core.transitions.transition (lock, check, save, timeline entry, notifications after commit).
"""

import calendar
import datetime

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.transitions import Step

from .models import STAGE_ORDER, Stage, StageChange, Transfer

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


# --- Development pipeline deadlines (DESIGN §3) --------------------------------------------------
# The dates of the pipeline, computed here only: the actions check them (members.actions.pipeline),
# the branch's pipeline board shows them (members.selectors.pipeline_board), the dashboard and the
# secretary's home card warn about them (members.selectors.pipeline_deadlines, stats.alerts).
# Sources: 《中国共产党发展党员工作细则》(2014) Art. 7 (the talk within one month of the application),
# Art. 13 (at least one year of training before an activist becomes a candidate); 《中国共产党章程》
# Art. 7 (probation of one year, extendable by at most one year). A period of months or years ends on
# the same day of the month it started, or on the last day of a shorter month (民法典 Art. 202): an
# application of 31 January is talked to by 28 (29) February.

ADULT_AGE = 18
TALK_WITHIN_MONTHS = 1
ACTIVIST_TRAINING_YEARS = 1
PROBATION_YEARS = 1
MAX_EXTENSION_MONTHS = 12
# The alerts warn this many days before a deadline (and keep warning once it has passed).
PIPELINE_WARNING_DAYS = 30


def add_months(day: datetime.date, months: int) -> datetime.date:
    """The same day ``months`` later (or earlier), clamped to the end of a shorter month."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def talk_due_on(applied_on: datetime.date | None) -> datetime.date | None:
    """The last day for the talk with an applicant: one month after the application (细则 Art. 7)."""
    return add_months(applied_on, TALK_WITHIN_MONTHS) if applied_on else None


def candidacy_from(activist_on: datetime.date | None) -> datetime.date | None:
    """The first day an activist may become a candidate: after one year of training (细则 Art. 13)."""
    return add_months(activist_on, 12 * ACTIVIST_TRAINING_YEARS) if activist_on else None


def probation_normal_end(probationary_on: datetime.date) -> datetime.date:
    """The end of a probation that is not extended: one year (党章 Art. 7)."""
    return add_months(probationary_on, 12 * PROBATION_YEARS)


def probation_ends_on(member) -> datetime.date | None:
    """One year after becoming probationary, or the date of the latest recorded extension (党章 Art. 7;
    an extension is a StageChange of kind ``extension`` whose ``effective_on`` is the new end).
    Reads ``member.stage_changes.all()``: prefetch the extensions when calling it for many members."""
    if member.stage != Stage.PROBATIONARY or not member.probationary_on:
        return None
    normal = probation_normal_end(member.probationary_on)
    extended = max(
        (
            c.effective_on
            for c in member.stage_changes.all()
            if c.kind == StageChange.Kind.EXTENSION and c.effective_on > member.probationary_on
        ),
        default=None,
    )
    return max(normal, extended) if extended else normal


# The shortest a period of one month or one year can be, in days: a prefilter on the stored start
# dates that selects every member whose deadline may fall before a given day (the exact date is then
# computed by the functions above).
SHORTEST_MONTH_DAYS = 28
SHORTEST_YEAR_DAYS = 365


# --- Dues ledger: the month dues are paid up to, and the months owed (DESIGN §3) ------------------
# One definition for the branch's dues page (members.selectors.branch_dues) and the introduction
# letter (members.actions.transfer_approve). The ledger is DuesPayment, one row per member and
# month; a month is settled when what was paid covers what was due (DuesPaymentQuerySet.settled).

DUES_STAGES = (Stage.PROBATIONARY, Stage.FULL)


def dues_ledger_opens(*, registered_on: datetime.date, probationary_on: datetime.date | None, today: datetime.date):
    """The first month a member with nothing settled owes: the later of the month they were
    registered in the portal (earlier months were settled on paper) and the start of probation."""
    this_month = today.replace(day=1)
    return max(registered_on.replace(day=1), (probationary_on or this_month).replace(day=1))


def dues_months_owed(
    *, paid_through: datetime.date | None, ledger_opens: datetime.date, today: datetime.date
) -> list[datetime.date]:
    """The months in arrears, up to last month (the current month is not late yet): those after the
    latest settled month (months paid ahead included), or from the ledger's opening month when
    nothing is settled. Each month as its first day, oldest first."""
    this_month = today.replace(day=1)
    month = add_months(paid_through.replace(day=1), 1) if paid_through else ledger_opens.replace(day=1)
    owed = []
    while month < this_month:
        owed.append(month)
        month = add_months(month, 1)
    return owed


def member_months_owed(member, *, paid_through: datetime.date | None, today: datetime.date) -> list[datetime.date]:
    """``dues_months_owed`` for one member: none for a member who pays no dues yet (an applicant,
    activist or candidate); the ledger opens with the member's registration or probation."""
    if member.stage not in DUES_STAGES:
        return []
    opens = dues_ledger_opens(
        registered_on=timezone.localdate(member.created_at), probationary_on=member.probationary_on, today=today
    )
    return dues_months_owed(paid_through=paid_through, ledger_opens=opens, today=today)


def describe_months(months: list[datetime.date], *, at_most: int = 6) -> str:
    """Months as the letter and the timeline write them: "2026-03, 2026-04", or the first and the
    last of a longer run ("2025-01 … 2026-04")."""
    if len(months) > at_most:
        return f"{months[0]:%Y-%m} … {months[-1]:%Y-%m}"
    return ", ".join(f"{m:%Y-%m}" for m in months)
