#!/usr/bin/env bash
# Make Redis answer on 127.0.0.1:6379 (the queue and live events). Idempotent.
set -euo pipefail
answers() { command -v redis-cli >/dev/null 2>&1 && [ "$(redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null)" = PONG ]; }

if answers; then exit 0; fi
if ! command -v redis-server >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "==> installing Redis from Debian's packages"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
  else
    echo "Redis is not installed. Install it and start it on 127.0.0.1:6379, e.g.:" >&2
    echo "  sudo apt-get install redis-server   (Debian/Ubuntu)" >&2
    echo "  brew install redis && brew services start redis   (macOS)" >&2
    exit 1
  fi
fi
if ! answers; then
  echo "==> starting Redis"
  mkdir -p /var/lib/redis /var/log/redis 2>/dev/null || true
  logdir=/var/log/redis; [ -w "$logdir" ] || logdir=${TMPDIR:-/tmp}
  workdir=/var/lib/redis; [ -w "$workdir" ] || workdir=${TMPDIR:-/tmp}
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
    --dir "$workdir" --logfile "$logdir/marea-redis.log"
fi
for _ in $(seq 1 20); do answers && exit 0; sleep 0.5; done
echo "Redis did not start on 127.0.0.1:6379; see its log" >&2
exit 1
