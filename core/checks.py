"""``manage.py check --deploy``: the production setup shares its state between processes."""

from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.caches, deploy=True)
def shared_state(app_configs, **kwargs):
    errors = []
    if getattr(settings, "EMBEDDED", True):
        return errors
    backend = settings.CACHES["default"]["BACKEND"]
    if backend.endswith(("LocMemCache", "DummyCache")):
        errors.append(
            Warning(
                "The default cache is private to each process: throttles and cached figures are not shared.",
                hint="Set HONGFAN_CACHE_URL (or REDIS_URL, or a Redis CELERY_BROKER_URL): docs/deploy.md, 'Cache'.",
                id="hongfan.W001",
            )
        )
    if settings.STORAGES["default"]["BACKEND"].endswith("FileSystemStorage"):
        errors.append(
            Warning(
                "Uploaded files are kept on this machine's disk: every web and worker process must share it.",
                hint="Set AWS_STORAGE_BUCKET_NAME (and AWS_S3_ENDPOINT_URL, keys) for an object store, "
                "or mount one volume in every container: docs/deploy.md, 'Files'.",
                id="hongfan.W002",
            )
        )
    if settings.LOG_FORMAT != "json":
        errors.append(
            Warning(
                "Logs are plain text in production.",
                hint="Leave HONGFAN_LOG_FORMAT unset (json): docs/deploy.md, 'Logs'.",
                id="hongfan.W003",
            )
        )
    return errors
