#!/usr/bin/env bash
# Fuzz the REST API against its own OpenAPI schema (issue #7): seeds the demo data into a throwaway
# SQLite database, serves the portal on a free local port, and runs schemathesis with the tokens
# of two roles (park administrator, branch secretary). Checks: no 5xx (not_a_server_error) and every
# documented response matches the schema (response_schema_conformance). Bounded: examples per
# operation (SCHEMATHESIS_EXAMPLES, default 15) and a time cap per role (SCHEMATHESIS_MAX_TIME
# seconds, default 240). Then a stateful phase per role (issue #14): schemathesis follows the
# schema's OpenAPI links (core.api.add_links: from each create and list to the row's detail, update,
# delete and workflow steps) and chains the calls on the rows it made or listed, with the same two
# checks (SCHEMATHESIS_STATEFUL_MAX_TIME seconds per role, default 180; SCHEMATHESIS_STATEFUL=0
# skips it, SCHEMATHESIS_STATELESS=0 runs only it). Exit status non-zero on any failure.
# Usage: bash .ci/schemathesis.sh
set -euo pipefail

cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-.venv/bin/python}"
SCHEMATHESIS="${SCHEMATHESIS:-$PWD/.venv/bin/schemathesis}"
EXAMPLES="${SCHEMATHESIS_EXAMPLES:-15}"
MAX_TIME="${SCHEMATHESIS_MAX_TIME:-240}"
STATEFUL_MAX_TIME="${SCHEMATHESIS_STATEFUL_MAX_TIME:-180}"
RUN_STATELESS="${SCHEMATHESIS_STATELESS:-1}"
RUN_STATEFUL="${SCHEMATHESIS_STATEFUL:-1}"
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
token_of() { "$PYTHON" manage.py api_token "$1"; }
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
run_phase() {  # run_phase ROLE TOKEN PHASES MAX_TIME REPORT_NAME
    # Run from the work directory: schemathesis keeps its state in ./.schemathesis.
    (cd "$WORK" && timeout $(($4 + 120)) "$SCHEMATHESIS" run "http://127.0.0.1:$PORT/api/v1/schema/?format=json" \
        --checks not_a_server_error,response_schema_conformance \
        --max-examples "$EXAMPLES" --max-time "$4" --seed "$SEED" --workers 1 \
        --phases "$3" \
        --request-timeout 30 --suppress-health-check all --generation-database none --no-color \
        --report junit --report-dir "$REPORTS/$5" \
        -H "Authorization: Token $2")
}
for role in parkadmin secretary; do
    if [ "$role" = parkadmin ]; then token="$PARK_ADMIN_TOKEN"; else token="$SECRETARY_TOKEN"; fi
    if [ "$RUN_STATELESS" != 0 ]; then
        echo "== schemathesis as $role (at most $EXAMPLES examples per operation, $MAX_TIME s)"
        run_phase "$role" "$token" examples,coverage,fuzzing "$MAX_TIME" "$role" || status=1
    fi
    if [ "$RUN_STATEFUL" != 0 ]; then
        echo "== schemathesis stateful phase as $role (OpenAPI links, $STATEFUL_MAX_TIME s)"
        run_phase "$role" "$token" stateful "$STATEFUL_MAX_TIME" "$role-stateful" || status=1
    fi
done
if [ "$status" -ne 0 ]; then
    echo "== server errors logged:"
    grep -E "Internal Server Error|Traceback|Error:" "$WORK/server.log" | sort | uniq -c | sort -rn | head -40 || true
fi
exit "$status"
