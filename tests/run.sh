#!/usr/bin/env bash
# The whole test suite, on a fresh machine: installs what the tests need, then runs
# lint, every Rust test (unit, codec vectors, core, end-to-end with the real binary), the
# independent Python client's tests against the real server, and the web page in Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== installing test tools (pinned)"
python3 -m pip install --quiet --disable-pip-version-check -r tests/py/requirements.txt

echo "== format and lint"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings

# The PostgreSQL metadata store's tests (crates/store-pg, tests/e2e/several_nodes.rs) run
# against a real server: installed from Debian's packages if missing, started as a non-root
# user on 127.0.0.1 at a free port, stopped at exit.
echo "== PostgreSQL for the metadata-store tests"
PG_DIR="$(mktemp -d)"
GARAGE_DIR=""
# One trap stops every service started so far (a second `trap … EXIT` would replace it).
stop_services() {
  tests/support/postgres.sh stop "$PG_DIR"
  if [ -n "$GARAGE_DIR" ]; then tests/support/garage.sh stop "$GARAGE_DIR"; fi
}
trap stop_services EXIT
FERRY_TEST_PG_URL="$(tests/support/postgres.sh start "$PG_DIR")"
export FERRY_TEST_PG_URL
echo "   $FERRY_TEST_PG_URL"

# The S3 stores' tests (crates/store-s3) run against a real three-node Garage cluster: built
# from crates.io once per machine into ~/.cache/ferry-tools (about 9 CPU-minutes the first
# time, nothing after), started as the current user on 127.0.0.1 at free ports, stopped at
# exit.
echo "== Garage (three nodes) for the S3 store tests"
tests/support/garage.sh install
GARAGE_DIR="$(mktemp -d)"
GARAGE_ENV="$(tests/support/garage.sh start "$GARAGE_DIR")"
while IFS= read -r line; do
  export "${line?}"
done <<<"$GARAGE_ENV"
echo "   $FERRY_TEST_S3_ENDPOINT bucket $FERRY_TEST_S3_BUCKET"

echo "== rust tests"
cargo test --workspace --locked
echo "== exec isolation tests as a non-root server user"; ./tests/nonroot.sh

# --- benchmark harness smoke run (F5): tiny sizes, debug build, every transfer verified, ---
# --- no timing judged; keeps bench/ from rotting. Full run: see "Benchmarks" in README.  ---
echo "== benchmark harness, smoke mode"
# The peer rows run nginx and wrk from Debian's packages, as a full run does.
if ! command -v nginx >/dev/null || ! command -v wrk >/dev/null; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends nginx wrk
  # The package may start its own nginx on port 80; the bench runs its own.
  $SUDO pkill -x nginx || true
fi
cargo run --locked -q -p ferry-bench -- --smoke --store s3
# --- end benchmark smoke run ---

echo "== python client (written from docs/PROTOCOL.md) against the real server"
cargo build --locked --bin ferry
FERRY_BIN="$PWD/target/debug/ferry" python3 -m pytest -q tests/py

# ---- web page (F4): the page in a real browser -------------------------------------------
# playwright-core (pinned in tests/web/package-lock.json) drives Debian's Chromium; no
# browser is downloaded. Screenshots of the main states go to target/web-artifacts/.
echo "== web page in headless Chromium"
if [ ! -x /usr/bin/chromium ]; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium
fi
(cd tests/web && npm ci --no-audit --no-fund && FERRY_BIN="$PWD/../../target/debug/ferry" npm test)
echo "   screenshots: target/web-artifacts/"
# ---- end web page ------------------------------------------------------------------------
echo "== clients generated from openapi.yaml, against the real server"; FERRY_BIN="$PWD/target/debug/ferry" ./tests/openapi/run.sh

echo "== standard resumable-upload clients (tus-js-client, tuspy) against the real server"
FERRY_BIN="$PWD/target/debug/ferry" tests/clients/run.sh
