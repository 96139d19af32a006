#!/usr/bin/env bash
# Make the Docker engine answer `docker info` (every judged run needs it). Idempotent.
# Starts dockerd without a bridge: sandboxed containers run with network_mode=none anyway, and
# image builds use `--network host`.
set -euo pipefail
answers() { command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; }

# The runner image is built from Debian packages with debootstrap (no registry needed).
if ! command -v debootstrap >/dev/null 2>&1 && ! [ -x /usr/sbin/debootstrap ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "==> installing debootstrap (builds the sandbox runner image)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
  else
    echo "debootstrap is needed to build the sandbox runner image; install it (Debian/Ubuntu):" >&2
    echo "  sudo apt-get install debootstrap" >&2
    echo "or set MAREA_RUNNER_IMAGE to an image you already have." >&2
  fi
fi
if answers; then exit 0; fi
if ! command -v dockerd >/dev/null 2>&1 || ! command -v docker >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "==> installing the Docker engine from Debian's packages (docker.io)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io >/dev/null
  else
    echo "The Docker engine is not installed. Install it and start it, e.g.:" >&2
    echo "  sudo apt-get install docker.io && sudo systemctl start docker   (Debian/Ubuntu)" >&2
    echo "  https://docs.docker.com/engine/install/   (other systems)" >&2
    echo "and make sure your user may talk to it (member of the 'docker' group)." >&2
    exit 1
  fi
fi
if [ "$(id -u)" != 0 ]; then
  echo "The Docker engine is installed but not running, and only root can start it here. Run:" >&2
  echo "  sudo systemctl start docker   (or: sudo dockerd --bridge=none --iptables=false &)" >&2
  exit 1
fi
if ! pgrep -x dockerd >/dev/null 2>&1; then
  logdir=/var/log; [ -w "$logdir" ] || { logdir=./var/log; mkdir -p "$logdir"; }
  log="$logdir/marea-dockerd.log"
  echo "==> starting the Docker engine (log: $log)"
  setsid nohup dockerd --bridge=none --iptables=false >>"$log" 2>&1 </dev/null &
fi
for _ in $(seq 1 60); do answers && exit 0; sleep 0.5; done
echo "The Docker engine did not answer within 30 s; see ${log:-its log (dockerd is running)}." >&2
exit 1
