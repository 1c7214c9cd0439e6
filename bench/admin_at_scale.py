"""Benchmark: the admin back office at 100 000 members, on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hongfan_bench .venv/bin/python bench/admin_at_scale.py

Creates the database if missing, migrates, generates one district with 50 parks, 500 branches and
100 000 members (once; later runs reuse them), then times the member changelist for a superuser
and for a park administrator: the first page, a deep page, a name search and an ID-number search
(through the keyed digest). Prints the median and 95th percentile of each and the number of SQL
queries per page. Results are recorded in docs/benchmarks.md.
"""

import datetime
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/hongfan_bench")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
os.environ["DJANGO_DEBUG"] = "false"

MEMBERS = int(os.environ.get("BENCH_MEMBERS", "100000"))
PARKS, BRANCHES = 50, 500
RUNS = int(os.environ.get("BENCH_RUNS", "20"))


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

    from accounts.models import Role, RoleAssignment
    from core.codes import make_id_number
    from members.models import Member
    from parks.models import District, Organization, Park

    district, _ = District.objects.get_or_create(code="330402", defaults={"name": "南湖区", "city": "嘉兴市"})
    existing = Member.objects.count()
    if existing >= MEMBERS:
        print(f"reusing {existing} members")
    else:
        started = time.perf_counter()
        with transaction.atomic():
            parks = [Park.objects.get_or_create(district=district, name=f"基准园区{i:02d}")[0] for i in range(PARKS)]
            branches = []
            for i in range(BRANCHES):
                branch, _ = Organization.objects.get_or_create(
                    code=f"BENCH{i:04d}",
                    defaults={"name": f"基准支部{i:04d}", "district": district, "park": parks[i % PARKS]},
                )
                branches.append(branch)
            batch = []
            for n in range(existing, MEMBERS):
                birth = datetime.date(1960, 1, 1) + datetime.timedelta(days=n % 15000)
                gender = "M" if n % 2 else "F"
                division = f"3304{(n // 500) % 100:02d}"
                batch.append(
                    Member(
                        name=f"党员{n:06d}",
                        gender=gender,
                        birth_date=birth,
                        id_number=make_id_number(
                            division=division, birth_date=birth, gender=gender, sequence=(n // 15000) % 500
                        ),
                        organization=branches[n % BRANCHES],
                        stage="full",
                        full_on=datetime.date(2010, 1, 1),
                    )
                )
                if len(batch) == 5000:
                    Member.objects.bulk_create(batch)
                    batch.clear()
            Member.objects.bulk_create(batch)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        print(f"generated {MEMBERS - existing} members in {time.perf_counter() - started:.1f} s")
    User = get_user_model()
    root, _ = User.objects.get_or_create(username="bench_root", defaults={"is_superuser": True, "is_staff": True})
    admin, created = User.objects.get_or_create(username="bench_parkadmin", defaults={"is_staff": True})
    if created:
        RoleAssignment.objects.create(user=admin, role=Role.PARK_ADMIN, park=Park.objects.get(name="基准园区00"))
    return root, admin


def measure(client, url):
    from django.db import connection, reset_queries

    timings, queries = [], 0
    for _ in range(RUNS):
        reset_queries()
        started = time.perf_counter()
        response = client.get(url)
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
        queries = len(connection.queries)
    timings.sort()
    return statistics.median(timings), timings[int(len(timings) * 0.95) - 1], queries


def main():
    ensure_database(os.environ["DATABASE_URL"])
    import django

    django.setup()

    # As the server starts (docker/gunicorn.conf.py): warm, then freeze what is loaded out of the
    # garbage collector's generations. BENCH_GC_FREEZE=0 measures without the freeze.
    from portal.warmup import freeze, warm

    warm()
    if os.environ.get("BENCH_GC_FREEZE", "1") != "0":
        freeze()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment

    from members.models import Member

    setup_test_environment()
    settings.DEBUG = True  # record queries; templates and the rest behave as in production
    call_command("migrate", verbosity=0)
    root, park_admin = generate()
    number = Member.objects.order_by("pk")[MEMBERS // 2].id_number
    print(f"PostgreSQL {connection.pg_version}, {Member.objects.count()} members, {RUNS} runs each")
    print(f"{'who':<12} {'page':<28} {'median ms':>10} {'p95 ms':>8} {'queries':>8}")
    # The park administrator's park holds 1/50 of the members: 20 pages of 100.
    for label, user, deep in (("superuser", root, 500), ("park admin", park_admin, 15)):
        client = Client()
        client.force_login(user)
        for name, url in (
            ("first page", "/admin/members/member/"),
            (f"page {deep}", f"/admin/members/member/?p={deep}"),
            ("search by name", "/admin/members/member/?q=%E5%85%9A%E5%91%98012345"),
            ("search by ID number", f"/admin/members/member/?q={number}"),
        ):
            median, p95, queries = measure(client, url)
            print(f"{label:<12} {name:<28} {median:>10.1f} {p95:>8.1f} {queries:>8}")


if __name__ == "__main__":
    main()
