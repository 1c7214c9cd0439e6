"""Spreadsheets built in memory for the import tests."""

import csv
import io

import openpyxl

from core import importing as dataio


def xlsx(headers, rows) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(list(headers))
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_bytes(headers, rows, encoding="utf-8") -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(headers)
    for row in rows:
        writer.writerow(row)
    return buffer.getvalue().encode(encoding)


def run(kind, user, data, *, filename="data.xlsx", dry_run=False, **kwargs):
    return dataio.run_import(kind=kind, user=user, file=io.BytesIO(data), filename=filename, dry_run=dry_run, **kwargs)


def read_xlsx(data: bytes) -> list[list]:
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    return [list(row) for row in workbook.active.iter_rows(values_only=True)]
