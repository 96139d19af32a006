#!/usr/bin/env bash
# Make `wrk` (the HTTP load generator the benchmarks prefer) available. Idempotent.
# Without it the benchmarks fall back to an asyncio client, which saturates before a fast
# server does, so this never fails: it says what it did and the benchmark says what it used.
set -uo pipefail
if command -v wrk >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "==> installing wrk from Debian's packages"
  if DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null 2>&1 \
    || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }; then
    exit 0
  fi
fi
echo "wrk is not installed (Debian: apt-get install wrk; macOS: brew install wrk);" >&2
echo "the benchmarks will use their asyncio client instead, which saturates sooner." >&2
exit 0
