"""Benchmark: importing members from xlsx at 10 000, 50 000 and 100 000 rows, on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hongfan_bench_import .venv/bin/python bench/import_at_scale.py

Creates the database if missing and migrates it, creates one district, one park, 200 branches and a
superuser, writes xlsx files of new members (openpyxl write-only, in /tmp), then imports each file

- with the portal's engine (``portal.dataio.run_import``: streamed reading, look-ups loaded once,
  bulk writes in chunks of 1 000 rows), and
- with django-import-export's default path on the same file: a plain ``ModelResource`` (columns
  mapped to the same Chinese headers, the organisation by a ``ForeignKeyWidget`` on its code)
  and ``import_data(use_bulk=False)``: one look-up, one validation and one save per row.

Every import runs in a child process (so that its peak resident memory is its own) inside a
transaction that is rolled back afterwards, so every run starts from the same empty table. Prints
the wall time, rows per second and the peak memory above the process's baseline; results are in
docs/benchmarks.md.

BENCH_SIZES (default "10000,50000,100000") and BENCH_DEFAULT_SIZES (the sizes also run through the
library's path; default "10000") choose the runs; BENCH_KEEP_ROWS=all keeps every row in the
engine's report instead of the first 100.

BENCH_PAGES_SIZES (default none) also runs the import pages' check at those sizes, both ways:

- ``pages``: what ``portal.imports`` does now, a dry run whose rows go chunk by chunk to the row
  sink (``run_import(on_rows=imports._RowSink(job), keep_rows=0)``) that stores them as ImportRow;
- ``pages-old``: what it did before, a dry run keeping every row in the report
  (``keep_rows=None``), then all of them sorted errors first and stored as ImportRow.

BENCH_READ_SIZES (default "20000") times reading alone, the xlsx of that many rows read from start
to end (``core.tabular.iter_table`` + ``non_empty``, every cell as the engine gets it) by each of
BENCH_READERS (default "openpyxl,calamine,stream"): ``openpyxl`` (read-only, streamed: the reader
before #16), ``calamine`` (python-calamine: the whole sheet in memory) and ``stream``
(``core.xlsxstream``: expat, row by row), each in its own child process, best of BENCH_READ_REPEAT
(default 3) runs, and prints the ratios. Needs no database: ``BENCH_PATHS=read`` runs only that.
(``core.tabular`` chooses calamine or stream by the sheet's size, ``STREAM_FROM_BYTES``.)

Three more paths, for the goals of #16 item 5:

- ``engine-calamine``: the engine with the sheet read by calamine whatever its size (the engine
  before the streaming reader);
- ``engine-openpyxl``: the engine with the sheet read by openpyxl (read-only, streamed: the reader
  before #16). Prints how many times faster the engine is (goal: at least 2x). Run from a checkout
  of the code before a change to the engine, it times that engine (docs/benchmarks.md);
- ``raw``: the anchor, the same rows inserted with no validation: the file read as the engine
  reads it, each row made a ``Member`` (labels mapped to codes, dates parsed, the organisation
  looked up in a dict) and ``bulk_create`` in batches of 1 000; no history, membership or stage
  rows. Prints how many times the engine's time it is (goal: the engine within 1.5× of it).

BENCH_PATHS (default "read,engine,default,pages,pages-old") narrows the paths run
("engine-calamine", "engine-openpyxl" and "raw" run only when named). BENCH_PROFILE=1 prints a
cProfile of each import (by BENCH_PROFILE_SORT, default tottime) to stderr; its times are then
not comparable.
"""

import datetime
import io
import multiprocessing
import os
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/hongfan_bench_import")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
os.environ["DJANGO_DEBUG"] = "false"

SIZES = [int(s) for s in os.environ.get("BENCH_SIZES", "10000,50000,100000").split(",") if s]
DEFAULT_SIZES = [int(s) for s in os.environ.get("BENCH_DEFAULT_SIZES", "10000").split(",") if s]
# Non-error rows kept in the report: 100 by default; "all" keeps every row, as the import pages do.
KEEP_ROWS = None if os.environ.get("BENCH_KEEP_ROWS") == "all" else int(os.environ.get("BENCH_KEEP_ROWS", "100"))
PAGES_SIZES = [int(s) for s in os.environ.get("BENCH_PAGES_SIZES", "").split(",") if s]
PATHS = [s for s in os.environ.get("BENCH_PATHS", "read,engine,default,pages,pages-old").split(",") if s]
READ_SIZES = [int(s) for s in os.environ.get("BENCH_READ_SIZES", "20000").split(",") if s]
PROFILE = os.environ.get("BENCH_PROFILE") == "1"  # cProfile of each import (its times are then inflated)
READ_REPEAT = int(os.environ.get("BENCH_READ_REPEAT", "3"))
READERS = [s for s in os.environ.get("BENCH_READERS", "openpyxl,calamine,stream").split(",") if s]
BRANCHES = 200
HEADERS = [
    "姓名",
    "身份证号",
    "性别",
    "出生日期",
    "手机号码",
    "学历",
    "所在党组织",
    "发展阶段",
    "申请入党日期",
    "确定为积极分子日期",
    "确定为发展对象日期",
    "接收为预备党员日期",
    "转为正式党员日期",
]


def ensure_database(url):
    import psycopg2

    name = url.rsplit("/", 1)[1]
    admin = psycopg2.connect(url.rsplit("/", 1)[0] + "/postgres")
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if not cursor.fetchone():
            cursor.execute(f'CREATE DATABASE "{name}"')
    admin.close()


def setup_world():
    from django.contrib.auth import get_user_model

    from parks.models import District, Organization, Park

    district, _ = District.objects.get_or_create(code="330411", defaults={"name": "基准区", "city": "嘉兴市"})
    park, _ = Park.objects.get_or_create(district=district, name="导入基准园区")
    for i in range(BRANCHES):
        Organization.objects.get_or_create(
            code=f"IMPB{i:04d}", defaults={"name": f"导入基准支部{i:04d}", "district": district, "park": park}
        )
    user, _ = get_user_model().objects.get_or_create(username="bench-import", defaults={"is_superuser": True})
    return user


def write_file(rows: int) -> Path:
    import openpyxl

    from core.codes import make_id_number

    path = Path(f"/tmp/hongfan-import-{rows}.xlsx")
    if path.exists():
        return path
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("党员")
    sheet.append(HEADERS)
    for n in range(rows):
        birth = datetime.date(1960, 1, 1) + datetime.timedelta(days=n % 15000)
        gender = "M" if n % 2 else "F"
        number = make_id_number(division="330411", birth_date=birth, gender=gender, sequence=n // 15000 + 1)
        sheet.append(
            [
                f"导入党员{n:06d}",
                number,
                "男" if gender == "M" else "女",
                birth.isoformat(),
                f"139{n:08d}",
                "本科",
                f"IMPB{n % BRANCHES:04d}",
                "正式党员",
                "2015-03-01",
                "2015-06-01",
                "2016-07-01",
                "2016-09-01",
                "2017-09-01",
            ]
        )
    workbook.save(path)
    return path


def default_resource_class():
    """django-import-export's default: a ModelResource mapped to the same columns, row by row."""
    from import_export import fields, resources, widgets

    from members.models import Member
    from parks.models import Organization

    class DefaultMemberResource(resources.ModelResource):
        name = fields.Field("name", "姓名")
        id_number = fields.Field("id_number", "身份证号")
        gender = fields.Field("gender", "性别")
        birth_date = fields.Field("birth_date", "出生日期", widget=widgets.DateWidget("%Y-%m-%d"))
        phone = fields.Field("phone", "手机号码")
        education = fields.Field("education", "学历")
        organization = fields.Field("organization", "所在党组织", widget=widgets.ForeignKeyWidget(Organization, "code"))
        stage = fields.Field("stage", "发展阶段")
        applied_on = fields.Field("applied_on", "申请入党日期", widget=widgets.DateWidget("%Y-%m-%d"))
        activist_on = fields.Field("activist_on", "确定为积极分子日期", widget=widgets.DateWidget("%Y-%m-%d"))
        candidate_on = fields.Field("candidate_on", "确定为发展对象日期", widget=widgets.DateWidget("%Y-%m-%d"))
        probationary_on = fields.Field("probationary_on", "接收为预备党员日期", widget=widgets.DateWidget("%Y-%m-%d"))
        full_on = fields.Field("full_on", "转为正式党员日期", widget=widgets.DateWidget("%Y-%m-%d"))

        class Meta:
            model = Member
            fields = (
                "name",
                "id_number",
                "gender",
                "birth_date",
                "phone",
                "education",
                "organization",
                "stage",
                "applied_on",
                "activist_on",
                "candidate_on",
                "probationary_on",
                "full_on",
            )
            import_id_fields = ("id_number",)
            use_bulk = False
            clean_model_instances = True

        def before_import_row(self, row, **kwargs):
            # The file holds labels; the model stores codes (our engine maps them itself).
            row["性别"] = {"男": "M", "女": "F"}.get(row["性别"], row["性别"])
            row["学历"] = "bachelor" if row["学历"] == "本科" else row["学历"]
            row["发展阶段"] = "full" if row["发展阶段"] == "正式党员" else row["发展阶段"]

    return DefaultMemberResource


class Done(Exception):
    pass


def check_as_the_pages(path_name, user, data):
    """The import pages' check of a file into ImportRow: now through the row sink, or as before."""
    from core import importing as dataio
    from dataio import jobs as imports
    from dataio.models import ImportJob, ImportRow

    job = ImportJob.objects.create(user=user, kind="members", filename="m.xlsx")
    if path_name == "pages":
        sink = imports._RowSink(job)
        report = dataio.run_import(
            kind="members", user=user, file=io.BytesIO(data), filename="m.xlsx", dry_run=True, keep_rows=0, on_rows=sink
        )
        sink.close()
    else:  # the previous code of portal.imports (_store_rows), verbatim but for its name
        report = dataio.run_import(kind="members", user=user, file=io.BytesIO(data), filename="m.xlsx", dry_run=True)
        ordered = sorted(report.rows, key=lambda row: (row.action != "error", row.line))
        batch = []
        for position, row in enumerate(ordered):
            batch.append(
                ImportRow(
                    job=job,
                    position=position,
                    line=row.line,
                    action=row.action,
                    errors=[[str(column or ""), str(message)] for column, message in row.errors],
                    values={str(key): imports._display(value) for key, value in (row.values or {}).items()},
                )
            )
            if len(batch) >= imports.ROW_BATCH:
                ImportRow.objects.bulk_create(batch)
                batch = []
        if batch:
            ImportRow.objects.bulk_create(batch)
    stored = ImportRow.objects.filter(job=job).count()
    return {
        "new": report.counts["new"],
        "errors": report.counts["error"],
        "committed": report.committed,
        "stored": stored,
        "kept": len(report.rows),
    }


def raw_bulk_insert(data):
    """The anchor: the file's rows inserted as members with no validation nor history rows."""
    from core.tabular import iter_table, non_empty
    from members.models import Member
    from parks.models import Organization

    organizations = dict(Organization.objects.filter(code__startswith="IMPB").values_list("code", "pk"))
    gender = {"男": "M", "女": "F"}

    def day(value):
        return datetime.date.fromisoformat(value) if value else None

    _estimate, rows = iter_table(data=data, filename="m.xlsx")
    lines = non_empty(rows)
    next(lines)  # the header
    batch, count = [], 0
    for _line, cells in lines:
        batch.append(
            Member(
                name=cells[0],
                id_number=cells[1],
                gender=gender[cells[2]],
                birth_date=day(cells[3]),
                phone=cells[4],
                education="bachelor",
                organization_id=organizations[cells[6]],
                stage="full",
                applied_on=day(cells[8]),
                activist_on=day(cells[9]),
                candidate_on=day(cells[10]),
                probationary_on=day(cells[11]),
                full_on=day(cells[12]),
            )
        )
        if len(batch) >= 1000:
            Member.objects.bulk_create(batch)
            count += len(batch)
            batch = []
    Member.objects.bulk_create(batch)
    count += len(batch)
    return {"new": count, "errors": 0, "committed": True}


def measure(path_name, rows, file_path, user_pk, queue):
    """In a child process: import inside a transaction that is rolled back; report time and memory."""
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction

    user = get_user_model().objects.get(pk=user_pk)
    data = file_path.read_bytes()
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    profiler = None
    if PROFILE:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    started = time.perf_counter()
    outcome = {}
    try:
        with transaction.atomic():
            if path_name == "engine":
                from core import importing as dataio

                report = dataio.run_import(
                    kind="members",
                    user=user,
                    file=io.BytesIO(data),
                    filename="m.xlsx",
                    dry_run=False,
                    keep_rows=KEEP_ROWS,
                )
                outcome = {"new": report.counts["new"], "errors": report.counts["error"], "committed": report.committed}
            elif path_name == "engine-calamine":
                from core import importing as dataio
                from core import tabular

                tabular.STREAM_FROM_BYTES = 2**62  # calamine whatever the size (this child only)
                report = dataio.run_import(
                    kind="members",
                    user=user,
                    file=io.BytesIO(data),
                    filename="m.xlsx",
                    dry_run=False,
                    keep_rows=KEEP_ROWS,
                )
                outcome = {"new": report.counts["new"], "errors": report.counts["error"], "committed": report.committed}
            elif path_name == "engine-openpyxl":
                import functools

                from core import importing as dataio
                from core import tabular

                # The reader before #16: openpyxl (read-only, streamed), whatever the size (this child only).
                dataio.iter_table = functools.partial(tabular.iter_table, xlsx_reader="openpyxl")
                report = dataio.run_import(
                    kind="members",
                    user=user,
                    file=io.BytesIO(data),
                    filename="m.xlsx",
                    dry_run=False,
                    keep_rows=KEEP_ROWS,
                )
                outcome = {"new": report.counts["new"], "errors": report.counts["error"], "committed": report.committed}
            elif path_name == "raw":
                outcome = raw_bulk_insert(data)
            elif path_name in ("pages", "pages-old"):
                outcome = check_as_the_pages(path_name, user, data)
            else:
                import tablib

                dataset = tablib.Dataset().load(io.BytesIO(data), format="xlsx")
                result = default_resource_class()().import_data(
                    dataset, dry_run=False, use_transactions=True, user=user
                )
                outcome = {
                    "new": result.totals.get("new"),
                    "errors": len(result.invalid_rows) + len(result.row_errors()),
                    "committed": not result.has_errors(),
                }
            outcome["seconds"] = time.perf_counter() - started
            raise Done
    except Done:
        pass
    if profiler is not None:
        import pstats

        profiler.disable()
        print(f"--- {path_name}, {rows} rows", file=sys.stderr)
        pstats.Stats(profiler, stream=sys.stderr).sort_stats(
            os.environ.get("BENCH_PROFILE_SORT", "tottime")
        ).print_stats(30)
    outcome["peak_mb"] = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - baseline) / 1024
    connection.close()
    queue.put(outcome)


def measure_read(reader, file_path, queue):
    """Read the whole file with ``reader`` (every row, every cell), in this child process."""
    from core.tabular import iter_table, non_empty

    data = Path(file_path).read_bytes()
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    best, count = None, 0
    for _ in range(READ_REPEAT):
        started = time.perf_counter()
        _estimate, rows = iter_table(data=data, filename="bench.xlsx", xlsx_reader=reader)
        count = sum(1 for _row in non_empty(rows)) - 1
        seconds = time.perf_counter() - started
        best = seconds if best is None else min(best, seconds)
    peak = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - baseline) / 1024
    queue.put({"seconds": best, "rows": count, "peak_mb": peak})


def compare_readers(context):
    print(f"{'reader':<10} {'rows':>8} {'seconds':>9} {'rows/s':>8} {'peak MB':>8}", flush=True)
    for rows in READ_SIZES:
        file_path = write_file(rows)
        outcome = {}
        for reader in READERS:
            queue = context.Queue()
            child = context.Process(target=measure_read, args=(reader, file_path, queue))
            child.start()
            outcome[reader] = queue.get()
            child.join()
            result = outcome[reader]
            assert result["rows"] == rows, result
            print(
                f"{reader:<10} {rows:>8} {result['seconds']:>9.2f} {rows / result['seconds']:>8.0f} "
                f"{result['peak_mb']:>8.1f}",
                flush=True,
            )
        for faster, slower in [("calamine", "openpyxl"), ("stream", "openpyxl"), ("calamine", "stream")]:
            if faster in outcome and slower in outcome:
                ratio = outcome[slower]["seconds"] / outcome[faster]["seconds"]
                print(f"{rows} rows: {faster} reads {ratio:.1f}x faster than {slower}", flush=True)


def main():
    import django

    context = multiprocessing.get_context("fork")
    if "read" in PATHS and READ_SIZES:
        django.setup()
        compare_readers(context)
        if set(PATHS) == {"read"}:
            return
    ensure_database(os.environ["DATABASE_URL"])

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    user = setup_world()
    every = sorted(set(SIZES) | set(DEFAULT_SIZES) | set(PAGES_SIZES))
    files = {rows: write_file(rows) for rows in every}
    connection.close()
    print(f"{'path':<10} {'rows':>8} {'seconds':>9} {'rows/s':>8} {'peak MB':>8}  outcome")
    results = {}
    wanted = {
        "engine": SIZES,
        "engine-calamine": SIZES,
        "engine-openpyxl": SIZES,
        "raw": SIZES,
        "default": DEFAULT_SIZES,
        "pages": PAGES_SIZES,
        "pages-old": PAGES_SIZES,
    }
    for rows in every:
        for path_name in ("engine", "engine-calamine", "engine-openpyxl", "raw", "default", "pages", "pages-old"):
            if path_name not in PATHS or rows not in wanted[path_name]:
                continue
            queue = context.Queue()
            child = context.Process(target=measure, args=(path_name, rows, files[rows], user.pk, queue))
            child.start()
            outcome = queue.get()
            child.join()
            results[(path_name, rows)] = outcome
            print(
                f"{path_name:<10} {rows:>8} {outcome['seconds']:>9.1f} {rows / outcome['seconds']:>8.0f} "
                f"{outcome['peak_mb']:>8.1f}  new={outcome['new']} errors={outcome['errors']}"
                + (f" stored={outcome['stored']} kept={outcome['kept']}" if "stored" in outcome else ""),
                flush=True,
            )
    for rows in SIZES:
        if ("engine", rows) in results and ("raw", rows) in results:
            ratio = results[("engine", rows)]["seconds"] / results[("raw", rows)]["seconds"]
            print(f"{rows} rows: the engine takes {ratio:.2f}x the raw bulk insert's time (goal: within 1.5x)")
        if ("engine", rows) in results and ("engine-calamine", rows) in results:
            ratio = results[("engine-calamine", rows)]["seconds"] / results[("engine", rows)]["seconds"]
            print(f"{rows} rows: the engine with calamine takes {ratio:.2f}x the engine's time")
        if ("engine", rows) in results and ("engine-openpyxl", rows) in results:
            ratio = results[("engine-openpyxl", rows)]["seconds"] / results[("engine", rows)]["seconds"]
            print(f"{rows} rows: the engine is {ratio:.2f}x faster than with openpyxl (goal: at least 2x)")
        if ("engine", rows) in results:
            peak = results[("engine", rows)]["peak_mb"]
            print(f"{rows} rows: the engine's peak memory is {peak:.1f} MB above its baseline (goal: under 50 MB)")
    for rows in DEFAULT_SIZES:
        if ("engine", rows) in results and ("default", rows) in results:
            ratio = results[("default", rows)]["seconds"] / results[("engine", rows)]["seconds"]
            print(f"{rows} rows: the engine is {ratio:.1f}x faster than the library's default path")


if __name__ == "__main__":
    main()
