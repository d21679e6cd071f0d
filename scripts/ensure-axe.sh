#!/usr/bin/env bash
# The accessibility crawl (tests/browser/test_accessibility.py) injects axe-core, pinned in
# tests/browser/axe/package-lock.json and installed from npm. Test tooling only: the product
# never serves it. Installs Node.js first when we may (root with apt-get).
set -euo pipefail
dir="$(cd "$(dirname "$0")/.." && pwd)/tests/browser/axe"
if [ "$dir/node_modules/.package-lock.json" -nt "$dir/package-lock.json" ] \
   && [ -f "$dir/node_modules/axe-core/axe.min.js" ]; then
  exit 0
fi
if ! command -v npm >/dev/null; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
    echo "Installing Debian's Node.js and npm for the accessibility test…"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
  else
    echo "The accessibility test needs npm (sudo apt-get install npm) to install axe-core." >&2
    exit 1
  fi
fi
npm ci --prefix "$dir" --no-audit --no-fund --loglevel=error
