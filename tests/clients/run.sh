#!/usr/bin/env bash
# Standard resumable-upload clients, unmodified, against the real debug binary: tus-js-client
# in Node and tuspy in Python (both pinned here). Installs them first; builds the binary when
# FERRY_BIN is not given.
set -euo pipefail
cd "$(dirname "$0")"
REPO="$(cd ../.. && pwd)"
if [ -z "${FERRY_BIN:-}" ]; then
  (cd "$REPO" && cargo build --locked --bin ferry)
  FERRY_BIN="$REPO/target/debug/ferry"
fi
export FERRY_BIN

echo "== installing the standard clients (pinned)"
npm ci --no-audit --no-fund
python3 -m pip install --quiet --disable-pip-version-check -r "$REPO/tests/py/requirements.txt" -r requirements.txt

echo "== tus-js-client (Node) against the real server"
npm test

echo "== tuspy against the real server"
python3 -m pytest -q -p no:cacheprovider .
