"""Reads of the members app: scoped, with their select_related/prefetch_related."""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from types import SimpleNamespace

from django.core.exceptions import PermissionDenied
from django.db.models import Case, Count, DateField, Exists, F, OuterRef, Prefetch, Q, Subquery, Value, When, Window
from django.db.models.functions import RowNumber
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from core.pagination import groups_covering
from core.periods import day_start
from core.personal import may_see_full_id_number
from core.scope import scope_for
from parks.models import Organization

from . import actions, rules
from .models import (
    STAGE_DATE_FIELD,
    STAGE_ORDER,
    ApplicationTalk,
    DuesPayment,
    Member,
    MemberLeave,
    MembershipEvent,
    Stage,
    StageChange,
    Transfer,
    member_of_login,
)
from .rules import LAPSE_MONTHS, LapseGround, LeaveSpan, add_months, lapse_grounds, months_between


def can_view_full_id_number(user, member) -> bool:
    """Whether ``user`` may see ``member``'s full ID number and phone: ``core.personal``'s rule."""
    return may_see_full_id_number(user, member)


# --- Lifecycle: transfers, the development pipeline, dues --------------------------------------

# A request waits at most this long for the sending side's decision before it shows as overdue.
TRANSFER_RESPONSE_DAYS = 7


def _today():
    return timezone.localdate()


def transfer_queryset():
    return Transfer.objects.select_related(
        "member",
        "member__organization",
        "from_organization",
        "from_organization__park",
        "to_organization",
        "to_organization__park",
    )


def transfers_visible_to(user):
    return transfer_queryset().filter(pk__in=Transfer.objects.visible_to(user).values("pk"))


def transfer_due_on(transfer) -> datetime.date | None:
    """When the transfer's next step is due: the sending side's decision a week after the request,
    the receiving side's acceptance before the letter runs out; None once closed."""

    if transfer.status == Transfer.Status.REQUESTED:
        return timezone.localtime(transfer.requested_at).date() + datetime.timedelta(days=TRANSFER_RESPONSE_DAYS)
    if transfer.status == Transfer.Status.APPROVED:
        return transfer.letter_valid_until
    return None


def transfer_overdue_q(today: datetime.date) -> Q:
    """``transfer_due_on(transfer) < today`` in SQL: a request not decided within the week (the day
    of the request is its local day), or an approved transfer whose letter ran out."""
    decided_by = day_start(today - datetime.timedelta(days=TRANSFER_RESPONSE_DAYS))
    return Q(status=Transfer.Status.REQUESTED, requested_at__lt=decided_by) | Q(
        status=Transfer.Status.APPROVED, letter_valid_until__lt=today
    )


def transfer_next_step(transfer) -> str:
    """What happens next, in words for the member and the secretaries."""

    S, K = Transfer.Status, Transfer.Kind
    if transfer.status == S.REQUESTED and transfer.kind == K.IN:
        return _("Waiting for %(org)s to accept the member.") % {"org": transfer.to_display}
    if transfer.status == S.REQUESTED:
        return _("Waiting for %(org)s to approve and issue the introduction letter.") % {"org": transfer.from_display}
    if transfer.status == S.APPROVED and transfer.kind == K.OUT:
        return _("Take the letter to %(org)s before %(date)s; the sending branch confirms the receipt.") % {
            "org": transfer.to_display,
            "date": transfer.letter_valid_until,
        }
    if transfer.status == S.APPROVED:
        return _("Waiting for %(org)s to accept the member before %(date)s.") % {
            "org": transfer.to_display,
            "date": transfer.letter_valid_until,
        }
    if transfer.status == S.DONE:
        return _("Completed: the organisation relation is now with %(org)s.") % {"org": transfer.to_display}
    if transfer.status == S.EXPIRED:
        return _("The letter expired before acceptance; a new request is needed.")
    return _("Closed.")


def transfer_timeline(transfer):
    return list(transfer.events.select_related("actor", "actor__member").order_by("at", "pk"))


def member_transfers(member):
    return list(transfer_queryset().filter(member=member).prefetch_related("events__actor__member"))


@dataclass
class InboxRow:
    transfer: object
    due_on: datetime.date | None
    overdue: bool


def transfer_inbox(user, *, today=None):
    """The open transfers waiting for ``user``'s organisations: incoming (to accept) and outgoing
    (to approve, or an outgoing letter to confirm), each overdue first, then by due date."""

    today = today or _today()
    scope = scope_for(user)
    S, K = Transfer.Status, Transfer.Kind
    if scope.superuser:
        mine_from = mine_to = Q()
    else:
        mine_from = Q(from_organization__in=scope.org_ids) | Q(from_organization__park__in=scope.park_ids)
        mine_to = Q(to_organization__in=scope.org_ids) | Q(to_organization__park__in=scope.park_ids)
    base = transfer_queryset().filter(status__in=Transfer.OPEN_STATUSES)
    incoming = base.filter(mine_to).filter(Q(status=S.APPROVED, kind=K.INTERNAL) | Q(status=S.REQUESTED, kind=K.IN))
    outgoing = base.filter(mine_from).filter(Q(status=S.REQUESTED) | Q(status=S.APPROVED, kind=K.OUT))

    def rows(queryset):
        result = []
        for transfer in queryset:
            due = transfer_due_on(transfer)
            result.append(InboxRow(transfer, due, bool(due and due < today)))
        result.sort(key=lambda r: (not r.overdue, r.due_on or datetime.date.max, r.transfer.pk))
        return result

    return {"incoming": rows(incoming), "outgoing": rows(outgoing)}


def destination_branches(*, query: str, exclude_org_id=None, limit=20):
    """Branches a member may move to, found by the branch's or the park's name (public names only)."""

    query = (query or "").strip()
    if not query:
        return []
    qs = (
        Organization.objects.filter(kind__in=Organization.BRANCH_KINDS)
        .filter(Q(name__icontains=query) | Q(park__name__icontains=query))
        .select_related("park", "district")
    )
    if exclude_org_id:
        qs = qs.exclude(pk=exclude_org_id)
    return list(qs.order_by("park__name", "name")[:limit])


def letter_particulars(user, transfer, *, today=None) -> dict:
    """The member's particulars the receiving organisation needs, as the letter prints them: the ID
    number in full only for those who may see it (``core.personal``), masked for everyone else; the
    age on the day the letter was issued."""
    member = transfer.member
    on = transfer.letter_issued_on or today or _today()
    full_id = may_see_full_id_number(user, member)
    return {
        "name": member.name,
        "gender": member.get_gender_display(),
        "birth_date": member.birth_date,
        "age": member.age(on),
        "ethnicity": member.ethnicity,
        "stage": member.get_stage_display(),
        "id_number": member.id_number if full_id else member.id_number_masked,
        "id_number_masked": not full_id,
        "employer": str(member.employer) if member.employer_id else "",
    }


@dataclass
class LetterCheck:
    """What the public check of an introduction letter tells: its state and, for a genuine letter,
    the member's name masked (张*), the two organisations, the number and the last valid day."""

    result: str  # 'valid', 'used', 'expired', 'withdrawn' or 'unknown'
    number: str = ""
    member_name: str = ""
    from_organization: str = ""
    to_organization: str = ""
    issued_on: datetime.date | None = None
    valid_until: datetime.date | None = None


def letter_check(*, number: str, code: str, today=None) -> LetterCheck:
    """The public check of a letter by its number and verification code. An unknown number or a
    wrong code tells nothing; a genuine letter tells whose it is (name masked), between which
    organisations, and whether it is valid: the last valid day is ``letter_valid_until`` itself."""
    import hmac

    from core.validators import mask_name

    today = today or _today()
    number, code = (number or "").strip(), (code or "").strip().upper()
    transfer = (
        Transfer.objects.filter(letter_number=number)
        .exclude(letter_number="")
        .select_related("member", "from_organization", "to_organization")
        .first()
    )
    if transfer is None or not code or not hmac.compare_digest(transfer.verification_code, code):
        return LetterCheck(result="unknown")
    if transfer.status == Transfer.Status.DONE:
        result = "used"
    elif transfer.status in (Transfer.Status.REJECTED, Transfer.Status.CANCELLED):
        result = "withdrawn"
    elif transfer.status == Transfer.Status.EXPIRED or transfer.letter_expired(today):
        result = "expired"
    else:
        result = "valid"
    return LetterCheck(
        result=result,
        number=transfer.letter_number,
        member_name=mask_name(transfer.member.name),
        from_organization=transfer.from_display,
        to_organization=transfer.to_display,
        issued_on=transfer.letter_issued_on,
        valid_until=transfer.letter_valid_until,
    )


def letter_status(*, number: str, code: str, today=None) -> str:
    """'valid', 'used', 'expired', 'withdrawn' or 'unknown' for a letter number and its code (the
    API's answer, which names nobody)."""
    return letter_check(number=number, code=code, today=today).result


# Development pipeline ---------------------------------------------------------------------


@dataclass
class PipelineRow:
    member: object
    next_step: str
    due_on: datetime.date | None
    overdue: bool


def _extensions():
    return Prefetch("stage_changes", queryset=StageChange.objects.filter(kind=StageChange.Kind.EXTENSION))


def pipeline_board(organization_ids, *, today=None):
    """The members on the way to full membership in these organisations, with the next due date
    of each (the talk, the earliest candidate date, the end of probation: members.rules), overdue
    first."""

    today = today or _today()
    members = (
        Member.objects.filter(organization__in=organization_ids, status=Member.Status.ACTIVE)
        .exclude(stage=Stage.FULL)
        .select_related("organization", "application_talk")
        .prefetch_related(_extensions())
    )
    rows = []
    for member in members:
        due, step = None, ""
        if member.stage == Stage.APPLICANT:
            try:
                talk = member.application_talk
            except ApplicationTalk.DoesNotExist:
                talk = None
            if talk is None and member.applied_on:
                due, step = rules.talk_due_on(member.applied_on), _("talk")
            elif talk is not None:
                step = _("can become an activist")
        elif member.stage == Stage.ACTIVIST and member.activist_on:
            due, step = rules.candidacy_from(member.activist_on), _("can become a candidate")
        elif member.stage == Stage.CANDIDATE:
            step = _("admission vote")
        elif member.stage == Stage.PROBATIONARY:
            due, step = rules.probation_ends_on(member), _("confirmation")
        # For a talk the date is a deadline; for the others the earliest date the step may happen,
        # which counts as overdue once passed.
        rows.append(PipelineRow(member, step, due, bool(due and due < today)))
    rows.sort(key=lambda r: (not r.overdue, r.due_on or datetime.date.max, r.member.name))
    return rows


@dataclass
class PipelineDeadline:
    """A deadline of the development pipeline that is overdue or near (members.rules):

    * ``talk``: the talk with an applicant, due one month after the application;
    * ``candidacy``: an activist's year of training completes; they may become a candidate;
    * ``confirmation``: probation (with any extension) ends; confirmation (转正) is due.
    """

    member: object
    kind: str
    due_on: datetime.date
    days_left: int  # negative once overdue, 0 on the day itself

    KINDS = ("talk", "candidacy", "confirmation")

    @property
    def overdue(self) -> bool:
        return self.days_left < 0

    @property
    def label(self) -> str:
        return {
            "talk": _("Talk with the applicant"),
            "candidacy": _("One year of training: may become a candidate"),
            "confirmation": _("Probation ends: confirmation"),
        }[self.kind]

    @property
    def when(self) -> str:
        """ "overdue by 3 days", "due today", "due in 12 days"."""
        if self.days_left < 0:
            n = -self.days_left
            return ngettext("overdue by %(n)d day", "overdue by %(n)d days", n) % {"n": n}
        if self.days_left == 0:
            return gettext("due today")
        return ngettext("due in %(n)d day", "due in %(n)d days", self.days_left) % {"n": self.days_left}


def pipeline_deadlines(organization_ids, *, today=None, within_days=rules.PIPELINE_WARNING_DAYS):
    """Every pipeline deadline of the active members of these organisations that has passed or
    falls within ``within_days`` of ``today``, most overdue first: an applicant's talk not yet
    recorded, an activist's year of training, a probationary member's end of probation. The dates
    are members.rules'; two queries (the members, their extensions of probation) whatever the
    number of members. The stored start dates are prefiltered by the shortest month and year, and
    the exact date is then computed by the rule."""

    today = today or _today()
    horizon = today + datetime.timedelta(days=within_days)

    def before(days):
        return horizon - datetime.timedelta(days=days)

    talk_from = before(rules.SHORTEST_MONTH_DAYS * rules.TALK_WITHIN_MONTHS)
    candidacy_from = before(rules.SHORTEST_YEAR_DAYS * rules.ACTIVIST_TRAINING_YEARS)
    confirmation_from = before(rules.SHORTEST_YEAR_DAYS * rules.PROBATION_YEARS)
    members = (
        Member.objects.filter(organization__in=organization_ids, status=Member.Status.ACTIVE)
        .filter(
            Q(stage=Stage.APPLICANT, applied_on__lte=talk_from, application_talk__isnull=True)
            | Q(stage=Stage.ACTIVIST, activist_on__lte=candidacy_from)
            | Q(stage=Stage.PROBATIONARY, probationary_on__lte=confirmation_from)
        )
        .select_related("organization", "organization__park")
        .prefetch_related(_extensions())
        .order_by("pk")
    )
    rows = []
    for member in members:
        if member.stage == Stage.APPLICANT:
            kind, due = "talk", rules.talk_due_on(member.applied_on)
        elif member.stage == Stage.ACTIVIST:
            kind, due = "candidacy", rules.candidacy_from(member.activist_on)
        else:
            kind, due = "confirmation", rules.probation_ends_on(member)
        if due is not None and due <= horizon:
            rows.append(PipelineDeadline(member, kind, due, (due - today).days))
    rows.sort(key=lambda r: (r.due_on, r.member.name, r.member.pk))
    return rows


# The stage each kind of pipeline deadline is about (the kinds are disjoint).
PIPELINE_DEADLINE_STAGES = {"talk": Stage.APPLICANT, "candidacy": Stage.ACTIVIST, "confirmation": Stage.PROBATIONARY}


def pipeline_deadline_members(organization_ids, *, today=None, within_days=rules.PIPELINE_WARNING_DAYS):
    """``pipeline_deadlines`` in SQL: the members (a queryset) with a deadline that has passed or
    falls within ``within_days`` of ``today``, annotated with its ``deadline`` (the kind) and
    ``due_on`` (members.rules' expressions of the same dates); to count them by kind
    (``pipeline_deadline_counts``) and build the rows asked for (``pipeline_deadline_rows``)."""

    today = today or _today()
    horizon = today + datetime.timedelta(days=within_days)

    def before(days):  # the same prefilter as pipeline_deadlines' (an index can serve it)
        return horizon - datetime.timedelta(days=days)

    stages = PIPELINE_DEADLINE_STAGES
    return (
        Member.objects.filter(organization__in=organization_ids, status=Member.Status.ACTIVE)
        .filter(
            Q(
                stage=stages["talk"],
                applied_on__lte=before(rules.SHORTEST_MONTH_DAYS * rules.TALK_WITHIN_MONTHS),
                application_talk__isnull=True,
            )
            | Q(
                stage=stages["candidacy"],
                activist_on__lte=before(rules.SHORTEST_YEAR_DAYS * rules.ACTIVIST_TRAINING_YEARS),
            )
            | Q(
                stage=stages["confirmation"],
                probationary_on__lte=before(rules.SHORTEST_YEAR_DAYS * rules.PROBATION_YEARS),
            )
        )
        .annotate(
            deadline=Case(*(When(stage=stage, then=Value(kind)) for kind, stage in stages.items())),
            due_on=Case(
                When(stage=stages["talk"], then=rules.talk_due_on_sql()),
                When(stage=stages["candidacy"], then=rules.candidacy_from_sql()),
                When(stage=stages["confirmation"], then=rules.probation_ends_on_sql()),
                output_field=DateField(),
            ),
        )
        .filter(due_on__lte=horizon)
    )


def pipeline_deadline_counts(members) -> dict:
    """{kind: how many} of ``pipeline_deadline_members``: one query."""
    counts = dict(members.order_by().values_list("deadline").annotate(n=Count("pk")))
    return {kind: counts.get(kind, 0) for kind in PIPELINE_DEADLINE_STAGES}


def pipeline_deadline_rows(members, start=0, stop=None, *, today=None) -> dict:
    """{kind: the ``PipelineDeadline`` rows ``[start:stop]`` of that kind, in the order of
    ``pipeline_deadlines``} of ``pipeline_deadline_members`` (``pipeline_deadline_page``'s rows)."""
    return pipeline_deadline_page(members, start, stop, today=today)[1]


def pipeline_deadline_page(members, start=0, stop=None, *, today=None) -> tuple[dict, dict]:
    """``({kind: how many}, {kind: rows [start:stop]})`` of ``pipeline_deadline_members``, from one
    reading of the members in the pipeline (``pipeline_deadline_keys``), then the rows wanted,
    whole, by their keys (``pipeline_deadline_loaded``): two queries, the second on a few primary
    keys."""
    counts, keys = pipeline_deadline_keys(members, start, stop)
    return counts, pipeline_deadline_loaded(members, keys, today=today)


def pipeline_deadline_keys(members, start=0, stop=None) -> tuple[dict, list]:
    """``({kind: how many}, [the keys of each kind's rows [start:stop]])`` of
    ``pipeline_deadline_members``: the members in the pipeline are numbered and counted by kind on
    narrow rows (the key and the sort's columns), and the numbering keeps each kind's rows asked
    for and its first row (which carries the kind's count: a slice beyond a kind's rows still
    counts it). One query; plain values, which a caller may cache."""
    by_kind = [F("deadline")]
    numbered = (
        members.order_by()
        .values("pk", "deadline")
        .annotate(
            row=Window(RowNumber(), partition_by=by_kind, order_by=[F("due_on").asc(), F("name").asc(), F("pk").asc()]),
            total=Window(Count("pk"), partition_by=by_kind),
        )
    )
    within = Q(row__gt=start) if stop is None else Q(row__gt=start, row__lte=stop)
    counts = {kind: 0 for kind in PIPELINE_DEADLINE_STAGES}
    keys = []
    for pk, deadline, row, total in numbered.filter(within | Q(row=1)).values_list("pk", "deadline", "row", "total"):
        counts[deadline] = total
        if row > start and (stop is None or row <= stop):
            keys.append(pk)
    return counts, keys


def pipeline_deadline_loaded(members, keys, *, today=None) -> dict:
    """{kind: the ``PipelineDeadline`` rows of these keys, in the order of ``pipeline_deadlines``}
    of ``pipeline_deadline_members`` (a key no longer in it is left out): one query, none without
    keys."""
    today = today or _today()
    rows = {kind: [] for kind in PIPELINE_DEADLINE_STAGES}
    if keys:
        wanted = members.filter(pk__in=keys).select_related("organization", "organization__park")
        for member in wanted.order_by("deadline", "due_on", "name", "pk"):
            rows[member.deadline].append(
                PipelineDeadline(member, member.deadline, member.due_on, (member.due_on - today).days)
            )
    return rows


# Dues -------------------------------------------------------------------------------------


def member_dues(member):
    return list(member.dues_payments.order_by("-month"))


def _months_between(start: datetime.date, end: datetime.date) -> int:
    return months_between(start, end)


# The organisation-life attendance comes from the floor above (activities): it registers, in its
# AppConfig.ready(), a function returning the expression "when did the member (OuterRef("pk"))
# last attend, present, a held activity of organisation life" (docs/architecture.md, registries).
_organisation_life = []


def register_organisation_life(last_attended, attended_since) -> None:
    """Called by the activities app: ``last_attended()`` → an expression (a datetime or NULL) to
    annotate a Member queryset with; ``attended_since(moment)`` → whether that is at or after
    ``moment`` (a boolean expression)."""
    _organisation_life[:] = [last_attended, attended_since]


def _annotated_for_lapse(queryset):
    """Members with what the lapse rule reads, as correlated subqueries (no id list is sent back):
    ``covered_until`` (the last month of a settled payment), ``joined_branch_on`` (the latest
    joining event of their current organisation) and ``last_attended_at`` (if registered)."""
    settled = DuesPayment.objects.settled().filter(member=OuterRef("pk"))
    joined = MembershipEvent.objects.filter(
        member=OuterRef("pk"), organization=OuterRef("organization"), kind__in=MembershipEvent.JOINING
    )
    queryset = queryset.annotate(
        covered_until=Subquery(settled.order_by("-month").values("month")[:1]),
        joined_branch_on=Subquery(joined.order_by("-on", "-pk").values("on")[:1]),
    )
    if _organisation_life:
        queryset = queryset.annotate(last_attended_at=_organisation_life[0]())
    return queryset


def _leaves_by_member(leaves):
    by_member = defaultdict(list)
    for member_id, kind, starts_on, ends_on in leaves.values_list("member_id", "kind", "starts_on", "ends_on"):
        by_member[member_id].append(LeaveSpan(kind, starts_on, ends_on))
    return by_member


def _grounds(member, leaves, today) -> dict:
    attended = getattr(member, "last_attended_at", None)
    return lapse_grounds(
        today=today,
        registered_on=timezone.localdate(member.created_at),
        joined_on=member.joined_branch_on,
        last_attended_on=timezone.localdate(attended) if attended else None,
        covered_until=member.covered_until,
        leaves=leaves.get(member.pk, ()),
        attendance_known=bool(_organisation_life),
    )


# Who the lapse rule is about: full members on a branch's roll, flowing ones included.
LAPSE_STATUSES = (Member.Status.ACTIVE, Member.Status.FLOWING)


@dataclass
class LapseRisk:
    member: object
    grounds: dict  # {members.rules.LapseGround: since (date)}


def lapse_risks(organization_ids, *, today=None) -> list[LapseRisk]:
    """The full members of these organisations (active or flowing) for whom a ground of lapse risk
    holds (members.rules.lapse_grounds, 党章 Art. 38), each with its grounds and since when; by
    organisation and name. Two queries whatever the number of members: the members with their
    dates (correlated subqueries, and in SQL only those old enough for a ground to hold) and the
    approved leaves."""
    today = today or _today()
    # Neither ground can hold for a member whose count started after this day (+3: a start on the
    # 29th–31st reaches the end of a shorter month six months later).
    bound = add_months(today, -LAPSE_MONTHS) + datetime.timedelta(days=3)
    after_bound = day_start(bound + datetime.timedelta(days=1))
    members = _annotated_for_lapse(
        Member.objects.filter(organization__in=organization_ids, status__in=LAPSE_STATUSES, stage=Stage.FULL)
    ).filter(Q(joined_branch_on__isnull=True) | Q(joined_branch_on__lte=bound), created_at__lt=after_bound)
    dues_late = Q(covered_until__isnull=True) | Q(covered_until__lte=add_months(today.replace(day=1), -LAPSE_MONTHS))
    if _organisation_life:
        members = members.filter(dues_late | Q(last_attended_at__isnull=True) | Q(last_attended_at__lt=after_bound))
    else:
        members = members.filter(dues_late)
    members = list(members.select_related("organization").order_by("organization__name", "name", "pk"))
    if not members:
        return []
    leaves = _leaves_by_member(
        MemberLeave.objects.filter(member__organization__in=organization_ids, member__stage=Stage.FULL)
    )
    rows = []
    for member in members:
        grounds = _grounds(member, leaves, today)
        if grounds:
            rows.append(LapseRisk(member, grounds))
    return rows


@dataclass
class LapseFindings:
    """``lapse_risks`` in SQL (``lapse_risk_findings``): the full members in scope and, for each
    ground that can be flagged, the condition under which it holds."""

    scope: object  # the members' queryset
    holds: dict  # {LapseGround: Q}
    leaves: dict  # {member id: [LeaveSpan]}: of the members the Python rule was asked about
    today: datetime.date
    organization_ids: object = None  # the organisations in scope (ids, or a subquery)
    # Their (pk, name) by name then pk, if the caller has them already (else read once, when a
    # ground's rows are first asked for).
    organizations: list | None = None
    _by_organization: dict = field(default_factory=dict, repr=False)

    def members(self, ground):
        """The members for whom ``ground`` holds, in the order of ``lapse_risks``."""
        return self.scope.filter(self.holds[ground]).order_by("organization__name", "name", "pk")

    def by_organization(self, ground) -> dict:
        """{organisation id: how many of its members ``ground`` holds for}: one grouped query."""
        if ground not in self._by_organization:
            rows = (
                self.scope.filter(self.holds[ground]).order_by().values_list("organization_id").annotate(n=Count("pk"))
            )
            self._by_organization[ground] = dict(rows)
        return self._by_organization[ground]

    def remember(self, ground, counts: dict) -> None:
        """Takes ``by_organization(ground)`` as already counted (a cached count of the same data):
        ``risks`` then pages by it without counting again."""
        self._by_organization[ground] = counts

    def counts(self) -> dict:
        """{LapseGround: how many members}: one query each."""
        return {ground: sum(self.by_organization(ground).values()) for ground in self.holds}

    def risks(self, ground, start=0, stop=None) -> list[LapseRisk]:
        """The rows ``[start:stop]`` of one ground, each with its grounds by the Python rule (and so
        since when): one query (two the first time, without ``organizations``). The rows are sorted
        by organisation first, and ``by_organization`` says how many each holds: the query reads
        the members of the organisations holding the slice only, instead of sorting every flagged
        member of the scope (core.pagination.groups_covering)."""
        counts = self.by_organization(ground)
        if self.organizations is None:
            organizations = Organization.objects.filter(pk__in=self.organization_ids).order_by("name", "pk")
            self.organizations = list(organizations.values_list("pk", "name"))
        groups = []  # organisations of one name: their members interleave by name
        for pk, name in self.organizations:
            if groups and groups[-1][0] == name:
                groups[-1][1].append(pk)
                groups[-1][2] += counts.get(pk, 0)
            else:
                groups.append([name, [pk], counts.get(pk, 0)])
        ids, before = groups_covering([(pks, n) for _name, pks, n in groups], start, stop)
        if not ids:
            return []
        rows = self.members(ground).filter(organization__in=ids).values("pk")
        page = rows[start - before : None if stop is None else stop - before]  # the dates are read for its rows only
        members = _annotated_for_lapse(Member.objects.filter(pk__in=page)).select_related("organization")
        members = members.order_by("organization__name", "name", "pk")
        return [LapseRisk(member, _grounds(member, self.leaves, self.today)) for member in members]


def _joined_since(day):
    """Whether the member joined their current organisation on or after ``day`` (their
    ``joined_branch_on``, see _annotated_for_lapse, is on or after it)."""
    return Exists(
        MembershipEvent.objects.filter(
            member=OuterRef("pk"), organization=OuterRef("organization"), kind__in=MembershipEvent.JOINING, on__gte=day
        )
    )


def _covered_since(month):
    """Whether a settled payment covers ``month`` or a later one (their ``covered_until`` is)."""
    return Exists(DuesPayment.objects.settled().filter(member=OuterRef("pk"), month__gte=month))


def lapse_risk_findings(organization_ids, *, today=None, organizations=None) -> LapseFindings:
    """``lapse_risks`` without loading every member: members.rules' SQL version of each ground
    (``no_organisation_life_q``, ``dues_uncovered_q``) selects the members for whom it holds,
    leave aside; those of them with an approved leave that excuses the ground are then checked by
    the Python rule (a leave can only pause a count), from their dates alone (no model instance).
    Two queries (those members' dates, their leaves), or one when there are none.

    ``organizations``: the (pk, name) of the organisations by name then pk, if the caller has them
    (``LapseFindings.risks`` reads them otherwise)."""
    today = today or _today()
    members = Member.objects.filter(organization__in=organization_ids, status__in=LAPSE_STATUSES, stage=Stage.FULL)
    holds = {
        LapseGround.NO_DUES: rules.dues_uncovered_q(today, joined_since=_joined_since, covered_since=_covered_since)
    }
    if _organisation_life:
        no_life = rules.no_organisation_life_q(today, joined_since=_joined_since, attended_since=_organisation_life[1])
        holds = {LapseGround.NO_LIFE: no_life, **holds}
    on_leave = Q(pk__in=[])
    for ground, q in holds.items():
        excused = MemberLeave.objects.filter(kind__in=rules.LEAVE_EXCUSES[ground]).values("member_id")
        on_leave |= q & Q(pk__in=excused)
    columns = ["pk", "created_at", "joined_branch_on", "covered_until"]
    if _organisation_life:
        columns.append("last_attended_at")
    on_leave &= Q(pk__in=MemberLeave.objects.values("member_id"))  # first: the few members with a leave
    checked = [
        SimpleNamespace(**row) for row in _annotated_for_lapse(members.filter(on_leave)).order_by().values(*columns)
    ]
    leaves = {}
    if checked:
        leaves = _leaves_by_member(MemberLeave.objects.filter(member__in=[m.pk for m in checked]))
    for ground in holds:
        cleared = [m.pk for m in checked if ground not in _grounds(m, leaves, today)]
        if cleared:
            holds[ground] &= ~Q(pk__in=cleared)
    return LapseFindings(members, holds, leaves, today, organization_ids, organizations)


@dataclass
class DuesRow:
    member: object
    paid_through: datetime.date | None
    months_in_arrears: int
    grounds: dict = field(default_factory=dict)  # lapse risk: {LapseGround: since}

    @property
    def lapse_risk(self) -> bool:
        return bool(self.grounds)

    @property
    def no_life_since(self):
        return self.grounds.get(LapseGround.NO_LIFE)

    @property
    def no_dues_since(self):
        return self.grounds.get(LapseGround.NO_DUES)


def branch_dues(organization_ids, *, today=None):
    """Each dues-paying member of these organisations (probationary and full, active or flowing):
    the month up to which dues are settled, the months in arrears (up to last month; the current
    month is not late yet), and for full members the grounds of lapse risk that hold, with since
    when (members.rules.lapse_grounds). Two queries (``lapse_risks``' two).

    The paid-through month and the arrears are members.rules' (``dues_ledger_opens``,
    ``dues_months_owed``), as on the introduction letter: with nothing settled, arrears count from
    the later of the month the member was registered in the portal and the start of probation,
    since earlier months were settled on paper before the portal existed."""

    today = today or _today()
    members = list(
        _annotated_for_lapse(
            Member.objects.filter(
                organization__in=organization_ids,
                status__in=LAPSE_STATUSES,
                stage__in=[Stage.PROBATIONARY, Stage.FULL],
            )
        ).select_related("organization")
    )
    leaves = _leaves_by_member(
        MemberLeave.objects.filter(member__organization__in=organization_ids, member__stage=Stage.FULL)
    )
    rows = []
    for member in members:
        paid_through = member.covered_until
        arrears = len(rules.member_months_owed(member, paid_through=paid_through, today=today))
        grounds = _grounds(member, leaves, today) if member.stage == Stage.FULL else {}
        rows.append(DuesRow(member, paid_through, arrears, grounds))
    rows.sort(key=lambda r: (-r.months_in_arrears, r.member.name))
    return rows


@dataclass
class DuesStanding:
    """What the ledger says of one member: the month dues are paid up to (None: nothing settled is
    recorded) and the months owed up to last month."""

    paid_through: datetime.date | None
    months_owed: list
    # Filled by ``dues_summary`` (the member's own page and home card), not by ``dues_standing``.
    amount_owed: Decimal | None = None
    paid_ahead: bool = False  # months after this one are settled already

    @property
    def in_arrears(self) -> bool:
        return bool(self.months_owed)

    @property
    def owed_display(self) -> str:
        return rules.describe_months(self.months_owed)


def dues_standing(member, *, today=None) -> DuesStanding:
    """The member's dues by the ledger, as branch_dues counts them (one query): what the approval
    page shows before members.actions.transfer_approve recomputes it under its lock; the letter
    states ``paid_through``, and approving with ``months_owed`` needs a reason."""
    today = today or _today()
    paid_through = DuesPayment.objects.filter(member=member).paid_through().get(member.pk)
    return DuesStanding(paid_through, rules.member_months_owed(member, paid_through=paid_through, today=today))


def dues_summary(member, payments=None, *, today=None) -> DuesStanding | None:
    """What a member sees of their own dues (their dues page and home card): ``dues_standing``'s
    paid-through month and months owed, whether they paid ahead, and the amount owed: for each
    month owed, what is still due on its recorded row, or, with no row for the month, the latest
    recorded monthly amount (None when nothing was ever recorded: the branch sets the amount).
    None for a member who pays no dues (not probationary or full). ``payments``: the member's
    rows if already read (``member_dues``)."""
    if member.stage not in rules.DUES_STAGES:
        return None
    today = today or _today()
    standing = dues_standing(member, today=today)
    payments = member_dues(member) if payments is None else payments
    by_month = {payment.month: payment for payment in payments}
    latest_due = max(payments, key=lambda payment: payment.month).amount_due if payments else None
    amount = Decimal(0)
    for month in standing.months_owed:
        if month in by_month:
            amount += max(Decimal(0), by_month[month].amount_due - by_month[month].amount_paid)
        elif latest_due is None:
            amount = None
            break
        else:
            amount += latest_due
    standing.amount_owed = amount
    standing.paid_ahead = standing.paid_through is not None and standing.paid_through > today.replace(day=1)
    return standing


# --- Membership history: the roll of any past day ------------------------------------------------


def members_at(organizations, day: datetime.date):
    """The members on the roll of these organisations (ids, or an Organization queryset's
    ``values("pk")``) at the end of ``day``, read from the membership history: those whose latest
    event up to that day (by date, then by order of recording) puts them on the roll (joined,
    transferred in, restored) of one of them. A member transferred out, flowing, deceased or
    removed by then is not counted; one who joined later is not either.

    A member with no history at all (rows bulk-created outside the actions, e.g. the demo seed)
    counts as the record says today: active, at their current organisation.
    """
    events = MembershipEvent.objects.filter(on__lte=day)
    later = events.filter(member=OuterRef("member")).filter(
        Q(on__gt=OuterRef("on")) | Q(on=OuterRef("on"), pk__gt=OuterRef("pk"))
    )
    latest_on_roll = events.filter(organization__in=organizations, kind__in=MembershipEvent.ON_ROLL).exclude(
        Exists(later)
    )
    # "No event at all" as NOT IN (member ids with events), not NOT EXISTS: PostgreSQL hashes the
    # ids once, where NOT EXISTS under the OR is a subplan costed per member (a plan of 850 000
    # for a district's 100 000 members, which sorted on disk to group them and went over the JIT's
    # threshold; 20 000 this way, grouped by hashing: 190 -> 125 ms, docs/benchmarks.md). The
    # column is NOT NULL, so NOT IN means the same.
    no_history = Q(organization__in=organizations, status=Member.Status.ACTIVE) & ~Q(
        pk__in=MembershipEvent.objects.values("member_id")
    )
    return Member.objects.filter(Q(pk__in=latest_on_roll.values("member_id")) | no_history)


def off_the_roll(organization_ids):
    """The members of these organisations who are off the roll by their status (flowing, deceased,
    removed), newest change first, with the day of their last membership event (``changed_on``):
    for the branch page, which lists those on the roll in its other tables."""
    last_event = MembershipEvent.objects.filter(member=OuterRef("pk")).order_by("-on", "-pk").values("on")[:1]
    return (
        Member.objects.filter(
            organization__in=organization_ids,
            status__in=[Member.Status.FLOWING, Member.Status.DECEASED, Member.Status.REMOVED],
        )
        .annotate(changed_on=Subquery(last_event, output_field=DateField()))
        .order_by(F("changed_on").desc(nulls_last=True), "name", "pk")
        .only("pk", "name", "status", "stage")
    )


def membership_history(member) -> list:
    """The member's membership events, oldest first, with their organisation."""
    return list(member.membership_events.select_related("organization", "recorded_by").order_by("on", "pk"))


# --- the member's home card ---------------------------------------------------------------------


def member_profile(user, member_id) -> Member | None:
    return (
        Member.objects.visible_to(user)
        .select_related("organization", "organization__park", "employer")
        .filter(pk=member_id)
        .first()
    )


def stage_dates(member: Member) -> list[dict]:
    """The dates of the stages the member has reached, in pipeline order."""
    rows = []
    for stage in STAGE_ORDER:
        day = getattr(member, STAGE_DATE_FIELD[stage])
        if day:
            rows.append({"stage": stage, "label": Stage(stage).label, "date": day})
    return rows


# --- the branch's pages --------------------------------------------------------------------------


def own_member(user):
    """The user's own member record, with its organisation and park; none once the record is off
    the roll (``members.models.LOGIN_CLOSED_STATUSES``)."""
    return member_of_login(user).select_related("organization", "organization__park").first()


def acting_organizations(user):
    """The organisations whose pipeline and dues the user manages: a secretary's own units, a park
    administrator's branches; every branch for a superuser."""
    scope = scope_for(user)
    qs = Organization.objects.select_related("park")
    if scope.superuser:
        return qs.filter(kind__in=Organization.BRANCH_KINDS)
    return qs.filter(pk__in=scope.org_ids) | qs.filter(park__in=scope.park_ids, kind__in=Organization.BRANCH_KINDS)


def managed_member(user, pk):
    """A member the user sees and acts for (404 outside the scope, PermissionDenied otherwise)."""
    member = get_object_or_404(Member.objects.visible_to(user).select_related("organization"), pk=pk)
    if not actions.may_act_for(user, member.organization):
        raise PermissionDenied
    return member
