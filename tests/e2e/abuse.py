#!/usr/bin/python3
"""Hostile requests against the real binary (hardening.md 1.5 and section 2): oversized and
chunked bodies, encoded line breaks in headers, a spoofed REMOTE_ADDR, bodies just under the
limit, from 16 clients at once; the server must answer each with its status, stay up, and keep
its memory small (it never buffers what it refuses).

  abuse.py /path/to/convene [--rounds 100]

Prints: requests=N wrong_status=0 rss_start=A MiB rss_end=B MiB peak=C MiB
"""
import argparse
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_lib import Tally, free_port, stop_all, wait_up  # noqa: E402

check = Tally("abuse")
PEAK_GROWTH_LIMIT_MIB = 96  # 16 clients x a 1 MiB body, copies, per-thread malloc arenas: ~40 measured


def mib(pid, field):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024.0
    return 0.0


def raw(port, data, timeout=10):
    """Sends raw bytes, returns the status code of the answer (0 when there was none)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    resp = b""
    try:
        try:
            s.sendall(data)
        except OSError:
            pass  # the server may answer and close before reading everything: that is the point
        while b"\r\n\r\n" not in resp and len(resp) < 65536:
            chunk = s.recv(65536)
            if not chunk:
                break
            resp += chunk
    except OSError:
        pass
    finally:
        s.close()
    m = re.match(rb"HTTP/1\.[01] (\d{3})", resp)
    return int(m.group(1)) if m else 0


def cases(token):
    auth = "Authorization: Bearer %s\r\n" % token
    head = "POST /api/v1/venues HTTP/1.1\r\nHost: t\r\n" + auth + "Content-Type: application/json\r\n"
    return [
        # A 100 MiB promise with 64 KiB sent: refused from the header, nothing buffered.
        ("oversized", 413, (head + "Content-Length: 104857600\r\n\r\n").encode() + b"x" * 65536),
        ("chunked", 411, (head + "Transfer-Encoding: chunked\r\n\r\n").encode() + b"10\r\n" + b"x" * 16
         + b"\r\n0\r\n\r\n"),
        ("crlf-header", 400, b"GET /api/v1/venues HTTP/1.1\r\nHost: t\r\n" + auth.encode() +
         b"X-Note: a%0D%0AInjected: 1\r\nConnection: close\r\n\r\n"),
        ("spoofed-addr", 200, b"GET /healthz HTTP/1.1\r\nHost: t\r\nREMOTE_ADDR: 6.6.6.6\r\n"
         b"Connection: close\r\n\r\n"),
        # Just under the 1 MiB limit, and not JSON: read, refused with 400, freed.
        ("near-limit", 400, (head + "Content-Length: 1000000\r\nConnection: close\r\n\r\n").encode()
         + b"x" * 1000000),
    ]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("convene")
    ap.add_argument("--rounds", type=int, default=100)
    ap.add_argument("--no-memory-limit", action="store_true",
                    help="print the memory figures without judging them (sanitized builds)")
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="convene-abuse-")
    db = os.path.join(tmp, "convene.db")
    r = subprocess.run([args.convene, "admin", "token", "--db", db, "--organiser", "sec@example.org"],
                       capture_output=True, text=True, timeout=30)
    check(r.returncode == 0, "admin token: " + r.stderr)
    token = r.stdout.strip()
    port = free_port()
    log = open(os.path.join(tmp, "serve.log"), "w")
    proc = subprocess.Popen([args.convene, "serve", "--db", db, "--listen", "127.0.0.1:%d" % port,
                             "--spool", os.path.join(tmp, "spool")], stdout=log, stderr=log)
    try:
        check(wait_up("http://127.0.0.1:%d/healthz" % port), "server up")
        # Warm up the pool's threads first, so their stacks do not count as growth.
        warm = [threading.Thread(target=raw, args=(port, cases(token)[3][2])) for _ in range(16)]
        for t in warm:
            t.start()
        for t in warm:
            t.join()
        rss_start = mib(proc.pid, "VmRSS")
        hwm_start = mib(proc.pid, "VmHWM")
        wrong = []
        lock = threading.Lock()
        todo = [c for _ in range(args.rounds) for c in cases(token)]

        def client(part):
            for name, want, data in part:
                got = raw(port, data)
                if got != want:
                    with lock:
                        wrong.append((name, want, got))

        clients = [threading.Thread(target=client, args=(todo[i::16],)) for i in range(16)]
        for t in clients:
            t.start()
        for t in clients:
            t.join(timeout=300)
        check(proc.poll() is None, "the server is still running")
        alive = raw(port, b"GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        check(alive == 200, "healthz after the abuse: %d" % alive)
        rss_end = mib(proc.pid, "VmRSS")
        peak = mib(proc.pid, "VmHWM")
        print("requests=%d wrong_status=%d rss_start=%.1f MiB rss_end=%.1f MiB peak=%.1f MiB "
              "(peak before %.1f MiB)" % (len(todo), len(wrong), rss_start, rss_end, peak, hwm_start))
        check(not wrong, "answers not as expected (case, want, got): %s" % wrong[:5])
        check(args.no_memory_limit or peak - rss_start < PEAK_GROWTH_LIMIT_MIB,
              "peak memory grew %.1f MiB (limit %d)" % (peak - rss_start, PEAK_GROWTH_LIMIT_MIB))
        body = open(os.path.join(tmp, "serve.log")).read()
        check("6.6.6.6" not in body, "the spoofed address reached the log")
    finally:
        stop_all([proc])
    return check.finish()


if __name__ == "__main__":
    sys.exit(main())
