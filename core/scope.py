"""Who may see what: a user's scope as sets of ids, the one input of every ``visible_to``.

Every model's ``visible_to(user, action)`` queryset method starts from ``scope_for(user)``; pages,
the admin, exports, the API and reports all go through those methods, so a rule changes once.
How roles become ids is registered by the apps that know them (``register_builder``).
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.db.models import Q


@dataclass(frozen=True)
class Scope:
    superuser: bool = False
    district_ids: frozenset = field(default_factory=frozenset)  # district official
    park_ids: frozenset = field(default_factory=frozenset)  # park administrator
    org_ids: frozenset = field(default_factory=frozenset)  # branch secretary: own units and sub-units
    service_park_ids: frozenset = field(default_factory=frozenset)  # service staff
    member_id: int | None = None  # the user's own member record
    member_org_id: int | None = None
    member_park_id: int | None = None
    member_employer_id: int | None = None

    @property
    def is_official(self):
        return bool(self.district_ids)

    @property
    def is_park_admin(self):
        return bool(self.park_ids)

    @property
    def is_secretary(self):
        return bool(self.org_ids)

    @property
    def is_service_staff(self):
        return bool(self.service_park_ids)

    @property
    def is_member(self):
        return self.member_id is not None

    @property
    def has_any_role(self):
        return self.superuser or any(
            (self.district_ids, self.park_ids, self.org_ids, self.service_park_ids, self.member_id)
        )

    def q(
        self, *, district=None, park=None, org=None, member=None, service_park=None, member_org=None, member_park=None
    ):
        """OR together the conditions, one per role the user holds, given lookups per role.

        Each argument is the lookup path from the model to the object that role is scoped to, e.g.
        ``scope.q(district="park__district", park="park")`` for Enterprise.
        """
        conditions = Q(pk__in=[])
        if district and self.district_ids:
            conditions |= Q(**{f"{district}__in": self.district_ids})
        if park and self.park_ids:
            conditions |= Q(**{f"{park}__in": self.park_ids})
        if org and self.org_ids:
            conditions |= Q(**{f"{org}__in": self.org_ids})
        if service_park and self.service_park_ids:
            conditions |= Q(**{f"{service_park}__in": self.service_park_ids})
        if member and self.member_id is not None:
            conditions |= Q(**{member: self.member_id})
        if member_org and self.member_org_id is not None:
            conditions |= Q(**{member_org: self.member_org_id})
        if member_park and self.member_park_id is not None:
            conditions |= Q(**{member_park: self.member_park_id})
        return conditions


ANONYMOUS = Scope()
SET_FIELDS = ("district_ids", "park_ids", "org_ids", "service_park_ids")


# Builders fill a user's scope, each from what its app knows: accounts from the role assignments,
# parks widens a secretary's organisations to their sub-units, members adds the user's own member
# record. Registered from each app's ``AppConfig.ready`` (the foundation imports no app), run in
# ``order``; each takes the user and the fields gathered so far and returns the fields to update.
_BUILDERS: list[tuple[int, Callable]] = []


def register_builder(builder: Callable[[object, dict], dict], *, order: int) -> None:
    """Add a scope builder (once; registering the same function again changes nothing)."""
    if all(existing is not builder for _order, existing in _BUILDERS):
        _BUILDERS.append((order, builder))
        _BUILDERS.sort(key=lambda pair: pair[0])


def scope_for(user) -> Scope:
    """The user's scope, computed once per user object (that is, once per request)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return ANONYMOUS
    cached = getattr(user, "_hongfan_scope", None)
    if cached is not None:
        return cached
    if user.is_superuser:
        scope = Scope(superuser=True)
    else:
        fields: dict = {}
        for _order, builder in _BUILDERS:
            fields.update(builder(user, fields))
        scope = Scope(**{name: frozenset(value) if name in SET_FIELDS else value for name, value in fields.items()})
    user._hongfan_scope = scope
    return scope


def forget_scope(user) -> None:
    """Drop the cached scope, after the user's roles change."""
    if hasattr(user, "_hongfan_scope"):
        del user._hongfan_scope
