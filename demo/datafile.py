"""The demo's fixed facts, read from ``demo/data/parks.toml`` into frozen dataclasses.

The file names every value (see its comments for the format); this module checks it as it reads:
an unknown or missing key, a value of the wrong type, a ``kind``, ``formation`` or ``role`` that
the models do not know, or a reference to a park, district or organisation that the file does not
define raises ``DemoDataError`` naming the place. Nothing here touches the database.
"""

from __future__ import annotations

import datetime
import functools
import tomllib
from dataclasses import dataclass
from pathlib import Path

from accounts.models import Role
from parks.models import Organization, Park

DATA_FILE = Path(__file__).resolve().parent / "data" / "parks.toml"
LARGEST = "largest"


class DemoDataError(ValueError):
    """The demo data file is not as demo/data/parks.toml describes."""


@dataclass(frozen=True)
class RoomSpec:
    name: str
    capacity: int
    location: str
    equipment: str


@dataclass(frozen=True)
class ParkSpec:
    name: str
    kind: Park.Kind
    address: str
    area: int  # m²
    opened_on: datetime.date
    operator: str
    service_centre_area: int  # m²
    enterprise_count: int
    name_prefixes: tuple[str, ...]
    rooms: tuple[RoomSpec, ...]


@dataclass(frozen=True)
class DistrictSpec:
    code: str
    city: str
    name: str
    parks: tuple[ParkSpec, ...]
    ethnic_minorities: tuple[str, ...] | None = None  # None: the common ones (demo/vocabulary.py)

    def park(self, name: str) -> ParkSpec:
        return next(p for p in self.parks if p.name == name)


@dataclass(frozen=True)
class GroupSpec:
    """A party group below a branch: covers the first ``covers_first`` enterprises of its branch;
    its ``members`` are taken from the branch's."""

    name: str
    kind: Organization.Kind
    formation: Organization.Formation
    covers_first: int
    members: int


@dataclass(frozen=True)
class BranchSpec:
    name: str  # "{enterprise}" stands for the name of the enterprise it covers
    kind: Organization.Kind
    formation: Organization.Formation
    park: str  # the park's name, in the committee's district
    covers: str | tuple[int, int] | None  # LARGEST, (low, high) or none
    members: int | tuple[int, int] | None  # None: a share of the committee's total
    min_employees: int | None = None
    employers_uncovered: int | None = None
    term_ends_in: int | None = None
    groups: tuple[GroupSpec, ...] = ()


@dataclass(frozen=True)
class CommitteeSpec:
    code: str
    name: str
    formation: Organization.Formation
    district: str  # the district's code
    park: str | None  # the park's name, for a committee over one park
    secretary_from: str  # the code of the branch its secretary belongs to
    members_total: int | None
    members_spread: int
    branches: tuple[BranchSpec, ...]

    def branch_code(self, index: int) -> str:
        return f"{self.code}-{index + 1:02d}"


@dataclass(frozen=True)
class LoginEntry:
    """A demo login as the file gives it; ``member_of`` and ``member_is`` pick a member record
    that the plan draws, whose name the login then takes."""

    username: str
    last_name: str = ""
    first_name: str = ""
    superuser: bool = False
    staff: bool = False
    role: Role | None = None
    district: str | None = None  # code
    park: str | None = None  # name
    organization: str | None = None  # code
    member_of: str | None = None  # the organisation's code
    member_is: str | None = None  # "secretary" or "other"


@dataclass(frozen=True)
class DemoData:
    districts: tuple[DistrictSpec, ...]
    committees: tuple[CommitteeSpec, ...]
    logins: tuple[LoginEntry, ...]

    def district(self, code: str) -> DistrictSpec:
        return next(d for d in self.districts if d.code == code)

    def park_key(self, name: str) -> tuple[str, str]:
        """(district code, park name) of the park of that name, which the file keeps unique."""
        return next((d.code, p.name) for d in self.districts for p in d.parks if p.name == name)


@functools.cache
def load(path: Path = DATA_FILE) -> DemoData:
    """Read and check the data file (once per path)."""
    with open(path, "rb") as f:
        try:
            raw = tomllib.load(f)
        except tomllib.TOMLDecodeError as error:
            raise DemoDataError(f"{path}: {error}") from error
    return _Reader(path).demo(raw)


class _Reader:
    """Builds the dataclasses from the parsed file; ``where`` names the table being read."""

    def __init__(self, path: Path):
        self.path = path

    def fail(self, where: str, message: str):
        raise DemoDataError(f"{self.path}, {where}: {message}")

    def fields(self, table, where: str, required: dict, optional: dict | None = None) -> dict:
        """The table's values, checked against ``{key: type}``; optional keys absent are None."""
        optional = optional or {}
        if not isinstance(table, dict):
            self.fail(where, "expected a table")
        unknown = set(table) - set(required) - set(optional)
        if unknown:
            self.fail(where, f"unknown key(s) {', '.join(sorted(unknown))}")
        values = {}
        for key, kind in {**required, **optional}.items():
            if key not in table:
                if key in required:
                    self.fail(where, f"missing key {key!r}")
                values[key] = None
                continue
            value = table[key]
            # bool is an int in Python, but not a number of the file.
            if not isinstance(value, kind) or (isinstance(value, bool) and bool not in _as_tuple(kind)):
                self.fail(where, f"{key!r} has the wrong type ({type(value).__name__})")
            values[key] = value
        return values

    def choice(self, choices, value, where: str, key: str):
        if value is None:
            return None
        try:
            return choices(value)
        except ValueError:
            self.fail(where, f"{key!r}: {value!r} is none of {', '.join(choices.values)}")

    def range_or_number(self, value, where: str, key: str):
        if value is None or isinstance(value, int):
            return value
        if len(value) != 2 or not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
            self.fail(where, f"{key!r}: expected a number or [low, high]")
        return tuple(value)

    # -- the tables -----------------------------------------------------------------------------
    def demo(self, raw) -> DemoData:
        top = self.fields(raw, "the file", {"districts": list, "committees": list, "logins": list})
        districts = tuple(self.district(t, f"districts[{i}]") for i, t in enumerate(top["districts"]))
        parks = [p.name for d in districts for p in d.parks]
        if len(set(parks)) != len(parks):
            self.fail("districts", "two parks have the same name")
        committees = tuple(self.committee(t, f"committees[{i}]") for i, t in enumerate(top["committees"]))
        logins = tuple(self.login(t, f"logins[{i}]") for i, t in enumerate(top["logins"]))
        data = DemoData(districts, committees, logins)
        self.check_references(data)
        return data

    def district(self, table, where) -> DistrictSpec:
        v = self.fields(
            table, where, {"code": str, "city": str, "name": str, "parks": list}, {"ethnic_minorities": list}
        )
        minorities = v["ethnic_minorities"]
        return DistrictSpec(
            code=v["code"],
            city=v["city"],
            name=v["name"],
            parks=tuple(self.park(t, f"{where}.parks[{i}]") for i, t in enumerate(v["parks"])),
            ethnic_minorities=tuple(minorities) if minorities is not None else None,
        )

    def park(self, table, where) -> ParkSpec:
        v = self.fields(
            table,
            where,
            {
                "name": str,
                "kind": str,
                "address": str,
                "area": int,
                "opened_on": datetime.date,
                "operator": str,
                "service_centre_area": int,
                "enterprises": int,
                "name_prefixes": list,
                "rooms": list,
            },
        )
        return ParkSpec(
            name=v["name"],
            kind=self.choice(Park.Kind, v["kind"], where, "kind"),
            address=v["address"],
            area=v["area"],
            opened_on=v["opened_on"],
            operator=v["operator"],
            service_centre_area=v["service_centre_area"],
            enterprise_count=v["enterprises"],
            name_prefixes=tuple(v["name_prefixes"]),
            rooms=tuple(self.room(t, f"{where}.rooms[{i}]") for i, t in enumerate(v["rooms"])),
        )

    def room(self, table, where) -> RoomSpec:
        return RoomSpec(**self.fields(table, where, {"name": str, "capacity": int, "location": str, "equipment": str}))

    def committee(self, table, where) -> CommitteeSpec:
        v = self.fields(
            table,
            where,
            {"code": str, "name": str, "formation": str, "district": str, "secretary_from": str, "branches": list},
            {"park": str, "members": dict},
        )
        members = self.fields(v["members"], f"{where}.members", {"total": int, "spread": int}) if v["members"] else {}
        branches = tuple(
            self.branch(t, f"{where}.branches[{i}]", default_park=v["park"]) for i, t in enumerate(v["branches"])
        )
        if members and all(b.members is not None for b in branches):
            self.fail(where, "'members' is given, but every branch gives its own")
        if not members and any(b.members is None for b in branches):
            self.fail(where, "a branch gives no 'members' and the committee no total to share")
        return CommitteeSpec(
            code=v["code"],
            name=v["name"],
            formation=self.choice(Organization.Formation, v["formation"], where, "formation"),
            district=v["district"],
            park=v["park"],
            secretary_from=v["secretary_from"],
            members_total=members.get("total"),
            members_spread=members.get("spread", 0),
            branches=branches,
        )

    def branch(self, table, where, *, default_park) -> BranchSpec:
        v = self.fields(
            table,
            where,
            {"name": str, "kind": str, "formation": str},
            {
                "park": str,
                "covers": (str, list),
                "members": (int, list),
                "min_employees": int,
                "employers_uncovered": int,
                "term_ends_in": int,
                "groups": list,
            },
        )
        park = v["park"] or default_park
        if park is None:
            self.fail(where, "no 'park', and its committee has none")
        covers = v["covers"]
        if isinstance(covers, str) and covers != LARGEST:
            self.fail(where, f"'covers': expected [low, high] or {LARGEST!r}")
        if "{enterprise}" in v["name"] and not covers:
            self.fail(where, "'{enterprise}' in its name, but it covers no enterprise")
        if v["min_employees"] is not None and covers != LARGEST:
            self.fail(where, f"'min_employees' needs covers = {LARGEST!r}")
        return BranchSpec(
            name=v["name"],
            kind=self.choice(Organization.Kind, v["kind"], where, "kind"),
            formation=self.choice(Organization.Formation, v["formation"], where, "formation"),
            park=park,
            covers=covers if covers in (None, LARGEST) else self.range_or_number(covers, where, "covers"),
            members=self.range_or_number(v["members"], where, "members"),
            min_employees=v["min_employees"],
            employers_uncovered=v["employers_uncovered"],
            term_ends_in=v["term_ends_in"],
            groups=tuple(self.group(t, f"{where}.groups[{i}]") for i, t in enumerate(v["groups"] or ())),
        )

    def group(self, table, where) -> GroupSpec:
        v = self.fields(table, where, {"name": str, "kind": str, "formation": str, "covers_first": int, "members": int})
        return GroupSpec(
            name=v["name"],
            kind=self.choice(Organization.Kind, v["kind"], where, "kind"),
            formation=self.choice(Organization.Formation, v["formation"], where, "formation"),
            covers_first=v["covers_first"],
            members=v["members"],
        )

    def login(self, table, where) -> LoginEntry:
        v = self.fields(
            table,
            where,
            {"username": str},
            {
                "last_name": str,
                "first_name": str,
                "superuser": bool,
                "staff": bool,
                "role": str,
                "district": str,
                "park": str,
                "organization": str,
                "member": dict,
            },
        )
        member_table = v.pop("member")
        member = self.fields(member_table, f"{where}.member", {"of": str, "is": str}) if member_table else {}
        if member and member["is"] not in ("secretary", "other"):
            self.fail(where, "member.is: expected 'secretary' or 'other'")
        if bool(member) == bool(v["last_name"] or v["first_name"]):
            self.fail(where, "a login has either a member record or 'last_name' and 'first_name'")
        if not member and not (v["last_name"] and v["first_name"]):
            self.fail(where, "a login without a member record needs 'last_name' and 'first_name'")
        scopes = [key for key in ("district", "park", "organization") if v[key]]
        if len(scopes) != (1 if v["role"] else 0):
            self.fail(where, "a login with a role names exactly one scope (district, park or organization)")
        return LoginEntry(
            username=v["username"],
            last_name=v["last_name"] or "",
            first_name=v["first_name"] or "",
            superuser=bool(v["superuser"]),
            staff=bool(v["staff"]),
            role=self.choice(Role, v["role"], where, "role"),
            district=v["district"],
            park=v["park"],
            organization=v["organization"],
            member_of=member.get("of"),
            member_is=member.get("is"),
        )

    def check_references(self, data: DemoData):
        districts = {d.code: d for d in data.districts}
        parks = {p.name for d in data.districts for p in d.parks}
        codes = set()
        for i, committee in enumerate(data.committees):
            where = f"committees[{i}]"
            district = districts.get(committee.district)
            if district is None:
                self.fail(where, f"no district {committee.district!r}")
            own_parks = {p.name for p in district.parks}
            if committee.park is not None and committee.park not in own_parks:
                self.fail(where, f"no park {committee.park!r} in district {district.code}")
            branch_codes = set()
            for j, branch in enumerate(committee.branches):
                if branch.park not in own_parks:
                    self.fail(f"{where}.branches[{j}]", f"no park {branch.park!r} in district {district.code}")
                code = committee.branch_code(j)
                branch_codes |= {code, *(f"{code}-{k + 1:02d}" for k in range(len(branch.groups)))}
            if committee.secretary_from not in branch_codes:
                self.fail(where, f"secretary_from: no branch {committee.secretary_from!r} in this committee")
            codes |= {committee.code, *branch_codes}
        for i, login in enumerate(data.logins):
            where = f"logins[{i}]"
            if login.district and login.district not in districts:
                self.fail(where, f"no district {login.district!r}")
            if login.park and login.park not in parks:
                self.fail(where, f"no park {login.park!r}")
            for code in (login.organization, login.member_of):
                if code and code not in codes:
                    self.fail(where, f"no organisation {code!r}")


def _as_tuple(kind) -> tuple:
    return kind if isinstance(kind, tuple) else (kind,)
