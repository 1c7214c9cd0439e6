"""HONGFAN_PGBOUNCER (docs/deploy.md, "Several hosts"): the production settings behind PgBouncer in
transaction mode turn off server-side cursors and persistent connections."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def database_settings(_code=None, **env):
    """What ``_code`` prints of the production settings read in a fresh interpreter (by default the
    server-side cursors switch and CONN_MAX_AGE), with these environment variables."""
    code = _code or (
        "import json, django; from django.conf import settings; django.setup(); "
        "d = settings.DATABASES['default']; "
        "print(json.dumps([d.get('DISABLE_SERVER_SIDE_CURSORS', False), d['CONN_MAX_AGE']]))"
    )
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "HONGFAN_", "DATABASE_"))}
    environment.update(DJANGO_SETTINGS_MODULE="portal.settings", DATABASE_URL="postgres://u@db:6432/hongfan", **env)
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=environment, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_behind_pgbouncer_no_server_side_cursors_and_short_connections():
    assert database_settings(HONGFAN_PGBOUNCER="true") == [True, 0]


def test_without_pgbouncer_the_defaults_stay():
    assert database_settings() == [False, 0]
    assert database_settings(DATABASE_CONN_MAX_AGE="60") == [False, 60]
