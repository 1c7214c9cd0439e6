import copy
import os
from pathlib import Path

import pytest
from django.core.cache import cache
from django.utils import translation
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

# CI runs on a loaded two-core machine where a generated example can take longer than Hypothesis
# allows (its too_slow health check and 200 ms deadline failed a fresh clone's `make test`): there,
# slowness is no failure. HYPOTHESIS_PROFILE chooses a profile; CI=true means "ci".
hypothesis_settings.register_profile("ci", deadline=None, suppress_health_check=[HealthCheck.too_slow])
_in_ci = os.environ.get("CI", "").strip().lower() in {"1", "true", "yes", "on"}
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if _in_ci else "default"))

TEST_ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


def pytest_configure(config):
    """With --reuse-db (`make test` outside CI), SQLite's test database is a file in test-artifacts/,
    kept and migrated forward between runs instead of created in memory each time; pytest-django
    adds a suffix per xdist worker. `--create-db` starts it afresh."""
    from django.conf import settings

    database = settings.DATABASES["default"]
    if (
        config.getoption("reuse_db")
        and database["ENGINE"] == "django.db.backends.sqlite3"
        and not database.get("TEST", {}).get("NAME")
    ):
        TEST_ARTIFACTS.mkdir(exist_ok=True)
        database.setdefault("TEST", {})["NAME"] = str(TEST_ARTIFACTS / "test-db.sqlite3")


def pytest_collection_modifyitems(config, items):
    """Tests marked `postgres` (row locks, exclusion constraints) run in the PostgreSQL pass only,
    and tests marked `celery_worker` only with CELERY_TEST_BROKER set (CI's Celery step).

    They are deselected, not skipped, elsewhere: CI runs every one of them in its own pass.
    """
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
    _share_the_world_per_module(items)


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


def _uses_db(item):
    return bool(item.get_closest_marker("django_db")) or bool(
        {"db", "transactional_db", "live_server"} & set(item.fixturenames)
    )


def _commits(item):
    marker = item.get_closest_marker("django_db")
    return bool(marker and (marker.kwargs.get("transaction") or marker.kwargs.get("reset_sequences"))) or bool(
        {"transactional_db", "live_server", "django_db_reset_sequences"} & set(item.fixturenames)
    )


def _share_the_world_per_module(items):
    """In a module where every test that touches the database uses `world` and none commits, the
    world is built once (`_module_world`, set up before the test's own transaction) instead of once
    per test. Elsewhere (a test without the world would see it; a committing test cannot run
    inside the module's transaction) each test builds its own, as before."""
    modules = {}
    for item in items:
        modules.setdefault(item.module, []).append(item)
    for module_items in modules.values():
        db_items = [item for item in module_items if _uses_db(item)]
        if not any("world" in item.fixturenames for item in db_items):
            continue
        if all("world" in item.fixturenames and not _commits(item) for item in db_items):
            for item in db_items:
                item.fixturenames.insert(0, "_module_world")


@pytest.fixture(scope="module")
def _module_world(django_db_setup, django_db_blocker):
    """The world of a module, in a transaction rolled back at the module's end. Each test runs in a
    savepoint inside it (pytest-django's per-test transaction), so whatever a test writes is gone
    before the next one, as with Django's TestCase.setUpTestData."""
    from django.db import transaction

    from .scenario import build_world

    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            built = build_world()
        except BaseException:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
            raise
    yield built
    with django_db_blocker.unblock():
        transaction.set_rollback(True)
        atomic.__exit__(None, None, None)


@pytest.fixture
def world(request, db):
    """Two districts, each with one park and two branches, and one user per role in district A.

    Built once per module where that is safe (see `_share_the_world_per_module`); each test still
    gets its own copy of the objects, so attributes a test changes on them do not leak either."""
    from .scenario import build_world

    if "_module_world" in request.fixturenames:
        return copy.deepcopy(request.getfixturevalue("_module_world"))
    return build_world()
