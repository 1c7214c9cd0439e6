"""Names of people (core.people.display_name) everywhere a login is shown, the member's own dues
summary and points history, and the names of downloaded files."""

import datetime
from decimal import Decimal
from urllib.parse import quote

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone, translation

from activities.models import PointEntry
from core import downloads
from core.people import display_name
from members import actions
from members.actions.common import add_months
from members.models import DuesPayment, Member
from services.models import ServiceRequestEvent
from tests.activities.factories import ActivityFactory
from tests.services.factories import RoomBookingFactory, ServiceRequestFactory

# --- display_name -------------------------------------------------------------------------------


def test_chinese_name_is_family_name_first_without_a_space():
    assert display_name(User(username="x", first_name="斌", last_name="余")) == "余斌"


def test_latin_name_is_first_name_first_with_a_space():
    assert display_name(User(username="x", first_name="Anna", last_name="Li")) == "Anna Li"


def test_login_only_when_no_name_is_known():
    assert display_name(User(username="parkadmin")) == "parkadmin"
    assert display_name(User(username="x", last_name="余")) == "余"
    assert display_name(None) == ""


@pytest.mark.django_db
def test_a_login_linked_to_a_member_is_shown_by_the_members_name(world):
    world.member_user.first_name, world.member_user.last_name = "Someone", "Else"
    world.member_user.save()
    assert display_name(User.objects.get(pk=world.member_user.pk)) == "成员A1"
    # Loaded with the user, the member costs no query.
    event_user = User.objects.select_related("member").get(pk=world.member_user.pk)
    assert display_name(event_user) == "成员A1"


# --- pages: 余斌, not 斌 余 ----------------------------------------------------------------------


@pytest.fixture
def yu_bin(world):
    world.secretary.first_name, world.secretary.last_name = "斌", "余"
    world.secretary.save()
    world.park_admin.first_name, world.park_admin.last_name = "斌", "余"
    world.park_admin.save()
    return world


def _shows_yu_bin(page: str):
    assert "余斌" in page
    assert "斌 余" not in page


@pytest.mark.django_db
def test_transfer_timeline_shows_the_secretary_family_name_first(client, yu_bin):
    w = yu_bin
    transfer = actions.transfer_request(
        member=w.member_a1, by=w.member_user, to_organization=w.branch_b, reason="换工作"
    )
    actions.transfer_approve(transfer=transfer, by=w.secretary, valid_months=1)
    client.force_login(w.member_user)
    page = client.get(reverse("members:transfer_detail", args=[transfer.pk])).content.decode()
    _shows_yu_bin(page)
    assert "成员A1" in page  # the member who asked, by their member name


@pytest.mark.django_db
def test_service_request_timeline_shows_the_actor_family_name_first(client, yu_bin):
    w = yu_bin
    request = ServiceRequestFactory(enterprise=w.enterprise_a1, requester=w.member_user)
    ServiceRequestEvent.objects.create(
        request=request, kind=ServiceRequestEvent.Kind.COMMENT, actor=w.park_admin, text="已收到"
    )
    client.force_login(w.park_admin)
    page = client.get(reverse("services:request_detail", args=[request.pk])).content.decode()
    _shows_yu_bin(page)
    assert "成员A1" in page  # the requester, by their member name
    api = client.get(reverse("api:servicerequestevent-list"), {"request": request.pk}).json()
    assert [row["actor_name"] for row in api["results"]] == ["余斌"]


@pytest.mark.django_db
def test_bookings_list_shows_who_booked_family_name_first(client, yu_bin):
    w = yu_bin
    RoomBookingFactory(room=w.room_a1, booked_by=w.secretary, purpose="支部学习")
    client.force_login(w.park_admin)
    page = client.get(reverse("services:booking_list")).content.decode()
    assert "支部学习" in page
    _shows_yu_bin(page)


@pytest.mark.django_db
def test_activity_page_shows_who_logged_it_by_name_not_login(client, yu_bin):
    w = yu_bin
    activity = ActivityFactory(host=w.branch_a1, created_by=w.secretary)
    client.force_login(w.secretary)
    page = client.get(activity.get_absolute_url()).content.decode()
    logged = page.split("登记人")[1][:300] if "登记人" in page else page.split("Logged by")[1][:300]
    assert "余斌" in logged
    assert "secretary" not in logged


# --- the member's dues summary ---------------------------------------------------------------------


def _pay(member, month, *, due="10.00", paid="10.00"):
    DuesPayment.objects.create(
        member=member,
        month=month,
        category=DuesPayment.Category.EMPLOYED,
        monthly_pay=Decimal(1000),
        amount_due=Decimal(due),
        amount_paid=Decimal(paid),
        paid_on=timezone.localdate(),
    )


@pytest.fixture
def payer(world):
    """member_a1, registered in the portal two years ago (the ledger opens then)."""
    Member.objects.filter(pk=world.member_a1.pk).update(created_at=timezone.now() - datetime.timedelta(days=730))
    return world


def _summary(client, user):
    client.force_login(user)
    dues_page = client.get(reverse("members:my_dues")).content.decode()
    home = client.get(reverse("home")).content.decode()
    card = home.split('id="card-member"')[1]
    return dues_page.split('id="dues-summary"')[1][:1500], card.split('id="dues-summary"')[1][:1500]


@pytest.mark.django_db
def test_dues_fully_paid_shows_paid_through_and_nothing_owed(client, payer):
    this_month = timezone.localdate().replace(day=1)
    _pay(payer.member_a1, add_months(this_month, -1))
    for part in _summary(client, payer.member_user):
        assert f"{add_months(this_month, -1):%Y-%m}" in part
        assert 'data-months-owed="0"' in part or "Nothing owed" in part or "无欠缴" in part
        assert "¥" not in part


@pytest.mark.django_db
def test_dues_one_month_owed_shows_the_month_and_the_amount(client, payer):
    this_month = timezone.localdate().replace(day=1)
    _pay(payer.member_a1, add_months(this_month, -2), due="12.50", paid="12.50")
    for part in _summary(client, payer.member_user):
        assert f"{add_months(this_month, -2):%Y-%m}" in part  # paid through
        assert f"{add_months(this_month, -1):%Y-%m}" in part  # the month owed
        assert "¥12.50" in part


@pytest.mark.django_db
def test_dues_owed_on_a_part_paid_month_is_what_is_left(client, payer):
    this_month = timezone.localdate().replace(day=1)
    _pay(payer.member_a1, add_months(this_month, -2))
    _pay(payer.member_a1, add_months(this_month, -1), due="10.00", paid="4.00")
    for part in _summary(client, payer.member_user):
        assert "¥6.00" in part


@pytest.mark.django_db
def test_dues_paid_ahead(client, payer):
    this_month = timezone.localdate().replace(day=1)
    _pay(payer.member_a1, add_months(this_month, 2))
    for part in _summary(client, payer.member_user):
        assert f"{add_months(this_month, 2):%Y-%m}" in part
        assert "¥" not in part
        assert "paid ahead" in part or "已预缴" in part


@pytest.mark.django_db
def test_home_card_has_shortcuts_to_transfer_dues_and_points(client, world):
    client.force_login(world.member_user)
    card = client.get(reverse("home")).content.decode().split('id="member-shortcuts"')[1][:1500]
    for name in ("members:transfer_mine", "members:my_dues", "activities:points"):
        assert f'href="{reverse(name)}"' in card


# --- points history: the date of the activity ---------------------------------------------------


@pytest.mark.django_db
def test_points_history_shows_the_activity_date_not_the_award_time(client, world):
    held = datetime.datetime(2026, 3, 5, 19, 0, tzinfo=timezone.get_current_timezone())
    activity = ActivityFactory(host=world.branch_a1, starts_at=held, title="三月党员大会")
    entry = PointEntry.objects.create(
        member=world.member_a1, activity=activity, points=2, reason=PointEntry.Reason.AWARD
    )
    awarded = timezone.localtime(entry.created_at).date()
    assert awarded != held.date()
    client.force_login(world.member_user)
    history = client.get(reverse("activities:points")).content.decode().split('id="points-history"')[1]
    assert "2026-03-05" in history
    assert f"{awarded:%Y-%m-%d}" not in history


# --- download names --------------------------------------------------------------------------------


def test_content_disposition_has_the_utf8_name_and_an_ascii_fallback():
    header = downloads.content_disposition("党员名册-2026-11-30.xlsx", fallback="hongfan-members-2026-11-30.xlsx")
    assert header == (
        "attachment; filename=\"hongfan-members-2026-11-30.xlsx\"; filename*=UTF-8''"
        + quote("党员名册-2026-11-30.xlsx")
    )
    assert downloads.content_disposition("Party members-2026.xlsx") == (
        "attachment; filename=\"Party-members-2026.xlsx\"; filename*=UTF-8''Party%20members-2026.xlsx"
    )
    assert downloads.file_name('a/b"c', "2026", extension="csv") == "a_b_c-2026.csv"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "export_name", "template_name"),
    [
        ("zh-hans", "党员名册-{day}.xlsx", "党员名册-导入模板.csv"),
        ("en", "Party member roll-{day}.xlsx", "Party member roll-import template.csv"),
    ],
)
def test_downloads_are_named_in_the_readers_language(client, world, language, export_name, template_name):
    client.force_login(world.secretary)
    day = timezone.localdate().isoformat()
    with translation.override(language):
        export = client.get(reverse("export", args=["members"]), HTTP_ACCEPT_LANGUAGE=language)
        template = client.get(reverse("import_template", args=["members", "csv"]), HTTP_ACCEPT_LANGUAGE=language)
    assert export.status_code == 200, export.content[:300]
    assert f"filename*=UTF-8''{quote(export_name.format(day=day))}" in export["Content-Disposition"]
    assert f'filename="hongfan-members-{day}.xlsx"' in export["Content-Disposition"]
    assert f"filename*=UTF-8''{quote(template_name)}" in template["Content-Disposition"]
    assert 'filename="hongfan-members-template.csv"' in template["Content-Disposition"]
