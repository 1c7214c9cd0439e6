"""A streaming reader of an xlsx's first sheet: flat memory however long the sheet.

The sheet's XML part is read from the zip in chunks and parsed by expat (C, in the standard
library; its text buffered so that a cell's text comes in one call), row by row: only the current
row and the shared-strings table (``xl/sharedStrings.xml``, read once: cells refer to it by
position anywhere in the sheet) are held. The values are those openpyxl's read-only reader gave
(``load_workbook(read_only=True, data_only=True)`` then ``iter_rows(values_only=True)``; its rules
are recalled where they are applied), tested cell for cell in tests/dataio/test_xlsx_stream.py:

- a number is an int when its text has no ``.`` nor exponent, else a float; it is a date, time or
  duration when its cell's style (``s``, an index in styles.xml's ``cellXfs``) has a date number
  format: built in (14–22, 45–47) or custom with a date or time token outside quotes and
  brackets (openpyxl's ``is_date_format``), converted from the workbook's epoch (1900, or 1904
  when ``workbookPr date1904`` is set) by openpyxl's own ``from_excel``;
- shared strings (``t="s"``) and inline strings (``t="inlineStr"``) are the text of their
  ``<t>`` and of their rich-text runs' ``<t>`` (``<r>``), phonetic runs (``<rPh>``) left out;
- booleans (``t="b"``) are True/False, formula results (``t="str"``, ``t="e"``: an error
  stays its text, ``#DIV/0!``) are the cached ``<v>``, ISO dates (``t="d"``) are parsed;
- an empty ``<v>`` or none is None; missing cells (the ``r`` references skip a column) are None
  and missing rows are empty rows, so that line and column numbers are those the user sees;
- rows are padded to the width the sheet declares (``<dimension>``), as openpyxl did.

Two differences, on purpose: the locale built-in date formats that Excel writes in a Chinese,
Japanese or Korean workbook (27–36, 50–58: ``yyyy"年"m"月"d"日"``…) are dates here (openpyxl read
them as numbers; calamine, the Excel reader of the other path, as dates); and a ``<dimension>``
smaller than the data cuts nothing (openpyxl dropped the rows and columns past it), while one
wider than ``PAD_COLUMNS_MAX`` pads nothing (a hostile "A1:XFD200000" would make every row 16 384
cells).

The checks against hostile files (zip bomb, DTD and entities, declared row count) are made by
``core.tabular`` before this reader is called; expat is also told to refuse a DTD if one got here.
"""

import datetime
import posixpath
import re
import zipfile
from xml.parsers import expat

MAIN_NAMESPACES = (
    "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "http://purl.oclc.org/ooxml/spreadsheetml/main",  # "strict" OOXML
)
RELATIONSHIP_NAMESPACES = (
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "http://purl.oclc.org/ooxml/officeDocument/relationships",
)
# Chunks read from the zip and fed to expat, and expat's text buffer: a cell's text (up to 32 767
# characters in Excel) comes in one call.
CHUNK_BYTES = 64 * 1024
# openpyxl padded every row to the declared width; a wider declaration than this is ignored.
PAD_COLUMNS_MAX = 1024

# openpyxl.styles.numbers.BUILTIN_FORMATS' date and time formats (14–22, 45–47), and the locale
# ones Excel writes in Chinese, Japanese and Korean workbooks without defining them (27–36, 50–58).
BUILTIN_DATE_FORMATS = frozenset([*range(14, 23), 45, 46, 47, *range(27, 37), *range(50, 59)])
BUILTIN_TIMEDELTA_FORMATS = frozenset([46])  # [h]:mm:ss

# Element kinds, from the namespaced names expat gives ("<namespace> <local name>").
_ROW, _CELL, _VALUE, _INLINE, _TEXT, _PHONETIC, _STRING_ITEM = range(7)
_KINDS = {}
for _namespace in MAIN_NAMESPACES:
    for _local, _kind in [
        ("row", _ROW),
        ("c", _CELL),
        ("v", _VALUE),
        ("is", _INLINE),
        ("t", _TEXT),
        ("rPh", _PHONETIC),
        ("si", _STRING_ITEM),
    ]:
        _KINDS[f"{_namespace} {_local}"] = _kind

_COLUMN_LETTERS = re.compile(r"[A-Z]+")
_DIGITS = "0123456789"


class XlsxError(ValueError):
    """The part is not the xlsx it claims to be (``core.tabular`` refuses the file)."""


def column_number(letters: str) -> int:
    """1 for A, 27 for AA."""
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - 64
    return number


def _parser(namespaces=True) -> expat.XMLParserType:
    """An expat parser; with ``namespaces``, element names are "<namespace> <local name>"."""
    parser = expat.ParserCreate(namespace_separator=" ") if namespaces else expat.ParserCreate()
    parser.buffer_text = True
    parser.buffer_size = CHUNK_BYTES

    def refuse(*_args):
        raise XlsxError("DTD or entity declaration")

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    return parser


def _feed(parser, part) -> None:
    """Parse the whole part (the handlers collect what they need)."""
    while chunk := part.read(CHUNK_BYTES):
        parser.Parse(chunk, False)
    parser.Parse(b"", True)


# --- the workbook around the sheet ------------------------------------------------------------


def _local(name: str) -> str:
    return name.rsplit(" ", 1)[-1]


def _attribute(attributes: dict, local: str, namespaces=RELATIONSHIP_NAMESPACES):
    for namespace in namespaces:
        value = attributes.get(f"{namespace} {local}")
        if value is not None:
            return value
    return attributes.get(local)


def _small_part(archive: zipfile.ZipFile, path: str | None) -> list[tuple[str, dict]]:
    """(local name, attributes) of every element of a small part (workbook, rels, styles)."""
    if path is None or path not in archive.NameToInfo:
        return []
    elements = []
    parser = _parser()
    parser.StartElementHandler = lambda name, attributes: elements.append((_local(name), attributes))
    with archive.open(path) as part:
        _feed(parser, part)
    return elements


class Workbook:
    """What the first sheet's values depend on: its part, the shared strings, the date styles."""

    def __init__(self, archive: zipfile.ZipFile):
        self.archive = archive
        workbook = _small_part(archive, "xl/workbook.xml")
        rels = {
            attributes.get("Id"): attributes
            for name, attributes in _small_part(archive, "xl/_rels/workbook.xml.rels")
            if name == "Relationship"
        }
        self.sheet_path = None
        sheet = next((attributes for name, attributes in workbook if name == "sheet"), None)
        if sheet is not None and _attribute(sheet, "id") in rels:
            self.sheet_path = self._path(rels[_attribute(sheet, "id")].get("Target", ""))
        elif "xl/worksheets/sheet1.xml" in archive.NameToInfo:
            self.sheet_path = "xl/worksheets/sheet1.xml"
        properties = next((attributes for name, attributes in workbook if name == "workbookPr"), {})
        date1904 = properties.get("date1904", "").lower() in ("1", "true")
        # openpyxl.utils.datetime's epochs (Excel's 1900 one counts a 29 February 1900).
        self.epoch = datetime.datetime(1904, 1, 1) if date1904 else datetime.datetime(1899, 12, 30)  # noqa: DTZ001
        by_type = {attributes.get("Type", "").rsplit("/", 1)[-1]: attributes for attributes in rels.values()}
        strings = by_type.get("sharedStrings")
        self.strings_path = self._path(strings["Target"]) if strings else "xl/sharedStrings.xml"
        styles = by_type.get("styles")
        self.styles_path = self._path(styles["Target"]) if styles else "xl/styles.xml"
        self.date_styles, self.timedelta_styles = self._date_styles()

    @staticmethod
    def _path(target: str) -> str:
        return target.lstrip("/") if target.startswith("/") else posixpath.normpath("xl/" + target)

    def _date_styles(self) -> tuple[frozenset, frozenset]:
        """The ``s`` indexes (cellXfs) whose number format is a date, and a duration: openpyxl's
        ``Stylesheet._normalise_numbers`` (a custom format of the same id wins over a built-in)."""
        from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format, is_timedelta_format

        custom, cell_formats, in_cell_xfs = {}, [], False
        for name, attributes in _small_part(self.archive, self.styles_path):
            if name == "numFmt":
                custom[attributes.get("numFmtId")] = attributes.get("formatCode")
            elif name == "cellXfs":
                in_cell_xfs = True
            elif name in ("cellStyleXfs", "cellStyles", "dxfs"):
                in_cell_xfs = False
            elif name == "xf" and in_cell_xfs:
                cell_formats.append(attributes.get("numFmtId", "0"))
        dates, durations = set(), set()
        for index, format_id in enumerate(cell_formats):
            if format_id in custom:
                code = custom[format_id]
                is_date, is_duration = is_date_format(code), is_timedelta_format(code)
            else:
                number = int(format_id) if format_id.isdigit() else 0
                is_date = number in BUILTIN_DATE_FORMATS or is_date_format(BUILTIN_FORMATS.get(number))
                is_duration = number in BUILTIN_TIMEDELTA_FORMATS
            if is_date:
                dates.add(index)
            if is_duration:
                durations.add(index)
        return frozenset(dates), frozenset(durations)

    def shared_strings(self) -> list[str]:
        """The shared-strings table: each ``<si>``'s text (its ``<t>`` and its runs' ``<t>``, not
        the phonetic runs'), with openpyxl's one correction (an escaped underscore, ``_x005F_``)."""
        if self.strings_path not in self.archive.NameToInfo:
            return []
        strings, parts, text = [], [], []
        state = {"phonetic": 0, "text": False}

        def start(name, _attributes):
            kind = _KINDS.get(name)
            if kind == _TEXT and not state["phonetic"]:
                state["text"] = True
                text.clear()
            elif kind == _STRING_ITEM:
                parts.clear()
            elif kind == _PHONETIC:
                state["phonetic"] += 1

        def end(name):
            kind = _KINDS.get(name)
            if kind == _TEXT and state["text"]:
                state["text"] = False
                parts.append("".join(text))
            elif kind == _STRING_ITEM:
                value = "".join(parts)
                strings.append(value.replace("x005F_", "") if "x005F_" in value else value)
            elif kind == _PHONETIC:
                state["phonetic"] -= 1

        def characters(data):
            if state["text"]:
                text.append(data)

        parser = _parser()
        parser.StartElementHandler, parser.EndElementHandler = start, end
        parser.CharacterDataHandler = characters
        with self.archive.open(self.strings_path) as part:
            _feed(parser, part)
        return strings


# --- the sheet ------------------------------------------------------------------------------------


def declared_width(dimension: str | None) -> int | None:
    """The last column of a ``<dimension ref="A1:M200">``, if it has one and a sane one."""
    if not dimension:
        return None
    match = _COLUMN_LETTERS.match(dimension.rsplit(":", 1)[-1])
    if match is None:
        return None
    width = column_number(match[0])
    return width if width <= PAD_COLUMNS_MAX else None


def _sheet_handlers(workbook: Workbook, strings: list[str], names: dict, width: int | None):
    """expat's handlers of the sheet, and the list where each finished ``<row>`` lands as a tuple.

    Closures over local variables, and element names compared as expat gives them (``names``: the
    prefix the part binds to the main namespace, if any): the handlers run several times per cell,
    and this is what makes them about twice as fast as methods or namespace-resolved names."""
    row_tag, cell_tag, value_tag, text_tag = names["row"], names["c"], names["v"], names["t"]
    inline_tag, phonetic_tag = names["is"], names["rPh"]
    date_styles, timedelta_styles, epoch = workbook.date_styles, workbook.timedelta_styles, workbook.epoch
    width = width or 0
    empty = (None,) * width
    ready = []
    columns = {}  # "AB" -> 28
    row_number = 0  # the last row's number (1 for the first)
    skip_row = False
    cells = []
    kind = style = text = inline = None  # the current cell's t, s, <v> text, <is> texts
    column = 0  # the current cell's column, from 1
    collecting = False
    phonetic = 0

    def start(name, attributes):
        nonlocal kind, style, text, inline, column, collecting, cells, row_number, skip_row, phonetic
        if name == cell_tag:
            kind, style, text, inline = attributes.get("t"), attributes.get("s"), None, None
            ref = attributes.get("r")  # "AB12"; a cell without one follows the one before
            letters = ref.rstrip(_DIGITS) if ref else None
            column = (
                (columns.get(letters) or columns.setdefault(letters, column_number(letters))) if ref else column + 1
            )
        elif name == value_tag or (name == text_tag and inline is not None and not phonetic):
            collecting = True
        elif name == row_tag:
            number = _row_number(attributes.get("r"), row_number)
            # A row given again or out of order is skipped, as openpyxl did; missing rows are empty
            # ones, so that the line numbers are those the user sees.
            skip_row = number <= row_number
            ready.extend([empty] * (number - row_number - 1))
            row_number = max(number, row_number)
            cells, column = [], 0
        elif name == inline_tag:
            inline = []
        elif name == phonetic_tag:
            phonetic += 1

    def end(name):
        nonlocal collecting, text, phonetic
        if name == cell_tag:
            value = _value(kind, text, inline, strings)
            if style is not None and date_styles and type(value) in (int, float) and int(style) in date_styles:
                value = _date(value, epoch, int(style) in timedelta_styles)
            if column == len(cells) + 1:
                cells.append(value)
            elif column > len(cells):
                cells.extend([None] * (column - 1 - len(cells)))
                cells.append(value)
            elif column >= 1:  # a cell given twice or out of order: the last one, as openpyxl
                cells[column - 1] = value
        elif collecting:
            collecting = False
            if name == text_tag:
                inline.append(text or "")
                text = None
        elif name == row_tag:
            if not skip_row:
                ready.append(tuple(cells) if len(cells) >= width else (*cells, *empty[len(cells) :]))
        elif name == phonetic_tag:
            phonetic -= 1

    def characters(data):
        nonlocal text
        if collecting:
            text = data if text is None else text + data

    return start, end, characters, ready


def _row_number(number: str | None, previous: int) -> int:
    if number is None:
        return previous + 1
    try:
        return int(number)
    except ValueError:
        value = float(number)  # openpyxl took "5.0" too, nothing else
        if not value.is_integer():
            raise XlsxError(f"row number {number!r}") from None
        return int(value)


def _value(kind, text, inline, strings):
    """A cell's value from its type (``t``) and text, as openpyxl's ``WorkSheetParser.parse_cell``
    with ``data_only``: (dates are made by the caller, which knows the style)."""
    if kind == "inlineStr":
        return None if inline is None else "".join(inline)
    if not text:  # openpyxl: findtext(v) or None
        return None
    if kind is None or kind == "n":
        return float(text) if ("." in text or "E" in text or "e" in text) else int(text)
    if kind == "s":
        return strings[int(text)]
    if kind == "b":
        return bool(int(text))
    if kind == "d":
        from openpyxl.utils.datetime import from_ISO8601

        return from_ISO8601(text)
    return text  # "str" (a formula's text), "e" (an error: its text, #DIV/0!)


def _date(number, epoch, duration):
    from openpyxl.utils.datetime import from_excel

    try:
        return from_excel(number, epoch, timedelta=duration)
    except (OverflowError, ValueError):
        return "#VALUE!"  # openpyxl: a date out of range is an error cell


_MAIN_PREFIX = re.compile(
    rb"""xmlns(?::([A-Za-z_][\w.-]*))?\s*=\s*["'](?:%s)["']"""
    % b"|".join(re.escape(namespace.encode()) for namespace in MAIN_NAMESPACES)
)


def _names(head: bytes) -> dict[str, str]:
    """Local name -> the name expat gives without namespace processing: "c", or "x:c" when the
    part binds the main namespace to a prefix (as some .NET writers do)."""
    match = _MAIN_PREFIX.search(head)
    prefix = match[1].decode() + ":" if match and match[1] else ""
    return {local: prefix + local for local in ("row", "c", "v", "is", "t", "rPh", "si")}


def iter_rows(archive: zipfile.ZipFile, dimension: str | None = None):
    """The first sheet's rows, from row 1, each a tuple of values from column A; see the module."""
    workbook = Workbook(archive)
    if workbook.sheet_path is None or workbook.sheet_path not in archive.NameToInfo:
        raise XlsxError("no sheet")
    strings = workbook.shared_strings()
    with archive.open(workbook.sheet_path) as part:
        chunk = part.read(CHUNK_BYTES)
        start, end, characters, ready = _sheet_handlers(workbook, strings, _names(chunk), declared_width(dimension))
        parser = _parser(namespaces=False)
        parser.StartElementHandler, parser.EndElementHandler = start, end
        parser.CharacterDataHandler = characters
        while chunk:
            parser.Parse(chunk, False)
            if ready:
                yield from ready
                ready.clear()
            chunk = part.read(CHUNK_BYTES)
        parser.Parse(b"", True)
    yield from ready
