"""The OpenAPI schema generates without a warning, validates, and covers every endpoint."""

import pytest
import yaml
from django.core.management import call_command

from portal import api as portal_api


@pytest.fixture(scope="module")
def schema(tmp_path_factory):
    path = tmp_path_factory.mktemp("schema") / "schema.yaml"
    # --fail-on-warn: a serializer field whose type cannot be inferred, an enum name collision, a
    # path parameter without a type... each fails the test.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(path))
    return yaml.safe_load(path.read_text())


def test_schema_is_valid_without_warnings(schema):
    assert schema["openapi"].startswith("3.")
    assert schema["info"]["title"] == "Hongfan API"


def test_every_registered_endpoint_is_in_the_schema(schema):
    paths = set(schema["paths"])
    for prefix, viewset, _basename in portal_api.router.registry:
        assert any(path.startswith(f"/api/v1/{prefix}/") for path in paths), prefix
        for extra in viewset.get_extra_actions():
            assert any(path.endswith(f"/{extra.url_path}/") for path in paths), (prefix, extra.url_path)


def test_every_model_of_parks_members_portal_is_served(schema):
    served = {
        viewset.queryset.model.__name__
        for _p, viewset, _b in portal_api.router.registry
        if getattr(viewset, "queryset", None) is not None
    }
    wanted = {
        "District",
        "Park",
        "Enterprise",
        "Organization",
        "Room",
        "RoleAssignment",
        "Notification",
        "Member",
        "StageChange",
        "Transfer",
        "TransferEvent",
        "ApplicationTalk",
        "DuesPayment",
    }
    assert wanted <= served, wanted - served
    assert "/api/v1/letters/verify/" in schema["paths"]
    assert "/api/v1/users/me/" in schema["paths"]


def test_errors_are_described(schema):
    operation = schema["paths"]["/api/v1/enterprises/{id}/"]["patch"]
    assert {"400", "401", "403", "404"} <= set(operation["responses"])
    step = schema["paths"]["/api/v1/transfers/{id}/approve/"]["post"]
    assert {"200", "400", "403", "404"} <= set(step["responses"])
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if method in ("post", "put", "patch"):
                assert "400" in operation["responses"], (path, method)


def test_security_schemes(schema):
    schemes = schema["components"]["securitySchemes"]
    assert "tokenAuth" in schemes
    assert "cookieAuth" in schemes
