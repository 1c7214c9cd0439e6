"""Exports written row by row (DESIGN §8, docs/import-export.md "Exports"): nothing of the whole
file is held in memory, and a CSV download starts with its first rows.

- ``csv_chunks``: Django's streaming CSV pattern (``csv.writer`` over an echo buffer), a UTF-8
  BOM first so that Excel reads the Chinese text as UTF-8, then the rows a few hundred at a time.
- ``xlsx_chunks``: openpyxl's write-only workbook (rows go to its own temporary file as they
  come), saved into a spooled temporary file that is then sent out in chunks. An xlsx is a zip
  whose directory comes last, so its first byte waits for the last row; memory stays flat.
- ``write_export``: either format into a file object (the Celery export job, ``dataio.export_jobs``).

The rows are the resources' ``export_rows`` (``core.importing.export_rows``): already scoped,
masked and formula-safe; the writers only lay them out.
"""

from __future__ import annotations

import codecs
import csv
import tempfile
from collections.abc import Callable, Iterable, Iterator

CSV_ROWS_PER_CHUNK = 500
FILE_CHUNK_BYTES = 64 * 1024
SPOOL_BYTES = 2 * 1024 * 1024  # an xlsx up to this size never touches the disk


class Echo:
    """The "file" ``csv.writer`` writes to: each row comes straight back as a string."""

    def write(self, value):
        return value


def _counted(rows: Iterable, progress: Callable[[int], None] | None, every: int = 1000) -> Iterator:
    done = 0
    for row in rows:
        yield row
        done += 1
        if progress is not None and done % every == 0:
            progress(done)
    if progress is not None:
        progress(done)


def csv_chunks(headers, rows: Iterable, *, progress=None) -> Iterator[bytes]:
    """The CSV as UTF-8 bytes, BOM and header line first, then ``CSV_ROWS_PER_CHUNK`` rows per chunk."""
    writer = csv.writer(Echo())
    yield codecs.BOM_UTF8 + writer.writerow(headers).encode("utf-8")
    batch = []
    for row in _counted(rows, progress):
        batch.append(writer.writerow(["" if cell is None else cell for cell in row]))
        if len(batch) >= CSV_ROWS_PER_CHUNK:
            yield "".join(batch).encode("utf-8")
            batch = []
    if batch:
        yield "".join(batch).encode("utf-8")


def write_xlsx(headers, rows: Iterable, handle, *, sheet_title="Sheet1", progress=None) -> None:
    """The rows as an xlsx into ``handle`` (a binary file object), through a write-only workbook."""
    import openpyxl
    from openpyxl.cell import WriteOnlyCell

    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet(sheet_title)
    sheet.append(headers)
    for row in _counted(rows, progress):
        cells = []
        for value in row:
            if isinstance(value, str):
                # openpyxl would store "=..." as a formula; the resources' escape already added a
                # quote, and a string cell type keeps any text as text.
                cell = WriteOnlyCell(sheet, value=value)
                cell.data_type = "s"
                cells.append(cell)
            else:
                cells.append(value)
        sheet.append(cells)
    workbook.save(handle)


def xlsx_chunks(headers, rows: Iterable, *, sheet_title="Sheet1") -> Iterator[bytes]:
    """The xlsx in ``FILE_CHUNK_BYTES`` chunks, built in a spooled temporary file when first asked for."""
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as spool:
        write_xlsx(headers, rows, spool, sheet_title=sheet_title)
        spool.seek(0)
        yield from file_chunks(spool)


def file_chunks(handle, size: int = FILE_CHUNK_BYTES) -> Iterator[bytes]:
    while chunk := handle.read(size):
        yield chunk


def chunks(headers, rows: Iterable, file_format: str, *, sheet_title="Sheet1") -> Iterator[bytes]:
    """The export as byte chunks for a ``StreamingHttpResponse``."""
    if file_format == "csv":
        return csv_chunks(headers, rows)
    if file_format == "xlsx":
        return xlsx_chunks(headers, rows, sheet_title=sheet_title)
    raise ValueError(f"unknown format {file_format!r}")


def write_export(headers, rows: Iterable, file_format: str, handle, *, sheet_title="Sheet1", progress=None) -> None:
    """The export into ``handle`` (binary, writable); ``progress(rows_done)`` every thousand rows."""
    if file_format == "csv":
        for chunk in csv_chunks(headers, rows, progress=progress):
            handle.write(chunk)
    elif file_format == "xlsx":
        write_xlsx(headers, rows, handle, sheet_title=sheet_title, progress=progress)
    else:
        raise ValueError(f"unknown format {file_format!r}")


# --- what is exported -----------------------------------------------------------------------------

ITERATOR_CHUNK = 2000


class ExportSource:
    """One export of ``kind`` for ``user`` (optionally within ``queryset``): the headers, the sheet's
    title, the number of rows (one COUNT) and the rows themselves, read from the database
    ``ITERATOR_CHUNK`` at a time (``QuerySet.iterator``, with the resource's ``select_related``)."""

    def __init__(self, *, kind: str, user, queryset=None):
        from .importing import _sheet_title, resource_class

        self.resource = resource_class(kind)(user=user)
        self.kind = kind
        self.headers = self.resource.export_headers()
        self.sheet_title = _sheet_title(self.resource)
        self.queryset = self.resource.export_queryset(queryset)

    def count(self) -> int:
        return self.queryset.count()

    def rows(self) -> Iterator[list]:
        resource, columns = self.resource, self.resource.columns
        for obj in self.queryset.iterator(chunk_size=ITERATOR_CHUNK):
            yield [resource.export_cell(column, obj) for column in columns]
