"""Statistics reports (统计报表): build, enqueue, read and export.

A report holds ``portal.statistics.figures(scope, period)`` for one district or park and one
period (month, quarter, year). The rules here:

* one report per scope and period (database constraints); building again replaces the figures and
  ``generated_at`` of the same row, so a job that runs twice (acks_late redelivery, a retry, a
  "rebuild now" next to the beat) leaves one report;
* every build is a ``StatReportRun`` created when it is requested and enqueued only after the
  transaction commits; the task records running / success / failed, the error and the duration;
* officials see and rebuild the reports of their districts and of the parks in them, park
  administrators those of their parks, superusers all; nobody else.

Tasks (``portal.tasks``) and views (``portal.views_reports``) only call the functions below.
"""

import datetime
import io
import logging
import time
import uuid
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from reports.models import ReportPeriodKind, ReportScopeKind, StatReport, StatReportRun
from stats import statistics

from .tasks import build_stat_report

logger = logging.getLogger(__name__)

REPORT_SCOPE_KINDS = (ReportScopeKind.DISTRICT, ReportScopeKind.PARK)


# -- scopes and periods ------------------------------------------------------------------------


def scope_fields(scope_kind: str, scope_id: int) -> dict:
    """The district/park foreign keys of a report or run of this scope."""
    if scope_kind == ReportScopeKind.DISTRICT:
        return {"scope_kind": scope_kind, "district_id": scope_id, "park_id": None}
    if scope_kind == ReportScopeKind.PARK:
        return {"scope_kind": scope_kind, "district_id": None, "park_id": scope_id}
    raise ValueError(f"statistics reports are per district or park, not {scope_kind!r}")


def period_of(obj):
    """The ``StatPeriod`` of a report or a run."""
    return statistics.StatPeriod(kind=obj.period_kind, start=obj.period_start)


def scope_of(obj):
    """The ``StatScope`` of a report or a run."""
    scope_id = obj.district_id if obj.scope_kind == ReportScopeKind.DISTRICT else obj.park_id
    return statistics.StatScope(kind=obj.scope_kind, id=scope_id)


def may_build(user, *, scope_kind: str, scope_id: int) -> bool:
    """Officials for their districts and the parks in them, park administrators for their parks
    (the statistics scope rule, ``StatScope.visible_to``, limited to districts and parks)."""
    if scope_kind not in REPORT_SCOPE_KINDS:
        return False
    return statistics.StatScope(kind=scope_kind, id=scope_id).visible_to(user)


# -- building ----------------------------------------------------------------------------------


def build_report(*, scope, period) -> StatReport:
    """Compute the figures of ``scope`` (a district or park ``StatScope``) for ``period`` and store
    them as the one report of that scope and period, replacing the previous figures if any.

    The figures are computed before the transaction, so that a long build holds no row lock.
    """
    fields = scope_fields(scope.kind, scope.id)
    if period.kind not in ReportPeriodKind.values:
        raise ValueError(f"unknown period kind {period.kind!r}")
    data = statistics.figures(scope, period)
    with transaction.atomic():
        report, _created = StatReport.objects.update_or_create(
            district_id=fields["district_id"],
            park_id=fields["park_id"],
            period_kind=period.kind,
            period_start=period.start,
            defaults={"scope_kind": scope.kind, "data": data, "generated_at": timezone.now()},
        )
    return report


def check_period(period, *, today: datetime.date | None = None) -> None:
    """A report is of a period that has begun: a future one would be all zeros."""
    today = today or timezone.localdate()
    if period.start > today:
        raise ValidationError({"period": _("This period has not begun yet.")})


def request_build(*, scope_kind: str, scope_id: int, period, user=None) -> StatReportRun:
    """Record a queued run and enqueue its task once the current transaction commits.

    ``user`` (the person pressing "rebuild now") must be allowed to build this scope; the beat's
    own runs pass no user. The period must have begun.
    """
    if user is not None and not may_build(user, scope_kind=scope_kind, scope_id=scope_id):
        raise PermissionDenied(_("You may not build reports of this scope."))
    check_period(period)
    with transaction.atomic():
        run = StatReportRun.objects.create(
            **scope_fields(scope_kind, scope_id),
            period_kind=period.kind,
            period_start=period.start,
            requested_by=user,
            task_id=str(uuid.uuid4()),
        )
        transaction.on_commit(lambda: _enqueue(run.pk, run.task_id))
    return run


def _enqueue(run_id: int, task_id: str) -> None:

    try:
        build_stat_report.apply_async(args=[run_id], task_id=task_id)
    except Exception as exc:  # noqa: BLE001 - the run must say why it never ran
        # Eagerly (no broker) the task has recorded its own failure already; with a broker this is
        # the broker being unreachable.
        logger.exception("could not enqueue statistics report run %s", run_id)
        StatReportRun.objects.filter(pk=run_id, status=StatReportRun.Status.QUEUED).update(
            status=StatReportRun.Status.FAILED, finished_at=timezone.now(), error=f"{type(exc).__name__}: {exc}"
        )


def request_periodic_builds(*, period_kind: str, today: datetime.date | None = None) -> list[StatReportRun]:
    """Runs for every district and park, for the period of ``period_kind`` that has just ended."""
    from parks.models import District, Park

    today = today or timezone.localdate()
    period = statistics.StatPeriod.current(period_kind, today=today).previous()
    runs = []
    with transaction.atomic():
        for district_id in District.objects.order_by("pk").values_list("pk", flat=True):
            runs.append(request_build(scope_kind=ReportScopeKind.DISTRICT, scope_id=district_id, period=period))
        for park_id in Park.objects.order_by("pk").values_list("pk", flat=True):
            runs.append(request_build(scope_kind=ReportScopeKind.PARK, scope_id=park_id, period=period))
    return runs


def execute_run(*, run_id: int, task_id: str = "") -> StatReport:
    """Build the report of a run, recording running → success or failed with error and duration.

    Re-raises the error so that the task's retry policy decides what comes next (a retry sets the
    run running again and counts the attempt).
    """
    StatReportRun.objects.filter(pk=run_id).update(
        status=StatReportRun.Status.RUNNING,
        started_at=timezone.now(),
        finished_at=None,
        error="",
        attempts=F("attempts") + 1,
        **({"task_id": task_id} if task_id else {}),
    )
    run = StatReportRun.objects.get(pk=run_id)
    began = time.monotonic()
    try:
        report = build_report(scope=scope_of(run), period=period_of(run))
    except Exception as exc:
        StatReportRun.objects.filter(pk=run_id).update(
            status=StatReportRun.Status.FAILED,
            finished_at=timezone.now(),
            duration=datetime.timedelta(seconds=time.monotonic() - began),
            error=f"{type(exc).__name__}: {exc}"[:5000],
        )
        raise
    StatReportRun.objects.filter(pk=run_id).update(
        status=StatReportRun.Status.SUCCESS,
        report=report,
        finished_at=timezone.now(),
        duration=datetime.timedelta(seconds=time.monotonic() - began),
    )
    # Runs requested before this report existed point at it now too.
    StatReportRun.objects.filter(
        report__isnull=True,
        district_id=report.district_id,
        park_id=report.park_id,
        period_kind=report.period_kind,
        period_start=report.period_start,
    ).update(report=report)
    return report


# -- reading -----------------------------------------------------------------------------------


def reports_visible_to(user, *, scope_kind: str | None = None, period_kind: str | None = None):
    """The user's reports, newest period first, optionally of one scope kind / period kind."""
    qs = StatReport.objects.visible_to(user).select_related("district", "park", "park__district")
    if scope_kind:
        qs = qs.filter(scope_kind=scope_kind)
    if period_kind:
        qs = qs.filter(period_kind=period_kind)
    return qs.defer("data").order_by("-period_start", "period_kind", "scope_kind", "district__code", "park__name")


def report_for(user, pk: int) -> StatReport:
    """One report within the user's scope (``StatReport.DoesNotExist`` otherwise)."""
    return StatReport.objects.visible_to(user).select_related("district", "park").get(pk=pk)


def previous_report(report: StatReport) -> StatReport | None:
    """The report of the same scope for the period before, if it has been built."""
    previous = period_of(report).previous()
    return StatReport.objects.filter(
        district_id=report.district_id,
        park_id=report.park_id,
        period_kind=report.period_kind,
        period_start=previous.start,
    ).first()


def runs_of(report: StatReport, *, limit: int = 20):
    """The latest runs of the report's scope and period (also those that failed before it existed)."""
    return StatReportRun.objects.filter(
        district_id=report.district_id,
        park_id=report.park_id,
        period_kind=report.period_kind,
        period_start=report.period_start,
    ).select_related("requested_by")[:limit]


# -- figures as rows ---------------------------------------------------------------------------

SECTIONS = [
    ("organizations", gettext_lazy("Party organisations"), "组织"),
    ("enterprises", gettext_lazy("Enterprises"), "企业"),
    ("members", gettext_lazy("Members"), "党员"),
    ("activities", gettext_lazy("Activities"), "活动"),
    ("services", gettext_lazy("Services"), "服务"),
]

LABELS = {
    "total": gettext_lazy("total"),
    "by_kind": gettext_lazy("by kind"),
    "by_stage": gettext_lazy("by stage"),
    "by_gender": gettext_lazy("by gender"),
    "by_age_band": gettext_lazy("by age band"),
    "by_education": gettext_lazy("by education"),
    "with_members": gettext_lazy("with members"),
    "own_organization": gettext_lazy("with their own organisation"),
    "joint_organization": gettext_lazy("covered by a joint organisation"),
    "uncovered": gettext_lazy("uncovered (blank spots)"),
    "coverage_rate": gettext_lazy("coverage rate"),
    "new": gettext_lazy("new members"),
    "transferred_in": gettext_lazy("transferred in"),
    "transferred_out": gettext_lazy("transferred out"),
    "attendance_person_times": gettext_lazy("attendance (person-times)"),
    "attendance_rate": gettext_lazy("attendance rate"),
    "volunteer_hours": gettext_lazy("volunteer hours"),
    "compliance_rate": gettext_lazy("三会一课 compliance rate"),
    "received": gettext_lazy("service requests received"),
    "resolved": gettext_lazy("service requests resolved"),
    "overdue": gettext_lazy("service requests overdue"),
    "median_days_to_resolve": gettext_lazy("median days to resolve"),
    "mean_satisfaction": gettext_lazy("mean satisfaction (1–5)"),
    "wishes_fulfilled": gettext_lazy("micro-wishes fulfilled"),
}

# The order of the figures within each section (contract A). PostgreSQL's jsonb does not keep the
# order in which keys were written, so the rows follow this, then any other key alphabetically.
FIGURE_ORDER = {
    "organizations": ["total", "by_kind"],
    "enterprises": ["total", "with_members", "own_organization", "joint_organization", "uncovered", "coverage_rate"],
    "members": [
        "total",
        "by_stage",
        "by_gender",
        "by_age_band",
        "by_education",
        "new",
        "transferred_in",
        "transferred_out",
    ],
    "activities": [
        "total",
        "by_kind",
        "attendance_person_times",
        "attendance_rate",
        "volunteer_hours",
        "compliance_rate",
    ],
    "services": ["received", "resolved", "overdue", "median_days_to_resolve", "mean_satisfaction", "wishes_fulfilled"],
}


def _ordered(keys, order) -> list:
    """``keys`` in the given order, then the others sorted."""
    keys = list(keys)
    rank = {key: index for index, key in enumerate(order)}
    return sorted(keys, key=lambda k: (rank.get(k, len(rank)), str(k)))


# Keys of breakdowns that are no choice code.
BREAKDOWN_LABELS = {"unknown": gettext_lazy("not recorded"), "": gettext_lazy("not recorded")}

# Figures that are shares (0..1): shown and formatted as percentages.
RATES = {"coverage_rate", "attendance_rate", "compliance_rate"}


def _choice_labels() -> dict:
    """Display names of the choice codes used as keys of the by_* breakdowns, per section."""
    from activities.models import Kind as ActivityKind
    from members.models import Member, Stage
    from parks.models import Organization

    return {
        ("organizations", "by_kind"): dict(Organization.Kind.choices),
        ("members", "by_stage"): dict(Stage.choices),
        ("members", "by_gender"): dict(Member.Gender.choices),
        ("members", "by_education"): dict(Member.Education.choices),
        ("activities", "by_kind"): dict(ActivityKind.choices),
        ("members", "by_age_band"): {band: band for band in statistics.AGE_BANDS},
    }


@dataclass
class Row:
    key: str  # e.g. "members.by_stage.full"
    label: str
    current: Any
    previous: Any
    is_rate: bool = False
    level: int = 0  # 1 for the lines of a breakdown
    is_heading: bool = False  # the title line of a breakdown (by kind, by stage, …)

    @property
    def change(self):
        if _is_number(self.current) and _is_number(self.previous):
            return round(self.current - self.previous, 4)
        return None

    def display(self, value) -> str:
        """A figure for the page: rates as percentages, other decimals to two places."""
        if value is None:
            return "—"
        if not _is_number(value):
            return str(value)
        if self.is_rate:
            return f"{value * 100:.1f}%"
        if isinstance(value, float) and not value.is_integer():
            return f"{value:.2f}"
        return f"{int(value)}"

    @property
    def current_display(self):
        return self.display(self.current)

    @property
    def previous_display(self):
        return self.display(self.previous)

    @property
    def change_display(self):
        change = self.change
        if change is None:
            return "—"
        if change == 0:
            return "0"
        if self.is_rate:
            # Percentage points, not a percentage of the previous rate.
            return _("%(value)s pp") % {"value": f"{change * 100:+.1f}"}
        text = self.display(change)
        return text if change <= 0 else f"+{text}"


def _is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def comparison(report: StatReport, previous: StatReport | None) -> list[dict]:
    """The report's figures as sections of rows (label, this period, previous period, change).

    Follows the keys of the figures themselves, so a figure added to the statistics module shows
    up without a change here (labelled by its key until it gets a label).
    """
    choices = _choice_labels()
    before = previous.data if previous else {}
    sections = []
    known = {key for key, _label, _sheet in SECTIONS}
    extra = [
        (key, key, key[:31]) for key in sorted(report.data) if key not in known and isinstance(report.data[key], dict)
    ]
    extra = [item for item in extra if item[0] not in ("scope", "period")]
    for key, title, sheet in SECTIONS + extra:
        current = report.data.get(key)
        if not isinstance(current, dict):
            continue
        prior = before.get(key) if isinstance(before.get(key), dict) else {}
        rows = []
        for name in _ordered(current, FIGURE_ORDER.get(key, [])):
            value = current[name]
            label = str(LABELS.get(name, name))
            if isinstance(value, dict):
                rows.append(Row(f"{key}.{name}", label, None, None, is_heading=True))
                names = choices.get((key, name), {})
                prior_sub = prior.get(name) if isinstance(prior.get(name), dict) else {}
                for code in _ordered(value, list(names)):
                    rows.append(
                        Row(
                            f"{key}.{name}.{code}",
                            str(names.get(code) or BREAKDOWN_LABELS.get(code, code)),
                            value[code],
                            prior_sub.get(code),
                            level=1,
                        )
                    )
            else:
                rows.append(Row(f"{key}.{name}", label, value, prior.get(name), is_rate=name in RATES))
        sections.append({"key": key, "title": str(title), "sheet": sheet, "rows": rows})
    return sections


# -- Excel -------------------------------------------------------------------------------------

HEADERS = ["指标", "本期", "上期", "变化"]
INFO_SHEET = "报表信息"
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n")


def _safe_text(value: str) -> str:
    """Text that a spreadsheet will not run as a formula (OWASP CSV injection)."""
    value = str(value)
    return "'" + value if value.startswith(_FORMULA_PREFIXES) else value


def _cell(value):
    if _is_number(value):
        return value
    if value is None:
        return None
    return _safe_text(value)


def report_filename(report: StatReport) -> str:
    return f"statistics-{report.scope_kind}-{report.scope_id}-{report.period_label}.xlsx"


def report_excel(report: StatReport, previous: StatReport | None = None) -> bytes:
    """The report as an .xlsx workbook: an information sheet, then one sheet per section with the
    columns 指标 / 本期 / 上期 / 变化. Headers and sheet names are Chinese whatever the reader's
    language; numbers stay numbers (rates formatted as percentages); text cannot become a formula.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    if previous is None:
        previous = previous_report(report)
    bold = Font(bold=True)
    with translation.override("zh-hans"):
        workbook = Workbook()
        info = workbook.active
        info.title = INFO_SHEET
        scope = report.data.get("scope", {}) if isinstance(report.data, dict) else {}
        info_rows = [
            ("范围", scope.get("name") or str(report.scope_object)),
            ("范围类型", str(ReportScopeKind(report.scope_kind).label)),
            ("统计期", report.period_label),
            ("期间类型", str(ReportPeriodKind(report.period_kind).label)),
            ("上期", previous.period_label if previous else "—"),
            ("生成时间", timezone.localtime(report.generated_at).strftime("%Y-%m-%d %H:%M")),
        ]
        info.append(["项目", "内容"])
        for label, value in info_rows:
            info.append([label, _safe_text(value)])
        for cell in info[1]:
            cell.font = bold
        info.column_dimensions["A"].width = 14
        info.column_dimensions["B"].width = 40

        for section in comparison(report, previous):
            sheet = workbook.create_sheet(section["sheet"])
            sheet.append(HEADERS)
            for cell in sheet[1]:
                cell.font = bold
            for row in section["rows"]:
                sheet.append([_safe_text(row.label), _cell(row.current), _cell(row.previous), _cell(row.change)])
                if row.is_rate:
                    for cell in sheet[sheet.max_row][1:]:
                        cell.number_format = "0.00%"
                if row.is_heading:
                    sheet.cell(sheet.max_row, 1).font = bold
                sheet.cell(sheet.max_row, 1).alignment = Alignment(indent=row.level * 2)
            sheet.column_dimensions["A"].width = 36
            for column in "BCD":
                sheet.column_dimensions[column].width = 14
            sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
