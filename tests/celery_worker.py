"""One real Celery worker per test, fed through the Redis broker of CI's Celery step.

The worker runs in a thread of the test process, so it shares the test database and mail.outbox.
Every worker test uses this one context manager: a worker's shutdown closes the app's connection
pools, and an eager test leaves a producer pool bound to no broker, so the pools (kombu's registry included) are dropped
before and after each worker ("Acquire on closed pool" otherwise, in the next test).
"""

import contextlib
import os

from kombu import pools as kombu_pools

from portal.celery import app


def _drop_pools():
    # kombu keeps producer pools in a registry keyed by broker URL, each holding the connection
    # pool it was made with: reset it too, or the next test gets the closed one back.
    kombu_pools.reset()
    if app._pool is not None:
        app._pool.force_close_all()
        app._pool = None
    app.amqp._producer_pool = None


@contextlib.contextmanager
def running_worker(settings):
    from celery.contrib.testing.worker import start_worker

    settings.CELERY_TASK_ALWAYS_EAGER = False
    app.conf.update(broker_url=os.environ["CELERY_TEST_BROKER"], task_always_eager=False, result_backend=None)
    _drop_pools()
    app.connection_for_write().ensure_connection(max_retries=3)
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
            yield
    finally:
        app.conf.update(task_always_eager=True)
        _drop_pools()
