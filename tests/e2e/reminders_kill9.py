#!/usr/bin/python3
"""Reminders survive kill -9 (issue 11, api.md "Reminders"): the real `convene serve`, a REAL SMTP
server (aiosmtpd on loopback), and `kill -9` of the server again and again while it queues and
delivers the reminders that fell due.

  reminders_kill9.py --convene build/convene [--kills 12] [--seed 1]

Set-up (one server, its welcome and cancellation notices delivered to the sink and drained
first): a Europe/London group of 31 members (one then removed, one unsubscribed through the
List-Unsubscribe link of their welcome), created with `reminder_days: null`; meetings 2 and 3
days from now (due at once), one 20 days away (not due) and one 2 days away that is cancelled;
apologies from two members for each due meeting. Last of all `PATCH reminder_days: 7`, then the
set-up server is killed at once (its 30 s maintenance tick has not come round: nothing queued).

Then: start `convene serve`, kill -9 it after a random 20..600 ms, `--kills` times; start it for
good and wait (bounded) until nothing is queued. The database is read directly, and the sink:
  - for each due meeting, exactly one `reminder` row per current, subscribed member without
    apologies, none for the others, exactly one `reminder_digest` (to the organiser); the table
    `reminders` holds exactly those (member 0 = the digest); nothing for the far or cancelled
    meeting; every one of those rows is sent;
  - at the sink every such member received the reminder of each due meeting (subject
    "Reminder: <title>, <Weekday D Month YYYY>"); nobody else did; a duplicate only where a kill
    landed mid-SMTP: at most one per kill (the worker sends one message at a time);
  - PRAGMA integrity_check is ok.
Prints: kills=K mid_delivery_kills=M reminder_rows=R digest_rows=D reminder_emails=E
        duplicates=X integrity=ok
"""
import argparse
import collections
import datetime
import email
import email.policy
import os
import random
import signal
import sqlite3
import sys
import time
import zoneinfo

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_lib import call, http  # noqa: E402
from notify_e2e_lib import Failure, Sink, check, free_port, run_scenario  # noqa: E402
from notify_server_e2e import FAST_MAIL, Server, admin_token  # noqa: E402

ORGANISER = "sec@example.org"
TITLE = "Book club"
MEMBERS = 31            # one is removed, one unsubscribes: 29 current and subscribed
REMOVED, UNSUBSCRIBED = 30, 9
APOLOGIES = {"due2": (3, 17), "due3": (17, 25), "far": (5,)}
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December"]


def addr(i):
    return "m%02d@example.org" % i


def long_date(d):
    return "%s %d %s %d" % (WEEKDAYS[d.weekday()], d.day, MONTHS[d.month - 1], d.year)


def wait_for(what, cond, seconds):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if cond():
            return
        time.sleep(0.2)
    raise Failure("timed out after %d s waiting for %s" % (seconds, what))


def query(db, sql, *args):
    con = sqlite3.connect(db, timeout=10)
    try:
        return con.execute(sql, args).fetchall()
    finally:
        con.close()


def queued(db):
    return query(db, "SELECT count(*) FROM outbox WHERE status = 'queued'")[0][0]


def parsed(sink):
    out = []
    for _, raw in sink.messages():
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        out.append((msg["To"].addresses[0].addr_spec.lower(), str(msg["Subject"]),
                    str(msg["Message-ID"]).strip(), msg))
    return out


def set_up(srv, token, sink, db):
    """The group, members, meetings and apologies; returns (meeting ids by name, member ids)."""
    api = srv.base + "/api/v1"
    st, _, hall = call("POST", api + "/venues", {"name": "Hall", "address": "1 High Street",
                                                 "postcode": "AB1 2CD"}, token)
    check(st == 201, "venue: %s" % hall)
    st, _, annex = call("POST", api + "/venues", {"name": "Annex", "address": "3 Back Lane",
                                                  "postcode": "AB1 9ZZ"}, token)
    check(st == 201, "venue: %s" % annex)
    st, _, g = call("POST", api + "/groups", {"slug": "remind", "name": "Reminder Group",
                                              "timezone": "Europe/London",
                                              "reminder_days": None}, token)
    check(st == 201 and g.get("reminder_days") is None, "group: %s %s" % (st, g))
    ids = {}
    for i in range(MEMBERS):
        st, _, m = call("POST", api + "/groups/remind/members",
                        {"name": "Member %02d" % i, "email": addr(i)}, token)
        check(st == 201, "member %d: %s" % (i, m))
        ids[i] = m["id"]

    # Dates from the real clock, in the group's zone: 2 and 3 days ahead are inside the 7-day
    # window (due at once), 20 days ahead is not (due in 13 days).
    today = datetime.datetime.now(zoneinfo.ZoneInfo("Europe/London")).date()
    dates = {k: today + datetime.timedelta(days=n) for k, n in
             (("due2", 2), ("due3", 3), ("far", 20), ("cancelled", 2))}
    st, _, s = call("POST", api + "/groups/remind/series",
                    {"title": TITLE, "venue_id": hall["id"], "start_time": "19:00",
                     "duration_minutes": 90,
                     "dates": [dates[k].isoformat() for k in ("due2", "due3", "far")]}, token)
    check(st == 201 and len(s["meetings"]) == 3, "series: %s %s" % (st, s))
    by_date = {m["start"][:10]: m["id"] for m in s["meetings"]}
    meetings = {k: by_date[dates[k].isoformat()] for k in ("due2", "due3", "far")}
    st, _, c = call("POST", api + "/groups/remind/series",
                    {"title": "Cancelled talk", "venue_id": annex["id"], "start_time": "18:00",
                     "duration_minutes": 60, "dates": [dates["cancelled"].isoformat()]}, token)
    check(st == 201, "series: %s %s" % (st, c))
    meetings["cancelled"] = c["meetings"][0]["id"]
    url = api + "/meetings/%d" % meetings["cancelled"]
    _, h, _ = call("GET", url, None, token)
    st, _, b = call("PATCH", url, {"status": "cancelled"}, token, {"If-Match": h.get("ETag", "")})
    check(st == 200, "cancel: %s %s" % (st, b))

    for name, who in APOLOGIES.items():
        for i in who:
            st, _, b = call("POST", api + "/meetings/%d/apologies" % meetings[name],
                            {"member_id": ids[i], "reason": "Away"}, token)
            check(st == 201, "apologies %s %d: %s %s" % (name, i, st, b))
    st, _, b = call("DELETE", api + "/groups/remind/members/%d" % ids[REMOVED], None, token)
    check(st == 204, "remove member: %s %s" % (st, b))

    # The welcomes (and the cancellation notices) reach the sink; one member unsubscribes with
    # the one-click List-Unsubscribe link of theirs (RFC 8058), as a mail client would.
    wait_for("the set-up notices to drain", lambda: queued(db) == 0, 40)
    welcome = [m for to, subject, _, m in parsed(sink)
               if to == addr(UNSUBSCRIBED) and subject.startswith("Welcome")]
    check(len(welcome) == 1, "welcome to %s: %d" % (addr(UNSUBSCRIBED), len(welcome)))
    link = str(welcome[0]["List-Unsubscribe"]).strip().strip("<>")
    check(link.startswith(srv.base + "/unsubscribe/"), "List-Unsubscribe: " + link)
    st, _, b = http("POST", link, data=b"List-Unsubscribe=One-Click",
                    headers={"Content-Type": "application/x-www-form-urlencoded"})
    check(st == 200, "one-click unsubscribe: %s %s" % (st, b[:200]))
    check(query(db, "SELECT unsubscribed FROM members WHERE id = ?",
                ids[UNSUBSCRIBED])[0][0] == 1, "unsubscribe not stored")

    # Reminders on, last: from here every reminder is queued by the servers about to be killed.
    _, h, _ = call("GET", api + "/groups/remind", None, token)
    st, _, g = call("PATCH", api + "/groups/remind", {"reminder_days": 7}, token,
                    {"If-Match": h.get("ETag", "")})
    check(st == 200 and g.get("reminder_days") == 7, "reminder_days 7: %s %s" % (st, g))
    return meetings, ids, dates


def run(convene, tmp, kills, seed):
    rng = random.Random(seed)
    db = os.path.join(tmp, "data", "convene.db")
    os.makedirs(os.path.dirname(db))
    token = admin_token(convene, db)
    # 25 ms a message at the relay: the 60-odd reminders take over a second and a half to
    # deliver, so the kills land while they are queued and mid-delivery, not after.
    sink = Sink(os.path.join(tmp, "sink"), args=("--delay-ms", "25"))
    port = free_port()
    args = ["--smtp", sink.url, "--notice-delay", "0", *FAST_MAIL]
    srv = Server(convene, tmp, db, port, args)
    done = mid_delivery = 0
    progress = []
    try:
        srv.wait_up()
        meetings, ids, dates = set_up(srv, token, sink, db)
        srv.stop(signal.SIGKILL)
        before = query(db, "SELECT count(*) FROM reminders")[0][0]
        at_sink_before = len(sink.messages())

        for _ in range(kills):
            srv = Server(convene, tmp, db, port, args)
            time.sleep(rng.uniform(0.020, 0.600))
            if srv.proc.poll() is not None:
                raise Failure("convene exited by itself (%s)" % srv.proc.returncode)
            srv.stop(signal.SIGKILL)
            done += 1
            rows, sent = query(db, "SELECT count(*), coalesce(sum(status = 'sent'), 0) FROM outbox"
                                   " WHERE kind IN ('reminder', 'reminder_digest')")[0]
            progress.append("%d/%d" % (sent, rows))
            mid_delivery += 0 < rows and sent < rows

        srv = Server(convene, tmp, db, port, args)
        srv.wait_up()
        wait_for("the reminders to be queued and sent",
                 lambda: query(db, "SELECT count(*) FROM reminders")[0][0] > 0 and queued(db) == 0,
                 40)
        st, _, g = call("GET", srv.base + "/api/v1/groups/remind", None, token)
        check(st == 200 and g.get("reminder_days") == 7, "GET group: %s %s" % (st, g))
        code = srv.stop()
        check(code == 0, "convene exited %s on SIGTERM" % code)
    finally:
        srv.stop(signal.SIGKILL)
        sink.stop()

    # What each due meeting's reminders must reach: current, subscribed, no apologies.
    current = [i for i in range(MEMBERS) if i not in (REMOVED, UNSUBSCRIBED)]
    expect = {name: {i for i in current if i not in APOLOGIES.get(name, ())}
              for name in ("due2", "due3")}
    mname = {mid: name for name, mid in meetings.items()}
    member_of = {ids[i]: i for i in ids}
    subject = {name: "Reminder: %s, %s" % (TITLE, long_date(dates[name])) for name in expect}

    rows = query(db, "SELECT meeting_id, kind, lower(recipient), subject, status, message_id"
                     " FROM outbox WHERE kind IN ('reminder', 'reminder_digest') ORDER BY id")
    marks = query(db, "SELECT meeting_id, member_id FROM reminders")
    integrity = query(db, "PRAGMA integrity_check")[0][0]
    reminder_rows = [r for r in rows if r[1] == "reminder"]
    digest_rows = [r for r in rows if r[1] == "reminder_digest"]

    problems = []
    for name in ("far", "cancelled"):
        n = sum(1 for r in rows if r[0] == meetings[name])
        m = sum(1 for r in marks if r[0] == meetings[name])
        if n or m:
            problems.append("%s meeting: %d outbox rows, %d marks (want 0)" % (name, n, m))
    stray = [r for r in rows if r[0] not in (meetings["due2"], meetings["due3"],
                                             meetings["far"], meetings["cancelled"])]
    if stray:
        problems.append("rows for unknown meetings: %s" % stray[:3])
    for name, want in expect.items():
        mid = meetings[name]
        per_to = collections.Counter(r[2] for r in reminder_rows if r[0] == mid)
        want_to = {addr(i) for i in want}
        twice = {to: n for to, n in per_to.items() if n > 1}
        missing = want_to - set(per_to)
        extra = set(per_to) - want_to
        if twice or missing or extra:
            problems.append("%s: reminder rows twice %s, missing %s, unexpected %s"
                            % (name, twice, sorted(missing), sorted(extra)))
        digests = [r for r in digest_rows if r[0] == mid]
        if len(digests) != 1 or digests[0][2] != ORGANISER:
            problems.append("%s: digests %s (want one to %s)"
                            % (name, [(r[2], r[3]) for r in digests], ORGANISER))
        bad_subjects = {r[3] for r in reminder_rows if r[0] == mid} - {subject[name]}
        if bad_subjects:
            problems.append("%s: subjects %s, want %r" % (name, bad_subjects, subject[name]))
        got_marks = sorted(member_of.get(member, -member)  # an unknown member id shows negated
                           for m, member in marks if m == mid and member != 0)
        digest_marks = sum(1 for m, member in marks if m == mid and member == 0)
        if got_marks != sorted(want) or digest_marks != 1:
            problems.append("%s: reminders table members %s (+%d digest marks), want %s (+1)"
                            % (name, got_marks, digest_marks, sorted(want)))
    unsent = [(mname.get(r[0]), r[1], r[2], r[4]) for r in rows if r[4] != "sent"]
    if unsent:
        problems.append("rows not sent: %s" % unsent[:5])

    # The sink: every expected reminder arrived; duplicates only from kills mid-SMTP.
    got = parsed(sink)
    at_sink = [(to, s, mid_) for to, s, mid_, _ in got[at_sink_before:]
               if s.startswith("Reminder") or s.startswith("Reminders sent")]
    early = [(to, s) for to, s, _, _ in got[:at_sink_before] if s.startswith("Reminder")]
    if early:
        problems.append("reminders delivered by the set-up server: %s" % early[:3])
    outbox_ids = {r[5] for r in rows}
    unknown = [(to, s) for to, s, m in at_sink if m not in outbox_ids]
    if unknown:
        problems.append("emails at the sink with no outbox row: %s" % unknown[:3])
    seen = collections.Counter((to, s) for to, s, _ in at_sink if s.startswith("Reminder:"))
    for name, want in expect.items():
        missing = sorted(addr(i) for i in want if (addr(i), subject[name]) not in seen)
        if missing:
            problems.append("%s: no reminder at the sink for %s" % (name, missing))
    allowed = {(addr(i), subject[name]) for name, want in expect.items() for i in want}
    extra = sorted(k for k in seen if k not in allowed)
    if extra:
        problems.append("reminders at the sink for nobody expected: %s" % extra[:5])
    digests_seen = collections.Counter(s for to, s, _ in at_sink
                                       if s.startswith("Reminders sent") and to == ORGANISER)
    for name in expect:
        if not any(("%s, %s" % (TITLE, long_date(dates[name]))) in s for s in digests_seen):
            problems.append("%s: no digest at the sink: %s" % (name, list(digests_seen)))
    duplicates = len(at_sink) - len({m for _, _, m in at_sink})

    figure = ("kills=%d mid_delivery_kills=%d reminder_rows=%d digest_rows=%d marks=%d "
              "reminder_emails=%d duplicates=%d queued_before_kills=%d integrity=%s"
              " sent/queued_after_each_kill=[%s]" % (
                  done, mid_delivery, len(reminder_rows), len(digest_rows), len(marks),
                  sum(seen.values()), duplicates, before, integrity, " ".join(progress)))
    print(figure)
    check(not problems, "; ".join(problems))
    check(duplicates <= done, "%d duplicates at the sink after %d kills" % (duplicates, done))
    check(integrity == "ok", "integrity_check: " + integrity)
    check(done == kills, "only %d kills" % done)
    return figure


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--convene", required=True)
    ap.add_argument("--kills", type=int, default=12)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    passed = run_scenario("reminders_kill9",
                          lambda tmp: run(args.convene, tmp, args.kills, args.seed))
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
