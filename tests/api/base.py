"""A generic test base for API endpoints, after NetBox's ``utilities/testing/api.py``.

An endpoint's test class subclasses ``APIViewTestCases.APITestCase`` together with the mixins of
what the endpoint does, and fills in a few hooks::

    class TestEnterprises(APIViewTestCases.GetObject, APIViewTestCases.ListObjects, ...):
        basename = "enterprise"              # the router's basename: api:enterprise-list/-detail
        model = Enterprise
        def writer(self, w): return w.park_admin       # may write the visible rows
        def reader(self, w): return w.official         # sees the rows, may not write (403)
        def visible(self, w): return w.enterprise_a1   # a row in the writer's scope
        def hidden(self, w): return w.enterprise_b     # a row outside the writer's scope
        def create_data(self, w): return {...}
        def update_data(self, w): return {...}
        def make_rows(self, w, n): ...                 # n more rows in the writer's scope

Every test runs on the ``world`` fixture (tests/scenario.py) with token authentication.

The mixins give: get (200, the row's id; a hidden row is 404; anonymous is 401/403), list (the
visible row present, the hidden row absent), create (201 and the row exists; a read-only role
403; an empty body 400), update (200 and the change stored; hidden 404; read-only 403), delete
(204 and the row gone; hidden 404; read-only 403), and a constant number of queries on the list
whatever the number of rows (two sizes compared).
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from .conftest import token_client


class APIViewTestCases:
    class APITestCase:
        basename: str = ""
        model = None
        #: status a read-only user gets on writes of a row they see
        readonly_status = 403
        #: shared reference data (rules, catalogues) that every role reads: no row is outside
        #: anyone's scope, so the outside-scope tests check instead that ``scope_user`` reads the
        #: row and may not change or delete it
        global_catalogue = False

        # -- hooks ----------------------------------------------------------------------------
        def writer(self, w):
            return w.superuser

        def reader(self, w):
            """A user who sees ``visible`` but may not write it; None when every viewer may write."""
            return None

        def visible(self, w):
            raise NotImplementedError

        def hidden(self, w):
            """A row ``scope_user`` cannot see; None when there is none."""
            return None

        def create_data(self, w) -> dict:
            raise NotImplementedError

        def update_data(self, w) -> dict:
            raise NotImplementedError

        def make_rows(self, w, n):
            raise NotImplementedError

        def list_user(self, w):
            """Who reads in the get and list tests (default: the writer)."""
            return self.writer(w)

        def scope_user(self, w):
            """Who must not see ``hidden``: used by the outside-scope tests (default: ``list_user``)."""
            return self.list_user(w)

        # -- helpers --------------------------------------------------------------------------
        def list_url(self, **query):
            url = reverse(f"api:{self.basename}-list")
            if query:
                from urllib.parse import urlencode

                url += "?" + urlencode(query)
            return url

        def detail_url(self, obj):
            return reverse(f"api:{self.basename}-detail", kwargs={"pk": obj.pk})

        def client(self, user):
            return token_client(user)

        @staticmethod
        def ids(response):
            data = response.json()
            rows = data["results"] if isinstance(data, dict) and "results" in data else data
            return {row["id"] for row in rows}

    class GetObject(APITestCase):
        def test_get_object(self, world):
            obj = self.visible(world)
            response = self.client(self.list_user(world)).get(self.detail_url(obj))
            assert response.status_code == 200, response.content
            assert response.json()["id"] == obj.pk

        def test_get_object_outside_scope_is_404(self, world):
            if self.global_catalogue:
                response = self.client(self.scope_user(world)).get(self.detail_url(self.visible(world)))
                assert response.status_code == 200, response.content
                return
            hidden = self.hidden(world)
            assert hidden is not None, "hidden() must give a row outside the scope (or set global_catalogue)"
            response = self.client(self.scope_user(world)).get(self.detail_url(hidden))
            assert response.status_code == 404

        def test_get_object_anonymous(self, world):
            response = self.client(None).get(self.detail_url(self.visible(world)))
            assert response.status_code in (401, 403)

    class ListObjects(APITestCase):
        def test_list_objects(self, world):
            visible, hidden = self.visible(world), self.hidden(world)
            response = self.client(self.list_user(world)).get(self.list_url())
            assert response.status_code == 200, response.content
            assert visible.pk in self.ids(response)
            if hidden is not None:
                response = self.client(self.scope_user(world)).get(self.list_url())
                assert hidden.pk not in self.ids(response)

        def test_list_anonymous(self, world):
            assert self.client(None).get(self.list_url()).status_code in (401, 403)

    class CreateObject(APITestCase):
        def test_create_object(self, world):
            data = self.create_data(world)
            before = self.model.objects.count()
            response = self.client(self.writer(world)).post(self.list_url(), data, format="json")
            assert response.status_code == 201, response.content
            assert self.model.objects.count() == before + 1
            assert self.model.objects.filter(pk=response.json()["id"]).exists()

        def test_create_object_read_only_role(self, world):
            reader = self.reader(world)
            if reader is None:
                pytest.skip("no read-only role for this endpoint")
            before = self.model.objects.count()
            response = self.client(reader).post(self.list_url(), self.create_data(world), format="json")
            assert response.status_code == 403, response.content
            assert self.model.objects.count() == before

        def test_create_object_bad_input_is_400(self, world):
            response = self.client(self.writer(world)).post(self.list_url(), {}, format="json")
            assert response.status_code == 400, response.content
            assert isinstance(response.json(), dict)

    class UpdateObject(APITestCase):
        def test_update_object(self, world):
            obj = self.visible(world)
            data = self.update_data(world)
            response = self.client(self.writer(world)).patch(self.detail_url(obj), data, format="json")
            assert response.status_code == 200, response.content
            body = response.json()
            for key, value in data.items():
                if key in body and not isinstance(value, list | dict):
                    assert str(body[key]) == str(value), key

        def test_update_object_outside_scope_is_404(self, world):
            if self.global_catalogue:
                obj = self.visible(world)
                response = self.client(self.scope_user(world)).patch(
                    self.detail_url(obj), self.update_data(world), format="json"
                )
                assert response.status_code == 403, response.content
                return
            hidden = self.hidden(world)
            assert hidden is not None, "hidden() must give a row outside the scope (or set global_catalogue)"
            response = self.client(self.scope_user(world)).patch(
                self.detail_url(hidden), self.update_data(world), format="json"
            )
            assert response.status_code == 404

        def test_update_object_read_only_role(self, world):
            reader = self.reader(world)
            if reader is None:
                pytest.skip("no read-only role for this endpoint")
            response = self.client(reader).patch(
                self.detail_url(self.visible(world)), self.update_data(world), format="json"
            )
            assert response.status_code == self.readonly_status, response.content

    class DeleteObject(APITestCase):
        def deletable(self, w):
            """A row in the writer's scope that nothing references (default: ``visible``)."""
            return self.visible(w)

        def test_delete_object(self, world):
            obj = self.deletable(world)
            response = self.client(self.writer(world)).delete(self.detail_url(obj))
            assert response.status_code == 204, response.content
            assert not self.model.objects.filter(pk=obj.pk).exists()

        def test_delete_object_outside_scope_is_404(self, world):
            if self.global_catalogue:
                obj = self.visible(world)
                assert self.client(self.scope_user(world)).delete(self.detail_url(obj)).status_code == 403
                assert self.model.objects.filter(pk=obj.pk).exists()
                return
            hidden = self.hidden(world)
            assert hidden is not None, "hidden() must give a row outside the scope (or set global_catalogue)"
            assert self.client(self.scope_user(world)).delete(self.detail_url(hidden)).status_code == 404
            assert self.model.objects.filter(pk=hidden.pk).exists()

        def test_delete_object_read_only_role(self, world):
            reader = self.reader(world)
            if reader is None:
                pytest.skip("no read-only role for this endpoint")
            obj = self.visible(world)
            assert self.client(reader).delete(self.detail_url(obj)).status_code == self.readonly_status
            assert self.model.objects.filter(pk=obj.pk).exists()

    class QueryCount(APITestCase):
        """The list costs the same number of queries with few rows and with more."""

        def count_list_queries(self, client):
            with CaptureQueriesContext(connection) as queries:
                response = client.get(self.list_url())
            assert response.status_code == 200, response.content
            return len(queries), len(self.ids(response))

        def test_list_query_count_is_constant(self, world):
            self.visible(world)
            user = self.list_user(world)
            client = self.client(user)
            client.get(self.list_url())  # warm the token and any per-process cache
            few, rows_few = self.count_list_queries(client)
            self.make_rows(world, 5)
            many, rows_many = self.count_list_queries(client)
            assert rows_many >= rows_few + 5, "make_rows must create rows the user sees"
            assert many == few, f"{few} queries for {rows_few} rows, {many} for {rows_many}"

    # A full set, for endpoints with every operation.
    class Full(GetObject, ListObjects, CreateObject, UpdateObject, DeleteObject, QueryCount):
        pass

    class ReadOnly(GetObject, ListObjects, QueryCount):
        """For read-only endpoints: also asserts that writes are refused (405 or 403)."""

        def test_writes_refused(self, world):
            client = self.client(self.writer(world))
            obj = self.visible(world)
            assert client.post(self.list_url(), {}, format="json").status_code in (403, 405)
            assert client.patch(self.detail_url(obj), {}, format="json").status_code in (403, 405)
            assert client.delete(self.detail_url(obj)).status_code in (403, 405)
