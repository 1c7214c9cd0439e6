import pytest

from accounts.models import Role
from tests.factories import UserFactory, assign

from .factories import EnterpriseContactFactory, ServiceTeamFactory


@pytest.fixture
def svc(world):
    """The shared world plus the service centre's people: contacts, teams, a park-B admin."""
    w = world
    w.contact = UserFactory(username="contact")
    EnterpriseContactFactory(user=w.contact, enterprise=w.enterprise_a1)
    w.contact_b = UserFactory(username="contact_b")
    EnterpriseContactFactory(user=w.contact_b, enterprise=w.enterprise_b)
    w.finance = ServiceTeamFactory(park=w.park_a1, name="金融服务队", kind="finance", members=[w.service])
    w.legal = ServiceTeamFactory(park=w.park_a1, name="法律服务队", kind="legal")
    w.team_b = ServiceTeamFactory(park=w.park_b, name="B金融服务队", kind="finance")
    w.park_admin_b = assign(UserFactory(username="parkadmin_b"), Role.PARK_ADMIN, w.park_b)
    w.team_b_worker = UserFactory(username="worker_b")
    w.team_b.members.add(w.team_b_worker)
    return w
