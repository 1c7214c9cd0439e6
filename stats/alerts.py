"""The dashboard's alerts: what needs someone's attention in a district, a park or a branch.

Each rule is one function returning ``Found`` results (a count, and a way to build only the rows
asked for); every rule reuses the rule's existing home (``Organization.term_status``,
``members.selectors.pipeline_deadline_members``, ``transfer_overdue_q`` and
``lapse_risk_findings``, whose dates are members.rules' in SQL, ``ServiceRequest.objects.overdue``)
and runs a fixed number of queries whatever the number of branches, members or requests (tests
assert it): a kind counted over members or transfers is counted in SQL, not by loading them.

The rules (DESIGN §3):

* ``enterprise_without_branch``: an enterprise employing 3 or more full members without an
  organisation of its own (as ``portal.statistics`` counts "own organisation": one covering it with
  the single-enterprise formation, or covering it alone);
* ``branch_too_big``: a branch with more than 50 party members (probationary and full, its party
  groups included);
* ``branch_too_small``: a 党支部 (not a joint one) with fewer than 3 full members (its party groups
  included): it should be merged into a 联合党支部 (``parks.rules``);
* ``committee_needed``: a branch with 7 or more full members whose current (approved) election
  elected no committee (``elections.selectors.committee_organization_ids``);
* ``no_secretary``; the term of office (``Organization.term_end``, set by its approved election,
  staged by ``parks.rules.term_stage``): ``term_notice`` (ends within six months),
  ``term_ending`` (within 90 days), ``term_expired``;
* ``inactive_branch``: no held activity (hosted, co-hosted or by its party groups) for 60 days;
* the development pipeline's deadlines (``members.selectors.pipeline_deadlines``, dates from
  ``members.rules``), each overdue or due within 30 days: ``talk_due`` (the talk with an applicant,
  one month after the application), ``candidacy_due`` (an activist's year of training before
  candidacy), ``probation_due`` (probation, with any extension, ends: confirmation due);
* ``transfer_overdue``, ``request_overdue``;
* ``lapse_no_life``, ``lapse_no_dues``: a full member for whom a ground of lapse risk holds (党章
  Art. 38, members.rules.lapse_grounds): six months without organisation life, or six months of
  dues not covered, each counted from joining the branch (approved leave excepted); the detail
  says since when. The third ground (assigned work) is not recorded in the portal.
"""

import datetime
import hashlib
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import NamedTuple

from django.db.models import Count, Max, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from activities.models import Activity, Attendance
from core.periods import day_start
from elections.rules import COMMITTEE_REQUIRED_FULL_MEMBERS
from elections.selectors import committee_organization_ids
from members.actions import may_act_for
from members.models import ApplicationTalk, DuesPayment, Member, MemberLeave, Stage, StageChange, Transfer
from members.rules import LapseGround
from members.selectors import (
    lapse_risk_findings,
    pipeline_deadline_counts,
    pipeline_deadline_keys,
    pipeline_deadline_loaded,
    pipeline_deadline_members,
    transfer_due_on,
    transfer_overdue_q,
    transfer_queryset,
)
from parks import rules as park_rules
from parks.models import Enterprise, Organization, Park
from parks.rules import BRANCH_MAX_MEMBERS, BRANCH_MIN_FULL_MEMBERS
from services.models import ServiceRequest
from stats.statistics import _own_organization_ids, cached_by_version, data_version

# Organisations that count as branches for the alerts (as for 三会一课 compliance).
BRANCH_KINDS = (Organization.Kind.BRANCH, Organization.Kind.JOINT_BRANCH, Organization.Kind.GENERAL_BRANCH)
# The rules' numbers live with their sources: parks.rules (branch formation), elections.rules.
OWN_BRANCH_MIN_FULL = BRANCH_MIN_FULL_MEMBERS
COMMITTEE_MIN_FULL = COMMITTEE_REQUIRED_FULL_MEMBERS
INACTIVE_DAYS = 60
PARTY_STAGES = (Stage.PROBATIONARY, Stage.FULL)

# code → (label, severity), in the order the dashboard lists them.
KINDS = {
    "enterprise_without_branch": (gettext_lazy("Enterprise with 3+ full members but no own branch"), "danger"),
    "branch_too_big": (gettext_lazy("Branch with more than 50 members"), "warning"),
    "branch_too_small": (gettext_lazy("Branch with fewer than 3 full members: merge into a joint branch"), "warning"),
    "committee_needed": (gettext_lazy("Branch with 7+ full members and no elected committee"), "warning"),
    "no_secretary": (gettext_lazy("Branch without a secretary"), "danger"),
    "term_expired": (gettext_lazy("Term of office expired"), "danger"),
    "term_ending": (gettext_lazy("Term of office ends within 90 days"), "warning"),
    "term_notice": (gettext_lazy("Term of office ends within six months"), "info"),
    "inactive_branch": (gettext_lazy("No activity held for 60 days"), "warning"),
    "talk_due": (gettext_lazy("Talk with an applicant due (within a month of the application)"), "warning"),
    "candidacy_due": (gettext_lazy("Activist trained for a year: candidacy due"), "warning"),
    "probation_due": (gettext_lazy("Probation ends: confirmation due"), "warning"),
    "transfer_overdue": (gettext_lazy("Overdue transfer"), "danger"),
    "request_overdue": (gettext_lazy("Overdue service request"), "danger"),
    "lapse_no_life": (gettext_lazy("Lapse risk: no organisation life for six months"), "warning"),
    "lapse_no_dues": (gettext_lazy("Lapse risk: dues not covered for six months"), "warning"),
}

# Lapse risk (党章 Art. 38): the alert kind and detail of each ground (members.rules.LapseGround).
LAPSE_ALERTS = {
    LapseGround.NO_LIFE: ("lapse_no_life", gettext_lazy("No organisation life since %(date)s.")),
    LapseGround.NO_DUES: ("lapse_no_dues", gettext_lazy("Dues not covered since %(month)s.")),
}


@dataclass(frozen=True)
class Alert:
    code: str
    subject: str
    detail: str
    url: str | None = None
    where: str = ""  # the branch or park the row belongs to

    @property
    def label(self):
        return KINDS[self.code][0]

    @property
    def severity(self):
        return KINDS[self.code][1]


@dataclass
class AlertGroup:
    """One kind of alert: how many (``count``) and the first rows (``items``: all of them, or the
    first ``first`` of ``alerts_for``)."""

    code: str
    items: list = field(default_factory=list)
    total: int | None = None

    @property
    def label(self):
        return KINDS[self.code][0]

    @property
    def severity(self):
        return KINDS[self.code][1]

    @property
    def count(self):
        return len(self.items) if self.total is None else self.total


class Found:
    """What a rule found for one kind of alert: how many, and a way to build rows ``[start:stop]``
    only (so that a dashboard section builds its first rows, and a drill-down page its page).

    ``count`` may be given as a function that counts: it is then asked once, when the count is
    first read (a drill-down of a rule's other kind never pays for this one's). ``organizations``,
    for a kind whose rows are organisations: ``(start, stop)`` → the organisations (``OrgRow``) of
    those rows, so that the section loads the model instances of all its rows at once."""

    organizations: Callable[[int, int | None], list] | None = None

    def __init__(self, code: str, count: int | Callable[[], int], build: Callable[[int, int | None], list]):
        self.code, self._count, self.build = code, count, build

    @cached_property
    def count(self) -> int:
        return self._count() if callable(self._count) else self._count

    def __repr__(self):
        return f"Found({self.code!r})"

    def rows(self, start=0, stop=None):
        return self.build(start, stop) if self.count else []


def found(code, subjects, make, *, ctx=None, organization=None) -> Found:
    """A ``Found`` over a list of ``subjects`` (already loaded); ``make(subject)`` builds one Alert.
    With ``ctx``, the subjects are organisations (``OrgRow``, or ``organization(subject)`` is):
    their model instances are loaded (``ctx.load``) for the rows built only."""

    def organizations(start, stop):
        part = subjects[start:stop]
        return part if organization is None else [organization(subject) for subject in part]

    def build(start, stop):
        if ctx is not None:
            ctx.load(organizations(start, stop))
        return [make(subject) for subject in subjects[start:stop]]

    result = Found(code, len(subjects), build)
    if ctx is not None:
        result.organizations = organizations
    return result


def found_by_code(codes, pairs, make, **options) -> list[Found]:
    """``pairs`` of (code, subject) in the order they should be listed → one Found per code."""
    by_code = {code: [] for code in codes}
    for code, subject in pairs:
        by_code[code].append(subject)
    return [
        found(code, subjects, lambda subject, code=code: make(code, subject), **options)
        for code, subjects in by_code.items()
    ]


class AlertRows(Sequence):
    """The rows of one kind of alert, built a slice at a time (a drill-down's paginator asks for
    ``len`` and then one page)."""

    def __init__(self, result: Found | None):
        self.result = result

    def __len__(self):
        return self.result.count if self.result else 0

    def __iter__(self):
        return iter(self[0 : len(self)])

    def __eq__(self, other):
        return list(self) == list(other) if isinstance(other, Sequence) else NotImplemented

    __hash__ = None

    def __getitem__(self, index):
        if isinstance(index, slice):
            start, stop, _step = index.indices(len(self))
            return self.result.rows(start, stop) if self.result else []
        rows = self[index : index + 1] if index >= 0 else self[len(self) + index : len(self) + index + 1]
        if not rows:
            raise IndexError(index)
        return rows[0]


# --- what a dashboard scope covers -----------------------------------------------------------------


def scope_organizations(user, scope):
    """The organisations of a statistics scope (district, park, or an organisation and its
    sub-units) that ``user`` may see."""
    queryset = Organization.objects.visible_to(user)
    if scope.kind == "district":
        return queryset.filter(district_id=scope.id)
    if scope.kind == "park":
        return queryset.filter(park_id=scope.id)
    return queryset.filter(pk__in=Organization.objects.with_descendants({scope.id}))


def scope_parks(user, scope):
    queryset = Park.objects.visible_to(user)
    if scope.kind == "district":
        return queryset.filter(district_id=scope.id)
    if scope.kind == "park":
        return queryset.filter(pk=scope.id)
    return queryset.filter(pk__in=Organization.objects.filter(pk=scope.id).values("park"))


def scope_enterprises(user, scope):
    queryset = Enterprise.objects.visible_to(user)
    if scope.kind == "district":
        return queryset.filter(park__district_id=scope.id)
    if scope.kind == "park":
        return queryset.filter(park_id=scope.id)
    tree = Organization.objects.with_descendants({scope.id})
    return queryset.filter(
        pk__in=Organization.enterprises.through.objects.filter(organization_id__in=tree).values("enterprise_id")
    )


def scope_requests(user, scope):
    queryset = ServiceRequest.objects.visible_to(user)
    if scope.kind == "district":
        return queryset.filter(park__district_id=scope.id)
    if scope.kind == "park":
        return queryset.filter(park_id=scope.id)
    return queryset.filter(enterprise__in=scope_enterprises(user, scope).values("pk"))


def scope_transfers(user, scope):
    """Transfers out of or into the scope's organisations."""

    ids = scope_organizations(user, scope).values("pk")
    visible = Transfer.objects.visible_to(user).values("pk")
    return transfer_queryset().filter(pk__in=visible).filter(Q(from_organization__in=ids) | Q(to_organization__in=ids))


# --- links ----------------------------------------------------------------------------------------


def organization_url(user, organization) -> str:
    """Where a branch links to: its workspace for those who act for it, else its dashboard."""

    if organization.kind in Organization.BRANCH_KINDS and may_act_for(user, organization):
        return reverse("members:branch", args=[organization.pk])
    return reverse("dashboard", args=["organization", organization.pk])


def member_url(user, member) -> str | None:
    if may_act_for(user, member.organization):
        return reverse("members:member_lifecycle", args=[member.pk])
    return None


# --- the rules ------------------------------------------------------------------------------------


def _ids_key(ids) -> str:
    """A cache key's part naming a set of rows by their (sorted) ids."""
    return hashlib.sha256(",".join(str(pk) for pk in ids).encode()).hexdigest()[:32]


class OrgRow(NamedTuple):
    """An organisation as the rules read it (a district's 2 000 model instances, with their parks,
    took longer to build than every query of some rules): the instances are loaded for the rows
    shown only (``_Context.load``)."""

    pk: int
    name: str
    kind: str
    parent_id: int | None
    secretary_id: int | None
    term_end: datetime.date | None
    founded_on: datetime.date | None


class _Context:
    """What several rules share, loaded once: the scope's organisations and their member counts."""

    def __init__(self, user, scope, today, *, first=None, first_asked=False):
        self.user, self.scope, self.today = user, scope, today
        # ``first_asked``: the rows ``[0:first]`` will be asked for (the dashboard's section, or a
        # drill-down's first page), so a rule that can count a kind in the same reading as those
        # rows does; otherwise (another page) it counts in a query of its own.
        self.first, self.first_asked = first, first_asked
        self.organizations = [
            OrgRow(*row) for row in scope_organizations(user, scope).order_by("name", "pk").values_list(*OrgRow._fields)
        ]
        self._instances = {}  # pk → Organization (with its park), for the rows built
        # The same organisations as a subquery, for the rules' filters: a list of a district's 2 000
        # ids costs the ORM more to prepare in each query than the database to read.
        self.ids = scope_organizations(user, scope).values("pk")
        self.branch_ids = scope_organizations(user, scope).filter(kind__in=BRANCH_KINDS).values("pk")
        self.by_id = {org.pk: org for org in self.organizations}
        self.branches = [org for org in self.organizations if org.kind in BRANCH_KINDS]
        # A party group's members and activities count for the branch above it.
        self.counted_for = {org.pk: org.pk for org in self.organizations}
        for org in self.organizations:
            if org.kind == Organization.Kind.GROUP and org.parent_id in self.by_id:
                self.counted_for[org.pk] = org.parent_id
        self._counts = None

    #: The data the cached aggregates read: the members; for the pipeline's deadlines the talks
    #: with applicants and the extensions of probation; for the inactive branches the activities;
    #: for the lapse counts also the leaves, the dues and the attendance (``LAPSE_VERSIONED``).
    VERSIONED = (Member, StageChange, ApplicationTalk, Activity, MemberLeave, DuesPayment, Attendance)

    @cached_property
    def _versions(self) -> dict:
        return dict(zip(self.VERSIONED, data_version(*self.VERSIONED), strict=True))

    def version(self, *models) -> tuple:
        """The version of these models' data (stats.statistics.data_version), an aggregate's
        cache key's part: all read at once, by one query, for every aggregate of the view."""
        return tuple(self._versions[model] for model in models)

    @cached_property
    def ids_key(self) -> str:
        """The scope's organisations, as a cache key's part: each scope its own entries."""
        return _ids_key(sorted(self.by_id))

    @property
    def counts(self):
        """{branch id: {stage: active members}} with party groups rolled up into their branch.

        The grouped count of the scope's members is cached as the dashboard's member figures are,
        per version of the members' data (stats.statistics.members_version: any change to a member
        is seen at once), under these organisations' ids: a district's 100 000 members are counted
        once per change of them, not once per view."""
        if self._counts is None:
            counts = defaultdict(lambda: defaultdict(int))

            def count():
                rows = (
                    Member.objects.filter(organization__in=self.ids, status=Member.Status.ACTIVE)
                    .order_by()
                    .values_list("organization_id", "stage")
                    .annotate(n=Count("pk"))
                )
                return list(rows)

            key = ("alerts-stages", self.ids_key)
            for org_id, stage, n in cached_by_version(key, count, version=self.version(Member)):
                counts[self.counted_for[org_id]][stage] += n
            self._counts = counts
        return self._counts

    def load(self, organizations):
        """Loads the model instances (with their parks) of these organisations: one query, or none
        when they are loaded already."""
        missing = {org.pk for org in organizations} - self._instances.keys()
        if missing:
            self._instances.update(Organization.objects.select_related("park").in_bulk(missing))

    def org_alert(self, code, org, detail):
        if org.pk not in self._instances:
            self.load([org])
        instance = self._instances.get(org.pk)
        if instance is None:  # deleted since the rules read it
            return Alert(code, org.name, detail)
        return Alert(code, org.name, detail, organization_url(self.user, instance), str(instance.park or ""))


def _enterprise_without_branch(ctx):
    """The full members employed by each of the scope's enterprises are counted once per version of
    the members' data, under the enterprises' ids (as ``_Context.counts``). The enterprises are read
    in the order they are listed, and the listed rows are loaded by their keys: no query is sent a
    list of a district's enterprises."""
    enterprises = scope_enterprises(ctx.user, ctx.scope)
    listed = list(enterprises.order_by("name", "pk").values_list("pk", flat=True))

    def count():
        employed = Member.objects.filter(
            employer__in=enterprises.values("pk"), status=Member.Status.ACTIVE, stage=Stage.FULL
        )
        return list(
            employed.order_by().values_list("employer_id").annotate(n=Count("pk")).filter(n__gte=OWN_BRANCH_MIN_FULL)
        )

    key = ("alerts-employers", _ids_key(sorted(listed)))
    full = dict(cached_by_version(key, count, version=ctx.version(Member)))
    if not full:
        return []

    own = set(
        Organization.enterprises.through.objects.filter(
            enterprise_id__in=enterprises.values("pk"), organization_id__in=_own_organization_ids()
        ).values_list("enterprise_id", flat=True)
    )
    without = [pk for pk in listed if pk in full and pk not in own]  # by name, then pk

    def build(start, stop):
        keys = without[start:stop]
        loaded = Enterprise.objects.select_related("park").in_bulk(keys)
        rows = []
        for enterprise in (loaded[pk] for pk in keys):
            detail = _("%(n)d full members; no organisation of its own.") % {"n": full[enterprise.pk]}
            rows.append(Alert("enterprise_without_branch", enterprise.name, detail, None, str(enterprise.park)))
        return rows

    return [Found("enterprise_without_branch", len(without), build)]


def _branch_size(ctx):
    pairs = []
    for org in ctx.branches:
        stages = ctx.counts.get(org.pk, {})
        if sum(stages.get(s, 0) for s in PARTY_STAGES) > BRANCH_MAX_MEMBERS:
            pairs.append(("branch_too_big", org))
        if org.kind == Organization.Kind.BRANCH and stages.get(Stage.FULL, 0) < BRANCH_MIN_FULL_MEMBERS:
            pairs.append(("branch_too_small", org))

    def make(code, org):
        stages = ctx.counts.get(org.pk, {})
        if code == "branch_too_big":
            detail = _("%(n)d party members; a branch should have at most %(max)d.") % {
                "n": sum(stages.get(s, 0) for s in PARTY_STAGES),
                "max": BRANCH_MAX_MEMBERS,
            }
        else:
            detail = _("%(n)d full members; a branch of its own needs at least %(min)d, fewer join a joint branch.") % {
                "n": stages.get(Stage.FULL, 0),
                "min": BRANCH_MIN_FULL_MEMBERS,
            }
        return ctx.org_alert(code, org, detail)

    return found_by_code(("branch_too_big", "branch_too_small"), pairs, make, ctx=ctx)


def _committee_needed(ctx):
    big = [org for org in ctx.branches if ctx.counts.get(org.pk, {}).get(Stage.FULL, 0) >= COMMITTEE_MIN_FULL]
    if not big:
        return []
    # The scope's branches as a subquery: a list of thousands of ids costs more to send.
    with_committee = committee_organization_ids(ctx.branch_ids, on=ctx.today)

    def make(org):
        detail = _("%(n)d full members and no elected committee: a branch committee should be elected.") % {
            "n": ctx.counts[org.pk][Stage.FULL]
        }
        return ctx.org_alert("committee_needed", org, detail)

    return [found("committee_needed", [org for org in big if org.pk not in with_committee], make, ctx=ctx)]


TERM_ALERTS = {park_rules.EXPIRED: "term_expired", park_rules.ENDING: "term_ending", park_rules.NOTICE: "term_notice"}


def _secretary_and_term(ctx):
    pairs = []
    for org in ctx.branches:
        if org.secretary_id is None:
            pairs.append(("no_secretary", org))
        stage = park_rules.term_stage(org.term_end, ctx.today)
        if stage in TERM_ALERTS:
            pairs.append((TERM_ALERTS[stage], org))

    def make(code, org):
        if code == "no_secretary":
            return ctx.org_alert(code, org, _("No secretary is recorded."))
        if code == "term_expired":
            detail = _("The term ended on %(date)s.") % {"date": org.term_end.isoformat()}
        else:
            detail = _("The term ends on %(date)s.") % {"date": org.term_end.isoformat()}
        return ctx.org_alert(code, org, detail)

    return found_by_code(("no_secretary", *TERM_ALERTS.values()), pairs, make, ctx=ctx)


def _inactive_branches(ctx):
    """The last held activity of each organisation, hosted or co-hosted, is read by two grouped
    queries once per version of the activities (``_Context.version(Activity)``: every save,
    delete and change of co-hosts leaves a history row) under the organisations' ids; a party
    group's counts for the branch above it, and the cutoff is the day's."""
    if not ctx.branches:
        return []

    def read():
        hosted = (
            Activity.objects.held()
            .filter(host_id__in=ctx.ids)
            .order_by()
            .values_list("host_id")
            .annotate(last=Max("starts_at"))
        )
        co_hosted = (
            Activity.co_hosts.through.objects.filter(
                organization_id__in=ctx.branch_ids, activity__status=Activity.Status.HELD
            )
            .order_by()
            .values_list("organization_id")
            .annotate(last=Max("activity__starts_at"))
        )
        return list(hosted), list(co_hosted)

    hosted, co_hosted = cached_by_version(("alerts-activity", ctx.ids_key), read, version=ctx.version(Activity))
    last = {}
    for host_id, when in hosted:
        branch = ctx.counted_for.get(host_id)
        if branch is not None:
            last[branch] = max(last.get(branch, when), when)
    for org_id, when in co_hosted:
        last[org_id] = max(last.get(org_id, when), when)
    cutoff = ctx.today - datetime.timedelta(days=INACTIVE_DAYS)
    since = day_start(cutoff)  # held on the cutoff day or later, local time
    inactive = []
    for org in ctx.branches:
        when = last.get(org.pk)
        if when is not None and when >= since:
            continue
        if org.founded_on and org.founded_on >= cutoff:
            continue  # a new branch has not had 60 days yet: its founding day counts as an activity's
        inactive.append((org, when))

    def make(subject):
        org, when = subject
        day = timezone.localdate(when) if when else None
        if day is None:
            detail = _("No activity has been held.")
        else:
            detail = _("Last activity held on %(date)s.") % {"date": day.isoformat()}
        return ctx.org_alert("inactive_branch", org, detail)

    return [found("inactive_branch", inactive, make, ctx=ctx, organization=lambda subject: subject[0])]


# A pipeline deadline's kind (members.selectors.PipelineDeadline) → the alert's code.
PIPELINE_ALERTS = {"talk": "talk_due", "candidacy": "candidacy_due", "confirmation": "probation_due"}


def _pipeline_deadlines(ctx):
    """When the first rows are asked for (the section, a drill-down's first page), each kind is
    counted and its first rows numbered in one reading of the pipeline
    (members.selectors.pipeline_deadline_keys), kept in the cache for the day under the version of
    the data it reads (``_Context.version``: the members, the talks, the extensions); the rows are
    then loaded by their keys. Otherwise counted by one query and the page built by another
    (members.rules' dates in SQL, for every kind at once: built once for the first kind asked,
    then reused)."""
    members = pipeline_deadline_members(ctx.ids, today=ctx.today)
    loaded = {}

    def page(start, stop):
        if (start, stop) not in loaded:
            if ctx.first_asked and (start, stop) == (0, ctx.first):
                key = ("alerts-pipeline", ctx.ids_key, ctx.today, start, stop)
                counts, keys = cached_by_version(
                    key,
                    lambda: pipeline_deadline_keys(members, start, stop),
                    version=ctx.version(Member, StageChange, ApplicationTalk),
                )
            else:
                counts, keys = pipeline_deadline_keys(members, start, stop)
            loaded[start, stop] = counts, pipeline_deadline_loaded(members, keys, today=ctx.today)
        return loaded[start, stop]

    def counts():
        if ctx.first_asked:
            return page(0, ctx.first)[0]
        if "counts" not in loaded:
            loaded["counts"] = pipeline_deadline_counts(members)
        return loaded["counts"]

    def make(code, deadline):
        member = deadline.member
        detail = _("%(step)s: %(date)s, %(when)s.") % {
            "step": deadline.label,
            "date": deadline.due_on.isoformat(),
            "when": deadline.when,
        }
        return Alert(code, member.name, detail, member_url(ctx.user, member), member.organization.name)

    def found_kind(kind):
        code = PIPELINE_ALERTS[kind]

        def build(start, stop):
            return [make(code, deadline) for deadline in page(start, stop)[1][kind]]

        return Found(code, lambda: counts()[kind], build)

    return [found_kind(kind) for kind in PIPELINE_ALERTS]


def _transfers_overdue(ctx):
    """Counted by one aggregate query (members.selectors.transfer_overdue_q); the rows asked for by one more."""
    overdue = scope_transfers(ctx.user, ctx.scope).filter(transfer_overdue_q(ctx.today)).order_by("pk")

    def build(start, stop):
        rows = []
        for transfer in overdue[start:stop]:
            detail = _("%(status)s; due on %(date)s (%(from)s → %(to)s).") % {
                "status": transfer.get_status_display(),
                "date": transfer_due_on(transfer).isoformat(),
                "from": transfer.from_display,
                "to": transfer.to_display,
            }
            url = reverse("members:transfer_detail", args=[transfer.pk])
            rows.append(Alert("transfer_overdue", transfer.member.name, detail, url, transfer.from_display))
        return rows

    return [Found("transfer_overdue", overdue.count(), build)]


def _requests_overdue(ctx):
    """Counted by one aggregate query; the rows asked for by one more."""
    requests = scope_requests(ctx.user, ctx.scope).overdue(ctx.today)

    def build(start, stop):
        rows = []
        for request in requests.select_related("park", "enterprise").order_by("due_on", "pk")[start:stop]:
            detail = _("%(status)s; due on %(date)s.") % {
                "status": request.get_status_display(),
                "date": request.due_on.isoformat(),
            }
            url = reverse("services:request_detail", args=[request.pk])
            rows.append(Alert("request_overdue", str(request), detail, url, request.park.name))
        return rows

    return [Found("request_overdue", requests.count(), build)]


#: The data the lapse counts read: the members (their joining events are written with a save of
#: the member), their leaves and dues, their attendance and the activities attended.
LAPSE_VERSIONED = (Member, MemberLeave, DuesPayment, Attendance, Activity)


def _lapse(ctx):
    """One alert per member and ground of lapse risk (members.selectors.lapse_risk_findings: the
    grounds in SQL). Each ground is counted per organisation by one query, kept for the day per
    version of the data it reads (``LAPSE_VERSIONED``) under the organisations' ids; the findings'
    leave check (one or two queries) and the rows asked for (one more) are read when rows are."""
    organizations = [(org.pk, org.name) for org in ctx.organizations]  # by name, then pk
    version = ctx.version(*LAPSE_VERSIONED)
    made = []

    def findings():
        if not made:
            made.append(lapse_risk_findings(ctx.ids, today=ctx.today, organizations=organizations))
        return made[0]

    def found_ground(ground):
        code, message = LAPSE_ALERTS[ground]
        counted = []

        def by_organization():
            if not counted:
                key = ("alerts-lapse", ground.value, ctx.ids_key, ctx.today)
                counted.append(cached_by_version(key, lambda: findings().by_organization(ground), version=version))
            return counted[0]

        def build(start, stop):
            rows = []
            findings().remember(ground, by_organization())
            for risk in findings().risks(ground, start, stop):
                member, since = risk.member, risk.grounds[ground]
                detail = message % {"date": since.isoformat(), "month": f"{since:%Y-%m}"}
                rows.append(Alert(code, member.name, detail, member_url(ctx.user, member), member.organization.name))
            return rows

        return Found(code, lambda: sum(by_organization().values()), build)

    return [found_ground(ground) for ground in LAPSE_ALERTS]


# Each rule and the kinds it finds (a drill-down of one kind runs its rule only).
RULES = {
    _enterprise_without_branch: ("enterprise_without_branch",),
    _branch_size: ("branch_too_big", "branch_too_small"),
    _committee_needed: ("committee_needed",),
    _secretary_and_term: ("no_secretary", *TERM_ALERTS.values()),
    _inactive_branches: ("inactive_branch",),
    _pipeline_deadlines: tuple(PIPELINE_ALERTS.values()),
    _transfers_overdue: ("transfer_overdue",),
    _requests_overdue: ("request_overdue",),
    _lapse: tuple(code for code, _message in LAPSE_ALERTS.values()),
}

#: How many rows of each kind the dashboard's alerts section shows (the drill-down lists all, paged).
SECTION_ROWS = 10


def _found(ctx, rules) -> dict[str, Found]:
    results = {}
    for rule in rules:
        for result in rule(ctx):
            results[result.code] = result
    return results


def alerts_for(user, scope, *, today: datetime.date | None = None, first: int | None = None) -> list[AlertGroup]:
    """Every kind of alert in the scope that the user may see, in the order of ``KINDS``, with its
    count and its rows (all, or the first ``first``: the other rows are counted, not built); kinds
    with no alert are left out."""
    ctx = _Context(user, scope, today or timezone.localdate(), first=first, first_asked=True)
    results = _found(ctx, RULES)
    # The organisations of every row shown, loaded at once (one query, not one per kind).
    ctx.load([org for r in results.values() if r.organizations and r.count for org in r.organizations(0, first)])
    groups = []
    for code in KINDS:
        result = results.get(code)
        if result is not None and result.count:
            groups.append(AlertGroup(code, result.rows(0, first), total=result.count))
    return groups


def alerts_of_kind(user, scope, code, *, today=None, first_page: int | None = None) -> AlertRows:
    """The alerts of one kind, as a sequence that builds only the slice asked for (paged by the
    drill-down). Runs only the rule that finds this kind. ``first_page``: the size of the page
    when the first page will be shown (a rule may then count the kind in the same reading as that
    page's rows)."""
    rules = [rule for rule, codes in RULES.items() if code in codes]
    ctx = _Context(user, scope, today or timezone.localdate(), first=first_page, first_asked=first_page is not None)
    return AlertRows(_found(ctx, rules).get(code))
