"""Pages under /imports/: upload, the check's preview, confirmation, progress and the templates.

They parse input and call ``portal.imports``; the rules (who may import what, whose job it is,
when a file may be written) live there.
"""

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from core import downloads, importing
from core.idempotency import idempotent_form
from dataio import actions
from dataio import jobs as imports

from .models import ImportJob, ImportKind

ROWS_PER_PAGE = 100
ACTION_LABELS = {
    "error": gettext_lazy("error"),
    "new": gettext_lazy("new"),
    "update": gettext_lazy("update"),
    "unchanged": gettext_lazy("unchanged"),
}


class ImportForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Kind of data"))
    file = forms.FileField(
        label=gettext_lazy("File"),
        help_text=gettext_lazy("An Excel (.xlsx) or CSV (.csv) file with the columns of the template."),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
    )

    def __init__(self, *args, kinds, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [(kind, ImportKind(kind).label) for kind in kinds]


# What a downloaded file of each kind is called, in the reader's language (core.downloads).
FILE_TITLES = {
    ImportKind.ENTERPRISES: gettext_lazy("Enterprise directory"),
    ImportKind.ORGANIZATIONS: gettext_lazy("Party organisations"),
    ImportKind.MEMBERS: gettext_lazy("Party member roll"),
    ImportKind.ATTENDANCE: gettext_lazy("Attendance records"),
    ImportKind.DUES: gettext_lazy("Party dues ledger"),
}


def download(content: bytes, *, kind: str, suffix: str, file_format: str, ascii_suffix: str = "") -> HttpResponse:
    """A file of a kind: "党员名册-2026-11-30.xlsx" (``suffix``: the date, or the words for a
    template), with "hongfan-members-<ascii_suffix or suffix>.xlsx" as the ASCII name for old clients."""
    return downloads.download(
        content,
        filename=downloads.file_name(FILE_TITLES[kind], suffix, extension=file_format),
        fallback=f"hongfan-{kind}-{ascii_suffix or suffix}.{file_format}",
    )


def _kind_entries(kinds):
    return [{"code": kind, "label": ImportKind(kind).label} for kind in kinds]


@login_required
@idempotent_form
def import_index(request):
    """GET: the upload form, the templates, the exports and the user's recent jobs. POST: upload."""
    importable = imports.importable_kinds(request.user)
    exportable = imports.exportable_kinds(request.user)
    if not exportable:
        raise PermissionDenied
    status = 200
    form = ImportForm(kinds=importable, initial={"kind": request.GET.get("kind")})
    if request.method == "POST":
        if not importable:
            raise PermissionDenied
        form = ImportForm(request.POST, request.FILES, kinds=importable)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                job = actions.start_import(
                    user=request.user, kind=form.cleaned_data["kind"], file=upload, filename=upload.name
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                if job.status == ImportJob.Status.REFUSED:
                    form.add_error("file", job.error)
                else:
                    return redirect("import_job", pk=job.pk)
        status = 400
    context = {
        "form": form,
        "importable": _kind_entries(importable),
        "exportable": _kind_entries(exportable),
        "jobs": imports.jobs_for(request.user),
        "max_mb": round(imports.max_upload_bytes() / 1024 / 1024, 1),
    }
    return render(request, "portal/imports/index.html", context, status=status)


@login_required
@require_GET
def import_template(request, kind, file_format):
    """The template of a kind: Chinese headers, one example row with the codes of the user's scope,
    and (xlsx) a second sheet of the organisation codes and choices the columns accept."""
    if kind not in imports.importable_kinds(request.user) or file_format not in imports.FILE_FORMATS:
        raise Http404
    content = importing.template_file(kind=kind, file_format=file_format, user=request.user)
    return download(content, kind=kind, suffix=_("import template"), ascii_suffix="template", file_format=file_format)


def _job_or_404(request, pk):
    try:
        return imports.job_for(request.user, pk)
    except ImportJob.DoesNotExist:
        raise Http404 from None


@login_required
@require_GET
def import_job(request, pk):
    """A job: its progress while it runs, the preview of every row once checked, the result once
    written, the reason when refused or failed."""
    return _render_job(request, _job_or_404(request, pk))


def _render_job(request, job, *, status=200, problem=""):
    report = job.dry_run_report or {}
    action = request.GET.get("action", "")
    if action not in ACTION_LABELS:
        action = ""
    rows = imports.preview_rows(job, action=action) if job.status == ImportJob.Status.CHECKED else []
    page = Paginator(rows, ROWS_PER_PAGE).get_page(request.GET.get("page"))
    page_rows = list(page.object_list)
    columns = []
    for row in page_rows:
        for key in row.values or {}:
            if key not in columns:
                columns.append(key)
    # In the resource's column order: PostgreSQL's jsonb does not keep the stored keys' order.
    with translation.override(job.language or settings.LANGUAGE_CODE):
        order = [str(column.header) for column in importing.resource_class(job.kind).columns]
    columns.sort(key=lambda key: order.index(key) if key in order else len(order))
    # The uploader sees their own values in the cells at fault (their file, read back), not masked.
    revealed = imports.uploader_values(job, page_rows, user=request.user)
    for row in page_rows:
        row.problems = []
        at_fault = {}
        for index, (column, message) in enumerate(row.errors or []):
            problem_id = f"problem-{row.line}-{index}"
            row.problems.append({"id": problem_id, "column": column, "message": message})
            if column:
                at_fault.setdefault(column, []).append((problem_id, message))
        own = revealed.get(row.line, {})
        row.cells = []
        for key in columns:
            errors = at_fault.get(key, [])
            row.cells.append(
                {
                    "column": key,
                    "value": own[key] if errors and key in own else (row.values or {}).get(key, ""),
                    "errors": [message for _id, message in errors],
                    "ids": " ".join(problem_id for problem_id, _message in errors),
                }
            )
        row.label = ACTION_LABELS.get(row.action, row.action)
    counts = report.get("counts") or {}
    filters = [{"code": "", "label": _("all"), "count": report.get("total", 0)}] + [
        {"code": code, "label": label, "count": counts.get(code, 0)} for code, label in ACTION_LABELS.items()
    ]
    done, total = imports.job_progress(job) if job.is_running else (job.progress_done, job.progress_total)
    context = {
        "job": job,
        "report": report,
        "counts": counts,
        "filters": filters,
        "action": action,
        "page": page,
        "page_rows": page_rows,
        "columns": columns,
        "done": done,
        "total": total,
        "percent": int(100 * done / total) if total else 0,
        "problem": problem,
    }
    return render(request, "portal/imports/job.html", context, status=status)


@login_required
@require_GET
def import_job_progress(request, pk):
    """The progress bar, polled by htmx every second; once the job has moved on, the page reloads."""
    job = _job_or_404(request, pk)
    if not job.is_running:
        response = HttpResponse(status=200)
        response["HX-Redirect"] = reverse("import_job", args=[job.pk])
        return response
    done, total = imports.job_progress(job)
    context = {"job": job, "done": done, "total": total, "percent": int(100 * done / total) if total else 0}
    return render(request, "portal/imports/partials/progress.html", context)


@login_required
@require_POST
def import_confirm(request, pk):
    """Write a checked file (the second, real run)."""
    job = _job_or_404(request, pk)
    try:
        job = actions.confirm_import(job=job, user=request.user)
    except ValidationError as error:
        return _render_job(request, job, status=400, problem=" ".join(error.messages))
    return redirect("import_job", pk=job.pk)
