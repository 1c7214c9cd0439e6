"""PostgreSQL's JIT is off on the portal's connections (portal/settings.py; docs/benchmarks.md,
"PostgreSQL's JIT"): compiling a dashboard's grouped count cost more than running it."""

import pytest
from django.db import connection

from .test_pgbouncer_settings import database_settings as _settings


def connection_options(**env):
    """The connection options of the production settings, read in a fresh interpreter."""
    code = (
        "import json, django; from django.conf import settings; django.setup(); "
        "print(json.dumps(settings.DATABASES['default'].get('OPTIONS', {}).get('options', '')))"
    )
    return _settings(_code=code, **env)


@pytest.mark.postgres
@pytest.mark.django_db
def test_a_query_costed_above_the_jit_threshold_is_not_compiled():
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"
        cursor.execute("SHOW jit_above_cost")
        threshold = float(cursor.fetchone()[0])
        cursor.execute("EXPLAIN (FORMAT JSON) SELECT count(*) FROM generate_series(1, 20000000) AS n WHERE n % 7 = 0")
        plan = cursor.fetchone()[0][0]
    assert plan["Plan"]["Total Cost"] > threshold  # the server would compile this one
    assert "JIT" not in plan


def test_the_settings_turn_jit_off_unless_asked_or_behind_pgbouncer():
    assert connection_options() == "-c jit=off"
    assert connection_options(HONGFAN_PG_JIT="true") == ""
    # PgBouncer refuses a connection's startup options: there it is the database's own setting.
    assert connection_options(HONGFAN_PGBOUNCER="true") == ""
