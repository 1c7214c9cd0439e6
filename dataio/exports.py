"""Downloads of enterprises, organisations, members, attendance and dues as xlsx or csv.

GET /imports/export/<kind>/?format=xlsx|csv[&org=<id>][&activity=<id>][&period=2026-04]: the
rows of ``visible_to(user)``, narrowed by the parameters (an organisation or activity outside the
scope is an invalid choice: 400), masked ID numbers unless the user may see them, formula-safe
cells (the resources' ``export_cell``), written row by row as the response is sent
(``core.streaming``): the CSV starts at once, memory stays flat for both formats.

An export of more than ``HONGFAN_EXPORT_SYNC_ROWS`` rows is not sent in the request: the page
says so and offers a button (a POST to the same address, idempotent) that starts an ``ExportJob``
(``dataio.export_jobs``); its page shows the progress and then the download link.
"""

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods

from activities.models import Activity
from activities.selectors import parse_period
from core import downloads, streaming
from core.idempotency import idempotent_form
from dataio import export_jobs
from dataio import jobs as imports
from dataio.views import FILE_TITLES
from parks.models import Organization


class ExportForm(forms.Form):
    format = forms.ChoiceField(choices=[("xlsx", "xlsx"), ("csv", "csv")], required=False)
    org = forms.ModelChoiceField(queryset=None, required=False, label=_("organisation"))
    activity = forms.ModelChoiceField(queryset=None, required=False, label=_("activity"))
    period = forms.CharField(required=False, max_length=7, label=_("period"))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org"].queryset = Organization.objects.visible_to(user)
        self.fields["activity"].queryset = Activity.objects.visible_to(user)

    def clean_period(self):
        value = self.cleaned_data["period"].strip()
        if value and parse_period(value) is None:
            raise ValidationError(_("Give a year (2026), a quarter (2026-Q2) or a month (2026-04)."))
        return value


def _file_name(kind, file_format, stamp) -> dict:
    """The download's names (``core.downloads``): "党员名册-2026-11-30.xlsx", ASCII fallback."""
    return {
        "filename": downloads.file_name(FILE_TITLES[kind], stamp, extension=file_format),
        "fallback": f"hongfan-{kind}-{stamp}.{file_format}",
    }


@login_required
@require_http_methods(["GET", "POST"])
@idempotent_form
def export(request, kind):
    """GET: the file, streamed; or, above ``HONGFAN_EXPORT_SYNC_ROWS`` rows, a page offering to
    prepare it in the background. POST (that page's button): start the export job."""
    if kind not in imports.exportable_kinds(request.user):
        raise Http404
    form = ExportForm(request.POST if request.method == "POST" else request.GET, user=request.user)
    if not form.is_valid():
        return HttpResponse(form.errors.as_json(), status=400, content_type="application/json; charset=utf-8")
    file_format = form.cleaned_data["format"] or "xlsx"
    queryset = imports.export_queryset(
        kind=kind,
        user=request.user,
        organization=form.cleaned_data["org"],
        activity=form.cleaned_data["activity"],
        period=form.cleaned_data["period"],
    )
    source = streaming.ExportSource(kind=kind, user=request.user, queryset=queryset)
    total = source.count()
    params = export_jobs.params_of(form.cleaned_data)
    if request.method == "POST":
        job = export_jobs.start_export(
            user=request.user, kind=kind, file_format=file_format, params=params, total=total
        )
        return redirect("export_job", pk=job.pk)
    if total > export_jobs.sync_rows():
        context = {
            "kind": kind,
            "title": FILE_TITLES[kind],
            "file_format": file_format,
            "params": {key: value for key, value in params.items() if value},
            "total": total,
            "limit": export_jobs.sync_rows(),
        }
        return render(request, "portal/exports/large.html", context)
    chunks = streaming.chunks(source.headers, source.rows(), file_format, sheet_title=source.sheet_title)
    return downloads.streaming_download(chunks, **_file_name(kind, file_format, timezone.localdate().isoformat()))


def _job_or_404(request, pk):
    try:
        return export_jobs.job_for(request.user, pk)
    except export_jobs.ExportJob.DoesNotExist:
        raise Http404 from None


def _job_context(job):
    done, total = export_jobs.job_progress(job)
    return {
        "job": job,
        "title": FILE_TITLES[job.kind],
        "done": done,
        "total": total,
        "percent": min(100, int(100 * done / total)) if total else (100 if job.status == "done" else 0),
        "keep_hours": f"{export_jobs.keep_hours():g}",
    }


@login_required
@require_GET
def export_job(request, pk):
    """A large export: its progress while it is written, then the download link."""
    return render(request, "portal/exports/job.html", _job_context(_job_or_404(request, pk)))


@login_required
@require_GET
def export_job_progress(request, pk):
    """The progress bar, polled by htmx every second; once the job has finished, the page reloads."""
    job = _job_or_404(request, pk)
    if not job.is_running:
        response = HttpResponse(status=200)
        response["HX-Redirect"] = reverse("export_job", args=[job.pk])
        return response
    return render(request, "portal/exports/partials/progress.html", _job_context(job))


@login_required
@require_GET
def export_job_download(request, pk):
    """The job's file, for its owner only (anyone else: 404), while it is kept."""
    job = _job_or_404(request, pk)
    if job.status != job.Status.DONE or not job.file:
        raise Http404
    handle = job.file.open("rb")
    stamp = timezone.localtime(job.finished_at or job.created_at).date().isoformat()
    response = downloads.streaming_download(_closing_chunks(handle), **_file_name(job.kind, job.file_format, stamp))
    return response


def _closing_chunks(handle):
    try:
        yield from streaming.file_chunks(handle)
    finally:
        handle.close()
