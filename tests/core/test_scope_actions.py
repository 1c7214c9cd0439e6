"""Role × model × action: what each role may VIEW and CHANGE through ``visible_to(user, action)``.

Every model with a ``ScopedQuerySet`` gets one row inside district A (park A1, branch A1, the
member user's own records where the model has an owner) and one in district B. For every role of
district A the B row is in neither answer, "change" is always a subset of "view", and
``allows(user, obj, action)`` (evaluated in Python where it can) agrees with the database.
"""

import datetime
from decimal import Decimal

import pytest
from django.apps import apps
from django.utils import timezone

from accounts.models import RoleAssignment
from activities.models import Activity, ActivityFile, Attendance, ComplianceRule, PointEntry, PointRule
from core.models import SensitiveRead
from core.querysets import ACTIONS, CHANGE, VIEW, ScopedQuerySet
from dataio.models import ExportJob, ImportJob, ImportRow
from elections.models import CommitteeSeat, Election, TermRule
from members.models import (
    ApplicationTalk,
    DuesPayment,
    Member,
    MemberLeave,
    MembershipEvent,
    StageChange,
    Transfer,
    TransferEvent,
)
from parks.models import District, Enterprise, Organization, Park, Room
from reports.models import StatReport, StatReportRun
from services.models import EnterpriseContact, RoomBooking, ServiceRequestEvent, ServiceTeam, Wish

from ..activities.factories import ActivityFactory, AttendanceFactory
from ..factories import UserFactory
from ..services.factories import (
    EnterpriseContactFactory,
    RoomBookingFactory,
    ServiceRequestFactory,
    ServiceTeamFactory,
    WishFactory,
)

ROLES = ["superuser", "official", "park_admin", "secretary", "service", "member_user", "outsider"]
ALL = set(ROLES) - {"outsider"}
MEMBER_SIDE = {"superuser", "official", "park_admin", "secretary", "member_user"}
ACTS_FOR_MEMBERS = {"superuser", "park_admin", "secretary"}
PARK_STAFF = {"superuser", "official", "park_admin"}
ONLY_SUPERUSER = {"superuser"}
PARK_ADMIN = {"superuser", "park_admin"}

# model: (roles that VIEW the district-A row, roles that CHANGE it)
EXPECTED = {
    District: (ALL, ONLY_SUPERUSER),
    Park: (ALL, PARK_ADMIN),
    Enterprise: (ALL, PARK_ADMIN),
    Organization: (ALL, PARK_ADMIN),
    Room: (ALL, PARK_ADMIN),
    RoleAssignment: ({"superuser", "official", "park_admin", "secretary"}, PARK_ADMIN),
    Member: (MEMBER_SIDE, ACTS_FOR_MEMBERS),
    StageChange: (MEMBER_SIDE, ACTS_FOR_MEMBERS),
    Transfer: (MEMBER_SIDE, ACTS_FOR_MEMBERS),
    TransferEvent: (MEMBER_SIDE, ACTS_FOR_MEMBERS),
    ApplicationTalk: (MEMBER_SIDE, ACTS_FOR_MEMBERS),
    DuesPayment: (MEMBER_SIDE, ACTS_FOR_MEMBERS),
    MembershipEvent: (MEMBER_SIDE, ACTS_FOR_MEMBERS),
    MemberLeave: (MEMBER_SIDE, ACTS_FOR_MEMBERS),
    Activity: (MEMBER_SIDE, ACTS_FOR_MEMBERS),
    ActivityFile: (MEMBER_SIDE, ACTS_FOR_MEMBERS),
    Attendance: (MEMBER_SIDE, ACTS_FOR_MEMBERS),
    Election: (MEMBER_SIDE, ACTS_FOR_MEMBERS),
    CommitteeSeat: (MEMBER_SIDE, ACTS_FOR_MEMBERS),
    TermRule: (ALL, ONLY_SUPERUSER),
    PointEntry: (MEMBER_SIDE, ONLY_SUPERUSER),
    ComplianceRule: (ALL, ONLY_SUPERUSER),
    PointRule: (ALL, ONLY_SUPERUSER),
    ImportJob: ({"superuser", "member_user"}, {"superuser", "member_user"}),
    ImportRow: ({"superuser", "member_user"}, {"superuser", "member_user"}),
    ExportJob: ({"superuser", "member_user"}, {"superuser", "member_user"}),
    StatReport: (PARK_STAFF, ONLY_SUPERUSER),
    StatReportRun: (PARK_STAFF, ONLY_SUPERUSER),
    EnterpriseContact: (PARK_STAFF, PARK_ADMIN),
    ServiceTeam: (PARK_STAFF | {"service"}, PARK_ADMIN),
    ServiceRequestEvent: (PARK_STAFF | {"member_user", "service"}, PARK_ADMIN),
    Wish: (PARK_STAFF | {"member_user"}, PARK_ADMIN),
    RoomBooking: (PARK_STAFF | {"member_user"}, PARK_ADMIN),
    SensitiveRead: (PARK_ADMIN, ONLY_SUPERUSER),
}
# Reference data with no district: the same rows for everyone, so no row lies outside a scope.
SHARED = {ComplianceRule, PointRule, TermRule}


def scoped_models():
    return [m for m in apps.get_models() if isinstance(m._default_manager.all(), ScopedQuerySet)]


@pytest.fixture
def rows(world):
    """{model: (row in district A, row in district B or None)}."""
    w = world
    now = timezone.now()
    today = datetime.date(2026, 1, 15)
    r = {
        District: (w.district_a, w.district_b),
        Park: (w.park_a1, w.park_b),
        Enterprise: (w.enterprise_a1, w.enterprise_b),
        Organization: (w.branch_a1, w.branch_b),
        Room: (w.room_a1, w.room_b),
        Member: (w.member_a1, w.member_b),
        RoleAssignment: tuple(RoleAssignment.objects.get(user=u) for u in (w.secretary, w.secretary_b)),
    }
    pair = lambda make: (make(w.member_a1), make(w.member_b))  # noqa: E731
    r[StageChange] = pair(lambda m: StageChange.objects.create(member=m, to_stage="full", effective_on=today))
    r[Transfer] = pair(lambda m: Transfer.objects.create(member=m, from_organization=m.organization, reason="调动"))
    r[TransferEvent] = tuple(
        TransferEvent.objects.create(transfer=t, action="request", to_status=t.status) for t in r[Transfer]
    )
    r[ApplicationTalk] = pair(lambda m: ApplicationTalk.objects.create(member=m, held_on=today, held_by="书记"))
    r[DuesPayment] = pair(
        lambda m: DuesPayment.objects.create(
            member=m, month=datetime.date(2026, 1, 1), amount_due=Decimal("1"), amount_paid=Decimal("1"), paid_on=today
        )
    )
    r[MembershipEvent] = pair(
        lambda m: MembershipEvent.objects.create(member=m, organization=m.organization, kind="joined", on=today)
    )
    r[MemberLeave] = pair(
        lambda m: MemberLeave.objects.create(member=m, kind="abroad", starts_on=today, arrangement="出国留学，已批准")
    )
    r[Activity] = (ActivityFactory(host=w.branch_a1), ActivityFactory(host=w.branch_b))
    r[ActivityFile] = tuple(
        ActivityFile.objects.create(activity=a, kind="attachment", file="activities/x.pdf", name="x.pdf", size=1)
        for a in r[Activity]
    )
    r[Attendance] = (
        AttendanceFactory(activity=r[Activity][0], member=w.member_a1),
        AttendanceFactory(activity=r[Activity][1], member=w.member_b),
    )
    r[Election] = tuple(
        Election.objects.create(organization=o, held_on=today, eligible_voters=9, votes_cast=9)
        for o in (w.branch_a1, w.branch_b)
    )
    r[CommitteeSeat] = tuple(
        CommitteeSeat.objects.create(election=e, member=m, post="secretary")
        for e, m in zip(r[Election], (w.member_a1, w.member_b), strict=True)
    )
    r[TermRule] = (TermRule.objects.get(kind="branch"), None)
    r[PointEntry] = pair(lambda m: PointEntry.objects.create(member=m, points=1, reason="award"))
    r[ComplianceRule] = (
        ComplianceRule.objects.first() or ComplianceRule.objects.create(kind="lecture", period="quarter"),
        None,
    )
    r[PointRule] = (PointRule.objects.first() or PointRule.objects.create(kind="lecture"), None)
    r[ImportJob] = tuple(
        ImportJob.objects.create(user=u, kind="members", filename="m.xlsx") for u in (w.member_user, w.secretary_b)
    )
    r[ExportJob] = tuple(
        ExportJob.objects.create(user=u, kind="members", file_format="csv") for u in (w.member_user, w.secretary_b)
    )
    r[ImportRow] = tuple(ImportRow.objects.create(job=j, position=1, line=2, action="new") for j in r[ImportJob])
    r[StatReport] = tuple(
        StatReport.objects.create(
            scope_kind="park", park=p, period_kind="month", period_start=datetime.date(2026, 1, 1), generated_at=now
        )
        for p in (w.park_a1, w.park_b)
    )
    r[StatReportRun] = tuple(
        StatReportRun.objects.create(
            scope_kind="park", park=p, period_kind="month", period_start=datetime.date(2026, 1, 1)
        )
        for p in (w.park_a1, w.park_b)
    )
    r[EnterpriseContact] = tuple(
        EnterpriseContactFactory(user=UserFactory(), enterprise=e) for e in (w.enterprise_a1, w.enterprise_b)
    )
    r[ServiceTeam] = (ServiceTeamFactory(park=w.park_a1, members=[w.service]), ServiceTeamFactory(park=w.park_b))
    requests = (
        ServiceRequestFactory(enterprise=None, park=w.park_a1, requester=w.member_user),
        ServiceRequestFactory(enterprise=w.enterprise_b),
    )
    r[ServiceRequestEvent] = tuple(
        ServiceRequestEvent.objects.create(request=q, kind="submitted", status_after=q.status) for q in requests
    )
    r[Wish] = (WishFactory(park=w.park_a1), WishFactory(park=w.park_b))
    r[RoomBooking] = (
        RoomBookingFactory(room=w.room_a1, booked_by=w.member_user),
        RoomBookingFactory(room=w.room_b, booked_by=UserFactory()),
    )
    r[SensitiveRead] = tuple(
        SensitiveRead.objects.create(reader_name="parkadmin", kind="display", where="x", park_id=p.pk)
        for p in (w.park_a1, w.park_b)
    )
    return r


def test_every_scoped_model_is_in_the_matrix():
    from services.models import ServiceRequest

    assert set(scoped_models()) - set(EXPECTED) == {ServiceRequest}  # its events' rows below cover it


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("model", list(EXPECTED), ids=lambda m: m.__name__)
def test_view_and_change_per_role(world, rows, model, role):
    user = getattr(world, role)
    inside, outside = rows[model]
    if model is ServiceRequestEvent:  # the request and its event go together
        cases = [(model, inside, outside), (inside.request.__class__, inside.request, outside.request)]
    else:
        cases = [(model, inside, outside)]
    viewers, changers = EXPECTED[model]
    for case_model, row_in, row_out in cases:
        pks = [row.pk for row in (row_in, row_out) if row is not None]
        seen = {
            action: set(case_model.objects.visible_to(user, action).filter(pk__in=pks).values_list("pk", flat=True))
            for action in ACTIONS
        }
        expected_view = {row_in.pk} if role in viewers else set()
        expected_change = {row_in.pk} if role in changers else set()
        if role == "superuser" and row_out is not None:
            expected_view.add(row_out.pk)
            expected_change.add(row_out.pk)
        assert seen[VIEW] == expected_view, (case_model.__name__, role, VIEW)
        assert seen[CHANGE] == expected_change, (case_model.__name__, role, CHANGE)
        for row in (row_in, row_out):
            if row is None:
                continue
            for action in ACTIONS:
                allowed = case_model.objects.allows(user, row, action)
                assert allowed == (row.pk in seen[action]), (case_model.__name__, role, action, row.pk)


@pytest.mark.parametrize("role", ROLES)
def test_change_is_a_subset_of_view_for_every_row(world, rows, role):
    user = getattr(world, role)
    for model in scoped_models():
        view = set(model.objects.visible_to(user, VIEW).values_list("pk", flat=True))
        change = set(model.objects.visible_to(user, CHANGE).values_list("pk", flat=True))
        assert change <= view, (model.__name__, role, change - view)
        if role != "superuser" and model not in SHARED and model in rows:
            outside = rows[model][1]
            assert outside.pk not in view, (model.__name__, role)


def test_an_unknown_action_is_refused(world):
    with pytest.raises(ValueError):
        Member.objects.visible_to(world.secretary, "delete")
    with pytest.raises(ValueError):
        Member.objects.allows(world.secretary, world.member_a1, "edit")


def test_a_new_row_is_checked_like_a_stored_one(world, django_assert_num_queries):
    """``allows`` on an unsaved row (NetBox's "add"): may the user log an activity of a branch?"""
    from core.scope import scope_for

    for user in (world.secretary, world.park_admin, world.official, world.member_user):
        scope_for(user)
    with django_assert_num_queries(0):
        assert Activity.objects.allows(world.secretary, Activity(host=world.branch_a1), CHANGE)
        assert Activity.objects.allows(world.park_admin, Activity(host=world.branch_a1), CHANGE)
        assert not Activity.objects.allows(world.secretary, Activity(host=world.branch_b), CHANGE)
        assert not Activity.objects.allows(world.official, Activity(host=world.branch_a1), CHANGE)
        assert not Activity.objects.allows(world.member_user, Activity(host=world.branch_a1), CHANGE)
    assert set(Activity.objects.targets(world.secretary, "host")) == {world.branch_a1, world.group_a1}
    assert set(Activity.objects.targets(world.park_admin, "host")) == {world.branch_a1, world.group_a1}
    assert not Activity.objects.targets(world.official, "host").exists()


def test_statistics_of_districts_parks_and_organisations_per_role(world):
    """The "statistics" action: whose figures (dashboards, reports, the statistics API) a role sees."""
    from core.querysets import STATISTICS
    from parks.models import District, Organization, Park

    def names(model, user):
        return {str(row) for row in model.objects.visible_to(user, STATISTICS)}

    a_orgs = {"联合党委A", "支部A1", "党小组A1", "支部A2"}
    assert names(District, world.official) == {str(world.district_a)}
    assert names(Park, world.official) == {"园区A1", "园区A2"}
    assert names(Organization, world.official) == a_orgs
    assert names(District, world.park_admin) == set()
    assert names(Park, world.park_admin) == {"园区A1"}
    assert names(Organization, world.park_admin) == {"支部A1", "党小组A1"}
    assert names(Park, world.secretary) == set()
    assert names(Organization, world.secretary) == {"支部A1", "党小组A1"}
    for user in (world.service, world.member_user, world.outsider):
        assert names(District, user) | names(Park, user) | names(Organization, user) == set()
    assert len(names(District, world.superuser)) == 2
    with pytest.raises(ValueError, match="no scope for 'statistics'"):
        Member.objects.visible_to(world.official, STATISTICS)
