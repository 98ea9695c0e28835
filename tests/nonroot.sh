#!/usr/bin/env bash
# The command-isolation end-to-end tests again, with the server as an unprivileged user: no
# per-account uid is possible then, so the launcher isolates commands with a user namespace
# (or refuses them when it cannot), and the tests assert what that mode guarantees.
#
# Run by tests/run.sh after the root run. Needs root to create the user and switch to it; as
# a non-root caller the ordinary `cargo test` run already is the non-root run, so this exits.
set -euo pipefail
cd "$(dirname "$0")/.."

USER_NAME="${FERRY_NONROOT_USER:-ferry-ci}"
if [ "$(id -u)" -ne 0 ]; then
  echo "   already running as $(id -un): the main test run covered the non-root server"
  exit 0
fi
if ! id -u "$USER_NAME" >/dev/null 2>&1; then
  useradd --system --no-create-home --shell /usr/sbin/nologin "$USER_NAME"
fi
uid="$(id -u "$USER_NAME")"
gid="$(id -g "$USER_NAME")"
as_user() { setpriv --reuid="$uid" --regid="$gid" --init-groups --reset-env -- "$@"; }

# One build as the caller; the user only runs the binaries.
bin="$(cargo test --locked --test e2e --no-run --message-format=json 2>/dev/null |
  python3 -c 'import json,sys
for l in sys.stdin:
    m = json.loads(l)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "e2e" and m.get("executable"):
        print(m["executable"])')"
[ -x "$bin" ] || { echo "e2e test binary not found" >&2; exit 1; }
ferry="$(dirname "$(dirname "$bin")")/ferry" # what CARGO_BIN_EXE_ferry names

# The user must reach both binaries: grant search (not read) on the folders above them.
dir="$PWD"
while [ "$dir" != "/" ]; do
  mode="$(stat -c %a "$dir")"
  [ $((8#$mode & 1)) -eq 1 ] || chmod o+x "$dir"
  dir="$(dirname "$dir")"
done
as_user test -x "$bin" -a -x "$ferry" || { echo "$USER_NAME cannot run the test binaries" >&2; exit 1; }

scratch="$(mktemp -d)"
chown "$uid:$gid" "$scratch"
trap 'rm -rf "$scratch"' EXIT
echo "   as $USER_NAME (uid $uid), scratch $scratch"
# CARGO_MANIFEST_DIR as cargo sets it: a test checks that the server's environment stays hidden.
as_user env PATH=/usr/local/bin:/usr/bin:/bin HOME="$scratch" TMPDIR="$scratch" CARGO_MANIFEST_DIR="$PWD" \
  "$bin" exec_ --test-threads=2
