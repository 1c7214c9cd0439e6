#!/usr/bin/env bash
# A backup of the seeded demo, restored into a fresh PostgreSQL database (docs/backup.md): the
# restore checks every table against the backup's fingerprint, and the two databases' fingerprints
# are compared again here, independently. Run by .ci/run; needs PostgreSQL at 127.0.0.1:5432.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-.venv/bin/python}"
PG="postgres://postgres@127.0.0.1:5432"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"; dropdb -h 127.0.0.1 -U postgres --if-exists hongfan_backup_src; dropdb -h 127.0.0.1 -U postgres --if-exists hongfan_backup_dst' EXIT
for db in hongfan_backup_src hongfan_backup_dst; do
    dropdb -h 127.0.0.1 -U postgres --if-exists "$db"
    createdb -h 127.0.0.1 -U postgres "$db"
done
export DJANGO_MEDIA_ROOT="$WORK/media-src"
export DATABASE_URL="$PG/hongfan_backup_src"
"$PY" manage.py migrate --noinput -v 0
"$PY" manage.py seed_demo >/dev/null
# A stored file as well, so that the files travel too.
mkdir -p "$WORK/media-src/activities/photos"
printf 'photo' >"$WORK/media-src/activities/photos/check.jpg"
"$PY" manage.py backup_keys >"$WORK/keys" 2>/dev/null
HONGFAN_BACKUP_PUBLIC_KEY="$(sed -n 's/^HONGFAN_BACKUP_PUBLIC_KEY=//p' "$WORK/keys")" \
    "$PY" manage.py backup "$WORK/demo.hfbak"
"$PY" manage.py db_fingerprint >"$WORK/src.json"
grep HONGFAN_BACKUP_PRIVATE_KEY "$WORK/keys" >"$WORK/private.key"
DATABASE_URL="$PG/hongfan_backup_dst" DJANGO_MEDIA_ROOT="$WORK/media-dst" \
    "$PY" manage.py restore "$WORK/demo.hfbak" --private-key-file "$WORK/private.key"
DATABASE_URL="$PG/hongfan_backup_dst" "$PY" manage.py db_fingerprint >"$WORK/dst.json"
diff -u "$WORK/src.json" "$WORK/dst.json"
cmp "$WORK/media-src/activities/photos/check.jpg" "$WORK/media-dst/activities/photos/check.jpg"
echo "restore check: $(grep -c '"rows"' "$WORK/src.json") tables identical, files identical"
