"""Every create happens once: the hidden form token and the API's Idempotency-Key (core.idempotency).

The concurrent cases (two requests with one key at the same moment) are in
tests/core/test_idempotency_concurrency.py (PostgreSQL); these are the sequential ones, on any database.
"""

import datetime
import re

import pytest
import yaml
from django.contrib.messages import get_messages
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from activities.models import Activity, PointEntry
from core.idempotency import FORM_FIELD, HEADER, REPLAYED_HEADER
from core.models import IdempotencyKey
from services.models import ServiceRequest
from tests.activities.factories import earlier_today

pytestmark = pytest.mark.django_db

TOKEN = re.compile(rb'name="idempotency_token" value="([0-9a-f]{32})"')


@pytest.fixture
def secretary_client(client, world):
    client.force_login(world.secretary)
    return client


def activity_form(world, token, **extra):
    data = {
        "org": world.branch_a1.pk,
        "kind": "themed_day",
        "title": "主题党日",
        "starts_at": timezone.localtime(earlier_today(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "non_member_count": "0",
        FORM_FIELD: token,
    }
    data.update(extra)
    return data


def rendered_token(response) -> str:
    match = TOKEN.search(response.content)
    assert match, "the form carries no idempotency token"
    return match.group(1).decode()


# --- pages ----------------------------------------------------------------------------------------


def test_each_rendered_create_form_carries_its_own_token(secretary_client, world):
    url = reverse("activities:create")
    first, second = (rendered_token(secretary_client.get(url, {"org": world.branch_a1.pk})) for _ in range(2))
    assert first != second


def test_the_same_form_sent_twice_logs_one_activity_and_shows_it(secretary_client, world):
    url = reverse("activities:create")
    token = rendered_token(secretary_client.get(url, {"org": world.branch_a1.pk}))
    first = secretary_client.post(url, activity_form(world, token))
    again = secretary_client.post(url, activity_form(world, token))
    activity = Activity.objects.get()
    assert first.status_code == again.status_code == 302
    assert first["Location"] == again["Location"] == activity.get_absolute_url()
    assert "already been sent" in " ".join(str(m) for m in get_messages(again.wsgi_request))
    assert PointEntry.objects.filter(activity=activity).count() == activity.attendances.count() > 0


def test_a_new_form_logs_a_new_activity(secretary_client, world):
    url = reverse("activities:create")
    for _ in range(2):
        token = rendered_token(secretary_client.get(url, {"org": world.branch_a1.pk}))
        assert secretary_client.post(url, activity_form(world, token)).status_code == 302
    assert Activity.objects.count() == 2


def test_a_refused_form_keeps_its_token_and_the_corrected_one_logs_once(secretary_client, world):
    url = reverse("activities:create")
    token = rendered_token(secretary_client.get(url, {"org": world.branch_a1.pk}))
    refused = secretary_client.post(url, activity_form(world, token, title=""))
    assert refused.status_code == 400
    assert rendered_token(refused) == token  # the form shown again is the same form
    assert not IdempotencyKey.objects.exists()
    assert secretary_client.post(url, activity_form(world, token)).status_code == 302
    assert secretary_client.post(url, activity_form(world, token)).status_code == 302
    assert Activity.objects.count() == 1


def test_another_user_with_the_same_token_is_not_answered_with_the_first_result(client, world):
    url = reverse("activities:create")
    token = "a" * 32
    client.force_login(world.secretary)
    assert client.post(url, activity_form(world, token)).status_code == 302
    client.force_login(world.park_admin)
    response = client.post(url, activity_form(world, token, title="主题党日（园区）"))
    assert response.status_code == 302
    assert Activity.objects.count() == 2


def test_a_service_request_form_sent_twice_makes_one_request(client, world):
    client.force_login(world.member_user)
    url = reverse("services:request_new")
    token = rendered_token(client.get(url))
    form = client.get(url).context["form"]
    category = form.fields["category"].queryset.first()
    data = {
        "category": category.pk,
        "title": "求助",
        "description": "需要政策咨询",
        "urgency": "normal",
        FORM_FIELD: token,
    }
    responses = [client.post(url, data) for _ in range(2)]
    assert [r.status_code for r in responses] == [302, 302], responses[0].content.decode()[:3000]
    assert responses[0]["Location"] == responses[1]["Location"]
    assert ServiceRequest.objects.count() == 1


@pytest.mark.parametrize(
    ("url_name", "kwargs", "user"),
    [
        ("members:transfer_new", {}, "member_user"),
        ("services:wish_list", {}, "park_admin"),
        ("services:room_week", {"pk": "room"}, "member_user"),
        ("imports", {}, "park_admin"),
        ("reports:list", {}, "park_admin"),
    ],
)
def test_every_create_form_carries_a_token(client, world, url_name, kwargs, user):
    client.force_login(getattr(world, user))
    if kwargs.get("pk") == "room":
        kwargs = {"pk": world.room_a1.pk}
    response = client.get(reverse(url_name, kwargs=kwargs))
    assert response.status_code == 200
    rendered_token(response)


# --- API ------------------------------------------------------------------------------------------


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def activity_body(world, **extra):
    body = {
        "host": world.branch_a1.pk,
        "kind": "themed_day",
        "title": "主题党日（接口）",
        "starts_at": (timezone.now() - datetime.timedelta(hours=1)).isoformat(),
    }
    body.update(extra)
    return body


def post(client, body, key):
    headers = {HEADER: key} if key is not None else {}
    return client.post(reverse("api:activity-list"), body, format="json", headers=headers)


def test_a_repeated_key_gets_the_first_answer_and_creates_once(world):
    client = api(world.secretary)
    body = activity_body(world)
    first, again = post(client, body, "key-1"), post(client, body, "key-1")
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert REPLAYED_HEADER not in first.headers
    assert again.headers[REPLAYED_HEADER] == "true"
    assert Activity.objects.count() == 1


def test_without_a_key_each_post_creates(world):
    client = api(world.secretary)
    post(client, activity_body(world), None)
    post(client, activity_body(world), None)
    assert Activity.objects.count() == 2


def test_the_same_key_with_another_body_is_refused_with_422(world):
    client = api(world.secretary)
    assert post(client, activity_body(world), "key-1").status_code == 201
    response = post(client, activity_body(world, title="另一个"), "key-1")
    assert response.status_code == 422
    assert "already used for another request" in response.json()["detail"]
    assert Activity.objects.count() == 1


def test_a_refused_request_does_not_keep_its_key(world):
    client = api(world.secretary)
    assert post(client, activity_body(world, title=""), "key-1").status_code == 400
    assert post(client, activity_body(world), "key-1").status_code == 201
    assert Activity.objects.count() == 1


def test_keys_are_per_user(world):
    assert post(api(world.secretary), activity_body(world), "shared").status_code == 201
    assert post(api(world.park_admin), activity_body(world), "shared").status_code == 201
    assert Activity.objects.count() == 2


@pytest.mark.parametrize("key", ["", "has space", "x" * 256, "中文"])
def test_a_malformed_key_is_a_400(world, key):
    response = post(api(world.secretary), activity_body(world), key)
    assert response.status_code == 400
    assert HEADER in response.json()
    assert not Activity.objects.exists()


def test_keys_expire_after_24_hours(world):
    client = api(world.secretary)
    body = activity_body(world)
    assert post(client, body, "old").status_code == 201
    IdempotencyKey.objects.update(created_at=timezone.now() - datetime.timedelta(hours=24, minutes=1))
    again = post(client, body, "old")
    assert again.status_code == 201
    assert REPLAYED_HEADER not in again.headers
    assert Activity.objects.count() == 2
    assert IdempotencyKey.objects.count() == 1


def test_a_users_expired_keys_are_deleted_when_they_next_send_one(world):
    client = api(world.secretary)
    post(client, activity_body(world), "a")
    IdempotencyKey.objects.update(created_at=timezone.now() - datetime.timedelta(days=2))
    post(client, activity_body(world, title="第二个"), "b")
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["b"]


def test_a_workflow_step_with_a_key_is_answered_once(world):
    from services.models import Wish
    from tests.services.factories import WishFactory

    wish = WishFactory(park=world.park_a1)
    client = api(world.member_user)
    url = reverse("api:wish-claim", args=[wish.pk])
    first = client.post(url, {}, format="json", headers={HEADER: "claim-1"})
    again = client.post(url, {}, format="json", headers={HEADER: "claim-1"})
    assert first.status_code == again.status_code == 200, first.content
    assert first.json() == again.json()
    assert Wish.objects.get(pk=wish.pk).claimed_by_id == world.member_a1.pk  # the member record of member_user


# --- the schema -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def schema(tmp_path_factory):
    path = tmp_path_factory.mktemp("schema") / "schema.yaml"
    call_command("spectacular", "--file", str(path))
    return yaml.safe_load(path.read_text())


def test_the_schema_documents_the_header_on_every_post_and_only_there(schema):
    posts = 0
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            headers = {p["name"] for p in operation.get("parameters", []) if p["in"] == "header"}
            if method == "post" and path != "/api/v1/letters/verify/":
                posts += 1
                assert HEADER in headers, path
                assert "422" in operation["responses"], path
            elif method != "post":
                assert HEADER not in headers, (method, path)
    assert posts > 10
