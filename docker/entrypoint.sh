#!/bin/sh
# Entry point of the Hongfan image. The first argument names the role of the container:
#   web          wait for the database, apply migrations, then serve with gunicorn
#   worker       a Celery worker
#   beat         the Celery beat (core.beat.SingleBeatScheduler: a second one stands by)
#   healthcheck  exit 0 when the web server answers /health/ready/ (used by docker-compose.yml)
#   anything else is executed as given, e.g. `docker compose run --rm web manage.py createsuperuser`
set -eu
export DJANGO_SETTINGS_MODULE="${DJANGO_SETTINGS_MODULE:-portal.settings}"

wait_for_database() {
    python - <<'PY'
import sys
import time

import django

django.setup()
from django.db import connection
from django.db.utils import OperationalError

for attempt in range(60):
    try:
        connection.ensure_connection()
        break
    except OperationalError as exc:
        print(f"waiting for the database ({exc.__class__.__name__})", file=sys.stderr)
        time.sleep(2)
else:
    sys.exit("the database did not answer in 120 seconds")
PY
}

# Prometheus metrics of several processes (gunicorn's workers, the worker's pool) are written to
# files in one directory and summed when scraped (core/taskmetrics.py, docs/deploy.md "Metrics");
# a fresh, empty directory per container start.
metrics_dir() {
    export PROMETHEUS_MULTIPROC_DIR="${PROMETHEUS_MULTIPROC_DIR:-/tmp/prometheus-$1}"
    rm -rf "$PROMETHEUS_MULTIPROC_DIR"
    mkdir -p "$PROMETHEUS_MULTIPROC_DIR"
}

case "${1:-web}" in
    web)
        wait_for_database
        # On N web hosts, one applies an upgrade's migrations; the others set HONGFAN_SKIP_MIGRATE.
        case "${HONGFAN_SKIP_MIGRATE:-false}" in
            1|true|yes|on) echo "HONGFAN_SKIP_MIGRATE: not migrating" >&2 ;;
            *) python manage.py migrate --noinput ;;
        esac
        metrics_dir web
        # Workers, preload and warm-up, recycling: docker/gunicorn.conf.py (GUNICORN_* variables).
        exec gunicorn --config docker/gunicorn.conf.py portal.wsgi:application
        ;;
    worker)
        wait_for_database
        metrics_dir worker
        exec celery -A portal worker --loglevel "${CELERY_LOG_LEVEL:-INFO}" \
            --concurrency "${CELERY_CONCURRENCY:-2}"
        ;;
    beat)
        wait_for_database
        # A pid file left by the previous run of this container would name pid 1, alive again
        # (this process), and celery would refuse to start; one beat per container, so drop it.
        rm -f /tmp/celerybeat.pid
        exec celery -A portal beat --loglevel "${CELERY_LOG_LEVEL:-INFO}" \
            --scheduler core.beat:SingleBeatScheduler \
            --pidfile /tmp/celerybeat.pid
        ;;
    healthcheck)
        # /health/ready/: the database, the cache, the broker and the storage, as this container
        # reaches them (core/ops.py answers it before host validation and the HTTPS redirect).
        exec python - <<'PY'
import os
import sys
import urllib.error
import urllib.request

hosts = [h.strip() for h in os.environ.get("DJANGO_ALLOWED_HOSTS", "").split(",") if h.strip()]
host = hosts[0].lstrip(".") if hosts and hosts[0] != "*" else "localhost"
port = os.environ.get("PORT", "8000")
request = urllib.request.Request(
    f"http://127.0.0.1:{port}/health/ready/", headers={"Host": host, "X-Forwarded-Proto": "https"}
)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


try:
    status = urllib.request.build_opener(NoRedirect).open(request, timeout=8).status
except urllib.error.HTTPError as exc:
    status = exc.code
except OSError as exc:
    sys.exit(f"unhealthy: {exc}")
sys.exit(0 if status == 200 else f"unhealthy: HTTP {status}")
PY
        ;;
    manage.py)
        shift
        exec python manage.py "$@"
        ;;
    *)
        exec "$@"
        ;;
esac
