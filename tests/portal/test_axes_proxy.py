"""Behind the reverse proxy, lock-outs follow the client's address from X-Forwarded-For."""

import pytest
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PROXY = "172.18.0.5"


def attempt(client, password, forwarded_for):
    # What nginx sends with one proxy: the client's forged header, then the address it saw.
    client.logout()
    return client.post(
        reverse("login"),
        {"username": "usery", "password": password},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=forwarded_for,
    )


def test_a_guesser_behind_the_proxy_locks_only_their_own_address(client, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    UserFactory(username="usery")
    for n in range(settings.AXES_FAILURE_LIMIT):
        attempt(client, "wrong", f"10.9.9.{n}, 203.0.113.7")  # forging a new address each time
    locked = attempt(client, "Hongfan@2026", "203.0.113.7")
    assert not locked.wsgi_request.user.is_authenticated
    # The owner of the account, through the same proxy from another address, still gets in.
    owner = attempt(client, "Hongfan@2026", "198.51.100.20")
    assert owner.status_code == 302
    assert owner.wsgi_request.user.is_authenticated


def test_without_the_proxy_setting_a_forged_header_changes_nothing(client, settings):
    settings.TRUSTED_PROXY_COUNT = 0
    UserFactory(username="usery")
    for n in range(settings.AXES_FAILURE_LIMIT):
        attempt(client, "wrong", f"203.0.113.{n}")  # a new forged address each time
    locked = attempt(client, "Hongfan@2026", "203.0.113.99")
    assert not locked.wsgi_request.user.is_authenticated
