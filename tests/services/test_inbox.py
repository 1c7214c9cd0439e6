"""The service staff's inbox: service staff see and triage the new requests of their park (accept,
assign, reject with a reason) with the same actions as the park's administrators; their home card
counts what their inbox lists."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from accounts.models import Role
from services import actions, selectors
from services.models import RequestStatus, ServiceRequest, ServiceRequestEvent
from tests.factories import UserFactory, assign

from .factories import ServiceRequestFactory

pytestmark = pytest.mark.django_db

LONG_AGO = datetime.date(2020, 1, 1)


def login(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def inbox(svc):
    """Park A1's service staff (``w.service``, in the finance team) and park B's, with requests
    in every state of both parks."""
    w = svc
    w.service_b = assign(UserFactory(username="service_b"), Role.SERVICE_STAFF, w.park_b)
    w.new_a = ServiceRequestFactory(enterprise=w.enterprise_a1, requester=w.contact, title="新诉求A")
    w.new_a_late = ServiceRequestFactory(enterprise=w.enterprise_a1, due_on=LONG_AGO, title="逾期新诉求A")
    w.accepted_a = ServiceRequestFactory(enterprise=w.enterprise_a1, status="accepted", title="已受理A")
    w.legal_a = ServiceRequestFactory(enterprise=w.enterprise_a1, status="assigned", team=w.legal, title="法律A")
    w.mine = ServiceRequestFactory(enterprise=w.enterprise_a1, status="in_progress", team=w.finance, title="金融A")
    w.mine_late = ServiceRequestFactory(
        enterprise=w.enterprise_a1, status="assigned", team=w.finance, due_on=LONG_AGO, title="逾期金融A"
    )
    w.mine_done = ServiceRequestFactory(enterprise=w.enterprise_a1, status="resolved", team=w.finance, title="已解决")
    w.new_b = ServiceRequestFactory(enterprise=w.enterprise_b, requester=w.contact_b, title="新诉求B")
    return w


def titles(rows):
    return {row.title for row in rows}


def test_service_staff_see_the_new_requests_of_their_park_only(client, inbox):
    w = inbox
    visible = set(ServiceRequest.objects.visible_to(w.service).values_list("pk", flat=True))
    assert w.new_a.pk in visible
    assert w.accepted_a.pk in visible
    assert w.legal_a.pk in visible
    assert w.new_b.pk not in visible
    assert set(ServiceRequest.objects.visible_to(w.service_b).values_list("pk", flat=True)) == {w.new_b.pk}
    login(client, w.service)
    page = client.get(reverse("services:request_detail", args=[w.new_a.pk]))
    assert page.status_code == 200
    assert "新诉求A" in page.content.decode()
    assert client.get(reverse("services:request_detail", args=[w.new_b.pk])).status_code == 404
    # The timeline follows.
    assert ServiceRequestEvent.objects.visible_to(w.service).filter(request=w.new_b).count() == 0


def test_inbox_tabs(client, inbox):
    w = inbox
    assert titles(selectors.inbox(w.service, "new")) == {"新诉求A", "逾期新诉求A", "已受理A"}
    assert titles(selectors.inbox(w.service, "team")) == {"金融A", "逾期金融A"}
    assert titles(selectors.inbox(w.service, "overdue")) == {"逾期新诉求A", "逾期金融A"}
    assert titles(selectors.inbox(w.service_b, "new")) == {"新诉求B"}
    assert titles(selectors.inbox(w.service_b, "team")) == set()
    # A team member without the role has their team's tab only.
    assert titles(selectors.inbox(w.team_b_worker, "new")) == set()
    login(client, w.service)
    page = client.get(reverse("services:inbox"), {"tab": "overdue"})
    assert page.status_code == 200
    assert [row.title for row in page.context["rows"]] == ["逾期新诉求A", "逾期金融A"]  # by due date
    assert client.get(reverse("services:inbox"), {"tab": "bogus"}).context["tab"] == "new"
    assert login(client, w.contact).get(reverse("services:inbox")).status_code == 403
    assert login(client, w.member_user).get(reverse("services:inbox")).status_code == 403


def test_menu_takes_service_staff_to_their_inbox(client, inbox):
    w = inbox
    login(client, w.service)
    html = client.get(reverse("home")).content.decode()
    assert f'href="{reverse("services:inbox")}"' in html
    login(client, w.park_admin)
    html = client.get(reverse("home")).content.decode()
    assert f'href="{reverse("services:my_requests")}"' in html


def test_home_card_counts_equal_the_lists_they_link_to(client, inbox):
    w = inbox
    for user in (w.service, w.service_b):
        login(client, user)
        response = client.get(reverse("home"))
        card = next(c["card"] for c in response.context["cards"] if c["template"].startswith("services/"))
        html = response.content.decode()
        for tab in selectors.INBOX_TABS:
            assert f"{reverse('services:inbox')}?tab={tab}" in html
            listed = client.get(reverse("services:inbox"), {"tab": tab}).context["rows"]
            assert card["inbox"][tab] == len(listed), (user, tab)
    login(client, w.service)
    card = next(c["card"] for c in client.get(reverse("home")).context["cards"] if c["template"].startswith("serv"))
    assert card["inbox"] == {"new": 3, "team": 2, "overdue": 2}


def test_service_staff_triage_with_the_administrators_actions(client, inbox):
    w = inbox
    login(client, w.service)
    step = lambda req, name: reverse("services:request_step", args=[req.pk, name])  # noqa: E731
    assert client.post(step(w.new_a, "accept")).status_code == 302
    w.new_a.refresh_from_db()
    assert w.new_a.status == RequestStatus.ACCEPTED
    assert client.post(step(w.new_a, "assign"), {"team": w.legal.pk, "note": "请法律服务队跟进"}).status_code == 302
    w.new_a.refresh_from_db()
    assert (w.new_a.status, w.new_a.team) == (RequestStatus.ASSIGNED, w.legal)
    # Reject: a reason is required (a form error, nothing changes), then it is recorded.
    response = client.post(step(w.accepted_a, "reject"), {"reason": "  "})
    assert response.status_code == 400
    assert response.context["forms"]["reject"].errors["reason"]
    w.accepted_a.refresh_from_db()
    assert w.accepted_a.status == RequestStatus.ACCEPTED
    assert client.post(step(w.accepted_a, "reject"), {"reason": "不属于服务范围"}).status_code == 302
    w.accepted_a.refresh_from_db()
    assert (w.accepted_a.status, w.accepted_a.reject_reason) == (RequestStatus.REJECTED, "不属于服务范围")
    # Not in another park.
    assert client.post(step(w.new_b, "accept")).status_code == 404
    with pytest.raises(PermissionDenied):
        actions.request_accept(request=w.new_b, by=w.service)


def test_contacts_and_members_cannot_triage(client, inbox):
    w = inbox
    for user in (w.contact, w.team_b_worker):
        with pytest.raises(PermissionDenied):
            actions.request_accept(request=w.new_a, by=user)
    with pytest.raises(PermissionDenied):
        actions.request_reject(request=w.new_a, by=w.contact, reason="x")
    login(client, w.contact)
    assert client.post(reverse("services:request_step", args=[w.new_a.pk, "accept"])).status_code == 403
    page = client.get(reverse("services:request_detail", args=[w.new_a.pk]))
    assert page.context["can"]["accept"] is False
    assert page.context["can"]["assign"] is False
    w.new_a.refresh_from_db()
    assert w.new_a.status == RequestStatus.SUBMITTED


def test_a_double_submit_triages_once(client, inbox):
    w = inbox
    login(client, w.service)
    url = reverse("services:request_step", args=[w.new_a.pk, "assign"])
    data = {"team": w.finance.pk, "note": "", "idempotency_token": "tok-assign-123456"}
    first = client.post(url, data)
    second = client.post(url, data)
    assert first.status_code == second.status_code == 302
    assert second["Location"] == first["Location"]
    kinds = list(w.new_a.events.values_list("kind", flat=True))
    assert kinds.count("assigned") == 1
    assert kinds.count("accepted") == 1
    url = reverse("services:request_step", args=[w.accepted_a.pk, "reject"])
    data = {"reason": "重复提交", "idempotency_token": "tok-reject-123456"}
    assert client.post(url, data).status_code == 302
    assert client.post(url, data).status_code == 302
    assert w.accepted_a.events.filter(kind="rejected").count() == 1
