#!/usr/bin/env bash
# Fuzz the REST API against its own OpenAPI schema (issue #7): seeds the demo data into a throwaway
# SQLite database, serves the portal on a free local port, and runs schemathesis with the tokens
# of two roles (park administrator, branch secretary). Checks: no 5xx (not_a_server_error) and every
# documented response matches the schema (response_schema_conformance). Bounded: examples per
# operation (SCHEMATHESIS_EXAMPLES, default 15) and a time cap per role (SCHEMATHESIS_MAX_TIME
# seconds, default 240). Exit status non-zero on any failure. Usage: bash .ci/schemathesis.sh
set -euo pipefail

cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-.venv/bin/python}"
SCHEMATHESIS="${SCHEMATHESIS:-$PWD/.venv/bin/schemathesis}"
EXAMPLES="${SCHEMATHESIS_EXAMPLES:-15}"
MAX_TIME="${SCHEMATHESIS_MAX_TIME:-240}"
SEED="${SCHEMATHESIS_SEED:-20260407}"
WORK="$(mktemp -d -t hongfan-schemathesis.XXXXXX)"
REPORTS="${SCHEMATHESIS_REPORTS:-$WORK/reports}"
export DATABASE_URL="sqlite:///$WORK/db.sqlite3"
export HONGFAN_MODE=embedded DJANGO_DEBUG=false DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost"
export DJANGO_SECURE_SSL_REDIRECT=false DJANGO_SECURE_COOKIES=false
# The demo data's calendar: fixed, so that a run is reproducible.
export CELERY_TASK_ALWAYS_EAGER=true

SERVER_PID=""
cleanup() {
    if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT

echo "== database and demo data ($WORK)"
"$PYTHON" manage.py migrate --no-input -v0
"$PYTHON" manage.py seed_demo >/dev/null
token_of() { "$PYTHON" manage.py drf_create_token "$1" | awk '{print $3}'; }
PARK_ADMIN_TOKEN="$(token_of parkadmin)"
SECRETARY_TOKEN="$(token_of secretary)"

PORT="$("$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
echo "== serving on 127.0.0.1:$PORT"
"$PYTHON" manage.py runserver "127.0.0.1:$PORT" --noreload --nothreading >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 60); do
    curl -fsS -o /dev/null "http://127.0.0.1:$PORT/api/v1/schema/?format=json" \
        -H "Authorization: Token $PARK_ADMIN_TOKEN" 2>/dev/null && break
    sleep 1
done

status=0
for role in parkadmin secretary; do
    if [ "$role" = parkadmin ]; then token="$PARK_ADMIN_TOKEN"; else token="$SECRETARY_TOKEN"; fi
    echo "== schemathesis as $role (at most $EXAMPLES examples per operation, $MAX_TIME s)"
    # Run from the work directory: schemathesis keeps its state in ./.schemathesis.
    if ! (cd "$WORK" && timeout $((MAX_TIME + 120)) "$SCHEMATHESIS" run "http://127.0.0.1:$PORT/api/v1/schema/?format=json" \
        --checks not_a_server_error,response_schema_conformance \
        --max-examples "$EXAMPLES" --max-time "$MAX_TIME" --seed "$SEED" --workers 1 \
        --phases examples,coverage,fuzzing \
        --request-timeout 30 --suppress-health-check all --generation-database none --no-color \
        --report junit --report-dir "$REPORTS/$role" \
        -H "Authorization: Token $token"); then
        status=1
    fi
done
if [ "$status" -ne 0 ]; then
    echo "== server errors logged:"
    grep -E "Internal Server Error|Traceback|Error:" "$WORK/server.log" | sort | uniq -c | sort -rn | head -40 || true
fi
exit "$status"
