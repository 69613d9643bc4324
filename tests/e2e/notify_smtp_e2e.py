#!/usr/bin/python3
"""notify against a REAL SMTP server (aiosmtpd on loopback): delivery and bytes, dot-stuffing,
451 then 550, a connection dropped after the final dot, the relay down then up, AUTH, STARTTLS.

  notify_smtp_e2e.py --driver build/notify_driver [--only NAME]...
Prints one PASS/FAIL line per scenario with its measured figure; exits non-zero on any FAIL.
"""
import email
import email.policy
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from notify_e2e_lib import Failure, Sink, check, free_port, main, message_id  # noqa: E402



def fast(**override):
    """Worker timings shrunk from minutes to seconds."""
    opts = {"first-retry": 1, "max-retry": 4, "relay-pause": 1, "relay-pause-max": 4, "lease": 5}
    opts.update({k.replace("_", "-"): v for k, v in override.items()})
    return [a for k, v in opts.items() for a in ("--" + k, str(v))]


FAST = fast()


def delivery_and_bytes(driver, tmp):
    db = os.path.join(tmp, "n.db")
    sink = Sink(os.path.join(tmp, "sink"))
    try:
        driver.run("enqueue", "--db", db, "--count", "12", "--invitations-every", "3")
        stats = driver.run("run", "--db", db, "--smtp", sink.url, "--until-drained", *FAST)[0]
    finally:
        sink.stop()
    check(stats["sent"] == 12 and stats["queued"] == 0, "not all sent: %s" % stats)
    bodies = {r["message_id"]: r for r in driver.run("bodies", "--db", db)}
    received = sink.messages()
    check(len(received) == 12, "sink holds %d messages, want 12" % len(received))
    envelopes = {e["message_id"]: e for e in sink.log() if e.get("event") == "data"}
    invitations = 0
    for name, raw in received:
        mid = message_id(raw)
        row = bodies.get(mid)
        check(row is not None, "%s: unknown Message-ID %s" % (name, mid))
        # The relay got exactly the bytes the outbox holds: no double dot-stuffing, no changes.
        check(raw == row["body"].encode(), "%s: bytes differ from the outbox row" % name)
        check(b"\n" not in raw.replace(b"\r\n", b""), "%s: bare LF" % name)
        check(all(len(l) <= 998 for l in raw.split(b"\r\n")), "%s: line over 998" % name)
        check(envelopes[mid]["mail_from"] == "bounces+%d@example.org" % row["id"],
              "%s: envelope sender %s" % (name, envelopes[mid]["mail_from"]))
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        check(msg["To"].addresses[0].addr_spec == row["recipient"], "%s: To" % name)
        check(msg["Subject"].startswith("Venue changed: "), "%s: Subject %r" % (name, msg["Subject"]))
        check(msg["List-Unsubscribe"].startswith("<https://convene.example/unsubscribe/"), "unsub")
        check(msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click", "unsub-post")
        text = msg.get_body(("plain",)).get_content()
        check("Was: Old Hall" in text and "Now: New Hall" in text, "%s: text %r" % (name, text))
        if msg.is_multipart():
            invitations += 1
            check(msg.get_content_type() == "multipart/alternative", "M2: not alternative")
            parts = list(msg.iter_parts())
            check([p.get_content_type() for p in parts] == ["text/plain", "text/calendar"],
                  "M2: parts %s" % [p.get_content_type() for p in parts])
            cal = parts[1]
            check(cal.get("Content-Disposition") is None, "M2: calendar part is an attachment")
            body = cal.get_payload(decode=True)
            method = cal.get_param("method")
            check(("\r\nMETHOD:%s\r\n" % method).encode() in body, "M1: method %s" % method)
            check(body.count(b"METHOD:") == 1, "M1: more than one METHOD")
            check(b"\n" not in body.replace(b"\r\n", b""), "M4: CRLF lost in the calendar part")
            check("Café".encode() in body, "M4: UTF-8 lost")
    check(invitations == 4, "invitations %d, want 4" % invitations)
    return "delivered=12/12 identical_bytes=12 invitations=4"


def dot_stuffing(driver, tmp):
    sink = Sink(os.path.join(tmp, "sink"))
    raw = (b"Message-ID: <dots@example.org>\r\nSubject: dots\r\n\r\n.\r\n..\r\n.hidden\r\n"
           b"...\r\nmiddle\r\n.\r\nlast\r\n")
    path = os.path.join(tmp, "dots.eml")
    open(path, "wb").write(raw)
    try:
        r = driver.run("raw", "--smtp", sink.url, "--from", "a@example.org", "--to",
                       "b@example.org", "--file", path)[0]
    finally:
        sink.stop()
    check(r["ok"], "send failed: %s" % r)
    got = sink.messages()
    check(len(got) == 1 and got[0][1] == raw, "received %r" % (got[0][1] if got else None))
    return "lines starting with '.' arrive intact (libcurl stuffs once, the relay unstuffs)"


def defer_then_reject(driver, tmp):
    db = os.path.join(tmp, "n.db")
    sink = Sink(os.path.join(tmp, "sink"))
    try:
        driver.run("enqueue", "--db", db, "--count", "2", "--rcpt", "defer-then-reject@example.org")
        stats = driver.run("run", "--db", db, "--smtp", sink.url, "--until-drained",
                           *fast(first_retry=3))[0]
    finally:
        sink.stop()
    check(stats["sent"] == 2 and stats["failed"] == 1, "stats %s" % stats)
    events = [e for e in sink.log() if e.get("event") == "data"
              and e["rcpt"] == "defer-then-reject@example.org"]
    check([e["answer"] for e in events] == ["451", "550"], "answers %s" % events)
    gap = events[1]["t"] - events[0]["t"]
    # A lower bound, not a speed: the retry is due 3 s after the failure on a whole-second clock.
    check(gap >= 2.0, "retried after %.2f s, the schedule says 3 s" % gap)
    failed = driver.run("list", "--db", db, "--status", "failed")
    check(len(failed) == 1 and failed[0]["to"] == "defer-then-reject@example.org",
          "failed list %s" % failed)
    check(failed[0]["attempts"] == 2 and "550" in failed[0]["last_error"], "row %s" % failed[0])
    check(events[0]["message_id"] == events[1]["message_id"], "Message-ID changed on retry")
    return ("attempts=2 (451, then 550 after %.1f s; first_retry 3 s) status=failed "
            "listed_in_failed=yes" % gap)


def drop_after_dot(driver, tmp):
    db = os.path.join(tmp, "n.db")
    sink = Sink(os.path.join(tmp, "sink"))
    rcpts = []
    for i in range(5):
        rcpts += ["--rcpt", "drop-after-dot%d@example.org" % i]
    try:
        driver.run("enqueue", "--db", db, "--count", "0", *rcpts)
        stats = driver.run("run", "--db", db, "--smtp", sink.url, "--until-drained", *FAST)[0]
    finally:
        sink.stop()
    check(stats["sent"] == 5 and stats["failed"] == 0, "stats %s" % stats)
    ids = [message_id(raw) for _, raw in sink.messages()]
    drops = sum(1 for e in sink.log() if e.get("answer") == "drop")
    dupes = len(ids) - len(set(ids))
    check(len(set(ids)) == 5, "distinct delivered %d, want 5" % len(set(ids)))
    check(dupes <= drops, "duplicates %d > drops %d" % (dupes, drops))
    for row in driver.run("list", "--db", db):
        check(row["status"] == "sent" and row["attempts"] == 2, "row %s" % row)
    return "lost=0 delivered=5/5 duplicates=%d (<= connections dropped after the dot: %d)" % (
        dupes, drops)


def down_then_up(driver, tmp):
    db = os.path.join(tmp, "n.db")
    port = free_port()
    driver.run("enqueue", "--db", db, "--count", "30")
    proc = driver.start("run", "--db", db, "--smtp", "smtp://127.0.0.1:%d" % port,
                        "--until-drained", "--max-seconds", "45", *FAST)
    outage = 6.0
    time.sleep(outage)  # the relay is down: connections are refused
    sink = Sink(os.path.join(tmp, "sink"), port=port)
    try:
        out, err = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise Failure("the driver did not drain within 60 s")
    finally:
        sink.stop()
    import json
    stats = json.loads(out.decode().strip().splitlines()[-1])
    ids = {message_id(raw) for _, raw in sink.messages()}
    check(len(ids) == 30 and stats["sent"] == 30, "delivered %d of 30: %s" % (len(ids), stats))
    attempts_in_outage = stats["sends"] - 30
    # Pauses 1, 2, 4, 4 ... s: about 4 probes in 6 s. Not one per message (30).
    check(attempts_in_outage <= 8, "%d attempts during the outage" % attempts_in_outage)
    return ("delivered=30/30 (100%%) attempts_during_%ds_outage=%d relay_pauses=%d" %
            (outage, attempts_in_outage, stats["relay_pauses"]))


def auth(driver, tmp):
    db = os.path.join(tmp, "n.db")
    sink = Sink(os.path.join(tmp, "sink"), args=["--auth", "convene:s3cret"])
    try:
        driver.run("enqueue", "--db", db, "--count", "1")
        bad = driver.run("run", "--db", db, "--smtp", sink.url, "--max-seconds", "2", *FAST,
                         env={"CONVENE_SMTP_USER": "convene", "CONVENE_SMTP_PASSWORD": "wrong"})[0]
        good = driver.run("run", "--db", db, "--smtp", sink.url, "--until-drained", *FAST,
                          env={"CONVENE_SMTP_USER": "convene", "CONVENE_SMTP_PASSWORD": "s3cret"})[0]
    finally:
        sink.stop()
    check(bad["sent"] == 0 and bad["failed"] == 0 and bad["queued"] == 1,
          "a wrong password must keep the notice queued: %s" % bad)
    check(bad["relay_pauses"] >= 1, "a refused login must pause the relay: %s" % bad)
    check(good["sent"] == 1, "not delivered with the right password: %s" % good)
    auths = [e["ok"] for e in sink.log() if e.get("event") == "auth"]
    check(auths[-1] is True and False in auths, "auth log %s" % auths)
    return "wrong password: kept queued, relay paused; right password: delivered"


def starttls(driver, tmp):
    cert, key = os.path.join(tmp, "cert.pem"), os.path.join(tmp, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                    "-out", cert, "-days", "1", "-subj", "/CN=localhost", "-addext",
                    "subjectAltName=IP:127.0.0.1,DNS:localhost"],
                   check=True, capture_output=True, timeout=60)
    db = os.path.join(tmp, "n.db")
    sink = Sink(os.path.join(tmp, "sink"),
                args=["--auth", "convene:s3cret", "--tls-cert", cert, "--tls-key", key])
    env = {"CONVENE_SMTP_USER": "convene", "CONVENE_SMTP_PASSWORD": "s3cret",
           "CONVENE_SMTP_CA_FILE": cert}
    try:
        driver.run("enqueue", "--db", db, "--count", "1")
        clear = driver.run("run", "--db", db, "--smtp", sink.url, "--max-seconds", "2", *FAST,
                           env=env)[0]
        tls = driver.run("run", "--db", db, "--smtp", sink.url, "--starttls", "--until-drained",
                         *FAST, env=env)[0]
    finally:
        sink.stop()
    check(clear["sent"] == 0 and clear["queued"] == 1, "sent without STARTTLS: %s" % clear)
    check(tls["sent"] == 1, "not delivered over STARTTLS: %s" % tls)
    check(len(sink.messages()) == 1, "sink holds %d" % len(sink.messages()))
    return "relay demanding STARTTLS: refused in clear (kept queued), delivered with --starttls"


if __name__ == "__main__":
    sys.exit(main([
        ("delivery_and_bytes", delivery_and_bytes),
        ("dot_stuffing", dot_stuffing),
        ("defer_then_reject", defer_then_reject),
        ("drop_after_dot", drop_after_dot),
        ("down_then_up", down_then_up),
        ("auth", auth),
        ("starttls", starttls),
    ]))
