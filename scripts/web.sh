#!/usr/bin/env bash
# Builds the browser client into web/dist (docs/web.md): installs its npm packages from
# web/package-lock.json when they are missing or the lockfile changed, then type-checks
# and bundles. Needs Node and npm (scripts/deps.sh installs them).
set -euo pipefail
cd "$(dirname "$0")/../web"
# npm ci writes node_modules/.package-lock.json: older than the lockfile = stale install.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
npm run build --silent
echo "relay: browser client built into web/dist" >&2
