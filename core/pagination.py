"""Paging that does not grow with history: estimated counts, cursors, per-page aggregates.

A list page or an API list reads one page of its own table. Two things would otherwise grow with
the data:

* the **count** behind the page numbers: ``COUNT(*)`` over a million attendance rows is a
  sequential scan on every page. ``EstimatedCountPaginator`` asks PostgreSQL for its estimate
  first (``pg_class.reltuples`` for a whole table, the planner's row estimate — ``EXPLAIN`` — for a
  filtered one) and uses it when it says the list is large (≥ ``ESTIMATE_THRESHOLD`` rows); a
  smaller list, and every list on SQLite, gets the exact count. ``count_is_estimate`` tells which;
* **a slice deep in a list sorted group by group** (members by organisation name): with the
  rows counted per group (one grouped query, which the list's total needs anyway),
  ``groups_covering`` tells which groups hold the slice and how many rows come before them, so
  the page reads those groups' rows only instead of sorting the whole list;
* **per-row aggregates** (an activity's attendance): they are computed for the page's rows only,
  by one grouped query over the page's ids after slicing (e.g. ``activities.selectors
  .attach_attendance_counts``), never annotated on the whole list (whose count query would then
  join every row of the aggregated table).

``PortalPagination`` is the API's paginator (``REST_FRAMEWORK["DEFAULT_PAGINATION_CLASS"]``): page
numbers as before, plus ``count_is_estimate``, plus a cursor mode (``?cursor=``, which needs no
count at all) for clients walking a long list.
"""

import json

from django.core.exceptions import EmptyResultSet, FieldDoesNotExist
from django.core.paginator import Paginator
from django.db import connections
from django.db.models import QuerySet
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.pagination import CursorPagination, PageNumberPagination
from rest_framework.response import Response

# Below this many rows an exact COUNT is cheap enough and exact page numbers are nicer.
ESTIMATE_THRESHOLD = 10_000


def _postgresql(queryset) -> bool:
    return isinstance(queryset, QuerySet) and connections[queryset.db].vendor == "postgresql"


def table_row_estimate(queryset) -> int | None:
    """PostgreSQL's estimate of the rows of an *unfiltered* queryset, or None when unusable.

    ``pg_class.reltuples`` is kept by (auto)vacuum and ANALYZE; it is -1 for a table never
    analysed."""
    if not _postgresql(queryset):
        return None
    query = queryset.query
    if query.where or query.distinct or query.combinator or query.is_sliced:
        return None
    connection = connections[queryset.db]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reltuples::bigint FROM pg_class WHERE oid = to_regclass(%s)",
            [connection.ops.quote_name(queryset.model._meta.db_table)],
        )
        row = cursor.fetchone()
    if not row or row[0] is None or row[0] < 0:
        return None
    return int(row[0])


def plan_row_estimate(queryset) -> int | None:
    """The planner's estimate of the rows of a (filtered) queryset: ``EXPLAIN (FORMAT JSON)``'s
    "Plan Rows" of the top node, or None off PostgreSQL. One query, no row is read."""
    if not _postgresql(queryset):
        return None
    try:
        sql, params = queryset.order_by().values("pk").query.sql_with_params()
    except EmptyResultSet:  # a filter that can match nothing (e.g. an empty scope): no row
        return 0
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
    if isinstance(plan, str | bytes):
        plan = json.loads(plan)
    try:
        return int(plan[0]["Plan"]["Plan Rows"])
    except (KeyError, IndexError, TypeError, ValueError):
        return None


def groups_covering(groups, start: int, stop: int | None = None) -> tuple[list, int]:
    """The groups holding rows ``[start:stop]`` of a list sorted group by group.

    ``groups``: ``(keys, n)`` in the list's order, each a group of ``n`` rows (rows whose sort key
    ties interleave, so keys that sort equal must share one group). Returns the keys of the groups
    that hold a row of the slice, and how many rows come before the first of them: the slice is
    then ``[start - before : stop - before]`` of the list restricted to those keys."""
    keys, before, seen = [], None, 0
    if stop is not None and stop <= start:
        return keys, start
    for group_keys, n in groups:
        if stop is not None and seen >= stop:
            break
        if n and seen + n > start:
            before = seen if before is None else before
            keys.extend(group_keys)
        seen += n
    return keys, seen if before is None else before


class EstimatedCountPaginator(Paginator):
    """A paginator that does not COUNT a large list on every page (see the module).

    ``estimate_filtered``: also estimate a filtered list (by ``EXPLAIN``); the admin keeps it off
    (its filters are selective and indexed, and it shows exact counts where it can)."""

    estimate_filtered = True
    count_is_estimate = False

    def threshold(self):
        return ESTIMATE_THRESHOLD

    def row_estimate(self):
        estimate = table_row_estimate(self.object_list)
        filtered = _postgresql(self.object_list) and self.object_list.query.where
        if estimate is None and self.estimate_filtered and filtered:
            estimate = plan_row_estimate(self.object_list)
        return estimate

    @cached_property
    def count(self):
        estimate = self.row_estimate()
        if estimate is not None and estimate >= self.threshold():
            self.count_is_estimate = True
            return estimate
        return super().count


class PortalCursorPagination(CursorPagination):
    """The cursor mode of ``PortalPagination``: the view's ordering, a bad cursor is a 400."""

    invalid_cursor_message = _("Invalid cursor.")

    def get_ordering(self, request, queryset, view):
        """The list's ordering (``?ordering=``, else the view's), when its first field is one of the
        row's own non-null columns (a foreign key by its id): the cursor holds that column's value.
        Otherwise by id."""
        ordering = None
        for backend in getattr(view, "filter_backends", ()):
            if hasattr(backend, "get_ordering"):  # OrderingFilter: ?ordering=, else the view's
                ordering = backend().get_ordering(request, queryset, view)
        ordering = ordering or self.ordering or ("-pk",)
        ordering = (ordering,) if isinstance(ordering, str) else tuple(ordering)
        first = ordering[0] if ordering else ""
        name = first.lstrip("-")
        try:
            model_field = queryset.model._meta.get_field(name)
        except FieldDoesNotExist:
            model_field = None
        if model_field is None or not model_field.concrete or model_field.many_to_many or model_field.null:
            # Another table's column, or one that may be empty: no position a cursor could hold.
            return ("pk",) if name != "pk" else ordering
        if model_field.is_relation:
            return (first.replace(name, model_field.attname, 1), *ordering[1:])
        return ordering

    def decode_cursor(self, request):
        try:
            return super().decode_cursor(request)
        except exceptions.NotFound as exc:
            raise exceptions.ValidationError({self.cursor_query_param: [str(self.invalid_cursor_message)]}) from exc


class PortalPagination(PageNumberPagination):
    """Page numbers (``?page=``) with ``count`` and ``count_is_estimate``; or, with ``?cursor=``
    (empty for the first page), cursor pages: ``next``/``previous`` links and no count (null)."""

    django_paginator_class = EstimatedCountPaginator
    cursor_query_param = "cursor"

    def paginate_queryset(self, queryset, request, view=None):
        self.cursor = None
        if self.cursor_query_param in request.query_params:
            self.cursor = PortalCursorPagination()
            self.cursor.page_size = self.get_page_size(request) or self.page_size
            ordering = getattr(view, "ordering", None) or ("-pk",)
            self.cursor.ordering = ordering
            return self.cursor.paginate_queryset(queryset, request, view)
        return super().paginate_queryset(queryset, request, view)

    def get_paginated_response(self, data):
        if self.cursor is not None:
            return Response(
                {
                    "count": None,
                    "count_is_estimate": False,
                    "next": self.cursor.get_next_link(),
                    "previous": self.cursor.get_previous_link(),
                    "results": data,
                }
            )
        return Response(
            {
                "count": self.page.paginator.count,
                "count_is_estimate": self.page.paginator.count_is_estimate,
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema):
        response = super().get_paginated_response_schema(schema)
        properties = response["properties"]
        properties["count"] = {
            "type": "integer",
            "nullable": True,
            "example": 123,
            "description": "Rows in the list; approximate when count_is_estimate is true; null in cursor mode.",
        }
        properties["count_is_estimate"] = {
            "type": "boolean",
            "description": "True when count is PostgreSQL's estimate for a large list (page numbers approximate).",
        }
        response["required"] = ["count", "count_is_estimate", "results"]
        return response

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        parameters.append(
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": "Cursor mode: empty for the first page, then the cursor of a next/previous link.",
                "schema": {"type": "string"},
            }
        )
        return parameters
