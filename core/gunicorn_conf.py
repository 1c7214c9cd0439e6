"""gunicorn settings read with ``--config python:core.gunicorn_conf`` (docker/entrypoint.sh).

With PROMETHEUS_MULTIPROC_DIR, each gunicorn worker writes its metrics to files there; a worker
that exits has its live gauges dropped, so /metrics does not sum figures of dead processes.
gunicorn's access log is off: the portal writes one JSON line per request itself (core/logs.py).
"""

import os


def child_exit(server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
