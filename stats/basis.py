"""What a figure is computed over: a scope (a district, a park or an organisation with its
sub-units) and a period (a calendar month, quarter or year). Who may see a scope's figures is
``StatScope.visible_to``. ``stats.statistics`` computes the figures over them.
"""

import datetime
from dataclasses import dataclass
from functools import cached_property

from django.db.models import Q
from django.utils import timezone

from core.periods import Period, PeriodKind
from core.querysets import NOTHING, STATISTICS
from parks.models import District, Organization, Park

SCOPE_KINDS = ("district", "park", "organization")
PERIOD_KINDS = tuple(PeriodKind.values)


# --- scope ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StatScope:
    """What the figures are about: a district, a park, or an organisation with its sub-units."""

    kind: str
    id: int

    def __post_init__(self):
        if self.kind not in SCOPE_KINDS:
            raise ValueError(f"unknown scope kind {self.kind!r}")

    @classmethod
    def of(cls, obj) -> "StatScope":
        for model, kind in ((District, "district"), (Park, "park"), (Organization, "organization")):
            if isinstance(obj, model):
                return cls(kind, obj.pk)
        raise TypeError(f"no statistics scope for {type(obj).__name__}")

    @property
    def model(self):
        return {"district": District, "park": Park, "organization": Organization}[self.kind]

    @cached_property
    def _object(self):
        return self.model.objects.filter(pk=self.id).values("pk", "name").first() or {"name": ""}

    def name(self) -> str:
        return self._object["name"]

    @cached_property
    def organization_ids(self) -> frozenset:
        """The organisation and everything below it (organisation scopes only)."""
        return frozenset(Organization.objects.with_descendants({self.id}))

    def organizations_q(self, prefix: str = "") -> Q:
        """A condition on Organization (through ``prefix``, e.g. "host__") selecting the scope."""
        if self.kind == "district":
            return Q(**{f"{prefix}district_id": self.id})
        if self.kind == "park":
            return Q(**{f"{prefix}park_id": self.id})
        # "host__" → "host_id__in": the foreign key itself, without a join.
        lookup = f"{prefix[:-2]}_id__in" if prefix else "pk__in"
        return Q(**{lookup: self.organization_ids})

    def organizations(self):
        return Organization.objects.filter(self.organizations_q())

    def visible_to(self, user) -> bool:
        """Whether ``user`` may see this scope's figures: the "statistics" action of the scope
        door (superusers all; officials their districts and what is in them; park administrators
        their parks and the organisations in them; secretaries their organisations and sub-units)."""
        model = {"district": District, "park": Park, "organization": Organization}[self.kind]
        condition = model.objects.condition_for(user, STATISTICS)
        if condition is None:  # a superuser
            return True
        return condition != NOTHING and model.objects.filter(condition, pk=self.id).exists()


# --- period ---------------------------------------------------------------------------------------


def reference_day(period: Period, today=None) -> datetime.date:
    """The day stock figures are taken on: the period's last day, or today if it is not over."""
    today = today or timezone.localdate()
    return min(period.end - datetime.timedelta(days=1), today)
