"""Benchmark: the API's list pages at scale, each as a ratio to a no-database endpoint.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hongfan_bench_stats .venv/bin/python bench/api_lists_at_scale.py

Uses the district of bench/stats_at_scale.py (generated once, then reused: 100 000 members,
2 000 branches, 20 000 activities, 1 000 000 attendance rows, 5 000 service requests; BENCH_*
variables as there). In one process, through Django's test client with the same session
authentication for every request, it times BENCH_RUNS (default 30) requests of:

* the anchor: a DRF view with the API's authentication and permission classes that reads no
  database beyond the session (``bench-anchor/``, added to the URLconf by this script only);
* the first page and a page deep in the list of ``/api/v1/members/``, ``/api/v1/activities/``,
  ``/api/v1/attendances/`` and ``/api/v1/service-requests/``, as the district's superuser (the
  largest scope), and the query count of each.

Prints the median and p95 of each, the ratio of medians to the anchor's, and the goal (within 3×,
issue #16). The results are recorded in docs/benchmarks.md with the machine's load.
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

RUNS = int(os.environ.get("BENCH_RUNS", "30"))
GOAL = 3.0
PROFILE = os.environ.get("BENCH_PROFILE") == "1"  # cProfile of 10 first pages of each list
LISTS = ["members", "activities", "attendances", "service-requests"]


def urlconf():
    """portal.urls plus the anchor."""
    import types

    from django.urls import include, path
    from rest_framework.response import Response
    from rest_framework.views import APIView

    class Anchor(APIView):
        def get(self, request):
            return Response({"user": request.user.pk})

    module = types.ModuleType("bench_urls")
    module.urlpatterns = [path("bench-anchor/", Anchor.as_view()), path("", include("portal.urls"))]
    sys.modules["bench_urls"] = module
    return "bench_urls"


def timed(client, url, runs=RUNS):
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(url, HTTP_HOST="127.0.0.1")
        timings.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"{url}: {response.status_code} {response.content[:300]!r}")
    timings.sort()
    return statistics.median(timings), timings[max(0, int(len(timings) * 0.95) - 1)], response


def count_queries(client, url):
    """The queries of one request (session and user included, as for the anchor)."""
    from django.db import connection

    connection.force_debug_cursor = True
    try:
        before = len(connection.queries_log)
        client.get(url, HTTP_HOST="127.0.0.1")
        return len(connection.queries_log) - before
    finally:
        connection.force_debug_cursor = False


def main():
    import stats_at_scale

    stats_at_scale.ensure_database(os.environ["DATABASE_URL"])
    import django

    django.setup()

    # As the server starts (docker/gunicorn.conf.py): warm, then freeze what is loaded out of the
    # garbage collector's generations. BENCH_GC_FREEZE=0 measures without the freeze.
    from portal.warmup import freeze, warm

    warm()
    if os.environ.get("BENCH_GC_FREEZE", "1") != "0":
        freeze()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from activities.models import Attendance
    from members.models import Member

    call_command("migrate", verbosity=0, skip_checks=True)
    stats_at_scale.generate()
    settings.ROOT_URLCONF = urlconf()
    settings.ALLOWED_HOSTS = ["127.0.0.1"]
    user = get_user_model().objects.filter(is_superuser=True).first() or get_user_model().objects.create_superuser(
        "bench-admin", "bench@example.com", "x"
    )
    client = Client()
    client.force_login(user)
    # Django empties connection.queries at each request's start: keep them, to count them.
    from django.core.signals import request_started
    from django.db import reset_queries

    request_started.disconnect(reset_queries)
    load = os.getloadavg()
    print(
        f"PostgreSQL {connection.pg_version}; {Member.objects.count()} members, "
        f"{Attendance.objects.count()} attendance rows; {RUNS} runs each; "
        f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
    )
    anchor, anchor_p95, _ = timed(client, "/bench-anchor/")
    print(f"{'endpoint':44} {'median':>9} {'p95':>9} {'queries':>8} {'× anchor':>9}  goal")
    anchor_queries = count_queries(client, "/bench-anchor/")
    print(f"{'anchor (no database)':44} {anchor:8.1f}ms {anchor_p95:8.1f}ms {anchor_queries:8d} {1:8.1f}×")
    for name in LISTS:
        first = f"/api/v1/{name}/"
        response = client.get(first, HTTP_HOST="127.0.0.1")
        body = response.json()
        count = body.get("count") or 0
        pages = [first]
        if PROFILE:
            import cProfile
            import pstats

            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(10):
                client.get(first, HTTP_HOST="127.0.0.1")
            profiler.disable()
            print(f"--- {first}: 10 requests")
            pstats.Stats(profiler).sort_stats(os.environ.get("BENCH_PROFILE_SORT", "cumulative")).print_stats(25)
        if count > 50 * 20:
            pages.append(f"{first}?page=20")
        for url in pages:
            queries = count_queries(client, url)
            median, p95, _ = timed(client, url)
            ratio = median / anchor
            verdict = "ok" if ratio <= GOAL else "over"
            print(f"{url:44} {median:8.1f}ms {p95:8.1f}ms {queries:8d} {ratio:8.1f}×  ≤ {GOAL:.0f}× {verdict}")


if __name__ == "__main__":
    main()
