"""Races between operating-system processes, each with its own database connection.

``race(*calls)`` forks one process per call (the test's Django setup, settings and test database
are inherited; the parent's connections are closed first so that no socket is shared), releases them
together at a barrier and returns what each call returned, or the text of the exception it raised.
What a call returns must be picklable (plain values). Used by the PostgreSQL race tests
(``tests/*/test_*concurrency*.py``), which need committed rows: mark them
``django_db(transaction=True)``.
"""

import multiprocessing
import traceback

from django.db import connections

_context = multiprocessing.get_context("fork")


class Failed(str):
    """What a call raised: its traceback as text."""


def _run(index, call, barrier, queue):
    try:
        barrier.wait(timeout=30)
        outcome = call()
    except Exception:  # noqa: BLE001 - the outcome is what the test asserts on
        outcome = Failed(traceback.format_exc())
    finally:
        connections.close_all()
    queue.put((index, outcome))


def race(*calls, timeout=60):
    """Run the calls at the same moment, one process each; their outcomes in the calls' order."""
    connections.close_all()
    barrier = _context.Barrier(len(calls))
    queue = _context.Queue()
    processes = [_context.Process(target=_run, args=(i, call, barrier, queue)) for i, call in enumerate(calls)]
    for process in processes:
        process.start()
    outcomes = [Failed("no answer")] * len(calls)
    for _ in calls:
        index, outcome = queue.get(timeout=timeout)
        outcomes[index] = outcome
    for process in processes:
        process.join(timeout)
    return outcomes


def failures(outcomes):
    return [o for o in outcomes if isinstance(o, Failed)]
