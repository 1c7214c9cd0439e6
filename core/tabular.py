"""Spreadsheet files in and out, safely: the foundation of every import and export.

- ``read_table`` / ``iter_table`` read an xlsx (after the checks openpyxl's defusedxml made: no
  DTD nor entity in any XML part) or a CSV (UTF-8 with or without BOM, or GBK as Excel in China
  saves it), after checking the file's size, the zip's central directory (a zip bomb is refused
  before anything is decompressed) and the number of rows (the sheet's declared dimension before
  it is read, then counted while iterating). A small sheet is read by python-calamine, which holds
  its cells in memory (about 1.4 KB a row of 13 columns); from ``STREAM_FROM_BYTES`` on, by
  ``core.xlsxstream`` (expat, row by row, flat memory). Rows are made Python tuples one at a time.
- ``write_table`` writes rows as xlsx or CSV, every text cell kept as text.
A refused file raises ``ImportRefused`` with a message for the user.
"""

import codecs
import contextlib
import csv
import datetime
import io
import posixpath
import re
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


def _check_zip(data: bytes) -> zipfile.ZipFile:
    """Refuse a zip bomb from the central directory, before anything is decompressed; the archive."""
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
    return archive


def _too_many_rows(limit):
    return ImportRefused(
        _("The sheet has more than %(rows)s rows. Split it into smaller files.") % {"rows": f"{limit:,}"}
    )


# The sheet part's uncompressed size from which the streaming reader is chosen: calamine holds the
# whole sheet (about 1.4 KB a row of 13 columns, 1.8 to 2 times the part's size: 136 MB for the
# 78 MB part of 100 000 rows); below 8 MB (some 10 000 rows of inline strings, more with shared
# strings) that is under 16 MB, and calamine is 2 to 3 times faster; from it the streaming reader
# keeps memory flat (docs/benchmarks.md, "Reading the xlsx").
STREAM_FROM_BYTES = 8 * 1024 * 1024


def _iter_xlsx(data: bytes, reader: str = "auto"):
    """(total estimate, iterator of row tuples) of the first sheet, after the checks: zip bomb
    (``_check_zip``), entity declarations (``_check_xml_prologs``) and the row count the sheet
    declares (refused before the sheet is read). Read by calamine (Rust, whole sheet in memory)
    when the sheet part is smaller than ``STREAM_FROM_BYTES``, else by ``core.xlsxstream`` (expat,
    row by row); ``reader`` = "calamine" or "stream" forces one (the parity tests, the bench).
    The values are those the openpyxl reader gave (``_iter_xlsx_openpyxl``, kept for the parity
    tests and the bench)."""
    archive = _check_zip(data)
    _check_xml_prologs(archive)
    limit = max_rows()
    head = _sheet_head(archive)
    declared = _declared_rows(head)
    if declared and declared > limit + 1:
        raise _too_many_rows(limit)
    if reader == "auto":
        path = _first_sheet_path(archive)
        size = archive.getinfo(path).file_size if path else 0
        reader = "stream" if size >= STREAM_FROM_BYTES else "calamine"
    if reader == "stream":
        return (declared - 1 if declared else None), _streamed_rows(archive, _declared_dimension(head))
    return _calamine_rows(data, archive)


def _streamed_rows(archive, dimension):
    from core import xlsxstream

    try:
        yield from xlsxstream.iter_rows(archive, dimension)
    except ImportRefused:
        raise
    except Exception as exc:  # noqa: BLE001 - a damaged or hostile file raises anything
        raise _unreadable(exc) from None


def _calamine_rows(data, archive):
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        try:
            sheet = workbook.get_sheet_by_index(0)
        finally:
            workbook.close()
    except ImportRefused:
        raise
    except Exception as exc:  # noqa: BLE001 - a damaged or hostile file raises anything
        raise _unreadable(exc) from None
    # calamine reads an error cell (#DIV/0!, #N/A) as empty; openpyxl gave its text, which the
    # parsers then refuse: put it back, so that no broken cell passes as a blank one.
    errors = {}
    for (row, column), text in _error_cells(archive).items():
        errors.setdefault(row, {})[column] = text
    height = sheet.end[0] + 1 if sheet.end else 0

    def rows():
        # iter_rows gives every row from the first, but the columns from the first used one.
        pad = [""] * (sheet.start[1] if sheet.start else 0)
        for index, cells in enumerate(sheet.iter_rows()):
            if pad:
                cells = pad + cells
            for column, text in errors.get(index, {}).items():
                if column < len(cells):
                    cells[column] = text
            yield _calamine_row(cells)

    return (height - 1 if height else None), rows()


_CELL = re.compile(rb"<(?:\w+:)?c\b([^>]*?)(?<!/)>(.*?)</(?:\w+:)?c>", re.S)
_CELL_REF = re.compile(rb'\br="([A-Z]+)(\d+)"')
_CELL_VALUE = re.compile(rb"<(?:\w+:)?v>([^<]*)</")


def _error_cells(archive: zipfile.ZipFile) -> dict[tuple[int, int], str]:
    """(row, column) from 0 → text of the first sheet's error cells. The part is scanned in
    chunks for ``t="e"``; only a sheet that has one is searched cell by cell."""
    path = _first_sheet_path(archive)
    if path is None:
        return {}
    found, tail = False, b""
    with archive.open(path) as part:
        while chunk := part.read(1024 * 1024):
            if b't="e"' in tail + chunk:
                found = True
                break
            tail = chunk[-8:]
    if not found:
        return {}
    cells = {}
    for attributes, body in _CELL.findall(archive.read(path)):
        if b't="e"' not in attributes:
            continue
        ref, value = _CELL_REF.search(attributes), _CELL_VALUE.search(body)
        if ref is None or value is None:
            continue
        column = 0
        for letter in ref[1].decode():
            column = column * 26 + ord(letter) - 64
        cells[(int(ref[2]) - 1, column - 1)] = value[1].decode("utf-8", errors="replace")
    return cells


# Integers above this are floats in openpyxl too (its cells hold what Excel wrote, "3.3E+17").
_EXACT_INT = 2**53


def _calamine_row(row) -> tuple:
    """A calamine row as openpyxl gave it: None for an empty cell, a whole number as int, a date
    as a datetime at midnight; text, booleans, times and datetimes as they are."""
    cells = []
    for cell in row:
        kind = type(cell)
        if kind is str:
            cells.append(cell if cell else None)
        elif kind is float:
            cells.append(int(cell) if cell.is_integer() and -_EXACT_INT < cell < _EXACT_INT else cell)
        elif kind is datetime.date:
            # Naive, as a spreadsheet's dates are (and as openpyxl gave them).
            cells.append(datetime.datetime(cell.year, cell.month, cell.day))  # noqa: DTZ001
        else:
            cells.append(cell)
    return tuple(cells)


XML_PROLOG_BYTES = 64 * 1024
_ROOT_START = re.compile(rb"<[A-Za-z_]")


def _check_xml_prologs(archive: zipfile.ZipFile) -> None:
    """Refuse any XML part declaring a DTD or entities (billion laughs, external entities): a
    declaration can only stand before the root element, so each part's prolog is read, no more.
    The rule openpyxl's defusedxml applied, kept in front of calamine."""
    for entry in archive.infolist():
        if not entry.filename.lower().endswith((".xml", ".rels", ".vml")):
            continue
        with archive.open(entry) as part:
            head = part.read(XML_PROLOG_BYTES)
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or b"\x00" in head[:4]:
            head = head.decode("utf-16", errors="ignore").encode("utf-8")
        root = _ROOT_START.search(head)
        prolog = head[: root.start()] if root else head
        if b"<!DOCTYPE" in prolog.upper() or b"<!ENTITY" in prolog.upper():
            raise ImportRefused(_("The workbook contains XML entity declarations, which are refused."))
        if root is None and len(head) >= XML_PROLOG_BYTES:
            raise ImportRefused(_("The file could not be read as an Excel workbook (.xlsx)."))


_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\s+ref="([A-Z]*\d*:?[A-Z]*(\d+))"')


def _sheet_head(archive: zipfile.ZipFile) -> bytes:
    """The first bytes of the first sheet's part, where its ``<dimension>`` stands."""
    path = _first_sheet_path(archive)
    if path is None:
        return b""
    with archive.open(path) as part:
        return part.read(XML_PROLOG_BYTES)


def _declared_rows(head: bytes) -> int | None:
    """The last row the first sheet declares (its ``<dimension>``), read from the part's head."""
    match = _DIMENSION.search(head)
    return int(match[2]) if match else None


def _declared_dimension(head: bytes) -> str | None:
    match = _DIMENSION.search(head)
    return match[1].decode() if match else None


def _first_sheet_path(archive: zipfile.ZipFile) -> str | None:
    """The zip path of the workbook's first sheet (workbook.xml's first ``<sheet>`` and its rels)."""
    from defusedxml import ElementTree

    names = set(archive.namelist())
    try:
        workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
        rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    except Exception:  # noqa: BLE001 - calamine reports a broken workbook itself
        return "xl/worksheets/sheet1.xml" if "xl/worksheets/sheet1.xml" in names else None
    sheet = next((node for node in workbook.iter() if node.tag.rsplit("}", 1)[-1] == "sheet"), None)
    if sheet is None:
        return None
    rel_id = next((value for key, value in sheet.attrib.items() if key.rsplit("}", 1)[-1] == "id"), None)
    for rel in rels:
        if rel.get("Id") == rel_id:
            target = rel.get("Target", "")
            path = target.lstrip("/") if target.startswith("/") else posixpath.normpath("xl/" + target)
            return path if path in names else None
    return None


def _iter_xlsx_openpyxl(data: bytes):
    """The reader before calamine (openpyxl, read-only, streamed): the reference of the parity
    test (tests/dataio/test_calamine_parity.py) and of bench/import_at_scale.py."""
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


def iter_table(*, data: bytes, filename: str, xlsx_reader: str = "auto"):
    """(estimated row count, iterator of cell tuples, header first) of an xlsx or CSV file.
    ``xlsx_reader``: "auto" (calamine or streamed by the sheet's size, see ``_iter_xlsx``), or one
    forced for the parity tests and the bench: "calamine", "stream", or "openpyxl" (the former
    reader)."""
    name = (filename or "").lower()
    if name.endswith(".xlsx") or name.endswith(".xlsm"):
        if data[:4] != b"PK\x03\x04":
            raise ImportRefused(_("The file is not a valid Excel workbook (.xlsx)."))
        return _iter_xlsx_openpyxl(data) if xlsx_reader == "openpyxl" else _iter_xlsx(data, xlsx_reader)
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


def write_table(headers, rows, file_format, *, sheet_title="Sheet1", extra_sheets=()) -> bytes:
    """``extra_sheets``: (title, headers, rows) of further sheets of an xlsx (a CSV has one)."""
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
    for title, sheet_headers, sheet_rows in [(sheet_title, headers, rows), *extra_sheets]:
        sheet = workbook.create_sheet(title)
        sheet.append(sheet_headers)
        for row in sheet_rows:
            cells = []
            for value in row:
                if isinstance(value, str):
                    # openpyxl would store "=..." as a formula; the escape already added a quote,
                    # and a string cell type keeps any text as text.
                    cell = WriteOnlyCell(sheet, value=value)
                    cell.data_type = "s"
                    cells.append(cell)
                else:
                    cells.append(value)
            sheet.append(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
