"""Through EVERY endpoint of the router, a secretary's (and a member's) token can neither read
nor change rows outside their scope.

The endpoints are read from the router's registry, so a new endpoint is covered without a line
here. The data is the demo data (every app's seed), in which each model has rows in other
branches, parks and districts; an endpoint whose model has no row outside the user's scope fails
the test, so that its coverage is never silently empty — add rows to the app's demo seed or to
``extra_rows`` below.
"""

import pytest
from django.contrib.auth import get_user_model
from django.db.models import Model
from django.urls import reverse

from accounts.models import RoleAssignment
from notifications.models import Notification
from portal import api as portal_api

from .conftest import token_client

ROWS_PER_ENDPOINT = 3
MAX_PAGES = 60

# Catalogues shared by every branch (the same rows for everyone, written by superusers only):
# nothing in them belongs to another branch. For these the test checks that no write gets through.
SHARED_CATALOGUES = {"ComplianceRule", "PointRule", "ServiceCategory"}


def extra_rows():
    """Rows the demo data lacks: another user's notification, transfers and a talk in another district."""
    from members import actions
    from members.models import ApplicationTalk, Member, Transfer

    User = get_user_model()
    Notification.objects.create(recipient=User.objects.get(username="official2"), title="not yours")
    admin = User.objects.get(username="admin")
    elsewhere = RoleAssignment.objects.get(user__username="secretary2").organization
    members = Member.objects.filter(organization=elsewhere, status=Member.Status.ACTIVE).exclude(
        pk__in=Transfer.objects.open().values("member")
    )
    for member in members[:2]:
        actions.transfer_request(member=member, by=admin, outside_organization="省外某支部", reason="调动")
    from activities.models import Activity, ActivityFile

    activity = Activity.objects.filter(host=elsewhere).first()
    if activity is not None:
        ActivityFile.objects.create(
            activity=activity, kind="attachment", file="activities/2026/01/minutes.pdf", name="minutes.pdf", size=10
        )
    applicant = Member.objects.filter(organization=elsewhere, stage="applicant", application_talk__isnull=True).first()
    if applicant is not None:
        ApplicationTalk.objects.create(member=applicant, held_on=applicant.applied_on, held_by="书记")


def endpoints():
    for prefix, viewset, basename in portal_api.router.registry:
        queryset = getattr(viewset, "queryset", None)
        if queryset is None:
            continue  # e.g. users/me: no rows of others at all
        yield pytest.param(prefix, viewset, basename, id=basename)


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    from demo import seed as portal_demo

    with django_db_blocker.unblock():
        from django.db import transaction

        # Seeded once for the module, inside a transaction rolled back at the end.
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            result = portal_demo.seed_core()
            portal_demo.run_app_hooks(stdout=_Null(), logins=result.logins)
            extra_rows()
            yield
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


class _Null:
    def write(self, *args, **kwargs):
        pass


def hidden_rows(model, viewset, user):
    if model is Notification:
        return model.objects.exclude(recipient=user)
    return model.objects.exclude(pk__in=model.objects.visible_to(user).values("pk"))


def snapshot(model, pks):
    return {row["id"]: row for row in model.objects.filter(pk__in=pks).values()}


def listed_ids(client, url):
    ids, pages = set(), 0
    while url and pages < MAX_PAGES:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        data = response.json()
        rows = data["results"] if isinstance(data, dict) and "results" in data else data
        ids |= {row["id"] for row in rows if isinstance(row, dict) and "id" in row}
        url = data.get("next") if isinstance(data, dict) else None
        pages += 1
    return ids


@pytest.mark.django_db
@pytest.mark.parametrize("username", ["secretary", "member"])
@pytest.mark.parametrize(("prefix", "viewset", "basename"), list(endpoints()))
def test_no_door_to_other_branches(demo, username, prefix, viewset, basename):
    user = get_user_model().objects.get(username=username)
    model: type[Model] = viewset.queryset.model
    if model.__name__ in SHARED_CATALOGUES:
        return check_catalogue_read_only(token_client(user), model, basename)
    hidden = list(hidden_rows(model, viewset, user).order_by("pk").values_list("pk", flat=True)[:ROWS_PER_ENDPOINT])
    assert hidden, f"{basename}: no {model.__name__} outside {username}'s scope in the demo data"
    client = token_client(user)
    before = snapshot(model, hidden)
    count_before = model.objects.count()

    # Read: absent from the list, 404 on the detail.
    assert not set(hidden) & listed_ids(client, reverse(f"api:{basename}-list")), basename
    detail_actions = [a for a in viewset.get_extra_actions() if a.detail]
    for pk in hidden:
        url = reverse(f"api:{basename}-detail", kwargs={"pk": pk})
        assert client.get(url).status_code == 404, (basename, pk)
        # Change: update, delete and every workflow step refuse, and nothing changes.
        for method in ("put", "patch", "delete"):
            status = getattr(client, method)(url, {}, format="json").status_code
            assert status in (403, 404, 405), (basename, method, pk, status)
        for extra in detail_actions:
            step_url = reverse(f"api:{basename}-{extra.url_name}", kwargs={"pk": pk})
            for method in extra.mapping:
                if method == "get":
                    status = client.get(step_url).status_code
                    assert status == 404, (basename, extra.url_name, pk, status)
                else:
                    status = getattr(client, method)(step_url, {}, format="json").status_code
                    assert status in (400, 403, 404, 405), (basename, extra.url_name, method, pk, status)
    assert snapshot(model, hidden) == before, f"{basename}: a hidden row changed"
    assert model.objects.count() == count_before


def check_catalogue_read_only(client, model, basename):
    rows = list(model.objects.order_by("pk").values_list("pk", flat=True)[:ROWS_PER_ENDPOINT])
    assert rows, f"{basename}: the demo data has no {model.__name__}"
    before = snapshot(model, rows)
    count_before = model.objects.count()
    assert client.post(reverse(f"api:{basename}-list"), {}, format="json").status_code in (403, 405), basename
    for pk in rows:
        url = reverse(f"api:{basename}-detail", kwargs={"pk": pk})
        for method in ("put", "patch", "delete"):
            status = getattr(client, method)(url, {}, format="json").status_code
            assert status in (403, 405), (basename, method, pk, status)
    assert snapshot(model, rows) == before
    assert model.objects.count() == count_before
