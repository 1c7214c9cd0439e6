"""Benchmark: the dashboard's compliance section at scale, from the grid (before) and from the
database's counts (``statistics.compliance_counts``, after), interleaved in one process.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hongfan_bench_stats \\
        PYTHONPATH=$PWD .venv/bin/python bench/compliance_section.py

Reads the dataset that ``bench/stats_at_scale.py`` generated (2 000 branches, its summary rebuilt)
and writes nothing: the session is read only. First checks that both give the same heatmap and
parks (the district) and branches (a park), then times each BENCH_RUNS times (20 by default),
alternating. Prints the median and 95th percentile in ms and the number of SQL queries.
"""

import datetime
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/hongfan_bench_stats")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
os.environ["DJANGO_DEBUG"] = "false"

RUNS = int(os.environ.get("BENCH_RUNS", "20"))
TODAY = datetime.date.fromisoformat(os.environ.get("BENCH_TODAY", "2026-11-22"))


def grid_scores(scope, *, year, today):
    """The section's rows as computed before 2026-11-23: the grid of every branch, cell by cell."""
    from stats import dashboards
    from stats import statistics as st

    result = []
    for branch in st.compliance_by_branch(scope, year=year, today=today):
        rules, met, elapsed = [], 0, 0
        for row in branch.rows:
            row_met = row_elapsed = 0
            applicable = False
            for cell in row.cells:
                if cell.state == "held":
                    row_met += 1
                    row_elapsed += 1
                elif cell.state == "missing":
                    row_elapsed += 1
                if cell.state != "na":
                    applicable = True
            rules.append((row.rule, row_met, row_elapsed, applicable))
            met += row_met
            elapsed += row_elapsed
        org = branch.organization
        rule_list, counts = [rule for rule, *_ in rules], tuple(tuple(counts) for _rule, *counts in rules)
        result.append(dashboards.BranchScore(org.pk, org.name, org.park_id, rule_list, counts, met, elapsed))
    return result


def grid_section(user, scope, period, *, today):
    from stats import dashboards

    rows = grid_scores(scope, year=dashboards.compliance_year(period, today), today=today)
    if scope.kind == "district":
        children = dashboards.district_children(user, scope, rows, period, today=today)
    else:
        children = dashboards.branch_children(user, scope, rows, period, today=today)
    return {"heatmap": dashboards.heatmap(user, rows), "children": [(c.name, c.figures) for c in children]}


def section(user, scope, period, *, today):
    from stats import dashboards

    result = dashboards.compliance_section(user, scope, period, today=today)
    return {"heatmap": result["heatmap"], "children": [(c.name, c.figures) for c in result["children"]]}


def main():
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from parks.models import District, Park
    from stats import statistics as st

    timezone.localdate = lambda *a, **k: TODAY  # the data was generated up to TODAY
    with connection.cursor() as cursor:
        cursor.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
    official = get_user_model().objects.get(username="bench_official")
    district = District.objects.get(code="330402")
    park = Park.objects.filter(district=district).order_by("name").first()
    period = st.Period.current("month", today=TODAY)
    cases = [("district official, district", official, st.StatScope.of(district))]
    cases.append(("district official, a park", official, st.StatScope.of(park)))
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM parks_organization")
        (organizations,) = cursor.fetchone()
    print(f"{organizations} organisations; today = {TODAY}; {RUNS} runs each, interleaved")
    for label, user, scope in cases:
        assert section(user, scope, period, today=TODAY) == grid_section(user, scope, period, today=TODAY), label
    print("the grid and the counts give the same heatmap and children")
    print(f"{'what':<66} {'median ms':>9} {'p95 ms':>9} {'queries':>8}")
    for label, user, scope in cases:
        timings = {"grid (before)": [], "counts (after)": []}
        functions = {"grid (before)": grid_section, "counts (after)": section}
        queries = {}
        for name, fn in functions.items():
            with CaptureQueriesContext(connection) as captured:
                fn(user, scope, period, today=TODAY)
            queries[name] = len(captured)
        for _ in range(RUNS):
            for name, fn in functions.items():
                started = time.perf_counter()
                fn(user, scope, period, today=TODAY)
                timings[name].append((time.perf_counter() - started) * 1000)
        for name, values in timings.items():
            values.sort()
            median, p95 = statistics.median(values), values[max(0, int(len(values) * 0.95) - 1)]
            print(f"{'compliance_section, ' + label + ', ' + name:<66} {median:>9.1f} {p95:>9.1f} {queries[name]:>8}")
    started = time.perf_counter()
    for _ in range(RUNS):
        st.compliance_counts(cases[0][2], year=TODAY.year, today=TODAY)
    print(f"statistics.compliance_counts, district: {(time.perf_counter() - started) * 1000 / RUNS:.1f} ms (mean)")


if __name__ == "__main__":
    main()
