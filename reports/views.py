"""Statistics report pages: list, report beside the previous period, Excel, build and rebuild.

Views parse input and call ``portal.reports``; who may see or build what is decided there.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from core import downloads
from core.idempotency import idempotent_form
from core.scope import scope_for
from reports.models import ReportPeriodKind, StatReport, StatReportRun
from stats import statistics

from . import actions, building, excel, selectors

REPORTS_PER_PAGE = 30


def _may_use_reports(user) -> bool:
    scope = scope_for(user)
    return scope.superuser or scope.is_official or scope.is_park_admin


def _split_scope(value):
    kind, _sep, pk = (value or "").partition(":")
    return kind, int(pk)


class ReportFilterForm(forms.Form):
    scope = forms.ChoiceField(label=gettext_lazy("District or park"), required=False)
    period_kind = forms.ChoiceField(
        label=gettext_lazy("Period"), required=False, choices=[("", gettext_lazy("all"))] + ReportPeriodKind.choices
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["scope"].choices = [("", _("all"))] + selectors.scope_choices(user)
        for field in self.fields.values():
            field.widget.attrs["class"] = "form-select form-select-sm"


class BuildForm(forms.Form):
    scope = forms.ChoiceField(label=gettext_lazy("District or park"))
    period = forms.CharField(
        label=gettext_lazy("Period"),
        max_length=7,
        help_text=gettext_lazy("A month 2026-04, a quarter 2026-Q2 or a year 2026."),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["scope"].choices = selectors.scope_choices(user)
        self.fields["scope"].widget.attrs["class"] = "form-select form-select-sm"
        self.fields["period"].widget.attrs.update({"class": "form-control form-control-sm", "placeholder": "2026-Q2"})

    def clean_period(self):
        try:
            period = statistics.Period.parse(self.cleaned_data["period"])
        except ValueError:
            raise forms.ValidationError(_("Enter a month (2026-04), a quarter (2026-Q2) or a year (2026).")) from None
        try:
            building.check_period(period)
        except ValidationError as exc:
            raise forms.ValidationError(exc.message_dict["period"]) from None
        return period


@login_required
@require_GET
def report_list(request):
    if not _may_use_reports(request.user):
        raise PermissionDenied
    filters = ReportFilterForm(request.GET or None, user=request.user)
    status = 200
    criteria = {}
    if filters.is_bound:
        if filters.is_valid():
            criteria = filters.cleaned_data
        else:
            status = 400
    queryset = selectors.reports_visible_to(request.user, period_kind=criteria.get("period_kind") or None)
    if criteria.get("scope"):
        kind, pk = _split_scope(criteria["scope"])
        queryset = queryset.filter(**{f"{kind}_id": pk, "scope_kind": kind})
    page = Paginator(queryset, REPORTS_PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "portal/reports/report_list.html",
        {
            "page": page,
            "filters": filters,
            "query": query.urlencode(),
            "build_form": BuildForm(user=request.user),
        },
        status=status,
    )


def _after_request(request, run: StatReportRun):
    """Tell what became of a requested build: done already (no broker), failed, or queued."""
    run.refresh_from_db()
    if run.status == StatReportRun.Status.SUCCESS:
        messages.success(request, _("The report has been built."))
    elif run.status == StatReportRun.Status.FAILED:
        messages.error(request, _("Building the report failed: %(error)s") % {"error": run.error})
    else:
        messages.info(request, _("The report is queued for building; reload this page in a moment."))


@login_required
@require_POST
@idempotent_form
def report_build(request):
    if not _may_use_reports(request.user):
        raise PermissionDenied
    form = BuildForm(request.POST, user=request.user)
    if not form.is_valid():
        filters = ReportFilterForm(user=request.user)
        page = Paginator(selectors.reports_visible_to(request.user), REPORTS_PER_PAGE).get_page(1)
        return render(
            request,
            "portal/reports/report_list.html",
            {"page": page, "filters": filters, "query": "", "build_form": form},
            status=400,
        )
    kind, pk = _split_scope(form.cleaned_data["scope"])
    run = actions.request_build(scope_kind=kind, scope_id=pk, period=form.cleaned_data["period"], user=request.user)
    _after_request(request, run)
    if run.report_id:
        return redirect("reports:detail", pk=run.report_id)
    return redirect("reports:list")


def _report_or_404(request, pk):
    if not _may_use_reports(request.user):
        raise PermissionDenied
    try:
        return selectors.report_for(request.user, pk)
    except StatReport.DoesNotExist:
        raise Http404(_("No such report.")) from None


@login_required
@require_GET
def report_detail(request, pk):
    report = _report_or_404(request, pk)
    previous = selectors.previous_report(report)
    runs = list(selectors.runs_of(report))
    return render(
        request,
        "portal/reports/report_detail.html",
        {
            "report": report,
            "previous": previous,
            "sections": excel.comparison(report, previous),
            "runs": runs,
            "last_run": runs[0] if runs else None,
            "may_rebuild": building.may_build(request.user, scope_kind=report.scope_kind, scope_id=report.scope_id),
        },
    )


@login_required
@require_GET
def report_excel(request, pk):
    report = _report_or_404(request, pk)
    content = excel.report_excel(report)
    # "统计报表-<park or district>-2026-Q2.xlsx"; the ASCII name for old clients as before.
    name = downloads.file_name(_("Statistics report"), report.scope_object.name, report.period_label, extension="xlsx")
    return downloads.download(content, filename=name, fallback=excel.report_filename(report))


@login_required
@require_POST
def report_rebuild(request, pk):
    report = _report_or_404(request, pk)
    run = actions.request_build(
        scope_kind=report.scope_kind, scope_id=report.scope_id, period=building.period_of(report), user=request.user
    )
    _after_request(request, run)
    return redirect("reports:detail", pk=report.pk)
