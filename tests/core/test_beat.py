"""Exactly one beat (core/beat.py): a second beat started by mistake runs nothing.

Against a real Redis (database 13 of HONGFAN_TEST_REDIS, default the local one); without Redis
these tests skip with a message, except in CI, where Redis is part of the run.
"""

import os
import time

import pytest
from django_celery_beat.schedulers import DatabaseScheduler

from core import beat
from portal.celery import app

REDIS_URL = os.environ.get("HONGFAN_TEST_REDIS", "redis://127.0.0.1:6379/13")


@pytest.fixture
def redis_broker(settings):
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.RedisError:
        if os.environ.get("CI"):
            pytest.fail(f"Redis is required in CI but {REDIS_URL} does not answer")
        pytest.skip(f"these tests need Redis at {REDIS_URL}")
    client.delete(beat.LOCK_KEY, beat.LAST_TICK_KEY)
    settings.CELERY_BROKER_URL = REDIS_URL
    yield client
    client.delete(beat.LOCK_KEY, beat.LAST_TICK_KEY)


def test_one_lock_holder_at_a_time(redis_broker):
    first, second = beat.LeaderLock(redis_broker), beat.LeaderLock(redis_broker)
    assert first.hold()
    assert not second.hold()
    assert first.hold(), "the holder renews its own lock"
    assert not second.hold()
    first.release()
    assert second.hold(), "released: the standby takes over at its next tick"
    assert not first.hold()


def test_a_dead_leaders_lock_expires_and_the_standby_takes_over(redis_broker):
    leader, standby = beat.LeaderLock(redis_broker, seconds=1), beat.LeaderLock(redis_broker, seconds=1)
    assert leader.hold()
    assert not standby.hold()
    time.sleep(1.2)  # the leader died without releasing: nothing renews its lock
    assert standby.hold()
    assert not leader.hold(), "a leader that comes back after losing the lock does not run the schedule"


def test_only_the_holder_records_its_tick(redis_broker):
    assert beat.last_tick() is None
    beat.LeaderLock(redis_broker).hold()
    ticked = beat.last_tick()
    assert ticked is not None
    assert abs(ticked - time.time()) < 5


@pytest.mark.django_db
def test_a_second_scheduler_runs_no_schedule(redis_broker, monkeypatch):
    ran = []
    monkeypatch.setattr(DatabaseScheduler, "tick", lambda self, *a, **k: ran.append(self) or 1.0)
    first = beat.SingleBeatScheduler(app=app, lazy=True)
    second = beat.SingleBeatScheduler(app=app, lazy=True)
    assert first.tick() == 1.0
    assert second.tick() == beat.STANDBY_SLEEP
    assert first.tick() == 1.0
    assert ran == [first, first]
    first.leader.release()
    assert second.tick() == 1.0
    assert ran[-1] is second


@pytest.mark.django_db
def test_without_redis_the_scheduler_is_django_celery_beats_own(settings, monkeypatch):
    settings.CELERY_BROKER_URL = ""
    monkeypatch.setattr(DatabaseScheduler, "tick", lambda self, *a, **k: 2.0)
    scheduler = beat.SingleBeatScheduler(app=app, lazy=True)
    assert scheduler.leader is None
    assert scheduler.tick() == 2.0
    assert beat.last_tick() is None


@pytest.mark.django_db
def test_redis_unreachable_means_no_schedule_rather_than_twice(settings, monkeypatch):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    monkeypatch.setattr(DatabaseScheduler, "tick", lambda self, *a, **k: 2.0)
    scheduler = beat.SingleBeatScheduler(app=app, lazy=True)
    assert scheduler.tick() == beat.STANDBY_SLEEP


def test_the_portal_uses_the_single_beat_scheduler(settings):
    assert settings.CELERY_BEAT_SCHEDULER == "core.beat:SingleBeatScheduler"
