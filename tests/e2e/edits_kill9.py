#!/usr/bin/python3
"""Crash during edits (hardening.md section 2): the real `convene serve`, organisers' PATCHes
arriving from several clients, and `kill -9` of the server again and again mid-stream.

  edits_kill9.py --convene build/convene [--kills 6] [--seed 1]

Every edit moves one meeting's start a minute later than any before it (00:01, 00:02, ...), so
the meeting's stored start says which edits committed, and each notice's before/after states
say which edits it tells of. After the last restart the database is read directly and:
  - every edit answered 2xx is stored (the meeting's start is at or past it): lost edits 0;
  - for each meeting and member, the notices chain from the first start to the stored one,
    each beginning where the previous ended (coalesced edits make one link): so every committed
    edit is told, and no notice tells of an edit that did not commit (its after-state is never
    past the stored start);
  - nothing is superseded (no edit was undone), and integrity_check is ok.
Prints: acknowledged=N in_flight_at_kills=M kills=K lost_edits=0 untold_edits=0
        notices_without_edit=0 integrity=ok
"""
import argparse
import collections
import json
import os
import random
import re
import signal
import sqlite3
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_lib import call, http  # noqa: E402
from notify_e2e_lib import check, free_port, run_scenario  # noqa: E402
from notify_server_e2e import FAST_MAIL, Server, admin_token  # noqa: E402

MEMBERS = ["ann@example.org", "bob@example.org", "cy@example.org"]
FIRST = 0               # every meeting starts at 00:00 ...
LAST = 23 * 60 + 59     # ... and edits stop at 23:59 (one minute later each time)


def minute_of(text):
    """Minutes after midnight of a local 'YYYY-MM-DDTHH:MM' (or a snapshot holding one)."""
    m = re.search(r"T(\d\d):(\d\d)", text)
    return int(m.group(1)) * 60 + int(m.group(2))


class Editor(threading.Thread):
    """Moves its own meetings a minute later, one PATCH after another, until told to stop.
    Owning its meetings, it never races another editor: any 412 would be a bug."""

    def __init__(self, base, token, meetings, stop):
        super().__init__(daemon=True)
        self.base, self.token, self.stop = base, token, stop
        self.meetings = meetings                      # id -> date
        self.next = {mid: FIRST + 1 for mid in meetings}
        self.acked = collections.defaultdict(list)    # id -> minutes answered 200
        self.attempted = collections.defaultdict(int)  # id -> latest minute sent
        self.in_flight = 0                             # sent, then the connection died
        self.unexpected = []

    def run(self):
        etags = {}
        while not self.stop.is_set():
            progressed = False
            for mid, date in self.meetings.items():
                if self.stop.is_set() or self.next[mid] > LAST:
                    continue
                url = "%s/api/v1/meetings/%d" % (self.base, mid)
                if mid not in etags:
                    st, h, _ = call("GET", url, None, self.token)
                    if st != 200:
                        time.sleep(0.05)  # the server is down or starting: bounded by `stop`
                        continue
                    etags[mid] = h["ETag"]
                k = self.next[mid]
                start = "%sT%02d:%02d" % (date, k // 60, k % 60)
                self.attempted[mid] = k
                self.next[mid] = k + 1  # never reuse a minute, whatever the answer
                st, h, body = call("PATCH", url, {"start": start}, self.token, {"If-Match": etags[mid]})
                progressed = True
                if st == 200:
                    self.acked[mid].append(k)
                    etags[mid] = h["ETag"]
                elif st == 0:
                    etags.pop(mid, None)
                    if "refused" not in str(body):
                        self.in_flight += 1
                else:
                    etags.pop(mid, None)
                    self.unexpected.append((mid, k, st, body))
            if not progressed:
                time.sleep(0.05)


def run(convene, tmp, kills, seed, editors=4, per_editor=4):
    rng = random.Random(seed)
    db = os.path.join(tmp, "data", "convene.db")
    os.makedirs(os.path.dirname(db))
    token = admin_token(convene, db)
    port = free_port()
    dead_relay = "smtp://127.0.0.1:%d" % free_port()  # notices stay in the outbox to be read
    # A 1 s window: edits in the same second coalesce into one row, later ones queue new rows.
    args = ["--smtp", dead_relay, "--notice-delay", "1", *FAST_MAIL]
    srv = Server(convene, tmp, db, port, args)
    srv.wait_up()
    api = srv.base + "/api/v1"
    st, _, venue = call("POST", api + "/venues", {"name": "Hall", "address": "1 High Street"}, token)
    check(st == 201, "venue")
    st, _, _ = call("POST", api + "/groups", {"slug": "edits", "name": "Edits",
                                              "timezone": "Europe/London"}, token)
    check(st == 201, "group")
    for addr in MEMBERS:
        st, _, _ = call("POST", api + "/groups/edits/members", {"name": addr, "email": addr}, token)
        check(st == 201, "member " + addr)
    # One meeting a day from 4 January 2027 (GMT throughout): no two share a day, so no clashes.
    dates = ["2027-01-%02d" % (4 + i) for i in range(editors * per_editor)]
    st, _, series = call("POST", api + "/groups/edits/series",
                         {"title": "Edited", "venue_id": venue["id"], "start_time": "00:00",
                          "duration_minutes": 30, "dates": dates}, token)
    check(st == 201, "series: %s" % series)
    meetings = {m["id"]: m["start"][:10] for m in series["meetings"]}
    ids = sorted(meetings)

    stop = threading.Event()
    workers = [Editor(srv.base, token, {mid: meetings[mid] for mid in ids[i::editors]}, stop)
               for i in range(editors)]
    for w in workers:
        w.start()
    done = 0
    try:
        for _ in range(kills):
            time.sleep(rng.uniform(0.5, 1.5))
            srv.stop(signal.SIGKILL)
            done += 1
            srv = Server(convene, tmp, db, port, args)
            srv.wait_up()
        time.sleep(0.5)
    finally:
        stop.set()
        for w in workers:
            w.join(timeout=30)
        srv.stop()

    acked = {mid: max(w.acked[mid]) for w in workers for mid in w.acked}
    attempted = {mid: w.attempted[mid] for w in workers for mid in w.attempted}
    acknowledged = sum(len(v) for w in workers for v in w.acked.values())
    in_flight = sum(w.in_flight for w in workers)
    unexpected = [u for w in workers for u in w.unexpected]

    con = sqlite3.connect(db)
    stored = {mid: minute_of(start) for mid, start in
              con.execute("SELECT id, start FROM meetings WHERE id IN (%s)" %
                          ",".join(str(i) for i in ids))}
    rows = con.execute("SELECT meeting_id, lower(recipient), before_state, after_state, status"
                       " FROM outbox WHERE kind = 'meeting_change' ORDER BY id").fetchall()
    integrity = con.execute("PRAGMA integrity_check").fetchone()[0]
    con.close()

    lost = [(mid, k, stored[mid]) for mid, k in acked.items() if stored[mid] < k]
    phantom = [(mid, stored[mid], attempted.get(mid, FIRST)) for mid in ids
               if stored[mid] > attempted.get(mid, FIRST)]
    chains = collections.defaultdict(list)
    for mid, to, before, after, status in rows:
        chains[(mid, to)].append((minute_of(json.loads(before)["start"]),
                                  minute_of(json.loads(after)["start"]), status))
    untold, without_edit, superseded = [], [], 0
    for mid in ids:
        for to in MEMBERS:
            at = FIRST
            for before, after, status in chains.get((mid, to), []):
                superseded += status == "superseded"
                if before != at:
                    untold.append((mid, to, at, before))  # a gap: edits in between untold
                if after > stored[mid]:
                    without_edit.append((mid, to, after, stored[mid]))
                at = after
            if at != stored[mid]:
                untold.append((mid, to, at, stored[mid]))

    figure = ("acknowledged=%d in_flight_at_kills=%d kills=%d notices=%d lost_edits=%d "
              "untold_edits=%d notices_without_edit=%d integrity=%s" % (
                  acknowledged, in_flight, done, len(rows), len(lost), len(untold),
                  len(without_edit), integrity))
    print(figure)
    check(not unexpected, "unexpected answers: %s" % unexpected[:5])
    check(not lost, "edits answered 200 but not stored: %s" % lost[:5])
    check(not phantom, "stored starts never sent: %s" % phantom[:5])
    check(not untold, "committed edits without their notice (meeting, to, told up to, stored): %s"
          % untold[:5])
    check(not without_edit, "notices past the stored start: %s" % without_edit[:5])
    check(superseded == 0, "%d notices superseded, yet no edit was undone" % superseded)
    check(integrity == "ok", "integrity_check: " + integrity)
    check(done == kills and acknowledged >= 100, "only %d edits acknowledged across %d kills"
          % (acknowledged, done))
    return figure


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--convene", required=True)
    ap.add_argument("--kills", type=int, default=6)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    passed = run_scenario("edits_kill9",
                          lambda tmp: run(args.convene, tmp, args.kills, args.seed))
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
