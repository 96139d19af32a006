#!/usr/bin/env bash
# Back up a Marea site into OUTPUT_DIR: the PostgreSQL database (pg_dump, custom format) and, for
# a folder store, its files (named by their sha256, so a copy is verifiable and incremental).
# An s3:// store is backed up by the bucket's own versioning or replication (docs/operations.md).
# Reads the site's settings from the environment, e.g. `set -a; . /etc/marea/marea.env; set +a`.
set -euo pipefail
out=${1:?usage: scripts/backup.sh OUTPUT_DIR}
: "${MAREA_DATABASE_URL:?set MAREA_DATABASE_URL to the site database (postgresql+psycopg://...)}"
case $MAREA_DATABASE_URL in
  postgresql*) ;;
  *) echo "backup.sh backs up PostgreSQL; for SQLite copy the file with: sqlite3 DB '.backup OUT'" >&2; exit 2 ;;
esac
url=${MAREA_DATABASE_URL/postgresql+psycopg:/postgresql:}
mkdir -p "$out"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
pg_dump --format=custom --no-owner --file "$out/marea-$stamp.dump" "$url"
echo "database -> $out/marea-$stamp.dump"
store=${MAREA_STORE_URL:-file://${MAREA_DATA_DIR:-./var}/store}
case $store in
  file://*)
    dir=${store#file://}
    mkdir -p "$out/store"
    if [ -d "$dir" ]; then cp -a -n "$dir/." "$out/store/"; fi
    echo "files    -> $out/store"
    ;;
  s3://*)
    echo "files    -> kept in $store: keep versioning on for that bucket (see docs/operations.md)"
    ;;
esac
