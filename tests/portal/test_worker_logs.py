"""A real worker (CI's Celery step): a task's log lines carry the id of the request that queued
it, and its outcome and duration are counted for Prometheus (core/logs.py, core/taskmetrics.py)."""

import logging
import time

import pytest

from core.logs import REQUEST_ID, ContextFilter
from portal.celery import app

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]


@app.task(name="tests.log_a_line")
def log_a_line():
    logging.getLogger("tests.worker").warning("inside the task")


class Records(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.addFilter(ContextFilter())
        self.records = []

    def emit(self, record):
        self.records.append(record)


def test_the_request_id_reaches_the_task_in_the_worker(settings):
    from prometheus_client import REGISTRY

    from tests.celery_worker import running_worker

    handler = Records()
    logger = logging.getLogger("tests.worker")
    logger.addHandler(handler)
    # The level the worker's own logging set-up leaves on the root depends on the tests before.
    level = logger.level
    logger.setLevel(logging.INFO)
    before = (
        REGISTRY.get_sample_value("hongfan_celery_tasks_total", {"task": "tests.log_a_line", "outcome": "success"}) or 0
    )
    try:
        with running_worker(settings):
            token = REQUEST_ID.set("req-worker-0042")
            try:
                log_a_line.delay()  # published here, run by the worker's thread
            finally:
                REQUEST_ID.reset(token)
            deadline = time.monotonic() + 20
            while not handler.records and time.monotonic() < deadline:
                time.sleep(0.1)
            time.sleep(0.5)  # the postrun signal, after the task's body
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    (record,) = handler.records
    assert record.getMessage() == "inside the task"
    assert record.request_id == "req-worker-0042"
    assert record.path == "task:tests.log_a_line"
    after = REGISTRY.get_sample_value("hongfan_celery_tasks_total", {"task": "tests.log_a_line", "outcome": "success"})
    assert after == before + 1
    assert REGISTRY.get_sample_value("hongfan_celery_task_duration_seconds_count", {"task": "tests.log_a_line"}) >= 1
