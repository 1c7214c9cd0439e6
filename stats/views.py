"""Dashboard pages: parse the scope and period, call stats.dashboards / stats.alerts, render."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from members.actions import may_act_for
from stats import alerts, dashboards, warming

ROWS_PER_PAGE = 50


def _scope_and_period(request, kind, pk):
    """(scope, period, error): 403 for roles without dashboards, 404 outside the user's scope; a
    bad ``?period=`` gives the current month and an error shown with status 400."""
    if not dashboards.may_use_dashboards(request.user):
        raise PermissionDenied
    scope = dashboards.resolve_scope(request.user, kind, pk)
    if scope is None:
        raise Http404(_("No such dashboard."))
    try:
        return scope, dashboards.parse_period(request.GET.get("period")), None
    except ValueError:
        error = _("Unknown period %(value)s: use 2026-04, 2026-Q2 or 2026.") % {"value": request.GET.get("period")}
        return scope, dashboards.parse_period(""), error


@login_required
@require_GET
def dashboard_home(request):
    url = dashboards.own_dashboard_url(request.user) if dashboards.may_use_dashboards(request.user) else None
    if url is None:
        raise PermissionDenied
    return redirect(url)


@login_required
@require_GET
def dashboard(request, kind, pk):
    scope, period, error = _scope_and_period(request, kind, pk)
    context = dashboards.dashboard(request.user, scope, period)
    warming.viewed(request.user, scope, period)  # refilled after the next write (stats.warming)
    context["period_error"] = error
    # The charts link to the drill-down: FIGURE is replaced by the figure's name in dashboard.js.
    context["charts"]["rows_base"] = reverse("dashboard_rows", args=[scope.kind, scope.id, "FIGURE"])
    context["charts"]["rows_url"] = context["charts"]["rows_base"] + f"?period={period.label}"
    return render(request, "portal/dashboard.html", context, status=400 if error else 200)


@login_required
@require_GET
def dashboard_compliance(request, kind, pk):
    """The heatmap and the parks or branches, a fragment loaded by htmx after the page."""
    scope, period, _error = _scope_and_period(request, kind, pk)
    context = dashboards.compliance_section(request.user, scope, period)
    context["period_label"] = period.label
    return render(request, "portal/partials/dashboard_compliance.html", context)


@login_required
@require_GET
def dashboard_alerts(request, kind, pk):
    """The alerts list, a fragment loaded by htmx after the page (it is the slowest part)."""
    scope, period, _error = _scope_and_period(request, kind, pk)
    return render(
        request,
        "portal/partials/dashboard_alerts.html",
        {"groups": alerts.alerts_for(request.user, scope, first=alerts.SECTION_ROWS), "scope": scope, "period": period},
    )


@login_required
@require_GET
def dashboard_rows(request, kind, pk, figure):
    scope, period, error = _scope_and_period(request, kind, pk)
    number = request.GET.get("page")
    first_page = ROWS_PER_PAGE if number in (None, "", "1") else None  # a rule may count with the first page
    try:
        spec, rows = dashboards.drilldown(request.user, scope, period, figure, first_page=first_page)
    except KeyError:
        raise Http404(_("No such figure.")) from None
    page = Paginator(rows, ROWS_PER_PAGE).get_page(number)
    summary = dashboards.rows_summary(spec, rows, period)
    context = {
        "scope": scope,
        "scope_name": scope.name(),
        "period": period,
        "figure": figure,
        "spec": spec,
        "page": page,
        "period_error": error,
        "links": _row_links(request.user, spec.kind, page.object_list),
        "summary": summary,
    }
    return render(request, "portal/dashboard_rows.html", context, status=400 if error else 200)


def _row_links(user, kind, rows):
    """One link per row (or None), to the row's existing page where the user may open it."""

    links = []
    for row in rows:
        if kind == "members":
            url = reverse("members:member_lifecycle", args=[row.pk]) if may_act_for(user, row.organization) else None
        elif kind == "organizations":
            url = alerts.organization_url(user, row)
        elif kind == "activities":
            url = reverse("activities:detail", args=[row.pk])
        elif kind == "attendances":
            url = reverse("activities:detail", args=[row.activity_id])
        elif kind == "cells":
            url = alerts.organization_url(user, row.organization)
        elif kind == "requests":
            url = reverse("services:request_detail", args=[row.pk])
        elif kind == "transfers":
            url = reverse("members:transfer_detail", args=[row.pk])
        elif kind == "alerts":
            url = row.url
        else:
            url = None
        links.append((row, url))
    return links
