import pytest

from members import actions
from members.models import Transfer


@pytest.fixture
def oncommit(django_capture_on_commit_callbacks):
    """Run on_commit callbacks (notifications) as the test's transactions 'commit'."""

    def run(fn, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return fn(*args, **kwargs)

    return run


@pytest.fixture
def requested(world):
    """member_a1 (branch A1) asks to move to branch B."""
    return actions.transfer_request(
        member=world.member_a1, by=world.member_user, to_organization=world.branch_b, reason="换工作"
    )


@pytest.fixture
def approved(world, requested):
    return actions.transfer_approve(transfer=requested, by=world.secretary, valid_months=1)


def reload(transfer) -> Transfer:
    return Transfer.objects.get(pk=transfer.pk)
