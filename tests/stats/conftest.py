import pytest

from .statistics_world import build


@pytest.fixture
def w(db):
    """The statistics tests' small world (tests/stats/statistics_world.py)."""
    return build()
