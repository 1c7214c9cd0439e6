"""Production settings: the portal refuses to start without its secrets, and `check --deploy` is clean.

Each case runs Django in a subprocess, because settings are read once per process.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]

SECRETS = {
    "DJANGO_SECRET_KEY": "x7Gq2mV9pL4rT8wZ1cN6bH3jK5sD0fY2uE7iO9aQ4lM8nB6vC1xR3tW5yP0zS2gJ",
    # Fernet keys are 32 url-safe base64-encoded bytes.
    "HONGFAN_FIELD_KEYS": "S2V5LWZvci10ZXN0cy1vbmx5LW5vdC1zZWNyZXQtMDA=",
    "HONGFAN_HASH_KEY": "hash-key-for-tests-only",
}
PRODUCTION = {
    "HONGFAN_MODE": "production",
    **SECRETS,
    "DJANGO_ALLOWED_HOSTS": "party.example.org",
    "DJANGO_CSRF_TRUSTED_ORIGINS": "https://party.example.org",
    "DJANGO_BEHIND_PROXY": "true",
    # Shared state: the cache in Redis, uploads in a bucket (nothing is contacted by the checks).
    "HONGFAN_CACHE_URL": "redis://redis:6379/1",
    "AWS_STORAGE_BUCKET_NAME": "hongfan-media",
    "AWS_S3_ENDPOINT_URL": "http://minio:9000",
}


def run(code_or_args, **variables):
    """Run Python with only the given portal variables set (none inherited from this process)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "HONGFAN_"))}
    env.pop("DATABASE_URL", None)
    env["DJANGO_SETTINGS_MODULE"] = "portal.settings"
    env.update(variables)
    args = ["-c", code_or_args] if isinstance(code_or_args, str) else code_or_args
    return subprocess.run([sys.executable, *args], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=120)


SETUP = "import django; django.setup()"


def test_production_starts_with_every_secret():
    result = run(SETUP, **PRODUCTION)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("missing", sorted(SECRETS))
@pytest.mark.parametrize("how", ["unset", "empty"])
def test_production_refuses_to_start_without_a_secret(missing, how):
    variables = dict(PRODUCTION)
    if how == "unset":
        del variables[missing]
    else:
        variables[missing] = ""
    result = run(SETUP, **variables)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert f"{missing} must be set when HONGFAN_MODE=production" in result.stderr


def test_embedded_mode_starts_without_secrets():
    result = run(SETUP)
    assert result.returncode == 0, result.stderr


def test_unknown_mode_is_refused():
    result = run(SETUP, **{**PRODUCTION, "HONGFAN_MODE": "prod"})
    assert result.returncode != 0
    assert "HONGFAN_MODE must be 'embedded' or 'production'" in result.stderr


def test_production_defaults_are_safe():
    code = (
        "import json; from django.conf import settings as s; print(json.dumps({"
        "'debug': s.DEBUG, 'session_secure': s.SESSION_COOKIE_SECURE, 'csrf_secure': s.CSRF_COOKIE_SECURE,"
        "'ssl_redirect': s.SECURE_SSL_REDIRECT, 'hsts': s.SECURE_HSTS_SECONDS,"
        "'proxy': s.SECURE_PROXY_SSL_HEADER, 'hosts': s.ALLOWED_HOSTS,"
        "'email': s.EMAIL_BACKEND, 'eager': s.CELERY_TASK_ALWAYS_EAGER,"
        "'storage': s.STORAGES['staticfiles']['BACKEND']}))"
    )
    result = run(code, **PRODUCTION, CELERY_BROKER_URL="redis://redis:6379/0")
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert values == {
        "debug": False,
        "session_secure": True,
        "csrf_secure": True,
        "ssl_redirect": True,
        "hsts": 31536000,
        "proxy": ["HTTP_X_FORWARDED_PROTO", "https"],
        "hosts": ["party.example.org"],
        "email": "django.core.mail.backends.smtp.EmailBackend",
        "eager": False,
        "storage": "whitenoise.storage.CompressedManifestStaticFilesStorage",
    }


def check_deploy(**variables):
    return run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], **variables)


def test_check_deploy_reports_nothing_in_production():
    # HSTS preloading is the operator's decision (docs/deploy.md), silenced as .env.example does.
    result = check_deploy(**PRODUCTION, DJANGO_SILENCED_SYSTEM_CHECKS="security.W021")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (1 silenced)." in result.stdout


def test_check_deploy_silences_only_what_the_environment_names():
    # Without the silencing, HSTS preload is the one and only remark.
    result = check_deploy(**PRODUCTION)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "security.W021" in output
    assert "System check identified 1 issue (0 silenced)." in output


def test_check_deploy_catches_an_insecure_production_setting():
    result = check_deploy(**PRODUCTION, DJANGO_SILENCED_SYSTEM_CHECKS="security.W021", DJANGO_DEBUG="true")
    assert result.returncode != 0
    assert "security.W018" in result.stdout + result.stderr


def test_check_deploy_asks_for_shared_state_in_production():
    """Several web processes need one cache (throttles, figures) and one place for uploads."""
    variables = {**PRODUCTION, "DJANGO_SILENCED_SYSTEM_CHECKS": "security.W021"}
    del variables["HONGFAN_CACHE_URL"], variables["AWS_STORAGE_BUCKET_NAME"]
    result = check_deploy(**variables)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "hongfan.W001" in output
    assert "hongfan.W002" in output
    assert "hongfan.W003" not in output  # JSON logs, the production default
    result = check_deploy(**variables, HONGFAN_LOG_FORMAT="text", CELERY_BROKER_URL="redis://redis:6379/0")
    output = result.stdout + result.stderr
    assert "hongfan.W001" not in output  # the broker's Redis is the cache
    assert "hongfan.W003" in output


def test_production_uses_redis_the_private_bucket_and_json_logs():
    code = (
        "import json; from django.conf import settings as s; print(json.dumps({"
        "'cache': s.CACHES['default']['BACKEND'], 'location': s.CACHES['default']['LOCATION'],"
        "'storage': s.STORAGES['default']['BACKEND'], 'bucket': s.STORAGES['default']['OPTIONS']['bucket_name'],"
        "'acl': s.STORAGES['default']['OPTIONS']['default_acl'],"
        "'formatter': s.LOGGING['handlers']['console']['formatter'], 'db': s.DATABASES['default']['ENGINE']}))"
    )
    result = run(code, **PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "cache": "django.core.cache.backends.redis.RedisCache",
        "location": "redis://redis:6379/1",
        "storage": "core.storage.PrivateMediaStorage",
        "bucket": "hongfan-media",
        "acl": "private",
        "formatter": "json",
        "db": "django_prometheus.db.backends.sqlite3",
    }
    embedded = run(
        code.replace("s.STORAGES['default']['OPTIONS']['bucket_name']", "None")
        .replace("s.STORAGES['default']['OPTIONS']['default_acl']", "None")
        .replace("s.CACHES['default']['LOCATION']", "None")
    )
    assert json.loads(embedded.stdout) == {
        "cache": "django.core.cache.backends.locmem.LocMemCache",
        "location": None,
        "storage": "django.core.files.storage.FileSystemStorage",
        "bucket": None,
        "acl": None,
        "formatter": "text",
        "db": "django.db.backends.sqlite3",
    }
