"""One real Celery worker per test, fed through the Redis broker of CI's Celery step.

The worker runs in a thread of the test process, so it shares the test database and mail.outbox.
Every worker test uses this one context manager: a worker's shutdown closes the app's connection
pools, and an eager test leaves a producer pool bound to no broker, so the pools (kombu's registry included) are dropped
before and after each worker ("Acquire on closed pool" otherwise, in the next test).
"""

import contextlib
import os
import subprocess
import time

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


# -- a worker in a process of its own, for the tests that kill it ---------------------------------


@contextlib.contextmanager
def broker_only(settings):
    """Tasks go to the test broker (as in production), and no worker runs in this process."""
    settings.CELERY_TASK_ALWAYS_EAGER = False
    app.conf.update(broker_url=os.environ["CELERY_TEST_BROKER"], task_always_eager=False, result_backend=None)
    _drop_pools()
    app.connection_for_write().ensure_connection(max_retries=3)
    app.control.purge()  # what earlier tests left queued
    try:
        yield
    finally:
        with app.connection_for_write() as conn:
            # A killed worker's message waits in the broker's "unacked" set until the visibility
            # timeout: it must not come back in a later test.
            conn.default_channel.client.delete("unacked", "unacked_index")
        app.control.purge()
        app.conf.update(task_always_eager=True)
        _drop_pools()


def worker_process(*, slow_seconds: float = 0, **settings_env) -> subprocess.Popen:
    """Start ``tests/worker_process.py`` on the test database (which must be PostgreSQL: an
    in-memory SQLite database is not shared) and the test broker. ``slow_seconds`` makes every
    statistics build, every import and every export's file wait that long first, so a test can
    kill it mid-run."""
    import sys
    from pathlib import Path
    from urllib.parse import quote

    from django.db import connection

    db = connection.settings_dict
    auth = quote(db["USER"] or "") + (":" + quote(db["PASSWORD"]) if db["PASSWORD"] else "")
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        "CELERY_BROKER_URL": os.environ["CELERY_TEST_BROKER"],
        "HONGFAN_TEST_SLOW_SECONDS": str(slow_seconds),
        # The dashboards' refill after a write (stats.warming) would read the test database after
        # the test that wrote: off unless a test asks for it.
        "HONGFAN_WARM_DASHBOARDS": "false",
        **{key: str(value) for key, value in settings_env.items()},
    }
    root = Path(__file__).resolve().parent.parent
    return subprocess.Popen(  # noqa: S603 - our own script
        [sys.executable, str(root / "tests" / "worker_process.py")], cwd=root, env=env
    )


def until(row, predicate, *, what: str, seconds: float = 60, tick=None):
    """``row`` once ``predicate(row)`` holds, read again every second for up to ``seconds``;
    ``tick()`` runs before each read (a test playing beat sends the sweep there)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if tick:
            tick()
        row.refresh_from_db()
        if predicate(row):
            return row
        time.sleep(1)
    raise AssertionError(f"waited {seconds} s for {what}: {row.status}, {getattr(row, 'error', '')}")
