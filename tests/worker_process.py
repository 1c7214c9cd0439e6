"""A Celery worker in a process of its own, started by ``tests.celery_worker.worker_process`` for
the tests that kill a worker outright (SIGKILL) in the middle of a job.

With ``HONGFAN_TEST_SLOW_SECONDS`` set, every statistics build, every import and every export's
file waits that long before it starts, so that the test can kill the worker while the job runs.
"""

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

import django  # noqa: E402

django.setup()

SLOW = float(os.environ.get("HONGFAN_TEST_SLOW_SECONDS") or 0)
if SLOW:
    from core import importing, streaming
    from stats import statistics

    def slowly(work):
        def wrapper(*args, **kwargs):
            time.sleep(SLOW)
            return work(*args, **kwargs)

        return wrapper

    statistics.figures = slowly(statistics.figures)
    importing.run_import = slowly(importing.run_import)
    streaming.write_export = slowly(streaming.write_export)

from portal.celery import app  # noqa: E402

app.worker_main(["worker", "--pool=solo", "--loglevel=WARNING", "--without-gossip", "--without-mingle"])
