"""Several hosts on one machine (issue #17, docs/deploy.md "Several hosts"): two gunicorn servers,
two Celery workers and two beats, each a process of its own, against one PostgreSQL (the test
database) and one Redis (the test broker), as N web hosts and M worker hosts would run them.

A user's requests alternate between the two servers, as behind a load balancer without sticky
sessions, and the work is done by whichever worker takes it:

* a statistics report requested on one server is built by a worker and read on the other;
* an Excel import uploaded on one server is checked by a worker, confirmed on the other and
  written by a worker;
* a transfer requested by the member on one server is approved by the sending secretary on the
  other and accepted by the receiving secretary on the first;
* of the two beats, exactly one runs the schedule (core/beat.py).

Runs in CI's Celery step (marker celery_worker: CELERY_TEST_BROKER) on PostgreSQL.
"""

import html
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection
from django.test import Client

from accounts.models import Role
from core import beat
from dataio.models import ImportJob
from members.models import Member, Transfer
from reports.models import StatReportRun
from tests.factories import MemberFactory, OrganizationFactory, UserFactory, assign
from tests.scenario import build_world

pytestmark = [pytest.mark.celery_worker, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "Several-hosts-2026"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def environment():
    db = connection.settings_dict
    auth = quote(db["USER"] or "") + (":" + quote(db["PASSWORD"]) if db["PASSWORD"] else "")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "HONGFAN_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="portal.settings",
        DATABASE_URL=f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        CELERY_BROKER_URL=os.environ["CELERY_TEST_BROKER"],
        HONGFAN_IMPORT_INLINE_MAX_BYTES="10",  # every import goes to a worker
        DJANGO_MEDIA_ROOT=str(ROOT / "test-artifacts" / "several-hosts-media"),
    )
    return env


def start(args, env):
    return subprocess.Popen(  # noqa: S603 - our own commands
        [sys.executable, *args], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )


def wait_for_port(port, process, seconds=90):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"server on {port} stopped: {process.stderr.read().decode()[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"nothing listens on {port}")


def wait_for(predicate, what, seconds=90):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def hosts(settings):
    """Two servers (their base URLs), two workers, two beats; stopped afterwards."""
    from tests.celery_worker import broker_only

    env = environment()
    processes, bases = [], []
    with broker_only(settings):
        import redis

        redis.Redis.from_url(os.environ["CELERY_TEST_BROKER"]).delete(beat.LOCK_KEY, beat.LAST_TICK_KEY)
        try:
            for _ in range(2):
                port = free_port()
                server = start(
                    [
                        "-m",
                        "gunicorn",
                        "--config",
                        "docker/gunicorn.conf.py",
                        "--bind",
                        f"127.0.0.1:{port}",
                        "--workers",
                        "1",
                        "portal.wsgi:application",
                    ],
                    env,
                )
                processes.append(server)
                bases.append((f"http://127.0.0.1:{port}", port, server))
            for number in range(2):
                processes.append(
                    start(
                        [
                            "-m",
                            "celery",
                            "-A",
                            "portal",
                            "worker",
                            "--pool=solo",
                            "--loglevel=WARNING",
                            "--without-gossip",
                            "--without-mingle",
                            "-n",
                            f"host{number}@%h",
                        ],
                        env,
                    )
                )
            for _ in range(2):
                processes.append(
                    start(
                        [
                            "-m",
                            "celery",
                            "-A",
                            "portal",
                            "beat",
                            "--loglevel=WARNING",
                            "--scheduler",
                            "core.beat:SingleBeatScheduler",
                            "--pidfile=",
                            "-s",
                            os.devnull,
                        ],
                        env,
                    )
                )
            for _base, port, server in bases:
                wait_for_port(port, server)
            yield [base for base, _port, _server in bases]
        finally:
            for process in processes:
                process.send_signal(signal.SIGTERM)
            for process in processes:
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()


class Browser:
    """A signed-in user whose requests alternate between the servers, with the forms' hidden
    fields (CSRF and idempotency tokens) read from the page, as a browser sends them."""

    def __init__(self, bases, user):
        import requests

        self.bases = bases
        self.turn = 0
        self.session = requests.Session()
        client = Client()
        client.force_login(user)
        self.session.cookies.set("sessionid", client.cookies["sessionid"].value)

    def base(self):
        self.turn += 1
        return self.bases[self.turn % len(self.bases)]

    def get(self, path):
        response = self.session.get(self.base() + path, timeout=60)
        assert response.status_code == 200, (path, response.status_code, response.text[-2000:])
        return response.text

    def submit(self, page_path, action_path, data, files=None):
        page = self.get(page_path)
        hidden = {
            html.unescape(name): html.unescape(value)
            for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page)
        }
        base = self.base()
        response = self.session.post(
            base + action_path,
            data={**hidden, **data},
            files=files,
            headers={"Referer": base + page_path},
            allow_redirects=False,
            timeout=120,
        )
        assert response.status_code in (200, 302, 303), (action_path, response.status_code, response.text[-3000:])
        return response


def members_xlsx(world, count):
    from tests.dataio.test_imports import member_row, xlsx

    return xlsx([member_row(i, world.branch_a1.code) for i in range(count)])


def test_two_servers_two_workers_one_leading_beat(hosts):
    world = build_world()

    # A report requested on one server, built by a worker, read on the other.
    official = Browser(hosts, world.official)
    official.submit("/reports/", "/reports/build/", {"scope": f"district:{world.district_a.pk}", "period": "2026-Q1"})
    run = wait_for(
        lambda: StatReportRun.objects.filter(status=StatReportRun.Status.SUCCESS).first(), "the report build"
    )
    assert official.get(f"/reports/{run.report_id}/")

    # An import uploaded on one server, checked by a worker, confirmed on the other, written by a worker.
    admin = Browser(hosts, world.park_admin)
    before = Member.objects.count()
    admin.submit(
        "/imports/",
        "/imports/",
        {"kind": "members"},
        files={"file": ("members.xlsx", members_xlsx(world, 30), "application/octet-stream")},
    )
    job = wait_for(lambda: ImportJob.objects.filter(status=ImportJob.Status.CHECKED).first(), "the import check")
    assert Member.objects.count() == before
    admin.submit(f"/imports/{job.pk}/", f"/imports/{job.pk}/confirm/", {})
    wait_for(lambda: ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.COMMITTED).exists(), "the import")
    assert Member.objects.count() == before + 30

    # A transfer across the two servers.
    destination = OrganizationFactory(name="嘉兴电商园第一支部", park=world.park_b)
    member_user = UserFactory(password=PASSWORD)
    member = MemberFactory(name="张三", organization=world.branch_a1, user=member_user)
    sender = assign(UserFactory(), Role.BRANCH_SECRETARY, world.branch_a1)
    receiver = assign(UserFactory(), Role.BRANCH_SECRETARY, destination)
    Browser(hosts, member_user).submit(
        "/members/transfers/new/",
        "/members/transfers/new/",
        {"to_organization": destination.pk, "reason": "工作单位迁至嘉兴", "kind": Transfer.Kind.INTERNAL},
    )
    transfer = wait_for(lambda: Transfer.objects.filter(member=member).first(), "the transfer request")
    Browser(hosts, sender).submit(
        f"/members/transfers/{transfer.pk}/", f"/members/transfers/{transfer.pk}/approve/", {"valid_months": "2"}
    )
    Browser(hosts, receiver).submit(
        f"/members/transfers/{transfer.pk}/", f"/members/transfers/{transfer.pk}/accept/", {}
    )
    member.refresh_from_db()
    assert member.organization == destination

    # Exactly one of the two beats leads and ticks.
    import redis

    client = redis.Redis.from_url(os.environ["CELERY_TEST_BROKER"])
    holder = wait_for(lambda: client.get(beat.LOCK_KEY), "a leading beat")
    assert wait_for(lambda: client.get(beat.LAST_TICK_KEY), "the leader's tick")
    time.sleep(beat.STANDBY_SLEEP + 1)
    assert client.get(beat.LOCK_KEY) == holder, "the lock stays with one beat"
