"""Benchmark: the park attendance export at scale, on PostgreSQL (docs/benchmarks.md, "Exports").

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hongfan_bench_export .venv/bin/python bench/export_at_scale.py
    # a million rows (about 10 minutes to generate, once; reused afterwards):
    BENCH_ROWS=1000000 DATABASE_URL=... .venv/bin/python bench/export_at_scale.py

Creates the database if missing and migrates it, then (once; reused while the count matches) one
park with 20 branches, 2 000 members and BENCH_ROWS attendance rows (default 200 000): a quarter of
them at activities of 2025, the rest of 2026, so that the export has two sizes, "period=2025"
(a quarter) and everything, to show whether memory grows with the rows.

Each measurement runs in its own child process (so that its peak resident memory is its own): Django
set up, a park administrator signed in through the test client and one small export made (the
baseline), then the export of the park's attendance over HTTP (``client.get`` and the streamed
body read chunk by chunk): time to the first byte, total time, bytes, and the peak RSS above the
baseline (``resource.getrusage``). ``old`` is the in-memory path the page used before
(``core.importing.export_dataset``: the whole file built as bytes, sent after the last row), for
comparison. BENCH_FORMATS (default "csv,xlsx"), BENCH_PATHS (default "stream,old").
"""

import datetime
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/hongfan_bench_export")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
os.environ["DJANGO_DEBUG"] = "false"

ROWS = int(os.environ.get("BENCH_ROWS", "200000"))
MEMBERS = 2000
BRANCHES = 20
FORMATS = [s for s in os.environ.get("BENCH_FORMATS", "csv,xlsx").split(",") if s]
PATHS = [s for s in os.environ.get("BENCH_PATHS", "stream,old").split(",") if s]
ADMIN = "bench_export_parkadmin"


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


def generate():
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction
    from django.utils import timezone

    from accounts.models import Role, RoleAssignment
    from activities.models import Activity, Attendance
    from core.codes import make_id_number
    from members.models import Member
    from parks.models import District, Organization, Park

    district, _ = District.objects.get_or_create(code="330402", defaults={"name": "南湖区", "city": "嘉兴市"})
    park, _ = Park.objects.get_or_create(district=district, name="导出基准园区")
    User = get_user_model()
    admin, created = User.objects.get_or_create(username=ADMIN)
    if created:
        RoleAssignment.objects.create(user=admin, role=Role.PARK_ADMIN, park=park)
    existing = Attendance.objects.filter(activity__host__park=park).count()
    if existing == ROWS:
        print(f"reusing {existing} attendance rows")
        return
    started = time.perf_counter()
    with transaction.atomic():
        Attendance.objects.filter(activity__host__park=park).delete()
        Activity.objects.filter(host__park=park).delete()
        branches = [
            Organization.objects.get_or_create(
                code=f"EXPB{i:03d}", defaults={"name": f"导出支部{i:03d}", "district": district, "park": park}
            )[0]
            for i in range(BRANCHES)
        ]
        members = list(Member.objects.filter(organization__in=branches).order_by("pk"))
        batch = []
        for n in range(len(members), MEMBERS):
            birth = datetime.date(1960, 1, 1) + datetime.timedelta(days=n * 7 % 15000)
            gender = "M" if n % 2 else "F"
            batch.append(
                Member(
                    name=f"导出党员{n:05d}",
                    gender=gender,
                    birth_date=birth,
                    id_number=make_id_number(division="330402", birth_date=birth, gender=gender, sequence=n % 500),
                    organization=branches[n % BRANCHES],
                    stage="full",
                    full_on=datetime.date(2010, 1, 1),
                )
            )
        Member.objects.bulk_create(batch)
        members = list(Member.objects.filter(organization__in=branches).order_by("pk"))[:MEMBERS]
        activities_needed = -(-ROWS // MEMBERS)
        tz = timezone.get_current_timezone()
        activities = []
        for i in range(activities_needed):
            year = 2025 if i < activities_needed // 4 else 2026
            day = datetime.datetime(year, 1 + i % 10, 1 + i % 28, 9, 0, tzinfo=tz)
            activities.append(
                Activity(
                    host=branches[i % BRANCHES],
                    kind=Activity.Kind.COMMITTEE_MEETING,
                    title=f"导出基准活动{i:04d}",
                    starts_at=day,
                    status=Activity.Status.HELD,
                )
            )
        activities = Activity.objects.bulk_create(activities)
        batch = []
        for n in range(ROWS):
            batch.append(Attendance(activity=activities[n // MEMBERS], member=members[n % MEMBERS], late=n % 7 == 0))
            if len(batch) == 10000:
                Attendance.objects.bulk_create(batch)
                batch.clear()
        Attendance.objects.bulk_create(batch)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"generated {ROWS} attendance rows in {time.perf_counter() - started:.1f} s")


def peak_kb() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux


def child(path: str, file_format: str, period: str) -> dict:
    """One measurement (in a fresh process)."""
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.test.utils import setup_test_environment
    from django.urls import reverse

    setup_test_environment()
    settings.HONGFAN_EXPORT_SYNC_ROWS = 10**9  # always in the request here
    user = get_user_model().objects.get(username=ADMIN)
    client = Client()
    client.force_login(user)
    url = reverse("export", args=["attendance"])
    params = {"format": file_format, **({"period": period} if period else {})}
    # Baseline: one small export (the code paths imported, the scope loaded).
    warm = client.get(url, {"format": file_format, "activity": "0"})  # 400: an unknown activity
    assert warm.status_code == 400
    baseline = peak_kb()
    started = time.perf_counter()
    size = 0
    first = None
    if path == "stream":
        response = client.get(url, params)
        assert response.status_code == 200, response.status_code
        assert response.streaming
        for chunk in response.streaming_content:
            if first is None:
                first = time.perf_counter() - started
            size += len(chunk)
        response.close()
    else:  # the in-memory path: the whole file as bytes, then sent
        from core import importing
        from dataio.jobs import export_queryset

        queryset = export_queryset(kind="attendance", user=user, period=period) if period else None
        data = importing.export_dataset(kind="attendance", user=user, queryset=queryset, file_format=file_format)
        first = time.perf_counter() - started
        size = len(data)
    total = time.perf_counter() - started
    return {
        "path": path,
        "format": file_format,
        "period": period or "all",
        "first_byte_s": round(first or total, 3),
        "total_s": round(total, 2),
        "mb": round(size / 1e6, 1),
        "peak_rss_above_baseline_mb": round((peak_kb() - baseline) / 1024, 1),
    }


def main():
    import django

    if len(sys.argv) == 5 and sys.argv[1] == "--child":
        print(json.dumps(child(sys.argv[2], sys.argv[3], sys.argv[4] if sys.argv[4] != "-" else "")))
        return
    ensure_database(os.environ["DATABASE_URL"])
    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    generate()
    print(f"uptime: {subprocess.run(['uptime'], capture_output=True, text=True).stdout.strip()}")
    print("path    format period  first byte    total     size  peak RSS above baseline")
    for file_format in FORMATS:
        for path in PATHS:
            for period in ("2025", "-"):
                out = subprocess.run(
                    [sys.executable, __file__, "--child", path, file_format, period],
                    capture_output=True,
                    text=True,
                    check=True,
                )
                r = json.loads(out.stdout.strip().splitlines()[-1])
                print(
                    f"{r['path']:<7} {r['format']:<6} {r['period']:<6} {r['first_byte_s']:>8.3f} s"
                    f" {r['total_s']:>7.2f} s {r['mb']:>6.1f} MB {r['peak_rss_above_baseline_mb']:>8.1f} MB",
                    flush=True,
                )


if __name__ == "__main__":
    main()
