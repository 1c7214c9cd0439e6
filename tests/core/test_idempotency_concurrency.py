"""Two processes post the same API create with the same Idempotency-Key at the same moment: one
row, and both get the same answer (PostgreSQL: the second waits on the key's unique index)."""

import datetime

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from activities.models import Activity
from core.idempotency import HEADER, REPLAYED_HEADER
from tests.processes import failures, race

ROUNDS = 20

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: run with DATABASE_URL=postgres://…")


def test_a_double_posted_api_create_with_one_key_makes_one_row(world):
    client = APIClient()
    client.force_authenticate(world.secretary)
    starts_at = (timezone.now() - datetime.timedelta(hours=1)).isoformat()
    replays = 0
    for round_ in range(ROUNDS):
        body = {
            "host": world.branch_a1.pk,
            "kind": "themed_day",
            "title": f"主题党日 {round_}",
            "starts_at": starts_at,
        }

        def create(body=body, key=f"create-{round_}"):
            response = client.post(reverse("api:activity-list"), body, format="json", headers={HEADER: key})
            return response.status_code, response.json(), response.headers.get(REPLAYED_HEADER)

        outcomes = race(create, create)
        assert not failures(outcomes), outcomes
        assert Activity.objects.filter(title=body["title"]).count() == 1, f"round {round_}"
        (status_a, body_a, replayed_a), (status_b, body_b, replayed_b) = outcomes
        assert status_a == status_b == 201
        assert body_a == body_b
        assert sorted([replayed_a, replayed_b], key=str) == [None, "true"]  # one ran, one replayed
        replays += 1
    assert replays == ROUNDS
    assert Activity.objects.count() == ROUNDS
