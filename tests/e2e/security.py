#!/usr/bin/python3
"""Issue 8's attacks, each as a reproduction against the real binary, directly and behind nginx
started from deploy/nginx's own server block (tests/e2e/e2e_lib.py start_nginx):

1. Request smuggling: a request hidden in the body of a request that convene answers without
   reading the body (a GET with a body, 415, 400 for %0D%0A in a header, 411 for chunked, 413,
   duplicate or conflicting Content-Length), at offsets 1 KiB, 4 KiB, 8 KiB and 70 KiB. The
   connection must carry exactly one response, say `Connection: close` and be closed; convene's
   log must never show the hidden request; behind nginx, the next visitors get their own answers.
2. Slow clients: 200 connections each sending one header line every 2 s must not delay a probe
   by more than 5 s directly (the waiting room) or 1 s behind nginx; directly, each is cut (408)
   once its head is overdue.
3. Login throttle race: 60 parallel wrong passwords for one email give at most the allowed 401s.
4. Lockout: failures from 127.0.0.2 never stop a correct login from 127.0.0.3 (directly, and
   behind nginx with --trusted-proxy, where convene sees every client as nginx's address);
   a client's own X-Real-IP is ignored when it does not come from the trusted proxy.
5-7. Duplicate Content-Length -> 400; NEL, C1 controls, bidi overrides in one-line fields -> 400
   naming the field; zone names that are no zone of the tz database -> 400.

  security.py /path/to/convene /path/to/repo [--slow N]   (N slow clients; 200 by default)
Prints figures (smuggled=0, probe latencies, 401/429 counts) and 'security: N passed, M failed'.
"""
import argparse
import json
import os
import re
import resource
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_lib import Tally, call, free_port, http, start_nginx, stop_all, wait_up  # noqa: E402

check = Tally("security")
PASSWORD = "correct horse battery staple"
ORGANISER = "secretary@example.org"


def start_convene(binary, db, tmp, port, extra=()):
    log = open("%s/convene-%d.log" % (tmp, port), "w")
    p = subprocess.Popen([binary, "serve", "--db", db, "--listen", "127.0.0.1:%d" % port,
                          "--spool", tmp + "/spool"] + list(extra),
                         stdout=subprocess.DEVNULL, stderr=log)
    if not wait_up("http://127.0.0.1:%d/healthz" % port, 15):
        raise RuntimeError("convene did not start on %d" % port)
    return p


def exchange(port, payload, src="127.0.0.1", wait=3.0):
    """Sends payload on one connection; reads until the server closes it or `wait` passes.
    Returns (bytes received, whether the server closed the connection)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=wait, source_address=(src, 0))
    got, closed = b"", False
    try:
        try:
            s.sendall(payload)
        except OSError:
            pass  # the server may close before taking everything: that is allowed
        deadline = time.time() + wait
        while time.time() < deadline:
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                break
            except OSError:
                closed = True
                break
            if not chunk:
                closed = True
                break
            got += chunk
    finally:
        s.close()
    return got, closed


def responses(data):
    return re.findall(rb"HTTP/1\.[01] (\d{3}) ", data)


def smuggling_payloads(offset, tag):
    hidden = b"GET /smuggled-" + tag.encode() + b" HTTP/1.1\r\nHost: x\r\n\r\n"
    body = b"x" * offset + hidden
    n = len(body)
    post = b"POST /api/v1/venues HTTP/1.1\r\nHost: x\r\n"
    chunked = b"%x\r\n" % offset + b"x" * offset + b"\r\n0\r\n\r\n" + hidden
    return [
        ("GET with a body", 200, b"GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % n + body),
        ("feed GET with a body", 200,
         b"GET /feeds/groups/futures.ics HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % n + body),
        ("415 not JSON", 415, post + b"Content-Type: text/plain\r\nContent-Length: %d\r\n\r\n" % n + body),
        ("400 %0D%0A header", 400,
         post + b"Content-Type: application/json\r\nX-Test: a%%0D%%0Ab\r\nContent-Length: %d\r\n\r\n" % n + body),
        ("411 chunked", 411, post + b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked),
        ("413 too large", 413, post + b"Content-Type: application/json\r\nContent-Length: 2000000\r\n\r\n" + body),
        ("400 duplicate Content-Length", 400,
         post + b"Content-Type: application/json\r\nContent-Length: %d\r\nContent-Length: %d\r\n\r\n" % (n, n) + body),
        ("400 conflicting Content-Length", 400,
         post + b"Content-Type: application/json\r\nContent-Length: 5\r\nContent-Length: %d\r\n\r\n" % n + body),
    ]


OFFSETS = [1024, 4096, 8192, 70000]


def smuggling_direct(port, log_path):
    worst = 0
    for off in OFFSETS:
        for name, want, payload in smuggling_payloads(off, "d%d" % off):
            got, closed = exchange(port, payload)
            codes = responses(got)
            worst = max(worst, len(codes))
            head = got.split(b"\r\n\r\n", 1)[0].lower()
            check(len(codes) == 1 and int(codes[0]) == want,
                  "direct %s at %d: one %d answer (got %s)" % (name, off, want, codes))
            check(closed and b"connection: close" in head,
                  "direct %s at %d: Connection: close and closed (closed=%s)" % (name, off, closed))
    time.sleep(0.3)
    with open(log_path) as f:
        hits = f.read().count("/smuggled-")
    check(hits == 0, "convene never handled a smuggled request directly (%d in the log)" % hits)
    print("security: smuggling direct: %d payloads x %d offsets, most responses on one connection=%d, "
          "smuggled requests handled=%d" % (len(smuggling_payloads(0, "x")), len(OFFSETS), worst, hits))


def smuggling_nginx(nport, log_path):
    wrong = 0
    sent = 0
    for off in OFFSETS:
        # The first four: nginx frames a chunked body itself (what follows it is the client's
        # next request, not a hidden one) and refuses the last three on its own.
        for name, _, payload in smuggling_payloads(off, "n%d" % off)[:4]:
            exchange(nport, payload, wait=1.0)
            sent += 1
            for _ in range(4):  # the next visitors, likely on the same upstream connection
                st, _, body = http("GET", "http://127.0.0.1:%d/healthz" % nport, timeout=5)
                if st != 200 or b'"ok"' not in body:
                    wrong += 1
    time.sleep(0.3)
    with open(log_path) as f:
        hits = f.read().count("/smuggled-n")
    check(wrong == 0, "behind nginx every visitor after an attack got their own answer (%d wrong)" % wrong)
    check(hits == 0, "convene never handled a smuggled request behind nginx (%d in the log)" % hits)
    print("security: smuggling behind nginx: %d attacks, visitors answered wrongly=%d, smuggled handled=%d"
          % (sent, wrong, hits))


class SlowClients:
    """n connections, each sending one more header line every 2 s (never finishing the head)."""

    def __init__(self, port, n, src):
        self.socks = []
        for _ in range(n):
            s = socket.create_connection(("127.0.0.1", port), timeout=5, source_address=(src, 0))
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
            s.setblocking(False)
            self.socks.append(s)
        self.cut = 0
        self.answered_408 = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run)
        self.thread.start()

    def run(self):
        i = 0
        while not self.stop.wait(2.0):
            i += 1
            for s in self.socks:
                if s.fileno() < 0:
                    continue
                try:
                    s.send(b"X-Slow-%d: %d\r\n" % (i, i))
                except OSError:
                    pass

    def close(self):
        self.stop.set()
        self.thread.join(10)
        for s in self.socks:
            try:
                data = s.recv(4096)
                if data.startswith(b"HTTP/1.1 408"):
                    self.answered_408 += 1
                if data == b"" or data.startswith(b"HTTP/1.1 408"):
                    self.cut += 1
            except BlockingIOError:
                pass
            except OSError:
                self.cut += 1
            s.close()


def probe(url, seconds, src="127.0.0.1"):
    """GETs url every 0.5 s for `seconds` from src; returns (worst latency, failures)."""
    worst, fails = 0.0, 0
    host, port = urllib.parse.urlsplit(url)[1].split(":")
    path = urllib.parse.urlsplit(url).path
    end = time.time() + seconds
    while time.time() < end:
        t0 = time.time()
        try:
            got, _ = exchange(int(port), b"GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" % path.encode(),
                              src=src, wait=10.0)
            if not got.startswith(b"HTTP/1.1 200"):
                fails += 1
        except OSError:
            fails += 1
        worst = max(worst, time.time() - t0)
        time.sleep(0.5)
    return worst, fails


def login_form(base, src="127.0.0.1"):
    """(cookie, csrf) from GET /login."""
    st, h, body = http("GET", base + "/login")
    cookie = h.get("Set-Cookie", "").split(";")[0]
    m = re.search(rb'name="csrf" value="([A-Za-z0-9_-]+)"', body)
    return cookie, m.group(1).decode() if m else ""


def login(port, cookie, csrf, email, password, src="127.0.0.1", extra=b""):
    form = urllib.parse.urlencode({"email": email, "password": password, "csrf": csrf}).encode()
    req = (b"POST /login HTTP/1.1\r\nHost: x\r\nConnection: close\r\nCookie: %s\r\n%s"
           b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n\r\n"
           % (cookie.encode(), extra, len(form)) + form)
    got, _ = exchange(port, req, src=src, wait=10.0)
    codes = responses(got)
    return int(codes[0]) if codes else 0, got


def login_race(port):
    base = "http://127.0.0.1:%d" % port
    cookie, csrf = login_form(base)
    results = []
    lock = threading.Lock()

    def attempt():
        code, _ = login(port, cookie, csrf, ORGANISER, "wrong password number one")
        with lock:
            results.append(code)

    threads = [threading.Thread(target=attempt) for _ in range(60)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    n401, n429 = results.count(401), results.count(429)
    check(n401 <= 5 and n401 + n429 == 60, "60 parallel wrong logins: at most 5 x 401 (%d x 401, %d x 429, %s)"
          % (n401, n429, sorted(set(results))))
    print("security: login race: 60 parallel wrong passwords -> %d x 401, %d x 429" % (n401, n429))


def lockout(port, via_nginx):
    where = "behind nginx" if via_nginx else "directly"
    base = "http://127.0.0.1:%d" % port
    cookie, csrf = login_form(base)
    codes = []
    for i in range(64):
        # Directly: unknown emails and the organiser's own, from the attacker's address. Behind
        # nginx only the organiser's: nginx's own limit passes about 6 a minute per address, and
        # those must be enough to lock the organiser out if convene keyed them by nginx's address.
        email = ORGANISER if i % 2 or via_nginx else "nobody%d@example.org" % i
        codes.append(login(port, cookie, csrf, email, "wrong password number %d" % i, src="127.0.0.2")[0])
    check(429 in codes, "%s: the attacker at 127.0.0.2 is throttled (%s)" % (where, sorted(set(codes))))
    cookie3, csrf3 = login_form(base)
    code, got = login(port, cookie3, csrf3, ORGANISER, PASSWORD, src="127.0.0.3")
    check(code == 303, "%s: the organiser's correct login from 127.0.0.3 works after the attack (%d)" % (where, code))
    if not via_nginx:
        # A client's own X-Real-IP is ignored: the attacker cannot pose as another address.
        spoof, _ = login(port, cookie, csrf, ORGANISER, PASSWORD, src="127.0.0.2", extra=b"X-Real-IP: 127.0.0.9\r\n")
        check(spoof == 429, "directly: X-Real-IP from an untrusted peer changes nothing (%d)" % spoof)
    print("security: lockout %s: attacker codes %s, organiser from 127.0.0.3 -> %d"
          % (where, {c: codes.count(c) for c in sorted(set(codes))}, code))


def input_checks(port, token):
    base = "http://127.0.0.1:%d/api/v1" % port
    bad = {"NEL": "Hall\u0085Injected", "C1": "Hall\u009bX", "RLO": "Hall\u202eevil", "LRI": "Hall\u2066x",
           "ZWSP": "Hall\u200bX", "LS": "Hall\u2028X"}
    for what, name in bad.items():
        st, _, body = call("POST", base + "/venues", {"name": name, "address": "1 Road", "postcode": "EC1"}, token)
        field = (body or {}).get("error", {}).get("field")
        check(st == 400 and field == "name", "venue name with %s: 400 naming the field (%s %s)" % (what, st, field))
    st, _, body = call("POST", base + "/venues",
                       {"name": "Hall", "address": "1 Road", "postcode": "EC1", "notes": "Line one\r\nLine two\u0085x"},
                       token)
    check(st == 400 and (body or {}).get("error", {}).get("field") == "notes",
          "multi-line notes keep line breaks, refuse NEL (%s)" % st)
    st, _, body = call("POST", base + "/venues",
                       {"name": "Ḥall \u05e9\u05dc\u05d5\u05dd \U0001F469\u200d\U0001F4BB", "address": "1 Road",
                        "postcode": "EC1", "notes": "Line one\r\nLine two"}, token)
    check(st == 201 and body and body.get("notes") == "Line one\nLine two",
          "a name with Hebrew and a joined emoji is kept; CRLF becomes LF (%s %s)" % (st, body))
    for zone in ["localtime", "posixrules", "right/UTC", "Factory", "posix/Europe/London"]:
        st, _, body = call("POST", base + "/groups",
                           {"slug": "z-" + re.sub(r"[^a-z]", "", zone.lower())[:10], "name": "Z", "timezone": zone},
                           token)
        check(st == 400 and (body or {}).get("error", {}).get("field") == "timezone",
              "time zone %s refused (%s)" % (zone, st))
    for zone in ["UTC", "Europe/London", "America/Argentina/Buenos_Aires", "Europe/Belfast"]:
        st, _, _ = call("POST", base + "/groups",
                        {"slug": "ok-" + re.sub(r"[^a-z]", "", zone.lower())[:12], "name": "Z", "timezone": zone}, token)
        check(st == 201, "time zone %s accepted (%s)" % (zone, st))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("repo")
    ap.add_argument("--slow", type=int, default=200)
    a = ap.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    tmp = tempfile.mkdtemp(prefix="convene-security-")
    os.chmod(tmp, 0o755)
    db = tmp + "/c.db"
    subprocess.run([a.binary, "demo", "--db", db], check=True, capture_output=True, timeout=60)
    subprocess.run([a.binary, "admin", "password", "--db", db, "--organiser", ORGANISER],
                   input=PASSWORD + "\n", text=True, check=True, capture_output=True, timeout=60)
    token = subprocess.run([a.binary, "admin", "token", "--db", db, "--organiser", ORGANISER],
                           check=True, capture_output=True, text=True, timeout=60).stdout.strip()
    procs = []
    try:
        # Direct: convene alone, with its default deadlines.
        dport = free_port()
        procs.append(start_convene(a.binary, db, tmp, dport))
        dlog = "%s/convene-%d.log" % (tmp, dport)
        smuggling_direct(dport, dlog)
        input_checks(dport, token)
        login_race(dport)
        lockout(dport, via_nginx=False)

        slow = SlowClients(dport, a.slow, "127.0.0.4")
        worst, fails = probe("http://127.0.0.1:%d/healthz" % dport, 12.5)
        slow.close()
        check(worst < 5.0 and fails == 0, "directly, %d slow clients: probes within 5 s (worst %.3f s, %d failed)"
              % (a.slow, worst, fails))
        check(slow.cut == a.slow, "directly, every slow client was cut once its head was overdue (%d of %d, %d x 408)"
              % (slow.cut, a.slow, slow.answered_408))
        print("security: directly, %d slow clients: worst probe %.3f s, cut %d (408: %d)"
              % (a.slow, worst, slow.cut, slow.answered_408))

        # Behind nginx: a second convene on the same database, trusting nginx's X-Real-IP.
        cport, nport = free_port(), free_port()
        procs.append(start_convene(a.binary, db, tmp, cport, ["--trusted-proxy", "127.0.0.1",
                                                             "--base-url", "http://127.0.0.1:%d" % nport]))
        clog = "%s/convene-%d.log" % (tmp, cport)
        procs.append(start_nginx(tmp, cport, nport, a.repo))
        check(wait_up("http://127.0.0.1:%d/healthz" % nport), "nginx up")
        smuggling_nginx(nport, clog)
        lockout(nport, via_nginx=True)
        slow = SlowClients(nport, a.slow, "127.0.0.4")
        worst, fails = probe("http://127.0.0.1:%d/healthz" % nport, 6.0, src="127.0.0.5")
        slow.close()
        check(worst < 1.0 and fails == 0, "behind nginx, %d slow clients: probes within 1 s (worst %.3f s, %d failed)"
              % (a.slow, worst, fails))
        print("security: behind nginx, %d slow clients: worst probe %.3f s" % (a.slow, worst))
    finally:
        stop_all(procs)
        if check.fails:
            for name in sorted(os.listdir(tmp)):
                if name.startswith("convene-") and name.endswith(".log"):
                    with open(os.path.join(tmp, name)) as f:
                        print("--- %s (last lines)\n%s" % (name, "".join(f.readlines()[-15:])), file=sys.stderr)
        if not os.environ.get("KEEP"):
            subprocess.run(["rm", "-rf", tmp])
        else:
            print("kept", tmp)
    return check.finish()


if __name__ == "__main__":
    sys.exit(main())
