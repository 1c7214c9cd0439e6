"""Demo data: the parks and party committees of the sources, with one login per role.

``seed_core`` builds the plan in memory (demo/plan.py, from the facts of demo/data/parks.toml and
``random.Random(SEED)``: pure, deterministic), then writes only what is missing, looked up by
natural keys (District.code, Park (district, name), Enterprise.credit_code, Organization.code, the
member's ID number, Room (park, name), username). Running it twice changes nothing. Identity data
(names, birth dates, ID numbers, codes) never depends on the day the command runs, so a re-run on
another day finds the same rows; dates of stages in progress and of organisation terms are placed
relative to today, so that the pipeline and the term alerts have something to show.

``run_app_hooks`` then calls ``demo/<app>.py``'s ``seed(rng=..., stdout=...)`` for each domain
app, and ``seed_statistics`` fills the statistics and the reports of the last two periods. The summary the
command prints is demo/summary.py.
"""

from __future__ import annotations

import datetime
import random
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from accounts.models import ROLE_SCOPE_FIELD, Role, RoleAssignment
from core import crypto
from demo import activities as demo_activities
from demo import elections as demo_elections
from demo import members as demo_members
from demo import services as demo_services
from demo.plan import build_plan
from members.actions import members_registered
from members.models import Member, Stage, StageChange
from parks.models import District, Enterprise, Organization, Park, Room
from reports import building as report_building
from reports.models import StatReport
from stats import statistics

__all__ = ["DEMO_PASSWORD", "SEED", "Result", "build_plan", "run_app_hooks", "seed_core", "seed_statistics"]

SEED = 2026
DEMO_PASSWORD = "Hongfan@2026"
# The apps whose optional ``demo.seed`` runs after the core, each with its own fixed seed.
APP_HOOKS = (("members", 2027), ("elections", 2030), ("activities", 2028), ("services", 2029))
APP_MODULES = {
    "members": demo_members,
    "elections": demo_elections,
    "activities": demo_activities,
    "services": demo_services,
}
CHANGE_REASON = "demo data (seed_demo)"


def _create(model, objects):
    if objects:
        bulk_create_with_history(objects, model, batch_size=500, default_change_reason=CHANGE_REASON)
    return len(objects)


@dataclass
class Result:
    created: Counter = field(default_factory=Counter)
    logins: list[tuple[str, str, str]] = field(default_factory=list)  # username, role, scope


def seed_core(*, today: datetime.date | None = None) -> Result:
    """Create whatever of the demo world is missing; return what was created and the logins."""
    plan = build_plan(random.Random(SEED), today or timezone.localdate())
    result = Result()
    with transaction.atomic():
        districts = _ensure_districts(plan, result)
        parks = _ensure_parks(plan, districts, result)
        enterprises = _ensure_enterprises(plan, parks, result)
        orgs = _ensure_organizations(plan, districts, parks, enterprises, result)
        members = _ensure_members(plan, orgs, enterprises, result)
        _ensure_secretaries(plan, orgs, members)
        _ensure_rooms(plan, parks, result)
        _ensure_logins(plan, districts, parks, orgs, members, result)
    return result


def _ensure_districts(plan, result):
    existing = {d.code: d for d in District.objects.filter(code__in=[d.code for d in plan.districts])}
    result.created["districts"] += _create(
        District,
        [District(code=d.code, city=d.city, name=d.name) for d in plan.districts if d.code not in existing],
    )
    return {d.code: d for d in District.objects.filter(code__in=[d.code for d in plan.districts])}


def _ensure_parks(plan, districts, result):
    def load():
        return {
            (p.district.code, p.name): p
            for p in Park.objects.filter(district__in=districts.values()).select_related("district")
        }

    existing = load()
    missing = [
        Park(
            district=districts[d.code],
            name=spec.name,
            kind=spec.kind,
            address=spec.address,
            area=Decimal(spec.area),
            opened_on=spec.opened_on,
            operator=spec.operator,
            service_centre_area=Decimal(spec.service_centre_area),
        )
        for d in plan.districts
        for spec in d.parks
        if (d.code, spec.name) not in existing
    ]
    result.created["parks"] += _create(Park, missing)
    return load()


def _ensure_enterprises(plan, parks, result):
    codes = [e.credit_code for e in plan.enterprises]
    existing = set(Enterprise.objects.filter(credit_code__in=codes).values_list("credit_code", flat=True))
    result.created["enterprises"] += _create(
        Enterprise,
        [
            Enterprise(
                credit_code=e.credit_code,
                name=e.name,
                park=parks[e.park],
                industry=e.industry,
                employee_count=e.employee_count,
                entered_on=e.entered_on,
                investor_name=e.investor_name,
                investor_is_member=e.investor_is_member,
            )
            for e in plan.enterprises
            if e.credit_code not in existing
        ],
    )
    return dict(Enterprise.objects.filter(credit_code__in=codes).values_list("credit_code", "pk"))


def _ensure_organizations(plan, districts, parks, enterprises, result):
    codes = [o.code for o in plan.organizations]
    orgs = {o.code: o for o in Organization.objects.filter(code__in=codes)}
    new_codes = []
    # One bulk insert per level of the tree, so that every parent has its key.
    pending = [spec for spec in plan.organizations if spec.code not in orgs]
    while pending:
        level = [spec for spec in pending if spec.parent_code is None or spec.parent_code in orgs]
        _create(
            Organization,
            [
                Organization(
                    code=spec.code,
                    name=spec.name,
                    kind=spec.kind,
                    formation=spec.formation,
                    district=districts[spec.district_code],
                    park=parks[spec.park] if spec.park else None,
                    parent=orgs[spec.parent_code] if spec.parent_code else None,
                    founded_on=spec.founded_on,
                    term_start=spec.term_start,
                    term_end=spec.term_end,
                )
                for spec in level
            ],
        )
        orgs.update({o.code: o for o in Organization.objects.filter(code__in=[spec.code for spec in level])})
        new_codes += [spec.code for spec in level]
        pending = [spec for spec in pending if spec.code not in orgs]
    result.created["organizations"] += len(new_codes)
    # Enterprises covered, for the organisations created now (an edited one is left as it is).
    through = Organization.enterprises.through
    specs = {spec.code: spec for spec in plan.organizations}
    through.objects.bulk_create(
        [
            through(organization_id=orgs[code].pk, enterprise_id=enterprises[credit_code])
            for code in new_codes
            for credit_code in specs[code].enterprise_codes
        ]
    )
    return orgs


def _ensure_members(plan, orgs, enterprises, result):
    digests = {crypto.digest(m.id_number): m for m in plan.members}
    existing = set(Member.objects.filter(id_number_digest__in=list(digests)).values_list("id_number_digest", flat=True))
    missing = [spec for d, spec in digests.items() if d not in existing]
    new_members = [
        Member(
            name=spec.name,
            gender=spec.gender,
            ethnicity=spec.ethnicity,
            birth_date=spec.birth_date,
            id_number=spec.id_number,
            phone=spec.phone,
            education=spec.education,
            employer_id=enterprises.get(spec.employer_code),
            organization=orgs[spec.org_code],
            stage=spec.stage,
            applied_on=spec.dates.get(Stage.APPLICANT),
            activist_on=spec.dates.get(Stage.ACTIVIST),
            candidate_on=spec.dates.get(Stage.CANDIDATE),
            probationary_on=spec.dates.get(Stage.PROBATIONARY),
            full_on=spec.dates.get(Stage.FULL),
            status=spec.status,
            shows_identity=spec.shows_identity,
            service_commitment=spec.service_commitment,
        )
        for spec in missing
    ]
    result.created["members"] += _create(Member, new_members)
    # Each one joined their organisation (the membership history every registration writes, from
    # which the figures read the roll of a past day): on the earliest stage date known.
    members_registered(members=new_members)
    # The development history is itself a log: no history of it is kept.
    result.created["stage changes"] += len(
        StageChange.objects.bulk_create(
            [
                StageChange(member=member, from_stage=from_stage, to_stage=to_stage, effective_on=day, kind=kind)
                for member, spec in zip(new_members, missing, strict=True)
                for from_stage, to_stage, day, kind in spec.stage_changes()
            ],
            batch_size=500,
        )
    )
    return dict(Member.objects.filter(id_number_digest__in=list(digests)).values_list("id_number_digest", "pk"))


def _ensure_secretaries(plan, orgs, members):
    """Give each organisation without a secretary the one of the plan (its members exist now)."""
    changed = []
    for spec in plan.organizations:
        org = orgs[spec.code]
        if org.secretary_id is None and spec.secretary_id_number:
            org.secretary_id = members[crypto.digest(spec.secretary_id_number)]
            changed.append(org)
    if changed:
        bulk_update_with_history(changed, Organization, ["secretary"], default_change_reason=CHANGE_REASON)


def _ensure_rooms(plan, parks, result):
    existing = set(Room.objects.filter(park__in=parks.values()).values_list("park_id", "name"))
    result.created["rooms"] += _create(
        Room,
        [
            Room(
                park=parks[(d.code, spec.name)],
                name=room.name,
                capacity=room.capacity,
                location=room.location,
                equipment=room.equipment,
            )
            for d in plan.districts
            for spec in d.parks
            for room in spec.rooms
            if (parks[(d.code, spec.name)].pk, room.name) not in existing
        ],
    )


def _ensure_logins(plan, districts, parks, orgs, members, result):
    User = get_user_model()
    users = {u.username: u for u in User.objects.filter(username__in=[s.username for s in plan.logins])}
    hashed = None
    for spec in plan.logins:
        user = users.get(spec.username)
        if user is None:
            user = User(
                username=spec.username,
                first_name=spec.first_name,
                last_name=spec.last_name,
                email=f"{spec.username}@example.com",
            )
            if hashed is None:
                # One hash for all: the password hasher is slow on purpose, and these are demo logins.
                user.set_password(DEMO_PASSWORD)
                hashed = user.password
            user.password = hashed
            result.created["logins"] += 1
        changed = user.pk is None
        for flag, wanted in (("is_superuser", spec.superuser), ("is_staff", spec.staff), ("is_active", True)):
            if wanted and not getattr(user, flag):
                setattr(user, flag, True)
                changed = True
        if changed:
            user.save()
        scope = _("everything") if spec.superuser else ""
        if spec.role:
            target = (
                districts[spec.district_code]
                if spec.district_code
                else parks[spec.park]
                if spec.park
                else orgs[spec.org_code]
            )
            RoleAssignment.objects.get_or_create(user=user, role=spec.role, **{ROLE_SCOPE_FIELD[spec.role]: target})
            scope = str(target)
        if spec.member_id_number:
            member = Member.objects.select_related("organization").get(pk=members[crypto.digest(spec.member_id_number)])
            # Link the login to its member record, unless either is already linked elsewhere.
            if member.user_id is None and not Member.objects.filter(user=user).exists():
                member.user = user
                member._change_reason = CHANGE_REASON
                member.save(update_fields=["user"])
            scope = scope or str(member.organization)
        role = str(Role(spec.role).label) if spec.role else _("superuser") if spec.superuser else _("full member")
        result.logins.append((spec.username, role, scope))


# -- the apps' hooks and the statistics ---------------------------------------------------------


def run_app_hooks(*, stdout, logins: list | None = None) -> list[str]:
    """Seed each domain app's demo part (demo/members.py, activities.py, services.py) in order;
    return the apps that ran.

    A hook may return the demo logins it creates, as (username, role, scope) rows; they are
    appended to ``logins`` for the summary table.
    """
    ran = []
    for app, seed in APP_HOOKS:
        module = APP_MODULES[app]
        with transaction.atomic():
            added = module.seed(rng=random.Random(seed), stdout=stdout)
        if logins is not None and added:
            logins.extend(added)
        ran.append(app)
    return ran


def seed_statistics(*, stdout, today: datetime.date | None = None) -> int:
    """Fill the statistics summary from the demo activities (the app hooks write them in bulk)
    and build, for every district and park, the reports of the last two months, quarters and years,
    so the dashboards and the reports list show something at once and each last report's
    "previous period" column is filled. Each report is built through a run, as the schedule builds
    it (``reports.building.new_run`` / ``execute_run``), so it has its generation record. A report
    that exists already is left as it is: running the command again builds nothing."""

    statistics.refresh_summaries()
    built = 0
    scopes = [statistics.StatScope.of(obj) for obj in [*District.objects.order_by("pk"), *Park.objects.order_by("pk")]]
    for kind in ("month", "quarter", "year"):
        last = statistics.Period.current(kind, today=today).previous()
        for period in (last.previous(), last):
            existing = set(
                StatReport.objects.filter(period_kind=period.kind, period_start=period.start).values_list(
                    "scope_kind", "district_id", "park_id"
                )
            )
            for scope in scopes:
                fields = report_building.scope_fields(scope.kind, scope.id)
                if (scope.kind, fields["district_id"], fields["park_id"]) in existing:
                    continue
                run = report_building.new_run(scope_kind=scope.kind, scope_id=scope.id, period=period)
                report_building.execute_run(run_id=run.pk)
                built += 1
    stdout.write(_("Statistics: summary refreshed, %(n)d reports built.") % {"n": built})
    return built
