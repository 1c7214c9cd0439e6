"""Benchmark: the statistics of a district at scale, from the summary tables and on the fly.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hongfan_bench_stats .venv/bin/python bench/stats_at_scale.py

Creates the database if missing, migrates, and generates (once; later runs reuse it) one district
with 50 parks, 2 000 branches, 5 000 enterprises, 100 000 members, 20 000 activities over twelve
months, 1 000 000 attendance rows (COPY), 5 000 service requests and 1 000 micro-wishes, with each
member's joining event and initial stage record as the portal writes them (one member in twenty
transferred from another branch; ``ensure_membership_history``). Then, in one run, it rebuilds
the summary and times, over BENCH_RUNS runs each (20 by default):

* the dashboard figures of the district, ``figures()`` + ``monthly_trend()``, from the summary
  and computed on the fly (``live=True``), for the current month and the current year;
* the whole dashboard context (``portal.dashboards.dashboard``) of a district official, if
  present;
* the compliance section of the district dashboard: ``compliance_by_branch`` (2 000 branches)
  and ``portal.dashboards.compliance_section`` (BENCH_COMPLIANCE_RUNS runs, 10 by default);
* the yearly district report: ``portal.report_building.build_report`` (or ``figures`` for the year).

BENCH_SKIP_LIVE=1 leaves out the on-the-fly rows. Prints the median and 95th percentile of each;
the results are recorded in docs/benchmarks.md.
"""

import datetime
import io
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/hongfan_bench_stats")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
os.environ["DJANGO_DEBUG"] = "false"

PARKS, BRANCHES, ENTERPRISES = 50, 2000, 5000
MEMBERS = int(os.environ.get("BENCH_MEMBERS", "100000"))
ACTIVITIES = int(os.environ.get("BENCH_ACTIVITIES", "20000"))
ATTENDANCE = int(os.environ.get("BENCH_ATTENDANCE", "1000000"))
REQUESTS, WISHES = 5000, 1000
RUNS = int(os.environ.get("BENCH_RUNS", "20"))
COMPLIANCE_RUNS = int(os.environ.get("BENCH_COMPLIANCE_RUNS", "10"))
SKIP_LIVE = os.environ.get("BENCH_SKIP_LIVE") == "1"  # only the summary rows (minutes shorter)
TODAY = datetime.date.fromisoformat(os.environ.get("BENCH_TODAY", "2026-11-22"))
KINDS = [
    "committee_meeting", "themed_day", "group_meeting", "party_lecture", "party_congress", "training",
    "volunteer", "committee_meeting", "themed_day", "life_meeting", "democratic_review", "salon",
]  # fmt: skip


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


def copy(cursor, table, columns, rows):
    buffer = io.StringIO()
    for row in rows:
        buffer.write("\t".join("\\N" if v is None else str(v) for v in row) + "\n")
    buffer.seek(0)
    cursor.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN", buffer)


def generate():
    """The district, once. Everything below is bulk: COPY or bulk_create in big batches."""
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction
    from django.utils import timezone

    from accounts.models import Role, RoleAssignment
    from activities.defaults import ensure_default_rules
    from activities.models import Activity, Attendance
    from core.codes import make_credit_code, make_id_number
    from members.models import Member
    from parks.models import District, Enterprise, Organization, Park
    from services.models import ServiceCategory, ServiceRequest, Wish

    User = get_user_model()
    district, _ = District.objects.get_or_create(code="330402", defaults={"name": "南湖区", "city": "嘉兴市"})
    official, created = User.objects.get_or_create(username="bench_official")
    if created:
        RoleAssignment.objects.create(user=official, role=Role.DISTRICT_OFFICIAL, district=district)
    if Attendance.objects.count() >= ATTENDANCE:
        print(
            f"reusing {Member.objects.count()} members, {Activity.objects.count()} activities, "
            f"{Attendance.objects.count()} attendance rows"
        )
        ensure_membership_history()
        return district, official
    rng = random.Random(2026)
    ensure_default_rules()
    started = time.perf_counter()
    with transaction.atomic():
        parks = [Park.objects.get_or_create(district=district, name=f"统计园区{i:02d}")[0] for i in range(PARKS)]
        committee, _ = Organization.objects.get_or_create(
            code="STATC", defaults={"name": "统计联合党委", "district": district, "kind": "committee"}
        )
        Organization.objects.bulk_create(
            [
                Organization(
                    code=f"STAT{i:05d}",
                    name=f"统计支部{i:05d}",
                    district=district,
                    park=parks[i % PARKS],
                    parent=committee,
                    kind="joint_branch" if i % 4 == 0 else "branch",
                    formation="joint" if i % 4 == 0 else "single",
                )
                for i in range(BRANCHES)
            ],
            batch_size=2000,
        )
        branches = list(Organization.objects.filter(code__startswith="STAT0").order_by("code"))
        Enterprise.objects.bulk_create(
            [
                Enterprise(
                    name=f"统计企业{i:05d}",
                    credit_code=make_credit_code(division="330402", sequence=10**6 + i),
                    park=parks[i % PARKS],
                    entered_on=datetime.date(2020, 1, 1),
                )
                for i in range(ENTERPRISES)
            ],
            batch_size=5000,
        )
        enterprises = list(Enterprise.objects.filter(name__startswith="统计企业").order_by("name"))
        through = Organization.enterprises.through
        links = []
        for i, branch in enumerate(branches):
            links.append(through(organization_id=branch.pk, enterprise_id=enterprises[i].pk))
            if branch.kind == "joint_branch":  # a joint branch covers two more
                links += [
                    through(organization_id=branch.pk, enterprise_id=enterprises[BRANCHES + i + k].pk) for k in (1, 2)
                ]
        through.objects.bulk_create(links, batch_size=5000)
        print(f"  {len(branches)} branches, {len(enterprises)} enterprises ({time.perf_counter() - started:.0f} s)")

        stages = ["full"] * 14 + ["probationary", "candidate", "activist", "applicant"]
        batch = []
        for n in range(MEMBERS):
            birth = datetime.date(1960, 1, 1) + datetime.timedelta(days=(n * 7919) % 15000)
            gender = "M" if n % 3 else "F"
            stage = stages[n % len(stages)]
            dates = {"applied_on": datetime.date(2012, 1, 1)}
            order = ["activist_on", "candidate_on", "probationary_on", "full_on"]
            reached = {"applicant": 0, "activist": 1, "candidate": 2, "probationary": 3, "full": 4}[stage]
            for k in range(reached):
                dates[order[k]] = datetime.date(2013 + k, 1, 1)
            if stage == "probationary":
                dates["probationary_on"] = datetime.date(2025, 12, 1) + datetime.timedelta(days=n % 350)
            batch.append(Member(
                name=f"党员{n:06d}", gender=gender, birth_date=birth,
                id_number=make_id_number(division=f"3304{(n // 500) % 100:02d}", birth_date=birth, gender=gender,
                                         sequence=(n // 15000) % 500),
                organization=branches[n % BRANCHES], stage=stage, education=["bachelor", "college", "master",
                                                                               "senior", ""][n % 5],
                employer=enterprises[n % ENTERPRISES] if n % 4 == 0 else None, **dates,
            ))  # fmt: skip
            if len(batch) == 10000:
                Member.objects.bulk_create(batch)
                batch.clear()
        Member.objects.bulk_create(batch)
        print(f"  {MEMBERS} members ({time.perf_counter() - started:.0f} s)")
        members_of = {}
        for pk, org_id in Member.objects.filter(organization__in=branches).values_list("pk", "organization_id"):
            members_of.setdefault(org_id, []).append(pk)

        # Activities over the twelve months up to TODAY, spread evenly over the branches.
        first = datetime.date(TODAY.year - 1, TODAY.month, 1)
        span = (TODAY - first).days
        tz = timezone.get_current_timezone()
        activities = []
        for i in range(ACTIVITIES):
            branch = branches[i % BRANCHES]
            day = first + datetime.timedelta(days=(i * 7 + i // BRANCHES * 31) % span)
            kind = KINDS[(i // BRANCHES + i) % len(KINDS)]
            activities.append(Activity(
                host=branch, kind=kind, title=f"{kind} {i}",
                starts_at=datetime.datetime.combine(day, datetime.time(9 + i % 10), tzinfo=tz),
                status="cancelled" if i % 50 == 0 else "held",
                quorum_met=(i % 7 != 0) if kind == "party_congress" else None,
            ))  # fmt: skip
        Activity.objects.bulk_create(activities, batch_size=5000)
        print(f"  {ACTIVITIES} activities ({time.perf_counter() - started:.0f} s)")
        per_activity = ATTENDANCE // ACTIVITIES

        def attendance_rows():
            for pk, host_id, kind in Activity.objects.filter(host__in=branches).values_list("pk", "host_id", "kind"):
                for member_id in members_of[host_id][:per_activity]:
                    r = rng.random()
                    status = "present" if r < 0.85 else "absent" if r < 0.95 else "leave"
                    hours = "2.0" if kind == "volunteer" and status == "present" else "0"
                    yield (pk, member_id, status, "事假" if status == "leave" else "", "f", "f", hours)

        with connection.cursor() as cursor:
            copy(cursor.cursor, "activities_attendance",
                 ["activity_id", "member_id", "status", "reason", "late", "left_early", "volunteer_hours"],
                 attendance_rows())  # fmt: skip
        print(f"  {Attendance.objects.count()} attendance rows ({time.perf_counter() - started:.0f} s)")

        requester, _ = User.objects.get_or_create(username="bench_requester")
        category = ServiceCategory.objects.order_by("pk").first() or ServiceCategory.objects.create(
            code="bench", name="基准"
        )
        ServiceRequest.objects.bulk_create(
            [
                ServiceRequest(
                    park=parks[i % PARKS],
                    enterprise=enterprises[i % ENTERPRISES],
                    requester=requester,
                    category=category,
                    title=f"诉求{i}",
                    description="基准",
                    urgency="normal",
                    due_on=TODAY,
                    status="submitted",
                )
                for i in range(REQUESTS)
            ],
            batch_size=5000,
        )
        with connection.cursor() as cursor:
            # Spread over the year: submitted on day id % 330, due a week later; most resolved
            # within 1-10 days and rated; the rest still open.
            cursor.execute(
                """
                UPDATE services_servicerequest SET
                    created_at = %(first)s::timestamptz + (id %% 330) * interval '1 day',
                    due_on = %(first)s::date + ((id %% 330) + 7)::int,
                    status = CASE WHEN id %% 5 = 0 THEN 'in_progress' ELSE 'closed' END,
                    resolved_at = CASE WHEN id %% 5 = 0 THEN NULL
                        ELSE %(first)s::timestamptz + (id %% 330 + 1 + id %% 10) * interval '1 day' END,
                    closed_at = CASE WHEN id %% 5 = 0 THEN NULL
                        ELSE %(first)s::timestamptz + (id %% 330 + 2 + id %% 10) * interval '1 day' END,
                    rating = CASE WHEN id %% 5 = 0 THEN NULL ELSE 1 + id %% 5 END
                WHERE requester_id = %(requester)s
                """,
                {"first": first.isoformat(), "requester": requester.pk},
            )
        Wish.objects.bulk_create(
            [Wish(park=parks[i % PARKS], beneficiary="小明", need="书包", status="fulfilled",
                  claimed_by_id=members_of[branches[i % BRANCHES].pk][0],
                  fulfilled_at=datetime.datetime.combine(first + datetime.timedelta(days=i % 330), datetime.time(10),
                                                         tzinfo=tz))
             for i in range(WISHES)],
            batch_size=5000,
        )  # fmt: skip
    ensure_membership_history()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"generated in {time.perf_counter() - started:.0f} s")
    return district, official


def ensure_membership_history():
    """What every member of a real district has beside its row (the portal writes it at each
    registration, the import included, and migration 0007 backfilled it): a joining event at its
    organisation and an initial stage record. One member in twenty came from another branch of the
    district: joined there in 2012, transferred out and in on a day between 2020 and TODAY. Added
    in SQL to the members that have no event yet (also in a database generated before this step
    existed, or with the demo's bulk-created members beside them: bench/load_data.py)."""
    from django.db import connection, transaction
    from django.db.models import Exists, OuterRef

    from members.models import Member, MembershipEvent

    if not Member.objects.filter(~Exists(MembershipEvent.objects.filter(member=OuterRef("pk")))).exists():
        return
    started = time.perf_counter()
    params = {"today": TODAY.isoformat(), "now": f"{TODAY.isoformat()}T09:00:00+08:00"}
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            """
            CREATE TEMP TABLE bench_without_history ON COMMIT DROP AS
            SELECT m.* FROM members_member m
            WHERE NOT EXISTS (SELECT 1 FROM members_membershipevent e WHERE e.member_id = m.id)
            """
        )
        # The branch before, for the movers: the branch whose id comes before theirs (wrapping).
        cursor.execute(
            """
            CREATE TEMP TABLE bench_movers ON COMMIT DROP AS
            SELECT m.id AS member_id, m.organization_id AS org_now,
                   COALESCE((SELECT max(o.id) FROM parks_organization o
                             WHERE o.kind = 'branch' AND o.id < m.organization_id),
                            (SELECT max(o.id) FROM parks_organization o WHERE o.kind = 'branch')) AS org_before,
                   DATE '2020-01-01' + (m.id * 37 %% (%(today)s::date - DATE '2020-01-01' - 30))::int AS moved_on
            FROM bench_without_history m WHERE m.id %% 20 = 7
            """,
            params,
        )
        cursor.execute(
            """
            INSERT INTO members_membershipevent (kind, "on", note, recorded_at, member_id, organization_id)
            SELECT 'joined', LEAST(m.applied_on, m.activist_on, m.candidate_on, m.probationary_on, m.full_on,
                                   %(today)s::date),
                   '', %(now)s::timestamptz, m.id, COALESCE(v.org_before, m.organization_id)
            FROM bench_without_history m LEFT JOIN bench_movers v ON v.member_id = m.id
            ORDER BY m.id
            """,
            params,
        )
        for kind, column in (("transferred_out", "org_before"), ("transferred_in", "org_now")):
            cursor.execute(
                f"""
                INSERT INTO members_membershipevent (kind, "on", note, recorded_at, member_id, organization_id)
                SELECT %(kind)s, moved_on, '', %(now)s::timestamptz, member_id, {column}
                FROM bench_movers ORDER BY member_id
                """,
                {**params, "kind": kind},
            )
        cursor.execute(
            """
            INSERT INTO members_stagechange (kind, from_stage, to_stage, effective_on, reason, created_at, member_id)
            SELECT 'initial', '', m.stage,
                   COALESCE(CASE m.stage WHEN 'full' THEN m.full_on WHEN 'probationary' THEN m.probationary_on
                                         WHEN 'candidate' THEN m.candidate_on WHEN 'activist' THEN m.activist_on
                                         ELSE m.applied_on END, %(today)s::date),
                   '', %(now)s::timestamptz, m.id
            FROM bench_without_history m ORDER BY m.id
            """,
            params,
        )
        cursor.execute("ANALYZE members_membershipevent")
        cursor.execute("ANALYZE members_stagechange")
    print(
        f"  {MembershipEvent.objects.count()} membership events and the initial stage records in all "
        f"({time.perf_counter() - started:.0f} s)"
    )


def measure(fn, runs=RUNS):
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    return statistics.median(timings), timings[max(0, int(len(timings) * 0.95) - 1)]


def count_queries(fn):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx.captured_queries)


def main():
    ensure_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from activities.models import Activity, Attendance, OrganizationMonth
    from members.models import Member
    from stats import statistics as st

    call_command("migrate", verbosity=0, skip_checks=True)
    district, official = generate()
    timezone.localdate = lambda *a, **k: TODAY  # the data was generated up to TODAY
    started = time.perf_counter()
    written = st.refresh_summaries()
    refresh_seconds = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE activities_organizationmonth")
    scope = st.StatScope.of(district)
    print(
        f"PostgreSQL {connection.pg_version}; {Member.objects.count()} members, "
        f"{Activity.objects.count()} activities, {Attendance.objects.count()} attendance rows; "
        f"summary: {written} rows rebuilt in {refresh_seconds:.1f} s; {RUNS} runs each; today = {TODAY}"
    )
    results = []

    def row(label, fn, runs=RUNS):
        queries = count_queries(fn)
        median, p95 = measure(fn, runs)
        results.append((label, median, p95, queries))
        print(f"{label:<58} {median:>9.1f} {p95:>9.1f} {queries:>8}")

    print(f"{'what':<58} {'median ms':>9} {'p95 ms':>9} {'queries':>8}")
    for kind in ("month", "year"):
        period = st.Period.current(kind, today=TODAY)
        for live in (False,) if SKIP_LIVE else (False, True):

            def dashboard_figures(period=period, live=live):
                st.figures(scope, period, live=live, today=TODAY)
                st.monthly_trend(scope, until=TODAY, live=live)

            source = "on the fly" if live else "summary"
            row(f"figures + monthly_trend, {period.label}, {source}", dashboard_figures)
    try:
        from stats import dashboards
    except ImportError:
        dashboards = None
    if dashboards is not None and hasattr(dashboards, "dashboard"):
        period = st.Period.current("month", today=TODAY)
        row("dashboards.dashboard (district official, month)",
            lambda: dashboards.dashboard(official, scope, period, today=TODAY))  # fmt: skip
    # The dashboard's compliance section (loaded by a request of its own): the rule × period grid
    # of the year for every branch of the district, then the heatmap and the parks.
    row(f"compliance_by_branch, district, {TODAY.year}",
        lambda: st.compliance_by_branch(scope, year=TODAY.year, today=TODAY), runs=COMPLIANCE_RUNS)  # fmt: skip
    if dashboards is not None and hasattr(dashboards, "compliance_section"):
        period = st.Period.current("month", today=TODAY)
        row("dashboards.compliance_section (district official)",
            lambda: dashboards.compliance_section(official, scope, period, today=TODAY),
            runs=COMPLIANCE_RUNS)  # fmt: skip
    year = st.Period.current("year", today=TODAY)
    try:
        from reports import building as report_building
    except ImportError:
        report_building = None
    if report_building is not None and hasattr(report_building, "build_report"):
        row(f"yearly district report {year.label} (report_building.build_report)",
            lambda: report_building.build_report(scope=scope, period=year), runs=5)  # fmt: skip
    else:
        row(f"yearly district report {year.label} (figures)", lambda: st.figures(scope, year), runs=5)
    if SKIP_LIVE:
        print(f"summary rows: {OrganizationMonth.objects.count()} (on-the-fly rows skipped: BENCH_SKIP_LIVE=1)")
        return
    row(f"yearly district report {year.label}, figures on the fly", lambda: st.figures(scope, year, live=True),
        runs=5)  # fmt: skip
    by_label = {label: (median, p95) for label, median, p95, _ in results}
    for kind in ("month", "year"):
        label = st.Period.current(kind, today=TODAY).label
        summary = by_label[f"figures + monthly_trend, {label}, summary"]
        live = by_label[f"figures + monthly_trend, {label}, on the fly"]
        print(f"{label}: summary is {live[0] / summary[0]:.1f}× faster (median), p95 {summary[1]:.0f} ms")
    print(f"summary rows: {OrganizationMonth.objects.count()}")


if __name__ == "__main__":
    main()
