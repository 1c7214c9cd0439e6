"""The portal's own pages: login, logout, password change, the role-aware home page, language."""

import datetime
import re

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Role
from members.models import Stage
from tests.factories import (
    EnterpriseFactory,
    MemberFactory,
    OrganizationFactory,
    ParkFactory,
    RoomFactory,
    UserFactory,
)

PASSWORD = "Hongfan@2026"


def stat(html: str, key: str) -> list[int]:
    """All figures shown with data-stat="key"."""
    return [int(n) for n in re.findall(rf'data-stat="{key}">(\d+)<', html)]


def card_data(response, template_suffix):
    return [c["card"] for c in response.context["cards"] if c["template"].endswith(template_suffix)]


# --- authentication ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_login_page_renders_and_login_redirects_home(client):
    UserFactory(username="alice")
    page = client.get(reverse("login"))
    assert page.status_code == 200
    assert b'name="username"' in page.content
    assert b'name="password"' in page.content
    response = client.post(reverse("login"), {"username": "alice", "password": PASSWORD})
    assert response.status_code == 302
    assert response.url == reverse("home")
    assert client.get(reverse("home")).status_code == 200


@pytest.mark.django_db
def test_wrong_password_shows_the_form_again_with_an_error(client):
    UserFactory(username="alice")
    response = client.post(reverse("login"), {"username": "alice", "password": "wrong"})
    assert response.status_code == 200
    assert b"alert-danger" in response.content
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_home_requires_login(client):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.django_db
def test_logout_is_a_post_and_redirects_to_login(client):
    client.force_login(UserFactory())
    home = client.get(reverse("home")).content.decode()
    assert re.search(r'<form action="/accounts/logout/" method="post"', home)
    assert client.get(reverse("logout")).status_code == 405  # never a GET link
    assert "_auth_user_id" in client.session
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert response.url == reverse("login")
    assert "_auth_user_id" not in client.session
    login_page = client.get(response.url)
    assert [m.level_tag for m in login_page.context["messages"]] == ["info"]
    assert b"alert-info" in login_page.content


@pytest.mark.django_db
def test_password_change(client):
    user = UserFactory(username="alice")
    client.force_login(user)
    assert client.get(reverse("password_change")).status_code == 200
    bad = client.post(
        reverse("password_change"),
        {"old_password": "not-it", "new_password1": "Red-Sail-2027!", "new_password2": "Red-Sail-2027!"},
    )
    assert bad.status_code == 200
    assert b"is-invalid" in bad.content
    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": "Red-Sail-2027!", "new_password2": "Red-Sail-2027!"},
    )
    assert response.status_code == 302
    assert response.url == reverse("password_change_done")
    assert client.get(response.url).status_code == 200
    user.refresh_from_db()
    assert user.check_password("Red-Sail-2027!")


# --- layout --------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_base_layout_has_assets_csrf_header_and_menu(client, world):
    client.force_login(world.park_admin)
    response = client.get(reverse("home"))
    html = response.content.decode()
    assert "vendor/bootstrap/bootstrap.min.css" in html
    assert "vendor/bootstrap-icons/bootstrap-icons.min.css" in html
    assert "vendor/htmx.min.js" in html
    assert "css/portal.css" in html
    assert re.search(r"<body[^>]*hx-headers='\{\"X-CSRFToken\": \"[^\"]+\"\}'", html)
    # The menu from nav_items, the home item highlighted; the back office for a park administrator.
    assert re.search(r'class="nav-link active" href="/"', html)
    assert 'href="/admin/"' in html
    # The user menu shows the roles.
    assert 'id="user-menu"' in html
    assert [str(label) for label in response.context["user_roles"]] == [str(Role.PARK_ADMIN.label)]


@pytest.mark.django_db
@pytest.mark.zh_default
def test_language_switch_to_english(client, world):
    client.force_login(world.member_user)
    assert '<html lang="zh-hans">' in client.get(reverse("home")).content.decode()
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302
    assert response.url == "/"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    html = client.get(reverse("home")).content.decode()
    assert '<html lang="en">' in html
    # and back again
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    assert '<html lang="zh-hans">' in client.get(reverse("home")).content.decode()


@pytest.mark.django_db
def test_language_switch_form_is_in_the_layout_for_anonymous_users_too(client):
    html = client.get(reverse("login")).content.decode()
    assert 'action="/i18n/setlang/" method="post"' in html
    assert 'name="language" value="en"' in html
    assert 'name="language" value="zh-hans"' in html


# --- home per role -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_home_for_superuser_shows_overall_counts(client, world):
    client.force_login(world.superuser)
    response = client.get(reverse("home"))
    (card,) = card_data(response, "card_superuser.html")
    counts = card["counts"]
    assert (
        counts["districts"],
        counts["parks"],
        counts["enterprises"],
        counts["organizations"],
        counts["members"],
    ) == (2, 3, 3, 5, 5)
    html = response.content.decode()
    assert stat(html, "parks") == [3]
    assert 'href="/admin/"' in html


@pytest.mark.django_db
def test_home_for_district_official(client, world):
    client.force_login(world.official)
    response = client.get(reverse("home"))
    (card,) = card_data(response, "card_district.html")
    (row,) = card["districts"]
    assert row["district"] == world.district_a
    assert (row["park_count"], row["enterprises"], row["organizations"], row["members"]) == (2, 2, 4, 4)
    assert {s["stage"]: s["count"] for s in row["stages"]}[Stage.FULL] == 4
    html = response.content.decode()
    assert stat(html, "parks") == [2]
    assert stat(html, "members") == [4]
    assert "园区A1" in html
    assert "园区A2" in html
    for foreign in ("园区B", "海曙区", "支部B", "企业B", "成员B"):
        assert foreign not in html


@pytest.mark.django_db
@pytest.mark.zh_default
@pytest.mark.parametrize("login", ["official", "park_admin", "superuser"])
def test_the_count_of_everyone_on_the_roll_is_not_called_party_members_in_chinese(client, world, login):
    """The cards count applicants to full members: in Chinese 在册人员, not 党员 (which means
    probationary and full members only), with the stages beside them."""
    client.force_login(getattr(world, login))
    html = client.get(reverse("home")).content.decode()
    labels = re.findall(r'data-stat="members">\d+</span><span class="hf-stat-label">([^<]+)<', html)
    assert labels
    assert {label.strip() for label in labels} == {"在册人员"}


@pytest.mark.django_db
def test_home_for_park_admin_links_to_filtered_back_office(client, world):
    client.force_login(world.park_admin)
    response = client.get(reverse("home"))
    (card,) = card_data(response, "card_park.html")
    (row,) = card["parks"]
    assert row["park"] == world.park_a1
    assert (row["enterprises"], row["organizations"], row["members"], row["rooms"]) == (1, 2, 3, 1)
    html = response.content.decode()
    assert stat(html, "rooms") == [1]
    assert stat(html, "members") == [3]
    for foreign in ("园区A2", "园区B", "支部A2", "企业A2"):
        assert foreign not in html
    # Links into the back office are filtered to the park, when the admin has the model.
    for link in row["links"].values():
        assert link is None or f"={world.park_a1.pk}" in link


@pytest.mark.django_db
def test_home_for_secretary_shows_members_by_stage_and_term(client, world):
    world.branch_a1.term_start = datetime.date(1997, 1, 1)
    world.branch_a1.term_end = datetime.date(2000, 1, 1)
    world.branch_a1.save()
    MemberFactory(
        organization=world.branch_a1,
        stage=Stage.APPLICANT,
        activist_on=None,
        candidate_on=None,
        probationary_on=None,
        full_on=None,
    )
    client.force_login(world.secretary)
    response = client.get(reverse("home"))
    (card,) = card_data(response, "card_organization.html")
    rows = {row["organization"].name: row for row in card["organizations"]}
    assert set(rows) == {"支部A1", "党小组A1"}
    stages = {s["stage"]: s["count"] for s in rows["支部A1"]["stages"]}
    assert stages[Stage.FULL] == 2
    assert stages[Stage.APPLICANT] == 1
    assert rows["支部A1"]["term_status"] == "expired"
    assert rows["党小组A1"]["members"] == 1
    # Each count is the metric members_now (its drill-down's rows), shown with its period and basis.
    from django.utils import timezone

    from stats import metrics
    from stats.basis import StatScope

    today = timezone.localdate()
    for name, row in rows.items():
        drilled = metrics.METRICS["members_now"].build(world.secretary, StatScope.of(row["organization"]), None, today)
        assert row["members"] == drilled.count(), name
    html = response.content.decode()
    assert html.count('data-caption="members_now" title="Active members today') == 2
    assert f"Now ({today:%Y-%m-%d})" in html
    assert 'data-term="expired"' in html
    for foreign in ("支部A2", "支部B", "成员A2"):
        assert foreign not in html


@pytest.mark.django_db
def test_home_for_service_staff(client, world):
    client.force_login(world.service)
    response = client.get(reverse("home"))
    (card,) = card_data(response, "card_service.html")
    assert [row["park"] for row in card["parks"]] == [world.park_a1]
    assert "园区B" not in response.content.decode()


@pytest.mark.django_db
def test_home_for_member_shows_masked_profile(client, world):
    world.member_a1.points = 17
    world.member_a1.save()
    client.force_login(world.member_user)
    response = client.get(reverse("home"))
    (card,) = card_data(response, "card_member.html")
    assert card["member"] == world.member_a1
    html = response.content.decode()
    assert "成员A1" in html
    assert "支部A1" in html
    assert world.member_a1.id_number not in html
    assert world.member_a1.phone not in html
    assert world.member_a1.id_number_masked in html
    assert world.member_a1.phone_masked in html
    assert stat(html, "points") == [17]
    assert "2017-09-01" in html  # full member since
    # A member sees no other role's cards.
    assert [c["template"] for c in response.context["cards"]] == ["portal/partials/card_member.html"]


@pytest.mark.django_db
def test_user_without_role_sees_the_friendly_page(client, world):
    client.force_login(world.outsider)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    assert "portal/no_role.html" in [t.name for t in response.templates]
    html = response.content.decode()
    assert 'id="no-role"' in html
    assert "支部" not in html
    assert "园区" not in html


def _home_queries(client, user):
    client.force_login(user)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(reverse("home")).status_code == 200
    return len(ctx.captured_queries)


def _grow(world, n=6):
    """More of everything, in both districts, at the same levels of the organisation tree."""
    for _ in range(n):
        park = ParkFactory(district=world.district_a)
        EnterpriseFactory(park=park)
        EnterpriseFactory(park=world.park_a1)
        RoomFactory(park=world.park_a1)
        OrganizationFactory(park=park, parent=world.committee)
        org = OrganizationFactory(park=world.park_a1, district=world.district_a)
        MemberFactory(organization=org)
        MemberFactory(organization=world.branch_a1, stage=Stage.CANDIDATE, probationary_on=None, full_on=None)
        MemberFactory(organization=world.group_a1)
        MemberFactory(organization=world.branch_b)
        ParkFactory(district=world.district_b)


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["superuser", "official", "park_admin", "secretary", "service", "member_user"])
def test_home_query_count_does_not_grow_with_the_data(client, world, who, django_assert_max_num_queries):
    user = getattr(world, who)
    before = _home_queries(client, user)
    _grow(world)
    after = _home_queries(client, user)
    assert after == before, f"{who}: {before} queries before, {after} after adding data"
    # A branch secretary's home has the most cards: organisation, compliance (with its rules'
    # subjects: committees and party groups), pipeline deadlines, elections awaiting a decision.
    with django_assert_max_num_queries(18):
        client.get(reverse("home"))


# --- error pages ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_404_page_uses_the_layout(client, world):
    client.force_login(world.member_user)
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert b"hf-navbar" in response.content


@pytest.mark.django_db
def test_403_page_uses_the_layout(rf, world):
    from django.core.exceptions import PermissionDenied
    from django.views.defaults import permission_denied

    request = rf.get("/somewhere/")
    request.user = world.member_user
    response = permission_denied(request, PermissionDenied())
    assert response.status_code == 403
    assert b"hf-navbar" in response.content
    assert b"403" in response.content


def test_500_page_renders_without_context_processors():
    from django.template import loader

    html = loader.get_template("500.html").render({})
    assert "500" in html
    assert "<html" in html
