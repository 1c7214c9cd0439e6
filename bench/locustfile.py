"""The roles' daily mix under load (docs/benchmarks.md, "Load"), for locust.

    # the demo data on PostgreSQL, served by gunicorn as in production (docker/gunicorn.conf.py)
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hongfan_bench .venv/bin/python manage.py seed_demo
    DATABASE_URL=… GUNICORN_WORKERS=5 .venv/bin/gunicorn --config docker/gunicorn.conf.py \
        --bind 127.0.0.1:8000 portal.wsgi:application &
    .venv/bin/locust -f bench/locustfile.py --host http://127.0.0.1:8000 --headless \
        --users 20 --spawn-rate 10 --run-time 60s --csv bench/out/load-20

Each simulated person signs in once as a demo login of their role (seed_demo's, password
Hongfan@2026) and then does what that role does on a working day, with 1–3 s between pages:

* secretaries (40 %): home, the activity list, an activity and its attendance form, the
  compliance checklist, the transfer inbox;
* members (25 %): home, my activities, my points, my dues, my transfers;
* park administrators (20 %): home, the park dashboard, its alerts, the members list, the service
  requests, the API lists of members and activities (session-authenticated, as the pages' scripts);
* district officials (10 %): the dashboard home, the district dashboard, the reports list;
* anchor (5 %): ``/health/live/``, a page with no database and no template, in the same server
  and mix, so that the report can give each page's p95 as a ratio to the anchor's.

Failures (any status other than 200, or a redirect to the login page) count as errors.
"""

from __future__ import annotations

import random
import re

from locust import HttpUser, between, task

PASSWORD = "Hongfan@2026"
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
ACTIVITY = re.compile(r'href="/activities/(\d+)/"')
DASHBOARD = re.compile(r'href="/dashboard/(park|district)/(\d+)/"')


class Person(HttpUser):
    abstract = True
    wait_time = between(1, 3)
    logins: tuple[str, ...] = ()

    def on_start(self):
        username = random.choice(self.logins)  # noqa: S311 - a load mix, not a secret
        page = self.client.get("/accounts/login/", name="login page")
        token = CSRF.search(page.text)
        response = self.client.post(
            "/accounts/login/",
            {"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token.group(1) if token else ""},
            headers={"Referer": self.host + "/accounts/login/"},
            name="login",
        )
        if "/accounts/login/" in response.url:
            response.failure(f"{username} could not sign in")

    def page(self, path, name=None):
        with self.client.get(path, name=name or path, catch_response=True) as response:
            if response.status_code != 200 or "/accounts/login/" in response.url:
                response.failure(f"{response.status_code} at {response.url}")
            return response


class Secretary(Person):
    weight = 40
    logins = ("secretary", "secretary2")

    @task(3)
    def home(self):
        self.page("/", "home")

    @task(3)
    def activities(self):
        listing = self.page("/activities/", "activity list")
        ids = ACTIVITY.findall(listing.text or "")
        if ids:
            pk = random.choice(ids)  # noqa: S311
            self.page(f"/activities/{pk}/", "activity detail")
            self.page(f"/activities/{pk}/attendance/", "attendance form")

    @task(2)
    def checklist(self):
        self.page("/activities/checklist/", "compliance checklist")

    @task(1)
    def inbox(self):
        self.page("/members/transfers/inbox/", "transfer inbox")


class Member(Person):
    weight = 25
    logins = ("member", "member2")

    @task(3)
    def home(self):
        self.page("/", "home")

    @task(2)
    def mine(self):
        self.page("/activities/mine/", "my activities")

    @task(1)
    def points(self):
        self.page("/activities/points/", "my points")

    @task(1)
    def transfers(self):
        self.page("/members/transfers/mine/", "my transfers")


class ParkAdministrator(Person):
    weight = 20
    logins = ("parkadmin", "parkadmin2")

    @task(2)
    def home(self):
        self.page("/", "home")

    @task(2)
    def dashboard(self):
        home = self.page("/dashboard/", "dashboard home")
        found = DASHBOARD.search(home.text or "")
        if found:
            kind, pk = found.groups()
            self.page(f"/dashboard/{kind}/{pk}/", "dashboard")
            self.page(f"/dashboard/{kind}/{pk}/alerts/", "dashboard alerts")

    @task(2)
    def members(self):
        self.page("/admin/members/member/", "admin member list")

    @task(1)
    def services(self):
        self.page("/services/", "service requests")

    @task(2)
    def api_lists(self):
        self.page("/api/v1/members/", "API members")
        self.page("/api/v1/activities/", "API activities")


class Official(Person):
    weight = 10
    logins = ("official", "official2")

    @task(2)
    def dashboard(self):
        home = self.page("/dashboard/", "dashboard home")
        found = DASHBOARD.search(home.text or "")
        if found:
            kind, pk = found.groups()
            self.page(f"/dashboard/{kind}/{pk}/", "dashboard")

    @task(1)
    def reports(self):
        self.page("/reports/", "reports list")


class Anchor(HttpUser):
    """No database, no template: the server's own floor in the same mix."""

    weight = 5
    wait_time = between(1, 3)

    @task
    def live(self):
        with self.client.get("/health/live/", name="anchor: /health/live/", catch_response=True) as response:
            if response.status_code != 200:
                response.failure(str(response.status_code))
