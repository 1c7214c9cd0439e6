"""Hostile and broken files are refused whole, with a clear message, and nothing is written.

The files are built here, in memory: none is committed to the repository.
"""

import io
import re
import zipfile

import openpyxl
import pytest

from core.tabular import ImportRefused, read_table
from members.models import Member

from .helpers import run, xlsx

pytestmark = pytest.mark.django_db

HEADERS = ["姓名", "身份证号", "所在党组织"]


def refused(user, data, filename="data.xlsx", kind="members"):
    before = Member.objects.count()
    with pytest.raises(ImportRefused) as info:
        run(kind, user, data, filename=filename)
    assert Member.objects.count() == before
    return str(info.value)


def _replace_part(data: bytes, name: str, content: bytes) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            target.writestr(item.filename, content if item.filename == name else source.read(item.filename))
    return out.getvalue()


def test_over_the_size_cap(world, settings):
    settings.HONGFAN_IMPORT_MAX_BYTES = 10_000
    message = refused(world.secretary, b"x" * 10_001, filename="big.csv")
    assert "larger than" in message


def test_billion_laughs(world):
    laughs = (
        b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
        + b"".join(
            b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10) for i in range(1, 10)
        )
        + b']>\n<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b'<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row></sheetData>'
        b"</worksheet>"
    )
    data = _replace_part(xlsx(HEADERS, [["a", "b", "c"]]), "xl/worksheets/sheet1.xml", laughs)
    message = refused(world.secretary, data)
    assert "entity" in message or "could not be read" in message


def test_zip_bomb(world):
    # One part that inflates 100 MB of zeros from about 100 kB: refused from the central directory.
    source = zipfile.ZipFile(io.BytesIO(xlsx(HEADERS, [["a", "b", "c"]])))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            target.writestr(item.filename, source.read(item.filename))
        with target.open("xl/media/bomb.bin", "w") as bomb:
            chunk = b"\0" * (1024 * 1024)
            for _ in range(100):
                bomb.write(chunk)
    message = refused(world.secretary, out.getvalue())
    assert "zip bomb" in message


def test_not_a_spreadsheet(world):
    assert "not a valid Excel" in refused(world.secretary, b"%PDF-1.4 hello")
    assert "not a valid Excel" in refused(world.secretary, b"PK\x03\x04garbage")
    assert ".xlsx" in refused(world.secretary, b"anything", filename="data.xls")
    assert "Upload an Excel" in refused(world.secretary, b"anything", filename="data.exe")
    assert "not a CSV" in refused(world.secretary, b"\x00\x01\x02binary", filename="data.csv")


def test_a_million_rows_refused_without_reading_them(world, settings):
    settings.HONGFAN_IMPORT_MAX_ROWS = 1000
    # A sheet declaring a million rows in its dimension.
    data = xlsx(HEADERS, [["a", "b", "c"]])
    sheet = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml")
    sheet = re.sub(rb'<dimension ref="[^"]*"\s*/>', b'<dimension ref="A1:C1000000"/>', sheet)
    assert b"A1:C1000000" in sheet
    message = refused(world.secretary, _replace_part(data, "xl/worksheets/sheet1.xml", sheet))
    assert "more than 1,000 rows" in message


def test_too_many_rows_counted_while_streaming(world, settings):
    settings.HONGFAN_IMPORT_MAX_ROWS = 100
    # No dimension declared (a write-only workbook with the dimension removed): rows are counted.
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(HEADERS)
    for i in range(150):
        sheet.append([f"n{i}", "x", "y"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    data = buffer.getvalue()
    part = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml")
    part = re.sub(rb"<dimension[^>]*/>", b"", part)
    message = refused(world.secretary, _replace_part(data, "xl/worksheets/sheet1.xml", part))
    assert "more than 100 rows" in message
    rows = "\n".join(["姓名,身份证号,所在党组织"] + ["a,b,c"] * 150).encode()
    assert "more than 100 rows" in refused(world.secretary, rows, filename="m.csv")


def test_empty_and_header_only(world):
    assert "empty" in refused(world.secretary, b"", filename="m.csv")
    assert "no data rows" in refused(world.secretary, "姓名,身份证号,所在党组织\n".encode(), filename="m.csv")


def test_read_table_gives_a_dataset(world):
    dataset = read_table(
        file=io.BytesIO(xlsx(HEADERS, [["甲", "1", "O"], [None, None, None], ["乙", "2", "O"]])), filename="a.xlsx"
    )
    assert dataset.headers == HEADERS
    assert len(dataset) == 2  # the empty row is skipped


def test_invalid_codes_are_row_errors(world):
    rows = [["甲", "123", world.branch_a1.code], ["乙", "11010519491231002X", world.branch_a1.code]]
    report = run("members", world.secretary, xlsx(HEADERS, rows))
    assert report.rows[0].action == "error"
    assert "17 digits" in report.rows[0].errors[0][1]
    assert not report.committed
