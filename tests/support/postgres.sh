#!/usr/bin/env bash
# A throwaway PostgreSQL server for the tests, on 127.0.0.1 and a free port, as a non-root
# user, its cluster in DIR:
#
#   tests/support/postgres.sh start DIR   # installs PostgreSQL if missing, prints the URL
#   tests/support/postgres.sh stop DIR    # stops it and deletes DIR
#   tests/support/postgres.sh down DIR    # stops it, keeping DIR (a database gone away)
#   tests/support/postgres.sh up DIR      # starts it again on the same port
#
# `start` on a DIR whose server runs prints its URL again (so a developer's repeated test runs
# share one server). The server is for tests only: no fsync, trust authentication on loopback.
set -euo pipefail

cmd="${1:?usage: postgres.sh start|stop|down|up DIR}"
dir="${2:?usage: postgres.sh start|stop|down|up DIR}"
USER_NAME="${FERRY_PG_USER:-ferry-pg}"

# The newest installed server's programs (Debian keeps them off PATH); empty when none is.
bindir() {
  local initdb
  initdb="$(ls -d /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -n 1 || true)"
  if [ -n "$initdb" ]; then dirname "$initdb"; fi
}

# The server refuses to run as root: switch to a system user of our own (made if missing).
as_server_user() {
  if [ "$(id -u)" -ne 0 ]; then
    "$@"
    return
  fi
  setpriv --reuid="$(id -u "$USER_NAME")" --regid="$(id -g "$USER_NAME")" --init-groups \
    --reset-env -- env PATH=/usr/bin:/bin "$@"
}

url() {
  echo "postgres://postgres@127.0.0.1:$(cat "$dir/port")/postgres"
}

# Starts the server of DIR's cluster on the port in DIR/port.
serve() {
  local bin="$1" port
  port="$(cat "$dir/port")"
  as_server_user "$bin/pg_ctl" -D "$dir/cluster" -l "$dir/cluster/server.log" -w -t 30 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
    start >&2 || { cat "$dir/cluster/server.log" >&2; exit 1; }
}

case "$cmd" in
start)
  if [ -f "$dir/port" ] && [ -n "$(bindir)" ] && as_server_user "$(bindir)/pg_ctl" -D "$dir/cluster" status >/dev/null 2>&1; then
    url
    exit 0
  fi
  if [ -z "$(bindir)" ]; then
    # Installed the way tests/run.sh installs nginx and wrk: Debian's packages.
    SUDO=""
    [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    {
      $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update
      $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postgresql
    } >&2
  fi
  bin="$(bindir)"
  [ -n "$bin" ] || { echo "postgres.sh: no initdb after installing postgresql" >&2; exit 1; }
  if [ "$(id -u)" -eq 0 ] && ! id -u "$USER_NAME" >/dev/null 2>&1; then
    useradd --system --no-create-home --shell /usr/sbin/nologin "$USER_NAME"
  fi
  rm -rf "$dir"
  mkdir -p "$dir"
  dir="$(cd "$dir" && pwd)"
  [ "$(id -u)" -eq 0 ] && chown "$USER_NAME" "$dir"
  # The server user must reach DIR: grant search (not read) on the folders above it.
  up="$(dirname "$dir")"
  while [ "$(id -u)" -eq 0 ] && [ "$up" != "/" ]; do
    mode="$(stat -c %a "$up")"
    [ $((8#$mode & 1)) -eq 1 ] || chmod o+x "$up"
    up="$(dirname "$up")"
  done
  port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  as_server_user "$bin/initdb" -D "$dir/cluster" -U postgres --auth=trust --no-sync \
    --encoding=UTF8 --locale=C >"$dir/initdb.log" 2>&1 ||
    { cat "$dir/initdb.log" >&2; exit 1; }
  echo "$port" >"$dir/port"
  serve "$bin"
  url
  ;;
down)
  as_server_user "$(bindir)/pg_ctl" -D "$dir/cluster" -m fast -w stop >&2
  ;;
up)
  dir="$(cd "$dir" && pwd)"
  serve "$(bindir)"
  ;;
stop)
  bin="$(bindir)"
  if [ -n "$bin" ] && [ -d "$dir/cluster" ]; then
    as_server_user "$bin/pg_ctl" -D "$dir/cluster" -m fast -w stop >&2 || true
  fi
  rm -rf "$dir"
  ;;
*)
  echo "usage: postgres.sh start|stop|down|up DIR" >&2
  exit 2
  ;;
esac
