"""The production files, checked without Docker (no engine runs here): docker-compose.yml parsed
with PyYAML, the Dockerfile, the entry point, and .env.example / docs/deploy.md against settings.py.
"""

import os
import re
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
SECRET_NAMES = re.compile(r"(PASSWORD|SECRET|KEY|TOKEN)", re.IGNORECASE)


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def env_example():
    """NAME → value for every variable in .env.example, commented-out optional ones included."""
    names = {}
    for line in (ROOT / ".env.example").read_text(encoding="utf-8").splitlines():
        match = re.match(r"^(?:# )?([A-Z][A-Z0-9_]*)=(.*)$", line)
        if match:
            names[match.group(1)] = match.group(2)
    return names


def settings_variables():
    """Every environment variable portal/settings.py reads."""
    source = (ROOT / "portal" / "settings.py").read_text(encoding="utf-8")
    return set(re.findall(r"\b(?:env|env_bool|env_list|secret)\(\s*\"([A-Z][A-Z0-9_]*)\"", source))


def test_services_are_present(compose):
    assert set(compose["services"]) == {
        "db",
        "redis",
        "minio",
        "minio-init",
        "web",
        "worker",
        "beat",
        "prometheus",
        "grafana",
    }
    assert compose["services"]["db"]["image"] == "postgres:15"
    assert compose["services"]["redis"]["image"] == "redis:7"
    # Monitoring is optional: `docker compose --profile monitoring up -d`.
    for name in ("prometheus", "grafana"):
        assert compose["services"][name]["profiles"] == ["monitoring"]


def test_uploads_go_to_a_private_bucket_made_before_the_portal_starts(compose, env_example):
    services = compose["services"]
    script = "\n".join(services["minio-init"]["command"])
    assert 'mc anonymous set none "store/$${AWS_STORAGE_BUCKET_NAME}"' in script
    assert "mc admin policy attach store hongfan-media" in script
    assert services["web"]["depends_on"]["minio-init"]["condition"] == "service_completed_successfully"
    assert "ports" not in services["minio"]  # reached by the portal only, never by browsers
    assert env_example["AWS_S3_ENDPOINT_URL"] == "http://minio:9000"


def test_monitoring_files(compose):
    prometheus = yaml.safe_load((ROOT / "docker" / "prometheus.yml").read_text(encoding="utf-8"))
    jobs = {job["job_name"]: job for job in prometheus["scrape_configs"]}
    assert jobs["hongfan-web"]["authorization"]["credentials_file"] == "/prometheus/metrics_token"
    assert jobs["hongfan-worker"]["dns_sd_configs"][0]["port"] == 9808
    import json

    dashboard = json.loads((ROOT / "docker" / "grafana" / "hongfan.json").read_text(encoding="utf-8"))
    exprs = " ".join(t["expr"] for panel in dashboard["panels"] for t in panel["targets"])
    for metric in (
        "django_http_requests_total_by_method_total",
        "django_http_requests_latency_including_middlewares_seconds_bucket",
        'status=~"5.."',
        "django_db_execute_total",
        "hongfan_celery_tasks_total",
        "hongfan_celery_task_duration_seconds_bucket",
    ):
        assert metric in exprs, metric


def test_every_service_is_configured_from_dot_env_only(compose):
    for name, service in compose["services"].items():
        env_file = service.get("env_file")
        env_files = [env_file] if isinstance(env_file, str) else env_file
        assert env_files == [".env"], f"{name}: env_file must be .env"
        # Nothing set inline: the environment comes from .env alone.
        assert "environment" not in service, f"{name}: put settings in .env, not in docker-compose.yml"


def test_no_secret_is_hard_coded(compose):
    text = (ROOT / "docker-compose.yml").read_text(encoding="utf-8")
    # Secrets appear only as references to the container's environment ($$NAME / ${NAME}).
    for match in re.finditer(r"(\w*(?:PASSWORD|SECRET|KEY|TOKEN)\w*)\s*[=:]\s*(\S+)", text, re.IGNORECASE):
        value = match.group(2).strip("\"'")
        assert value.startswith("$"), f"hard-coded secret in docker-compose.yml: {match.group(0)}"
    assert "redis://" not in text
    assert "postgres://" not in text


def test_app_services_share_one_image_and_run_their_role(compose):
    services = compose["services"]
    for name in ("web", "worker", "beat"):
        assert services[name]["build"] == "."
        assert services[name]["command"] == [name]
        assert "/app/media" in " ".join(services[name]["volumes"])
    entrypoint = (ROOT / "docker" / "entrypoint.sh").read_text(encoding="utf-8")
    assert "exec gunicorn --config docker/gunicorn.conf.py portal.wsgi:application" in entrypoint
    assert "python manage.py migrate --noinput" in entrypoint
    assert "exec celery -A portal worker" in entrypoint
    # django_celery_beat's DatabaseScheduler behind a leader lock, noting its ticks for /health/ (core/beat.py).
    assert "--scheduler core.beat:SingleBeatScheduler" in entrypoint


def test_exactly_one_beat(compose):
    services = compose["services"]
    beats = [name for name, service in services.items() if "beat" in service.get("command", [])]
    assert beats == ["beat"]
    assert services["beat"]["deploy"]["replicas"] == 1
    entrypoint = (ROOT / "docker" / "entrypoint.sh").read_text(encoding="utf-8")
    # A worker with an embedded beat (-B / --beat) would be a second scheduler.
    worker_line = next(line for line in entrypoint.splitlines() if "celery -A portal worker" in line)
    assert " -B" not in worker_line
    assert "--beat" not in worker_line


def test_every_service_has_a_healthcheck(compose):
    for name, service in compose["services"].items():
        if service.get("restart") == "no":
            continue  # one-shot (minio-init): its exit code is what the others wait for
        assert service.get("healthcheck", {}).get("test"), f"{name} has no healthcheck"
    assert "health beat" in compose["services"]["beat"]["healthcheck"]["test"][1]


def test_app_services_wait_for_healthy_dependencies(compose):
    services = compose["services"]
    for name in ("web", "worker", "beat"):
        depends = services[name]["depends_on"]  # minio-init (the bucket) comes before web
        assert depends["db"]["condition"] == "service_healthy"
        assert depends["redis"]["condition"] == "service_healthy"
    for name in ("worker", "beat"):  # after web has migrated
        assert services[name]["depends_on"]["web"]["condition"] == "service_healthy"


def test_gunicorn_is_published_on_loopback_by_default(compose):
    (port,) = compose["services"]["web"]["ports"]
    assert port == "${HONGFAN_BIND:-127.0.0.1:8000-8009}:8000"


def test_web_and_worker_scale_with_nothing_else_changed(compose):
    """`docker compose up --scale web=3 --scale worker=2`: no fixed container name, no fixed host
    port (web publishes a range, one port per replica), no per-replica volume."""
    for name in ("web", "worker"):
        service = compose["services"][name]
        assert "container_name" not in service
        assert "replicas" not in service.get("deploy", {})
    (port,) = compose["services"]["web"]["ports"]
    first, last = port.removesuffix("}:8000").rsplit(":", 1)[1].split("-")
    assert int(last) - int(first) + 1 >= 3


def test_compose_interpolations_are_documented_in_env_example(compose, env_example):
    text = (ROOT / "docker-compose.yml").read_text(encoding="utf-8")
    # ${NAME} is read by compose from .env, $${NAME} by the container from its env_file (.env).
    used = set(re.findall(r"\$\$?\{([A-Z][A-Z0-9_]*)", text)) - {"HOSTNAME"}  # HOSTNAME: set by Docker
    assert used, "expected ${...} references"
    assert used <= set(env_example), f"not in .env.example: {sorted(used - set(env_example))}"


def test_env_example_lists_every_setting(env_example):
    missing = settings_variables() - set(env_example)
    assert not missing, f"portal/settings.py reads {sorted(missing)}: add them to .env.example"


def test_deploy_doc_explains_every_setting(env_example):
    doc = (ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")
    missing = sorted(name for name in settings_variables() | set(env_example) if f"`{name}`" not in doc)
    assert not missing, f"docs/deploy.md does not explain {missing}"


def test_env_example_carries_no_real_secret(env_example):
    for name, value in env_example.items():
        if SECRET_NAMES.search(name) and name not in {"AXES_PROXY_COUNT", "AWS_ACCESS_KEY_ID"}:
            assert value in {"", "change-me"}, f"{name} in .env.example must be a placeholder"
    assert env_example["HONGFAN_MODE"] == "production"
    # The broker and database URLs carry the same placeholder password as the services.
    assert env_example["DATABASE_URL"] == (
        f"postgres://{env_example['POSTGRES_USER']}:{env_example['POSTGRES_PASSWORD']}@db:5432/"
        f"{env_example['POSTGRES_DB']}"
    )
    assert env_example["CELERY_BROKER_URL"] == f"redis://:{env_example['REDIS_PASSWORD']}@redis:6379/0"


def test_deploy_doc_tells_to_replace_the_placeholders():
    # The production settings refuse a missing secret; a placeholder left in .env is the
    # operator's error, so the doc tells them to replace every change-me.
    doc = (ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")
    assert "change-me" in doc


def test_dockerfile():
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    froms = re.findall(r"^FROM\s+(\S+)", text, re.MULTILINE)
    assert froms[0].startswith("node:")
    assert froms[-1] == "python:3.11-slim"
    steps = ("npm ci", "scripts/vendor-assets.sh", "pip install --require-hashes -r requirements/base.txt")
    for step in (*steps, "collectstatic --noinput"):
        assert step in text, step
    users = re.findall(r"^USER\s+(\S+)", text, re.MULTILINE)
    assert users
    assert users[-1] not in {"root", "0"}
    assert re.search(r'^ENTRYPOINT \["/app/docker/entrypoint.sh"\]', text, re.MULTILINE)


def test_dockerignore_keeps_local_state_and_secrets_out():
    lines = set((ROOT / ".dockerignore").read_text(encoding="utf-8").split())
    assert {".env", ".git", ".venv", "node_modules", "db.sqlite3*"} <= lines


def test_entrypoint_is_an_executable_posix_script():
    path = ROOT / "docker" / "entrypoint.sh"
    assert os.access(path, os.X_OK)
    result = subprocess.run(["sh", "-n", str(path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
