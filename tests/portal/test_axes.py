"""Login throttling: a lock-out applies to the (username, address) pair only."""

import pytest
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "Hongfan@2026"
IP_1, IP_2 = "10.0.0.1", "10.0.0.2"


def attempt(client, username, password, ip):
    client.logout()
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip)


def logged_in(response):
    return response.status_code == 302 and response.wsgi_request.user.is_authenticated


def test_five_failures_lock_the_pair_only(client, settings):
    assert settings.AXES_FAILURE_LIMIT == 5
    x = UserFactory(username="userx")
    UserFactory(username="usery")

    for _ in range(4):
        response = attempt(client, "userx", "wrong", IP_1)
        assert response.status_code == 200  # the form again, with its error
    response = attempt(client, "userx", "wrong", IP_1)  # the fifth failure locks
    assert response.status_code == 429

    # Locked: even the right password from IP 1 is refused, with the lock-out page.
    response = attempt(client, "userx", PASSWORD, IP_1)
    assert response.status_code == 429
    assert not response.wsgi_request.user.is_authenticated
    assert 'id="locked-out"' in response.content.decode()

    # The same user from another address is not locked.
    response = attempt(client, "userx", PASSWORD, IP_2)
    assert logged_in(response)
    assert response.wsgi_request.user == x

    # Another user from the first address is not locked either.
    response = attempt(client, "usery", PASSWORD, IP_1)
    assert logged_in(response)
    assert response.wsgi_request.user.username == "usery"


def test_four_failures_do_not_lock(client):
    UserFactory(username="userx")
    for _ in range(4):
        attempt(client, "userx", "wrong", IP_1)
    assert logged_in(attempt(client, "userx", PASSWORD, IP_1))


def test_admin_login_is_throttled_too(client):
    UserFactory(username="boss", is_staff=True, is_superuser=True)
    for _ in range(5):
        client.post(reverse("admin:login"), {"username": "boss", "password": "wrong"}, REMOTE_ADDR=IP_1)
    response = client.post(reverse("admin:login"), {"username": "boss", "password": PASSWORD}, REMOTE_ADDR=IP_1)
    assert response.status_code == 429
