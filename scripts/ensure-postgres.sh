#!/usr/bin/env bash
# Make PostgreSQL answer on 127.0.0.1:5432 (for the PostgreSQL half of the test suite).
# Idempotent: does nothing when it already answers; starts an installed cluster; installs one
# from Debian's packages when missing and we are root. Otherwise says exactly what to do.
set -euo pipefail
HOST=127.0.0.1 PORT=5432

answers() { command -v pg_isready >/dev/null 2>&1 && pg_isready -q -h "$HOST" -p "$PORT"; }

if answers; then exit 0; fi
if ! command -v pg_ctlcluster >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "==> installing PostgreSQL from Debian's packages"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  else
    echo "PostgreSQL is not installed. Install and start it, listening on $HOST:$PORT, e.g.:" >&2
    echo "  sudo apt-get install postgresql   (Debian/Ubuntu)" >&2
    echo "  brew install postgresql && brew services start postgresql   (macOS)" >&2
    exit 1
  fi
fi
if ! answers; then
  version=$(ls /etc/postgresql | sort -V | tail -n 1)
  if [ -z "$version" ]; then echo "no PostgreSQL cluster found under /etc/postgresql" >&2; exit 1; fi
  echo "==> starting PostgreSQL $version"
  if [ "$(id -u)" = 0 ]; then
    pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  else
    echo "PostgreSQL is installed but stopped; start it with:" >&2
    echo "  sudo pg_ctlcluster $version main start" >&2
    exit 1
  fi
fi
for _ in $(seq 1 30); do answers && break; sleep 1; done
answers || { echo "PostgreSQL did not start on $HOST:$PORT; see /var/log/postgresql/" >&2; exit 1; }
# The tests log in as postgres/postgres: give the role that password (harmless under trust auth)
# and make sure the `test` database exists.
if [ "$(id -u)" = 0 ]; then
  su postgres -c "psql -qc \"ALTER USER postgres PASSWORD 'postgres'\"" >/dev/null 2>&1 || true
  su postgres -c "psql -qtAc \"SELECT 1 FROM pg_database WHERE datname='test'\"" 2>/dev/null | grep -q 1 \
    || su postgres -c "createdb test" || true
fi
