"""Issue 5 acceptance: an enterprise contact submits a financing request on a phone, the park
administrator assigns it to the finance team, a team member resolves it and the contact closes it
with a rating of 5."""

import pytest

from accounts.models import Role
from notifications.models import Notification
from services.models import EnterpriseContact, ServiceRequest, ServiceTeam
from tests.factories import EnterpriseFactory, ParkFactory, UserFactory, assign
from tests.services.factories import category

from .conftest import DESKTOP, PHONE, login, screenshot


@pytest.fixture
def park(transactional_db):
    park = ParkFactory(name="乌镇互联网产业园")
    enterprise = EnterpriseFactory(name="乌镇云商科技有限公司", park=park)
    contact = UserFactory(username="contact", first_name="联络员")
    EnterpriseContact.objects.create(user=contact, enterprise=enterprise)
    assign(UserFactory(username="parkadmin"), Role.PARK_ADMIN, park)
    service = assign(UserFactory(username="service"), Role.SERVICE_STAFF, park)
    finance = ServiceTeam.objects.create(park=park, name="金融服务队", kind="finance")
    finance.members.add(service)
    ServiceTeam.objects.create(park=park, name="法律服务队", kind="legal")
    other = ParkFactory(name="嘉兴电子商务产业园")
    assign(UserFactory(username="parkadmin2"), Role.PARK_ADMIN, other)
    return {"finance": finance, "category": category("ecommerce-policy", "电商政策咨询")}


def test_financing_request_from_submission_to_rating(new_page, park):
    # 1. The enterprise contact submits the request on a phone.
    page = new_page(viewport=PHONE)
    login(page, "contact")
    page.goto("/services/requests/new/")
    page.select_option("#id_category", str(park["category"].pk))
    page.fill("#id_title", "申请流动资金贷款")
    page.fill("#id_description", "618 备货需要 50 万元流动资金，想了解园区的贷款贴息政策。")
    page.select_option("#id_urgency", "high")
    screenshot(page, "services-1-submit-phone")
    page.click("#submit-request")
    page.wait_for_load_state("networkidle")
    request = ServiceRequest.objects.get()
    assert page.url.endswith(f"/services/requests/{request.pk}/")
    assert request.enterprise.name == "乌镇云商科技有限公司"  # the contact's only enterprise, preselected

    # Another park's administrator cannot open it.
    other = new_page()
    login(other, "parkadmin2")
    assert other.goto(f"/services/requests/{request.pk}/").status == 404

    # 2. The park administrator finds it in the queue and assigns it to the finance team.
    admin = new_page(viewport=DESKTOP)
    login(admin, "parkadmin")
    admin.goto("/services/queue/")
    admin.click(f'[data-request="{request.pk}"]')
    admin.select_option("#assign-form select[name=team]", str(park["finance"].pk))
    admin.click("#assign-form button[type=submit]")
    admin.wait_for_load_state("networkidle")
    assert admin.locator("#request-team").inner_text() == "金融服务队"
    screenshot(admin, "services-2-assigned")

    # 3. A member of the finance team starts and resolves it from the team's queue.
    worker = new_page(viewport=PHONE)
    login(worker, "service")
    worker.goto(f"/services/teams/{park['finance'].pk}/")
    worker.click(f'[data-request="{request.pk}"]')
    worker.click("#request-actions button[value=start]")
    worker.wait_for_load_state("networkidle")
    worker.fill("#resolve-form textarea[name=note]", "已对接农商银行，提交贴息申请材料清单。")
    worker.click("#resolve-form button[type=submit]")
    worker.wait_for_load_state("networkidle")
    screenshot(worker, "services-3-resolved-phone")

    # 4. The contact closes it with a rating of 5.
    page.goto(f"/services/requests/{request.pk}/")
    page.click('label[for="rating-5"]')
    page.fill("#close-form textarea[name=comment]", "办理很快，感谢！")
    page.click("#close-form button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert page.locator("#request-rating").inner_text() == "5/5"
    assert page.locator("#timeline li").count() == 6
    screenshot(page, "services-4-closed-phone")

    request.refresh_from_db()
    assert request.status == "closed"
    assert request.rating == 5
    assert request.team == park["finance"]
    assert Notification.objects.filter(recipient__username="service").exists()
    assert Notification.objects.filter(recipient__username="contact").count() == 3  # assigned, started, resolved
