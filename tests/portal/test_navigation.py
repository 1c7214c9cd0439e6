import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_a_members_own_pages_are_gathered_in_the_me_menu(client, world):
    client.force_login(world.member_user)
    response = client.get(reverse("home"))
    mine = [item["url_name"] for item in response.context["nav_mine"]]
    main = [item["url_name"] for item in response.context["nav_items"]]
    assert "members:transfer_mine" in mine and "activities:mine" in mine
    assert not set(mine) & set(main)
    assert 'id="menu-mine"' in response.content.decode()


def test_no_me_menu_for_a_user_without_a_member_record(client, world):
    client.force_login(world.park_admin)
    response = client.get(reverse("home"))
    assert response.context["nav_mine"] == []
    assert 'id="menu-mine"' not in response.content.decode()
