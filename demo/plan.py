"""The demo world as a plan: plain data drawn from ``random.Random(SEED)``, no database access.

``build_plan`` reads the fixed facts of demo/data/parks.toml (districts, parks, committees and
their branches, logins) and draws around them the enterprises of each park, the members of each
branch with their development history, the organisations' terms and the secretaries. Every draw
comes from ``rng`` over ranges that do not depend on today, so the same rows (names, ID numbers,
codes) come out on any day; only the dates of stages in progress and of terms are placed
relative to ``today``. The draws follow the order of the data file.
"""

from __future__ import annotations

import datetime
import random
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from core.codes import make_credit_code, make_id_number
from core.validators import USCC_CHARSET
from demo.datafile import LARGEST, BranchSpec, CommitteeSpec, DemoData, DistrictSpec, LoginEntry, ParkSpec, load
from demo.vocabulary import (
    COMMITMENTS,
    EDUCATION_WEIGHTS,
    ETHNIC_MINORITIES,
    GIVEN_ANY,
    GIVEN_FEMALE,
    GIVEN_MALE,
    INDUSTRY_SUFFIXES,
    INDUSTRY_WEIGHTS,
    PHONE_PREFIXES,
    SURNAME_WEIGHTS,
    SURNAMES,
    TRADE_NAME_FIRST,
    TRADE_NAME_SECOND,
)
from members.models import STAGE_ORDER, Member, Stage, StageChange
from parks.models import Organization, add_years
from parks.rules import DEFAULT_TERM_YEARS, term_end, term_years

# Birth dates are computed from this fixed day, never from today, so ID numbers are stable.
REFERENCE_DAY = datetime.date(2026, 1, 1)
MA_PREFIX = (USCC_CHARSET.index("M") * 31 + USCC_CHARSET.index("A")) * 31**7

Kind = Organization.Kind


@dataclass
class EnterpriseSpec:
    credit_code: str
    name: str
    park: tuple[str, str]  # (district code, park name)
    industry: str
    employee_count: int
    entered_on: datetime.date
    investor_name: str
    investor_is_member: bool


@dataclass
class OrgSpec:
    code: str
    name: str
    kind: str
    formation: str
    district_code: str
    park: tuple[str, str] | None
    parent_code: str | None
    founded_on: datetime.date
    term_start: datetime.date | None
    term_end: datetime.date | None
    enterprise_codes: list[str] = field(default_factory=list)
    secretary_id_number: str | None = None


@dataclass
class MemberSpec:
    id_number: str
    name: str
    gender: str
    ethnicity: str
    birth_date: datetime.date
    phone: str
    education: str
    employer_code: str | None
    org_code: str
    stage: str
    dates: dict[str, datetime.date]  # stage → the day it was reached
    status: str = Member.Status.ACTIVE
    shows_identity: bool = False
    service_commitment: str = ""

    def stage_changes(self):
        """(from stage, to stage, effective on, kind): the development history the dates tell."""
        steps, previous = [], ""
        for stage in STAGE_ORDER:
            if stage not in self.dates:
                break
            kind = StageChange.Kind.INITIAL if not previous else StageChange.Kind.ADVANCE
            steps.append((previous, stage, self.dates[stage], kind))
            previous = stage
        return steps


@dataclass
class LoginSpec:
    username: str
    last_name: str
    first_name: str
    superuser: bool = False
    staff: bool = False
    role: str | None = None
    district_code: str | None = None
    park: tuple[str, str] | None = None
    org_code: str | None = None
    member_id_number: str | None = None


@dataclass
class Plan:
    districts: tuple[DistrictSpec, ...]
    enterprises: list[EnterpriseSpec]
    organizations: list[OrgSpec]  # parents before children
    members: list[MemberSpec]
    logins: list[LoginSpec]


def build_plan(rng: random.Random, today: datetime.date, data: DemoData | None = None) -> Plan:
    """The whole demo world as plain data, from the data file (``data``: as read by
    ``demo.datafile.load``)."""
    data = data or load()
    planner = Planner(rng, today, data)
    for district in data.districts:
        for park in district.parks:
            planner.add_enterprises(district, park)
    for committee in data.committees:
        planner.add_committee(committee)
    planner.fit_payrolls()
    logins = [planner.login(entry) for entry in data.logins]
    return Plan(data.districts, planner.enterprises, planner.organizations, planner.members, logins)


class Planner:
    """Turns the seed into a plan. Every draw comes from ``rng`` over ranges that do not depend on
    today, so the same rows (names, ID numbers, codes) come out on any day."""

    def __init__(self, rng: random.Random, today: datetime.date, data: DemoData):
        self.rng = rng
        self.today = today
        self.data = data
        self.minorities = {d.code: d.ethnic_minorities or ETHNIC_MINORITIES for d in data.districts}
        self.phones: set[str] = set()
        self.id_numbers: set[str] = set()
        self.credit_codes: set[str] = set()
        self.trade_names: set[str] = set()
        self.id_sequence: Counter = Counter()
        self.enterprises: list[EnterpriseSpec] = []
        self.by_park: dict[tuple[str, str], list[EnterpriseSpec]] = defaultdict(list)
        self.organizations: list[OrgSpec] = []
        self.members: list[MemberSpec] = []

    # -- people -----------------------------------------------------------------------------
    def person_name(self, gender: str) -> str:
        rng = self.rng
        surname = rng.choices(SURNAMES, weights=SURNAME_WEIGHTS)[0]
        pool = GIVEN_MALE if gender == "M" else GIVEN_FEMALE
        if rng.random() < 0.3:
            return surname + rng.choice(pool)
        first, second = rng.choice(GIVEN_ANY + pool), rng.choice(pool)
        return surname + first + (second if second != first else rng.choice(GIVEN_ANY.replace(first, "")))

    def phone(self) -> str:
        while True:
            number = self.rng.choice(PHONE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"
            if number not in self.phones:
                self.phones.add(number)
                return number

    def id_number(self, division: str, birth: datetime.date, gender: str) -> str:
        while True:
            key = (division, birth)
            sequence = self.id_sequence[key] + self.rng.randrange(40)
            self.id_sequence[key] = sequence + 1
            number = make_id_number(division=division, birth_date=birth, gender=gender, sequence=sequence)
            if number not in self.id_numbers:
                self.id_numbers.add(number)
                return number

    def birth_date(self, min_age: int, max_age: int) -> datetime.date:
        year = REFERENCE_DAY.year - self.rng.randint(min_age, max_age)
        return datetime.date(year, 1, 1) + datetime.timedelta(days=self.rng.randrange(365))

    def stage_dates(self, stage: str, birth: datetime.date) -> dict[str, datetime.date]:
        """Dates that follow DESIGN §3: applicant at 18 or more, a talk and activist status within
        months, at least a year as activist before candidate, one year of probation."""
        rng, days = self.rng, datetime.timedelta
        if stage == Stage.FULL:
            age = REFERENCE_DAY.year - birth.year
            applied = birth + days(rng.randint(18 * 365 + 200, (age - 5) * 365))
            activist = applied + days(rng.randint(30, 180))
            candidate = activist + days(rng.randint(366, 540))
            probationary = candidate + days(rng.randint(60, 200))
            return {
                Stage.APPLICANT: applied,
                Stage.ACTIVIST: activist,
                Stage.CANDIDATE: candidate,
                Stage.PROBATIONARY: probationary,
                Stage.FULL: add_years(probationary, 1),
            }
        # Stages in progress: placed back from today, over fixed ranges.
        if stage == Stage.APPLICANT:
            return {Stage.APPLICANT: self.today - days(rng.randint(3, 240))}
        if stage == Stage.ACTIVIST:
            activist = self.today - days(rng.randint(20, 600))
            return {Stage.APPLICANT: activist - days(rng.randint(30, 180)), Stage.ACTIVIST: activist}
        if stage == Stage.CANDIDATE:
            candidate = self.today - days(rng.randint(10, 150))
        else:
            probationary = self.today - days(rng.randint(10, 380))
            candidate = probationary - days(rng.randint(60, 200))
        activist = candidate - days(rng.randint(366, 540))
        dates = {
            Stage.APPLICANT: activist - days(rng.randint(30, 180)),
            Stage.ACTIVIST: activist,
            Stage.CANDIDATE: candidate,
        }
        if stage == Stage.PROBATIONARY:
            dates[Stage.PROBATIONARY] = probationary
        return dates

    @staticmethod
    def stage_mix(n: int) -> list[str]:
        if n < 8:
            return [Stage.FULL] * (n - 1) + [Stage.PROBATIONARY] if n >= 4 else [Stage.FULL] * n
        shares = (
            (Stage.PROBATIONARY, 0.07),
            (Stage.CANDIDATE, 0.04),
            (Stage.ACTIVIST, 0.06),
            (Stage.APPLICANT, 0.05),
        )
        stages = []
        for stage, share in shares:
            stages += [stage] * max(1, round(n * share))
        return [Stage.FULL] * (n - len(stages)) + stages

    def add_members(self, org: OrgSpec, n: int, *, employers: list[EnterpriseSpec]) -> list[MemberSpec]:
        rng = self.rng
        stages = self.stage_mix(n)
        rng.shuffle(stages)
        minorities = self.minorities[org.district_code]
        weights = [e.employee_count for e in employers]
        created = []
        for stage in stages:
            gender = "M" if rng.random() < 0.56 else "F"
            if stage == Stage.FULL:
                birth = self.birth_date(25, 62)
            elif stage == Stage.APPLICANT:
                birth = self.birth_date(20, 35)
            else:
                birth = self.birth_date(23, 40)
            member = MemberSpec(
                id_number=self.id_number(org.district_code, birth, gender),
                name=self.person_name(gender),
                gender=gender,
                ethnicity="汉族" if rng.random() < 0.93 else rng.choice(minorities),
                birth_date=birth,
                phone=self.phone(),
                education=rng.choices(list(EDUCATION_WEIGHTS), weights=list(EDUCATION_WEIGHTS.values()))[0],
                employer_code=rng.choices(employers, weights=weights)[0].credit_code if employers else None,
                org_code=org.code,
                stage=stage,
                dates=self.stage_dates(stage, birth),
            )
            if stage == Stage.FULL:
                roll = rng.random()
                if roll < 0.03:
                    member.status = Member.Status.FLOWING
                elif roll < 0.045:
                    member.status = Member.Status.TRANSFERRED_OUT
                elif roll < 0.40:
                    member.shows_identity = True
                    member.service_commitment = rng.choice(COMMITMENTS)
            created.append(member)
        self.members += created
        # The secretary: an active full member of the unit itself.
        candidates = [m for m in created if m.stage == Stage.FULL and m.status == Member.Status.ACTIVE]
        if candidates:
            org.secretary_id_number = rng.choice(candidates).id_number
        return created

    # -- enterprises ---------------------------------------------------------------------------
    def trade_name(self) -> str:
        while True:
            name = self.rng.choice(TRADE_NAME_FIRST) + self.rng.choice(TRADE_NAME_SECOND)
            if name[0] != name[1] and name not in self.trade_names:
                self.trade_names.add(name)
                return name

    def add_enterprises(self, district: DistrictSpec, park: ParkSpec):
        rng = self.rng
        key = (district.code, park.name)
        for _index in range(park.enterprise_count):
            industry = rng.choices(list(INDUSTRY_WEIGHTS), weights=list(INDUSTRY_WEIGHTS.values()))[0]
            roll = rng.random()
            if roll < 0.85:
                employees = int(rng.triangular(2, 30, 6))
            elif roll < 0.97:
                employees = rng.randint(31, 120)
            else:
                employees = rng.randint(121, 400)
            while True:
                # Codes issued since 2015 begin their organisation part with "MA".
                code = make_credit_code(division=district.code, sequence=MA_PREFIX + rng.randrange(31**7))
                if code not in self.credit_codes:
                    self.credit_codes.add(code)
                    break
            opened = park.opened_on.toordinal()
            investor_gender = "M" if rng.random() < 0.6 else "F"
            enterprise = EnterpriseSpec(
                credit_code=code,
                name=rng.choice(park.name_prefixes) + self.trade_name() + rng.choice(INDUSTRY_SUFFIXES[industry]),
                park=key,
                industry=industry,
                employee_count=employees,
                entered_on=datetime.date.fromordinal(rng.randint(opened, datetime.date(2025, 12, 31).toordinal())),
                investor_name=self.person_name(investor_gender),
                investor_is_member=rng.random() < 0.15,
            )
            self.enterprises.append(enterprise)
            self.by_park[key].append(enterprise)

    # -- organisations -------------------------------------------------------------------------
    def term(self, term_ends_in: int | None, kind: str = Kind.BRANCH):
        """Term start and end: ending ``term_ends_in`` days from today (negative: overdue), or a
        term running for a while yet; as long as the rules give the kind (parks.rules, the
        defaults of the editable lengths), as ``Organization.save`` derives it."""
        years = term_years(kind, DEFAULT_TERM_YEARS)
        if term_ends_in is None:
            start = self.today - datetime.timedelta(days=self.rng.randint(30, 900))
        else:
            start = add_years(self.today + datetime.timedelta(days=term_ends_in), -years)
        return start, term_end(start, years)

    def add_org(
        self,
        code: str,
        name: str,
        kind: str,
        formation: str,
        district_code: str,
        park: tuple[str, str] | None = None,
        parent: OrgSpec | None = None,
        *,
        term_ends_in: int | None = None,
        enterprises=(),
        term: bool = True,
    ) -> OrgSpec:
        start, end = self.term(term_ends_in, kind)
        founded = datetime.date(2014, 1, 1) + datetime.timedelta(days=self.rng.randrange(8 * 365))
        org = OrgSpec(
            code=code,
            name=name,
            kind=kind,
            formation=formation,
            district_code=district_code,
            park=park,
            parent_code=parent.code if parent else None,
            founded_on=founded,
            term_start=start if term else None,
            term_end=end if term else None,
            enterprise_codes=[e.credit_code for e in enterprises],
        )
        self.organizations.append(org)
        return org

    def pick(self, park_key, n, *, exclude=()) -> list[EnterpriseSpec]:
        pool = [e for e in self.by_park[park_key] if e.credit_code not in exclude]
        return self.rng.sample(pool, n)

    def add_committee(self, spec: CommitteeSpec) -> OrgSpec:
        """The committee, then its branches in the file's order; its secretary last."""
        park = (spec.district, spec.park) if spec.park else None
        committee = self.add_org(spec.code, spec.name, Kind.COMMITTEE, spec.formation, spec.district, park)
        sharing = [b for b in spec.branches if b.members is None]
        shares = iter(_sizes(spec.members_total, len(sharing), self.rng, spec.members_spread) if sharing else ())
        covered: set[str] = set()  # the enterprises its branches cover so far
        for index, branch in enumerate(spec.branches):
            self.add_branch(spec.branch_code(index), branch, committee, covered=covered, shares=shares)
        committee.secretary_id_number = self.first_member(spec.secretary_from).id_number
        return committee

    def add_branch(self, code: str, spec: BranchSpec, committee: OrgSpec, *, covered: set[str], shares) -> OrgSpec:
        """A branch (the file's [[committees.branches]]), its party groups and their members.

        The draws come in this order: the enterprises it covers, the branch, its groups, its
        number of members, their employers, the members."""
        rng, district = self.rng, committee.district_code
        park = (district, spec.park)
        enterprises: list[EnterpriseSpec] = []
        if spec.covers == LARGEST:
            largest = min(
                (e for e in self.by_park[park] if e.credit_code not in covered),
                key=lambda e: (-e.employee_count, e.credit_code),
            )
            largest.employee_count = max(largest.employee_count, spec.min_employees or 0)
            enterprises = [largest]
        elif spec.covers:
            enterprises = self.pick(park, rng.randint(*spec.covers), exclude=covered)
        covered |= {e.credit_code for e in enterprises}
        name = spec.name.replace("{enterprise}", enterprises[0].name) if enterprises else spec.name
        branch = self.add_org(
            code,
            name,
            spec.kind,
            spec.formation,
            district,
            park,
            committee,
            term_ends_in=spec.term_ends_in,
            enterprises=enterprises,
        )
        groups = [
            self.add_org(
                f"{code}-{index + 1:02d}",
                group.name,
                group.kind,
                group.formation,
                district,
                park,
                branch,
                enterprises=enterprises[: group.covers_first],
                term=False,  # a party group is not elected for a term
            )
            for index, group in enumerate(spec.groups)
        ]
        if spec.members is None:
            size = next(shares)
        elif isinstance(spec.members, int):
            size = spec.members
        else:
            size = rng.randint(*spec.members)
        employers = enterprises
        if spec.employers_uncovered:
            uncovered = [e for e in self.by_park[park] if e.credit_code not in covered]
            employers = rng.sample(uncovered, spec.employers_uncovered)
        self.add_members(branch, size - sum(g.members for g in spec.groups), employers=employers)
        for group_spec, group in zip(spec.groups, groups, strict=True):
            self.add_members(group, group_spec.members, employers=enterprises[: group_spec.covers_first])
        return branch

    def fit_payrolls(self) -> None:
        """No enterprise has fewer employees than party members on its payroll."""
        on_payroll = Counter(m.employer_code for m in self.members if m.employer_code)
        for enterprise in self.enterprises:
            if on_payroll[enterprise.credit_code] >= enterprise.employee_count:
                enterprise.employee_count = on_payroll[enterprise.credit_code] + self.rng.randint(1, 6)

    # -- logins ----------------------------------------------------------------------------------
    def first_member(self, org_code: str, *, besides: str | None = None) -> MemberSpec:
        """The first active full member of the organisation (other than ID number ``besides``)."""
        return next(
            m
            for m in self.members
            if m.org_code == org_code
            and m.stage == Stage.FULL
            and m.status == Member.Status.ACTIVE
            and m.id_number != besides
        )

    def login(self, entry: LoginEntry) -> LoginSpec:
        """The login of the file's entry; one linked to a member takes the member's name."""
        member = None
        if entry.member_of:
            org = next(o for o in self.organizations if o.code == entry.member_of)
            if entry.member_is == "secretary":
                member = next(m for m in self.members if m.id_number == org.secretary_id_number)
            else:
                member = self.first_member(org.code, besides=org.secretary_id_number)
        return LoginSpec(
            entry.username,
            member.name[0] if member else entry.last_name,
            member.name[1:] if member else entry.first_name,
            superuser=entry.superuser,
            staff=entry.staff,
            role=entry.role,
            district_code=entry.district,
            park=self.data.park_key(entry.park) if entry.park else None,
            org_code=entry.organization,
            member_id_number=member.id_number if member else None,
        )


def _sizes(total: int, count: int, rng: random.Random, spread: int) -> list[int]:
    """``count`` sizes within ``spread`` of the mean that add up to ``total``."""
    mean, remainder = divmod(total, count)
    sizes = [mean + (1 if i < remainder else 0) for i in range(count)]
    for _step in range(count * spread):
        a, b = rng.randrange(count), rng.randrange(count)
        if a != b and sizes[a] < mean + spread and sizes[b] > mean - spread:
            sizes[a] += 1
            sizes[b] -= 1
    return sizes
