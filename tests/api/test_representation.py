"""The planned serialisation (core/representation.py) gives what DRF's own gives, byte for byte.

Every list the API routes, and the detail of the rows it shows, is read by every demo login twice:
with the plan and with DRF's ``Serializer.to_representation`` (``ENABLED`` off), in Chinese and in
English (the choice labels are cached per language). Then the edges of a reader: a relation that
is empty, an attribute that is missing, a deferred column, rows not prefetched, an unsaved row, a
dictionary on the path, a method that needs an argument.
"""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import translation
from rest_framework import serializers

from activities.models import Activity, Kind
from core import representation
from core.api import ModelSerializer
from portal.api import build_router

from .conftest import token_client
from .test_every_list_queries import READERS, demo  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db


def routes():
    for _prefix, viewset, basename in build_router().registry:
        if hasattr(viewset, "list"):
            yield basename, hasattr(viewset, "retrieve")


def both(client, url, monkeypatch, language):
    bodies = []
    for enabled in (True, False):
        monkeypatch.setattr(representation, "ENABLED", enabled)
        response = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
        assert response.status_code == 200, (url, response.status_code, response.content[:300])
        bodies.append(response.content)
    return bodies


def test_every_list_and_detail_is_serialised_as_drf_serialises_it(demo, monkeypatch):  # noqa: F811
    users = get_user_model().objects.in_bulk(READERS, field_name="username")
    compared = 0
    for name in READERS:
        client = token_client(users[name])
        for basename, has_detail in routes():
            for language in ("zh-hans", "en"):
                url = reverse(f"api:{basename}-list") + "?page_size=100"
                planned, drf = both(client, url, monkeypatch, language)
                assert planned == drf, (name, url, language)
                rows = client.get(url).json()
                rows = rows["results"] if isinstance(rows, dict) and "results" in rows else rows
                compared += len(rows)
                if has_detail and rows and "id" in rows[0]:
                    detail = reverse(f"api:{basename}-detail", args=[rows[0]["id"]])
                    planned, drf = both(client, detail, monkeypatch, language)
                    assert planned == drf, (name, detail, language)
    assert compared > 1000  # the demo's rows, several times over: not an empty comparison


class Probe(ModelSerializer):
    room_name = serializers.CharField(source="room.name", read_only=True, default=None, allow_null=True)
    room_park = serializers.CharField(source="room.park.name", read_only=True)  # no default: skipped
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    co_hosts = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    host_kind = serializers.CharField(source="host.get_kind_display", read_only=True)
    missing = serializers.CharField(source="no_such_attribute", read_only=True)
    takes_argument = serializers.CharField(source="serializable_value", read_only=True)  # not called

    class Meta:
        model = Activity
        fields = ["id", "host", "room", "room_name", "room_park", "kind_display", "co_hosts", "host_kind"]
        fields += ["missing", "takes_argument", "starts_at", "title"]


def drf_and_planned(instance, monkeypatch):
    monkeypatch.setattr(representation, "ENABLED", False)
    drf = Probe(instance).data
    monkeypatch.setattr(representation, "ENABLED", True)
    return drf, Probe(instance).data


def test_the_edges_of_a_reader_read_as_drf_reads_them(monkeypatch):
    from tests.activities.factories import ActivityFactory
    from tests.factories import OrganizationFactory

    co_host = OrganizationFactory()
    activity = ActivityFactory(room=None, starts_at=datetime.datetime(2026, 2, 28, 23, 30, tzinfo=datetime.UTC))
    activity.co_hosts.add(co_host)

    drf, planned = drf_and_planned(Activity.objects.get(pk=activity.pk), monkeypatch)
    assert planned == drf
    assert planned["room_name"] is None
    assert "room_park" not in planned
    assert "missing" not in planned
    assert planned["co_hosts"] == [co_host.pk]
    assert planned["host"] == activity.host_id

    # Prefetched, deferred, a row from .only(): the same output, the same number of queries.
    for queryset in (
        Activity.objects.prefetch_related("co_hosts"),
        Activity.objects.defer("host", "kind"),
        Activity.objects.select_related("host").only("id", "host__kind", "title", "starts_at", "room"),
    ):
        drf, planned = drf_and_planned(queryset.get(pk=activity.pk), monkeypatch)
        assert planned == drf, queryset.query

    # In English the label is English, in Chinese Chinese: the cache is per language.
    with translation.override("en"):
        drf, planned = drf_and_planned(activity, monkeypatch)
    assert planned == drf
    assert planned["kind_display"] == str(Kind(activity.kind).label)
    with translation.override("zh-hans"):
        drf_zh, planned_zh = drf_and_planned(activity, monkeypatch)
    assert planned_zh == drf_zh
    assert planned_zh["kind_display"] != planned["kind_display"]

    # A kind that is no choice (an old code): shown as stored, as Django does.
    activity.kind = "retired-kind"
    drf, planned = drf_and_planned(activity, monkeypatch)
    assert planned == drf
    assert planned["kind_display"] == "retired-kind"

    # An unsaved row: no co-hosts, as DRF answers.
    drf, planned = drf_and_planned(Activity(host=activity.host, title="new", kind=activity.kind), monkeypatch)
    assert planned == drf
    assert planned["co_hosts"] == []
