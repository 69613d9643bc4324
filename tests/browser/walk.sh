#!/usr/bin/env bash
# The browser walk: starts the real convene binary on a temp database with the demo loaded and a
# free port on 127.0.0.1, sets the demo organiser's password, then drives Debian's chromium
# through walk.mjs (playwright-core). Screenshots go to tests/artifacts/browser/ (gitignored).
# Notices wait 5 s (not 60) and land as .eml files in the spool, where the walk reads the
# member's unsubscribe link as a mail client would.
#   tests/browser/walk.sh path/to/convene
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
bin="$(realpath "$1")"
[ -x /usr/bin/chromium ] || { echo "walk.sh: /usr/bin/chromium is missing (deploy/install-deps --test)" >&2; exit 1; }
[ -d "$root/tests/node/node_modules/playwright-core" ] || { echo "walk.sh: playwright-core is missing (deploy/install-deps --test)" >&2; exit 1; }

tmp="$(mktemp -d)"
pid=""
# CONVENE_E2E_PG (ctest's pg.e2e_browser_walk): the URI file of the tests' throwaway PostgreSQL;
# the walk then runs on a new database there, dropped at the end.
db="$tmp/convene.db"
artifacts="$root/tests/artifacts/browser"
pg_server=""
if [ -n "${CONVENE_E2E_PG:-}" ]; then
  pg_server="$(cat "$CONVENE_E2E_PG")"
  pg_name="e2e_browser_$$"
  psql "$pg_server" -qAtc "CREATE DATABASE $pg_name" >/dev/null
  db="${pg_server%/*}/$pg_name"
  artifacts="$root/tests/artifacts/browser-postgres"
  echo "walk.sh: on PostgreSQL, database $pg_name"
fi
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  if [ -n "$pg_server" ]; then
    psql "$pg_server" -qAtc "DROP DATABASE IF EXISTS $pg_name WITH (FORCE)" >/dev/null 2>&1 || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT

port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
base="http://127.0.0.1:$port"
password="walk-$(head -c 12 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')"
"$bin" demo --db "$db" 2>/dev/null
printf '%s\n' "$password" | "$bin" admin password --db "$db" --organiser secretary@example.org 2>/dev/null
"$bin" serve --db "$db" --listen "127.0.0.1:$port" --base-url "$base" \
  --spool "$tmp/spool" --notice-delay 5 >"$tmp/serve.out" 2>"$tmp/serve.log" &
pid=$!
for _ in $(seq 1 100); do
  if python3 -c "import urllib.request,sys; urllib.request.urlopen('$base/healthz', timeout=1)" 2>/dev/null; then break; fi
  kill -0 "$pid" 2>/dev/null || { echo "walk.sh: convene did not start:" >&2; cat "$tmp/serve.log" >&2; exit 1; }
  sleep 0.1
done

mkdir -p "$artifacts"
status=0
BASE="$base" PASSWORD="$password" ARTIFACTS="$artifacts" SPOOL="$tmp/spool" \
  timeout 150 node "$here/walk.mjs" || status=$?
if [ $status -ne 0 ]; then
  echo "walk.sh: the walk failed ($status); server log:" >&2
  tail -n 30 "$tmp/serve.log" >&2
fi
exit $status
