import pytest
from rest_framework.test import APIClient

from accounts.actions import token_create
from accounts.models import ApiToken
from accounts.tokens import token_digest


def token_client(user=None) -> APIClient:
    """An API client that authenticates with ``user``'s token (as scripts do), or anonymous."""
    client = APIClient()
    if user is not None:
        # A key is shown once (only its digest is stored): one new key per client, cached on the
        # user object so that several clients of the same user in one test share it.
        key = getattr(user, "_test_api_key", None)
        if key is None or not ApiToken.objects.filter(user=user, digest=token_digest(key)).exists():
            key = user._test_api_key = token_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


@pytest.fixture
def api():
    """``api(user)`` → an APIClient authenticated by that user's token."""
    return token_client
