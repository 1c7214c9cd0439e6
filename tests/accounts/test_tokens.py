"""API tokens stored hashed (issue #17): only a digest and a prefix in the database, the key shown
once, the digest authenticates, revocation stops it, and DRF's old plaintext tokens are converted."""

import importlib

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection
from rest_framework.test import APIClient

from accounts.actions import token_create, token_revoke
from accounts.models import ApiToken
from accounts.tokens import token_digest

pytestmark = pytest.mark.django_db


def client_with(key):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def test_the_database_holds_no_plaintext_key_and_the_key_authenticates(world):
    key = token_create(user=world.secretary)
    row = ApiToken.objects.filter(user=world.secretary).values().get()
    assert key not in [str(value) for value in row.values()]
    assert row["digest"] == token_digest(key)
    assert row["prefix"] == key[:6]
    assert client_with(key).get("/api/v1/users/me/").json()["username"] == "secretary"
    assert client_with(key[:-1] + ("0" if key[-1] != "0" else "1")).get("/api/v1/users/me/").status_code == 401
    # The digest itself is not a key.
    assert client_with(row["digest"]).get("/api/v1/users/me/").status_code == 401


def test_revocation_and_an_inactive_user_are_refused(world):
    key = token_create(user=world.secretary)
    assert token_revoke(user=world.secretary)
    assert client_with(key).get("/api/v1/users/me/").status_code == 401
    key = token_create(user=world.secretary)
    world.secretary.is_active = False
    world.secretary.save()
    assert client_with(key).get("/api/v1/users/me/").status_code == 401


def test_the_command_prints_a_working_key_once(world, capsys):
    call_command("api_token", "secretary")
    key = capsys.readouterr().out.strip()
    assert len(key) == 40
    assert client_with(key).get("/api/v1/users/me/").status_code == 200


def test_the_migration_hashes_drf_plaintext_tokens_and_empties_their_table(world):
    migration = importlib.import_module("accounts.migrations.0003_api_token")
    old_key = "0123456789abcdef0123456789abcdef01234567"
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE authtoken_token (key varchar(40) PRIMARY KEY, user_id integer, created timestamp)")
        cursor.execute(
            "INSERT INTO authtoken_token (key, user_id, created) VALUES (%s, %s, %s)",
            [old_key, world.official.pk, "2026-01-02 03:04:05"],
        )
    try:
        migration.hash_drf_tokens(apps, connection.schema_editor())
        with connection.cursor() as cursor:
            cursor.execute("SELECT COUNT(*) FROM authtoken_token")
            assert cursor.fetchone()[0] == 0
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE authtoken_token")
    token = ApiToken.objects.get(user=world.official)
    assert token.created.year == 2026
    assert token.prefix == old_key[:6]
    # The client that had the old key keeps working.
    assert client_with(old_key).get("/api/v1/users/me/").json()["username"] == world.official.username
