"""Benchmark: the district dashboard over HTTP at scale, each page as a ratio to a no-database page.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hongfan_bench_stats .venv/bin/python bench/dashboard_at_scale.py

Uses the district of bench/stats_at_scale.py (generated once, then reused: 100 000 members, 2 000
branches, 1 000 000 attendance rows; BENCH_* variables as there). In one process, through Django's
test client signed in as the district's official (``bench_official``), it times BENCH_RUNS (default
30) requests of the anchor (``bench-anchor/``: a view with the same session authentication that
reads no database beyond the session) and of the dashboard's page and sections as the browser loads
them: the page (figures, trend, cards), the alerts section and the compliance section (each a
request of its own), the month's and the year's, plus one drill-down page of an alert kind and of
the members figure. Prints the median, the p95, the query count of each (equal at every size: the
tests assert it), its ratio to the anchor, and the goal (issue #16: p95 under 150 ms on a quiet
machine). The machine's load average is printed first: record it with the numbers.

The figures are cached per version of their data (docs/statistics.md): each timing after the first
reads the cache, as a dashboard does between two writes. BENCH_COLD=1 clears the cache before each
request instead (the first view after a write). BENCH_WARMED=1 clears it too, then runs the refill
job a worker runs after a write (stats.warming) before each request: the first view after a write
once the job has run; the job's own time is printed after the table (what a worker spends per
burst of writes).
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
COLD = os.environ.get("BENCH_COLD") == "1"
WARMED = os.environ.get("BENCH_WARMED") == "1"
GOAL_MS = 150


def urlconf():
    """portal.urls plus the anchor (a plain Django view: the dashboard is no API)."""
    import types

    from django.contrib.auth.decorators import login_required
    from django.http import HttpResponse
    from django.urls import include, path

    @login_required
    def anchor(request):
        return HttpResponse(str(request.user.pk))

    module = types.ModuleType("bench_dashboard_urls")
    module.urlpatterns = [path("bench-anchor/", anchor), path("", include("portal.urls"))]
    sys.modules["bench_dashboard_urls"] = module
    return "bench_dashboard_urls"


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
    from django.core.cache import cache
    from django.core.management import call_command
    from django.core.signals import request_started
    from django.db import connection, reset_queries

    call_command("migrate", verbosity=0, skip_checks=True)
    district, official = stats_at_scale.generate()
    settings.ROOT_URLCONF = urlconf()
    settings.ALLOWED_HOSTS = ["127.0.0.1"]
    request_started.disconnect(reset_queries)  # keep each request's queries, to count them

    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(official)

    from stats import warming

    job_ms = []

    def prepare():
        """Before each timed request: as after a write (cold), and the refill job run (warmed)."""
        if COLD or WARMED:
            cache.clear()
        if WARMED:
            started = time.perf_counter()
            warming.warm()
            job_ms.append((time.perf_counter() - started) * 1000)

    def get(url):
        response = client.get(url)
        if response.status_code != 200:
            raise SystemExit(f"{url}: {response.status_code} {response.content[:300]!r}")
        return response

    def timed(url):
        prepare()
        get(url)  # the first read fills the caches
        prepare()
        connection.force_debug_cursor = True
        before = len(connection.queries_log)
        get(url)
        queries = len(connection.queries_log) - before
        connection.force_debug_cursor = False
        timings = []
        for _ in range(RUNS):
            prepare()
            started = time.perf_counter()
            get(url)
            timings.append((time.perf_counter() - started) * 1000)
        timings.sort()
        return statistics.median(timings), timings[max(0, int(len(timings) * 0.95) - 1)], queries

    base = f"/dashboard/district/{district.pk}/"
    pages = [
        ("anchor (no database)", "/bench-anchor/"),
        ("dashboard page, month", base),
        ("alerts section", f"{base}alerts/"),
        ("compliance section", f"{base}compliance/"),
        ("dashboard page, year", f"{base}?period=2026"),
        ("compliance section, year", f"{base}compliance/?period=2026"),
        ("drill-down: members, page 1", f"{base}rows/members/"),
        ("drill-down: inactive branches", f"{base}rows/alert-inactive_branch/"),
        ("drill-down: lapse risk (dues)", f"{base}rows/alert-lapse_no_dues/"),
    ]
    load = os.getloadavg()
    state = "cleared, then the refill job run, before each" if WARMED else "cleared before each" if COLD else "warm"
    print(
        f"PostgreSQL {connection.pg_version}; {RUNS} runs each; cache {state}; "
        f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
    )
    print(f"{'page':34} {'url':44} {'median':>8} {'p95':>8} {'queries':>7} {'× anchor':>8}  goal")
    anchor = None
    for label, url in pages:
        median, p95, queries = timed(url)
        anchor = anchor or median
        verdict = "" if url == "/bench-anchor/" else f"p95 < {GOAL_MS} ms {'ok' if p95 < GOAL_MS else 'over'}"
        print(f"{label:34} {url:44} {median:6.1f}ms {p95:6.1f}ms {queries:7d} {median / anchor:7.1f}×  {verdict}")
    if job_ms:
        job_ms.sort()
        print(
            f"the refill job (stats.warming.warm, {len(job_ms)} runs): median {statistics.median(job_ms):.1f} ms, "
            f"p95 {job_ms[max(0, int(len(job_ms) * 0.95) - 1)]:.1f} ms"
        )
    load = os.getloadavg()
    print(f"load average at the end {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")


if __name__ == "__main__":
    main()
