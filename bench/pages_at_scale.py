"""Benchmark: every page of the menus of a district official, a park administrator and a superuser
at 100 000 members.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hongfan_bench_stats .venv/bin/python bench/pages_at_scale.py

Uses the district of bench/stats_at_scale.py (generated once, then reused: 100 000 members with
their joining events, 2 000 branches, 1 000 000 attendance rows). Through Django's test client, as
the district's official (``bench_official``), the administrator of its first park
(``bench_parkadmin``, 2 000 members) and a superuser (``bench_superuser``; both created once), it
reads each page of the login's menu (``portal.navigation``, as tests/portal/test_every_page_queries.py
does: a page that enters a menu is measured the day it does; a redirect is followed once)
BENCH_RUNS times (10 by default), after one read that fills the caches, and prints the median, the
p95 and the query count of each, marking the pages over 150 ms at the p95 (issue #16's goal for
the dashboard, a yardstick here). BENCH_COLD=1 clears the cache before each read (the first view
after a write). The load average is printed first and last: record it with the numbers
(docs/benchmarks.md).
"""

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/hongfan_bench_stats")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
os.environ["DJANGO_DEBUG"] = "false"

RUNS = int(os.environ.get("BENCH_RUNS", "10"))
COLD = os.environ.get("BENCH_COLD") == "1"
GOAL_MS = 150


def main():
    import stats_at_scale

    stats_at_scale.ensure_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    from portal.warmup import freeze, warm

    warm()
    freeze()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.cache import cache
    from django.core.management import call_command
    from django.core.signals import request_started
    from django.db import connection, reset_queries
    from django.test import Client

    from accounts.models import Role, RoleAssignment
    from core.scope import scope_for
    from parks.models import Park
    from portal.navigation import items_for

    call_command("migrate", verbosity=0, skip_checks=True)
    _district, official = stats_at_scale.generate()
    superuser = get_user_model().objects.filter(username="bench_superuser").first()
    if superuser is None:
        superuser = get_user_model().objects.create_superuser("bench_superuser", "bench@example.org", None)
    park_admin, created = get_user_model().objects.get_or_create(username="bench_parkadmin")
    if created:
        park = Park.objects.filter(district=_district).order_by("pk").first()
        RoleAssignment.objects.create(user=park_admin, role=Role.PARK_ADMIN, park=park)
    settings.ALLOWED_HOSTS = ["127.0.0.1"]
    request_started.disconnect(reset_queries)  # keep each request's queries, to count them

    def get(client, url):
        if COLD:
            cache.clear()
        return client.get(url)

    def timed(client, url):
        first = get(client, url)  # fills the caches
        if first.status_code == 302:  # a menu entry that leads to the user's own page
            url = first["Location"]
            first = get(client, url)
        if first.status_code != 200:
            return None, first.status_code, url
        connection.force_debug_cursor = True
        before = len(connection.queries_log)
        get(client, url)
        queries = len(connection.queries_log) - before
        connection.force_debug_cursor = False
        timings = []
        for _ in range(RUNS):
            started = time.perf_counter()
            get(client, url)
            timings.append((time.perf_counter() - started) * 1000)
        timings.sort()
        return (statistics.median(timings), timings[max(0, int(len(timings) * 0.95) - 1)], queries), 200, url

    load = os.getloadavg()
    print(
        f"PostgreSQL {connection.pg_version}; {RUNS} runs each; cache {'cleared before each' if COLD else 'warm'}; "
        f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
    )
    print(f"{'login':16} {'page':52} {'median':>8} {'p95':>8} {'queries':>7}")
    over = []
    for user in (official, park_admin, superuser):
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(user)
        urls = sorted({"/", *(item["url"] for item in items_for(scope_for(user)))})
        for url in urls:
            result, status, url = timed(client, url)
            if result is None:
                print(f"{user.username:16} {url:52} {'HTTP ' + str(status):>17}")
                continue
            median, p95, queries = result
            mark = "  over" if p95 >= GOAL_MS else ""
            print(f"{user.username:16} {url:52} {median:6.1f}ms {p95:6.1f}ms {queries:7d}{mark}")
            if mark:
                over.append((user.username, url, p95))
    load = os.getloadavg()
    print(f"pages over {GOAL_MS} ms at the p95: {len(over)}")
    print(f"load average at the end {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")


if __name__ == "__main__":
    main()
