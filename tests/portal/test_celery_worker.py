"""A real Celery worker, fed through Redis, sends the e-mail of a notification.

Runs in CI's Celery step (`make test-celery`, with CELERY_TEST_BROKER pointing at Redis); on
other runs these tests are deselected, not skipped (tests/conftest.py).
"""

import pytest
from django.core import mail
from django.db import transaction

from notifications.actions import notify
from notifications.models import Notification
from portal.celery import app
from tests.factories import UserFactory

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worker(settings):
    from tests.celery_worker import running_worker

    with running_worker(settings):
        yield


def test_a_notification_is_mailed_by_the_worker_after_commit(worker):
    import time

    assert app.conf.task_always_eager is False
    assert app.conf.broker_url.startswith("redis://")
    user = UserFactory(username="reader", email="reader@example.com")
    with transaction.atomic():
        notify(recipients=[user], title="介绍信已开具", body="请查看", url="/members/transfers/1/")
        assert not Notification.objects.exists()  # nothing before the commit
    assert Notification.objects.filter(recipient=user).count() == 1
    deadline = time.monotonic() + 20
    while not mail.outbox and time.monotonic() < deadline:
        time.sleep(0.2)
    assert [m.to for m in mail.outbox] == [["reader@example.com"]]
    assert "介绍信已开具" in mail.outbox[0].subject


def test_a_rolled_back_action_sends_nothing(worker):
    import time

    user = UserFactory(username="reader2", email="reader2@example.com")

    def failing_action():
        with transaction.atomic():
            notify(recipients=[user], title="不应发送")
            raise RuntimeError("the action failed")

    with pytest.raises(RuntimeError, match="the action failed"):
        failing_action()
    time.sleep(1)
    assert not Notification.objects.exists()
    assert mail.outbox == []
