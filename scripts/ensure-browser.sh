#!/usr/bin/env bash
# Make the browser tests runnable: Chromium from Debian's packages (never a downloaded browser)
# and axe-core from npm in tests/e2e. Idempotent: does nothing when both are already there.
set -euo pipefail
cd "$(dirname "$0")/.."

chromium_path() { command -v chromium 2>/dev/null || command -v chromium-browser 2>/dev/null || true; }

if [ -z "$(chromium_path)" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "==> installing Chromium from Debian's packages"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "Chromium is not installed; the browser tests drive the system Chromium. Install it, e.g.:" >&2
    echo "  sudo apt-get install chromium   (Debian)" >&2
    echo "  sudo apt-get install chromium-browser   (Ubuntu)" >&2
    echo "or point MAREA_E2E_CHROMIUM at a Chromium binary. Do not run 'playwright install'." >&2
    exit 1
  fi
fi

if [ ! -f tests/e2e/node_modules/axe-core/axe.min.js ]; then
  if ! command -v npm >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
      echo "==> installing npm from Debian's packages"
      apt-get update -qq
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null
    else
      echo "npm is missing; it fetches axe-core for the accessibility tests. Install it, e.g.:" >&2
      echo "  sudo apt-get install npm   (Debian/Ubuntu)" >&2
      exit 1
    fi
  fi
  echo "==> installing axe-core into tests/e2e/node_modules"
  if [ -f tests/e2e/package-lock.json ]; then
    npm ci --prefix tests/e2e --no-audit --no-fund --loglevel=error
  else
    npm install --prefix tests/e2e --no-audit --no-fund --loglevel=error
  fi
fi
