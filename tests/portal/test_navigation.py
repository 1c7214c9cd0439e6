import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_a_members_own_pages_are_gathered_in_the_me_menu(client, world):
    client.force_login(world.member_user)
    response = client.get(reverse("home"))
    mine = [item["url_name"] for item in response.context["nav_mine"]]
    main = [item["url_name"] for item in response.context["nav_items"]]
    assert "members:transfer_mine" in mine
    assert "activities:mine" in mine
    assert not set(mine) & set(main)
    assert 'id="menu-mine"' in response.content.decode()


def test_no_me_menu_for_a_user_without_a_member_record(client, world):
    client.force_login(world.park_admin)
    response = client.get(reverse("home"))
    assert response.context["nav_mine"] == []
    assert 'id="menu-mine"' not in response.content.decode()


def test_a_park_administrators_menu_groups_statistics_and_party_affairs(client, world):
    client.force_login(world.park_admin)
    response = client.get(reverse("home"))
    entries = {entry.get("key") or entry["url_name"]: entry for entry in response.context["nav_entries"]}
    assert [item["url_name"] for item in entries["stats"]["items"]] == [
        "dashboard_home", "activities:compliance", "reports:list",
    ]  # fmt: skip
    assert "activities:list" in [item["url_name"] for item in entries["work"]["items"]]
    html = response.content.decode()
    assert 'id="menu-stats"' in html
    assert 'id="menu-work"' in html
    # API tokens sit in the user menu, for every user.
    assert 'href="/accounts/tokens/"' in html


def test_a_group_with_one_item_is_a_plain_link(client, world):
    client.force_login(world.official)
    response = client.get(reverse("activities:list"))
    entries = response.context["nav_entries"]
    activities = [entry for entry in entries if entry.get("url_name") == "activities:list"]
    assert activities
    assert activities[0]["kind"] == "link"
    assert activities[0]["active"]
    assert 'id="menu-work"' not in response.content.decode()
