"""What a figure is computed over: a scope (a district, a park or an organisation with its
sub-units) and a period (a calendar month, quarter or year). Who may see a scope's figures is
``StatScope.visible_to``. ``stats.statistics`` computes the figures over them.
"""

import datetime
from dataclasses import dataclass
from functools import cached_property

from django.db.models import Q
from django.utils import timezone

from core.scope import scope_for
from parks.models import District, Organization, Park

SCOPE_KINDS = ("district", "park", "organization")
PERIOD_KINDS = ("month", "quarter", "year")


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
        """Superusers see every scope; an official their districts and what is in them; a park
        administrator their parks and the organisations in them; a secretary their organisations
        (and sub-units)."""
        scope = scope_for(user)
        if scope.superuser:
            return True
        if self.kind == "district":
            return self.id in scope.district_ids
        if self.kind == "park":
            return self.id in scope.park_ids or (
                bool(scope.district_ids)
                and Park.objects.filter(pk=self.id, district_id__in=scope.district_ids).exists()
            )
        if self.id in scope.org_ids:
            return True
        if not (scope.park_ids or scope.district_ids):
            return False
        return Organization.objects.filter(
            Q(park_id__in=scope.park_ids) | Q(district_id__in=scope.district_ids), pk=self.id
        ).exists()


# --- period ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StatPeriod:
    """A calendar month, quarter or year, from its first day (``end`` is the day after it)."""

    kind: str
    start: datetime.date

    def __post_init__(self):
        if self.kind not in PERIOD_KINDS:
            raise ValueError(f"unknown period kind {self.kind!r}")
        first = self.containing(self.kind, self.start, _check=False)
        if first != self.start:
            raise ValueError(f"{self.start} does not start a {self.kind}")

    @staticmethod
    def containing(kind, day, _check=True):
        if kind == "month":
            start = day.replace(day=1)
        elif kind == "quarter":
            start = datetime.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
        elif kind == "year":
            start = datetime.date(day.year, 1, 1)
        else:
            raise ValueError(f"unknown period kind {kind!r}")
        return StatPeriod(kind, start) if _check else start

    @classmethod
    def current(cls, kind, today=None) -> "StatPeriod":
        return cls.containing(kind, today or timezone.localdate())

    @property
    def months(self) -> int:
        return {"month": 1, "quarter": 3, "year": 12}[self.kind]

    @property
    def end(self) -> datetime.date:
        months = self.start.month - 1 + self.months
        return datetime.date(self.start.year + months // 12, months % 12 + 1, 1)

    @property
    def label(self) -> str:
        if self.kind == "month":
            return f"{self.start:%Y-%m}"
        if self.kind == "quarter":
            return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"
        return str(self.start.year)

    def previous(self) -> "StatPeriod":
        return self.containing(self.kind, self.start - datetime.timedelta(days=1))

    @classmethod
    def parse(cls, value: str) -> "StatPeriod":
        """'2026', '2026-Q2' or '2026-04'; ValueError otherwise."""
        value = (value or "").strip()
        try:
            if len(value) == 4 and value.isdigit():
                return cls("year", datetime.date(int(value), 1, 1))
            if len(value) == 7 and value[4:6].upper() == "-Q" and value[6] in "1234" and value[:4].isdigit():
                return cls("quarter", datetime.date(int(value[:4]), 3 * int(value[6]) - 2, 1))
            if len(value) == 7 and value[4] == "-" and value[:4].isdigit() and value[5:].isdigit():
                return cls("month", datetime.date(int(value[:4]), int(value[5:]), 1))
        except (TypeError, ValueError):
            pass
        raise ValueError(f"not a period: {value!r}")

    def as_dict(self):
        return {"kind": self.kind, "start": self.start.isoformat(), "end": self.end.isoformat(), "label": self.label}


def reference_day(period: StatPeriod, today=None) -> datetime.date:
    """The day stock figures are taken on: the period's last day, or today if it is not over."""
    today = today or timezone.localdate()
    return min(period.end - datetime.timedelta(days=1), today)
