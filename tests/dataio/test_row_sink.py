"""The engine's row sink (``run_import(on_rows=...)``): every row handed over chunk by chunk, the
report itself bounded, and what the sink writes in a dry run kept when the run is rolled back."""

import pytest
from django.db import transaction

from core import importing as dataio
from members.models import Member
from parks.models import District

from .helpers import csv_bytes, run
from .test_members_enterprises import MEMBER_HEADERS, member_row

pytestmark = pytest.mark.django_db


def rows_with_errors(world, count, bad=()):
    rows = [member_row(i, world.branch_a1.code) for i in range(count)]
    for index in bad:
        rows[index][1] = rows[index][1][:-1] + ("0" if rows[index][1][-1] != "0" else "1")
    return rows


def test_the_sink_gets_every_row_by_chunk_and_the_report_keeps_none(world):
    rows = rows_with_errors(world, 2500, bad=(10, 2400))
    chunks = []
    report = run(
        "members",
        world.secretary,
        csv_bytes(MEMBER_HEADERS, rows),
        filename="m.csv",
        dry_run=True,
        keep_rows=0,
        on_rows=chunks.append,
    )
    assert [len(chunk) for chunk in chunks] == [1000, 1000, 500]
    lines = [row.line for chunk in chunks for row in chunk]
    assert lines == list(range(2, 2502))  # file order, the header on line 1
    assert [row.line for chunk in chunks for row in chunk if row.action == "error"] == [12, 2402]
    assert report.rows == []
    assert report.total == 2500
    assert report.counts["error"] == 2
    # keep_rows with a sink: only the first rows, whatever their result.
    kept = run(
        "members",
        world.secretary,
        csv_bytes(MEMBER_HEADERS, rows),
        filename="m.csv",
        dry_run=True,
        keep_rows=5,
        on_rows=lambda rows: None,
    )
    assert [row.line for row in kept.rows] == [2, 3, 4, 5, 6]


def test_what_the_sink_writes_in_a_dry_run_survives_its_rollback(world):
    rows = rows_with_errors(world, 1500)
    before = Member.objects.count()

    def sink(results):
        District.objects.create(code=f"99{len(results):04d}", name=f"sink {len(results)}", city="x")

    with transaction.atomic():  # as the import job runs it
        report = run(
            "members",
            world.secretary,
            csv_bytes(MEMBER_HEADERS, rows),
            filename="m.csv",
            dry_run=True,
            keep_rows=0,
            on_rows=sink,
        )
        assert not report.committed
        assert report.counts["new"] == 1500
        assert District.objects.filter(name__startswith="sink ").count() == 2
    assert District.objects.filter(name__startswith="sink ").count() == 2
    assert Member.objects.count() == before  # the dry run wrote no member


def test_a_write_run_with_a_sink_still_writes_all_or_nothing(world):
    rows = rows_with_errors(world, 1200, bad=(1100,))
    before = Member.objects.count()
    seen = []
    report = dataio.run_import(
        kind="members",
        user=world.secretary,
        file=csv_bytes(MEMBER_HEADERS, rows),
        filename="m.csv",
        dry_run=False,
        keep_rows=0,
        on_rows=seen.append,
    )
    assert not report.committed
    assert Member.objects.count() == before
    assert sum(len(chunk) for chunk in seen) == 1200
    assert report.rows == []
    rows = rows_with_errors(world, 1200)
    report = dataio.run_import(
        kind="members",
        user=world.secretary,
        file=csv_bytes(MEMBER_HEADERS, rows),
        filename="m.csv",
        dry_run=False,
        keep_rows=0,
        on_rows=lambda rows: None,
    )
    assert report.committed
    assert Member.objects.count() == before + 1200
