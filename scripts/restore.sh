#!/usr/bin/env bash
# Restore a backup made by scripts/backup.sh into the site of the environment's settings:
# the database from DUMP (into an empty database), then the files (each checked against its
# sha256 name first: a damaged copy stops the restore), then the migrations of this release.
# Stop the web and the workers first (systemctl stop marea-web marea-worker).
set -euo pipefail
dump=${1:?usage: scripts/restore.sh DUMP [STORE_COPY_DIR]}
copy=${2:-}
: "${MAREA_DATABASE_URL:?set MAREA_DATABASE_URL to the (empty) database to restore into}"
url=${MAREA_DATABASE_URL/postgresql+psycopg:/postgresql:}
if [ -n "$copy" ]; then
  bad=0
  while IFS= read -r -d '' f; do
    rel=${f#"$copy"/}
    want=${rel/\//}
    got=$(sha256sum "$f" | cut -d' ' -f1)
    if [ "$got" != "$want" ]; then echo "damaged: $rel (sha256 $got)" >&2; bad=1; fi
  done < <(find "$copy" -type f -print0)
  if [ $bad -ne 0 ]; then echo "the file copy is damaged: nothing was restored" >&2; exit 1; fi
fi
pg_restore --no-owner --exit-on-error --dbname "$url" "$dump"
echo "database <- $dump"
if [ -n "$copy" ]; then
  store=${MAREA_STORE_URL:-file://${MAREA_DATA_DIR:-./var}/store}
  case $store in
    file://*) dir=${store#file://}; mkdir -p "$dir"; cp -a -n "$copy/." "$dir/"; echo "files    <- $copy" ;;
    *) echo "the store is $store: restore the bucket with the S3 server's means" >&2 ;;
  esac
fi
marea=${MAREA_BIN:-marea}
"$marea" migrate
