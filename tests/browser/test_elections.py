"""A branch secretary records the branch's election in the browser (on a phone); the park's
administrator finds it from the home card and approves it; the branch's term and committee follow."""

import datetime

import pytest
from django.utils import timezone

from accounts.models import Role
from elections.models import Election
from parks.models import Organization
from parks.rules import add_years
from tests.factories import DistrictFactory, MemberFactory, OrganizationFactory, ParkFactory, UserFactory, assign

from .conftest import PHONE, login, screenshot

pytestmark = pytest.mark.django_db(transaction=True)


def test_secretary_records_an_election_and_the_park_approves_it(new_page):
    district = DistrictFactory(name="桐乡市", code="330483")
    park = ParkFactory(name="乌镇互联网产业园", district=district)
    branch = OrganizationFactory(name="乌镇互联网产业园第一支部", park=park, founded_on=datetime.date(2019, 5, 1))
    members = [MemberFactory(name=name, organization=branch) for name in ("王芳", "李强", "赵敏", "陈杰", "刘洋")]
    for i in range(3):
        MemberFactory(name=f"党员{i}", organization=branch)
    assign(UserFactory(username="secretary"), Role.BRANCH_SECRETARY, branch)
    assign(UserFactory(username="parkadmin"), Role.PARK_ADMIN, park)
    held_on = timezone.localdate() - datetime.timedelta(days=2)

    # 1. The secretary records the election on a phone.
    sp = new_page(viewport=PHONE, locale="zh-CN")
    login(sp, "secretary")
    sp.goto("/elections/")
    sp.click(f"tr[data-org='{branch.code}'] a.btn")
    sp.fill("input[name=held_on]", held_on.isoformat())
    sp.fill("input[name=eligible_voters]", "8")
    sp.fill("input[name=votes_cast]", "8")
    for i, (member, post, votes) in enumerate(
        [(members[0], "secretary", 8), (members[1], "organization", 7), (members[2], "propaganda", 7)]
    ):
        sp.select_option(f"select[name=seats-{i}-member]", str(member.pk))
        sp.select_option(f"select[name=seats-{i}-post]", post)
        sp.fill(f"input[name=seats-{i}-votes]", str(votes))
    screenshot(sp, "elections-1-record-form")
    sp.click("#save-election")
    sp.wait_for_url("**/elections/*/")
    election = Election.objects.get(organization=branch)
    assert election.status == Election.Status.SUBMITTED
    assert sp.locator("#approve").count() == 0  # the branch does not approve its own election
    screenshot(sp, "elections-2-recorded")

    # 2. The park's administrator sees it on the home page and approves it.
    ap = new_page()
    login(ap, "parkadmin")
    ap.goto("/")
    ap.click("#elections-pending")
    ap.wait_for_url("**/elections/inbox/")
    screenshot(ap, "elections-3-inbox")
    ap.click(f"tr[data-election='{election.pk}'] a.btn")
    ap.fill("textarea[name=note]", "同意")
    ap.click("#approve")
    ap.wait_for_url(f"**/elections/{election.pk}/")
    assert ap.locator("[data-status=approved]").count() == 1
    screenshot(ap, "elections-4-approved")

    # 3. The branch's term and secretary follow the election.
    branch = Organization.objects.get(pk=branch.pk)
    assert branch.term_start == held_on
    assert branch.term_end == add_years(held_on, 3)
    assert branch.secretary_id == members[0].pk
    sp.goto(f"/elections/organization/{branch.pk}/")
    assert sp.locator("#current-term [data-post]").count() == 3
    screenshot(sp, "elections-5-committee")
