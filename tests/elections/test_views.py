"""The election pages: record (secretary), the history, the inbox and the decision (level above)."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from elections.models import Election
from parks.models import Organization
from tests.factories import MemberFactory

from .conftest import record

pytestmark = pytest.mark.django_db


def seat_data(rows, *, total=7):
    data = {
        "seats-TOTAL_FORMS": str(total),
        "seats-INITIAL_FORMS": "0",
        "seats-MIN_NUM_FORMS": "0",
        "seats-MAX_NUM_FORMS": "7",
    }
    for i in range(total):
        member, post, votes = rows[i] if i < len(rows) else ("", "member", "")
        data[f"seats-{i}-member"] = str(member.pk) if member else ""
        data[f"seats-{i}-post"] = post
        data[f"seats-{i}-votes"] = str(votes) if votes != "" else ""
    return data


def election_post(rows, **overrides):
    data = {
        "held_on": (timezone.localdate() - datetime.timedelta(days=2)).isoformat(),
        "method": "members_congress",
        "eligible_voters": "8",
        "votes_cast": "8",
        "competitive": "on",
        "notes": "",
        **seat_data(rows),
    }
    data.update(overrides)
    return data


def test_secretary_records_an_election_on_the_page(client, world, branch_members):
    client.force_login(world.secretary)
    url = reverse("elections:record", args=[world.branch_a1.pk])
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    # The member select lists the organisation's full members (its party group's too), no one else.
    assert "成员A1乙" in html
    assert "小组成员" in html
    assert "成员A2" not in html
    assert "成员B" not in html
    rows = [
        (branch_members[0], "secretary", 8),
        (branch_members[1], "organization", 7),
        (branch_members[2], "propaganda", 6),
    ]
    response = client.post(url, election_post(rows))
    election = Election.objects.get(organization=world.branch_a1)
    assert response.status_code == 302
    assert response["Location"] == reverse("elections:detail", args=[election.pk])
    assert election.status == Election.Status.SUBMITTED
    assert election.seats.count() == 3
    detail = client.get(response["Location"]).content.decode()
    assert "awaiting approval" in detail
    assert 'id="approve"' not in detail  # the organisation's own secretary does not decide


def test_refusals_are_form_errors_with_400(client, world, branch_members):
    client.force_login(world.secretary)
    url = reverse("elections:record", args=[world.branch_a1.pk])
    two_secretaries = [(branch_members[0], "secretary", ""), (branch_members[1], "secretary", "")]
    response = client.post(url, election_post(two_secretaries))
    assert response.status_code == 400
    assert "Exactly one elected member is the secretary." in response.content.decode()
    future = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    response = client.post(url, election_post([(branch_members[0], "secretary", "")], held_on=future))
    assert response.status_code == 400
    assert "cannot be recorded before it is held" in response.content.decode()
    # A member outside the organisation is not a choice of the select.
    response = client.post(url, election_post([(world.member_b, "secretary", "")]))
    assert response.status_code == 400
    response = client.post(url, {"held_on": "not a date", **seat_data([])})
    assert response.status_code == 400
    response = client.post(url, {})  # no management form
    assert response.status_code == 400
    assert not Election.objects.exists()


def test_record_page_is_for_those_who_record(client, world):
    url = reverse("elections:record", args=[world.branch_a1.pk])
    client.force_login(world.official)
    assert client.get(url).status_code == 403
    client.force_login(world.secretary_b)
    assert client.get(url).status_code == 404  # outside the scope: not found
    client.force_login(world.secretary)
    assert client.get(reverse("elections:record", args=[world.group_a1.pk])).status_code == 403


def test_approver_inbox_approve_and_reject(client, world, branch_members):
    election = record(world, branch_members[:3])
    client.force_login(world.park_admin)
    inbox = client.get(reverse("elections:inbox"))
    assert inbox.status_code == 200
    assert f'data-election="{election.pk}"' in inbox.content.decode()
    home = client.get(reverse("home")).content.decode()
    assert 'id="elections-pending"' in home
    detail = client.get(reverse("elections:detail", args=[election.pk])).content.decode()
    assert 'id="approve"' in detail
    assert 'id="reject"' in detail

    response = client.post(reverse("elections:act", args=[election.pk, "reject"]), {"reason": ""})
    assert response.status_code == 400
    assert Election.objects.get(pk=election.pk).status == Election.Status.SUBMITTED
    response = client.post(reverse("elections:act", args=[election.pk, "approve"]), {"note": "同意"})
    assert response.status_code == 302
    assert Election.objects.get(pk=election.pk).status == Election.Status.APPROVED
    assert Organization.objects.get(pk=world.branch_a1.pk).term_start == election.held_on
    # Decided: gone from the inbox; approving again is refused with 400.
    assert f'data-election="{election.pk}"' not in client.get(reverse("elections:inbox")).content.decode()
    assert client.post(reverse("elections:act", args=[election.pk, "approve"]), {}).status_code == 400
    assert client.post(reverse("elections:act", args=[election.pk, "unknown"]), {}).status_code == 404


def test_reject_with_a_reason(client, world, branch_members):
    election = record(world, branch_members[:3])
    client.force_login(world.official)
    response = client.post(reverse("elections:act", args=[election.pk, "reject"]), {"reason": "到会人数不足"})
    assert response.status_code == 302
    election.refresh_from_db()
    assert (election.status, election.decision_note) == (Election.Status.REJECTED, "到会人数不足")


def test_own_secretary_posting_approve_gets_400(client, world, branch_members):
    election = record(world, branch_members[:3])
    client.force_login(world.secretary)
    response = client.post(reverse("elections:act", args=[election.pk, "approve"]), {})
    assert response.status_code == 400
    assert Election.objects.get(pk=election.pk).status == Election.Status.SUBMITTED
    client.force_login(world.secretary_b)
    assert client.get(reverse("elections:detail", args=[election.pk])).status_code == 404


def test_organisation_page_shows_the_current_committee_and_history(
    client, world, branch_members, django_assert_max_num_queries
):
    from elections import actions

    old = record(world, branch_members[3:4], posts=("secretary",), held_on=datetime.date(2021, 3, 1))
    actions.election_approve(election=old, by=world.park_admin)
    new = record(world, branch_members[:3])
    actions.election_approve(election=new, by=world.park_admin)
    client.force_login(world.member_user)  # a member sees their branch's committee
    url = reverse("elections:organization", args=[world.branch_a1.pk])
    with django_assert_max_num_queries(12):
        page = client.get(url)
    html = page.content.decode()
    assert page.status_code == 200
    assert html.count('data-post="secretary"') == 1  # the current committee only
    assert f'data-election="{old.pk}"' in html
    assert f'data-election="{new.pk}"' in html
    assert 'id="record-election"' not in html
    client.force_login(world.secretary)
    assert 'id="record-election"' in client.get(url).content.decode()


def test_index_lists_the_organisations_with_their_term(client, world, django_assert_max_num_queries):
    for i in range(3):
        MemberFactory(organization=world.branch_a1, name=f"其他{i}")
    client.force_login(world.park_admin)
    with django_assert_max_num_queries(10):
        page = client.get(reverse("elections:index"))
    assert page.status_code == 200
    assert f'data-org="{world.branch_a1.code}"' in page.content.decode()
    client.force_login(world.member_user)
    assert client.get(reverse("elections:index")).status_code == 403
