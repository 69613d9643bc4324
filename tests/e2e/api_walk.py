#!/usr/bin/python3
"""End to end: the real convene binary on a temp database, driven through its command line and
JSON API as an organiser would (issue 2, steps 2 to 4). Expected dates are written from the
calendar. Usage: api_walk.py /path/to/convene"""
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_lib import Tally, call, free_port, wait_up  # noqa: E402

BIN = sys.argv[1]
check = Tally("api_walk")


def main():
    tmp = tempfile.mkdtemp(prefix="convene-e2e-")
    db = os.path.join(tmp, "data", "convene.db")

    # Command line errors: one line on stderr, non-zero exit, no crash.
    r = subprocess.run([BIN, "serve", "--listen", "nonsense"], capture_output=True, text=True, timeout=20)
    check(r.returncode != 0 and r.stderr.count("\n") == 1 and "listen" in r.stderr, "bad --listen: " + r.stderr)
    r = subprocess.run([BIN, "serve", "--bogus"], capture_output=True, text=True, timeout=20)
    check(r.returncode == 2 and r.stderr.count("\n") == 1, "unknown option: " + r.stderr)
    r = subprocess.run([BIN, "admin", "token", "--db", "/proc/nope/x.db", "--organiser", "a@example.org"],
                       capture_output=True, text=True, timeout=20)
    check(r.returncode == 1 and r.stderr.count("\n") == 1, "unusable db: " + r.stderr)
    r = subprocess.run([BIN, "admin", "token", "--db", db, "--organiser", "not an email"],
                       capture_output=True, text=True, timeout=20)
    check(r.returncode == 1 and "organiser" in r.stderr, "bad organiser email: " + r.stderr)

    conf = os.path.join(tmp, "bad.conf")
    with open(conf, "w") as f:
        f.write('colour = "red"\n')
    r = subprocess.run([BIN, "serve", "--config", conf], capture_output=True, text=True, timeout=20)
    check(r.returncode == 2 and "colour" in r.stderr and r.stderr.count("\n") == 1, "bad config: " + r.stderr)

    # Step 2: a token, printed as the only line on stdout.
    r = subprocess.run([BIN, "admin", "token", "--db", db, "--organiser", "sec@example.org", "--name", "Sec"],
                       capture_output=True, text=True, timeout=20)
    check(r.returncode == 0, "admin token exit " + str(r.returncode) + r.stderr)
    token = r.stdout.strip()
    check(len(token) == 43 and r.stdout.count("\n") == 1, "token shape")
    r = subprocess.run([BIN, "demo", "--db", db], capture_output=True, text=True, timeout=60)
    check(r.returncode == 0 and "loaded" in r.stderr, "demo: " + r.stderr)
    outbox = subprocess.run(["sqlite3", db, "SELECT count(*) FROM outbox"], capture_output=True, text=True)
    check(outbox.stdout.strip() == "0", "demo queues no notices: %s" % outbox.stdout)

    port = free_port()
    base = "http://127.0.0.1:%d" % port
    log = open(os.path.join(tmp, "serve.log"), "w")
    proc = subprocess.Popen([BIN, "serve", "--db", db, "--listen", "127.0.0.1:%d" % port, "--base-url", base],
                            stdout=log, stderr=log)
    try:
        check(wait_up(base + "/healthz"), "server up")
        api = base + "/api/v1"

        st, _, v1 = call("POST", api + "/venues", {"name": "Siemens, Hillgate House", "address": "26 Old Bailey, London",
                                                   "postcode": "EC4M 7HS", "capacity": 25}, token)
        check(st == 201, "venue 1")
        st, _, v2 = call("POST", api + "/venues", {"name": "Guildhall", "address": "Gresham Street, London",
                                                   "postcode": "EC2V 7HH"}, token)
        check(st == 201, "venue 2")
        st, _, g = call("POST", api + "/groups", {"slug": "wg", "name": "Working group", "timezone": "Europe/London",
                                                  "quorum": 2}, token)
        check(st == 201 and g["timezone"] == "Europe/London", "group")
        ids = []
        for name, org in [("Glyn Evans", "Birmingham City Council"), ("Ian Cooper", "Hampshire CC"),
                          ("Sal Khan", "East Staffs BC")]:
            st, _, m = call("POST", api + "/groups/wg/members",
                            {"name": name, "email": name.replace(" ", ".").lower() + "@example.org",
                             "organisation": org, "role": "member"}, token)
            check(st == 201 and m["feed_url"].startswith(base + "/feeds/members/"), "member " + name)
            ids.append(m["id"])

        # A rule: every other 3rd Monday, five times, from March 2010.
        st, _, s = call("POST", api + "/groups/wg/series",
                        {"title": "WG meeting", "venue_id": v1["id"], "start_time": "10:30", "duration_minutes": 150,
                         "rrule": "FREQ=MONTHLY;INTERVAL=2;BYDAY=3MO;COUNT=5", "first_date": "2010-03-01"}, token)
        check(st == 201, "rule series %s" % st)
        want = ["2010-03-15T10:30:00+00:00", "2010-05-17T10:30:00+01:00", "2010-07-19T10:30:00+01:00",
                "2010-09-20T10:30:00+01:00", "2010-11-15T10:30:00+00:00"]
        check([m["start"] for m in s["meetings"]] == want, "rule dates %s" % [m["start"] for m in s["meetings"]])
        # Explicit dates, like the minutes' list.
        st, _, s2 = call("POST", api + "/groups/wg/series",
                         {"title": "WG extra", "venue_id": v2["id"], "start_time": "14:00", "duration_minutes": 60,
                          "dates": ["2010-06-14", "2010-10-11"]}, token)
        check(st == 201 and [m["start"] for m in s2["meetings"]] ==
              ["2010-06-14T14:00:00+01:00", "2010-10-11T14:00:00+01:00"], "explicit dates")
        st, _, impossible = call("POST", api + "/groups/wg/series",
                                 {"title": "X", "venue_id": v2["id"], "start_time": "14:00", "duration_minutes": 60,
                                  "rrule": "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30;COUNT=2"}, token)
        check(st == 400 and impossible["error"]["field"] == "rrule", "30 February refused")

        st, _, listing = call("GET", api + "/groups/wg/meetings?from=2010-01-01&to=2010-12-31", None, token)
        check(st == 200 and len(listing["meetings"]) == 7, "listing 7 meetings")

        # Step 3: change one meeting with If-Match.
        mid = s["meetings"][1]["id"]
        st, h, one = call("GET", api + "/meetings/%d" % mid, None, token)
        etag = h.get("ETag")
        check(st == 200 and etag, "get with ETag")
        st, _, _ = call("PATCH", api + "/meetings/%d" % mid, {"venue_id": v2["id"]}, token)
        check(st == 428, "no If-Match -> 428")
        st, _, _ = call("PATCH", api + "/meetings/%d" % mid, {"venue_id": v2["id"]}, token, {"If-Match": '"stale"'})
        check(st == 412, "stale -> 412")
        st, h, changed = call("PATCH", api + "/meetings/%d" % mid, {"venue_id": v2["id"]}, token, {"If-Match": etag})
        check(st == 200 and changed["venue"]["name"] == "Guildhall" and changed["sequence"] == 1, "re-venued")
        st, h, moved = call("PATCH", api + "/meetings/%d" % mid, {"start": "2010-05-24T09:00", "duration_minutes": 90},
                            token, {"If-Match": h["ETag"]})
        check(st == 200 and moved["start"] == "2010-05-24T09:00:00+01:00" and moved["end"] == "2010-05-24T10:30:00+01:00"
              and moved["original_start"] == "2010-05-17T10:30:00+01:00" and moved["sequence"] == 2, "moved")
        st, h, cancelled = call("PATCH", api + "/meetings/%d" % mid, {"status": "cancelled"}, token, {"If-Match": h["ETag"]})
        check(st == 200 and cancelled["status"] == "cancelled" and cancelled["sequence"] == 3, "cancelled")
        st, h, back = call("PATCH", api + "/meetings/%d" % mid, {"status": "scheduled"}, token, {"If-Match": h["ETag"]})
        check(st == 200 and back["status"] == "scheduled" and back["sequence"] == 4, "reinstated")

        # Step 4: presenters, apologies, register and quorum.
        st, _, p = call("POST", api + "/meetings/%d/presenters" % mid,
                        {"name": "Robert Prabucki", "organisation": "JANET UK", "topic": "JANET"}, token)
        check(st == 201, "presenter added")
        st, _, _ = call("DELETE", api + "/meetings/%d/presenters/%d" % (mid, p["id"]), None, token)
        check(st == 204, "presenter removed")
        call("POST", api + "/meetings/%d/presenters" % mid, {"name": "Kevin Sharp", "topic": "JANET"}, token)
        st, _, _ = call("POST", api + "/meetings/%d/apologies" % mid, {"member_id": ids[0], "reason": "Budget council"}, token)
        check(st == 201, "apologies recorded")
        st, _, _ = call("POST", api + "/meetings/%d/apologies" % mid, {"member_id": ids[1]}, token)
        st, _, att = call("GET", api + "/meetings/%d/attendance" % mid, None, token)
        statuses = {m["name"]: m["status"] for m in att["members"]}
        check(statuses == {"Glyn Evans": "apologies", "Ian Cooper": "apologies", "Sal Khan": "expected"}, "register")
        check(att["quorum"] == {"required": 2, "expected": 1, "members": 3, "apologies": 2, "at_risk": True},
              "quorum %s" % att["quorum"])
        check([p["name"] for p in att["presenters"]] == ["Kevin Sharp"], "presenters in register")
        st, _, _ = call("PUT", api + "/meetings/%d/attendance/%d" % (mid, ids[2]), {"status": "present"}, token)
        check(st == 200, "marked present")

        # Another organiser cannot see this group.
        r = subprocess.run([BIN, "admin", "token", "--db", db, "--organiser", "other@example.org"],
                           capture_output=True, text=True, timeout=20)
        st, _, _ = call("GET", api + "/groups/wg", None, r.stdout.strip())
        check(st == 404, "other organiser -> 404")
    finally:
        proc.terminate()
        try:
            rc = proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            rc = -9
        log.close()
    check(rc == 0, "clean stop on SIGTERM (rc %s)" % rc)
    logtext = open(os.path.join(tmp, "serve.log")).read()
    check(token not in logtext, "token never logged")
    check("starting: db=" in logtext, "start-up line with the configuration")
    check("PATCH /api/v1/meetings/" in logtext, "one line per request")
    subprocess.run(["rm", "-rf", tmp])
    sys.exit(check.finish())


if __name__ == "__main__":
    main()
