import re

from accounts.models import ApiToken, Role, RoleAssignment
from notifications.models import Notification
from tests.factories import MemberFactory, UserFactory, assign

from .base import APIViewTestCases


class TestRoleAssignments(
    APIViewTestCases.GetObject,
    APIViewTestCases.ListObjects,
    APIViewTestCases.CreateObject,
    APIViewTestCases.DeleteObject,
    APIViewTestCases.QueryCount,
):
    basename = "roleassignment"
    model = RoleAssignment

    def writer(self, w):
        return w.park_admin

    def reader(self, w):
        return w.official

    def visible(self, w):
        return RoleAssignment.objects.get(user=w.secretary)

    def hidden(self, w):
        return RoleAssignment.objects.get(user=w.secretary_b)

    def create_data(self, w):
        return {"user": w.member_user.pk, "role": "branch_secretary", "organization": w.branch_a1.pk}

    def make_rows(self, w, n):
        for _ in range(n):
            assign(UserFactory(), Role.SERVICE_STAFF, w.park_a1)

    def test_park_admin_may_not_grant_park_admin_or_other_park(self, world, api):
        client = api(world.park_admin)
        response = client.post(
            self.list_url(),
            {"user": world.member_user.pk, "role": "park_admin", "park": world.park_a1.pk},
            format="json",
        )
        assert response.status_code == 400
        response = client.post(
            self.list_url(),
            {"user": world.member_user.pk, "role": "branch_secretary", "organization": world.branch_a2.pk},
            format="json",
        )
        assert response.status_code == 400
        own = RoleAssignment.objects.get(user=world.park_admin)
        assert client.delete(self.detail_url(own)).status_code == 403

    def test_role_needs_its_scope_object(self, world, api):
        response = api(world.superuser).post(
            self.list_url(),
            {"user": world.outsider.pk, "role": "district_official", "park": world.park_a1.pk},
            format="json",
        )
        assert response.status_code == 400
        assert set(response.json()) >= {"district", "park"}

    def test_no_edits(self, world, api):
        response = api(world.superuser).patch(self.detail_url(self.visible(world)), {"role": "service_staff"})
        assert response.status_code == 405

    def test_everyone_sees_own(self, world, api):
        response = api(world.secretary_b).get(self.list_url())
        assert self.ids(response) == {self.hidden(world).pk}


class TestNotifications(APIViewTestCases.ReadOnly):
    basename = "notification"
    model = Notification

    def writer(self, w):
        return w.secretary

    def visible(self, w):
        return Notification.objects.filter(recipient=w.secretary).first() or Notification.objects.create(
            recipient=w.secretary, title="待办", url="/members/"
        )

    def hidden(self, w):
        return Notification.objects.create(recipient=w.secretary_b, title="别人的")

    def make_rows(self, w, n):
        for i in range(n):
            Notification.objects.create(recipient=w.secretary, title=f"n{i}")

    def test_mark_read_and_all(self, world, api):
        client = api(world.secretary)
        notification = self.visible(world)
        other = Notification.objects.create(recipient=world.secretary, title="second")
        response = client.post(self.detail_url(notification) + "mark-read/")
        assert response.status_code == 200
        assert response.json()["read"] is True
        assert client.get(self.list_url(read_at__isnull="true")).json()["count"] == 1
        response = client.post(self.list_url() + "mark-all-read/")
        assert response.json() == {"marked": 1}
        other.refresh_from_db()
        assert other.read_at is not None
        assert client.post(self.detail_url(self.hidden(world)) + "mark-read/").status_code == 404


def test_users_me(world, api):
    body = api(world.secretary).get("/api/v1/users/me/").json()
    assert body["username"] == "secretary"
    assert body["roles"] == [
        {
            "role": "branch_secretary",
            "scope_kind": "organization",
            "scope_id": world.branch_a1.pk,
            "scope_name": "支部A1",
        }
    ]
    assert body["member"] is None
    assert api(world.member_user).get("/api/v1/users/me/").json()["member"] == world.member_a1.pk
    assert api(None).get("/api/v1/users/me/").status_code in (401, 403)


def test_session_authentication_works(world, client):
    client.force_login(world.official)
    response = client.get("/api/v1/parks/")
    assert response.status_code == 200
    assert {row["name"] for row in response.json()["results"]} == {"园区A1", "园区A2"}


def test_docs_served_locally(world, client):
    client.force_login(world.official)
    for url in ("/api/v1/docs/", "/api/v1/redoc/"):
        response = client.get(url)
        assert response.status_code == 200
        html = response.content.decode()
        assert "cdn" not in html.lower()
        assert "unpkg" not in html
        assert "jsdelivr" not in html
    assert client.get("/api/v1/schema/").status_code == 200


# --- the token page ---------------------------------------------------------------------------


def test_token_page_creates_shows_once_and_revokes(world, client):
    user = world.secretary
    client.force_login(user)
    page = client.get("/accounts/tokens/")
    assert page.status_code == 200
    assert "You have no API token." in page.content.decode()
    response = client.post("/accounts/tokens/", {"action": "create"})
    html = response.content.decode()
    key = re.search(r'value="([0-9a-f]{40})"', html)[1]
    token = ApiToken.objects.get(user=user)
    # Only the digest and the first characters are stored: the key itself is nowhere in the table.
    assert key not in (token.digest, token.prefix)
    assert token.prefix == key[:6]
    assert "no-store" in response.headers.get("Cache-Control", "") or "max-age=0" in response.headers["Cache-Control"]
    # The key works on the API, and is not shown again.
    from rest_framework.test import APIClient

    api_client = APIClient()
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api_client.get("/api/v1/users/me/").json()["username"] == "secretary"
    again = client.get("/accounts/tokens/").content.decode()
    assert key not in again
    assert f"{key[:6]}…" in again
    # Replacing it invalidates the old key.
    response = client.post("/accounts/tokens/", {"action": "create"})
    new_key = re.search(r'value="([0-9a-f]{40})"', response.content.decode())[1]
    assert new_key != key
    assert ApiToken.objects.get(user=user).prefix == new_key[:6]
    assert api_client.get("/api/v1/users/me/").status_code == 401
    response = client.post("/accounts/tokens/", {"action": "revoke"}, follow=True)
    assert not ApiToken.objects.filter(user=user).exists()
    assert "revoked" in response.content.decode()


def test_token_page_in_menu_for_everyone(world, client):
    for user in (world.member_user, world.official, world.superuser):
        client.force_login(user)
        html = client.get("/").content.decode()
        assert re.search(r'href="/accounts/tokens/"', html), user


def test_token_page_needs_login(client):
    response = client.get("/accounts/tokens/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_token_is_per_user(world, client):
    MemberFactory(organization=world.branch_a1, user=UserFactory(username="someone"))
    client.force_login(world.official)
    client.post("/accounts/tokens/", {"action": "create"})
    assert ApiToken.objects.filter(user=world.official).count() == 1
    assert not ApiToken.objects.exclude(user=world.official).exists()
