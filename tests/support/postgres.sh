#!/usr/bin/env bash
# A throwaway PostgreSQL for the tests: Debian's postgresql-15, a new cluster in a temporary
# directory under /tmp, listening on 127.0.0.1 only (a free port) and on a socket beside its data,
# trust authentication. Run as root (as CI is), the cluster belongs to `nobody` (initdb refuses to
# run as root), which is why it lives under /tmp and not in the checkout (which nobody may not
# be able to enter).
#   tests/support/postgres.sh start DIR   # prints the server's URI, also written to DIR/uri
#   tests/support/postgres.sh stop DIR    # stops it and removes it and DIR
# PG_DURABLE=1 keeps PostgreSQL's durability settings (the benchmark); the tests turn fsync off.
# Every wait is bounded (pg_ctl -t).
set -euo pipefail
cmd="${1:?start or stop}"
dir="${2:?a directory}"
bin=/usr/lib/postgresql/15/bin
[ -x "$bin/initdb" ] || { echo "postgres.sh: $bin/initdb is missing (deploy/install-deps --test)" >&2; exit 1; }

as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u nobody -- "$@"; else "$@"; fi
}

case "$cmd" in
  start)
    mkdir -p "$dir"
    if [ -f "$dir/uri" ] && [ -f "$dir/datadir" ] &&
       as_owner "$bin/pg_ctl" -D "$(cat "$dir/datadir")/data" status >/dev/null 2>&1; then
      cat "$dir/uri"; exit 0
    fi
    home="$(mktemp -d /tmp/convene-pg.XXXXXX)"
    echo "$home" > "$dir/datadir"
    [ "$(id -u)" -eq 0 ] && chown nobody "$home"
    as_owner "$bin/initdb" -D "$home/data" -U convene -A trust --no-locale -E UTF8 --no-sync >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; exit 1; }
    port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
    fast="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    [ "${PG_DURABLE:-0}" = 1 ] && fast=""
    as_owner "$bin/pg_ctl" -D "$home/data" -l "$home/server.log" -w -t 60 \
      -o "-c listen_addresses=127.0.0.1 -p $port -k $home $fast -c max_connections=300" \
      start >/dev/null || { cat "$home/server.log" >&2; exit 1; }
    echo "postgresql://convene@127.0.0.1:$port/postgres" | tee "$dir/uri"
    ;;
  stop)
    if [ -f "$dir/datadir" ]; then
      home="$(cat "$dir/datadir")"
      if [ -d "$home/data" ]; then as_owner "$bin/pg_ctl" -D "$home/data" -m immediate -w -t 30 stop >/dev/null 2>&1 || true; fi
      case "$home" in /tmp/convene-pg.*) rm -rf "$home" ;; esac
    fi
    rm -rf "$dir"
    ;;
  *) echo "postgres.sh: start or stop, not $cmd" >&2; exit 2 ;;
esac
