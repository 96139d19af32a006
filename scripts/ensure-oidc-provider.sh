#!/usr/bin/env bash
# Install the test OpenID Connect provider (tests/oidc, npm package oidc-provider) for the login
# tests. Needs Node.js 20+ and npm. Idempotent: does nothing once node_modules is in place.
set -euo pipefail
cd "$(dirname "$0")/../tests/oidc"

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "==> installing Node.js and npm from Debian's packages"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
  else
    echo "Node.js and npm are needed for the login tests. Install them, e.g.:" >&2
    echo "  sudo apt-get install nodejs npm   (Debian/Ubuntu)" >&2
    echo "  brew install node                 (macOS)" >&2
    exit 1
  fi
fi
major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$major" -lt 20 ]; then
  echo "Node.js $(node --version) is too old for the test OpenID provider; install 20 or newer." >&2
  exit 1
fi
if [ -d node_modules/oidc-provider ] && [ node_modules/.package-lock.json -nt package-lock.json ]; then
  exit 0
fi
echo "==> installing the test OpenID provider (npm ci in tests/oidc)"
npm ci --no-audit --no-fund --loglevel=error
