"""The streaming xlsx reader (core.xlsxstream, #16 item 5) gives what the openpyxl reader gave,
row for row and cell for cell, of the same type: shared and inline strings (rich text runs,
phonetic runs left out, whitespace kept), numbers (ints, floats, floats that are whole), dates,
times, datetimes and durations by the cell's number format (built-in and custom, 1900 and 1904
workbooks), booleans, cached formula results, error cells, empty cells, gaps in rows and cells;
and the hostile-file checks stand in front of it as in front of the other readers."""

import datetime
import io
import zipfile

import pytest

from core import tabular
from core.tabular import ImportRefused, iter_table, non_empty

from .test_calamine_parity import tricky_workbook

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"

CONTENT_TYPES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/xl/workbook.xml"
 ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>
<Override PartName="/xl/worksheets/sheet1.xml"
 ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>
<Override PartName="/xl/styles.xml"
 ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>
<Override PartName="/xl/sharedStrings.xml"
 ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>
</Types>"""

PACKAGE_RELS = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="{RELS}/officeDocument" Target="xl/workbook.xml"/>
</Relationships>"""

WORKBOOK_RELS = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId3" Type="{RELS}/sharedStrings" Target="sharedStrings.xml"/>
<Relationship Id="rId2" Type="{RELS}/styles" Target="styles.xml"/>
<Relationship Id="rId7" Type="{RELS}/worksheet" Target="worksheets/sheet1.xml"/>
</Relationships>"""

# cellXfs, by index (the cells' s): General, 14 date, 22 datetime, 21 time, 46 duration, custom
# date, custom number, a quoted "d" (not a date), [Red] (not a date), 0.00, text; and 31, a date
# format Excel leaves undefined in a Chinese workbook (yyyy"年"m"月"d"日").
STYLES = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="{MAIN}">
<numFmts count="4">
<numFmt numFmtId="164" formatCode="yyyy/mm/dd"/><numFmt numFmtId="165" formatCode="0.000"/>
<numFmt numFmtId="166" formatCode="&quot;Day &quot;0"/><numFmt numFmtId="167" formatCode="[Red]0.00"/>
</numFmts>
<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>
<fills count="1"><fill><patternFill patternType="none"/></fill></fills>
<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>
<cellStyleXfs count="1"><xf numFmtId="22" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>
<cellXfs count="12">
<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>
<xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>
<xf numFmtId="22" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>
<xf numFmtId="21" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>
<xf numFmtId="46" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>
<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>
<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>
<xf numFmtId="166" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>
<xf numFmtId="167" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>
<xf numFmtId="2" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>
<xf numFmtId="49" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>
<xf numFmtId="31" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>
</cellXfs>
<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>
</styleSheet>"""

SHARED_STRINGS = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<sst xmlns="{MAIN}" count="9" uniqueCount="9">
<si><t>姓名</t></si>
<si><r><rPr><b/></rPr><t>张</t></r><r><t xml:space="preserve"> 三 </t></r></si>
<si><t>漢字</t><rPh sb="0" eb="2"><t>かんじ</t></rPh><phoneticPr fontId="1"/></si>
<si><t xml:space="preserve">  lead and trail  </t></si>
<si><t>a_x005F_x000D_b</t></si>
<si><t/></si>
<si><t>0012</t></si>
<si><t>line&#10;break</t></si>
<si><t>&amp;&lt;&gt; &quot;quoted&quot;</t></si>
</sst>"""

ROWS = """
<row r="1" spans="1:8">
 <c r="A1" t="s"><v>0</v></c><c r="B1" t="inlineStr"><is><t>身份证号</t></is></c>
 <c r="C1" t="inlineStr"><is><t>C</t></is></c><c r="D1" t="inlineStr"><is><t>D</t></is></c>
 <c r="E1" t="inlineStr"><is><t>E</t></is></c><c r="F1" t="inlineStr"><is><t>F</t></is></c>
 <c r="G1" t="inlineStr"><is><t>G</t></is></c><c r="H1" t="inlineStr"><is><t>H</t></is></c>
</row>
<row r="2">
 <c r="A2" t="s"><v>1</v></c><c r="C2"><v>42</v></c>
 <c r="E2" t="inlineStr"><is><r><rPr><i/></rPr><t>内</t></r><r><t xml:space="preserve">联 </t></r></is></c>
 <c r="F2" t="b"><v>0</v></c><c r="H2"><v>1.5E+3</v></c>
</row>
<row r="4">
 <c r="A4" s="1"><v>45000</v></c><c r="B4" s="2"><v>45000.5</v></c><c r="C4" s="3"><v>0.75</v></c>
 <c r="D4" s="4"><v>1.5</v></c><c r="E4" s="5"><v>45000</v></c><c r="F4" s="6"><v>12</v></c>
 <c r="G4" s="7"><v>3</v></c><c r="H4" s="8"><v>2.5</v></c>
</row>
<row r="5"/>
<row r="6">
 <c r="A6"><f>SUM(1,2)</f><v>3</v></c><c r="B6" t="str"><f>"00"&amp;"7"</f><v>007</v></c>
 <c r="C6" t="e"><f>NA()</f><v>#N/A</v></c><c r="D6" t="b"><f>TRUE()</f><v>1</v></c>
 <c r="E6"><f>A1</f></c><c r="F6" s="1"><f>DATE(2023,3,15)</f><v>45000</v></c>
 <c r="G6" t="s"><v>2</v></c><c r="H6" t="s"><v>3</v></c>
</row>
<row>
 <c t="s"><v>4</v></c><c t="s"><v>5</v></c><c><v>-7</v></c><c r="F7"><v>0.5</v></c><c><v>42.0</v></c>
</row>
<row r="8">
 <c r="A8" t="d"><v>2024-03-01T09:30:00</v></c><c r="B8" t="n"><v></v></c><c r="C8" s="9"><v>12</v></c>
 <c r="D8" s="10" t="s"><v>6</v></c><c r="E8" t="s"><v>7</v></c><c r="F8" t="s"><v>8</v></c>
 <c r="G8"><v>330402199001010035</v></c><c r="H8"><v>0.30000000000000004</v></c>
</row>
<row r="10"><c r="H10" s="1"><v>1</v></c></row>
"""


def sheet_xml(*, prefix="", dimension="A1:H10", rows=ROWS, extra=""):
    """The sheet; with ``prefix`` ("x"), every element in a prefixed main namespace."""
    body = f'<dimension ref="{dimension}"/>' if dimension else ""
    body += f"<sheetData>{rows}</sheetData>{extra}"
    xml = f'<worksheet xmlns="{MAIN}" xmlns:r="{RELS}">{body}</worksheet>'
    if prefix:
        import re

        xml = re.sub(r"<(/?)(\w+)([ />])", rf"<\1{prefix}:\2\3", xml)
        xml = xml.replace(f'xmlns="{MAIN}"', f'xmlns:{prefix}="{MAIN}"')
    return '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' + xml


def workbook(*, date1904=False, sheet=None, styles=STYLES) -> bytes:
    properties = '<workbookPr date1904="1"/>' if date1904 else "<workbookPr/>"
    parts = {
        "[Content_Types].xml": CONTENT_TYPES,
        "_rels/.rels": PACKAGE_RELS,
        "xl/workbook.xml": (
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<workbook xmlns="{MAIN}" xmlns:r="{RELS}">'
            f'{properties}<sheets><sheet name="党员" sheetId="1" r:id="rId7"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": WORKBOOK_RELS,
        "xl/styles.xml": styles,
        "xl/sharedStrings.xml": SHARED_STRINGS,
        "xl/worksheets/sheet1.xml": sheet or sheet_xml(),
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in parts.items():
            archive.writestr(name, content.encode())
    return out.getvalue()


def all_rows(data: bytes, reader: str) -> list[tuple]:
    """Every row as the engine gets it (empty rows too: they make the line numbers)."""
    _estimate, rows = iter_table(data=data, filename="m.xlsx", xlsx_reader=reader)
    return [tuple(row) for row in rows]


def assert_same_rows(data: bytes):
    old, new = all_rows(data, "openpyxl"), all_rows(data, "stream")
    assert len(new) == len(old)
    for line, (before, after) in enumerate(zip(old, new, strict=True), start=1):
        assert after == before, f"line {line}"
        assert [type(cell) for cell in after] == [type(cell) for cell in before], f"line {line}"
    return new


# 31, the Chinese date format, is the one style where the readers differ (below); the parity files
# leave it out.
PARITY_STYLES = STYLES.replace(
    '<xf numFmtId="31" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>', ""
)


@pytest.mark.parametrize("date1904", [False, True], ids=["1900", "1904"])
@pytest.mark.parametrize("prefix", ["", "x"], ids=["default-namespace", "prefixed"])
def test_the_streaming_reader_reads_what_openpyxl_read(date1904, prefix):
    rows = assert_same_rows(workbook(date1904=date1904, sheet=sheet_xml(prefix=prefix), styles=PARITY_STYLES))
    # And what the user sees in Excel, to be sure both are not wrong together.
    assert rows[0] == ("姓名", "身份证号", "C", "D", "E", "F", "G", "H")
    assert rows[1] == ("张 三 ", None, 42, None, "内联 ", False, None, 1500.0)
    assert rows[2] == (None,) * 8  # row 3 is missing: an empty row keeps the line numbers
    epoch = datetime.datetime(1904, 1, 1) if date1904 else datetime.datetime(1899, 12, 30)  # noqa: DTZ001
    assert rows[3][:5] == (
        epoch + datetime.timedelta(days=45000),
        epoch + datetime.timedelta(days=45000, hours=12),
        datetime.time(18, 0),
        datetime.timedelta(hours=36),
        epoch + datetime.timedelta(days=45000),
    )
    assert rows[3][5:] == (12, 3, 2.5)  # number formats that are not dates
    assert rows[4] == (None,) * 8  # <row r="5"/>
    assert rows[5] == (
        3,
        "007",
        "#N/A",
        True,
        None,
        epoch + datetime.timedelta(days=45000),
        "漢字",
        "  lead and trail  ",
    )
    assert rows[6] == ("a_x000D_b", "", -7, None, None, 0.5, 42.0, None)
    assert rows[7] == (
        datetime.datetime(2024, 3, 1, 9, 30),  # noqa: DTZ001
        None,
        12,
        "0012",
        "line\nbreak",
        '&<> "quoted"',
        330402199001010035,
        0.30000000000000004,
    )
    # Serial 1: 1 January 1900, or 2 January 1904 (Excel's 1900 calendar counts a 29 February 1900).
    day_one = datetime.datetime(1904, 1, 2) if date1904 else datetime.datetime(1900, 1, 1)  # noqa: DTZ001
    assert rows[9] == (None,) * 7 + (day_one,)


def test_a_sheet_without_dimension_gives_each_row_its_own_width():
    rows = assert_same_rows(workbook(sheet=sheet_xml(dimension=None), styles=PARITY_STYLES))
    assert rows[1] == ("张 三 ", None, 42, None, "内联 ", False, None, 1500.0)
    assert rows[2] == rows[4] == ()
    assert rows[9] == (None,) * 7 + (datetime.datetime(1900, 1, 1),)  # noqa: DTZ001


def test_the_tricky_workbook_of_the_calamine_parity_test():
    data = tricky_workbook()
    assert_same_rows(data)
    assert [line for line, _cells in non_empty(all_rows(data, "stream"))] == [1, 2, 3, 5, 6, 8, 9, 11]


def test_a_chinese_date_format_is_a_date_as_calamine_read_it():
    # numFmtId 31 (yyyy"年"m"月"d"日"), which Excel in Chinese writes without defining it: openpyxl
    # read the serial number (45000), which no date column accepts; calamine and this reader, a date.
    rows = (
        '<row r="1"><c r="A1" t="inlineStr"><is><t>日期</t></is></c></row>'
        '<row r="2"><c r="A2" s="11"><v>45000</v></c></row>'
    )
    data = workbook(sheet=sheet_xml(dimension="A1:A2", rows=rows))
    assert all_rows(data, "openpyxl")[1] == (45000,)
    expected = (datetime.datetime(2023, 3, 15),)  # noqa: DTZ001
    assert all_rows(data, "stream")[1] == all_rows(data, "calamine")[1] == expected


def test_a_dimension_smaller_than_the_data_cuts_nothing():
    # openpyxl dropped what lay past the declared dimension ("A1" from some writers): no data is lost.
    rows = '<row r="1"><c r="A1"><v>1</v></c><c r="C1"><v>3</v></c></row><row r="2"><c r="B2"><v>2</v></c></row>'
    data = workbook(sheet=sheet_xml(dimension="A1", rows=rows))
    assert all_rows(data, "openpyxl") == [(1,)]
    assert all_rows(data, "stream") == [(1, None, 3), (None, 2)]


def test_a_huge_declared_width_pads_nothing():
    rows = '<row r="1"><c r="A1"><v>1</v></c></row>'
    assert all_rows(workbook(sheet=sheet_xml(dimension="A1:XFD1", rows=rows)), "stream") == [(1,)]
    assert all_rows(workbook(sheet=sheet_xml(dimension="A1:E1", rows=rows)), "stream") == [(1, None, None, None, None)]


def test_the_reader_is_chosen_by_the_size_of_the_sheet(monkeypatch):
    data = workbook(styles=PARITY_STYLES)
    chosen = []
    real_stream, real_calamine = tabular._streamed_rows, tabular._calamine_rows
    monkeypatch.setattr(tabular, "_streamed_rows", lambda *args: chosen.append("stream") or real_stream(*args))
    monkeypatch.setattr(tabular, "_calamine_rows", lambda *args: chosen.append("calamine") or real_calamine(*args))
    size = zipfile.ZipFile(io.BytesIO(data)).getinfo("xl/worksheets/sheet1.xml").file_size
    monkeypatch.setattr(tabular, "STREAM_FROM_BYTES", size + 1)
    small = all_rows(data, "auto")
    monkeypatch.setattr(tabular, "STREAM_FROM_BYTES", size)
    large = all_rows(data, "auto")
    assert chosen == ["calamine", "stream"]
    assert [line for line, _cells in non_empty(large)] == [line for line, _cells in non_empty(small)]
    assert large == all_rows(data, "openpyxl")


def test_hostile_files_are_refused_in_front_of_the_streaming_reader(settings):
    laughs = (
        '<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>\n'
        f'<worksheet xmlns="{MAIN}"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&lol2;</t></is></c>'
        "</row></sheetData></worksheet>"
    )
    with pytest.raises(ImportRefused, match="entity"):
        all_rows(workbook(sheet=laughs), "stream")
    settings.HONGFAN_IMPORT_MAX_ROWS = 5
    with pytest.raises(ImportRefused, match="more than 5 rows"):
        all_rows(workbook(sheet=sheet_xml(dimension="A1:H1000")), "stream")
    many = "".join(f'<row r="{n}"><c r="A{n}"><v>{n}</v></c></row>' for n in range(1, 20))
    _estimate, rows = iter_table(data=workbook(sheet=sheet_xml(dimension=None, rows=many)), filename="m.xlsx")
    with pytest.raises(ImportRefused, match="more than 5 rows"):
        list(non_empty(rows))


def test_a_broken_sheet_is_refused_not_half_read():
    broken = sheet_xml(rows='<row r="1"><c r="A1"><v>1</v></c></row><row r="2"><c r="A2"><v>x</v>')
    with pytest.raises(ImportRefused, match="could not be read"):
        all_rows(workbook(sheet=broken), "stream")
    not_a_number = sheet_xml(rows='<row r="1"><c r="A1"><v>abc</v></c></row>')
    with pytest.raises(ImportRefused, match="could not be read"):
        all_rows(workbook(sheet=not_a_number), "stream")
