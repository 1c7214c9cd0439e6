"""Backups that restore: the database and the uploaded files in one encrypted file.

A backup is a tar stream (``manifest.json``, the database, every stored file) encrypted to the
operator's **public** key, so that the host that makes and keeps backups cannot read them; only
the holder of the private key can restore. ``manage.py backup_keys`` makes a key pair,
``manage.py backup`` writes a backup, ``manage.py restore`` reads one back into an empty database
and storage and then checks every table against the fingerprint taken at backup time (row count
and a hash of the rows), failing loudly on any difference. ``make backup`` / ``make restore`` wrap
them (docs/backup.md).

The file format (version 1):

* ``HFBACKUP1\\n`` (magic), then the 32-byte X25519 public key of a key pair made for this backup;
* the AES-256-GCM key is HKDF-SHA256 of the X25519 exchange between that one-off key and the
  operator's key;
* then chunks of at most 1 MiB of plaintext: a 4-byte big-endian length and the ciphertext. The
  nonce of chunk *n* is *n* as 12 big-endian bytes; the associated data says whether the chunk is
  the last. A cut, reordered or altered file fails to decrypt instead of restoring part of the data.

The database travels in its own vendor's format: ``pg_dump --format=custom`` for PostgreSQL (so the
restore needs ``pg_restore`` of the same or a newer major version), SQLite's online backup for the
embedded mode. Files go through Django's storage API, so the same code copies a local media folder
or an S3 bucket.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import io
import json
import os
import shutil
import sqlite3
import struct
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.core.files.base import File
from django.core.files.storage import Storage, default_storage
from django.db import connections, transaction

MAGIC = b"HFBACKUP1\n"
CHUNK = 1 << 20
FORMAT_VERSION = 1


class BackupError(Exception):
    """A backup that cannot be made or restored; the message says why."""


# --- keys -------------------------------------------------------------------------------------


def make_key_pair() -> tuple[str, str]:
    """(public, private) as text: base64 of the raw 32-byte X25519 keys."""
    private = X25519PrivateKey.generate()
    raw_private = private.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    raw_public = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw_public).decode(), base64.b64encode(raw_private).decode()


def _raw_key(text: str, what: str) -> bytes:
    try:
        raw = base64.b64decode(text.strip(), validate=True)
    except ValueError as exc:
        raise BackupError(f"the {what} key is not base64") from exc
    if len(raw) != 32:
        raise BackupError(f"the {what} key must be 32 bytes (base64 of a raw X25519 key), not {len(raw)}")
    return raw


def _derive(shared: bytes, one_off_public: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=one_off_public, info=b"hongfan backup v1").derive(shared)


def _nonce(counter: int) -> bytes:
    return counter.to_bytes(12, "big")


def encrypt_stream(source: BinaryIO, target: BinaryIO, public_key: str) -> None:
    operator = X25519PublicKey.from_public_bytes(_raw_key(public_key, "public"))
    one_off = X25519PrivateKey.generate()
    one_off_public = one_off.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    aead = AESGCM(_derive(one_off.exchange(operator), one_off_public))
    target.write(MAGIC + one_off_public)
    counter = 0
    chunk = source.read(CHUNK)
    while True:
        following = source.read(CHUNK)
        last = not following
        sealed = aead.encrypt(_nonce(counter), chunk, b"last" if last else b"more")
        target.write(struct.pack(">I", len(sealed)) + sealed)
        if last:
            return
        counter += 1
        chunk = following


def decrypt_stream(source: BinaryIO, target: BinaryIO, private_key: str) -> None:
    if source.read(len(MAGIC)) != MAGIC:
        raise BackupError("not a Hongfan backup (or a backup of another format version)")
    one_off_public = source.read(32)
    if len(one_off_public) != 32:
        raise BackupError("the backup is cut short")
    operator = X25519PrivateKey.from_private_bytes(_raw_key(private_key, "private"))
    aead = AESGCM(_derive(operator.exchange(X25519PublicKey.from_public_bytes(one_off_public)), one_off_public))
    counter = 0
    while True:
        header = source.read(4)
        if len(header) != 4:
            raise BackupError("the backup is cut short (its last part is missing)")
        (length,) = struct.unpack(">I", header)
        if length > CHUNK + 16:
            raise BackupError("the backup is damaged (a part is larger than any part written)")
        sealed = source.read(length)
        if len(sealed) != length:
            raise BackupError("the backup is cut short")
        for flag in (b"more", b"last"):
            try:
                plain = aead.decrypt(_nonce(counter), sealed, flag)
            except Exception:  # noqa: BLE001 - InvalidTag: try the other flag, then give up
                continue
            break
        else:
            raise BackupError("the backup cannot be decrypted: wrong private key, or the file was altered")
        target.write(plain)
        if flag == b"last":
            if source.read(1):
                raise BackupError("the backup has data after its last part")
            return
        counter += 1


# --- the database's fingerprint ----------------------------------------------------------------


def _tables(alias: str) -> list[str]:
    with connections[alias].cursor() as cursor:
        return sorted(connections[alias].introspection.table_names(cursor))


def fingerprint(alias: str = "default") -> dict[str, dict[str, object]]:
    """{table: {"rows": n, "sha256": hex}} over every table, rows in primary-key order.

    The same database restored by its own vendor's tools gives the same fingerprint; the values are
    hashed as the database driver returns them.
    """
    connection = connections[alias]
    quote = connection.ops.quote_name
    result: dict[str, dict[str, object]] = {}
    for table in _tables(alias):
        with connection.cursor() as cursor:
            columns = [c.name for c in connection.introspection.get_table_description(cursor, table)]
            keys = connection.introspection.get_primary_key_columns(cursor, table) or columns
            order = ", ".join(quote(c) for c in keys)
            cursor.execute(f"SELECT {', '.join(quote(c) for c in columns)} FROM {quote(table)} ORDER BY {order}")  # noqa: S608 - introspected names
            digest = hashlib.sha256()
            rows = 0
            while batch := cursor.fetchmany(2000):
                for row in batch:
                    rows += 1
                    digest.update("\x1f".join(_canonical(v) for v in row).encode("utf-8", "surrogatepass") + b"\x1e")
        result[table] = {"rows": rows, "sha256": digest.hexdigest()}
    return result


def _canonical(value: object) -> str:
    if value is None:
        return "\x00"
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.astimezone(dt.UTC).isoformat()
    return str(value)


def compare(expected: dict, actual: dict) -> list[str]:
    """The differences between two fingerprints, one line per table; empty when they agree."""
    problems = []
    for table in sorted(set(expected) | set(actual)):
        if table not in actual:
            problems.append(f"{table}: missing after restore")
        elif table not in expected:
            problems.append(f"{table}: not in the backup")
        elif expected[table] != actual[table]:
            problems.append(
                f"{table}: {expected[table]['rows']} rows in the backup, {actual[table]['rows']} restored"
                if expected[table]["rows"] != actual[table]["rows"]
                else f"{table}: same row count, different content"
            )
    return problems


# --- files through the storage API ---------------------------------------------------------------


def stored_files(storage: Storage, folder: str = "") -> Iterator[str]:
    try:
        directories, files = storage.listdir(folder)
    except FileNotFoundError:  # a media folder never written to
        return
    for name in sorted(files):
        yield f"{folder}/{name}" if folder else name
    for directory in sorted(directories):
        yield from stored_files(storage, f"{folder}/{directory}" if folder else directory)


# --- the database in its vendor's format ---------------------------------------------------------


def _pg_env(settings_dict: dict) -> tuple[list[str], dict[str, str]]:
    args = ["--no-owner", "--no-privileges"]
    if settings_dict.get("HOST"):
        args += ["--host", str(settings_dict["HOST"])]
    if settings_dict.get("PORT"):
        args += ["--port", str(settings_dict["PORT"])]
    if settings_dict.get("USER"):
        args += ["--username", str(settings_dict["USER"])]
    environment = dict(os.environ)
    if settings_dict.get("PASSWORD"):
        environment["PGPASSWORD"] = str(settings_dict["PASSWORD"])
    return args, environment


def _run(command: list[str], environment: dict[str, str]) -> None:
    if shutil.which(command[0]) is None:
        raise BackupError(f"{command[0]} is not installed (PostgreSQL's client tools: postgresql-client)")
    done = subprocess.run(command, env=environment, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise BackupError(f"{command[0]} failed: {done.stderr.strip()[:2000]}")


def dump_database(alias: str, target: Path, snapshot: str | None = None) -> str:
    connection = connections[alias]
    settings_dict = connection.settings_dict
    if connection.vendor == "postgresql":
        args, environment = _pg_env(settings_dict)
        if snapshot:
            args.append(f"--snapshot={snapshot}")
        _run(["pg_dump", "--format=custom", *args, "--file", str(target), settings_dict["NAME"]], environment)
        return "postgresql"
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        destination = sqlite3.connect(target)
        try:
            connection.connection.backup(destination)
        finally:
            destination.close()
        return "sqlite"
    raise BackupError(f"backups of {connection.vendor} databases are not supported")


def _is_empty(alias: str) -> bool:
    return not _tables(alias)


def load_database(alias: str, source: Path, vendor: str) -> None:
    connection = connections[alias]
    if connection.vendor != vendor:
        raise BackupError(f"the backup holds a {vendor} database; this portal is configured for {connection.vendor}")
    settings_dict = connection.settings_dict
    if vendor == "postgresql":
        args, environment = _pg_env(settings_dict)
        connection.close()
        _run(["pg_restore", "--exit-on-error", *args, "--dbname", settings_dict["NAME"], str(source)], environment)
        return
    connection.close()
    origin = sqlite3.connect(source)
    try:
        destination = sqlite3.connect(settings_dict["NAME"])
        try:
            origin.backup(destination)
        finally:
            destination.close()
    finally:
        origin.close()


# --- the whole backup ----------------------------------------------------------------------------


def make_backup(target: BinaryIO, public_key: str, *, alias: str = "default", storage: Storage | None = None) -> dict:
    """Write an encrypted backup to ``target``; return its manifest (what it holds)."""
    storage = storage or default_storage
    _raw_key(public_key, "public")
    with tempfile.TemporaryDirectory(prefix="hongfan-backup-") as work:
        work_dir = Path(work)
        database_file = work_dir / "database"
        manifest = {"format": FORMAT_VERSION, "made_at": dt.datetime.now(dt.UTC).isoformat()}
        # The fingerprint and the dump see the same data: one read-only snapshot on PostgreSQL,
        # handed to pg_dump; one transaction on SQLite.
        with transaction.atomic(using=alias):
            snapshot = None
            if connections[alias].vendor == "postgresql":
                with connections[alias].cursor() as cursor:
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                    cursor.execute("SELECT pg_export_snapshot()")
                    snapshot = cursor.fetchone()[0]
            manifest["tables"] = fingerprint(alias)
            manifest["database"] = dump_database(alias, database_file, snapshot)
        files = list(stored_files(storage))
        manifest["files"] = len(files)
        plain = work_dir / "backup.tar"
        with tarfile.open(plain, "w") as archive:
            _add_bytes(archive, "manifest.json", json.dumps(manifest, indent=1, sort_keys=True).encode())
            archive.add(database_file, arcname="database")
            for name in files:
                with storage.open(name, "rb") as handle:
                    info = tarfile.TarInfo(f"files/{name}")
                    info.size = storage.size(name)
                    archive.addfile(info, handle)
        with plain.open("rb") as source:
            encrypt_stream(source, target, public_key)
    return manifest


def _add_bytes(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    archive.addfile(info, io.BytesIO(data))


def restore_backup(
    source: BinaryIO,
    private_key: str,
    *,
    alias: str = "default",
    storage: Storage | None = None,
    allow_non_empty: bool = False,
) -> dict:
    """Restore a backup into an empty database and storage, then check every table.

    Returns the manifest; raises BackupError when anything does not match.
    """
    storage = storage or default_storage
    if not allow_non_empty and not _is_empty(alias):
        raise BackupError("the database is not empty: restore into a fresh database (see docs/backup.md)")
    with tempfile.TemporaryDirectory(prefix="hongfan-restore-") as work:
        work_dir = Path(work)
        plain = work_dir / "backup.tar"
        with plain.open("wb") as target:
            decrypt_stream(source, target, private_key)
        with tarfile.open(plain, "r") as archive:
            try:
                manifest = json.load(archive.extractfile("manifest.json"))
            except KeyError as exc:
                raise BackupError("the backup holds no manifest") from exc
            if manifest.get("format") != FORMAT_VERSION:
                raise BackupError(f"backup format {manifest.get('format')} is not readable by this version")
            database_file = work_dir / "database"
            with database_file.open("wb") as handle:
                shutil.copyfileobj(archive.extractfile("database"), handle)
            load_database(alias, database_file, manifest["database"])
            restored_files = 0
            for member in archive:
                if not member.isfile() or not member.name.startswith("files/"):
                    continue
                name = member.name.removeprefix("files/")
                if name.startswith("/") or ".." in Path(name).parts:
                    raise BackupError(f"the backup names a file outside the storage: {name}")
                if storage.exists(name):
                    storage.delete(name)
                saved = storage.save(name, File(archive.extractfile(member), name=name))
                if saved != name:
                    raise BackupError(f"{name} was stored as {saved}")
                restored_files += 1
    problems = compare(manifest["tables"], fingerprint(alias))
    if restored_files != manifest["files"]:
        problems.append(f"files: {manifest['files']} in the backup, {restored_files} restored")
    if problems:
        raise BackupError("the restored data differs from the backup:\n" + "\n".join(problems))
    return manifest
