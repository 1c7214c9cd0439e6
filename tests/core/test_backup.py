"""Backups that restore (core/backup.py, docs/backup.md).

The encryption is checked on bytes: a round trip, and every way a backup can be damaged or read
with the wrong key fails instead of restoring part of it. The whole backup is checked end to end
through the commands an operator runs: on SQLite (a migrated database file) and on PostgreSQL
(pg_dump of the test database, pg_restore into a fresh one), files included.
"""

import io
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage
from django.db import connection

from core import backup
from tests.factories import MemberFactory

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def keys():
    return backup.make_key_pair()


def encrypted(data: bytes, public: str) -> bytes:
    out = io.BytesIO()
    backup.encrypt_stream(io.BytesIO(data), out, public)
    return out.getvalue()


def decrypted(data: bytes, private: str) -> bytes:
    out = io.BytesIO()
    backup.decrypt_stream(io.BytesIO(data), out, private)
    return out.getvalue()


@pytest.mark.parametrize("size", [0, 1, backup.CHUNK - 1, backup.CHUNK, backup.CHUNK + 1, 3 * backup.CHUNK])
def test_encryption_round_trip_at_chunk_edges(keys, size):
    public, private = keys
    data = os.urandom(size)
    sealed = encrypted(data, public)
    if size >= 32:  # the plaintext does not show through (a byte or two could, by chance)
        assert data[:32] not in sealed
    assert decrypted(sealed, private) == data


def test_the_wrong_private_key_reads_nothing(keys):
    public, _ = keys
    _, other_private = backup.make_key_pair()
    with pytest.raises(backup.BackupError, match="wrong private key"):
        decrypted(encrypted(b"members", public), other_private)


def test_a_damaged_backup_fails_instead_of_restoring_part(keys):
    public, private = keys
    sealed = encrypted(os.urandom(2 * backup.CHUNK + 10), public)
    flipped = bytearray(sealed)
    flipped[len(backup.MAGIC) + 40] ^= 1
    cut_at_chunk = sealed[: len(backup.MAGIC) + 32 + 4 + backup.CHUNK + 16]
    for damaged in (bytes(flipped), sealed[:-1], cut_at_chunk, sealed + b"x", b"not a backup"):
        with pytest.raises(backup.BackupError):
            decrypted(damaged, private)


def test_keys_are_checked(keys):
    with pytest.raises(backup.BackupError, match="32 bytes"):
        encrypted(b"x", "c2hvcnQ=")
    with pytest.raises(backup.BackupError, match="base64"):
        encrypted(b"x", "not base64!")


def test_fingerprints_name_the_table_that_differs():
    before = {"a": {"rows": 2, "sha256": "1"}, "b": {"rows": 1, "sha256": "2"}, "c": {"rows": 0, "sha256": "3"}}
    after = {"a": {"rows": 1, "sha256": "9"}, "b": {"rows": 1, "sha256": "8"}, "d": {"rows": 0, "sha256": "3"}}
    assert backup.compare(before, after) == [
        "a: 2 rows in the backup, 1 restored",
        "b: same row count, different content",
        "c: missing after restore",
        "d: not in the backup",
    ]
    assert backup.compare(before, before) == []


def manage(*args, env, check=True):
    done = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    if check:
        assert done.returncode == 0, done.stderr
    return done


def environment(database_url, media, **extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "HONGFAN_", "DATABASE_URL"))}
    env.update(DJANGO_SETTINGS_MODULE="portal.settings", DATABASE_URL=database_url, DJANGO_MEDIA_ROOT=str(media))
    env.update(extra)
    return env


def round_trip(tmp_path, source_url, target_url, keys):
    """Back up source (with a stored file), restore into target; return the restore's output."""
    public, private = keys
    source_media, target_media = tmp_path / "media-src", tmp_path / "media-dst"
    FileSystemStorage(location=source_media).save("activities/photos/第一次.jpg", ContentFile(b"\xff\xd8photo"))
    archive = tmp_path / "portal.hfbak"
    made = manage("backup", str(archive), env=environment(source_url, source_media, HONGFAN_BACKUP_PUBLIC_KEY=public))
    assert "1 files" in made.stdout
    assert (
        manage(
            "backup",
            str(archive),
            env=environment(source_url, source_media, HONGFAN_BACKUP_PUBLIC_KEY=public),
            check=False,
        ).returncode
        != 0
    ), "a backup never overwrites another"
    key_file = tmp_path / "private.key"
    key_file.write_text(f"HONGFAN_BACKUP_PRIVATE_KEY={private}\n")
    restored = manage(
        "restore", str(archive), "--private-key-file", str(key_file), env=environment(target_url, target_media)
    )
    assert (target_media / "activities/photos/第一次.jpg").read_bytes() == b"\xff\xd8photo"
    source = json.loads(manage("db_fingerprint", env=environment(source_url, source_media)).stdout)
    target = json.loads(manage("db_fingerprint", env=environment(target_url, target_media)).stdout)
    assert source == target
    # A second restore into the now full database is refused: it would mix two states.
    again = manage(
        "restore",
        str(archive),
        "--private-key-file",
        str(key_file),
        env=environment(target_url, target_media),
        check=False,
    )
    assert again.returncode != 0
    assert "not empty" in again.stderr
    return restored.stdout, source


def test_sqlite_backup_restores_every_table_and_file(tmp_path, keys):
    # The backup knows no model: a database file with tables of every kind of value is enough
    # (and spares a migration in a subprocess). It runs in both passes: it uses no test database.
    with sqlite3.connect(tmp_path / "source.sqlite3") as db:
        db.execute("CREATE TABLE members_member (id integer PRIMARY KEY, name text, photo blob, joined date)")
        db.execute("CREATE TABLE parks_district (code text PRIMARY KEY, name text)")
        db.executemany(
            "INSERT INTO members_member VALUES (?, ?, ?, ?)",
            [(1, "余斌", b"\x00\xff", "2024-02-29"), (2, "朱晓燕", None, None), (3, "O'Brien", b"", "2026-11-30")],
        )
        db.execute("INSERT INTO parks_district VALUES ('330402', '南湖区')")
    output, tables = round_trip(
        tmp_path, f"sqlite:///{tmp_path / 'source.sqlite3'}", f"sqlite:///{tmp_path / 'target.sqlite3'}", keys
    )
    assert "identical to the backup" in output
    assert tables["members_member"]["rows"] == 3
    assert tables["parks_district"]["rows"] == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_postgresql_backup_restores_every_table_and_file(tmp_path, keys):
    MemberFactory.create_batch(3)
    settings_dict = connection.settings_dict
    user, host, port = (
        settings_dict["USER"] or "postgres",
        settings_dict["HOST"] or "127.0.0.1",
        settings_dict["PORT"] or 5432,
    )
    base = f"postgres://{user}@{host}:{port}"
    target_name = f"{settings_dict['NAME']}_restore"
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{target_name}"')
        cursor.execute(f'CREATE DATABASE "{target_name}"')
    try:
        output, tables = round_trip(tmp_path, f"{base}/{settings_dict['NAME']}", f"{base}/{target_name}", keys)
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{target_name}" WITH (FORCE)')
    assert "identical to the backup" in output
    assert tables["members_member"]["rows"] == 3
