#!/usr/bin/python3
"""End to end for the feeds: the real convene binary on a temp database, data created through the
JSON API, the group, venue and member feeds fetched over loopback and read by independent
readers (lint.py, recurring-ical-events, ical.js, vdirsyncer + khal), before and after edits.

    feeds_walk.py /path/to/convene

Checked before/after: UIDs stable, SEQUENCE never falls, untouched events byte-identical, the ETag
changes exactly when the bytes do, Last-Modified never goes back, 304s, HEAD, gzip on request.
Expected occurrences are written by hand from the 2010 calendar (UK summer time: 28 March to
31 October 2010). Every wait is bounded; the server is stopped by its own pid; all files live in
a temporary directory.
"""
import gzip
import importlib.util
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_lib import (Tally, call as call_json, drop_e2e_databases, e2e_database,  # noqa: E402
                     events, free_port, http, stop_all, wait_up)

BIN = sys.argv[1] if len(sys.argv) > 1 else ""
FEEDS = pathlib.Path(__file__).resolve().parent.parent / "feeds"
PY = "/usr/bin/python3"
WINDOW = ("2000-01-01", "2030-01-01")
check = Tally("feeds_walk")

SIEMENS = "Siemens, Hillgate House, 26 Old Bailey, London, EC4M 7HS"
GUILDHALL = "Guildhall, Gresham Street, London, EC2V 7HH"


def api(method, url, body, token, headers=None):
    return call_json(method, url, body, token, headers)


def readers(path):
    """{reader: sorted occurrence lines without the UID} and the set of UIDs each reader saw."""
    out = {}
    for name, cmd in (("python", [PY, str(FEEDS / "expand_python.py"), str(path), *WINDOW]),
                      ("ical.js", ["node", str(FEEDS / "expand_icaljs.mjs"), str(path), *WINDOW])):
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        check(p.returncode == 0, f"{name} on {path.name}: {p.stderr.strip()[:200]}")
        lines = [l for l in p.stdout.splitlines() if l]
        out[name] = (sorted(l.split("|", 1)[1] for l in lines), {l.split("|", 1)[0] for l in lines})
    lint = subprocess.run([PY, str(FEEDS / "lint.py"), str(path)], capture_output=True, text=True, timeout=60)
    check(lint.returncode == 0, f"lint {path.name}: {lint.stdout.strip()[:400]}")
    return out


def expect_occurrences(path, want, label):
    for name, (got, _) in readers(path).items():
        check(got == sorted(want), f"{label} via {name}: got {got} want {sorted(want)}")


def load_khal():
    spec = importlib.util.spec_from_file_location("check_khal", FEEDS / "check_khal.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def main():
    if not BIN:
        raise SystemExit(__doc__)
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="convene-feeds-e2e-"))
    db = e2e_database(tmp / "convene.db")
    r = subprocess.run([BIN, "admin", "token", "--db", str(db), "--organiser", "sec@example.org", "--name", "Sec"],
                       capture_output=True, text=True, timeout=30)
    check(r.returncode == 0, "admin token: " + r.stderr)
    token = r.stdout.strip()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = open(tmp / "serve.log", "w")
    proc = subprocess.Popen([BIN, "serve", "--db", str(db), "--listen", f"127.0.0.1:{port}", "--base-url", base],
                            stdout=log, stderr=log)
    try:
        check(wait_up(base + "/healthz"), "server up")
        walk(base, token, tmp)
    finally:
        stop_all([proc])
        drop_e2e_databases()
        log.close()
        if check.fails:
            print((tmp / "serve.log").read_text()[-3000:], file=sys.stderr)
        shutil.rmtree(tmp, ignore_errors=True)
    sys.exit(check.finish())


def walk(base, token, tmp):
    v1 = api("POST", base + "/api/v1/venues", {"name": "Siemens, Hillgate House", "address": "26 Old Bailey, London",
                                                "postcode": "EC4M 7HS"}, token)[2]["id"]
    v2 = api("POST", base + "/api/v1/venues", {"name": "Guildhall", "address": "Gresham Street, London",
                                                "postcode": "EC2V 7HH"}, token)[2]["id"]
    st, _, _ = api("POST", base + "/api/v1/groups", {"slug": "wg", "name": "Working group",
                                                      "timezone": "Europe/London"}, token)
    check(st == 201, "group")
    st, _, rule = api("POST", base + "/api/v1/groups/wg/series",
                      {"title": "WG meeting", "venue_id": v1, "start_time": "10:30", "duration_minutes": 150,
                       "rrule": "FREQ=MONTHLY;INTERVAL=2;BYDAY=3MO;COUNT=5", "first_date": "2010-03-01"}, token)
    check(st == 201, f"rule series: {rule}")
    rule_ids = [m["id"] for m in rule["meetings"]]
    st, _, evening = api("POST", base + "/api/v1/groups/wg/series",
                         {"title": "Evening forum", "venue_id": v2, "start_time": "18:00", "duration_minutes": 60,
                          "dates": ["2010-06-07", "2010-12-06"]}, token)
    check(st == 201, f"explicit series: {evening}")
    evening_ids = [m["id"] for m in evening["meetings"]]
    st, _, member = api("POST", base + "/api/v1/groups/wg/members", {"name": "Ada Lovelace",
                                                                     "email": "ada@example.org"}, token)
    check(st == 201 and member["webcal_url"] == "webcal" + member["feed_url"][4:], "member, webcal = feed URL (H7)")
    feeds = {"group": base + "/feeds/groups/wg.ics", "venue1": f"{base}/feeds/venues/{v1}.ics",
             "venue2": f"{base}/feeds/venues/{v2}.ics", "member": member["feed_url"]}

    # Third Mondays of March, May, July, September and November 2010, 10:30 for 2.5 hours.
    rule_before = [f"2010-03-15T10:30:00Z|2010-03-15T13:00:00Z|WG meeting|{SIEMENS}",
                   f"2010-05-17T09:30:00Z|2010-05-17T12:00:00Z|WG meeting|{SIEMENS}",
                   f"2010-07-19T09:30:00Z|2010-07-19T12:00:00Z|WG meeting|{SIEMENS}",
                   f"2010-09-20T09:30:00Z|2010-09-20T12:00:00Z|WG meeting|{SIEMENS}",
                   f"2010-11-15T10:30:00Z|2010-11-15T13:00:00Z|WG meeting|{SIEMENS}"]
    evening_before = [f"2010-06-07T17:00:00Z|2010-06-07T18:00:00Z|Evening forum|{GUILDHALL}",
                      f"2010-12-06T18:00:00Z|2010-12-06T19:00:00Z|Evening forum|{GUILDHALL}"]
    before = fetch_all(feeds, tmp / "before")
    expect_occurrences(before["group"]["path"], rule_before + evening_before, "group before")
    expect_occurrences(before["member"]["path"], rule_before + evening_before, "member before")
    expect_occurrences(before["venue1"]["path"], [l.replace("|WG", "|Working group: WG") for l in rule_before],
                       "venue 1 before")
    check(b"You are expected." in before["member"]["body"], "member state")

    # Unchanged: byte-identical, 304 on both validators, HEAD, gzip only on request (H3-H7).
    for name, f in before.items():
        st, hdrs, body = http("GET", feeds[name])
        check(st == 200 and body == f["body"] and hdrs["ETag"] == f["etag"], f"{name}: second GET identical")
        check(http("GET", feeds[name], headers={"If-None-Match": f["etag"]})[0] == 304, f"{name}: 304 by ETag")
        check(http("GET", feeds[name], headers={"If-Modified-Since": f["last_modified"]})[0] == 304,
              f"{name}: 304 by date")
        st, hdrs, body = http("HEAD", feeds[name])
        check(st == 200 and body == b"" and hdrs.get("Content-Length") == str(len(f["body"])), f"{name}: HEAD")
        st, hdrs, body = http("GET", feeds[name], headers={"Accept-Encoding": "gzip"})
        check(hdrs.get("Content-Encoding") == "gzip" and gzip.decompress(body) == f["body"], f"{name}: gzip")
        check("Content-Encoding" not in f["headers"], f"{name}: no gzip unasked")

    # Edits: move 17 May to Monday 24 May 14:00 for 90 minutes, take 19 July to the Guildhall,
    # cancel 20 September and 6 December, add a presenter on 15 March, Ada's apologies for 15 Nov.
    time.sleep(1.1)  # Last-Modified has one-second resolution
    for mid, patch in ((rule_ids[1], {"start": "2010-05-24T14:00", "duration_minutes": 90}),
                       (rule_ids[2], {"venue_id": v2}),
                       (rule_ids[3], {"status": "cancelled"}),
                       (evening_ids[1], {"status": "cancelled"})):
        url = f"{base}/api/v1/meetings/{mid}"
        etag = http("GET", url, token=token)[1]["ETag"]
        st, _, body = api("PATCH", url, patch, token, {"If-Match": etag})
        check(st == 200, f"PATCH {mid} {patch}: {st} {body}")
    st, _, _ = api("POST", f"{base}/api/v1/meetings/{rule_ids[0]}/presenters",
                   {"name": "Grace Hopper", "organisation": "Harvard", "topic": "Compilers, for everyone"}, token)
    check(st == 201, "presenter")
    st, _, _ = api("POST", f"{base}/api/v1/meetings/{rule_ids[4]}/apologies", {"member_id": member["id"]}, token)
    check(st == 201, "apologies")

    after = fetch_all(feeds, tmp / "after")
    rule_after = [rule_before[0],
                  f"2010-05-24T13:00:00Z|2010-05-24T14:30:00Z|WG meeting|{SIEMENS}",
                  f"2010-07-19T09:30:00Z|2010-07-19T12:00:00Z|WG meeting|{GUILDHALL}",
                  rule_before[4]]
    expect_occurrences(after["group"]["path"], rule_after + evening_before[:1], "group after")
    expect_occurrences(after["member"]["path"], rule_after + evening_before[:1], "member after")
    expect_occurrences(after["venue1"]["path"],
                       [l.replace("|WG", "|Working group: WG") for l in rule_after if SIEMENS in l], "venue 1 after")
    expect_occurrences(after["venue2"]["path"],
                       [l.replace("|WG", "|Working group: WG").replace("|Evening", "|Working group: Evening")
                        for l in rule_after + evening_before[:1] if GUILDHALL in l], "venue 2 after")
    check(b"You sent apologies." in after["member"]["body"], "member apologies shown")

    # Before/after on the bytes (F11, F13, H3, H4).
    for name in feeds:
        b, a = before[name], after[name]
        check((a["body"] != b["body"]) == (a["etag"] != b["etag"]), f"{name}: ETag changes exactly with the bytes")
        check(a["lm_t"] >= b["lm_t"], f"{name}: Last-Modified never goes back")
        check(http("GET", feeds[name], headers={"If-None-Match": b["etag"]})[0] == 200, f"{name}: old ETag -> 200")
        eb, ea = events(b["body"]), events(a["body"])
        uids_b = {k.split("|")[0] for k in eb}
        uids_a = {k.split("|")[0] for k in ea}
        # A venue feed gains a series when a meeting moves in, under the UID the group feed had.
        known = uids_b | {k.split("|")[0] for k in events(before["group"]["body"])}
        check(uids_a <= (known if name.startswith("venue") else uids_b), f"{name}: no new UID after edits")
        for key, (block, seq) in ea.items():
            if key in eb:
                check(seq >= eb[key][1], f"{name}: SEQUENCE fell for {key}")
    g_b, g_a = events(before["group"]["body"]), events(after["group"]["body"])
    untouched = [k for k in g_a if "20101115" in k]  # 15 November: nothing changed in the group feed
    check(len(untouched) == 1 and g_a[untouched[0]][0] == g_b[untouched[0]][0], "untouched event byte-identical")
    moved = [k for k in g_a if "20100517T103000" in k]
    check(len(moved) == 1 and g_a[moved[0]][1] > g_b[moved[0]][1], "moved meeting: RECURRENCE-ID kept, SEQUENCE up")
    # The master: the event without RECURRENCE-ID whose UID also has overrides.
    with_overrides = {k.split("|")[0] for k in g_a if not k.endswith("|")}
    master = [k for k in g_a if k.endswith("|") and k.split("|")[0] in with_overrides]
    check(len(master) == 1 and g_a[master[0]][1] > g_b[master[0]][1], "master SEQUENCE rose with the EXDATE")
    check(b"EXDATE;TZID=Europe/London:20100920T103000" in after["group"]["body"], "EXDATE for 20 September")

    # A real subscriber: vdirsyncer over HTTP, then khal.
    khal = load_khal()
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp), "LANG": "C.UTF-8",
           "LC_ALL": "C.UTF-8", "XDG_CONFIG_HOME": str(tmp), "XDG_DATA_HOME": str(tmp), "TZ": "UTC"}
    work = tmp / "khal-group"
    work.mkdir()
    try:
        items, lines = khal.subscribe(feeds["group"], work, env)
        check(lines == khal.sort_bytes(rule_after + evening_before[:1]), f"khal: {lines}")
        check(items == 2, f"vdirsyncer stored {items} items for 2 UIDs")
    except (RuntimeError, subprocess.TimeoutExpired) as e:
        check(False, f"vdirsyncer/khal: {e}")


def fetch_all(feeds, folder):
    folder.mkdir()
    out = {}
    for name, url in feeds.items():
        st, hdrs, body = http("GET", url)
        check(st == 200, f"GET {name}: {st}")
        check(hdrs.get("Content-Type") == "text/calendar; charset=utf-8", f"{name}: content type")
        check(body.startswith(b"BEGIN:VCALENDAR\r\n"), f"{name}: body starts BEGIN:VCALENDAR")
        path = folder / f"{name}.ics"
        path.write_bytes(body)
        lm = hdrs.get("Last-Modified", "")
        out[name] = {"body": body, "etag": hdrs.get("ETag", ""), "last_modified": lm, "path": path,
                     "headers": hdrs,
                     "lm_t": time.mktime(time.strptime(lm, "%a, %d %b %Y %H:%M:%S GMT")) if lm else 0}
    return out


if __name__ == "__main__":
    main()
