#!/usr/bin/env bash
# The roles' daily mix (bench/locustfile.py) at 20, 100 and 200 users against gunicorn on this
# machine's loopback (docs/benchmarks.md, "Load"). Needs a migrated, seeded PostgreSQL database:
#   DATABASE_URL=postgres://postgres@127.0.0.1:5432/hongfan_bench .venv/bin/python manage.py seed_demo
#   DATABASE_URL=… bash bench/load.sh            # USERS="20 100 200" RUN_TIME=60s GUNICORN_WORKERS=5
set -euo pipefail
cd "$(dirname "$0")/.."
: "${DATABASE_URL:?set DATABASE_URL to a seeded PostgreSQL database}"
USERS="${USERS:-20 100 200}"
RUN_TIME="${RUN_TIME:-60s}"
export GUNICORN_WORKERS="${GUNICORN_WORKERS:-5}"
# The simulated users pause 1–3 s between pages on a kept-alive connection; gunicorn closes idle
# ones after GUNICORN_KEEPALIVE seconds (2 by default), and a request sent as it closes one fails
# with no answer (a browser retries it, the load client does not): keep them open longer.
export GUNICORN_KEEPALIVE="${GUNICORN_KEEPALIVE:-5}"
PORT="${PORT:-8765}"
OUT="${BENCH_OUT:-bench/out}"  # a folder per run keeps each run's failures: BENCH_OUT=bench/out/run1
mkdir -p "$OUT"
export DJANGO_SETTINGS_MODULE=portal.settings DJANGO_DEBUG=false
.venv/bin/gunicorn --config docker/gunicorn.conf.py --bind "127.0.0.1:$PORT" portal.wsgi:application \
    >"$OUT/gunicorn.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 120); do curl -fsS "http://127.0.0.1:$PORT/health/live/" >/dev/null 2>&1 && break; sleep 0.5; done
echo "gunicorn: $GUNICORN_WORKERS ${GUNICORN_WORKER_CLASS:-gthread} workers × ${GUNICORN_THREADS:-4} threads (preload, gc freeze ${GUNICORN_GC_FREEZE:-true}, keep-alive ${GUNICORN_KEEPALIVE} s); $(nproc) cores; run time $RUN_TIME per level"
for users in $USERS; do
    echo "== $users users (load average before: $(cut -d' ' -f1-3 /proc/loadavg))"
    .venv/bin/locust -f bench/locustfile.py --host "http://127.0.0.1:$PORT" --headless --users "$users" \
        --spawn-rate "$((users / 5 + 1))" --run-time "$RUN_TIME" --csv "$OUT/load-$users" --only-summary \
        >"$OUT/locust-$users.log" 2>&1 || true
    python3 - "$OUT/load-${users}_stats.csv" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
anchor = next((r for r in rows if r["Name"].startswith("anchor")), None)
for r in rows:
    if r["Name"] in ("Aggregated",) or r["Name"].startswith("anchor"):
        print(f"  {r['Name']:28} requests {r['Request Count']:>6}  failures {r['Failure Count']:>4}  "
              f"p50 {r['50%']:>5} ms  p95 {r['95%']:>6} ms  p99 {r['99%']:>6} ms")
if anchor:
    total = next(r for r in rows if r["Name"] == "Aggregated")
    print(f"  p95 ratio to the anchor: {float(total['95%']) / max(float(anchor['95%']), 1):.1f}×")
PY
done
