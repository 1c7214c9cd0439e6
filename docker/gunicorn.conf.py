"""gunicorn for the Hongfan image (docker/entrypoint.sh web; docs/deploy.md, docs/benchmarks.md).

preload_app: the master imports and warms the application once (portal.warmup) and forks warm
workers, so a fresh worker, and one recycled by max_requests, answers its first request without
importing Django, the apps and the templates again. What is loaded is then frozen out of the
garbage collector's generations (portal.warmup.freeze), in the master or, without preload, in each
worker once it has loaded the application: full collections no longer walk it in the middle of a
request. The jitter spreads the recycling so that the
workers never restart together. Database connections are never opened before the fork; each
worker opens its own.
"""

import os

bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("GUNICORN_WORKERS", "3"))
# Threaded workers: measured against sync workers with the roles' daily mix (docs/benchmarks.md,
# "Load"), 3 processes × 4 threads answered at a lower median and p95 than 5 sync processes on the
# same 2 cores (a request waiting on the database leaves the core to another thread). Per-request
# state is in context variables (core/logs.py, core/crypto.py, core/validators.py), one per thread.
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "gthread")
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
# Seconds an idle keep-alive connection stays open (gthread; gunicorn's default). A client that
# reuses a connection at the moment gunicorn closes it gets no answer: keep it above the idle time
# of whatever reuses connections (bench/load.sh: the simulated users' pauses; a proxy's upstream
# keepalive_timeout), or let that side open a connection per request (docs/deploy.md).
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "2"))
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "1000"))
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", "200"))
preload_app = os.environ.get("GUNICORN_PRELOAD", "true").lower() in {"1", "true", "yes", "on"}
gc_freeze = os.environ.get("GUNICORN_GC_FREEZE", "true").lower() in {"1", "true", "yes", "on"}
# The portal writes one JSON line per request itself (core/logs.py): no gunicorn access log.
accesslog = None
errorlog = "-"


def when_ready(server):
    if preload_app:
        from portal.warmup import freeze, warm

        loaded = warm()
        server.log.info("application warmed before forking: %(templates)d templates in %(seconds).2f s", loaded)
        if gc_freeze:
            server.log.info("%d objects frozen out of the garbage collector's generations", freeze())


def post_worker_init(worker):
    if gc_freeze and not preload_app:  # the worker has just loaded the application itself
        from portal.warmup import freeze

        freeze()


def post_fork(server, worker):
    from django.db import connections

    connections.close_all()


def child_exit(server, worker):
    # With PROMETHEUS_MULTIPROC_DIR each worker writes its metrics to files there; a worker that
    # exits has its live gauges dropped, so /metrics does not sum figures of dead processes.
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
