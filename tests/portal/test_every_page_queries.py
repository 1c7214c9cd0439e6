"""Every page of every role's menu costs the same number of queries with more data (issue #16).

The demo world is seeded; each demo login reads each page of its menu (portal.navigation, so a new
page is covered the day it enters a menu) and the dashboard's sections; then every growing kind of
row is added in each login's scope (members, activities with attendance and files, transfers,
service requests, applicants, contacts, notifications) and each page is read again. The first
reads show 2 rows a page, the second 20 (every paginated list), so a per-row read shows even where
the demo already fills a page. A page whose
count moved reads something per row (an N+1) or lists a table without paging: the test names each.
"""

import datetime
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.paginator import Paginator
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.scope import scope_for
from portal.navigation import items_for
from tests.api.test_every_list_queries import more_rows

pytestmark = pytest.mark.django_db

ROLES = ["admin", "official", "parkadmin", "secretary", "service", "member", "contact"]


def pages_of(user):
    urls = {"/"}
    for item in items_for(scope_for(user)):
        urls.add(item["url"])
    return sorted(urls)


def sections_of(client):
    """The dashboard's sections (loaded by requests of their own) and drill-downs of its figures."""
    response = client.get(reverse("dashboard_home"))
    if response.status_code != 302:
        return []
    dashboard = response.url.split("?")[0]
    rows = [f"{dashboard}rows/{figure}/" for figure in ("members", "activities", "attendance", "requests_open")]
    return [dashboard, f"{dashboard}alerts/", f"{dashboard}compliance/", *rows]


def grow(n):
    """More rows of every growing kind, in the demo logins' scopes."""
    from activities.models import Activity, Attendance
    from members.models import Member
    from parks.models import Organization
    from tests.activities.factories import ActivityFactory, AttendanceFactory
    from tests.factories import MemberFactory
    from tests.services.factories import ServiceRequestFactory

    users = get_user_model().objects.in_bulk(ROLES, field_name="username")
    branch = Organization.objects.visible_to(users["secretary"]).filter(kind=Organization.Kind.BRANCH).order_by("pk")[0]
    members = MemberFactory.create_batch(n, organization=branch)
    for i in range(n):
        activity = ActivityFactory(
            host=branch, title=f"增长活动{i}", starts_at=datetime.datetime(2026, 3, 1 + i, 14, tzinfo=datetime.UTC)
        )
        for member in members:
            AttendanceFactory(activity=activity, member=member, status=Attendance.Status.PRESENT)
    member = Member.objects.filter(user=users["member"]).first()
    if member is not None:
        for activity in Activity.objects.filter(host=branch, title__startswith="增长活动"):
            if activity.host_id == member.organization_id:
                AttendanceFactory(activity=activity, member=member)
    from parks.models import Enterprise

    for enterprise in Enterprise.objects.visible_to(users["parkadmin"]).order_by("pk")[:n]:
        ServiceRequestFactory(enterprise=enterprise)
    more_rows(n)


def count(client, url):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code in (200, 302), (url, response.status_code)
    return len(captured)


ORIGINAL_INIT = Paginator.__init__


def pages_of_size(monkeypatch, size):
    """Every paginated list shows ``size`` rows a page (the pages' own sizes differ)."""
    original = ORIGINAL_INIT

    def init(self, object_list, per_page, *args, **kwargs):
        original(self, object_list, size, *args, **kwargs)

    monkeypatch.setattr(Paginator, "__init__", init)


def test_every_menu_page_costs_the_same_queries_with_more_rows(client, django_capture_on_commit_callbacks, monkeypatch):
    call_command("seed_demo", stdout=StringIO())
    users = get_user_model().objects.in_bulk(ROLES, field_name="username")
    assert set(users) == set(ROLES), "the demo's logins changed: update ROLES"
    plan = {role: pages_of(users[role]) for role in ROLES}

    def measure():
        found = {}
        for role in ROLES:
            client.force_login(users[role])
            for url in plan[role] + sections_of(client):
                count(client, url)  # the first read fills per-process caches (cached figures, ...)
                found[role, url] = count(client, url)
        return found

    # Few rows a page on the demo, then many rows a page on more data: a per-row read shows either way.
    pages_of_size(monkeypatch, 2)
    before = measure()
    with django_capture_on_commit_callbacks(execute=True):
        grow(4)
    pages_of_size(monkeypatch, 20)
    after = measure()
    moved = [
        (role, url, before[role, url], after[role, url])
        for role, url in before
        if before[role, url] != after[role, url]
    ]
    assert moved == []
    assert len(before) >= 40  # every role's menu was read
