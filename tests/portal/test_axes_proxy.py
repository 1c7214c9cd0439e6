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


# -- one client address for axes, the page throttle and the API throttle ------------------------

LETTER_API = "/api/v1/letters/verify/"
GUESS = {"number": "2026-000001", "code": "0123456789ABCDEF"}


def check_letter_by_api(client, forwarded_for, remote=PROXY):
    return client.post(
        LETTER_API, GUESS, content_type="application/json", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded_for
    ).status_code


def check_letter_by_page(client, forwarded_for, remote=PROXY):
    return client.post(
        reverse("members:letter_verify"), GUESS, REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded_for
    ).status_code


@pytest.fixture
def rate(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "letter_verify": "5/10m"},
    }
    return 5


def test_rotating_a_forged_header_does_not_escape_the_api_throttle_without_a_proxy(client, settings, rate):
    settings.TRUSTED_PROXY_COUNT = 0
    codes = [check_letter_by_api(client, f"203.0.113.{n}", remote="198.51.100.9") for n in range(rate + 2)]
    assert codes[:rate] == [200] * rate
    assert codes[rate:] == [429, 429]
    # The limit is the client's, not everybody's: another address still gets through.
    assert check_letter_by_api(client, "203.0.113.1", remote="198.51.100.10") == 200


def test_rotating_a_forged_header_does_not_escape_the_page_throttle_without_a_proxy(client, settings, rate):
    settings.TRUSTED_PROXY_COUNT = 0
    codes = [check_letter_by_page(client, f"203.0.113.{n}", remote="198.51.100.9") for n in range(rate + 1)]
    assert codes == [200] * rate + [429]


def test_behind_one_proxy_the_address_the_proxy_saw_is_counted(client, settings, rate):
    settings.TRUSTED_PROXY_COUNT = 1
    # The guesser forges whatever they like on the left; the proxy appends the address it saw.
    codes = [check_letter_by_api(client, f"10.9.9.{n}, 203.0.113.7") for n in range(rate + 1)]
    assert codes == [200] * rate + [429]
    assert check_letter_by_api(client, "203.0.113.7") == 429  # without a forged part: the same client
    assert check_letter_by_api(client, "203.0.113.7, 198.51.100.20") == 200  # another client


def test_the_page_and_the_api_share_one_counter(client, settings, rate):
    settings.TRUSTED_PROXY_COUNT = 1
    for _ in range(rate - 1):
        assert check_letter_by_page(client, "203.0.113.7") == 200
    assert check_letter_by_api(client, "203.0.113.7") == 200
    assert check_letter_by_page(client, "203.0.113.7") == 429
    assert check_letter_by_api(client, "203.0.113.7") == 429


def test_a_throttled_api_request_says_when_to_come_back(client, settings, rate):
    settings.TRUSTED_PROXY_COUNT = 0
    for _ in range(rate):
        check_letter_by_api(client, "")
    response = client.post(LETTER_API, GUESS, content_type="application/json", REMOTE_ADDR=PROXY)
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 600


# DRF's own get_ident agrees wherever the request came through the proxies as configured.
@pytest.mark.parametrize(
    ("proxies", "remote", "forwarded_for", "expected", "drf_agrees"),
    [
        (0, "198.51.100.9", "203.0.113.7", "198.51.100.9", True),
        (0, "198.51.100.9", "", "198.51.100.9", True),
        (1, PROXY, "203.0.113.7", "203.0.113.7", True),
        (1, PROXY, "10.0.0.1, 203.0.113.7", "203.0.113.7", True),
        (1, PROXY, "10.0.0.1,203.0.113.7 ", "203.0.113.7", True),
        (2, PROXY, "10.0.0.1, 203.0.113.7, 172.18.0.9", "203.0.113.7", True),
        (1, PROXY, "2001:db8::1", "2001:db8::1", True),
        (1, PROXY, "2001:DB8:0::1", "2001:db8::1", False),  # normalised: one counter per address
        # Fewer hops than proxies, or garbage where the proxy writes: not through the proxies.
        (2, PROXY, "203.0.113.7", PROXY, False),
        (1, PROXY, "", PROXY, False),
        (1, PROXY, "203.0.113.7, not-an-address", PROXY, False),
    ],
)
def test_client_ip(rf, settings, proxies, remote, forwarded_for, expected, drf_agrees):
    from axes.helpers import get_client_ip_address
    from rest_framework.throttling import BaseThrottle

    from core.security import client_ip

    settings.TRUSTED_PROXY_COUNT = proxies
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": proxies}
    request = rf.get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded_for)
    assert client_ip(request) == expected
    assert get_client_ip_address(request) == expected  # django-axes asks the same function
    assert (BaseThrottle().get_ident(request) == expected) is drf_agrees


def test_drf_reads_the_same_number_of_proxies():
    from django.conf import settings

    assert settings.REST_FRAMEWORK["NUM_PROXIES"] == settings.TRUSTED_PROXY_COUNT


def test_axes_and_the_page_throttle_count_the_same_client(client, settings, rate):
    from axes.models import AccessAttempt

    settings.TRUSTED_PROXY_COUNT = 1
    UserFactory(username="usery")
    attempt(client, "wrong", "10.1.1.1, 203.0.113.7")
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == ["203.0.113.7"]
    for n in range(rate):
        assert check_letter_by_page(client, f"10.1.1.{n}, 203.0.113.7") == 200
    assert check_letter_by_page(client, "203.0.113.7") == 429
    assert check_letter_by_page(client, "198.51.100.20") == 200


def test_the_settings_read_the_number_of_trusted_proxies():
    from tests.portal.test_settings import run

    code = "import django; django.setup(); from django.conf import settings as s; print(s.TRUSTED_PROXY_COUNT)"
    assert run(code).stdout.strip() == "0"  # the default: no proxy, X-Forwarded-For ignored
    assert run(code, HONGFAN_TRUSTED_PROXIES="2").stdout.strip() == "2"
    # The older pair of variables, when the new one is unset.
    assert run(code, DJANGO_BEHIND_PROXY="true").stdout.strip() == "1"
    assert run(code, DJANGO_BEHIND_PROXY="true", AXES_PROXY_COUNT="2").stdout.strip() == "2"
    assert run(code, DJANGO_BEHIND_PROXY="true", HONGFAN_TRUSTED_PROXIES="0").stdout.strip() == "0"
    assert "ImproperlyConfigured" in run(code, HONGFAN_TRUSTED_PROXIES="-1").stderr


def test_with_redis_the_throttle_counters_are_shared_by_every_process():
    from tests.portal.test_settings import run

    code = "import django; django.setup(); from django.conf import settings as s; print(s.CACHES['default']['BACKEND'])"
    assert run(code, CELERY_BROKER_URL="").stdout.strip().endswith("LocMemCache")  # embedded: one process
    redis = run(code, CELERY_BROKER_URL="redis://127.0.0.1:6379/0").stdout.strip()
    assert redis == "django.core.cache.backends.redis.RedisCache"
    assert run(code, HONGFAN_CACHE_URL="redis://127.0.0.1:6379/3").stdout.strip() == redis
