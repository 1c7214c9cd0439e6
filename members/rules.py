"""The workflows of the members app, each as one table: from which states a step may be taken and
to which state it leads. Every step is an action of members.actions taken through
core.transitions.transition (lock, check, save, timeline entry, notifications after commit).

Also the pure rules of lapse risk (党章 Art. 38): ``lapse_grounds`` and its two grounds, fed with
dates by ``members.selectors.lapse_risks`` (docs/rules.md, "Lapse risk").

Some rules also have a database version, beside the Python one and built from the same constants,
so that the dashboard's alerts count a district's members in SQL: ``AddMonths`` (``add_months``),
``talk_due_on_sql``, ``candidacy_from_sql``, ``probation_ends_on_sql``, ``no_organisation_life_q``
and ``dues_uncovered_q``. tests/members/test_rule_expressions.py compares each with its Python rule
at the edges, on SQLite and PostgreSQL.
"""

import calendar
import datetime
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.db import NotSupportedError, models
from django.db.models import OuterRef, Q, Subquery
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.periods import day_start
from core.transitions import Step

from .models import STAGE_ORDER, DuesPayment, Stage, StageChange, Transfer

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
    """The same day ``months`` later (or earlier), clamped to the end of a shorter month
    (2024-08-31 + 6 months = 2025-02-28; 2023-08-31 + 6 months = 2024-02-29)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


class AddMonths(models.Func):
    """``add_months`` in SQL: the date ``months`` later (or earlier) of a date column or expression,
    clamped to the end of a shorter month; NULL stays NULL. PostgreSQL's date + interval clamps;
    SQLite's date() does not (2024-01-31 +1 month = 2024-03-02), so the earlier of that and the last
    day of the target month."""

    output_field = models.DateField()
    arity = 1

    def __init__(self, expression, months: int, **extra):
        super().__init__(expression, **extra)
        self.months = int(months)  # an int: written into the SQL as a literal

    def as_postgresql(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"(({sql}) + interval '{self.months} months')::date", params

    def as_sqlite(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.source_expressions[0])
        end_of_month = f"date({sql}, 'start of month', '{self.months + 1:+d} months', '-1 day')"
        return f"MIN(date({sql}, '{self.months:+d} months'), {end_of_month})", [*params, *params]

    def as_sql(self, compiler, connection, **extra_context):
        raise NotSupportedError("AddMonths supports SQLite and PostgreSQL only.")


def latest_start(end: datetime.date, months: int) -> datetime.date:
    """The last day a period of ``months`` may start on to have run its course by ``end``: the
    greatest day d with add_months(d, months) <= end (add_months never decreases: so does every
    earlier day). 2024-08-31, 6 months → 2024-02-29; 2024-08-28 → 2024-02-28."""
    day = add_months(end, -months)  # add_months(day, months) <= end: its day of the month is at most end's
    while add_months(day + datetime.timedelta(days=1), months) <= end:
        day += datetime.timedelta(days=1)
    return day


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


# The same dates in SQL, for a Member queryset (AddMonths: add_months; NULL where the rule gives None).


def talk_due_on_sql(applied_on="applied_on"):
    """``talk_due_on`` in SQL."""
    return AddMonths(applied_on, TALK_WITHIN_MONTHS)


def candidacy_from_sql(activist_on="activist_on"):
    """``candidacy_from`` in SQL."""
    return AddMonths(activist_on, 12 * ACTIVIST_TRAINING_YEARS)


def probation_ends_on_sql():
    """``probation_ends_on`` in SQL, for a Member queryset: the later of one year of probation and
    the latest extension that ends after the start of probation; NULL unless probationary."""
    normal = AddMonths("probationary_on", 12 * PROBATION_YEARS)
    extended = StageChange.objects.filter(
        member=OuterRef("pk"), kind=StageChange.Kind.EXTENSION, effective_on__gt=OuterRef("probationary_on")
    ).order_by("-effective_on")
    return models.Case(
        models.When(
            stage=Stage.PROBATIONARY,
            probationary_on__isnull=False,
            then=Greatest(normal, Coalesce(Subquery(extended.values("effective_on")[:1]), normal)),
        ),
        default=None,
        output_field=models.DateField(),
    )


# The shortest a period of one month or one year can be, in days: a prefilter on the stored start
# dates that selects every member whose deadline may fall before a given day (the exact date is then
# computed by the functions above).
SHORTEST_MONTH_DAYS = 28
SHORTEST_YEAR_DAYS = 365


# --- Dues brackets (党费标准, docs/rules.md "Dues brackets") ----------------------------------------
# Source: 《关于中国共产党党费收缴、使用和管理的规定》(中组发〔2008〕3号), 党费的收缴; 党章 第八条.
# The whole pay after tax at the rate of its bracket (not marginal); each bound is in the bracket
# below it; students, the unemployed and low-income members pay 0.20 yuan.

CENT = Decimal("0.01")
REDUCED_DUES = Decimal("0.20")
# (upper bound of monthly pay after tax, rate); None = no upper bound.
DUES_BRACKETS = {
    DuesPayment.Category.EMPLOYED: [
        (Decimal(3000), Decimal("0.005")),
        (Decimal(5000), Decimal("0.01")),
        (Decimal(10000), Decimal("0.015")),
        (None, Decimal("0.02")),
    ],
    DuesPayment.Category.RETIRED: [(Decimal(5000), Decimal("0.005")), (None, Decimal("0.01"))],
}


def dues_amount(*, category: str, monthly_pay: Decimal | None) -> Decimal:
    """The monthly dues from the official brackets (DESIGN §3, the source above): the whole pay at
    its bracket's rate; students, the unemployed and low-income members pay 0.20 yuan."""
    if category == DuesPayment.Category.REDUCED:
        return REDUCED_DUES
    if category not in DUES_BRACKETS:
        raise ValidationError({"category": _("Unknown dues category.")})
    if monthly_pay is None or monthly_pay < 0:
        raise ValidationError({"monthly_pay": _("Give the monthly pay after tax.")})
    for upper, rate in DUES_BRACKETS[category]:
        if upper is None or monthly_pay <= upper:
            return (monthly_pay * rate).quantize(CENT, rounding=ROUND_HALF_UP)
    raise AssertionError("unreachable")  # pragma: no cover


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


# --- Lapse risk (失联风险) ----------------------------------------------------------------------


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


# The two grounds in SQL, for members with no approved leave that excuses the ground (a leave only
# pauses a count: such members are kept by these expressions and then checked by the rules above,
# members.selectors.lapse_risk_findings). The dates a count starts from that are not the member's
# own columns are asked of the caller as boolean expressions ("is it on or after this day?"), which
# the database answers for many members at once: ``joined_since(day)`` (joined the branch on or
# after ``day``), ``attended_since(moment)`` (attended organisation life at or after ``moment``),
# ``covered_since(month)`` (a settled payment covers ``month`` or a later one).


def no_organisation_life_q(
    today: datetime.date, *, joined_since, attended_since, registered_at: str = "created_at"
) -> Q:
    """``no_organisation_life_since`` holds, without leave: today is six months or more after the
    start of the count, i.e. each of the dates it is the latest of is on or before
    ``latest_start(today, LAPSE_MONTHS)`` (the registration and the attendance are datetimes: their
    local day)."""
    after = latest_start(today, LAPSE_MONTHS) + datetime.timedelta(days=1)
    return (
        Q(**{f"{registered_at}__lt": day_start(after)}) & ~Q(joined_since(after)) & ~Q(attended_since(day_start(after)))
    )


def dues_uncovered_q(today: datetime.date, *, joined_since, covered_since, registered_at: str = "created_at") -> Q:
    """``dues_uncovered_since`` holds, without leave: the gap starts in or before the month six
    months before this one. The first whole month of a day is on or before that month exactly when
    the day is; the month after the last covered one is when that month is earlier."""
    last = add_months(today.replace(day=1), -LAPSE_MONTHS)
    after = last + datetime.timedelta(days=1)
    return Q(**{f"{registered_at}__lt": day_start(after)}) & ~Q(joined_since(after)) & ~Q(covered_since(last))


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
