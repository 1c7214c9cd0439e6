"""The scope door: ``Model.objects.visible_to(user, action="view")``, one per model.

Every page, API viewset, admin changelist, export and permission check asks the model's queryset
which rows a user may reach for an action (as NetBox's ``RestrictedQuerySet.restrict(user,
action)`` does). Each model states its rule once, in ``scope_filter(scope, action)``, as a ``Q``
over the user's ``Scope`` (core/scope.py); ``visible_to`` applies it, and ``allows(user, obj,
action)`` answers the same question for one object, in Python when the rule allows it (no query).

The actions:

``"view"``
    Read the row: list it, open it, export it.

    - superuser: every row;
    - district official: everything in their districts (parks, organisations, members, …);
    - park administrator: everything in their parks (and the district their park belongs to);
    - branch secretary: their organisations and the units below them, their members, activities
      (also those they co-host), the park and enterprises their branch covers;
    - service staff: their park's enterprises, organisations, rooms, teams and requests;
    - member: their own record, their branch, park and employer, the activities they attended;
    - nobody (no role): nothing, except what a model ties to the user themself (their own role
      assignments, import jobs, service requests, bookings, teams, enterprise contacts).

``"change"``
    Edit or delete the row, or take a workflow step on it as the organisation or park in charge.
    Always a subset of ``"view"``.

    - superuser: every row;
    - district official: nothing (officials read and supervise);
    - park administrator: the rows of their parks (their park itself, enterprises, organisations,
      rooms, members and their records, activities, service teams, requests, wishes, bookings,
      the secretaries and service staff they appointed); never districts, rules or ledgers;
    - branch secretary: the members (and their records, transfers) and the activities of their
      organisations and the units below them; not a co-hosted activity;
    - service staff: nothing (a team member's steps on a request are the workflow's own rule);
    - member: nothing but their own import jobs (their requests, bookings and claims go through
      the workflow steps, which check the requester, booker or claimant themselves);
    - nobody: nothing but their own import jobs.

``"statistics"`` (districts, parks and organisations only)
    See the figures of the district, park or organisation (dashboards, reports, the statistics
    API): a district official their districts and everything in them, a park administrator their
    parks and the organisations in them, a secretary their organisations and the units below.

A new object (not saved yet) is checked the way NetBox checks "add": ``allows(user,
Activity(host=organization), "change")`` answers "may this user log an activity of that
organisation". An unknown action raises ``ValueError``.
"""

from django.db import models
from django.db.models import Q
from django.db.models.expressions import BaseExpression

from core.scope import scope_for

VIEW = "view"
CHANGE = "change"
#: See the figures (statistics, dashboards, reports) of a district, a park or an organisation.
STATISTICS = "statistics"
#: The actions every model answers; STATISTICS only districts, parks and organisations.
ACTIONS = (VIEW, CHANGE)

#: A condition no row meets.
NOTHING = Q(pk__in=[])


def check_action(action: str) -> str:
    if action not in (*ACTIONS, STATISTICS):
        raise ValueError(f"unknown scope action {action!r}; expected one of {', '.join((*ACTIONS, STATISTICS))}")
    return action


class ScopedQuerySet(models.QuerySet):
    """A queryset with ``visible_to(user, action)``: all rows for superusers, else ``scope_filter``."""

    #: The actions this model's rule answers (districts, parks and organisations add "statistics").
    actions = (VIEW, CHANGE)

    def visible_to(self, user, action=VIEW):
        """The rows ``user`` may reach for ``action`` ("view" or "change")."""
        condition = self.condition_for(user, action)
        if condition is None:
            return self.all()
        if condition == NOTHING:
            return self.none()
        return self.filter(condition)

    def allows(self, user, obj, action=CHANGE) -> bool:
        """Whether ``visible_to(user, action)`` holds ``obj``, without a query when the rule's
        lookups are plain ids along forward relations of loaded objects; otherwise one query
        (``obj`` must then be saved). ``obj`` may be unsaved: e.g. ``Activity(host=organization)``
        asks whether the user may log an activity of that organisation."""
        condition = self.condition_for(user, action)
        if condition is None:
            return True
        try:
            return evaluate(condition, obj)
        except NotInPython:
            if obj.pk is None:
                raise
            return self.filter(condition, pk=obj.pk).exists()

    def reaches_any(self, user, action=CHANGE) -> bool:
        """Whether ``user`` holds a role that ``action``'s rule gives rows to (without a query):
        "may this user create any row at all" before the body is read. False when the rule is
        empty by construction; the rows themselves may still be none."""
        condition = self.condition_for(user, action)
        return condition is None or not _empty(condition)

    def targets(self, user, field: str, action=CHANGE):
        """The rows ``field`` may point to in a new row of this model that ``user`` may reach for
        ``action``: ``Activity.objects.targets(user, "host")`` is the organisations whose
        activities the user may log. The rule must look at ``field`` only."""
        related = self.model._meta.get_field(field).related_model
        condition = self.condition_for(user, action)
        if condition is None:
            return related._default_manager.all()
        return related._default_manager.filter(rebase(condition, field))

    def condition_for(self, user, action=VIEW) -> Q | None:
        """The ``Q`` behind ``visible_to``; None for every row (superusers). Models that give rows
        to the user themself (not through a role) extend it."""
        check_action(action)
        if action not in self.actions:
            raise ValueError(f"{self.model.__name__} has no scope for {action!r}")
        scope = scope_for(user)
        if scope.superuser:
            return None
        if not scope.has_any_role:
            return NOTHING
        return self.scope_filter(scope, action)

    def scope_filter(self, scope, action=VIEW):  # pragma: no cover - every model defines its own
        """The rows of ``scope``'s roles for ``action``, as a ``Q``."""
        raise NotImplementedError


# --- evaluating a scope condition on one object ------------------------------------------------


class NotInPython(Exception):
    """The condition needs the database (a subquery, a reverse or many-to-many relation)."""


def evaluate(condition: Q, obj) -> bool:
    """Evaluate a scope ``Q`` on a model instance: ``exact``, ``in`` and ``isnull`` lookups along
    forward relations, with ids (or instances) as values. Raise ``NotInPython`` otherwise."""
    if not isinstance(condition, Q):
        result = _evaluate_lookup(*condition, obj)
    else:
        results = (evaluate(child, obj) for child in condition.children)
        if condition.connector == Q.OR:
            result = any(results)
        elif condition.connector == Q.AND:
            result = all(results)
        else:  # XOR
            result = sum(results) % 2 == 1
        if condition.negated:
            result = not result
    return result


def _empty(condition) -> bool:
    """True when ``condition`` matches no row by construction (``pk__in=[]`` and combinations)."""
    if not isinstance(condition, Q):
        lookup, value = condition
        return lookup == "pk__in" and isinstance(value, list | tuple | set | frozenset) and not value
    if condition.negated:
        return False
    if not condition.children:
        return False  # Q(): every row
    if condition.connector == Q.AND:
        return any(_empty(child) for child in condition.children)
    return all(_empty(child) for child in condition.children)


def rebase(condition: Q, field: str) -> Q:
    """The condition on a model seen from the model ``field`` points to: ``host__park__in`` becomes
    ``park__in``, ``host__in`` becomes ``pk__in``. A lookup not through ``field`` is a ValueError."""
    rebased = Q()
    rebased.connector, rebased.negated = condition.connector, condition.negated
    for child in condition.children:
        if isinstance(child, Q):
            rebased.children.append(rebase(child, field))
            continue
        lookup, value = child
        first, _sep, rest = lookup.partition("__")
        if lookup == "pk__in" and isinstance(value, list | tuple | set | frozenset) and not value:
            rebased.children.append(child)  # NOTHING stays nothing
        elif first != field:
            raise ValueError(f"{lookup!r} does not go through {field!r}")
        elif rest in ("", "in", "exact"):
            rebased.children.append(("pk__" + rest if rest else "pk", value))
        else:
            rebased.children.append((rest, value))
    return rebased


def _evaluate_lookup(lookup, expected, obj) -> bool:
    parts = lookup.split("__")
    operator = parts.pop() if parts[-1] in ("in", "exact", "isnull") and len(parts) > 1 else "exact"
    if isinstance(expected, models.QuerySet | BaseExpression):
        raise NotInPython(lookup)
    actual = _resolve(obj, parts)
    if operator == "isnull":
        return (actual is None) == bool(expected)
    if operator == "in":
        return actual is not None and actual in {_pk(value) for value in expected}
    return actual == _pk(expected)


def _resolve(obj, parts):
    """Follow ``parts`` from ``obj``; the last foreign key is read as its id (no query)."""
    value = obj
    for position, part in enumerate(parts):
        if value is None:
            return None
        if part == "pk":
            value = value.pk
            continue
        try:
            field = value._meta.get_field(part)
        except Exception as exc:  # FieldDoesNotExist, or not a model instance
            raise NotInPython(part) from exc
        if field.many_to_many or field.one_to_many or (field.one_to_one and not field.concrete):
            raise NotInPython(part)
        if field.is_relation and position == len(parts) - 1:
            return getattr(value, field.attname)
        value = getattr(value, field.name)
    return _pk(value)


def _pk(value):
    return value.pk if isinstance(value, models.Model) else value
