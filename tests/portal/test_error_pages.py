"""403, 404 and 500 are the portal's own pages, in the reader's language (never Django's)."""

import pytest
from django.test import Client

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.portal.error_urls")]


@pytest.mark.parametrize(
    ("headers", "cookies", "title", "not_in"),
    [
        ({"accept-language": "zh-CN,zh;q=0.9"}, {}, "页面不存在", "Page not found"),
        ({"accept-language": "en"}, {}, "Page not found", "页面不存在"),
        ({"accept-language": "zh-CN"}, {"django_language": "en"}, "Page not found", "页面不存在"),
    ],
)
def test_404_is_our_page_in_the_readers_language(client, world, headers, cookies, title, not_in):
    client.force_login(world.member_user)
    for name, value in cookies.items():
        client.cookies[name] = value
    response = client.get("/no-such-page/", headers=headers)
    assert response.status_code == 404
    assert [t.name for t in response.templates][0] == "404.html"
    html = response.content.decode()
    assert title in html
    assert not_in not in html
    assert "hf-navbar" in html  # the portal's layout


def test_404_without_login_is_our_page_too():
    response = Client().get("/no-such-page/", headers={"accept-language": "zh-CN"})
    assert response.status_code == 404
    assert "页面不存在" in response.content.decode()


@pytest.mark.parametrize(("language", "title"), [("zh-CN", "服务器错误"), ("en", "Server error")])
def test_500_is_our_page(world, language, title):
    client = Client(raise_request_exception=False)
    client.force_login(world.member_user)
    response = client.get("/broken/", headers={"accept-language": language})
    assert response.status_code == 500
    assert [t.name for t in response.templates][0] == "500.html"
    html = response.content.decode()
    assert title in html
    assert "Traceback" not in html
    assert "a bug" not in html


@pytest.mark.parametrize(("language", "title"), [("zh-CN", "无权访问"), ("en", "Access denied")])
def test_403_is_our_page(client, world, language, title):
    client.force_login(world.member_user)
    response = client.get("/forbidden/", headers={"accept-language": language})
    assert response.status_code == 403
    assert [t.name for t in response.templates][0] == "403.html"
    assert title in response.content.decode()
