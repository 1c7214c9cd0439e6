import pytest
from django.core.cache import cache
from django.utils import translation


def pytest_collection_modifyitems(config, items):
    """Tests marked `postgres` (row locks, exclusion constraints) run in the PostgreSQL pass only,
    and tests marked `celery_worker` only with CELERY_TEST_BROKER set (CI's Celery step).

    They are deselected, not skipped, elsewhere: CI runs every one of them in its own pass.
    """
    import os

    from django.db import connection

    def excluded(item):
        if item.get_closest_marker("postgres") and connection.vendor != "postgresql":
            return True
        # Tests against a real worker need a broker: CI's Celery step gives one (make test-celery).
        return bool(item.get_closest_marker("celery_worker")) and not os.environ.get("CELERY_TEST_BROKER")

    dropped = [item for item in items if excluded(item)]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = [item for item in items if not excluded(item)]


@pytest.fixture(autouse=True)
def _clean_state(settings, request):
    # Axes and any cached figures must not leak from one test into the next.
    cache.clear()
    settings.CELERY_TASK_ALWAYS_EAGER = True
    # Behaviour is asserted on the English source strings; the tests marked `zh_default` check
    # the portal's real default, Simplified Chinese, and the catalog is tested on its own.
    if "zh_default" not in request.keywords:
        settings.LANGUAGE_CODE = "en"
        translation.activate("en")
    yield
    translation.deactivate()


@pytest.fixture
def world(db):
    """Two districts, each with one park and two branches, and one user per role in district A."""
    from .scenario import build_world

    return build_world()
