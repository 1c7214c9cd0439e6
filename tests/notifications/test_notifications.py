"""Notifications: notify() after commit, the bell, the list, marking read, and nobody else's."""

import pytest
from django.core import mail
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from notifications.actions import notify
from notifications.models import Notification
from tests.factories import UserFactory


def make(user, n=1, **kwargs):
    return [
        Notification.objects.create(recipient=user, title=kwargs.get("title", f"通知{i}"), url=kwargs.get("url", ""))
        for i in range(n)
    ]


@pytest.mark.django_db(transaction=True)
def test_notify_writes_one_row_per_recipient_only_after_commit_and_sends_email():
    alice, bob = UserFactory(username="alice"), UserFactory(username="bob")
    no_mail = UserFactory(username="carol", email="")
    with transaction.atomic():
        notify(recipients=[alice, bob, alice, None, no_mail], title="转接待审批", body="请处理", url="/members/")
        assert Notification.objects.count() == 0  # not before the commit
        assert len(mail.outbox) == 0
    recipients = sorted(Notification.objects.values_list("recipient__username", flat=True))
    assert recipients == ["alice", "bob", "carol"]
    assert sorted(m.to[0] for m in mail.outbox) == ["alice@example.com", "bob@example.com"]
    assert all("转接待审批" in m.subject for m in mail.outbox)


@pytest.mark.django_db(transaction=True)
def test_notify_in_a_rolled_back_transaction_writes_nothing():
    alice = UserFactory(username="alice")

    def failing_action():
        with transaction.atomic():
            notify(recipients=[alice], title="x")
            raise RuntimeError

    with pytest.raises(RuntimeError):
        failing_action()
    assert Notification.objects.count() == 0
    assert mail.outbox == []


@pytest.mark.django_db
def test_bell_shows_the_unread_count(client):
    alice, bob = UserFactory(username="alice"), UserFactory(username="bob")
    make(alice, 3)
    Notification.objects.filter(pk=make(alice)[0].pk).update(read_at="2026-01-01T00:00:00Z")
    make(bob, 5)
    client.force_login(alice)
    html = client.get(reverse("home")).content.decode()
    assert 'id="notification-bell"' in html
    assert 'data-count="3"' in html
    client.force_login(UserFactory(username="dave"))
    html = client.get(reverse("home")).content.decode()
    assert 'id="notification-bell"' in html
    assert "data-count=" not in html


@pytest.mark.django_db
def test_bell_costs_one_query(client):
    alice = UserFactory(username="alice")
    make(alice, 2)
    client.force_login(alice)
    with CaptureQueriesContext(connection) as ctx:
        client.get(reverse("home"))
    assert sum("portal_notification" in q["sql"] for q in ctx.captured_queries) == 1


@pytest.mark.django_db
def test_list_shows_only_own_notifications_newest_first_with_unread_highlighted(client):
    alice, bob = UserFactory(username="alice"), UserFactory(username="bob")
    first = make(alice, title="旧的")[0]
    second = make(alice, title="新的")[0]
    Notification.objects.filter(pk=first.pk).update(read_at="2026-01-01T00:00:00Z")
    make(bob, title="别人的")
    client.force_login(alice)
    html = client.get(reverse("notifications")).content.decode()
    assert "别人的" not in html
    assert html.index("新的") < html.index("旧的")
    assert f'hf-notification unread" data-notification="{second.pk}"' in html
    assert f'hf-notification" data-notification="{first.pk}"' in html


@pytest.mark.django_db
def test_list_is_paginated(client):
    alice = UserFactory(username="alice")
    make(alice, 25)
    client.force_login(alice)
    first = client.get(reverse("notifications")).content.decode()
    assert first.count("data-notification=") == 20
    second = client.get(reverse("notifications") + "?page=2").content.decode()
    assert second.count("data-notification=") == 5
    assert client.get(reverse("notifications") + "?page=abc").status_code == 200


@pytest.mark.django_db
def test_mark_read_redirects_to_a_local_url(client):
    alice = UserFactory(username="alice")
    (n,) = make(alice, url="/members/transfers/7/")
    client.force_login(alice)
    response = client.post(reverse("notification_read", args=[n.pk]))
    assert response.status_code == 302
    assert response.url == "/members/transfers/7/"
    n.refresh_from_db()
    assert n.read_at is not None
    first_read = n.read_at
    client.post(reverse("notification_read", args=[n.pk]))
    n.refresh_from_db()
    assert n.read_at == first_read  # reading again keeps the first time


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url", ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)", ""]
)
def test_mark_read_never_redirects_off_site(client, url):
    alice = UserFactory(username="alice")
    (n,) = make(alice, url=url)
    client.force_login(alice)
    response = client.post(reverse("notification_read", args=[n.pk]))
    assert response.status_code == 302
    assert response.url == reverse("notifications")


@pytest.mark.django_db
def test_mark_read_needs_post(client):
    alice = UserFactory(username="alice")
    (n,) = make(alice)
    client.force_login(alice)
    assert client.get(reverse("notification_read", args=[n.pk])).status_code == 405
    n.refresh_from_db()
    assert n.read_at is None


@pytest.mark.django_db
def test_cannot_read_or_mark_another_users_notification(client):
    alice, bob = UserFactory(username="alice"), UserFactory(username="bob")
    (theirs,) = make(bob, url="/secret/")
    client.force_login(alice)
    assert client.post(reverse("notification_read", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("notification_read", args=[999999])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None
    client.post(reverse("notifications_read_all"))
    theirs.refresh_from_db()
    assert theirs.read_at is None


@pytest.mark.django_db
def test_mark_all_read(client):
    alice, bob = UserFactory(username="alice"), UserFactory(username="bob")
    make(alice, 4)
    make(bob, 2)
    client.force_login(alice)
    response = client.post(reverse("notifications_read_all"))
    assert response.status_code == 302
    assert response.url == reverse("notifications")
    assert Notification.objects.filter(recipient=alice, read_at__isnull=True).count() == 0
    assert Notification.objects.filter(recipient=bob, read_at__isnull=True).count() == 2
    assert client.get(reverse("notifications_read_all")).status_code == 405


@pytest.mark.django_db
def test_notification_pages_need_login(client):
    response = client.get(reverse("notifications"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.django_db
def test_a_retry_after_a_failure_part_way_mails_only_the_rest(monkeypatch):
    from django.core import mail

    from notifications import tasks
    from notifications.models import Notification
    from tests.factories import UserFactory

    users = [UserFactory(email=f"n{i}@example.com") for i in range(3)]
    ids = [Notification.objects.create(recipient=u, title="提醒").pk for u in users]
    real_send, calls = tasks.send_mail, []

    def flaky(**kwargs):
        calls.append(kwargs["recipient_list"][0])
        if len(calls) == 2:
            raise OSError("mail server went away")
        return real_send(**kwargs)

    monkeypatch.setattr(tasks, "send_mail", flaky)
    with pytest.raises(OSError):
        tasks.send_notification_emails.run(ids)
    monkeypatch.setattr(tasks, "send_mail", real_send)
    tasks.send_notification_emails.run(ids)
    assert sorted(m.to[0] for m in mail.outbox) == sorted(u.email for u in users)
    assert not Notification.objects.filter(emailed_at__isnull=True).exists()
