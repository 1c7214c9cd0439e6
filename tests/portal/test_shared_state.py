"""Two web processes, one Redis: a throttle and a cached figure are the same in both.

Production runs several gunicorn processes (and containers) behind the load balancer: a client
must not get a fresh throttle allowance by landing on another process, and a statistics figure
computed by one is served by the others. Two real gunicorn servers run here on the test database
(PostgreSQL: an in-memory SQLite database is not shared between processes) with their default cache
in Redis database 10. Runs in CI's PostgreSQL pass, where Redis is up; without Redis it is skipped
(and fails in CI).
"""

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import quote

import pytest
from django.core.cache.backends.redis import RedisCache
from django.db import connection

from accounts.actions import token_create

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("HONGFAN_TEST_SHARED_CACHE", "redis://127.0.0.1:6379/10")

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def redis_answers() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


@pytest.fixture
def shared_redis():
    if not redis_answers():
        message = f"needs Redis at {REDIS_URL} (set HONGFAN_TEST_SHARED_CACHE to another database)"
        if os.environ.get("CI", "").lower() in {"1", "true", "yes", "on"}:
            pytest.fail(f"CI: {message}")
        pytest.skip(message)
    cache = RedisCache(REDIS_URL, {"KEY_PREFIX": "hongfan"})
    cache.clear()
    yield cache
    cache.clear()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url() -> str:
    db = connection.settings_dict
    auth = quote(db["USER"] or "") + (":" + quote(db["PASSWORD"]) if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@contextlib.contextmanager
def web_process(**env_extra):
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("CELERY_", "HONGFAN_", "DJANGO_"))},
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "DATABASE_URL": database_url(),
        "HONGFAN_CACHE_URL": REDIS_URL,
        "DJANGO_DEBUG": "false",
        **env_extra,
    }
    gunicorn = Path(sys.executable).with_name("gunicorn")
    process = subprocess.Popen(  # noqa: S603 - our own server
        [str(gunicorn), "portal.wsgi:application", "--bind", f"127.0.0.1:{port}", "--workers", "1"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(base + "/health/live/", timeout=2)  # noqa: S310 - local
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the web process on port {port} did not start") from None
                time.sleep(0.3)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=20)


def call(base, path, *, data=None, token=None):
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Token {token}"
    body = json.dumps(data).encode() if data is not None else None
    request = urllib.request.Request(base + path, data=body, headers=headers, method="POST" if body else "GET")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - local
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, None


def test_two_web_processes_share_throttles_and_cached_figures(world, shared_redis):
    token = token_create(user=world.superuser)
    guess = {"number": "XX-0000", "code": "WRONG"}
    with (
        web_process(HONGFAN_LETTER_VERIFY_RATE="3/10m") as a,
        web_process(HONGFAN_LETTER_VERIFY_RATE="3/10m") as b,
    ):
        # The throttle: three checks per address, whichever process answers them.
        assert call(a, "/api/v1/letters/verify/", data=guess)[0] == 200
        assert call(a, "/api/v1/letters/verify/", data=guess)[0] == 200
        assert call(b, "/api/v1/letters/verify/", data=guess)[0] == 200
        assert call(b, "/api/v1/letters/verify/", data=guess)[0] == 429
        assert call(a, "/api/v1/letters/verify/", data=guess)[0] == 429

        # A cached figure: A computes the district's member figures and keeps them in Redis...
        path = f"/api/v1/statistics/district/{world.district_a.pk}/"
        status, figures = call(a, path, token=token)
        assert status == 200
        client = shared_redis._cache.get_client()
        (raw_key,) = client.keys("hongfan:1:hongfan:stats:members:*")
        key = raw_key.decode().removeprefix("hongfan:1:")
        cached = shared_redis.get(key)
        assert cached["total"] == figures["members"]["total"]
        # ...and B serves what is in the shared cache (marked here so that it cannot be a figure
        # B computed itself), as A does.
        shared_redis.set(key, {**cached, "total": 4242}, 600)
        assert call(b, path, token=token)[1]["members"]["total"] == 4242
        assert call(a, path, token=token)[1]["members"]["total"] == 4242
