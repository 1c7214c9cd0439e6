"""Reads of reports: the reports a user may see, one report, the one before it, and its runs."""

from core.querysets import STATISTICS
from parks.models import District, Park

from .building import period_of
from .models import StatReport, StatReportRun


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
    ).select_related("requested_by", "requested_by__member")[:limit]


def scope_choices(user):
    """("district:3", name) and ("park:5", name) for the districts and parks whose figures the user
    may see (the scope door's "statistics" action)."""
    districts = District.objects.visible_to(user, STATISTICS).order_by("code")
    parks = Park.objects.visible_to(user, STATISTICS).select_related("district").order_by("district__code", "name")
    choices = [(f"district:{d.pk}", str(d)) for d in districts]
    choices += [(f"park:{p.pk}", f"{p.district.name} · {p.name}") for p in parks]
    return choices
