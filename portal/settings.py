"""Settings for Hongfan, read from environment variables only.

Two modes:

* embedded (the default): SQLite, Celery tasks run in-process, e-mail to the console and
  development keys, so that ``make run`` works on a fresh machine with nothing else installed;
* production (``HONGFAN_MODE=production``): every secret must come from the environment and the
  portal refuses to start without it. See docs/deploy.md.
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name, default=None):
    return os.environ.get(name, default)


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name, default=""):
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


MODE = env("HONGFAN_MODE", "embedded")
if MODE not in {"embedded", "production"}:
    raise ImproperlyConfigured("HONGFAN_MODE must be 'embedded' or 'production'")
EMBEDDED = MODE == "embedded"


def secret(name, dev_default):
    """A secret from the environment; the development default only in the embedded mode."""
    value = env(name)
    if value:
        return value
    if EMBEDDED:
        return dev_default
    raise ImproperlyConfigured(f"{name} must be set when HONGFAN_MODE=production")


SECRET_KEY = secret("DJANGO_SECRET_KEY", "embedded-development-key-not-for-production-use-0123456789")
DEBUG = env_bool("DJANGO_DEBUG", EMBEDDED)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver" if EMBEDDED else "")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

# Keys for personal data (resident ID numbers): a Fernet key (or several, comma-separated, the
# first encrypts and all decrypt, for rotation) and an HMAC key for the searchable digest.
FIELD_ENCRYPTION_KEYS = env_list("HONGFAN_FIELD_KEYS") or (
    ["ZW1iZWRkZWQtZGV2ZWxvcG1lbnQta2V5LTMyYnl0ZXM="] if EMBEDDED else []
)
if not FIELD_ENCRYPTION_KEYS:
    raise ImproperlyConfigured("HONGFAN_FIELD_KEYS must be set when HONGFAN_MODE=production")
FIELD_HASH_KEY = secret("HONGFAN_HASH_KEY", "embedded-development-hash-key")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "import_export",
    "simple_history",
    "axes",
    # Two-factor authentication for the back office (accounts.twofactor).
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_celery_beat",
    "django_prometheus",
    # The layers, from the foundation up (docs/architecture.md): each imports only those above it here.
    "core",
    "accounts",
    "notifications",
    "parks",
    "members",
    "elections",
    "activities",
    "services",
    "stats",
    "reports",
    "dataio",
    "demo",
    "portal",
]

MIDDLEWARE = [
    # First: /health/, /health/live/ and /metrics for the load balancer and Prometheus, answered
    # before host validation and the HTTPS redirect (core/ops.py); then the request id and the
    # request's log line (core/logs.py), and django-prometheus's counters around everything else.
    "core.ops.OpsMiddleware",
    "core.logs.RequestIdMiddleware",
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # request.user.is_verified(); then the back office asks for the second factor (accounts.twofactor).
    "django_otp.middleware.OTPMiddleware",
    "accounts.twofactor.TwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # One append-only audit row per response that showed full ID numbers (core.audit).
    "core.audit.SensitiveReadMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Axes last, as its documentation asks (django-prometheus's closing counter after it).
    "axes.middleware.AxesMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.context_processors.portal",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=int(env("DATABASE_CONN_MAX_AGE", "0" if EMBEDDED else "60")),
    )
}
# Behind PgBouncer in transaction mode (docs/deploy.md, "Several hosts"): no server-side cursors,
# which do not survive transaction pooling, and no persistent connections unless asked for.
PGBOUNCER = env("HONGFAN_PGBOUNCER", "false").lower() in {"1", "true", "yes", "on"}
if PGBOUNCER:
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
    DATABASES["default"]["CONN_MAX_AGE"] = int(env("DATABASE_CONN_MAX_AGE", "0"))
# PostgreSQL's JIT compiles any query its planner costs above jit_above_cost (100 000 by default):
# the dashboard's grouped counts over a district's members cost that much on paper and run in
# 40-150 ms, and compiling them took 200-300 ms more (docs/benchmarks.md, "PostgreSQL's JIT").
# Off for the portal's own connections unless HONGFAN_PG_JIT=true; behind PgBouncer, which does not
# pass a connection's options, set it on the database instead (docs/deploy.md, "Several hosts").
if (
    DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
    and not PGBOUNCER
    and not env_bool("HONGFAN_PG_JIT", False)
):
    _options = DATABASES["default"].setdefault("OPTIONS", {})
    _options["options"] = f"{_options.get('options', '')} -c jit=off".strip()
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Wait for a lock instead of failing at once when the in-process worker and a request write.
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
# Database queries counted for Prometheus (django_prometheus's wrappers of Django's own backends):
# on by default in production, HONGFAN_DB_METRICS=false turns it off.
_db_metric_engines = {
    "django.db.backends.postgresql": "django_prometheus.db.backends.postgresql",
    "django.db.backends.sqlite3": "django_prometheus.db.backends.sqlite3",
}
if env_bool("HONGFAN_DB_METRICS", not EMBEDDED) and DATABASES["default"]["ENGINE"] in _db_metric_engines:
    DATABASES["default"]["ENGINE"] = _db_metric_engines[DATABASES["default"]["ENGINE"]]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Login throttling. A lock-out applies to the pair (username, address) only, so that nobody can
# lock another person out by failing their password from elsewhere.
AXES_FAILURE_LIMIT = int(env("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = float(env("AXES_COOLOFF_HOURS", "0.25"))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# The client's address, for axes, the page throttles and the API's alike (core/security.py):
# REMOTE_ADDR, or behind HONGFAN_TRUSTED_PROXIES reverse proxies the entry of X-Forwarded-For that
# the outermost of them wrote. 0 (the default): X-Forwarded-For is ignored everywhere. The older
# DJANGO_BEHIND_PROXY + AXES_PROXY_COUNT pair is still read when HONGFAN_TRUSTED_PROXIES is unset.
_legacy_proxies = env("AXES_PROXY_COUNT", "1") if env_bool("DJANGO_BEHIND_PROXY", False) else "0"
TRUSTED_PROXY_COUNT = int(env("HONGFAN_TRUSTED_PROXIES", "") or _legacy_proxies)
if not 0 <= TRUSTED_PROXY_COUNT <= 10:
    raise ImproperlyConfigured("HONGFAN_TRUSTED_PROXIES must be a number of proxies from 0 to 10")
AXES_CLIENT_IP_CALLABLE = "core.security.client_ip"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env("DJANGO_STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env("DJANGO_MEDIA_ROOT", str(BASE_DIR / "media")))
# With nginx in front, the internal location from which it sends a file that the portal's media
# view has allowed (X-Accel-Redirect); empty: the portal streams the file itself.
MEDIA_ACCEL_REDIRECT = env("HONGFAN_MEDIA_ACCEL_REDIRECT", "")
# Uploaded files (activity photos, attachments, imports): MEDIA_ROOT on this machine, or with
# AWS_STORAGE_BUCKET_NAME a private bucket of an S3-compatible object store (MinIO in
# docker-compose.yml), which every web and worker process shares. Either way a file reaches a
# browser only through core.media.serve, streamed after the scope check: the bucket is never public
# and the pages never link to it (docs/deploy.md, "Files").
AWS_STORAGE_BUCKET_NAME = env("AWS_STORAGE_BUCKET_NAME", "")
if AWS_STORAGE_BUCKET_NAME:
    _default_storage = {
        "BACKEND": "core.storage.PrivateMediaStorage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "endpoint_url": env("AWS_S3_ENDPOINT_URL", "") or None,
            "region_name": env("AWS_S3_REGION_NAME", "") or None,
            "access_key": env("AWS_ACCESS_KEY_ID", "") or None,
            "secret_key": env("AWS_SECRET_ACCESS_KEY", "") or None,
            "location": env("AWS_LOCATION", ""),
            "default_acl": "private",
            "querystring_auth": True,
            "querystring_expire": 60,
            "file_overwrite": False,
            "addressing_style": env("AWS_S3_ADDRESSING_STYLE", "path"),
            "signature_version": "s3v4",
        },
    }
else:
    _default_storage = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
# In the embedded mode WhiteNoise serves the static files straight from their folders (no
# collectstatic), also with DEBUG off, as `make run` serves the demo (the portal's error pages).
WHITENOISE_USE_FINDERS = EMBEDDED
WHITENOISE_AUTOREFRESH = EMBEDDED
STORAGES = {
    "default": _default_storage,
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if EMBEDDED
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# E-mail: the console in the embedded mode, SMTP otherwise.
EMAIL_BACKEND = env(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend" if EMBEDDED else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env("EMAIL_HOST", "localhost")
EMAIL_PORT = int(env("EMAIL_PORT", "25"))
EMAIL_HOST_USER = env("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "hongfan@localhost")

# Celery: Redis in production; without a broker, tasks run eagerly in-process.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", "")
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", "") or None
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Above the longest job (the yearly district report), so Redis does not redeliver a running task.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": int(env("CELERY_VISIBILITY_TIMEOUT", "7200"))}
# The statistics report build (reports.tasks.build_stat_report; the yearly district report is the
# longest job) is stopped well below the visibility timeout: soft limit (the run is recorded as
# failed), then hard limit (the worker process is killed). docs/deploy.md, "Celery".
REPORT_TASK_SOFT_TIME_LIMIT = int(env("REPORT_TASK_SOFT_TIME_LIMIT", "1800"))
REPORT_TASK_TIME_LIMIT = int(env("REPORT_TASK_TIME_LIMIT", "2100"))
# A worker killed outright (SIGKILL, its machine lost) acknowledges nothing, and Redis hands its
# message out again only after the visibility timeout. So running jobs show a sign of life and a
# beat sweep (every 20 seconds) queues again those that lost their worker, a bounded number of
# times (core/heartbeat.py; docs/security.md, "Jobs and killed workers").
HONGFAN_JOB_HEARTBEAT_SECONDS = float(env("HONGFAN_JOB_HEARTBEAT_SECONDS", "10"))
HONGFAN_JOB_STALE_SECONDS = float(env("HONGFAN_JOB_STALE_SECONDS", "30"))
HONGFAN_JOB_MAX_ATTEMPTS = int(env("HONGFAN_JOB_MAX_ATTEMPTS", "5"))
if HONGFAN_JOB_STALE_SECONDS < 2 * HONGFAN_JOB_HEARTBEAT_SECONDS:
    raise ImproperlyConfigured("HONGFAN_JOB_STALE_SECONDS must be at least twice HONGFAN_JOB_HEARTBEAT_SECONDS")
CELERY_TIMEZONE = TIME_ZONE
# django-celery-beat's scheduler with a leader lock in Redis: a second beat does nothing; the
# leader notes each tick for /health/ (core/beat.py).
CELERY_BEAT_SCHEDULER = "core.beat:SingleBeatScheduler"

# Imports by page (dataio.jobs): a file up to this size is checked and written in the request,
# a larger one by the Celery task run_import_job, whose progress the page polls from the
# "progress" cache. The worker and the web processes must share that cache: Redis (the broker's,
# unless HONGFAN_PROGRESS_CACHE_URL names another) when there is a broker, else the default cache.
IMPORT_INLINE_MAX_BYTES = int(env("HONGFAN_IMPORT_INLINE_MAX_BYTES", str(200 * 1024)))
# An uploaded spreadsheet holds plain personal data: deleted once written, or after this many days
# unconfirmed (dataio.tasks.forget_stale_import_files, daily).
IMPORT_KEEP_DAYS = int(env("HONGFAN_IMPORT_KEEP_DAYS", "7"))
# The import engine (dataio.engine, docs/import-export.md): a file larger than this, or a sheet with
# more data rows, is refused whole before any row is checked.
HONGFAN_IMPORT_MAX_BYTES = int(env("HONGFAN_IMPORT_MAX_BYTES", str(20 * 1024 * 1024)))
HONGFAN_IMPORT_MAX_ROWS = int(env("HONGFAN_IMPORT_MAX_ROWS", "200000"))
# django-import-export in the admin: imports in one transaction. Its own formula escaping stays off:
# it only strips a leading "=" and turns every cell into text (numbers included); the portal's
# resources quote = + - @ tab and CR themselves, for every format (core.resources).
IMPORT_EXPORT_USE_TRANSACTIONS = True
IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT = False
IMPORT_EXPORT_SKIP_ADMIN_LOG = True
# The default cache holds the throttles' counters (core/security.py) and must be shared by every
# web process, with the statistics' cached figures: Redis (HONGFAN_CACHE_URL, else REDIS_URL, else
# the broker's when it is Redis) whenever there is one; in the embedded mode (one process) memory
# is enough. Sessions and axes' lock-outs live in the database, which every process shares too.
# `check --deploy` warns about a production setup without a shared cache (core/checks.py).
_broker_redis = CELERY_BROKER_URL if CELERY_BROKER_URL.startswith(("redis://", "rediss://")) else ""
_shared_cache_url = env("HONGFAN_CACHE_URL", "") or env("REDIS_URL", "") or _broker_redis
if _shared_cache_url:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": _shared_cache_url,
            "KEY_PREFIX": "hongfan",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# After a write, a job refills the district dashboards' caches (stats/warming.py): only with a
# worker (a broker) and a cache every process shares, where it helps.
HONGFAN_WARM_DASHBOARDS = env_bool("HONGFAN_WARM_DASHBOARDS", bool(CELERY_BROKER_URL and _shared_cache_url))
HONGFAN_WARM_DELAY = float(env("HONGFAN_WARM_DELAY", "2"))  # seconds after the write that queues it
HONGFAN_WARM_INTERVAL = float(env("HONGFAN_WARM_INTERVAL", "10"))  # at most one job per this many seconds
# The job also refills the dashboards opened within this many seconds, for at most this long.
HONGFAN_WARM_RECENT_SECONDS = float(env("HONGFAN_WARM_RECENT_SECONDS", "3600"))
HONGFAN_WARM_BUDGET_SECONDS = float(env("HONGFAN_WARM_BUDGET_SECONDS", "5"))
_progress_cache_url = env("HONGFAN_PROGRESS_CACHE_URL", "") or _broker_redis
if _progress_cache_url:
    CACHES["progress"] = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": _progress_cache_url,
        "KEY_PREFIX": "hongfan",
    }

REST_FRAMEWORK = {
    # Token first: a request without credentials gets 401 with "WWW-Authenticate: Token".
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.tokens.TokenAuthentication",  # hashed tokens (accounts.ApiToken)
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "core.pagination.PortalPagination",
    "PAGE_SIZE": 50,
    # The API (portal/api.py, docs/api.md): search and ordering on every list, an OpenAPI schema,
    # Django's ValidationError and IntegrityError as 400 instead of 500.
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "core.api.PortalAutoSchema",
    "EXCEPTION_HANDLER": "core.api.exception_handler",
    # Throttles count by core.security.client_ip in the default cache; a scope's rate holds for its
    # page and its API endpoint together (core.security.AddressRateThrottle, ``throttled``).
    "DEFAULT_THROTTLE_RATES": {"letter_verify": env("HONGFAN_LETTER_VERIFY_RATE", "20/10m")},
    # DRF's own throttles, if any is used, read the client's address as core.security does.
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Hongfan API",
    "DESCRIPTION": "The REST API of the Hongfan party-building portal. See docs/api.md.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    # Links from each collection to its rows, for the stateful phase of .ci/schemathesis.sh.
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "core.api.add_links"],
    # Swagger UI and Redoc from the installed sidecar package: no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        # parks, members, portal
        "ParkKindEnum": "parks.models.Park.Kind",
        "OrganizationKindEnum": "parks.models.Organization.Kind",
        "StageEnum": "members.models.Stage",
        "MemberStatusEnum": "members.models.Member.Status",
        "TransferKindEnum": "members.models.Transfer.Kind",
        "TransferStatusEnum": "members.models.Transfer.Status",
        "StageChangeKindEnum": "members.models.StageChange.Kind",
        "TransferEventActionEnum": "members.models.TransferEvent.Action",
        # activities and services (choice sets whose field names collide with other models')
        "ActivityKindEnum": "activities.models.Kind",
        "ActivityFileKindEnum": "activities.models.ActivityFile.Kind",
        "AttendanceStatusEnum": "activities.models.Attendance.Status",
        "ServiceRequestStatusEnum": "services.models.RequestStatus",
    },
}

# Security headers; TLS itself is the reverse proxy's (docs/deploy.md).
SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", not EMBEDDED)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", not EMBEDDED)
SECURE_HSTS_SECONDS = int(env("DJANGO_HSTS_SECONDS", "0" if EMBEDDED else "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", not EMBEDDED)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if env_bool("DJANGO_BEHIND_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Checks that are the reverse proxy's or the operator's business, e.g. "security.W021" (HSTS
# preload) when the proxy sets HSTS or preloading is not wanted: docs/deploy.md.
SILENCED_SYSTEM_CHECKS = env_list("DJANGO_SILENCED_SYSTEM_CHECKS")

DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024


def _log_level(name, default):
    """A level from the environment, by name ("INFO") or number ("40": Celery's worker exports
    CELERY_LOG_LEVEL as a number, and processes it starts inherit it)."""
    value = env(name, default).strip()
    return int(value) if value.isdigit() else value.upper()


# Logs go to the standard error stream: in production one JSON object per line (time, level,
# logger, message, request id, user id, path, status, duration; core/logs.py), plain text in the
# embedded mode. HONGFAN_LOG_FORMAT=json|text overrides. Every line passes the redacting filter
# (ID numbers, passwords, tokens) and carries the request id, also inside Celery tasks.
LOG_FORMAT = env("HONGFAN_LOG_FORMAT", "text" if EMBEDDED else "json")
if LOG_FORMAT not in {"json", "text"}:
    raise ImproperlyConfigured("HONGFAN_LOG_FORMAT must be 'json' or 'text'")
# Trust the X-Request-ID header of the reverse proxy (true only when the proxy sets or strips it).
HONGFAN_TRUST_REQUEST_ID = env_bool("HONGFAN_TRUST_REQUEST_ID", False)
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "context": {"()": "core.logs.ContextFilter"},
        "redact": {"()": "core.logs.RedactingFilter"},
    },
    "formatters": {
        "json": {"()": "core.logs.JsonFormatter"},
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["context", "redact"],
        }
    },
    "root": {"handlers": ["console"], "level": _log_level("DJANGO_LOG_LEVEL", "WARNING")},
    "loggers": {
        # One line per request (core.logs.RequestIdMiddleware), at INFO.
        "hongfan.request": {"level": _log_level("HONGFAN_REQUEST_LOG_LEVEL", "INFO" if not EMBEDDED else "WARNING")},
        # Celery's own loggers go through the same handler (the worker keeps the root's).
        "celery": {"level": _log_level("CELERY_LOG_LEVEL", "INFO")},
    },
}

# Health (core/ops.py): /health/ checks the database, the cache, the broker, the storage, beat's
# last tick and a worker's answer to a ping; /health/ready/ only what a web process needs itself;
# /health/live/ nothing. Beat is late after HONGFAN_BEAT_STALE_SECONDS without a tick.
HONGFAN_HEALTH_TIMEOUT = float(env("HONGFAN_HEALTH_TIMEOUT", "2"))
HONGFAN_BEAT_STALE_SECONDS = float(env("HONGFAN_BEAT_STALE_SECONDS", "120"))
# /metrics (Prometheus): for these client addresses or networks, for a bearer token, or for staff.
HONGFAN_METRICS_ALLOWED_IPS = env_list("HONGFAN_METRICS_ALLOWED_IPS")
HONGFAN_METRICS_TOKEN = env("HONGFAN_METRICS_TOKEN", "")
# The Celery worker's task metrics: an HTTP server on this port in the worker (0: none).
HONGFAN_WORKER_METRICS_PORT = int(env("HONGFAN_WORKER_METRICS_PORT", "0"))
PROMETHEUS_EXPORT_MIGRATIONS = False

# Two-factor authentication (accounts.twofactor): required of superusers and park administrators
# for the back office; on by default in production, off in the embedded/demo mode.
HONGFAN_REQUIRE_2FA = env_bool("HONGFAN_REQUIRE_2FA", not EMBEDDED)
OTP_TOTP_ISSUER = env("HONGFAN_OTP_ISSUER", "Hongfan")

# The audit of sensitive reads (core.audit): rows older than this are deleted nightly.
HONGFAN_AUDIT_RETENTION_DAYS = int(env("HONGFAN_AUDIT_RETENTION_DAYS", str(3 * 365)))

PORTAL_NAME = _("Hongfan party-building portal")

# Exports (dataio.exports, docs/import-export.md "Exports"): up to this many rows a download is
# streamed in the request; more, and the page prepares the file in a Celery job (ExportJob), whose
# file is deleted this many hours later (dataio.tasks.forget_expired_exports, hourly).
HONGFAN_EXPORT_SYNC_ROWS = int(env("HONGFAN_EXPORT_SYNC_ROWS", "20000"))
HONGFAN_EXPORT_KEEP_HOURS = float(env("HONGFAN_EXPORT_KEEP_HOURS", "24"))
