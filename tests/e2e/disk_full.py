#!/usr/bin/python3
"""Disk full: the real convene on a database in a 768 KiB tmpfs, written to until the disk is
full, then given room again (hardening.md section 2). Figures: crashes, 2xx answers for writes
that were not stored, recovery. Needs root (mount); says so and fails if it cannot mount.
Usage: disk_full.py /path/to/convene"""
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_lib import call as e2e_call, free_port, wait_up  # noqa: E402

BIN = sys.argv[1]


def call(method, url, body=None, token=None):
    status, _, parsed = e2e_call(method, url, body, token)
    return status, parsed


def main():
    mnt = tempfile.mkdtemp(prefix="convene-full-")
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=768k", "tmpfs", mnt]).returncode != 0:
        print("disk_full: cannot mount a tmpfs here (needs root)", file=sys.stderr)
        print("disk_full: 0 passed, 1 failed")
        return 1
    proc = None
    failures = []
    try:
        db = os.path.join(mnt, "c.db")
        token = subprocess.run([BIN, "admin", "token", "--db", db, "--organiser", "sec@example.org"],
                               capture_output=True, text=True, timeout=20, check=True).stdout.strip()
        port = free_port()
        base = "http://127.0.0.1:%d/api/v1" % port
        proc = subprocess.Popen([BIN, "serve", "--db", db, "--listen", "127.0.0.1:%d" % port,
                                 "--spool", os.path.join(mnt, "spool")],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_up("http://127.0.0.1:%d/healthz" % port)
        stored, refused, other = [], 0, {}
        notes = "x" * 1900
        for i in range(2000):  # bounded: 768 KiB fills long before this
            st, body = call("POST", base + "/venues", {"name": "Hall %d" % i, "address": "Road", "notes": notes}, token)
            if st == 201:
                stored.append(body["id"])
            elif st == 503:
                refused += 1
                if refused >= 20:
                    break
            else:
                other[st] = other.get(st, 0) + 1
        alive = proc.poll() is None
        st, listing = call("GET", base + "/venues", None, token)
        listed = {v["id"] for v in listing["venues"]} if st == 200 else set()
        lost = [i for i in stored if i not in listed]
        # Room again: the same server must take writes.
        subprocess.run(["mount", "-o", "remount,size=16m", mnt], check=True)
        st_after, _ = call("POST", base + "/venues", {"name": "After", "address": "Road"}, token)
        proc.terminate()
        proc.wait(timeout=10)
        integrity = subprocess.run(["sqlite3", db, "PRAGMA integrity_check"], capture_output=True,
                                   text=True).stdout.strip()
        print("disk_full: stored=%d refused_503=%d other_statuses=%s crashes=%d "
              "2xx_not_stored=%d write_after_space_returned=%d integrity=%s"
              % (len(stored), refused, other, 0 if alive else 1, len(lost), st_after, integrity))
        checks = [
            (alive, "server alive when the disk was full"),
            (refused > 0, "the disk did fill (503 answers)"),
            (not other, "no status but 201 and 503 while filling: %s" % other),
            (not lost, "every 201 was stored"),
            (st_after == 201, "writes work again once there is room"),
            (integrity == "ok", "integrity_check ok"),
        ]
        failures = [what for ok, what in checks if not ok]
        for f in failures:
            print("FAIL:", f, file=sys.stderr)
        print("disk_full: %d passed, %d failed" % (len(checks) - len(failures), len(failures)))
    finally:
        if proc and proc.poll() is None:
            proc.kill()
        subprocess.run(["umount", "-l", mnt])
        os.rmdir(mnt)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
