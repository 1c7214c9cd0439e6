"""The calamine reader (#16 item 5) gives the values the openpyxl reader gave, cell for cell:
dates, ID numbers and codes (as text and as numbers), leading zeros, empty cells and rows,
booleans, cached formula results, error cells, inline strings."""

import datetime
import io
import re
import zipfile

import openpyxl

from core.resources import parse_date, parse_text
from core.tabular import iter_table, non_empty

FORMULA_ROW = (
    '<row r="{r}">'
    '<c r="A{r}"><f>SUM(1,2)</f><v>3</v></c>'
    '<c r="B{r}" t="str"><f>"00"&amp;"7"</f><v>007</v></c>'
    '<c r="C{r}" t="e"><f>1/0</f><v>#DIV/0!</v></c>'
    '<c r="D{r}" t="inlineStr"><is><t>内联文字</t></is></c>'
    '<c r="E{r}" t="b"><v>1</v></c>'
    '<c r="F{r}"><v>1.5E+3</v></c>'
    '<c r="G{r}"><v>3.30402199001010E+17</v></c>'
    '<c r="H{r}"><v>42.0</v></c>'
    "</row>"
)


def tricky_workbook() -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["姓名", "身份证号", "编码", "日期", "是否", "数字", "空", "时间"])
    sheet.append(
        ["张三", "330402199001010035", "00123", datetime.date(2024, 3, 1), True, 42, None, datetime.time(9, 30)]
    )
    sheet.append(
        ["  李四 ", 330402199001010035, "0330483", datetime.datetime(2024, 3, 1, 9, 30), False, 42.5, "", None]  # noqa: DTZ001
    )
    sheet.append([])  # an empty row in the middle keeps the line numbers
    sheet.append(["=1+1", "33040219900101003X", "330483-01-01", "2024-03-01", "是", -3, 0, 1e20])
    sheet.append([None, None, None, None, None, None, None, "last"])
    for column, (value, number_format) in enumerate(
        [(45000, "yyyy-mm-dd"), (0.5, "hh:mm"), (12, "0.00"), ("0123", "@"), (0.1 + 0.2, "General")], start=1
    ):
        cell = sheet.cell(row=8, column=column, value=value)
        cell.number_format = number_format
    sheet["C9"] = "中文 with spaces  "
    buffer = io.BytesIO()
    workbook.save(buffer)
    data = buffer.getvalue()
    # Cells openpyxl does not write: cached formula results, an error, an inline string, numbers
    # as Excel writes them.
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                content = content.replace(b"</sheetData>", FORMULA_ROW.format(r=11).encode() + b"</sheetData>")
                content = re.sub(rb'<dimension ref="[^"]*"\s*/>', b'<dimension ref="A1:H11"/>', content)
            target.writestr(item.filename, content)
    return out.getvalue()


def rows_of(data: bytes, reader: str) -> list:
    _estimate, rows = iter_table(data=data, filename="tricky.xlsx", xlsx_reader=reader)
    return list(non_empty(rows))


def test_calamine_reads_what_openpyxl_read():
    data = tricky_workbook()
    old, new = rows_of(data, "openpyxl"), rows_of(data, "calamine")
    assert [line for line, _cells in new] == [line for line, _cells in old] == [1, 2, 3, 5, 6, 8, 9, 11]
    for (line, old_cells), (_line, new_cells) in zip(old, new, strict=True):
        assert len(new_cells) == len(old_cells), line
        for column, (before, after) in enumerate(zip(old_cells, new_cells, strict=True)):
            where = f"line {line}, column {column + 1}: {before!r} / {after!r}"
            # Equal values of the same type: 42 stays an int, a date a datetime, "" None. The one
            # difference: a whole number Excel wrote as "1.5E+3" or "42.0" (openpyxl: a float) is
            # an int, as calamine cannot tell how it was written; same value, same text.
            assert after == before, where
            if not (isinstance(before, float) and type(after) is int):
                assert type(after) is type(before), where
            # And so the same text for the parsers (ID numbers, codes with their leading zeros).
            assert parse_text(after) == parse_text(before), where


def test_the_tricky_cells_come_out_as_text_where_they_must():
    rows = dict(rows_of(tricky_workbook(), "calamine"))
    assert parse_text(rows[2][1]) == "330402199001010035"
    assert parse_text(rows[2][2]) == "00123"  # leading zeros kept
    assert rows[2][6] is None  # an empty cell
    assert rows[2][4] is True
    assert parse_date(rows[2][3]) == datetime.date(2024, 3, 1)
    assert rows[8][3] == "0123"
    assert rows[11][1] == "007"  # a formula's cached text
    assert parse_text(rows[5][2]) == "330483-01-01"
    assert rows[11][2] == "#DIV/0!"  # an error cell is not read as a blank one


def test_a_sheet_that_starts_below_and_right_of_a1_keeps_its_lines_and_columns():
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet["C3"], sheet["D3"] = "姓名", "身份证号"
    sheet["C5"], sheet["E6"] = "张三", "0012"
    buffer = io.BytesIO()
    workbook.save(buffer)
    data = buffer.getvalue()
    old, new = rows_of(data, "openpyxl"), rows_of(data, "calamine")
    assert new == old
    assert new[0] == (3, (None, None, "姓名", "身份证号", None))
    assert new[2] == (6, (None, None, None, None, "0012"))
