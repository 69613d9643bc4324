#!/usr/bin/python3
"""Running larger (issue 13), end to end on a real PostgreSQL (Debian's postgresql-15, the
throwaway cluster of tests/support/postgres.sh):

  1. `admin copy` of a live SQLite database (the demo, plus an organiser token) into an empty
     PostgreSQL database: every table's count equals the SQLite file's (read here with Python's
     own sqlite3); a second copy into the same database is refused; bad --db URIs (a password in
     it, nobody listening) fail with one line and a non-zero exit.
  2. Two convene instances on that database and one on the SQLite original: the same group feed
     bytes and ETag from all three; the SQLite token works on PostgreSQL.
  3. Concurrent edits with the same If-Match, one through each instance: exactly one wins, 20
     times; a change through one instance is in the other's feed within 1 s.
  4. 1,000 notices (the welcomes of 1,000 members imported from a CSV through instance A) to a
     real SMTP server (aiosmtpd); A is killed with SIGKILL mid-delivery and B delivers the rest:
     none lost, duplicates no more than the rows A had in flight.
  5. nginx in front of B and a new instance C with deploy/postgres/convene-two.conf's upstream
     and the project's server block: feeds and a write through it; C killed, every request is
     still answered (by B).

  postgres_instances.py path/to/convene path/to/uri-file
"""
import collections
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_lib import Tally, call, free_port, http, start_nginx, stop_all, wait_up  # noqa: E402
from notify_e2e_lib import Sink, message_id  # noqa: E402

TABLES = ["organisers", "venues", "groups", "members", "series", "meetings", "tokens",
          "presenters", "apologies", "attendance", "secrets", "login_failures", "outbox",
          "password_resets", "reminders"]


def psql(uri, sql):
    out = subprocess.run(["psql", uri, "-qAtc", sql], capture_output=True, text=True, timeout=30)
    if out.returncode != 0:
        raise RuntimeError("psql: " + out.stderr)
    return out.stdout.strip()


def main():
    binary, uri_file = os.path.realpath(sys.argv[1]), sys.argv[2]
    server = open(uri_file).read().strip()
    check = Tally("postgres instances")
    name = "e2e_%d" % os.getpid()
    psql(server, "CREATE DATABASE " + name)
    pg = server.rsplit("/", 1)[0] + "/" + name
    procs = []
    tmp = tempfile.mkdtemp()
    sink = Sink(os.path.join(tmp, "sink"), args=("--delay-ms", "3"))
    try:
        run(check, binary, tmp, server, name, procs, sink)
    finally:
        stop_all(procs)
        sink.stop()
        psql(server, "DROP DATABASE IF EXISTS %s WITH (FORCE)" % name)
        subprocess.run(["rm", "-rf", tmp])
    return check.finish()


def one_line_failure(check, what, cmd, must_say, must_not=None):
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    lines = out.stderr.strip().splitlines()
    check(out.returncode != 0, "%s: a non-zero exit (%d)" % (what, out.returncode))
    check(len(lines) == 1, "%s: one line on stderr, not %r" % (what, lines))
    check(must_say in out.stderr, "%s: says %r (%r)" % (what, must_say, out.stderr))
    if must_not:
        check(must_not not in out.stderr, "%s: does not repeat %r" % (what, must_not))


def run(check, binary, tmp, server, name, procs, sink):
    pg = server.rsplit("/", 1)[0] + "/" + name
    db = os.path.join(tmp, "convene.db")
    subprocess.run([binary, "demo", "--db", db], check=True, capture_output=True, timeout=60)
    token = subprocess.run([binary, "admin", "token", "--db", db, "--organiser",
                            "secretary@example.org"], check=True, capture_output=True, text=True,
                           timeout=60).stdout.strip()

    # ---- 1. admin copy ----
    lite = sqlite3.connect(db)
    want = {t: lite.execute("SELECT count(*) FROM " + t).fetchone()[0] for t in TABLES}
    lite.close()
    out = subprocess.run([binary, "admin", "copy", "--from", db, "--to", pg],
                         capture_output=True, text=True, timeout=120)
    check(out.returncode == 0, "admin copy exits 0: " + out.stderr)
    printed = dict((l.split()[0], int(l.split()[1])) for l in out.stdout.splitlines() if l.strip())
    check(printed == want, "admin copy prints each table's rows as SQLite has them: %s vs %s"
          % (printed, want))
    got = {t: int(psql(pg, "SELECT count(*) FROM " + t)) for t in TABLES}
    check(got == want, "PostgreSQL holds every row: %s vs %s" % (got, want))
    check(psql(pg, "SELECT string_agg(hash, ',' ORDER BY hash) FROM tokens")
          == ",".join(sorted(r[0] for r in sqlite3.connect(db).execute("SELECT hash FROM tokens"))),
          "the token hashes are the same")
    one_line_failure(check, "a second copy", [binary, "admin", "copy", "--from", db, "--to", pg],
                     "not empty")
    host = server.split("@", 1)[1].rsplit("/", 1)[0]
    one_line_failure(check, "a password in the URI",
                     [binary, "serve", "--db", "postgresql://convene:hunter2@%s/x" % host],
                     "PGPASSWORD", must_not="hunter2")
    one_line_failure(check, "nobody listening",
                     [binary, "serve", "--db", "postgresql://convene@127.0.0.1:%d/x" % free_port(),
                      "--listen", "127.0.0.1:%d" % free_port()], "cannot connect")

    # ---- 2. three instances, the same bytes ----
    def start(label, database, extra=()):
        port = free_port()
        log = open(os.path.join(tmp, label + ".log"), "wb")
        p = subprocess.Popen([binary, "serve", "--db", database, "--listen", "127.0.0.1:%d" % port,
                              "--base-url", "http://convene.example.org", "--smtp", sink.url,
                              "--notice-delay", "1", "--mail-lease", "3", *extra],
                             stdout=log, stderr=log)
        procs.append(p)
        base = "http://127.0.0.1:%d" % port
        check(wait_up(base + "/healthz", 20), label + " starts")
        return p, base

    _, s = start("sqlite", db)
    proc_a, a = start("a", pg)
    _, b = start("b", pg)
    feeds = [http("GET", base + "/feeds/groups/futures.ics") for base in (s, a, b)]
    check(all(f[0] == 200 for f in feeds), "the group feed from all three")
    check(feeds[0][2] == feeds[1][2] == feeds[2][2], "the same feed bytes from SQLite, A and B")
    check(feeds[0][1].get("ETag") == feeds[1][1].get("ETag") == feeds[2][1].get("ETag"),
          "the same ETag from all three")
    status, _, groups = call("GET", a + "/api/v1/groups", token=token)
    check(status == 200 and groups, "the SQLite token works on PostgreSQL")

    # ---- 3. concurrent edits: exactly one wins ----
    status, _, listed = call("GET", a + "/api/v1/groups/futures/meetings", token=token)
    meetings = listed["meetings"] if isinstance(listed, dict) else listed
    meeting = meetings[-1]["id"]
    path = "/api/v1/meetings/%d" % meeting
    for i in range(20):
        etag = http("GET", a + path, token=token)[1].get("ETag")
        results = {}

        def patch(base, label):
            results[label] = http("PATCH", base + path, body={"notes": "round %d by %s" % (i, label)},
                                  token=token, headers={"If-Match": etag})[0]
        threads = [threading.Thread(target=patch, args=(base, label)) for base, label in ((a, "a"), (b, "b"))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(20)
        check(sorted(results.values()) == [200, 412],
              "round %d: exactly one of two concurrent edits wins (%s)" % (i, results))
    before = http("GET", b + "/feeds/groups/futures.ics")[1].get("ETag")
    status, _, venue = call("POST", b + "/api/v1/venues", body={
        "name": "Guildhall", "address": "Gresham Street, London", "postcode": "EC2V 7HH"},
        token=token)
    check(status == 201, "a venue added through B (%d)" % status)
    status = http("PATCH", a + path, body={"venue_id": venue["id"]}, token=token,
                  headers={"If-Match": http("GET", a + path, token=token)[1].get("ETag")})[0]
    check(status == 200, "a venue change through A (%d)" % status)
    t0 = time.time()
    seen = before
    while time.time() - t0 < 1.0 and seen == before:
        seen = http("GET", b + "/feeds/groups/futures.ics")[1].get("ETag")
        time.sleep(0.02)
    check(seen != before, "B's feed shows A's change within 1 s")
    check(seen == http("GET", a + "/feeds/groups/futures.ics")[1].get("ETag"),
          "A and B then give the same ETag")

    # ---- the database goes away, then comes back ----
    psql(server, "ALTER DATABASE %s ALLOW_CONNECTIONS false" % name)
    psql(server, "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                 " WHERE datname = '%s'" % name)
    venue = {"name": "Away", "address": "1 Nowhere Street", "postcode": "AB1 2CD"}
    status = http("POST", a + "/api/v1/venues", body=venue, token=token)[0]
    check(status == 503, "a write while the database is away is 503 (%d)" % status)
    psql(server, "ALTER DATABASE %s ALLOW_CONNECTIONS true" % name)
    status = http("POST", a + "/api/v1/venues", body=dict(venue, name="Back"), token=token)[0]
    check(status == 201, "the first write once it is back succeeds (%d)" % status)
    status = http("GET", b + "/feeds/groups/futures.ics")[0]
    check(status == 200, "B serves again at once (%d)" % status)
    names = psql(pg, "SELECT string_agg(name, ',' ORDER BY id) FROM venues")
    check("Back" in names and "Away" not in names,
          "the refused write was not stored, the later one was (%s)" % names)

    # ---- 4. 1,000 notices, A killed mid-delivery ----
    time.sleep(2)  # the venue change's notices (a 1 s window) go first
    already = len(sink.messages())
    rows = ["name,email"] + ["Member %04d,m%04d@example.org" % (i, i) for i in range(1000)]
    status, _, raw = http("POST", a + "/api/v1/groups/futures/members/import",
                          data=("\r\n".join(rows) + "\r\n").encode(), token=token,
                          headers={"Content-Type": "text/csv"}, timeout=60)
    check(status == 200, "1,000 members imported through A (%d %s)" % (status, raw[:200]))
    deadline = time.time() + 20
    while len(sink.messages()) - already < 100 and time.time() < deadline:
        time.sleep(0.05)
    proc_a.send_signal(signal.SIGKILL)
    proc_a.wait(10)
    in_flight = int(psql(pg, "SELECT count(*) FROM outbox WHERE status = 'queued'"
                             " AND lease_until IS NOT NULL"))
    delivered_at_kill = len(sink.messages()) - already
    check(delivered_at_kill < 1000, "A was killed mid-delivery (%d of 1,000 delivered)"
          % delivered_at_kill)
    deadline = time.time() + 90
    while time.time() < deadline:
        if psql(pg, "SELECT count(*) FROM outbox WHERE status = 'queued'") == "0":
            break
        time.sleep(0.2)
    expected = set(psql(pg, "SELECT message_id FROM outbox WHERE kind = 'welcome'"
                            " AND recipient LIKE 'm%@example.org'").split())
    seen_ids = collections.Counter(message_id(raw) for _, raw in sink.messages())
    welcomes = {m: n for m, n in seen_ids.items() if m in expected}
    lost = len(expected - set(welcomes))
    duplicates = sum(welcomes.values()) - len(welcomes)
    print("notices=%d lost=%d duplicates=%d in_flight_at_kill=%d delivered_by_A_before_kill=%d"
          % (len(expected), lost, duplicates, in_flight, delivered_at_kill))
    check(len(expected) == 1000, "1,000 welcome notices were queued (%d)" % len(expected))
    check(lost == 0, "none lost (%d)" % lost)
    check(duplicates <= in_flight, "duplicates (%d) no more than in flight at the kill (%d)"
          % (duplicates, in_flight))

    # ---- 5. behind nginx, as deploy/postgres/convene-two.conf has it ----
    nginx_front(check, tmp, b, lambda: start("c", pg), procs, token)


def nginx_front(check, tmp, b, start_c, procs, token):
    """nginx with deploy/postgres/convene-two.conf's upstream (its two servers, max_fails and
    fail_timeout, keepalive) and the project's server block, in front of B and a new instance C:
    both serve through it, a write through it is seen through it, and when C is killed every
    request still gets an answer from B."""
    if not shutil.which("nginx", path="/usr/sbin:" + os.environ.get("PATH", "")):
        print("SKIP nginx: not installed (deploy/install-deps --test installs nginx-light)")
        return
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    conf = open(os.path.join(repo, "deploy", "postgres", "convene-two.conf")).read()
    block = re.search(r"upstream convene \{.*?\n\}", conf, re.S)
    check(block and "127.0.0.1:8081" in block.group(0) and "127.0.0.1:8082" in block.group(0),
          "convene-two.conf has an upstream of two instances")
    if not block:
        return
    proc_c, c = start_c()
    port_b, port_c = int(b.rsplit(":", 1)[1]), int(c.rsplit(":", 1)[1])
    upstream = block.group(0).replace("127.0.0.1:8081", "127.0.0.1:%d" % port_b) \
                             .replace("127.0.0.1:8082", "127.0.0.1:%d" % port_c)
    nport = free_port()
    ntmp = os.path.join(tmp, "nginx")
    os.makedirs(ntmp, exist_ok=True)
    procs.append(start_nginx(ntmp, 0, nport, repo, upstream=upstream))
    front = "http://127.0.0.1:%d" % nport
    check(wait_up(front + "/healthz", 10), "nginx answers in front of B and C")
    direct = http("GET", b + "/feeds/groups/futures.ics")
    served = [http("GET", front + "/feeds/groups/futures.ics") for _ in range(10)]
    check(all(st == 200 and body == direct[2] for st, _, body in served),
          "through nginx, ten feed requests get B's bytes (%s)" % [st for st, _, _ in served])
    status, _, venue = call("POST", front + "/api/v1/venues", body={
        "name": "Front Hall", "address": "1 Proxy Row", "postcode": "EC1A 1AA"}, token=token)
    check(status == 201, "a write through nginx (%d)" % status)
    seen = [http("GET", front + "/api/v1/venues/%d" % venue.get("id", 0), token=token)[0]
            for _ in range(6)] if status == 201 else []
    check(seen == [200] * 6, "and read back through nginx from either instance (%s)" % seen)
    proc_c.send_signal(signal.SIGKILL)
    proc_c.wait(10)
    after = [http("GET", front + "/feeds/groups/futures.ics")[0] for _ in range(20)]
    check(after == [200] * 20, "C killed: nginx answers every request from B (%s)" % after)
    print("nginx: two instances upstream, one killed: %d of 20 requests answered" % after.count(200))


if __name__ == "__main__":
    sys.exit(main())
