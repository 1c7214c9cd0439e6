import pytest
from django.urls import reverse

from .factories import ServiceRequestFactory

pytestmark = pytest.mark.django_db


def test_park_admin_reads_own_park_requests_only_and_cannot_edit(client, svc):
    w = svc
    mine = ServiceRequestFactory(enterprise=w.enterprise_a1, title="本园诉求")
    theirs = ServiceRequestFactory(enterprise=w.enterprise_b, title="外园诉求")
    client.force_login(w.park_admin)
    page = client.get(reverse("admin:services_servicerequest_changelist")).content.decode()
    assert "本园诉求" in page
    assert "外园诉求" not in page
    change = reverse("admin:services_servicerequest_change", args=[mine.pk])
    response = client.get(change)
    assert response.status_code == 200
    assert b'name="status"' not in response.content
    assert client.post(change, {"status": "closed"}).status_code == 403
    assert client.get(reverse("admin:services_servicerequest_change", args=[theirs.pk])).status_code in (302, 404)
    assert client.get(reverse("admin:services_servicerequest_add")).status_code == 403


def test_park_admin_manages_own_teams(client, svc):
    w = svc
    client.force_login(w.park_admin)
    page = client.get(reverse("admin:services_serviceteam_changelist")).content.decode()
    assert w.finance.name in page
    assert w.team_b.name not in page
    response = client.post(
        reverse("admin:services_serviceteam_add"),
        {"park": w.park_b.pk, "name": "越权团队", "kind": "legal", "is_active": "on"},
    )
    assert response.status_code == 200  # the form refuses another park
    assert not w.park_b.service_teams.filter(name="越权团队").exists()


def _changelist_queries(client, count):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import EnterpriseFactory

    from .factories import ServiceTeamFactory

    for _ in range(count):
        enterprise = EnterpriseFactory()
        team = ServiceTeamFactory(park=enterprise.park)
        ServiceRequestFactory(enterprise=enterprise, team=team)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("admin:services_servicerequest_changelist"))
    assert response.status_code == 200
    return len(queries)


def test_request_changelist_reads_each_team_park_in_the_same_query(client, svc):
    """The team column shows "park · team": the park comes with the rows, not one query per row."""
    from tests.factories import UserFactory

    client.force_login(UserFactory(username="root", is_superuser=True, is_staff=True))
    few = _changelist_queries(client, 2)
    many = _changelist_queries(client, 8)
    assert many == few
