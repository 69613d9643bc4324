#!/usr/bin/python3
"""A real subscriber end to end: vdirsyncer subscribes to each golden feed over HTTP and khal
lists what it stored; the occurrences must be the hand-written ones in *.expected.

    check_khal.py [DIR]        (default: tests/testdata/feeds next to this script)

The feeds are served from DIR by Python's http.server (the handler `python3 -m http.server`
runs) on 127.0.0.1 and a port the kernel picks, inside this process. vdirsyncer (`type = "http"`,
`read_only = true`, pair `collections = null`) syncs into a temporary folder; khal (UTC, its own
config and database there too) lists it. Every subprocess has a timeout, HOME points into the
temporary folder, and nothing is written into the repository.

vdirsyncer's http storage always replaces each item's UID with a hash of the item
(`_ignore_uids = True` in vdirsyncer/storage/http.py), so UIDs are compared by count only: one
synced item per UID of the feed. iMIP objects (METHOD:REQUEST/CANCEL) are not subscriptions and
are skipped.
"""
import functools
import http.server
import os
import pathlib
import subprocess
import sys
import tempfile
import threading

HERE = pathlib.Path(__file__).resolve().parent
TIMEOUT = 60
WINDOW = ("2000-01-01", "2030-01-01")
FORMAT = "{uid}\x1f{start-long}\x1f{end-long}\x1f{title}\x1f{location}{bell}"


def esc(value):
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace("|", "\\|")


def without_uid(line):
    return line.split("|", 1)[1]


def sort_bytes(lines):
    return sorted(lines, key=lambda s: s.encode("utf-8"))


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep test output readable
        pass


def run(cmd, env, stdin=None):
    p = subprocess.run(cmd, env=env, input=stdin, capture_output=True, timeout=TIMEOUT)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def subscribe(url, work, env):
    """vdirsyncer into work/cal, then khal list; returns (items, lines) or raises RuntimeError."""
    cal = work / "cal"
    cal.mkdir()
    (work / "vdirsyncer.conf").write_text(f"""[general]
status_path = "{work / 'status'}/"

[pair feed]
a = "feed_remote"
b = "feed_local"
collections = null
conflict_resolution = "a wins"

[storage feed_remote]
type = "http"
url = "{url}"
read_only = true

[storage feed_local]
type = "filesystem"
path = "{cal}/"
fileext = ".ics"
""")
    (work / "khal.conf").write_text(f"""[calendars]
[[feed]]
path = {cal}/
type = calendar

[locale]
timeformat = %H:%M
dateformat = %Y-%m-%d
longdateformat = %Y-%m-%d
datetimeformat = %Y-%m-%dT%H:%M
longdatetimeformat = %Y-%m-%dT%H:%M:%SZ
local_timezone = UTC
default_timezone = UTC

[sqlite]
path = {work / 'khal.db'}
""")
    for step in ("discover", "sync"):
        rc, out, err = run(["vdirsyncer", "-c", str(work / "vdirsyncer.conf"), step], env, stdin=b"")
        if rc != 0:
            raise RuntimeError(f"vdirsyncer {step} exit {rc}: {(out + err).strip()[-300:]}")
    items = len(list(cal.glob("*.ics")))
    rc, out, err = run(["khal", "-c", str(work / "khal.conf"), "list", "-df", "", "--format", FORMAT,
                        *WINDOW], env)
    if rc != 0:
        raise RuntimeError(f"khal exit {rc}: {err.strip()[-300:]}")
    lines = []
    for record in out.split("\a\n"):
        if not record.strip():
            continue
        fields = record.split("\x1f")
        if len(fields) != 5:
            raise RuntimeError(f"khal printed an unexpected record: {record[:100]!r}")
        lines.append("|".join(esc(f) for f in fields[1:]))
    return items, sort_bytes(lines)


def main():
    folder = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else HERE.parent / "testdata" / "feeds"
    feeds = [p for p in sorted(folder.glob("*.ics")) if b"\r\nMETHOD:" not in p.read_bytes()]
    if not feeds:
        raise SystemExit(f"no feeds in {folder}")
    handler = functools.partial(QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    port = server.server_address[1]
    failures = 0
    try:
        with tempfile.TemporaryDirectory(prefix="convene-khal-") as tmp:
            env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": tmp, "LANG": "C.UTF-8",
                   "LC_ALL": "C.UTF-8", "XDG_CONFIG_HOME": tmp, "XDG_DATA_HOME": tmp, "TZ": "UTC"}
            for ics in feeds:
                expected_lines = [l for l in ics.with_suffix(".expected").read_text(encoding="utf-8").splitlines() if l]
                want = sort_bytes(without_uid(l) for l in expected_lines)
                uids = {l.split("|", 1)[0] for l in expected_lines}
                work = pathlib.Path(tmp) / ics.stem
                work.mkdir()
                try:
                    items, got = subscribe(f"http://127.0.0.1:{port}/{ics.name}", work, env)
                except (RuntimeError, subprocess.TimeoutExpired) as e:
                    print(f"FAIL {ics.name}: {e}")
                    failures += 1
                    continue
                problems = []
                if got != want:
                    problems.append(f"missing {[l for l in want if l not in got][:3]} "
                                    f"extra {[l for l in got if l not in want][:3]}")
                if items != len(uids):
                    problems.append(f"{items} items synced for {len(uids)} UIDs")
                print(("FAIL " if problems else "ok   ") + f"{ics.name}: {len(got)} occurrences, {items} items")
                for p in problems:
                    print(f"     {p}")
                failures += bool(problems)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
    print(f"{len(feeds)} feeds through vdirsyncer + khal, {failures} failures")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
