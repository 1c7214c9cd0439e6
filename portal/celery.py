"""The Celery application.

In the embedded mode (no CELERY_BROKER_URL) tasks run eagerly in-process, so the portal works
without Redis; in production the broker is Redis.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
