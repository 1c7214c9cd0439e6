"""Every list of the API, every filter of it, fed hostile values: a 4xx or an empty list, never a
500 (a huge id once overflowed SQLite's integer in a filter: found by schemathesis' stateful run)."""

import pytest
from rest_framework.test import APIClient

from portal.api import router

HOSTILE = ["-1176507403988707742169694208", str(2**63), "1.5", "a\x00b", "0001-01-01", "9999-12-31T23:59"]


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["park_admin", "secretary"])
def test_no_filter_value_makes_a_list_fail(world, who):
    client = APIClient(raise_request_exception=False)
    client.force_authenticate(getattr(world, who))
    tried, failed = 0, []
    for prefix, viewset, _basename in router.registry:
        filterset = getattr(viewset, "filterset_class", None)
        names = list(filterset.base_filters) if filterset else list(getattr(viewset, "filterset_fields", None) or [])
        for name in [*names, "page", "ordering", "search"]:
            for value in HOSTILE:
                response = client.get(f"/api/v1/{prefix}/", {name: value})
                tried += 1
                if response.status_code >= 500:
                    failed.append((prefix, name, value, response.status_code))
    assert tried > 500, tried
    assert failed == []


@pytest.mark.django_db
def test_no_id_in_a_detail_address_makes_it_fail(world):
    client = APIClient(raise_request_exception=False)
    client.force_authenticate(world.park_admin)
    failed = []
    for prefix, _viewset, _basename in router.registry:
        for value in ["-1176507403988707742169694208", str(2**63), "1.5", "%00"]:
            response = client.get(f"/api/v1/{prefix}/{value}/")
            if response.status_code >= 500:
                failed.append((prefix, value, response.status_code))
    assert len(router.registry) > 20
    assert failed == []
