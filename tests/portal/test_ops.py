"""/health/, /health/ready/, /health/live/ and /metrics (core/ops.py), and the request id."""

import json
import time

import pytest

from core.beat import record_tick

pytestmark = pytest.mark.django_db
CLOSED = "redis://127.0.0.1:1/0"  # nothing listens on port 1


def health(client, path="/health/", **extra):
    response = client.get(path, **extra)
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == "no-store"
    return response.status_code, json.loads(response.content)


def test_liveness_touches_nothing(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert health(client, "/health/live/") == (200, {"status": "ok"})


def test_the_embedded_mode_is_healthy_and_says_what_it_skipped(client):
    status, body = health(client)
    assert status == 200
    assert body["status"] == "ok"
    states = {name: entry["status"] for name, entry in body["components"].items()}
    # No broker in the embedded mode: tasks run in the request, there is no beat nor worker.
    assert states == {
        "database": "ok",
        "cache": "ok",
        "broker": "skipped",
        "storage": "ok",
        "beat": "skipped",
        "worker": "skipped",
    }


def test_unreachable_redis_is_503_and_names_the_failing_parts(client, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = CLOSED
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CLOSED}}
    settings.HONGFAN_HEALTH_TIMEOUT = 0.5
    status, body = health(client)
    assert status == 503
    assert body["status"] == "error"
    components = body["components"]
    assert components["database"]["status"] == "ok"
    assert components["storage"]["status"] == "ok"
    for name in ("cache", "broker", "beat", "worker"):
        assert components[name]["status"] == "error", name
    # The kind of error only: no internal address in a public answer.
    assert "127.0.0.1" not in json.dumps(body)
    status, body = health(client, "/health/ready/")
    assert status == 503
    assert set(body["components"]) == {"database", "cache", "broker", "storage"}


def test_a_beat_that_stopped_ticking_is_reported(client, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = CLOSED
    settings.HONGFAN_BEAT_STALE_SECONDS = 120
    record_tick(time.time() - 500)
    assert health(client)[1]["components"]["beat"]["status"] == "error"
    record_tick()
    assert health(client)[1]["components"]["beat"]["status"] == "ok"


def test_health_answers_any_host_over_plain_http(client, settings):
    # The load balancer and compose call the container by its own name, without TLS.
    settings.ALLOWED_HOSTS = ["party.example.org"]
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/health/live/", HTTP_HOST="web:8000").status_code == 200
    assert client.get("/health/ready/", HTTP_HOST="10.0.0.7:8000").status_code == 200
    # Any other page still goes through host validation.
    assert client.get("/accounts/login/", HTTP_HOST="web:8000").status_code == 400


# --- /metrics -----------------------------------------------------------------------------------


def test_metrics_are_closed_to_the_public(client, world, settings):
    settings.HONGFAN_METRICS_TOKEN = "s3cret-metrics-token"
    settings.HONGFAN_METRICS_ALLOWED_IPS = ["10.20.0.0/16"]
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 404
    assert client.get("/metrics", REMOTE_ADDR="10.21.0.9").status_code == 404
    client.force_login(world.park_admin)  # a park administrator: staff, not a superuser
    assert client.get("/metrics").status_code == 404


def test_metrics_for_prometheus_by_token_address_or_superuser(client, world, settings):
    settings.HONGFAN_METRICS_TOKEN = "s3cret-metrics-token"
    settings.HONGFAN_METRICS_ALLOWED_IPS = ["10.20.0.0/16"]
    client.get("/accounts/login/")  # one request counted
    by_token = client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-metrics-token")
    assert by_token.status_code == 200
    text = by_token.content.decode()
    assert "django_http_requests_latency_seconds_by_view_method" in text
    assert "django_http_responses_total_by_status_total" in text
    assert client.get("/metrics", REMOTE_ADDR="10.20.3.4").status_code == 200
    client.force_login(world.superuser)
    assert client.get("/metrics").status_code == 200


def test_task_outcomes_and_durations_are_counted(client, world, settings):
    from dataio.tasks import requeue_lost_import_jobs

    settings.HONGFAN_METRICS_TOKEN = "t0ken-for-the-test"
    requeue_lost_import_jobs.delay()  # eager: runs here, through the same signals as in a worker
    text = client.get("/metrics", HTTP_AUTHORIZATION="Bearer t0ken-for-the-test").content.decode()
    assert 'hongfan_celery_tasks_total{outcome="success",task="portal.tasks.requeue_lost_import_jobs"}' in text
    assert 'hongfan_celery_task_duration_seconds_count{task="portal.tasks.requeue_lost_import_jobs"}' in text


# --- the request id -------------------------------------------------------------------------------


def test_every_response_carries_a_request_id(client, settings):
    first = client.get("/accounts/login/")["X-Request-ID"]
    second = client.get("/accounts/login/")["X-Request-ID"]
    assert len(first) == 32
    assert first != second
    # The client's own id is ignored unless the reverse proxy is trusted to set it.
    offered = "lb-7f3a9c21-0001"
    assert client.get("/accounts/login/", HTTP_X_REQUEST_ID=offered)["X-Request-ID"] != offered
    settings.HONGFAN_TRUST_REQUEST_ID = True
    assert client.get("/accounts/login/", HTTP_X_REQUEST_ID=offered)["X-Request-ID"] == offered
    # A malformed one (too short, or with spaces and quotes) is replaced.
    assert client.get("/accounts/login/", HTTP_X_REQUEST_ID='x" y')["X-Request-ID"] != 'x" y'


def test_the_health_command_checks_named_components(settings, capsys):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    call_command("health", "database", "storage")
    assert json.loads(capsys.readouterr().out)["status"] == "ok"
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = CLOSED
    record_tick(time.time() - 3600)
    with pytest.raises(CommandError, match="unhealthy"):
        call_command("health", "beat")
    assert json.loads(capsys.readouterr().out)["components"]["beat"]["status"] == "error"
