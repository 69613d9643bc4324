#!/usr/bin/python3
"""Operating convene (issue 14) against the real binary:

1. GET /metrics: Prometheus text; request counts by route pattern and status move by exactly what
   was sent; feed 200/304/gzip; outbox, memory, threads, database size; only this machine, or a
   Bearer --metrics-token; a client behind the trusted proxy is not "this machine".
2. Logs: --log-format json gives one JSON object a line with method, path, route, status, ms; no
   capability token appears; SIGHUP reopens --log-file after logrotate moved it.
3. convene admin backup under write load: every venue acknowledged before the backup began is in
   the copy, the copy passes integrity_check, and a server started on the restored copy serves it
   with the same API token; an existing target is refused with one line on stderr.

  operations.py /path/to/convene
"""
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_lib import Tally, call, free_port, http, stop_all, wait_up  # noqa: E402

check = Tally("operations")
ORGANISER = "secretary@example.org"


def serve(binary, db, tmp, port, extra=()):
    p = subprocess.Popen([binary, "serve", "--db", db, "--listen", "127.0.0.1:%d" % port,
                          "--spool", tmp + "/spool"] + list(extra),
                         stdout=subprocess.DEVNULL, stderr=open("%s/stderr-%d" % (tmp, port), "w"))
    if not wait_up("http://127.0.0.1:%d/healthz" % port, 15):
        raise RuntimeError("convene did not start")
    return p


def scrape(base, headers=None):
    """{(name, frozenset(labels)): value} of /metrics, and the status."""
    st, h, body = http("GET", base + "/metrics", headers=headers)
    out = {}
    for line in body.decode("utf-8", "replace").splitlines():
        if not line or line.startswith("#"):
            continue
        m = re.match(r'^([a-z_]+)(?:\{(.*)\})? (\S+)$', line)
        if not m:
            continue
        pairs = re.findall(r'([a-z_]+)="((?:[^"\\]|\\.)*)"', m.group(2) or "")
        # Label values are escaped (\\ \" \n) in the text format.
        labels = frozenset((k, re.sub(r'\\(.)', lambda x: "\n" if x.group(1) == "n" else x.group(1), v))
                           for k, v in pairs)
        out[(m.group(1), labels)] = float(m.group(3))
    return st, h, out


def value(metrics, name, **labels):
    return metrics.get((name, frozenset(labels.items())), 0.0)


def metrics_checks(binary, db, tmp):
    port = free_port()
    log = tmp + "/convene.log"
    p = serve(binary, db, tmp, port, ["--log-format", "json", "--log-file", log])
    base = "http://127.0.0.1:%d" % port
    try:
        st, h, m0 = scrape(base)
        check(st == 200 and h.get("Content-Type", "").startswith("text/plain"), "/metrics answers text (%s)" % st)
        for _ in range(7):
            http("GET", base + "/healthz")
        feed = base + "/feeds/groups/futures.ics"
        st, fh, _ = http("GET", feed)
        http("GET", feed, headers={"If-None-Match": fh.get("ETag", "")})
        http("GET", feed, headers={"Accept-Encoding": "gzip"})
        http("GET", base + "/no/such/page")
        _, _, m1 = scrape(base)
        d = value(m1, "convene_http_requests_total", method="GET", route="/healthz", status="200") - \
            value(m0, "convene_http_requests_total", method="GET", route="/healthz", status="200")
        check(d == 7, "healthz count moved by exactly the 7 sent (%s)" % d)
        route = r"/feeds/groups/([a-z0-9-]{1,40})\.ics"
        check(value(m1, "convene_http_requests_total", method="GET", route=route, status="200") >= 2,
              "feed 200s counted under the route pattern")
        check(value(m1, "convene_http_requests_total", method="GET", route=route, status="304") >= 1,
              "feed 304 counted")
        check(value(m1, "convene_http_gzip_responses_total", method="GET", route=route) >= 1, "feed gzip counted")
        check(value(m1, "convene_http_requests_total", method="", route="(none)", status="404") >= 1,
              "an unmatched path counted under (none)")
        count = value(m1, "convene_http_request_duration_seconds_count", method="GET", route="/healthz")
        inf = value(m1, "convene_http_request_duration_seconds_bucket", method="GET", route="/healthz", le="+Inf")
        check(count >= 7 and count == inf, "latency histogram: +Inf bucket equals the count (%s, %s)" % (count, inf))
        for name in ["convene_process_resident_memory_bytes", "convene_process_threads", "convene_database_bytes"]:
            check(value(m1, name) > 0, "%s reported (%s)" % (name, value(m1, name)))
        check(("convene_outbox_notices", frozenset({("state", "queued")})) in m1, "outbox by state reported")
        check(value(m1, "convene_feed_renders_total") >= 1, "feed renders reported")
        check(value(m1, "convene_feed_cache_hits_total") >= 1, "feed cache hits reported")

        # Logs: JSON lines, fields, no capability token.
        token_path = "/feeds/members/" + "A" * 43 + ".ics"
        http("GET", base + token_path)
        time.sleep(0.2)
        with open(log) as f:
            lines = f.read().splitlines()
        parsed = []
        for line in lines:
            try:
                parsed.append(json.loads(line))
            except ValueError:
                parsed.append(None)
        check(lines and all(x is not None for x in parsed), "every log line is JSON (%d lines)" % len(lines))
        # Issue 12 bug 12: no --base-url given, so links name the port convene listens on.
        check(("base_url=http://127.0.0.1:%d " % port) in "\n".join(lines),
              "without --base-url, links use the --listen address (port %d)" % port)
        reqs = [x for x in parsed if x and "status" in x]
        check(any(x.get("route") == "/healthz" and x.get("status") == 200 and x.get("method") == "GET"
                  and isinstance(x.get("ms"), (int, float)) for x in reqs), "request lines carry method, route, status, ms")
        check("A" * 43 not in "\n".join(lines), "no capability token in the log")
        check(any(x.get("path", "").startswith("/feeds/members/<token>") for x in reqs), "the token path is redacted")

        # SIGHUP after logrotate's move: a new file gets the new lines.
        os.rename(log, log + ".1")
        p.send_signal(signal.SIGHUP)
        time.sleep(0.3)
        http("GET", base + "/healthz?after-rotate")
        time.sleep(0.2)
        new = open(log).read() if os.path.exists(log) else ""
        old = open(log + ".1").read()
        check("after-rotate" not in old and "/healthz" in new, "SIGHUP reopened the log file")
        check(p.poll() is None, "the server lives on after SIGHUP")
    finally:
        stop_all([p])

    # A token, and a trusted proxy's outside client.
    port = free_port()
    p = serve(binary, db, tmp, port, ["--metrics-token", "scrape-secret-0123456789", "--trusted-proxy", "127.0.0.1"])
    base = "http://127.0.0.1:%d" % port
    try:
        st, _, _ = scrape(base)
        check(st == 403, "with --metrics-token, no token: 403 (%s)" % st)
        st, _, m = scrape(base, {"Authorization": "Bearer scrape-secret-0123456789"})
        check(st == 200 and m, "with the token: 200 (%s)" % st)
    finally:
        stop_all([p])
    port = free_port()
    p = serve(binary, db, tmp, port, ["--trusted-proxy", "127.0.0.1"])
    base = "http://127.0.0.1:%d" % port
    try:
        st, _, _ = scrape(base, {"X-Real-IP": "203.0.113.5"})
        check(st == 403, "an outside client behind the trusted proxy: 403 (%s)" % st)
        st, _, _ = scrape(base)
        check(st == 200, "this machine without a token: 200 (%s)" % st)
    finally:
        stop_all([p])


def backup_checks(binary, db, tmp, token):
    port = free_port()
    p = serve(binary, db, tmp, port)
    base = "http://127.0.0.1:%d/api/v1" % port
    acked = []  # (monotonic time of the 201, id)
    stop = threading.Event()

    def writer():
        i = 0
        while not stop.is_set() and i < 5000:
            i += 1
            st, _, body = call("POST", base + "/venues",
                               {"name": "Room %d" % i, "address": "1 Road", "postcode": "EC1"}, token)
            if st == 201 and body:
                acked.append((time.monotonic(), body["id"]))

    ws = [threading.Thread(target=writer) for _ in range(2)]
    try:
        for w in ws:
            w.start()
        time.sleep(1.0)
        copy = tmp + "/backup.db"
        began = time.monotonic()
        r = subprocess.run([binary, "admin", "backup", "--db", db, "--to", copy], capture_output=True, text=True,
                           timeout=60)
        ended = time.monotonic()
        time.sleep(0.5)
        stop.set()
        for w in ws:
            w.join(30)
        check(r.returncode == 0, "backup ran (%d: %s)" % (r.returncode, r.stderr.strip()))
        before = {i for t, i in acked if t < began}
        con = sqlite3.connect(copy)
        have = {row[0] for row in con.execute("SELECT id FROM venues")}
        integrity = con.execute("PRAGMA integrity_check").fetchone()[0]
        con.close()
        missing = before - have
        check(not missing, "every venue acknowledged before the backup is in it (%d of %d missing)"
              % (len(missing), len(before)))
        check(integrity == "ok", "the copy passes integrity_check (%s)" % integrity)
        after = {i for t, i in acked if t > ended}
        print("operations: backup under load: acknowledged before=%d during/after=%d in copy=%d missing=0 "
              "backup took %.2f s" % (len(before), len(acked) - len(before), len(have), ended - began))
        check(len(after) > 0, "writes went on during and after the backup (%d after)" % len(after))

        r2 = subprocess.run([binary, "admin", "backup", "--db", db, "--to", copy], capture_output=True, text=True,
                            timeout=60)
        check(r2.returncode != 0 and len(r2.stderr.strip().splitlines()) == 1 and "exists" in r2.stderr,
              "an existing target is refused in one line (%s)" % r2.stderr.strip())
    finally:
        stop.set()
        stop_all([p])

    # Restore: the copy becomes a database; the same token reads it.
    restored = tmp + "/restored.db"
    os.rename(copy, restored)
    port = free_port()
    p = serve(binary, restored, tmp, port)
    try:
        st, _, body = call("GET", "http://127.0.0.1:%d/api/v1/venues" % port, token=token)
        ids = {v["id"] for v in (body or {}).get("venues", [])} if isinstance(body, dict) else set()
        if isinstance(body, list):
            ids = {v["id"] for v in body}
        check(st == 200 and before <= ids, "a server on the restored copy serves every backed-up venue (%s, %d)"
              % (st, len(ids)))
    finally:
        stop_all([p])


def main():
    binary = sys.argv[1]
    tmp = tempfile.mkdtemp(prefix="convene-ops-")
    db = tmp + "/c.db"
    subprocess.run([binary, "demo", "--db", db], check=True, capture_output=True, timeout=60)
    token = subprocess.run([binary, "admin", "token", "--db", db, "--organiser", ORGANISER],
                           check=True, capture_output=True, text=True, timeout=60).stdout.strip()
    v = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=10)
    check(v.returncode == 0 and re.match(r"^convene \d+\.\d+\.\d+$", v.stdout.strip()), "--version (%r)" % v.stdout)
    try:
        metrics_checks(binary, db, tmp)
        backup_checks(binary, db, tmp, token)
    finally:
        subprocess.run(["rm", "-rf", tmp])
    return check.finish()


if __name__ == "__main__":
    sys.exit(main())
