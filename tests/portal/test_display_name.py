from django.contrib.auth.models import User

from core.templatetags.portal_tags import display_name


def test_chinese_names_are_family_name_first_without_a_space():
    assert display_name(User(username="x", first_name="鸿", last_name="郭")) == "郭鸿"


def test_latin_names_keep_their_order_and_a_missing_name_shows_the_login():
    assert display_name(User(username="x", first_name="Anna", last_name="Li")) == "Anna Li"
    assert display_name(User(username="parkadmin")) == "parkadmin"
