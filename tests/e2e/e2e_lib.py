"""Helpers shared by the end-to-end scripts that drive the real convene binary over loopback:
a tally of checks, a free port, an HTTP call that never raises, waiting for a server, and the
VEVENT blocks of a feed."""
import json
import os
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


def events(body, missing_sequence=None):
    """The VEVENT blocks of a feed (bytes), keyed by 'UID|RECURRENCE-ID line' ('UID|' for one
    without RECURRENCE-ID): {key: (block, SEQUENCE)}, the block raw (CRLFs and folded lines kept),
    the key read from the unfolded lines. A VEVENT without SEQUENCE gets `missing_sequence`; when
    that is None, as by default, it is an error (StopIteration)."""
    out = {}
    text = body.decode("utf-8")
    for chunk in text.split("BEGIN:VEVENT\r\n")[1:]:
        block = "BEGIN:VEVENT\r\n" + chunk.split("END:VEVENT\r\n")[0] + "END:VEVENT\r\n"
        lines = block.replace("\r\n ", "").split("\r\n")
        uid = next(l[4:] for l in lines if l.startswith("UID:"))
        rid = next((l for l in lines if l.startswith("RECURRENCE-ID")), "")
        seqs = (int(l[9:]) for l in lines if l.startswith("SEQUENCE:"))
        seq = next(seqs) if missing_sequence is None else next(seqs, missing_sequence)
        out[uid + "|" + rid] = (block, seq)
    return out


def wait_up(url, seconds=10):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if http("GET", url, timeout=1)[0] == 200:
            return True
        time.sleep(0.1)
    return False


def start_nginx(tmp, upstream_port, listen_port, repo, listen_host="127.0.0.1", upstream=None):
    """Starts nginx (daemon off) in front of convene on upstream_port, with the project's own
    server block (deploy/nginx/convene-locations.conf) and the zones and upstream that
    deploy/nginx/convene.conf declares, adapted only for ports and without TLS. `upstream`: a
    whole `upstream convene {...}` block to use instead (several instances). Returns the Popen,
    or raises with nginx -t's complaint."""
    import subprocess
    repo = os.path.abspath(repo)
    conf = tmp + "/nginx.conf"
    with open(conf, "w") as f:
        f.write("""worker_processes 1;
pid %(t)s/nginx.pid;
error_log %(t)s/nginx.err;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path %(t)s/body;
  proxy_temp_path %(t)s/proxy;
  fastcgi_temp_path %(t)s/fcgi;
  uwsgi_temp_path %(t)s/uwsgi;
  scgi_temp_path %(t)s/scgi;
  limit_req_zone $binary_remote_addr zone=convene_login:10m rate=10r/m;
  limit_conn_zone $binary_remote_addr zone=convene_conn:10m;
  %(u)s
  server {
    listen %(h)s:%(n)d;
    include %(r)s/deploy/nginx/convene-locations.conf;
  }
}
""" % {"t": tmp, "n": listen_port, "r": repo, "h": listen_host,
       "u": upstream or "upstream convene { server 127.0.0.1:%d; keepalive 16; }" % upstream_port})
    t = subprocess.run(["nginx", "-t", "-c", conf], capture_output=True, text=True)
    if t.returncode != 0:
        raise RuntimeError("nginx -t refused the config: " + t.stderr[-500:])
    return subprocess.Popen(["nginx", "-c", conf, "-g", "daemon off;"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def stop_all(procs, timeout=10):
    """Terminates the processes, last started first; kills any that do not stop in time."""
    import subprocess
    for p in reversed(procs):
        p.terminate()
        try:
            p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(timeout=timeout)


_pg_databases = []


def e2e_database(sqlite_path):
    """The --db of an e2e test's server: the SQLite file `sqlite_path`, or, when CONVENE_E2E_PG
    names the URI file of the tests' throwaway PostgreSQL (tests/support/postgres.sh; ctest's
    pg.e2e_* tests set it), a new database there, dropped by drop_e2e_databases()."""
    import subprocess
    uri_file = os.environ.get("CONVENE_E2E_PG")
    if not uri_file:
        return str(sqlite_path)
    server = open(uri_file).read().strip()
    name = "e2e_%d_%d" % (os.getpid(), len(_pg_databases))
    subprocess.run(["psql", server, "-qAtc", "CREATE DATABASE " + name], check=True,
                   capture_output=True, timeout=30)
    _pg_databases.append((server, name))
    print("e2e database: PostgreSQL, database %s" % name)
    return server.rsplit("/", 1)[0] + "/" + name


def drop_e2e_databases():
    import subprocess
    while _pg_databases:
        server, name = _pg_databases.pop()
        subprocess.run(["psql", server, "-qAtc", "DROP DATABASE IF EXISTS %s WITH (FORCE)" % name],
                       capture_output=True, timeout=30)
