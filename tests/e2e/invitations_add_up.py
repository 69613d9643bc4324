#!/usr/bin/python3
"""Invitations that add up, end to end (docs/ical.md, "Invitations that add up"; issue 11): the
real `convene serve` on a temp database with mail to a REAL SMTP server (aiosmtpd on loopback,
tests/e2e/smtp_sink.py), driven through the API and the member's page only:

    invitations_add_up.py /path/to/convene

The claim under test: a member on calendar invitations holds in their calendar exactly what their
personal feed (GET /feeds/members/{token}.ics) shows, however they came to invitations and
whatever changes afterwards. The walk:

1. A group in Europe/London, three venues; a weekly rule series of 8 meetings starting about three
   weeks from today, a series of three listed dates (each its own UID), a one-off meeting. Before
   anyone is on invitations: one rule meeting moved, one cancelled, one listed date re-venued.
2. Members: Ann stays on the feed; Bob joins on invitations (POST members); Cy joins on the feed
   and switches by PATCH; Dan by a CSV import row with delivery=invitations; Dee on her own page
   (POST /m/{token}/notices); Eve joins on invitations and later switches back to the feed.
3. Changes: a move, a cancellation, a reinstatement (of the meeting cancelled before anyone was on
   invitations), venue changes, a listed date cancelled, the one-off moved, Eve back to the feed,
   a change "from this meeting on" to the rule series and to the listed dates (PATCH /series), a
   new series, the rule series shortened (until), the listed dates ended and the rule series ended
   (DELETE /series).

After each step the outbox is drained (bounded waits) and, at checkpoints, for each member on
invitations every text/calendar part they received, in arrival order at the SMTP server, is
replayed into a fresh calendar and the calendar's occurrences over the next two years compared
with the same expansion of that member's personal feed. Both sides are read by python3-icalendar
and expanded by recurring-ical-events; nothing is computed with the server's own code. Each
occurrence is (start UTC, end UTC, LOCATION, SUMMARY, STATUS). An invitation lands in a personal
calendar, so its SUMMARY names the group ("Futures Group: Futures meeting", calendar/ical.cc
Summary()) where the member's feed of one group does not: that prefix is the one difference
allowed. The feed's occurrences must also number what the scenario says is scheduled (so that two
empty calendars do not pass). Eve's calendar must be empty from her switch back on, and nothing
with a calendar part reaches her or Ann afterwards.

The replayed calendar (what an iTIP client does, RFC 5546 3.2.2 and 3.2.5), per UID:
- REQUEST with a master (no RECURRENCE-ID): replaces everything held for the UID (master and
  overrides), unless its SEQUENCE is below the held master's;
- REQUEST of one instance (RECURRENCE-ID): that instance becomes this override (and is shown
  again if it had been cancelled), unless its SEQUENCE is below the held override's;
- CANCEL without RECURRENCE-ID: the UID is removed; CANCEL of one instance: that instance is
  removed (the override dropped and the occurrence excluded from the master).
A REQUEST for one instance of a UID the calendar does not hold is kept as it comes (an orphan,
shown on its own), which is exactly what made calendars disagree with feeds before.

Binds 127.0.0.1 only; every wait is bounded; processes are stopped by their own pid; files live in
a temporary directory (KEEP_E2E_DIRS=1 keeps it).
"""
import copy
import datetime
import email
import email.policy
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from e2e_lib import (Tally, call, drop_e2e_databases, e2e_database, free_port, http,  # noqa: E402
                     stop_all, wait_up)
from notify_e2e_lib import FAST_MAIL, Failure, Sink  # noqa: E402

import icalendar  # noqa: E402  (Debian's python3-icalendar)
import recurring_ical_events  # noqa: E402

BIN = sys.argv[1] if len(sys.argv) > 1 else ""
check = Tally("invitations_add_up")
UTC = datetime.timezone.utc
GROUP = "Futures Group"
INVITED = ["bob@example.org", "cy@example.org", "dan@example.org", "dee@example.org"]

BASE = TOKEN = None


def api(method, path, body=None, headers=None):
    return call(method, BASE + "/api/v1" + path, body, TOKEN, headers)


def etag_of(path):
    st, hdrs, _ = api("GET", path)
    check(st == 200, f"GET {path}: {st}")
    return hdrs.get("ETag", "")


def patch(path, body, label):
    st, _, out = api("PATCH", path, body, {"If-Match": etag_of(path)})
    check(st == 200, f"{label}: PATCH {path} {body}: {st} {out}")
    return out or {}


# ---------------------------------------------------------------- the calendar of one member

def rid_key(ev):
    return ev["RECURRENCE-ID"].dt.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def seq(ev):
    return int(ev.get("SEQUENCE", 0))


class Calendar:
    """What an iTIP client holds after the messages it was sent, applied in order."""

    def __init__(self):
        self.uids = {}  # uid -> {"master": VEVENT or None, "overrides": {rid: VEVENT}, "excluded": set()}
        self.zones = {}  # TZID -> VTIMEZONE
        self.applied = []

    def apply(self, raw, label):
        cal = icalendar.Calendar.from_ical(raw)
        method = str(cal.get("METHOD", "")).upper()
        self.applied.append(method)
        for tz in cal.walk("VTIMEZONE"):
            self.zones[str(tz["TZID"])] = tz
        by_uid = {}
        for ev in cal.walk("VEVENT"):
            by_uid.setdefault(str(ev["UID"]), []).append(ev)
        for uid, evs in by_uid.items():
            masters = [e for e in evs if "RECURRENCE-ID" not in e]
            overrides = [e for e in evs if "RECURRENCE-ID" in e]
            held = self.uids.get(uid)
            check(len(masters) <= 1, f"{label}: {len(masters)} masters for {uid}")
            if method == "REQUEST" and masters:
                if held and held["master"] is not None and seq(masters[0]) < seq(held["master"]):
                    continue  # older than what the calendar holds
                self.uids[uid] = {"master": masters[0], "overrides": {rid_key(e): e for e in overrides},
                                  "excluded": set()}
            elif method == "REQUEST":
                held = self.uids.setdefault(uid, {"master": None, "overrides": {}, "excluded": set()})
                for e in overrides:
                    old = held["overrides"].get(rid_key(e))
                    if old is not None and seq(e) < seq(old):
                        continue
                    held["overrides"][rid_key(e)] = e
                    held["excluded"].discard(rid_key(e))
            elif method == "CANCEL" and masters:
                if held and held["master"] is not None and seq(masters[0]) < seq(held["master"]):
                    continue
                self.uids.pop(uid, None)
            elif method == "CANCEL":
                if not held:
                    continue
                for e in overrides:
                    held["overrides"].pop(rid_key(e), None)
                    held["excluded"].add(rid_key(e))
            else:
                check(False, f"{label}: METHOD {method!r}")

    def as_ical(self):
        cal = icalendar.Calendar()
        cal.add("VERSION", "2.0")
        cal.add("PRODID", "-//invitations_add_up replay//EN")
        for tz in self.zones.values():
            cal.add_component(tz)
        for uid, held in self.uids.items():
            if held["master"] is not None:
                master = copy.deepcopy(held["master"])
                # The master's EXDATEs, less the instances re-added since, plus those cancelled.
                exdates = []
                ex = master.get("EXDATE")
                for one in (ex if isinstance(ex, list) else [ex] if ex is not None else []):
                    exdates += [d.dt for d in one.dts]
                if "EXDATE" in master:
                    del master["EXDATE"]
                keep = [d for d in exdates
                        if d.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ") not in held["overrides"]]
                extra = [datetime.datetime.strptime(k, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
                         for k in held["excluded"]]
                for d in keep + extra:
                    master.add("EXDATE", d)
                cal.add_component(master)
            for e in held["overrides"].values():
                cal.add_component(e)
        return cal.to_ical()


def occurrences(raw, frm, to):
    """Sorted (start, end, LOCATION, SUMMARY, STATUS) of a calendar's occurrences in [frm, to);
    the group's name before a SUMMARY is dropped (an invitation names it, a one-group feed not)."""
    cal = icalendar.Calendar.from_ical(raw)
    out = []
    for ev in recurring_ical_events.of(cal).between(frm, to):
        start = ev["DTSTART"].dt
        end = ev["DTEND"].dt if "DTEND" in ev else start + ev["DURATION"].dt
        summary = str(ev.get("SUMMARY", ""))
        if summary.startswith(GROUP + ": "):
            summary = summary[len(GROUP) + 2:]
        out.append((start.astimezone(UTC).strftime("%Y-%m-%dT%H:%MZ"),
                    end.astimezone(UTC).strftime("%Y-%m-%dT%H:%MZ"),
                    str(ev.get("LOCATION", "")), summary, str(ev.get("STATUS", "CONFIRMED"))))
    return sorted(out)


# ---------------------------------------------------------------- mail

def calendar_parts(sink, to):
    """[(file, method, bytes)] of the text/calendar parts sent to `to`, in arrival order."""
    out = []
    for name, raw in sink.messages():
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        if msg["To"].addresses[0].addr_spec != to:
            continue
        for part in msg.walk():
            if part.get_content_type() == "text/calendar":
                out.append((name, part.get_param("method"), part.get_payload(decode=True)))
    return out


def settle(sink, label, seconds=30):
    """Waits (bounded) until nothing is queued and the SMTP server has every sent message."""
    deadline = time.time() + seconds
    queued = None
    while time.time() < deadline:
        st, _, b = api("GET", "/outbox?status=queued")
        queued = b["messages"] if st == 200 and b else None
        st, _, s = api("GET", "/outbox?status=sent")
        sent = len(s["messages"]) if st == 200 and s else -1
        if queued == [] and len(sink.messages()) >= sent:
            break
        time.sleep(0.2)
    check(queued == [], f"{label}: outbox drained (still queued: {queued})")
    st, _, b = api("GET", "/outbox?status=failed")
    check(st == 200 and b and b["messages"] == [], f"{label}: failed notices {b}")


# ---------------------------------------------------------------- the walk

class World:
    def __init__(self, sink, tmp):
        self.sink = sink
        self.tmp = tmp
        self.feeds = {}  # email -> personal feed URL
        self.scheduled = {}  # meeting id -> True while scheduled (the scenario's own bookkeeping)
        self.frm = datetime.datetime.now(UTC)
        self.to = self.frm + datetime.timedelta(days=730)
        self.checkpoints = 0

    def feed(self, who):
        st, _, body = http("GET", self.feeds[who])
        check(st == 200 and body.startswith(b"BEGIN:VCALENDAR\r\n"), f"feed of {who}: {st}")
        return body

    def replay(self, who):
        cal = Calendar()
        for name, method, raw in calendar_parts(self.sink, who):
            try:
                cal.apply(raw, f"{who} {name}")
            except (ValueError, KeyError) as e:
                check(False, f"{who} {name}: unreadable {method}: {e}")
        return cal

    def compare(self, label, invited=INVITED):
        """Every invited member's replayed calendar equals their feed; the feed holds what the
        scenario has scheduled."""
        self.checkpoints += 1
        want_n = sum(1 for v in self.scheduled.values() if v)
        for who in invited:
            feed = occurrences(self.feed(who), self.frm, self.to)
            check(len(feed) == want_n, f"{label}: {who}'s feed has {len(feed)} occurrences, "
                                       f"the scenario {want_n}")
            cal = self.replay(who)
            mine = occurrences(cal.as_ical(), self.frm, self.to)
            print(f"{label}: {who}: {len(cal.applied)} iTIP objects replayed, {len(mine)} "
                  f"occurrences; feed {len(feed)}")
            if not check(mine == feed, f"{label}: {who}'s calendar ({len(cal.applied)} iTIP objects "
                                       f"{cal.applied}) differs from their feed:\n"
                                       f"  only in calendar {sorted(set(mine) - set(feed))}\n"
                                       f"  only in feed     {sorted(set(feed) - set(mine))}"):
                path = os.path.join(self.tmp, f"replay-{self.checkpoints}-{who}.ics")
                open(path, "wb").write(cal.as_ical())


def monday_after(d):
    return d + datetime.timedelta(days=(7 - d.weekday()) % 7 or 7)


def main():
    global BASE, TOKEN
    if not BIN:
        raise SystemExit(__doc__)
    t0 = time.time()
    tmp = tempfile.mkdtemp(prefix="convene-invitations-e2e-")
    db = e2e_database(os.path.join(tmp, "convene.db"))
    r = subprocess.run([BIN, "admin", "token", "--db", db, "--organiser", "sec@example.org",
                        "--name", "The Secretary"], capture_output=True, text=True, timeout=30)
    check(r.returncode == 0, "admin token: " + r.stderr)
    TOKEN = r.stdout.strip()
    procs, sink = [], None
    log = open(os.path.join(tmp, "serve.log"), "wb")
    try:
        sink = Sink(os.path.join(tmp, "sink"))
        port = free_port()
        BASE = f"http://127.0.0.1:{port}"
        procs.append(subprocess.Popen(
            [BIN, "serve", "--db", db, "--listen", f"127.0.0.1:{port}", "--base-url", BASE,
             "--smtp", sink.url, "--notice-delay", "1", *FAST_MAIL], stdout=log, stderr=log))
        if check(wait_up(BASE + "/healthz", 15), "server up"):
            walk(World(sink, tmp))
    except Failure as e:
        check(False, str(e))
    except Exception:  # an answer of the wrong shape: a failed check, with where it happened
        import traceback
        check(False, "the walk stopped: " + traceback.format_exc())
    finally:
        stop_all(procs)
        drop_e2e_databases()
        if sink:
            sink.stop()
        log.close()
        if check.fails:
            print(open(os.path.join(tmp, "serve.log"), errors="replace").read()[-3000:], file=sys.stderr)
        if os.environ.get("KEEP_E2E_DIRS"):
            print("kept", tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    print("invitations_add_up: %.1f s" % (time.time() - t0))
    sys.exit(check.finish())


def walk(w):
    sink = w.sink
    # ---- 1. the group and its meetings, before anyone is on invitations ----
    venues = {}
    for key, name, addr, pc in (("old", "Old Hall", "1 High Street, London", "EC1A 1AA"),
                                ("new", "New Hall", "2 Low Street, London", "EC2A 2BB"),
                                ("guild", "Guild Room", "3 Mid Street, London", "EC3A 3CC")):
        st, _, v = api("POST", "/venues", {"name": name, "address": addr, "postcode": pc})
        check(st == 201, f"venue {name}: {st} {v}")
        venues[key] = v["id"]
    st, _, g = api("POST", "/groups", {"slug": "futures", "name": GROUP, "timezone": "Europe/London"})
    check(st == 201, f"group: {st} {g}")

    first = monday_after(datetime.date.today() + datetime.timedelta(days=20))
    st, _, rule = api("POST", "/groups/futures/series", {
        "title": "Futures meeting", "venue_id": venues["old"], "start_time": "10:30",
        "duration_minutes": 120, "rrule": "FREQ=WEEKLY;BYDAY=MO;COUNT=8",
        "first_date": first.isoformat()})
    check(st == 201 and len(rule["meetings"]) == 8, f"rule series: {st} {rule}")
    rule_id = rule["id"]
    m = sorted(rule["meetings"], key=lambda x: x["start"])
    m = [x["id"] for x in m]
    forum_days = [first + datetime.timedelta(days=d) for d in (2, 16, 30)]
    st, _, forum = api("POST", "/groups/futures/series", {
        "title": "Steering forum", "venue_id": venues["guild"], "start_time": "14:00",
        "duration_minutes": 90, "dates": [d.isoformat() for d in forum_days]})
    check(st == 201 and len(forum["meetings"]) == 3, f"listed dates: {st} {forum}")
    forum_id = forum["id"]
    f = [x["id"] for x in sorted(forum["meetings"], key=lambda x: x["start"])]
    away_day = first + datetime.timedelta(days=39)
    st, _, away = api("POST", "/groups/futures/series", {
        "title": "Away day", "venue_id": venues["new"], "start_time": "09:30",
        "duration_minutes": 360, "dates": [away_day.isoformat()]})
    check(st == 201, f"one-off: {st} {away}")
    a = away["meetings"][0]["id"]
    for mid in m + f + [a]:
        w.scheduled[mid] = True

    moved = first + datetime.timedelta(days=8)  # M2 moves from Monday to Tuesday 16:00
    patch(f"/meetings/{m[1]}", {"start": f"{moved.isoformat()}T16:00"}, "M2 moved")
    patch(f"/meetings/{m[4]}", {"status": "cancelled"}, "M5 cancelled")
    w.scheduled[m[4]] = False
    patch(f"/meetings/{f[1]}", {"venue_id": venues["old"]}, "forum 2 re-venued")

    # ---- 2. members ----
    def add(name, addr, delivery):
        st, _, mem = api("POST", "/groups/futures/members", {"name": name, "email": addr,
                                                             "delivery": delivery})
        check(st == 201, f"member {addr}: {st} {mem}")
        w.feeds[addr] = mem["feed_url"]
        return mem

    add("Ann Able", "ann@example.org", "feed")
    add("Bob Baker", "bob@example.org", "invitations")
    cy = add("Cy Cole", "cy@example.org", "feed")
    dan = add("Dan Dale", "dan@example.org", "feed")
    dee = add("Dee Dunn", "dee@example.org", "feed")
    eve = add("Eve Ebb", "eve@example.org", "invitations")
    settle(sink, "members added")
    patch(f"/groups/futures/members/{cy['id']}", {"delivery": "invitations"}, "Cy to invitations")
    st, _, raw = http("POST", BASE + "/api/v1/groups/futures/members/import", token=TOKEN,
                      headers={"Content-Type": "text/csv"},
                      data=b"name,email,delivery\r\nDan Dale,dan@example.org,invitations\r\n")
    check(st == 200 and b'"updated":1' in raw.replace(b" ", b""), f"CSV import: {st} {raw[:300]}")
    token = urllib.parse.urlparse(dee["page_url"]).path.rsplit("/", 1)[1]
    st, _, page = http("GET", f"{BASE}/m/{token}")
    csrf = re.search(rb'name="csrf" value="([A-Za-z0-9_-]+)"', page or b"")
    check(st == 200 and csrf, f"Dee's page: {st}")
    if csrf:
        st, _, _ = http("POST", f"{BASE}/m/{token}/notices",
                        data=urllib.parse.urlencode({"csrf": csrf.group(1).decode(),
                                                     "choice": "invitations"}).encode(),
                        headers={"Content-Type": "application/x-www-form-urlencoded"})
        # urllib follows the 303 to the page, which then says the choice is saved.
        check(st in (200, 303), f"Dee's choice: {st}")
    settle(sink, "switches")
    w.compare("joined and switched", INVITED + ["eve@example.org"])

    # ---- 3. changes ----
    steps = [
        ("M3 moved", lambda: patch(f"/meetings/{m[2]}",
                                   {"start": f"{(first + datetime.timedelta(days=15)).isoformat()}T09:00"},
                                   "M3 moved")),
        ("M6 cancelled", lambda: patch(f"/meetings/{m[5]}", {"status": "cancelled"}, "M6")),
        ("M5 reinstated", lambda: patch(f"/meetings/{m[4]}", {"status": "scheduled"}, "M5")),
        ("M7 re-venued", lambda: patch(f"/meetings/{m[6]}", {"venue_id": venues["new"]}, "M7")),
        ("forum 1 re-venued", lambda: patch(f"/meetings/{f[0]}", {"venue_id": venues["new"]}, "F1")),
        ("forum 3 cancelled", lambda: patch(f"/meetings/{f[2]}", {"status": "cancelled"}, "F3")),
        ("away day moved", lambda: patch(f"/meetings/{a}",
                                         {"start": f"{(away_day + datetime.timedelta(days=1)).isoformat()}T10:00"},
                                         "away day")),
    ]
    w.scheduled[m[5]] = False
    w.scheduled[m[4]] = True
    w.scheduled[f[2]] = False
    for label, step in steps:
        step()
        settle(sink, label)
    w.compare("one meeting at a time", INVITED + ["eve@example.org"])

    # The New Hall (M7, forum 1 and the away day meet there) is now given another address:
    # LOCATION changes in the feeds, and calendars on invitations are sent those objects again.
    before_bob = len(calendar_parts(sink, "bob@example.org"))
    patch(f"/venues/{venues['new']}", {"address": "20 Low Street, London"}, "New Hall address")
    settle(sink, "venue address")
    sent = len(calendar_parts(sink, "bob@example.org")) - before_bob
    check(sent == 3, f"the new address: Bob was sent {sent} objects, not the rule series, forum 1 "
                     f"and the away day")
    w.compare("a venue's address changed", INVITED + ["eve@example.org"])

    before_eve = len(calendar_parts(sink, "eve@example.org"))
    patch(f"/groups/futures/members/{eve['id']}", {"delivery": "feed"}, "Eve back to the feed")
    settle(sink, "Eve back to the feed")
    eve_parts = calendar_parts(sink, "eve@example.org")
    # One CANCEL for the rule series (whole) and one per single meeting still to come.
    want = 1 + sum(1 for mid in f + [a] if w.scheduled[mid])
    check([p[1] for p in eve_parts[before_eve:]] == ["CANCEL"] * want,
          f"Eve's switch back: {[p[1] for p in eve_parts[before_eve:]]} want {want} CANCELs")
    eve_cal = w.replay("eve@example.org")
    check(occurrences(eve_cal.as_ical(), w.frm, w.to) == [],
          f"Eve's calendar after going back to the feed: {occurrences(eve_cal.as_ical(), w.frm, w.to)}")

    # From M4 on: the New Hall at 14:00 (M5 was reinstated, M6 is cancelled and keeps its values).
    out = patch(f"/series/{rule_id}", {"from": (first + datetime.timedelta(days=21)).isoformat(),
                                       "venue_id": venues["new"], "start_time": "14:00"},
                "rule series from M4")
    check(sorted(out.get("changed", [])) == sorted([m[3], m[4], m[6], m[7]]),
          f"series change: changed {out.get('changed')} kept {out.get('kept')}")
    settle(sink, "rule series from M4")
    out = patch(f"/series/{forum_id}", {"from": forum_days[1].isoformat(), "start_time": "15:30"},
                "listed dates from forum 2")
    check(out.get("changed") == [f[1]], f"listed dates change: {out}")
    settle(sink, "listed dates from forum 2")
    w.compare("series changed from a meeting on")

    extra_day = first + datetime.timedelta(days=45)
    st, _, extra = api("POST", "/groups/futures/series", {
        "title": "Extra meeting", "venue_id": venues["guild"], "start_time": "11:00",
        "duration_minutes": 60, "dates": [extra_day.isoformat()]})
    check(st == 201, f"new one-off: {st} {extra}")
    w.scheduled[extra["meetings"][0]["id"]] = True
    settle(sink, "new one-off")
    out = patch(f"/series/{rule_id}", {"until": (first + datetime.timedelta(days=35)).isoformat()},
                "rule series until M6")
    check(sorted(out.get("cancelled", [])) == sorted([m[6], m[7]]), f"until: {out}")
    w.scheduled[m[6]] = w.scheduled[m[7]] = False
    settle(sink, "rule series shortened")
    w.compare("new series, rule series shortened")

    # Dan now has another address: the calendar at the old one is emptied, the new one gets the
    # whole picture (his feed link stays the same). Dee is removed from the group: her calendar
    # is emptied (her feed link stops working).
    patch(f"/groups/futures/members/{dan['id']}", {"email": "dan.new@example.org"}, "Dan's address")
    w.feeds["dan.new@example.org"] = w.feeds["dan@example.org"]
    st, _, _ = api("DELETE", f"/groups/futures/members/{dee['id']}")
    check(st == 204, f"Dee removed: {st}")
    settle(sink, "Dan's new address, Dee removed")
    for who in ("dan@example.org", "dee@example.org"):
        left = occurrences(w.replay(who).as_ical(), w.frm, w.to)
        check(left == [], f"{who}'s calendar after leaving that address: {left}")
    st, _, _ = http("GET", w.feeds["dee@example.org"])
    check(st in (404, 410), f"Dee's feed after her removal: {st}")
    invited = ["bob@example.org", "cy@example.org", "dan.new@example.org"]
    w.compare("an address changed, a member removed", invited)

    for sid, label in ((forum_id, "listed dates ended"), (rule_id, "rule series ended")):
        st, _, _ = api("DELETE", f"/series/{sid}", None, {"If-Match": etag_of(f"/series/{sid}")})
        check(st == 204, f"{label}: DELETE {st}")
        settle(sink, label)
    for mid in m + f:
        w.scheduled[mid] = False
    w.compare("series ended", invited)

    check(calendar_parts(sink, "ann@example.org") == [], "Ann (feed) got calendar parts")
    check(len(calendar_parts(sink, "eve@example.org")) == len(eve_parts),
          "Eve got calendar parts after going back to the feed")
    for who in invited:
        methods = [p[1] for p in calendar_parts(sink, who)]
        need = 5 if who == "dan.new@example.org" else 10  # the new address joined late
        check(len(methods) >= need and "CANCEL" in methods, f"{who} received {methods}")


if __name__ == "__main__":
    main()
