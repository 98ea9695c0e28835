#!/usr/bin/env bash
# The committed openapi.yaml as a contract: validated by openapi-spec-validator and Redocly
# (recommended-strict), a Python client (openapi-python-client) and a TypeScript client
# (openapi-typescript + openapi-fetch, checked by `tsc --noEmit`) generated from it, and a
# short program in each run against the real server (FERRY_BIN, default target/debug/ferry,
# on 127.0.0.1 with a temp data folder). Every tool is pinned (requirements.txt,
# package-lock.json) and installed here.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
spec="$repo/openapi.yaml"
bin="${FERRY_BIN:-$repo/target/debug/ferry}"
[ -x "$bin" ] || { echo "no server binary at $bin (cargo build --bin ferry, or set FERRY_BIN)" >&2; exit 1; }

work="$(mktemp -d)"
server=""
cleanup() {
  if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

echo "-- installing (pip, npm ci)"
python3 -m pip install --quiet --disable-pip-version-check -r "$here/requirements.txt"
(cd "$here" && npm ci --no-audit --no-fund --silent)

echo "-- validating openapi.yaml"
python3 -m openapi_spec_validator "$spec"
(cd "$here" && npx --no-install redocly lint --config redocly.yaml "$spec")

echo "-- generating clients"
# tus bodies (`application/offset+octet-stream`) are raw bytes like `application/octet-stream`.
printf 'post_hooks: []\ncontent_type_overrides:\n  application/offset+octet-stream: application/octet-stream\n  application/partial-upload: application/octet-stream\n' \
  > "$work/generator.yaml"
gen_log="$work/python-generator.log"
python3 -m openapi_python_client generate --path "$spec" --meta none \
  --output-path "$work/python/ferry_api" --config "$work/generator.yaml" >"$gen_log" 2>&1 \
  || { cat "$gen_log"; exit 1; }
# The generator still succeeds when it leaves parts of the spec out; it says so.
if grep -q "Warning" "$gen_log"; then cat "$gen_log"; exit 1; fi
(cd "$here" && node generate.mjs "$spec" generated/ferry.ts)

echo "-- type-checking the TypeScript client"
(cd "$here" && npx --no-install tsc --noEmit -p tsconfig.json)
(cd "$here" && npx --no-install tsc -p tsconfig.json --outDir "$work/ts")

echo "-- starting the server"
password="openapi clients $RANDOM$RANDOM"
mkdir "$work/data"
# `*` with credentials is refused before anything starts.
if "$bin" serve --data "$work/data" --cors-origin '*' >"$work/wildcard.log" 2>&1; then
  echo "ferry serve --cors-origin '*' was accepted" >&2; exit 1
fi
grep -q "is not allowed" "$work/wildcard.log" || { cat "$work/wildcard.log" >&2; exit 1; }
# The CORS origins from the environment, comma-separated; client.py checks a preflight.
export FERRY_TEST_ORIGIN="https://app.test:8443"
FERRY_CORS_ORIGIN="http://localhost:5173,$FERRY_TEST_ORIGIN" \
FERRY_ADMIN_PASSWORD="$password" NO_COLOR=1 "$bin" serve --data "$work/data" \
  --tcp 127.0.0.1:0 --http 127.0.0.1:0 >"$work/server.log" 2>&1 &
server=$!
url=""
for _ in $(seq 300); do
  url="$(sed -n 's|.*http listening on \(http://[0-9.]*:[0-9]*\)/.*|\1|p' "$work/server.log" | head -n1)"
  [ -n "$url" ] && break
  kill -0 "$server" 2>/dev/null || break
  sleep 0.1
done
[ -n "$url" ] || { echo "the server did not start:" >&2; cat "$work/server.log" >&2; exit 1; }

export FERRY_URL="$url" FERRY_USER=admin FERRY_PASSWORD="$password"
echo "-- python client against $url"
PYTHONPATH="$work/python" python3 "$here/client.py"
echo "-- typescript client against $url"
# The compiled program imports openapi-fetch from tests/openapi/node_modules.
ln -s "$here/node_modules" "$work/ts/node_modules"
printf '{"type":"module"}\n' > "$work/ts/package.json"
node "$work/ts/client.js"
echo "openapi clients: 2 passed, 0 failed"
