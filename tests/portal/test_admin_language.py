"""The back office reads in Chinese: every index, changelist and add form, libraries' included."""

import pytest

from tests.portal.admin_scan import admin_pages, latin_words, scan


def test_the_scan_finds_english_words_and_lets_codes_pass():
    html = "<h1>访问日志 Access logs</h1><p>API 令牌 portal.tasks.build_reports</p><td class='field-name'>Zhang</td>"
    assert latin_words(html) == {"Access", "logs"}


@pytest.mark.zh_default
@pytest.mark.django_db
def test_every_back_office_page_is_chinese(client, django_user_model):
    # The header greets the user by name: a Chinese one, as the names of the data are no wording.
    client.force_login(django_user_model.objects.create_superuser("root", "root@example.com", "x", first_name="管理员"))
    pages = admin_pages()
    assert len(pages) > 60  # every registered model, the libraries' too
    assert scan(client) == {}


@pytest.mark.zh_default
@pytest.mark.django_db
def test_change_reads_xiugai_not_bianhua(admin_client):
    html = admin_client.get("/admin/", headers={"accept-language": "zh-hans"}).content.decode()
    assert "修改" in html
    assert "变化" not in html
