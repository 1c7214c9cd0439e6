"""Every API list reads a page in a number of queries that does not depend on its rows (issue #16).

The demo world is seeded once; then each list of the API (every viewset the router registers, so a
new list is covered the day it is added) is read by each role whose scope shows it more than a few
rows, once with pages of 2 rows and once with pages of 20 rows. A serializer field that reads a
relation per row (an N+1) makes the second read cost more queries than the first: the test names
every list where that happens. tests/api/test_list_scale.py checks the main lists again at two data
sizes, with their exact counts.
"""

import datetime
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core import pagination
from portal.api import build_router

from .conftest import token_client

pytestmark = pytest.mark.django_db

# Demo logins (demo/seed.py), the superuser first: between them every list shows rows to someone.
READERS = ["admin", "official", "parkadmin", "secretary", "service", "member"]
SMALL, LARGE = 1, 20


def list_urls():
    return sorted(
        reverse(f"api:{basename}-list")
        for _prefix, viewset, basename in build_router().registry
        if hasattr(viewset, "list")
    )


@pytest.fixture
def demo(db, django_capture_on_commit_callbacks):
    call_command("seed_demo", stdout=StringIO())
    with django_capture_on_commit_callbacks(execute=True):  # notifications are sent on commit
        more_rows()


def more_rows(n=3):
    """A few rows of the kinds the demo seeds none of (or too few for any one reader), made by the
    portal's own actions where it has them, inside the demo logins' scopes."""
    from activities.models import Activity, ActivityFile
    from members.actions.pipeline import record_application_talk
    from members.actions.transfers import transfer_request
    from members.models import Member, Stage
    from notifications.actions import notify
    from parks.models import Enterprise, Organization
    from tests.factories import MemberFactory
    from tests.services.factories import EnterpriseContactFactory

    users = get_user_model().objects.in_bulk(READERS, field_name="username")
    secretary, parkadmin = users["secretary"], users["parkadmin"]
    branch = Organization.objects.visible_to(secretary).filter(kind=Organization.Kind.BRANCH).order_by("pk").first()
    movers = Member.objects.filter(organization=branch, status=Member.Status.ACTIVE, transfers__isnull=True)
    for member in movers.exclude(user__isnull=False)[:n]:
        transfer_request(
            member=member, by=secretary, reason="工作调动", outside_organization="中共某区某公司支部委员会"
        )
    for i in range(n):
        applicant = MemberFactory(organization=branch, stage=Stage.APPLICANT, applied_on=datetime.date(2026, 1, 5))
        record_application_talk(
            member=applicant, by=secretary, held_on=datetime.date(2026, 1, 20), held_by=f"谈话人{i}"
        )
        EnterpriseContactFactory(enterprise=Enterprise.objects.visible_to(parkadmin).order_by("pk")[i])
    activity = Activity.objects.filter(host=branch).order_by("pk").first()
    for i in range(n):
        ActivityFile.objects.create(
            activity=activity,
            kind=ActivityFile.Kind.ATTACHMENT,
            file=ContentFile(b"minutes", name=f"minutes-{i}.txt"),
            name=f"minutes-{i}.txt",
            size=7,
            uploaded_by=secretary,
        )
    for i in range(n):
        notify(recipients=list(users.values()), title=f"通知{i}")


def read(client, url, page_size, monkeypatch):
    monkeypatch.setattr(pagination.PortalPagination, "page_size", page_size)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code, response.content[:300])
    body = response.json()
    rows = body["results"] if isinstance(body, dict) and "results" in body else body
    return len(captured), len(rows)


def test_every_api_list_reads_a_page_in_queries_independent_of_its_rows(demo, monkeypatch):
    users = get_user_model().objects.in_bulk(READERS, field_name="username")
    assert set(users) == set(READERS), "the demo's logins changed: update READERS"
    clients = {name: token_client(users[name]) for name in READERS}
    growing, checked = [], {}
    for url in list_urls():
        for name in READERS:
            client = clients[name]
            few_queries, few_rows = read(client, url, SMALL, monkeypatch)
            many_queries, many_rows = read(client, url, LARGE, monkeypatch)
            if many_rows <= SMALL:
                continue  # too few rows in this reader's scope to tell
            checked.setdefault(url, []).append(name)
            if many_queries != few_queries:
                growing.append(
                    (url, name, f"{few_rows} rows: {few_queries} queries", f"{many_rows} rows: {many_queries}")
                )
    assert growing == []
    # Every list was read with more rows than a small page by at least one reader: none is untested.
    unread = sorted(set(list_urls()) - set(checked))
    assert unread == [], " ".join(unread)
