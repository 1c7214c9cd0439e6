import pytest
from django.core.cache import cache


def pytest_configure(config):
    from django.conf import settings

    # Hashing a password with the production hasher costs most of a second on this machine; the
    # tests create dozens of users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _clean_state(settings):
    # Axes and any cached figures must not leak from one test into the next.
    cache.clear()
    settings.CELERY_TASK_ALWAYS_EAGER = True
    yield


@pytest.fixture
def world(db):
    """Two districts, each with one park and two branches, and one user per role in district A."""
    from .scenario import build_world

    return build_world()
