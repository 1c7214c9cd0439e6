"""A member's branch records a change of status on the member's page, on the day it happened
(members.actions.member_status_change): gone flowing, deceased, removed, back on the roll. The
roll of every day before stays as it was; the figures follow from that day on."""

import datetime
import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import translation

from members import actions, selectors
from members.models import Member, MembershipEvent
from stats.basis import StatScope
from stats.statistics import Period, member_figures
from tests.clock import today

pytestmark = pytest.mark.django_db
D = datetime.timedelta
JOINED = datetime.date(2020, 1, 1)


@pytest.fixture
def member(world):
    actions.member_registered(member=world.member_a1, joined_on=JOINED)
    return world.member_a1


def on_roll(org, day):
    return set(selectors.members_at([org.pk], day).values_list("pk", flat=True))


def page(client, member):
    return reverse("members:member_lifecycle", args=[member.pk])


def post(client, member, **data):
    url = reverse("members:member_act", args=[member.pk, "status"])
    html = client.get(page(client, member)).content.decode()
    token = re.search(r'id="form-status".*?name="idempotency_token" value="(\w+)"', html, re.S).group(1)
    return client.post(url, {f"status-{k}": v for k, v in data.items()} | {"idempotency_token": token})


def test_a_death_on_a_past_day_leaves_the_roll_of_the_days_before(client, world, member):
    died = today() - D(days=40)
    client.force_login(world.secretary)
    response = post(client, member, status="deceased", on=died.isoformat(), note="")
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.status == Member.Status.DECEASED
    event = MembershipEvent.objects.filter(member=member).latest("pk")
    assert (event.kind, event.on, event.recorded_by) == ("deceased", died, world.secretary)
    # The day before, of and after: on the roll, then not.
    assert member.pk in on_roll(world.branch_a1, died - D(days=1))
    assert member.pk not in on_roll(world.branch_a1, died)
    assert member.pk not in on_roll(world.branch_a1, died + D(days=1))
    # The figures of a month ended before the death count them; this month's do not.
    scope = StatScope.of(world.branch_a1)
    before = Period("month", (died - D(days=35)).replace(day=1))
    now = Period("month", today().replace(day=1))
    assert member_figures(scope, before, live=True)["total"] - member_figures(scope, now, live=True)["total"] == 1
    shown = client.get(page(client, member)).content.decode()
    assert 'id="member-status"' in shown
    history = re.search(r'id="membership-history">(.*?)</ul>', shown, re.S).group(1)
    assert f"{died:%Y-%m-%d} · deceased · {world.branch_a1.name}" in history
    assert f"{JOINED:%Y-%m-%d} · joined" in history


def test_the_page_offers_the_step_with_the_other_statuses_only(client, world, member):
    client.force_login(world.secretary)
    html = client.get(page(client, member)).content.decode()
    form = re.search(r'id="form-status".*?</form>', html, re.S).group(0)
    assert re.findall(r'<option value="(\w+)"', form) == ["flowing", "deceased", "removed"]
    with translation.override("zh-hans"):
        client.cookies["django_language"] = "zh-hans"
        html = client.get(page(client, member), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "记录状态变更" in html
    assert "组织关系记录" in html


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [  # "on" as days from today (read when the test runs), or a date
        ({"status": "flowing", "on": 1}, "on", "future"),
        ({"status": "flowing", "on": JOINED - D(days=1)}, "on", "2020-01-01"),
        ({"status": "removed", "on": 0, "note": "  "}, "note", "grounds"),
        ({"status": "active", "on": 0, "note": "x"}, "status", "valid choice"),
        ({"status": "transferred_out", "on": 0}, "status", "valid choice"),
    ],
)
def test_a_refused_change_says_why_and_changes_nothing(client, world, member, data, field, message):
    on = data["on"]
    data = data | {"on": (today() + D(days=on) if isinstance(on, int) else on).isoformat()}
    client.force_login(world.secretary)
    events = MembershipEvent.objects.count()
    response = post(client, member, **data)
    assert response.status_code == 400
    errors = re.search(r'id="form-status".*?</form>', response.content.decode(), re.S).group(0)
    assert message in errors
    member.refresh_from_db()
    assert member.status == Member.Status.ACTIVE
    assert MembershipEvent.objects.count() == events


def test_back_on_the_roll_with_grounds_and_the_history_in_order(world, member):
    gone = today() - D(days=100)
    actions.member_status_change(member=member, by=world.secretary, status="flowing", on=gone)
    with pytest.raises(ValidationError) as refused:
        actions.member_status_change(member=member, by=world.secretary, status="active", on=today())
    assert "note" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:  # before the last recorded change
        actions.member_status_change(member=member, by=world.secretary, status="active", on=gone - D(days=1), note="x")
    assert refused.value.message_dict["on"] == [f"On or after {gone:%Y-%m-%d}, the member's last recorded change."]
    actions.member_status_change(member=member, by=world.secretary, status="active", on=gone, note="回流，支部决定")
    member.refresh_from_db()
    assert member.status == Member.Status.ACTIVE
    assert [e.kind for e in selectors.membership_history(member)] == ["joined", "flowing", "restored"]
    assert member.pk in on_roll(world.branch_a1, gone)  # flowing and back the same day: on the roll
    assert member.pk in on_roll(world.branch_a1, gone - D(days=1))
    with pytest.raises(ValidationError) as refused:
        actions.member_status_change(member=member, by=world.secretary, status="active", on=today(), note="x")
    assert refused.value.message_dict["status"] == ["The member's status is already “active”."]


def test_only_the_members_branch_or_park_records_it(world, member):
    with pytest.raises(PermissionDenied):
        actions.member_status_change(member=member, by=world.secretary_b, status="flowing", on=today())
    with pytest.raises(PermissionDenied):
        actions.member_status_change(member=member, by=world.member_user, status="flowing", on=today())
    actions.member_status_change(member=member, by=world.park_admin, status="flowing", on=today())
    member.refresh_from_db()
    assert member.status == Member.Status.FLOWING


def test_another_branch_does_not_reach_the_page(client, world, member):
    client.force_login(world.secretary_b)
    assert client.get(page(client, member)).status_code == 404
    response = client.post(reverse("members:member_act", args=[member.pk, "status"]), {"status-status": "deceased"})
    assert response.status_code == 404
    member.refresh_from_db()
    assert member.status == Member.Status.ACTIVE


def test_not_with_an_open_transfer_nor_for_a_member_transferred_out(world, member):
    transfer = actions.transfer_request(
        member=member, by=world.secretary, reason="工作调动", to_organization=world.branch_a2
    )
    with pytest.raises(ValidationError) as refused:
        actions.member_status_change(member=member, by=world.secretary, status="deceased", on=today())
    assert refused.value.message_dict["status"] == ["This member has an open transfer: finish or cancel it first."]
    actions.transfer_cancel(transfer=transfer, by=world.secretary, note="撤回")
    Member.objects.filter(pk=member.pk).update(status=Member.Status.TRANSFERRED_OUT)
    with pytest.raises(ValidationError) as refused:
        actions.member_status_change(member=member, by=world.secretary, status="active", on=today(), note="x")
    assert "transfer in" in refused.value.message_dict["status"][0]


def test_the_same_form_sent_twice_records_once(client, world, member):
    client.force_login(world.secretary)
    url = reverse("members:member_act", args=[member.pk, "status"])
    html = client.get(page(client, member)).content.decode()
    token = re.search(r'id="form-status".*?name="idempotency_token" value="(\w+)"', html, re.S).group(1)
    data = {"status-status": "flowing", "status-on": today().isoformat(), "idempotency_token": token}
    assert client.post(url, data).status_code == 302
    assert client.post(url, data).status_code == 302
    assert MembershipEvent.objects.filter(member=member, kind="flowing").count() == 1


def test_the_branch_page_lists_those_off_the_roll_with_the_day(client, world, member):
    gone = today() - D(days=5)
    actions.member_status_change(member=member, by=world.secretary, status="flowing", on=gone)
    client.force_login(world.secretary)
    html = client.get(reverse("members:branch", args=[world.branch_a1.pk])).content.decode()
    table = re.search(r'id="off-roll">(.*?)</table>', html, re.S).group(1)
    assert re.findall(r'data-status="(\w+)"', table) == ["flowing"]
    assert member.name in table
    assert f"{gone:%Y-%m-%d}" in table
    assert reverse("members:member_lifecycle", args=[member.pk]) in table


def test_a_member_without_history_keeps_the_days_before_the_change(world):
    # Rows written outside the actions (an old database, a bulk load) have no history at all.
    member = world.member_a1_other
    assert not MembershipEvent.objects.filter(member=member).exists()
    gone = today() - D(days=30)
    assert member.pk in on_roll(world.branch_a1, gone - D(days=1))
    actions.member_status_change(member=member, by=world.secretary, status="deceased", on=gone)
    assert [e.kind for e in selectors.membership_history(member)] == ["joined", "deceased"]
    assert member.pk in on_roll(world.branch_a1, gone - D(days=1))
    assert member.pk not in on_roll(world.branch_a1, gone)


def test_the_dates_offered_are_the_portals_today_after_utc_midnight_differs(client, world, member, monkeypatch):
    """At 17:00 UTC it is already tomorrow in Asia/Shanghai: the status and dues forms offer the
    day of the portal's clock (timezone.localdate), the one the actions check "not in the future"
    against, not the process's local date."""
    evening = datetime.datetime(2031, 3, 1, 17, 0, tzinfo=datetime.UTC)  # 2031-03-02 01:00 in Shanghai
    monkeypatch.setattr("django.utils.timezone.now", lambda: evening)
    client.force_login(world.secretary)
    html = client.get(page(client, member)).content.decode()
    for form in ("status", "dues"):
        fields = re.search(rf'id="form-{form}".*?</form>', html, re.S).group(0)
        assert re.findall(r'type="date" name="[\w-]+" value="([\d-]+)"', fields) == ["2031-03-02"], form


@pytest.mark.parametrize("status", ["deceased", "removed"])
def test_a_login_off_the_roll_opens_no_members_page_until_brought_back(client, world, member, status):
    """The member's own login (world.member_user) loses the member's scope on every door the day
    the branch records the death or the removal, and has it again when the member is back."""
    from core.scope import scope_for
    from tests.api.conftest import token_client

    def doors():
        user = type(world.member_user).objects.get(pk=world.member_user.pk)  # a fresh request's user
        client.force_login(user)
        own = token_client(user).get(reverse("api:member-detail", args=[member.pk]))
        return {
            "member": scope_for(user).is_member,
            "home": "member-off-roll" in client.get(reverse("home")).content.decode(),
            "dues": client.get(reverse("members:my_dues")).status_code,
            "api": own.status_code,
        }

    opened = {"member": True, "home": False, "dues": 200, "api": 200}
    assert doors() == opened
    actions.member_status_change(member=member, by=world.secretary, status="flowing", on=today() - D(days=10))
    assert doors() == opened  # a flowing member is still a member of their branch
    actions.member_status_change(member=member, by=world.secretary, status=status, on=today(), note="支部决定")
    assert doors() == {"member": False, "home": True, "dues": 403, "api": 404}
    client.force_login(world.member_user)
    assert str(Member.Status(status).label) in client.get(reverse("home")).content.decode()
    actions.member_status_change(member=member, by=world.secretary, status="active", on=today(), note="复议恢复")
    assert doors() == opened
