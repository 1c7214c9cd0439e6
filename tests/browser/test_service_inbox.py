"""Issue 15: the service staff's inbox, on a phone in Chinese. An enterprise contact submits a
request; the park's service staff see it as new (home card and inbox), accept it and assign it to a
team; the team processes and resolves it. Then a room's week view on the phone: a tapped free slot
opens the booking form filled in."""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from accounts.models import Role
from services.models import EnterpriseContact, RoomBooking, ServiceCategory, ServiceRequest, ServiceTeam
from tests.factories import (
    EnterpriseFactory,
    MemberFactory,
    OrganizationFactory,
    ParkFactory,
    RoomFactory,
    UserFactory,
    assign,
)

from .conftest import PHONE, login, screenshot


@pytest.fixture
def park(transactional_db):
    park = ParkFactory(name="乌镇互联网产业园")
    enterprise = EnterpriseFactory(name="乌镇云商科技有限公司", park=park)
    contact = UserFactory(username="contact", first_name="联络员")
    EnterpriseContact.objects.create(user=contact, enterprise=enterprise)
    triager = assign(UserFactory(username="service", first_name="服务专员"), Role.SERVICE_STAFF, park)
    worker = assign(UserFactory(username="legalworker", first_name="法律顾问"), Role.SERVICE_STAFF, park)
    legal = ServiceTeam.objects.create(park=park, name="法律服务队", kind="legal")
    legal.members.add(worker)
    finance = ServiceTeam.objects.create(park=park, name="金融服务队", kind="finance")
    finance.members.add(triager)
    category = ServiceCategory.objects.get_or_create(
        code="legal", defaults={"name": "法律服务", "name_en": "Legal services", "position": 110}
    )[0]
    branch = OrganizationFactory(park=park)
    MemberFactory(organization=branch, user=UserFactory(username="member"))
    room = RoomFactory(name="党群活动室", park=park, capacity=20)
    return {"legal": legal, "category": category, "room": room}


def test_service_staff_inbox_from_new_request_to_resolution(new_page, park):
    # The contact submits a request on a phone.
    contact = new_page(viewport=PHONE, locale="zh-CN")
    login(contact, "contact")
    contact.goto("/services/requests/new/")
    contact.select_option("#id_category", str(park["category"].pk))
    contact.fill("#id_title", "网店商标被抢注")
    contact.fill("#id_description", "我们的网店品牌被他人抢注商标，如何维权？")
    contact.click("#submit-request")
    contact.wait_for_load_state("networkidle")
    request = ServiceRequest.objects.get()

    # The service staff's home card counts it as new; the menu leads to the inbox.
    staff = new_page(viewport=PHONE, locale="zh-CN")
    login(staff, "service")
    staff.goto("/")
    assert staff.locator("#card-inbox-new .fs-4").inner_text() == "1"
    screenshot(staff, "inbox-1-home-card-zh-phone")
    staff.click("#card-inbox-new")
    staff.wait_for_load_state("networkidle")
    assert "网店商标被抢注" in staff.locator("#request-rows").inner_text()
    screenshot(staff, "inbox-2-new-tab-zh-phone")

    # Accept, then assign to the legal team.
    staff.click(f'[data-request="{request.pk}"]')
    staff.click("#request-actions button[value=accept]")
    staff.wait_for_load_state("networkidle")
    staff.select_option("#assign-form select[name=team]", str(park["legal"].pk))
    staff.click("#assign-form button[type=submit]")
    staff.wait_for_load_state("networkidle")
    assert staff.locator("#request-team").inner_text() == "法律服务队"
    screenshot(staff, "inbox-3-assigned-zh-phone")
    staff.goto("/services/inbox/?tab=new")
    assert "网店商标被抢注" not in staff.locator("#request-rows").inner_text()

    # The legal team's member finds it in their team's tab, starts and resolves it.
    worker = new_page(viewport=PHONE, locale="zh-CN")
    login(worker, "legalworker")
    worker.goto("/services/inbox/?tab=team")
    worker.click(f'[data-request="{request.pk}"]')
    worker.click("#request-actions button[value=start]")
    worker.wait_for_load_state("networkidle")
    worker.fill("#resolve-form textarea[name=note]", "已协助提交商标异议申请。")
    worker.click("#resolve-form button[type=submit]")
    worker.wait_for_load_state("networkidle")
    request.refresh_from_db()
    assert request.status == "resolved"
    assert [e.kind for e in request.events.order_by("created_at", "pk")] == [
        "submitted",
        "accepted",
        "assigned",
        "started",
        "resolved",
    ]
    screenshot(worker, "inbox-4-resolved-zh-phone")


def test_room_week_on_a_phone_opens_the_form_at_the_tapped_slot(new_page, park):
    room = park["room"]
    day = timezone.localdate() + datetime.timedelta(days=2)
    tz = timezone.get_current_timezone()
    member = get_user_model().objects.get(username="member")
    RoomBooking.objects.create(
        room=room,
        booked_by=member,
        purpose="支部学习",
        starts_at=datetime.datetime.combine(day, datetime.time(10), tzinfo=tz),
        ends_at=datetime.datetime.combine(day, datetime.time(11), tzinfo=tz),
        status="confirmed",
    )
    page = new_page(viewport=PHONE, locale="zh-CN")
    login(page, "member")
    page.goto(f"/services/rooms/{room.pk}/?week={day.isoformat()}")
    screenshot(page, "week-1-room-zh-phone")
    slot = page.locator(f'[data-slot="{day.isoformat()}T14:00"]')
    slot.scroll_into_view_if_needed()
    slot.click()
    page.wait_for_load_state("networkidle")
    assert page.input_value("#id_day") == day.isoformat()
    assert page.input_value("#id_start") == "14:00"
    assert page.input_value("#id_end") == "15:00"
    screenshot(page, "week-2-form-prefilled-zh-phone")
    # No sideways scroll of the page itself: only the week grid scrolls.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
