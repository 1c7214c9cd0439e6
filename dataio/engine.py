"""Spreadsheets in and out (DESIGN §8): the import engine, exports and templates.

- ``read_table`` reads an xlsx (openpyxl in read-only mode, with defusedxml refusing entity
  expansion) or a CSV (UTF-8 with or without BOM, or GBK as Excel in China saves it), after
  checking the file's size, the zip's central directory (a zip bomb is refused before anything is
  decompressed) and the number of rows (counted while streaming, never loaded whole).
- ``run_import`` checks every row and writes the whole file in one transaction, or nothing: any
  row with an error rolls everything back and every bad row is reported. Look-ups are loaded once
  per file and rows are written in bulk, chunk by chunk, so queries and memory do not grow with the
  rows (bench/import_at_scale.py).
- ``export_dataset`` writes only rows ``visible_to(user)``, masks ID numbers and phones unless the
  user may see them, and quotes every text cell a spreadsheet would run as a formula.

The columns of each kind are in the resources (parks/, members/, activities/ ``resources.py``);
docs/import-export.md lists them.
"""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field

import tablib
from django.conf import settings
from django.db import transaction
from django.utils.encoding import force_str
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

KINDS = {"enterprises", "organizations", "members", "attendance", "dues"}

MAX_FILE_BYTES = getattr(settings, "HONGFAN_IMPORT_MAX_BYTES", 20 * 1024 * 1024)
CHUNK_ROWS = 1000  # rows parsed, validated and written together
PROGRESS_EVERY = 500
# An xlsx is a zip of XML: its parts may not inflate past this, nor any part by more than RATIO.
MAX_UNCOMPRESSED_BYTES = 500 * 1024 * 1024
MAX_COMPRESSION_RATIO = 200
MAX_ZIP_ENTRIES = 500


def max_bytes() -> int:
    return getattr(settings, "HONGFAN_IMPORT_MAX_BYTES", MAX_FILE_BYTES)


def max_rows() -> int:
    return getattr(settings, "HONGFAN_IMPORT_MAX_ROWS", 200_000)


class ImportRefused(Exception):
    """The whole file is refused (size, zip bomb, not a spreadsheet, columns, too many rows)."""

    def __init__(self, message):
        super().__init__(force_str(message))
        self.message = message

    def __str__(self):
        return force_str(self.message)


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


def resource_class(kind: str):
    if kind not in KINDS:
        raise ImportRefused(_("Unknown kind of import: %(kind)s.") % {"kind": kind})
    if kind == "enterprises":
        from parks.resources import EnterpriseResource

        return EnterpriseResource
    if kind == "organizations":
        from parks.resources import OrganizationResource

        return OrganizationResource
    if kind == "members":
        from members.resources import MemberResource

        return MemberResource
    if kind == "dues":
        from members.resources import DuesPaymentResource

        return DuesPaymentResource
    from activities.resources import AttendanceResource

    return AttendanceResource


# --- reading --------------------------------------------------------------------------------------


def _read_bytes(file) -> bytes:
    """The upload's bytes, refused past the size cap without reading further."""
    limit = max_bytes()
    if isinstance(file, (bytes, bytearray)):
        data = bytes(file)
    else:
        size = getattr(file, "size", None)
        if size is not None and size > limit:
            raise _too_big(limit)
        if hasattr(file, "seek"):
            try:
                file.seek(0)
            except (OSError, ValueError):
                pass
        data = file.read(limit + 1)
    if len(data) > limit:
        raise _too_big(limit)
    if not data:
        raise ImportRefused(_("The file is empty."))
    return data


def _too_big(limit):
    return ImportRefused(
        _("The file is larger than %(size)s MB. Split it into smaller files.") % {"size": limit // (1024 * 1024)}
    )


def _check_zip(data: bytes) -> None:
    """Refuse a zip bomb from the central directory, before anything is decompressed."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise ImportRefused(_("The file is not a valid Excel workbook (.xlsx).")) from None
    entries = archive.infolist()
    if len(entries) > MAX_ZIP_ENTRIES:
        raise ImportRefused(_("The workbook has too many parts to be a spreadsheet."))
    total = 0
    for entry in entries:
        total += entry.file_size
        ratio = entry.file_size / max(entry.compress_size, 1)
        if total > MAX_UNCOMPRESSED_BYTES or (entry.file_size > 1024 * 1024 and ratio > MAX_COMPRESSION_RATIO):
            raise ImportRefused(_("The workbook would expand to far more than its size (a “zip bomb”); it is refused."))
    names = {entry.filename for entry in entries}
    if "[Content_Types].xml" not in names or not any(name.startswith("xl/") for name in names):
        raise ImportRefused(_("The file is not a valid Excel workbook (.xlsx)."))


def _too_many_rows(limit):
    return ImportRefused(
        _("The sheet has more than %(rows)s rows. Split it into smaller files.") % {"rows": f"{limit:,}"}
    )


def _iter_xlsx(data: bytes):
    """(total estimate, iterator of row tuples) of the first sheet, streamed."""
    import openpyxl

    _check_zip(data)
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        sheet = workbook.worksheets[0]
        # The dimension the sheet declares: refuse a declared million rows before reading any.
        declared = sheet.max_row if sheet.max_row else None
    except ImportRefused:
        raise
    except Exception as exc:  # noqa: BLE001 - openpyxl raises anything on a damaged or hostile file
        raise _unreadable(exc) from None
    limit = max_rows()
    if declared and declared > limit + 1:
        workbook.close()
        raise _too_many_rows(limit)

    def rows():
        try:
            yield from sheet.iter_rows(values_only=True)
        except ImportRefused:
            raise
        except Exception as exc:  # noqa: BLE001
            raise _unreadable(exc) from None
        finally:
            workbook.close()

    return (declared - 1 if declared else None), rows()


def _unreadable(exc):
    name = type(exc).__name__
    if "Entities" in name or "DTD" in name or "External" in name:
        return ImportRefused(_("The workbook contains XML entity declarations, which are refused."))
    return ImportRefused(_("The file could not be read as an Excel workbook (.xlsx)."))


def decode_text(data: bytes) -> str:
    """UTF-8 (with or without BOM), else GBK/GB18030 as Excel in China saves CSV."""
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8) :].decode("utf-8")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")  # a superset of GBK
    except UnicodeDecodeError:
        raise ImportRefused(_("The CSV file is neither UTF-8 nor GBK text.")) from None


def _iter_csv(data: bytes):
    if data[:4] == b"PK\x03\x04":
        raise ImportRefused(_("The file is an Excel workbook; upload it with the .xlsx extension."))
    if b"\x00" in data[:4096]:
        raise ImportRefused(_("The file is not a CSV text file."))
    text = decode_text(data)
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    lines = text.count("\n")
    if lines > max_rows() + 2:
        raise _too_many_rows(max_rows())
    reader = csv.reader(io.StringIO(text), dialect)
    return lines, reader


def iter_table(*, data: bytes, filename: str):
    """(estimated row count, iterator of cell tuples, header first) of an xlsx or CSV file."""
    name = (filename or "").lower()
    if name.endswith(".xlsx") or name.endswith(".xlsm"):
        if data[:4] != b"PK\x03\x04":
            raise ImportRefused(_("The file is not a valid Excel workbook (.xlsx)."))
        return _iter_xlsx(data)
    if name.endswith(".csv") or name.endswith(".txt"):
        return _iter_csv(data)
    if name.endswith(".xls"):
        raise ImportRefused(_("Old Excel files (.xls) are not read; save the file as .xlsx."))
    raise ImportRefused(_("Upload an Excel workbook (.xlsx) or a CSV file."))


def _non_empty(rows):
    """(line number, cells) of the rows that have any content; line numbers as the file shows them."""
    limit = max_rows()
    count = 0
    for line, cells in enumerate(rows, start=1):
        if not cells or all(cell is None or (isinstance(cell, str) and not cell.strip()) for cell in cells):
            continue
        count += 1
        if count > limit + 1:  # + the header
            raise _too_many_rows(limit)
        yield line, cells


def read_table(*, file, filename) -> tablib.Dataset:
    """The file as a Dataset (header row as headers). Refuses hostile files (``ImportRefused``)."""
    data = _read_bytes(file)
    _estimate, rows = iter_table(data=data, filename=filename)
    iterator = _non_empty(rows)
    try:
        _line, headers = next(iterator)
    except StopIteration:
        raise ImportRefused(_("The file has no header row.")) from None
    headers = [force_str(h).strip() if h is not None else "" for h in headers]
    dataset = tablib.Dataset(headers=headers)
    for _line, cells in iterator:
        cells = list(cells)[: len(headers)]
        cells += [None] * (len(headers) - len(cells))
        dataset.append(cells)
    return dataset


# --- importing ------------------------------------------------------------------------------------


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
    data = _read_bytes(file)
    estimate, rows = iter_table(data=data, filename=filename)
    return import_rows(
        resource=resource,
        kind=kind,
        rows=_non_empty(rows),
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


def _process_chunk(resource, chunk, report, seen_keys, dry_run, keep_rows, on_rows=None) -> list[RowResult]:
    """Check (and unless ``dry_run`` write) one chunk; its RowResults, in file order."""
    resource.prepare(chunk)
    results = []
    new, changed, ok = [], [], True
    for row in chunk:
        instance, action = None, None
        key = resource.key_of(row)
        if key is not None and not row.errors:
            if key in seen_keys:
                row.errors.append(("", gettext("Duplicate of line %(line)s in this file.") % {"line": seen_keys[key]}))
            else:
                seen_keys[key] = row.line
        if not row.errors:
            instance, action = resource.build(row)
        if instance is not None and not row.errors:
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
    return _write(headers, resource.export_rows(queryset), file_format, sheet_title=_sheet_title(resource))


def template_file(*, kind, file_format="xlsx") -> bytes:
    """An empty sheet with the Chinese headers and one example row."""
    resource = resource_class(kind)(user=None)
    return _write(resource.export_headers(), [resource.example_row()], file_format, sheet_title=_sheet_title(resource))


def _sheet_title(resource) -> str:
    from core.resources import HEADER_LANGUAGE, in_language

    return in_language(resource._meta.model._meta.verbose_name_plural, HEADER_LANGUAGE)[:31]


def _write(headers, rows, file_format, *, sheet_title="Sheet1") -> bytes:
    if file_format == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(headers)
        for row in rows:
            writer.writerow(["" if cell is None else cell for cell in row])
        # With a BOM, so that Excel opens the Chinese text as UTF-8.
        return codecs.BOM_UTF8 + buffer.getvalue().encode("utf-8")
    if file_format != "xlsx":
        raise ValueError(f"unknown format {file_format!r}")
    import openpyxl
    from openpyxl.cell import WriteOnlyCell

    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet(sheet_title)
    sheet.append(headers)
    for row in rows:
        cells = []
        for value in row:
            if isinstance(value, str):
                # openpyxl would store "=..." as a formula; the escape already added a quote, and a
                # string cell type keeps any text as text.
                cell = WriteOnlyCell(sheet, value=value)
                cell.data_type = "s"
                cells.append(cell)
            else:
                cells.append(value)
        sheet.append(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
