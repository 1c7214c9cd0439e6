"""Celery task outcomes and durations for Prometheus.

Celery's signals feed two metrics in whichever process runs the task:

* ``hongfan_celery_tasks_total{task, outcome}``: tasks ended, by outcome (success, failure, retry,
  revoked...);
* ``hongfan_celery_task_duration_seconds{task}``: how long each ran.

A worker started with ``HONGFAN_WORKER_METRICS_PORT`` serves them over HTTP on that port
(``worker_init``, in the main process). Its pool's child processes write their figures to
``PROMETHEUS_MULTIPROC_DIR`` (docker/entrypoint.sh sets one per container), which the server reads
across processes; without that variable (a solo pool) the process's own registry is served.
"""

import logging
import os
import time

from prometheus_client import Counter, Histogram

logger = logging.getLogger(__name__)

TASKS = Counter("hongfan_celery_tasks", "Celery tasks ended, by task and outcome", ["task", "outcome"])
DURATION = Histogram(
    "hongfan_celery_task_duration_seconds",
    "Celery task run time",
    ["task"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, float("inf")),
)

_started: dict[str, float] = {}


def _prerun(task_id=None, **kwargs):
    _started[task_id] = time.monotonic()


def _postrun(task_id=None, task=None, state=None, **kwargs):
    started = _started.pop(task_id, None)
    name = getattr(task, "name", "unknown")
    TASKS.labels(task=name, outcome=(state or "unknown").lower()).inc()
    if started is not None:
        DURATION.labels(task=name).observe(time.monotonic() - started)


def _worker_init(**kwargs):
    from django.conf import settings

    port = int(getattr(settings, "HONGFAN_WORKER_METRICS_PORT", 0) or 0)
    if not port:
        return
    from prometheus_client import REGISTRY, CollectorRegistry, multiprocess, start_http_server

    registry = REGISTRY
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    start_http_server(port, registry=registry)
    logger.info("task metrics served on port %s", port)


def connect_celery_signals():
    from celery import signals

    signals.task_prerun.connect(_prerun, dispatch_uid="hongfan.metrics.prerun", weak=False)
    signals.task_postrun.connect(_postrun, dispatch_uid="hongfan.metrics.postrun", weak=False)
    signals.worker_init.connect(_worker_init, dispatch_uid="hongfan.metrics.worker_init", weak=False)
