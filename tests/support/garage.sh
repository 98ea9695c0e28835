#!/usr/bin/env bash
# A throwaway three-node Garage cluster (a real replicated S3 store) for the S3 store's tests,
# on 127.0.0.1 and free ports, as the current user, its nodes' files in DIR:
#
#   tests/support/garage.sh install      # builds the pinned Garage once into a cache folder
#   tests/support/garage.sh start DIR    # installs if needed, starts, prints FERRY_TEST_S3_* lines
#   tests/support/garage.sh stop DIR     # stops the nodes and deletes DIR
#
# The build comes from crates.io (`cargo install`, ~9 CPU-minutes) into
# ${FERRY_TOOLS_DIR:-~/.cache/ferry-tools}/garage, so a machine pays for it once; its target
# folder is a temporary one, deleted afterwards. `start` on a DIR whose cluster runs prints
# its env lines again.
set -euo pipefail

GARAGE_VERSION="2.5.0"
CACHE="${FERRY_TOOLS_DIR:-$HOME/.cache/ferry-tools}/garage"
GARAGE="$CACHE/bin/garage"
# A fixed test key (Garage wants "GK" + 24 hex digits and a 64-hex-digit secret).
KEY_ID="GK0123456789abcdef01234567"
KEY_SECRET="0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
BUCKET="ferry-test"
NODES=3

cmd="${1:?usage: garage.sh install | start DIR | stop DIR}"

installed() {
  [ -x "$GARAGE" ] && "$GARAGE" --version 2>/dev/null | grep -qwF "$GARAGE_VERSION"
}

install() {
  installed && return 0
  local tmp
  tmp="$(mktemp -d)"
  echo "garage.sh: building Garage $GARAGE_VERSION into $CACHE (once per machine)" >&2
  local started=$SECONDS
  # Only the SQLite metadata engine (the one `start` configures): without the default LMDB
  # engine, metrics and K2V the build takes ~15 CPU-minutes instead of ~22 (measured here).
  # Optimisation level 1 and no debug info bring that to ~9 CPU-minutes (5.5 min on two
  # cores): the tests move kilobytes to megabytes through it, where level 3 buys nothing.
  if ! CARGO_TARGET_DIR="$tmp" CARGO_PROFILE_RELEASE_OPT_LEVEL=1 \
    CARGO_PROFILE_RELEASE_DEBUG=false CARGO_PROFILE_RELEASE_LTO=false \
    nice cargo install garage --version "=$GARAGE_VERSION" \
    --locked --no-default-features --features bundled-libs,sqlite --root "$CACHE" >&2; then
    rm -rf "$tmp"
    echo "garage.sh: building Garage failed" >&2
    exit 1
  fi
  rm -rf "$tmp"
  echo "garage.sh: built Garage in $((SECONDS - started)) s" >&2
  installed || { echo "garage.sh: $GARAGE --version does not say $GARAGE_VERSION" >&2; exit 1; }
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

env_lines() {
  echo "FERRY_TEST_S3_ENDPOINT=http://127.0.0.1:$(cat "$dir/node1/s3_port")"
  echo "FERRY_TEST_S3_REGION=garage"
  echo "FERRY_TEST_S3_BUCKET=$BUCKET"
  echo "FERRY_TEST_S3_KEY_ID=$KEY_ID"
  echo "FERRY_TEST_S3_SECRET=$KEY_SECRET"
}

running() {
  local n
  for n in $(seq 1 $NODES); do
    [ -f "$dir/node$n/pid" ] && kill -0 "$(cat "$dir/node$n/pid")" 2>/dev/null || return 1
  done
}

# The setup's chatter goes to DIR/setup.log, shown only when a step fails.
cli() {
  "$GARAGE" -c "$dir/node1/garage.toml" "$@" >>"$dir/setup.log" 2>&1 ||
    { cat "$dir/setup.log" >&2; echo "garage.sh: garage $* failed" >&2; exit 1; }
}

stop_nodes() {
  local n
  for n in $(seq 1 $NODES); do
    if [ -f "$dir/node$n/pid" ]; then
      kill "$(cat "$dir/node$n/pid")" 2>/dev/null || true
    fi
  done
}

start() {
  if running && [ -f "$dir/ready" ]; then
    env_lines
    return 0
  fi
  install
  stop_nodes
  rm -rf "$dir"
  mkdir -p "$dir"
  dir="$(cd "$dir" && pwd)"
  local secret n
  secret="$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')"
  for n in $(seq 1 $NODES); do
    local node="$dir/node$n" rpc s3
    mkdir -p "$node"
    rpc="$(free_port)"
    s3="$(free_port)"
    echo "$rpc" >"$node/rpc_port"
    echo "$s3" >"$node/s3_port"
    cat >"$node/garage.toml" <<TOML
metadata_dir = "$node/meta"
data_dir = "$node/data"
db_engine = "sqlite"
metadata_fsync = false
data_fsync = false
replication_factor = 3
rpc_bind_addr = "127.0.0.1:$rpc"
rpc_public_addr = "127.0.0.1:$rpc"
rpc_secret = "$secret"

[s3_api]
s3_region = "garage"
api_bind_addr = "127.0.0.1:$s3"
TOML
    "$GARAGE" -c "$node/garage.toml" server >"$node/server.log" 2>&1 &
    echo $! >"$node/pid"
  done
  # Each node answers once its RPC port is up; then node 1 learns the others.
  local ids=() tries
  for n in $(seq 1 $NODES); do
    for tries in $(seq 1 100); do
      if id="$("$GARAGE" -c "$dir/node$n/garage.toml" node id -q 2>/dev/null)"; then
        ids+=("$id")
        break
      fi
      [ "$tries" -eq 100 ] && { cat "$dir/node$n/server.log" >&2; echo "garage.sh: node $n did not start" >&2; exit 1; }
      sleep 0.1
    done
  done
  for n in 2 3; do
    cli node connect "${ids[$((n - 1))]}"
  done
  for id in "${ids[@]}"; do
    cli layout assign -z dc1 -c 1G "${id%@*}"
  done
  cli layout apply --version 1
  cli bucket create "$BUCKET"
  cli key import --yes -n ferry-test "$KEY_ID" "$KEY_SECRET"
  cli bucket allow --read --write --owner "$BUCKET" --key ferry-test
  touch "$dir/ready"
  env_lines
}

case "$cmd" in
install)
  install
  ;;
start)
  dir="${2:?usage: garage.sh start DIR}"
  start
  ;;
stop)
  dir="${2:?usage: garage.sh stop DIR}"
  [ -d "$dir" ] && stop_nodes
  rm -rf "$dir"
  ;;
*)
  echo "usage: garage.sh install | start DIR | stop DIR" >&2
  exit 2
  ;;
esac
