#!/usr/bin/python3
"""nginx in front of the real convene, with the shared server block of deploy/nginx/: feeds,
ETags and 304s pass through, oversized bodies stop at nginx (413), login bursts are limited
(429), and 40 slow clients holding half-sent headers do not stop a probe (the slowloris case
that cpp-httplib alone cannot bound). Usage: nginx_front.py /path/to/convene /path/to/repo"""
import os
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_lib import Tally, free_port, http, start_nginx, stop_all, wait_up  # noqa: E402

BIN, REPO = sys.argv[1], os.path.abspath(sys.argv[2])
check = Tally("nginx_front")


def get(url, headers=None, data=None, method=None):
    status, hdrs, raw = http(method or ("POST" if data is not None else "GET"), url, headers=headers, data=data)
    return status, hdrs, raw


def main():
    tmp = tempfile.mkdtemp(prefix="convene-nginx-")
    os.chmod(tmp, 0o755)
    db = os.path.join(tmp, "c.db")
    subprocess.run([BIN, "demo", "--db", db], check=True, capture_output=True, timeout=60)
    cport, nport = free_port(), free_port()
    procs = []
    try:
        procs.append(subprocess.Popen([BIN, "serve", "--db", db, "--listen", "127.0.0.1:%d" % cport,
                                       "--base-url", "http://127.0.0.1:%d" % nport, "--spool", tmp + "/spool"],
                                      stdout=subprocess.DEVNULL, stderr=open(tmp + "/convene.log", "w")))
        check(wait_up("http://127.0.0.1:%d/healthz" % cport), "convene up")
        procs.append(start_nginx(tmp, cport, nport, REPO))
        front = "http://127.0.0.1:%d" % nport
        check(wait_up(front + "/healthz"), "nginx up")

        st, h, body = get(front + "/feeds/groups/futures.ics")
        st2, h2, body2 = get("http://127.0.0.1:%d/feeds/groups/futures.ics" % cport)
        check(st == 200 and h.get("Content-Type", "").startswith("text/calendar"), "feed through nginx")
        check(body == body2 and h.get("ETag") == h2.get("ETag"), "same bytes and ETag as direct")
        st, h, _ = get(front + "/feeds/groups/futures.ics", {"If-None-Match": h2.get("ETag", "")})
        check(st == 304, "304 through nginx (%s)" % st)

        big = b"{" + b" " * (2 * 1024 * 1024) + b"}"
        st, _, _ = get(front + "/api/v1/venues", {"Content-Type": "application/json"}, big, "POST")
        check(st == 413, "2 MiB body stopped by nginx (%s)" % st)

        codes = []
        for _ in range(12):
            st, _, _ = get(front + "/login", {"Content-Type": "application/x-www-form-urlencoded"},
                           b"email=a%40example.org&password=wrong-password-123", "POST")
            codes.append(st)
        check(429 in codes, "login burst limited by nginx: %s" % codes)

        # 40 slow clients, each holding a half-sent request header open.
        slow = []
        for _ in range(40):
            s = socket.create_connection(("127.0.0.1", nport), timeout=5)
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
            slow.append(s)
        t0 = time.time()
        st, _, _ = get(front + "/feeds/groups/futures.ics")
        took = time.time() - t0
        for s in slow:
            s.close()
        check(st == 200 and took < 3.0, "probe answered while 40 slow clients wait (%.2fs)" % took)
        print("nginx_front: probe with 40 slow clients took %.3f s" % took)
    finally:
        stop_all(procs)
        subprocess.run(["rm", "-rf", tmp])
    return check.finish()


if __name__ == "__main__":
    sys.exit(main())
