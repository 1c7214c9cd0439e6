"""A real Celery worker, fed through Redis, refills the district dashboards after a write
(stats.warming): the job goes through the broker with its countdown, and the official's next view
reads what it computed.

Runs in CI's Celery step (`make test-celery`, with CELERY_TEST_BROKER pointing at Redis); on
other runs these tests are deselected, not skipped (tests/conftest.py).
"""

import time

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from portal.celery import app
from stats import warming
from tests.factories import MemberFactory

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worker(settings):
    from tests.celery_worker import running_worker

    settings.HONGFAN_WARM_DASHBOARDS = False  # on in the test, once its world is built
    settings.HONGFAN_WARM_DELAY = 0.5
    settings.HONGFAN_WARM_INTERVAL = 0
    cache.delete_many([warming.PENDING_KEY, warming.LAST_KEY, warming.DONE_KEY])
    with running_worker(settings):
        yield
    cache.delete_many([warming.PENDING_KEY, warming.LAST_KEY, warming.DONE_KEY])


def queries_of(client, url):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_worker_refills_the_dashboard_after_a_write(worker, world, client, settings):
    assert app.conf.task_always_eager is False
    client.force_login(world.official)
    url = reverse("dashboard", args=["district", world.district_a.pk])
    client.get(url)
    between_writes = queries_of(client, url)
    settings.HONGFAN_WARM_DASHBOARDS = True

    with transaction.atomic():
        MemberFactory(organization=world.branch_a1, name="新登记党员")
        assert cache.get(warming.PENDING_KEY) is None  # nothing queued before the commit
    assert cache.get(warming.PENDING_KEY) == 1
    deadline = time.monotonic() + 30
    while cache.get(warming.DONE_KEY) is None and time.monotonic() < deadline:
        time.sleep(0.1)
    finished = cache.get(warming.DONE_KEY)
    assert finished is not None, "the worker did not run the refill job"
    assert world.district_a.pk in finished[1]
    assert queries_of(client, url) == between_writes
