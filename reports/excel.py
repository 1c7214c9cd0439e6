"""A report as rows for its page and as an Excel file, beside the report of the period before."""

import io
from dataclasses import dataclass
from typing import Any

from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from activities.models import Kind as ActivityKind
from members.models import Member, Stage
from parks.models import Organization
from stats import metrics, statistics

from .models import ReportPeriodKind, ReportScopeKind, StatReport
from .selectors import previous_report

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
    metric: str = ""  # the key of the named metric (stats.metrics) the figure is
    caption: str = ""  # its period and basis in this report
    definition: str = ""  # what it counts
    previous_caption: str = ""  # its period and basis in the report of the period before

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
    period = statistics.Period(kind=report.period_kind, start=report.period_start)
    built_on = timezone.localdate(report.generated_at) if report.generated_at else None
    before_period = before_built_on = None
    if previous is not None and previous.period_start:
        before_period = statistics.Period(kind=previous.period_kind, start=previous.period_start)
        before_built_on = timezone.localdate(previous.generated_at) if previous.generated_at else None

    def described(row, *path):
        """The row with its metric: key, caption (period and basis, in this report and the one
        before) and definition."""
        metric = metrics.for_path(*path)
        if metric is not None:
            row.metric = metric.key
            row.caption = str(metrics.caption(metric, period, built_on))
            row.definition = str(metric.definition)
            if before_period is not None:
                row.previous_caption = str(metrics.caption(metric, before_period, before_built_on))
        return row

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
                heading = described(Row(f"{key}.{name}", label, None, None, is_heading=True), key, name)
                rows.append(heading)
                names = choices.get((key, name), {})
                prior_sub = prior.get(name) if isinstance(prior.get(name), dict) else {}
                lines = [
                    described(
                        Row(
                            f"{key}.{name}.{code}",
                            str(names.get(code) or BREAKDOWN_LABELS.get(code, code)),
                            value[code],
                            prior_sub.get(code),
                            level=1,
                        ),
                        key,
                        name,
                        code,
                    )
                    for code in _ordered(value, list(names))
                ]
                # A breakdown's lines share one period and basis: the heading shows it once.
                captions = {(line.caption, line.previous_caption) for line in lines}
                if not heading.caption and len(captions) == 1:
                    heading.caption, heading.previous_caption = captions.pop()
                rows.extend(lines)
            else:
                row = Row(f"{key}.{name}", label, value, prior.get(name), is_rate=name in RATES)
                rows.append(described(row, key, name))
        sections.append({"key": key, "title": str(title), "sheet": sheet, "rows": rows})
    return sections


# -- Excel -------------------------------------------------------------------------------------

HEADERS = ["指标", "本期", "上期", "变化", "本期期间与口径", "上期期间与口径", "定义"]
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
    columns 指标 / 本期 / 上期 / 变化, then each line's period and basis in this report and the one
    before, and its definition (each line of a breakdown too). Headers and sheet names
    are Chinese whatever the reader's language; numbers stay numbers (rates formatted as
    percentages); text cannot become a formula.
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
                sheet.append(
                    [
                        _safe_text(row.label),
                        _cell(row.current),
                        _cell(row.previous),
                        _cell(row.change),
                        _safe_text(row.caption),
                        _safe_text(row.previous_caption if previous else "—"),
                        _safe_text(row.definition),
                    ]
                )
                if row.is_rate:
                    for cell in sheet[sheet.max_row][1:4]:
                        cell.number_format = "0.00%"
                if row.is_heading:
                    sheet.cell(sheet.max_row, 1).font = bold
                sheet.cell(sheet.max_row, 1).alignment = Alignment(indent=row.level * 2)
            sheet.column_dimensions["A"].width = 36
            for column in "BCD":
                sheet.column_dimensions[column].width = 14
            for column in "EF":
                sheet.column_dimensions[column].width = 34
            sheet.column_dimensions["G"].width = 60
            sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
