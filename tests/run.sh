#!/usr/bin/env bash
# The whole test suite, on a fresh machine: installs what the tests need, then runs
# lint, every Rust test (unit, codec vectors, core, end-to-end with the real binary) and the
# independent Python client's tests against the real server.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== installing test tools (pinned)"
python3 -m pip install --quiet --disable-pip-version-check -r tests/py/requirements.txt

echo "== format and lint"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings

echo "== rust tests"
cargo test --workspace --locked

# --- benchmark harness smoke run (F5): tiny sizes, debug build, every transfer verified, ---
# --- no timing judged; keeps bench/ from rotting. Full run: see "Benchmarks" in README.  ---
echo "== benchmark harness, smoke mode"
cargo run --locked -q -p ferry-bench -- --smoke
# --- end benchmark smoke run ---

echo "== python client (written from docs/PROTOCOL.md) against the real server"
cargo build --locked --bin ferry
FERRY_BIN="$PWD/target/debug/ferry" python3 -m pytest -q tests/py
