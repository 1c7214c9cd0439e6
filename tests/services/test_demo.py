import io
import random

import pytest

from demo import services as demo
from services.models import RequestStatus, ServiceRequest, ServiceTeam, Wish

pytestmark = pytest.mark.django_db


def test_seed_is_idempotent_and_covers_every_status(world):
    demo.seed(rng=random.Random(2029), stdout=io.StringIO())
    counts = (ServiceRequest.objects.count(), Wish.objects.count(), ServiceTeam.objects.count())
    assert set(ServiceRequest.objects.values_list("status", flat=True)) == set(RequestStatus.values)
    assert ServiceRequest.objects.overdue().exists()
    assert ServiceTeam.objects.filter(park=world.park_a1).count() == 4
    demo.seed(rng=random.Random(2029), stdout=io.StringIO())
    assert (ServiceRequest.objects.count(), Wish.objects.count(), ServiceTeam.objects.count()) == counts
    for req in ServiceRequest.objects.all():
        assert req.events.last().status_after == req.status
