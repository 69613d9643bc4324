"""Helpers shared by the end-to-end scripts that drive the real convene binary over loopback:
a tally of checks, a free port, an HTTP call that never raises, and waiting for a server."""
import json
import socket
import sys
import time
import urllib.error
import urllib.request


class Tally:
    """Counts checks; a failed one is printed at once and the run goes on."""

    def __init__(self, name):
        self.name = name
        self.checks = 0
        self.fails = []

    def __call__(self, cond, what):
        self.checks += 1
        if not cond:
            self.fails.append(what)
            print("FAIL:", what, file=sys.stderr)
        return cond

    def finish(self):
        """Prints the closing line and returns the exit status."""
        print("%s: %d passed, %d failed" % (self.name, self.checks - len(self.fails), len(self.fails)))
        return 1 if self.fails else 0


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def http(method, url, body=None, token=None, headers=None, data=None, timeout=10):
    """(status, headers, bytes). `body` is sent as JSON, `data` as given; a refused or dropped
    connection is status 0 rather than an exception, so it fails a check instead of the run."""
    if body is not None:
        data = json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method)
    if body is not None:
        req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", "Bearer " + token)
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()
    except OSError as e:
        return 0, {}, str(e).encode()


def call(method, url, body=None, token=None, headers=None):
    """Like http() with the response body parsed as JSON (None when empty or not JSON)."""
    status, hdrs, raw = http(method, url, body, token, headers)
    try:
        parsed = json.loads(raw) if raw else None
    except ValueError:
        parsed = None
    return status, hdrs, parsed


def wait_up(url, seconds=10):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if http("GET", url, timeout=1)[0] == 200:
            return True
        time.sleep(0.1)
    return False
