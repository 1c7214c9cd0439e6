import datetime

import pytest
from django.utils import timezone

from activities import actions
from tests.factories import MemberFactory

from .factories import earlier_today


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def a1_members(world):
    """Branch A1 with five attending members: the world's three plus two more."""
    extra = [MemberFactory(name=f"甲{i}", organization=world.branch_a1) for i in range(2)]
    return [world.member_a1, world.member_a1_other, world.member_group, *extra]


def local(year, month, day, hour=10, minute=0):
    return datetime.datetime(year, month, day, hour, minute, tzinfo=timezone.get_current_timezone())


@pytest.fixture
def log(world):
    def make(**kwargs):
        values = {
            "by": world.secretary,
            "host": world.branch_a1,
            # A kind whose checklist is the whole branch (a 支委会 lists only the committee).
            "kind": "training",
            "title": "业务培训",
            "starts_at": earlier_today(hours=1),
        }
        values.update(kwargs)
        return actions.activity_log(**values)

    return make
