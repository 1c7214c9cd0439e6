#!/usr/bin/env bash
# Row count and content hash of every table of a PostgreSQL database (docs/architecture.md,
# "Upgrading"): run it before and after `manage.py migrate` and diff the two outputs.
# Usage: scripts/table_hashes.sh DATABASE_NAME [HOST]
db=$1
for t in $(psql -h "${2:-127.0.0.1}" -U postgres -d "$db" -tAc "select tablename from pg_tables where schemaname='public' order by 1"); do
  psql -h "${2:-127.0.0.1}" -U postgres -d "$db" -tAc "select '$t', count(*), md5(coalesce(string_agg(x::text, '|' order by x::text), '')) from \"$t\" x"
done
