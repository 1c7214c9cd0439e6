"""Spreadsheet files in and out, safely: the foundation of every import and export.

- ``read_table`` / ``iter_table`` read an xlsx (openpyxl in read-only mode, with defusedxml
  refusing entity expansion) or a CSV (UTF-8 with or without BOM, or GBK as Excel in China saves
  it), after checking the file's size, the zip's central directory (a zip bomb is refused before
  anything is decompressed) and the number of rows (counted while streaming, never loaded whole).
- ``write_table`` writes rows as xlsx or CSV, every text cell kept as text.
A refused file raises ``ImportRefused`` with a message for the user.
"""

import codecs
import contextlib
import csv
import io
import zipfile

import tablib
from django.conf import settings
from django.utils.encoding import force_str
from django.utils.translation import gettext_lazy as _

MAX_FILE_BYTES = getattr(settings, "HONGFAN_IMPORT_MAX_BYTES", 20 * 1024 * 1024)
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


# --- reading --------------------------------------------------------------------------------------


def read_bytes(file) -> bytes:
    """The upload's bytes, refused past the size cap without reading further."""
    limit = max_bytes()
    if isinstance(file, (bytes, bytearray)):
        data = bytes(file)
    else:
        size = getattr(file, "size", None)
        if size is not None and size > limit:
            raise _too_big(limit)
        if hasattr(file, "seek"):
            with contextlib.suppress(OSError, ValueError):
                file.seek(0)
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


def non_empty(rows):
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
    data = read_bytes(file)
    _estimate, rows = iter_table(data=data, filename=filename)
    iterator = non_empty(rows)
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


def write_table(headers, rows, file_format, *, sheet_title="Sheet1") -> bytes:
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
