"""The membership history: written by every door that registers or moves a member, read for the
roll of a past day (members_at), the statistics' member stock and the lapse-risk rule."""

import datetime
import importlib

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from core.codes import make_id_number
from members import actions, selectors
from members.models import Member, MemberLeave, MembershipEvent, Stage, Transfer
from members.rules import LapseGround
from reports.building import build_report
from stats.basis import StatScope
from stats.statistics import member_figures
from tests.clock import last_month, this_month, today
from tests.dataio.helpers import run, xlsx
from tests.factories import MemberFactory

pytestmark = pytest.mark.django_db
D = datetime.timedelta


def kinds(member):
    return [(e.kind, e.organization_id) for e in selectors.membership_history(member)]


def joined(member, on):
    return actions.member_registered(member=member, joined_on=on)


def on_roll(org, day):
    return set(selectors.members_at([org.pk], day).values_list("pk", flat=True))


# --- writing it -----------------------------------------------------------------------------------


def test_transfer_writes_out_and_in(world, approved):
    member = world.member_a1
    joined(member, datetime.date(2020, 1, 1))
    actions.transfer_accept(transfer=approved, by=world.secretary_b)
    assert kinds(member) == [
        ("joined", world.branch_a1.pk),
        ("transferred_out", world.branch_a1.pk),
        ("transferred_in", world.branch_b.pk),
    ]
    assert all(e.on == today() for e in selectors.membership_history(member)[1:])
    assert member.pk in on_roll(world.branch_b, today())
    assert member.pk not in on_roll(world.branch_a1, today())
    assert member.pk in on_roll(world.branch_a1, today() - D(days=1))


def test_transfer_out_of_the_portal_takes_the_member_off_the_roll(world):
    member = world.member_a1_other
    joined(member, datetime.date(2020, 1, 1))
    transfer = actions.transfer_request(
        member=member, by=world.secretary, outside_organization="外省某支部", reason="回乡"
    )
    transfer = actions.transfer_approve(transfer=transfer, by=world.secretary, valid_months=1)
    actions.transfer_accept(transfer=transfer, by=world.secretary)
    assert kinds(member)[-1] == ("transferred_out", world.branch_a1.pk)
    assert member.pk not in on_roll(world.branch_a1, today())


def test_registration_is_idempotent_and_bounded(world):
    member = world.member_a2
    assert joined(member, datetime.date(2019, 5, 1))
    assert joined(member, datetime.date(2018, 1, 1)) == []
    assert [e.on for e in member.membership_events.all()] == [datetime.date(2019, 5, 1)]
    other = world.member_b
    with pytest.raises(ValidationError):
        joined(other, today() + D(days=1))
    with pytest.raises(ValidationError):
        joined(other, datetime.date(1920, 12, 31))
    # Without a date: the registration day, or the earliest stage date if earlier.
    assert actions.default_joined_on(other) == datetime.date(2015, 3, 1)


def test_the_back_office_and_the_api_record_the_joining(client, world):
    from tests.members.test_admin import new_member_data

    client.force_login(world.park_admin)
    response = client.post(reverse("admin:members_member_add"), new_member_data(world.branch_a1))
    assert response.status_code == 302
    member = Member.objects.get(name="新党员")
    assert kinds(member) == [("joined", world.branch_a1.pk)]
    assert member.membership_events.get().recorded_by == world.park_admin

    api = APIClient()
    api.force_authenticate(world.park_admin)
    birth = datetime.date(1992, 5, 17)
    body = {
        "name": "接口党员",
        "gender": "F",
        "birth_date": birth.isoformat(),
        "id_number": make_id_number(division="330402", birth_date=birth, gender="F", sequence=78),
        "organization": world.branch_a1.pk,
        "stage": "applicant",
        "applied_on": "2026-01-05",
    }
    assert api.post(reverse("api:member-list"), body, format="json").status_code == 201
    member = Member.objects.get(name="接口党员")
    assert [(e.kind, e.on) for e in member.membership_events.all()] == [("joined", datetime.date(2026, 1, 5))]


def test_a_superusers_edit_of_status_in_the_back_office_is_recorded(client, world):
    from tests.members.test_admin import change_url, member_data

    member = world.member_a2
    joined(member, datetime.date(2020, 1, 1))
    client.force_login(world.superuser)
    data = member_data(member, stage="full", status="deceased", points="0")
    data.update({"applied_on": "2015-03-01", "activist_on": "2015-06-01", "candidate_on": "2016-07-01"})
    data.update({"probationary_on": "2016-09-01", "full_on": "2017-09-01"})
    response = client.post(change_url(member), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert kinds(member)[-1] == ("deceased", world.branch_a2.pk)
    assert member.pk not in on_roll(world.branch_a2, today())


IMPORT_HEADERS = [
    "姓名",
    "身份证号",
    "所在党组织",
    "发展阶段",
    "probationary since",
    "full member since",
    "加入本组织日期",
]


def import_row(n, org, joined_on):
    birth = datetime.date(1980, 1, 1) + D(days=n)
    number = make_id_number(division="330402", birth_date=birth, gender="M", sequence=n + 1)
    return [f"历史党员{n}", number, org.code, "正式党员", "2010-06-01", "2011-06-01", joined_on]


def test_the_import_sets_the_history(world):
    rows = [import_row(1, world.branch_a1, "2012-03-04"), import_row(2, world.branch_a1, "")]
    report = run("members", world.secretary, xlsx(IMPORT_HEADERS, rows))
    assert report.committed, report.rows
    first = Member.objects.get(name="历史党员1")
    second = Member.objects.get(name="历史党员2")
    assert [(e.kind, e.on) for e in first.membership_events.all()] == [("joined", datetime.date(2012, 3, 4))]
    assert [e.on for e in second.membership_events.all()] == [datetime.date(2010, 6, 1)]  # earliest stage date
    # On the roll of a day in 2013 (a report of that time would have counted them).
    assert {first.pk, second.pk} <= on_roll(world.branch_a1, datetime.date(2013, 1, 1))
    assert first.pk not in on_roll(world.branch_a1, datetime.date(2012, 3, 3))

    # A re-import corrects the date; the bounds are checked.
    rows[0][-1] = "2012-05-06"
    again = run("members", world.secretary, xlsx(IMPORT_HEADERS, rows))
    assert again.counts["update"] == 1, again.rows
    assert first.membership_events.get().on == datetime.date(2012, 5, 6)
    for bad in ((today() + D(days=1)).isoformat(), "1900-01-01"):
        rows[0][-1] = bad
        refused = run("members", world.secretary, xlsx(IMPORT_HEADERS, rows))
        assert not refused.committed
        assert refused.rows[0].errors[0][0] == "joined the organisation on"
    assert first.membership_events.get().on == datetime.date(2012, 5, 6)


# --- reading it: the roll of a past day, the statistics' stock ------------------------------------


def test_a_member_transferred_out_last_month_counts_in_last_months_stock_only(world):
    for member in Member.objects.all():
        joined(member, datetime.date(2020, 1, 1))
    member = world.member_a1_other
    left_on = this_month().start  # the first day of this month: last month ended with them on the roll
    MembershipEvent.objects.create(
        member=member, organization=world.branch_a1, kind=MembershipEvent.Kind.TRANSFERRED_OUT, on=left_on
    )
    Member.objects.filter(pk=member.pk).update(status=Member.Status.TRANSFERRED_OUT)
    scope = StatScope.of(world.district_a)
    last = member_figures(scope, last_month(), today=today(), live=True)
    now = member_figures(scope, this_month(), today=today(), live=True)
    assert last["total"] == now["total"] + 1
    assert member.pk in on_roll(world.branch_a1, last_month().end - D(days=1))
    assert member.pk not in on_roll(world.branch_a1, today())


def test_a_past_periods_report_stock_equals_the_history(world):
    for member in Member.objects.all():
        joined(member, datetime.date(2020, 1, 1))
    late = MemberFactory(organization=world.branch_a2)
    joined(late, this_month().start)  # joined this month: not in last month's stock
    gone = world.member_a2
    MembershipEvent.objects.create(
        member=gone, organization=world.branch_a2, kind=MembershipEvent.Kind.REMOVED, on=this_month().start
    )
    Member.objects.filter(pk=gone.pk).update(status=Member.Status.REMOVED)
    scope = StatScope.of(world.district_a)
    report = build_report(scope=scope, period=last_month())
    day = last_month().end - D(days=1)
    expected = selectors.members_at(scope.organizations().values("pk"), day)
    assert report.data["members"]["total"] == expected.count()
    assert gone.pk in set(expected.values_list("pk", flat=True))
    assert late.pk not in set(expected.values_list("pk", flat=True))
    by_stage = {stage: expected.filter(stage=stage).count() for stage in Stage.values}
    assert report.data["members"]["by_stage"] == by_stage


def test_members_without_history_count_as_their_record_says(world):
    # Bulk-created rows (the demo seed) have no events: today's record stands for every day.
    assert on_roll(world.branch_a1, datetime.date(2021, 1, 1)) == {world.member_a1.pk, world.member_a1_other.pk}
    Member.objects.filter(pk=world.member_a1.pk).update(status=Member.Status.FLOWING)
    assert on_roll(world.branch_a1, today()) == {world.member_a1_other.pk}


def test_the_backfill_gives_todays_roll(world, approved):
    """The data migration, run on today's tables: one joining per member, the completed
    transfers, and the status the record holds."""
    actions.transfer_accept(transfer=approved, by=world.secretary_b)
    MembershipEvent.objects.all().delete()
    Member.objects.filter(pk=world.member_a2.pk).update(status=Member.Status.FLOWING)
    migration = importlib.import_module("members.migrations.0007_backfill_membership_history")
    migration.backfill(apps, None)
    member = world.member_a1
    assert [k for k, _org in kinds(member)] == ["joined", "transferred_out", "transferred_in"]
    assert selectors.membership_history(member)[0].on == datetime.date(2015, 3, 1)
    assert kinds(world.member_a2)[-1] == ("flowing", world.branch_a2.pk)
    for org in (world.branch_a1, world.branch_a2, world.branch_b, world.group_a1):
        active = set(Member.objects.filter(organization=org, status="active").values_list("pk", flat=True))
        assert on_roll(org, today()) == active
    migration.backfill(apps, None)  # again: nothing more
    assert MembershipEvent.objects.filter(member=member).count() == 3


# --- lapse risk: from joining the branch, approved leave, a fixed number of queries ---------------


def registered(member, days):
    Member.objects.filter(pk=member.pk).update(created_at=timezone.now() - D(days=days))


def test_lapse_counts_from_joining_the_branch(world, approved):
    member = world.member_a1
    registered(member, 400)
    joined(member, datetime.date(2020, 1, 1))
    risks = {r.member.pk: r.grounds for r in selectors.lapse_risks([world.branch_a1.pk])}
    assert set(risks[member.pk]) == {LapseGround.NO_LIFE, LapseGround.NO_DUES}
    actions.transfer_accept(transfer=approved, by=world.secretary_b)  # transferred in today
    assert member.pk not in {r.member.pk for r in selectors.lapse_risks([world.branch_b.pk])}


def test_registered_yesterday_is_not_flagged(world):
    member = world.member_a1_other
    registered(member, 1)
    joined(member, datetime.date(2010, 1, 1))
    assert member.pk not in {r.member.pk for r in selectors.lapse_risks([world.branch_a1.pk])}


def test_leave_excludes_months_and_a_flowing_member_without_one_is_flagged(world):
    member = world.member_a1_other
    registered(member, 400)
    Member.objects.filter(pk=member.pk).update(status=Member.Status.FLOWING)
    risks = {r.member.pk: r.grounds for r in selectors.lapse_risks([world.branch_a1.pk])}
    assert set(risks[member.pk]) == {LapseGround.NO_LIFE, LapseGround.NO_DUES}
    MemberLeave.objects.create(
        member=member, kind=MemberLeave.Kind.ABROAD, starts_on=today() - D(days=300), arrangement="出国留学，支部批准"
    )
    assert member.pk not in {r.member.pk for r in selectors.lapse_risks([world.branch_a1.pk])}
    leave = MemberLeave(member=member, kind="flowing", starts_on=today(), ends_on=today() - D(days=1), arrangement=" ")
    with pytest.raises(ValidationError) as error:
        leave.full_clean()
    assert {"arrangement", "ends_on"} <= set(error.value.message_dict)


def test_lapse_risks_run_two_queries_whatever_the_members(world, django_assert_num_queries):
    members = [MemberFactory(organization=world.branch_a1) for _ in range(8)]
    for member in members:
        registered(member, 400)
        joined(member, datetime.date(2020, 1, 1))
    MemberLeave.objects.create(member=members[0], kind="abroad", starts_on=today() - D(days=399), arrangement="出国")
    with django_assert_num_queries(2):
        risks = selectors.lapse_risks([world.branch_a1.pk, world.group_a1.pk])
    flagged = {r.member.pk for r in risks}
    assert {m.pk for m in members[1:]} <= flagged
    assert members[0].pk not in flagged
    with django_assert_num_queries(2):
        rows = selectors.branch_dues([world.branch_a1.pk])
    assert {r.member.pk for r in rows if r.lapse_risk} == flagged & {r.member.pk for r in rows}


def test_the_branch_page_shows_the_grounds(client, world):
    member = world.member_a1_other
    registered(member, 400)
    client.force_login(world.secretary)
    page = client.get(reverse("members:branch", args=[world.branch_a1.pk])).content.decode()
    since = (today() - D(days=400)).isoformat()
    assert f"no organisation life since {since}" in page
    assert "dues not covered since" in page
    assert Transfer.objects.count() == 0


def test_back_office_lists_the_history_and_records_leave_within_the_park(client, world):
    joined(world.member_a1, datetime.date(2020, 1, 1))
    joined(world.member_b, datetime.date(2020, 1, 1))
    client.force_login(world.park_admin)
    events = client.get(reverse("admin:members_membershipevent_changelist"))
    assert events.status_code == 200
    assert world.member_a1.name in events.content.decode()
    assert world.member_b.name not in events.content.decode()
    add = reverse("admin:members_memberleave_add")
    data = {"kind": "abroad", "starts_on": (today() - D(days=10)).isoformat(), "arrangement": "赴外学习，支部批准"}
    refused = client.post(add, {**data, "member": world.member_b.pk})
    assert refused.status_code == 200  # not a choice: another district's member
    assert not MemberLeave.objects.exists()
    assert client.post(add, {**data, "member": world.member_a1.pk}).status_code == 302
    leave = MemberLeave.objects.get()
    assert leave.recorded_by == world.park_admin
    assert client.get(reverse("admin:members_memberleave_changelist")).status_code == 200
    assert client.get(reverse("admin:members_member_change", args=[world.member_a1.pk])).status_code == 200
