"""After a write, a job refills the district dashboards' caches (stats.warming): the official's next
view reads the figures the job computed, which are the figures a view computes itself."""

import re
import time

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.periods import Period
from stats import statistics, warming
from stats.basis import StatScope
from tests.clock import today
from tests.factories import MemberFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def warm_on(settings):
    settings.HONGFAN_WARM_DASHBOARDS = True
    settings.HONGFAN_WARM_DELAY = 0
    settings.HONGFAN_WARM_INTERVAL = 0
    cache.delete_many([warming.PENDING_KEY, warming.LAST_KEY, warming.DONE_KEY, warming.VIEWED_KEY])
    yield
    cache.delete_many([warming.PENDING_KEY, warming.LAST_KEY, warming.DONE_KEY, warming.VIEWED_KEY])


def pages(world):
    district = world.district_a.pk
    return {
        "page": reverse("dashboard", args=["district", district]),
        "alerts": reverse("dashboard_alerts", args=["district", district]),
        "compliance": reverse("dashboard_compliance", args=["district", district]),
        "year": reverse("dashboard", args=["district", district]) + f"?period={today().year}",
        "table": reverse("activities:compliance"),
    }


def queries_of(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), response


def register_a_member(world):
    """A member registered by a transaction that commits (Celery in-process: the job runs at the
    commit, as a worker would two seconds later)."""
    with transaction.atomic():
        return MemberFactory(organization=world.branch_a1, name="新登记党员")


def members_tile(response) -> int:
    found = re.search(r'data-stat="members">([\d,]+)<', response.content.decode())
    return int(found.group(1).replace(",", ""))


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("section", ["page", "alerts", "compliance", "year", "table"])
def test_the_first_view_after_a_write_costs_what_a_view_between_two_writes_costs(client, world, warm_on, section):
    client.force_login(world.official)
    url = pages(world)[section]
    client.get(url)
    between_writes, _ = queries_of(client, url)

    register_a_member(world)
    after_write, _ = queries_of(client, url)
    assert after_write == between_writes


@pytest.mark.django_db(transaction=True)
def test_without_the_job_the_first_view_after_a_write_computes_the_figures(client, world, settings):
    """The measure above can fail: with the job off, the view after a write reads the data."""
    settings.HONGFAN_WARM_DASHBOARDS = False
    client.force_login(world.official)
    url = pages(world)["page"]
    client.get(url)
    between_writes, _ = queries_of(client, url)
    register_a_member(world)
    after_write, _ = queries_of(client, url)
    assert after_write > between_writes


@pytest.mark.django_db(transaction=True)
def test_the_page_after_the_job_shows_the_write(client, world, warm_on):
    client.force_login(world.official)
    url = pages(world)["page"]
    before = members_tile(client.get(url))
    register_a_member(world)
    shown = members_tile(client.get(url))
    assert shown == before + 1
    live = statistics.member_figures(StatScope.of(world.district_a), Period.current("month"), live=True)["total"]
    assert shown == live


def test_one_job_is_pending_at_a_time_and_a_burst_is_one_job(world, settings, monkeypatch):
    settings.HONGFAN_WARM_DASHBOARDS = True
    settings.HONGFAN_WARM_DELAY = 2
    settings.HONGFAN_WARM_INTERVAL = 10
    cache.delete_many([warming.PENDING_KEY, warming.LAST_KEY, warming.DONE_KEY, warming.VIEWED_KEY])
    queued = []
    from stats import tasks

    monkeypatch.setattr(tasks.warm_dashboards, "apply_async", lambda countdown: queued.append(countdown))
    assert warming.schedule() is True
    assert warming.schedule() is False  # pending: the write is in the job's reading
    assert queued == [2.0]

    # The job starts: a write from then on queues the next one, no sooner than the interval.
    monkeypatch.setattr(warming, "officials", lambda: [])
    assert warming.warm() == []
    assert warming.schedule() is True
    assert len(queued) == 2
    assert 9.0 < queued[1] <= 10.0
    cache.delete_many([warming.PENDING_KEY, warming.LAST_KEY, warming.DONE_KEY, warming.VIEWED_KEY])


def test_a_broker_that_refuses_the_job_leaves_nothing_pending(world, settings, monkeypatch):
    settings.HONGFAN_WARM_DASHBOARDS = True
    cache.delete_many([warming.PENDING_KEY, warming.LAST_KEY, warming.DONE_KEY, warming.VIEWED_KEY])
    from stats import tasks

    def refuse(countdown):
        raise ConnectionError("broker down")

    monkeypatch.setattr(tasks.warm_dashboards, "apply_async", refuse)
    assert warming.schedule() is False
    assert cache.get(warming.PENDING_KEY) is None  # the next write tries again


def test_each_district_is_computed_as_one_of_its_officials(world, warm_on):
    with CaptureQueriesContext(connection) as queries:
        done = warming.warm()
    # It only reads: a write would count a commit and queue the next job, for ever.
    assert [q["sql"] for q in queries if q["sql"].split(None, 1)[0].upper() in {"INSERT", "UPDATE", "DELETE"}] == []
    assert done == sorted([world.district_a.pk, world.district_b.pk])
    assert cache.get(warming.DONE_KEY)[1] == done
    assert cache.get(warming.LAST_KEY) == pytest.approx(time.time(), abs=60)


def test_a_district_that_fails_does_not_stop_the_others(world, warm_on, monkeypatch):
    from stats import dashboards

    real = dashboards.dashboard

    def fails_for_a(user, scope, period, **kwargs):
        if scope.id == world.district_a.pk:
            raise RuntimeError("boom")
        return real(user, scope, period, **kwargs)

    monkeypatch.setattr(dashboards, "dashboard", fails_for_a)
    assert warming.warm() == [world.district_b.pk]


def test_the_job_is_off_by_default_without_a_worker_and_a_shared_cache(settings):
    # The suite runs Celery in-process with a cache per process: the default is off here.
    assert settings.CELERY_TASK_ALWAYS_EAGER
    assert settings.HONGFAN_WARM_DASHBOARDS is False


# --- the dashboards opened recently -----------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("period", ["", f"?period={2026}-Q1"])
def test_a_park_dashboard_opened_recently_is_refilled_as_its_viewer(client, world, warm_on, period):
    client.force_login(world.park_admin)
    base = reverse("dashboard", args=["park", world.park_a1.pk])
    section = reverse("dashboard_alerts", args=["park", world.park_a1.pk])
    client.get(base + period)  # opened: remembered
    client.get(section)
    between_writes = [queries_of(client, url)[0] for url in (base + period, section)]

    register_a_member(world)
    assert [queries_of(client, url)[0] for url in (base + period, section)] == between_writes
    label = period.removeprefix("?period=") or Period.current("month").label
    assert ("park", world.park_a1.pk, label, world.park_admin.pk) in cache.get(warming.DONE_KEY)[2]


@pytest.mark.django_db(transaction=True)
def test_without_a_budget_the_recent_dashboards_wait_for_their_next_view(client, world, warm_on, settings):
    settings.HONGFAN_WARM_BUDGET_SECONDS = 0
    client.force_login(world.park_admin)
    url = reverse("dashboard", args=["park", world.park_a1.pk])
    client.get(url)
    between_writes, _ = queries_of(client, url)
    register_a_member(world)
    assert cache.get(warming.DONE_KEY)[2] == []
    after_write, _ = queries_of(client, url)
    assert after_write > between_writes


def test_only_the_recent_window_is_remembered_newest_first(world, warm_on, settings, monkeypatch):
    from stats.basis import StatScope

    settings.HONGFAN_WARM_RECENT_SECONDS = 3600
    clock = [1_000_000.0]
    monkeypatch.setattr(warming.time, "time", lambda: clock[0])
    month = Period.current("month")
    warming.viewed(world.official, StatScope.of(world.district_a), month)
    clock[0] += 60
    warming.viewed(world.park_admin, StatScope.of(world.park_a1), month)
    assert warming.recently_viewed() == [
        ("park", world.park_a1.pk, month.label, world.park_admin.pk),
        ("district", world.district_a.pk, month.label, world.official.pk),
    ]
    clock[0] += 3590  # the official's view is now 3 650 s old
    assert warming.recently_viewed() == [("park", world.park_a1.pk, month.label, world.park_admin.pk)]
    for n in range(warming.VIEWED_MAX + 5):
        warming.viewed(
            world.official, StatScope.of(world.district_a), Period.parse(f"{2000 + n % 20}-{n // 20 + 1:02d}")
        )
    assert len(cache.get(warming.VIEWED_KEY)) == warming.VIEWED_MAX
    cache.delete(warming.VIEWED_KEY)


def test_a_viewer_who_lost_the_dashboard_is_not_refilled(world, warm_on):
    from accounts.models import RoleAssignment
    from stats.basis import StatScope

    warming.viewed(world.park_admin, StatScope.of(world.park_a1), Period.current("month"))
    RoleAssignment.objects.filter(user=world.park_admin).delete()
    assert warming.warm_recent(time.monotonic() + 60) == []
    cache.delete(warming.VIEWED_KEY)
