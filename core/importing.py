"""The import engine and exports (DESIGN §8), over the resources the domain apps register.

- ``run_import`` checks every row and writes the whole file in one transaction, or nothing: any
  row with an error rolls everything back and every bad row is reported. Look-ups are loaded once
  per file and rows are written in bulk, chunk by chunk, so queries and memory do not grow with the
  rows (bench/import_at_scale.py). The file itself is read by ``core.tabular``.
- ``export_dataset`` writes only rows ``visible_to(user)``, masks ID numbers and phones unless the
  user may see them, and quotes every text cell a spreadsheet would run as a formula.

The columns of each kind are in the resources (parks/, members/, activities/ ``resources.py``),
registered here by their apps (``register``); docs/import-export.md lists them. The import jobs,
pages and exports that use this engine are the dataio app's; the back office's import is
``core.admin_import``.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .crypto import digest_once
from .resources import HEADER_LANGUAGE, in_language
from .scope import scope_for
from .tabular import ImportRefused, iter_table, non_empty, read_bytes, write_table
from .validators import same_day

CHUNK_ROWS = 1000  # rows parsed, validated and written together
PROGRESS_EVERY = 500


@dataclass
class RowResult:
    line: int
    action: str  # "new" | "update" | "unchanged" | "error"
    errors: list = field(default_factory=list)  # [(column header, message)]
    values: dict = field(default_factory=dict)  # column header -> display value (ID numbers masked)


@dataclass
class ImportReport:
    kind: str
    total: int = 0
    counts: dict = field(default_factory=lambda: {"new": 0, "update": 0, "unchanged": 0, "error": 0})
    rows: list = field(default_factory=list)
    committed: bool = False

    @property
    def has_errors(self) -> bool:
        return bool(self.counts.get("error"))


# --- the kinds: each domain app registers its resources (``AppConfig.ready``) ------------------

RESOURCES: dict[str, type] = {}


def register(resource: type) -> None:
    """Make ``resource`` (an ``ImportResource`` with a ``kind``) the importer and exporter of its kind."""
    if not resource.kind:
        raise ValueError(f"{resource.__name__} has no kind")
    RESOURCES[resource.kind] = resource


def kinds() -> list[str]:
    """The registered kinds, in the order the apps registered them."""
    return list(RESOURCES)


def resource_class(kind: str):
    try:
        return RESOURCES[kind]
    except KeyError:
        raise ImportRefused(_("Unknown kind of import: %(kind)s.") % {"kind": kind}) from None


def importable_kinds(user) -> list[str]:
    """The kinds ``user`` may import: park administrators (and superusers) all of them for their
    parks; branch secretaries those whose resource says ``secretary_may_import`` (members,
    attendance, dues) for their organisations; nobody else."""
    scope = scope_for(user)
    if scope.superuser or scope.is_park_admin:
        return kinds()
    if scope.is_secretary:
        return [kind for kind, resource in RESOURCES.items() if resource.secretary_may_import]
    return []


def exportable_kinds(user) -> list[str]:
    """The kinds ``user`` may export: what they may import, and district officials every kind of
    their districts (read-only). The rows themselves are always those ``visible_to(user)``."""
    if scope_for(user).is_official:
        return kinds()
    return importable_kinds(user)


class _Rollback(Exception):
    pass


def run_import(
    *,
    kind,
    user,
    file,
    filename,
    dry_run: bool,
    progress=None,
    keep_rows: int | None = None,
    on_rows: Callable[[list[RowResult]], None] | None = None,
):
    """Check every row of the file and, unless ``dry_run`` or any row has an error, write them all
    in one transaction. Returns an ``ImportReport``; raises ``ImportRefused`` for a refused file.

    ``progress(done, total)`` is called every few hundred rows. ``keep_rows`` caps the non-error
    rows kept in the report (errors are always all kept); None keeps them all.

    ``on_rows(results)``, when given, receives each chunk's ``RowResult`` list (in file order) once
    the chunk is checked, and the report then keeps only the first ``keep_rows`` rows of any result
    (none for None or 0), so that memory stays flat however long the file. In a dry run every chunk
    is checked in its own savepoint, rolled back before ``on_rows`` is called, and there is no
    transaction around the whole file: what ``on_rows`` writes stays (the caller's transaction, if
    any, decides). In a write run ``on_rows`` is called inside the run's transaction, so what it
    writes is rolled back with the rows when the run writes nothing. Errors found only when the
    file is written (``finish``) are appended to ``report.rows``, not passed to ``on_rows``.
    """
    resource = resource_class(kind)(user=user)
    data = read_bytes(file)
    estimate, rows = iter_table(data=data, filename=filename)
    return import_rows(
        resource=resource,
        kind=kind,
        rows=non_empty(rows),
        estimate=estimate,
        dry_run=dry_run,
        progress=progress,
        keep_rows=keep_rows,
        on_rows=on_rows,
    )


def import_rows(
    *, resource, kind, rows, estimate=None, dry_run, progress=None, keep_rows=None, on_rows=None
) -> ImportReport:
    """The engine behind ``run_import`` and the admin's import: ``rows`` yields (line, cells), the
    header row first. ``on_rows``: see ``run_import``."""
    report = ImportReport(kind=kind)
    try:
        _line, headers = next(rows)
    except StopIteration:
        raise ImportRefused(_("The file has no header row.")) from None
    matched = resource.match_headers(headers)
    total_estimate = estimate or 0

    def flush_progress(done):
        if progress is not None:
            progress(done, max(total_estimate, done))

    seen_keys = {}
    # A dry run with a sink: each chunk rolled back on its own, the sink's writes outside it.
    per_chunk = dry_run and on_rows is not None

    def process(chunk):
        if per_chunk:
            with transaction.atomic():
                results = _process_chunk(resource, chunk, report, seen_keys, dry_run, keep_rows, on_rows)
                transaction.set_rollback(True)
        else:
            results = _process_chunk(resource, chunk, report, seen_keys, dry_run, keep_rows, on_rows)
        if on_rows is not None:
            on_rows(results)

    try:
        with nullcontext() if per_chunk else transaction.atomic():
            chunk = []
            for line, cells in rows:
                chunk.append(resource.parse_row(line, cells, matched))
                if len(chunk) >= CHUNK_ROWS:
                    process(chunk)
                    chunk = []
                    flush_progress(report.total)
                elif progress is not None and report.total and len(chunk) % PROGRESS_EVERY == 0:
                    flush_progress(report.total + len(chunk))
            if chunk:
                process(chunk)
            total_estimate = report.total
            flush_progress(report.total)
            if dry_run or report.has_errors:
                raise _Rollback
            late_errors = resource.finish()
            if late_errors:
                _mark_late_errors(report, late_errors)
                raise _Rollback
            report.committed = True
    except _Rollback:
        report.committed = False
    if report.total == 0:
        raise ImportRefused(_("The file has a header row but no data rows."))
    return report


def _mark_late_errors(report, late_errors: dict) -> None:
    """Errors found by the actions at write time (``resource.finish``): line → [(column, message)]."""
    for row in report.rows:
        errors = late_errors.pop(row.line, None)
        if errors:
            report.counts[row.action] -= 1
            row.action = "error"
            row.errors = list(row.errors) + list(errors)
            report.counts["error"] = report.counts.get("error", 0) + 1
    for line, errors in sorted(late_errors.items()):  # rows not kept in a capped report
        report.rows.append(RowResult(line=line, action="error", errors=list(errors)))
        report.counts["error"] = report.counts.get("error", 0) + 1


# What a row whose cells already failed may raise when it is built and validated anyway.
_PARTIAL_ROW_ERRORS = (ValidationError, TypeError, ValueError, AttributeError, KeyError, LookupError)


def _check_whole_row(resource, row, *, instance=None) -> None:
    """A row with an error is still built (unless ``instance`` was) and validated, on an instance
    that is never written, so that every problem of the row is reported at once (issue #15), not
    only the first one found.

    A column whose cell failed already is not reported again (its value is missing, so the model
    would only add "required"); the same message for the same column is kept once."""
    failed = {header for header, _message in row.errors if header}
    before = len(row.errors)
    try:
        if instance is None:
            instance, _action = resource.build(row)
        if instance is not None:
            resource.validate(instance, row)
    except _PARTIAL_ROW_ERRORS:
        pass  # a value the resource needed was missing: what it found until then stands
    seen, kept = set(), []
    for index, (header, message) in enumerate(row.errors):
        pair = (str(header or ""), str(message))
        if pair in seen or (index >= before and header and header in failed):
            continue
        seen.add(pair)
        kept.append((header, message))
    row.errors[:] = kept


def _process_chunk(resource, chunk, report, seen_keys, dry_run, keep_rows, on_rows=None) -> list[RowResult]:
    """Check (and unless ``dry_run`` write) one chunk; its RowResults, in file order. The chunk's
    rows are checked against one "today" (``core.validators.same_day``), and each ID number is
    parsed and digested once (``same_day``, ``core.crypto.digest_once``)."""
    with same_day(), digest_once():
        return _check_and_write_chunk(resource, chunk, report, seen_keys, dry_run, keep_rows, on_rows)


def _check_and_write_chunk(resource, chunk, report, seen_keys, dry_run, keep_rows, on_rows) -> list[RowResult]:
    resource.prepare(chunk)
    results = []
    new, changed, ok = [], [], True
    for row in chunk:
        instance, action = None, None
        key = resource.key_of(row)
        if key is not None:
            if key in seen_keys:
                row.errors.append(("", gettext("Duplicate of line %(line)s in this file.") % {"line": seen_keys[key]}))
            else:
                seen_keys[key] = row.line
        if row.errors:
            _check_whole_row(resource, row)
        else:
            instance, action = resource.build(row)
            if instance is not None and row.errors:
                _check_whole_row(resource, row, instance=instance)
            elif instance is not None:
                resource.validate(instance, row)
        if row.errors:
            action = "error"
            ok = False
        elif action == "new":
            new.append(instance)
        elif action == "update":
            changed.append(instance)
        report.total += 1
        report.counts[action] = report.counts.get(action, 0) + 1
        result = RowResult(line=row.line, action=action, errors=row.errors, values=row.display)
        if on_rows is not None:
            results.append(result)
            if keep_rows and len(report.rows) < keep_rows:
                report.rows.append(result)
        elif action == "error" or keep_rows is None or len(report.rows) < keep_rows:
            report.rows.append(result)
    if ok and not dry_run and not report.has_errors:
        resource.write(new, changed)
    resource.after_chunk(chunk, new, changed)
    return results


# --- exporting ------------------------------------------------------------------------------------


def export_dataset(*, kind, user, queryset=None, file_format="xlsx") -> bytes:
    """The rows of ``kind`` the user may see (optionally within ``queryset``), as xlsx or CSV bytes.
    ID numbers and phones are masked unless the user may see them; formula-like text is quoted."""
    resource = resource_class(kind)(user=user)
    headers = resource.export_headers()
    return write_table(headers, resource.export_rows(queryset), file_format, sheet_title=_sheet_title(resource))


def template_file(*, kind, file_format="xlsx", user=None) -> bytes:
    """A sheet with the Chinese headers and one example row, its organisation codes those of
    ``user``'s scope. An xlsx has a second sheet of the values the columns accept: the codes and
    names of the organisations of the user's scope, and the choices of each choice column (the
    import reads only the first sheet)."""
    resource = resource_class(kind)(user=user)
    codes = resource.scope_organization_codes() if user is not None else None
    extra = []
    if file_format == "xlsx":
        headers, rows = resource.reference_sheet(codes)
        if headers:
            extra.append((in_language(_("valid values"), HEADER_LANGUAGE)[:31], headers, rows))
    return write_table(
        resource.export_headers(),
        [resource.example_row(codes)],
        file_format,
        sheet_title=_sheet_title(resource),
        extra_sheets=extra,
    )


def _sheet_title(resource) -> str:
    return in_language(resource._meta.model._meta.verbose_name_plural, HEADER_LANGUAGE)[:31]
