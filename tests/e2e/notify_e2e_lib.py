"""Shared helpers for the notify e2e scripts: temp folders, the SMTP sink, the C++ driver.

Every wait is bounded; every process started here is stopped here, by its own pid.
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SINK = os.path.join(HERE, "smtp_sink.py")


class Failure(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Failure(what)


from e2e_lib import free_port  # noqa: E402,F401  (shared with the other scripts)

# convene serve options that make the mail worker retry and pause for seconds, not minutes.
FAST_MAIL = ["--mail-first-retry", "1", "--mail-max-retry", "2", "--mail-relay-pause", "1",
             "--mail-relay-pause-max", "2", "--mail-lease", "2"]


class TempDir:
    def __enter__(self):
        self.path = tempfile.mkdtemp(prefix="convene-e2e-")
        return self.path

    def __exit__(self, *exc):
        if os.environ.get("KEEP_E2E_DIRS"):
            print("kept", self.path)
        else:
            shutil.rmtree(self.path, ignore_errors=True)


class Sink:
    """aiosmtpd on 127.0.0.1, writing messages to `folder`."""

    def __init__(self, folder, port=0, args=()):
        self.folder = folder
        os.makedirs(folder, exist_ok=True)
        port_file = os.path.join(folder, "port")
        if os.path.exists(port_file):
            os.unlink(port_file)
        self.proc = subprocess.Popen(
            [sys.executable, SINK, "--dir", folder, "--port", str(port), "--port-file", port_file,
             *args],
            stdout=subprocess.DEVNULL, stderr=open(os.path.join(folder, "sink.err"), "ab"))
        deadline = time.time() + 15
        while not os.path.exists(port_file):
            if self.proc.poll() is not None or time.time() > deadline:
                self.stop()
                raise Failure("the SMTP sink did not start: " + self.errors())
            time.sleep(0.05)
        self.port = int(open(port_file).read())
        self.url = "smtp://127.0.0.1:%d" % self.port

    def errors(self):
        try:
            return open(os.path.join(self.folder, "sink.err")).read()[-2000:]
        except OSError:
            return ""

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)

    def log(self):
        path = os.path.join(self.folder, "log.jsonl")
        if not os.path.exists(path):
            return []
        return [json.loads(l) for l in open(path) if l.strip()]

    def messages(self):
        """[(file, bytes)] of every stored message, in arrival order."""
        out = []
        for name in sorted(os.listdir(self.folder)):
            if name.endswith(".eml") and not name.startswith("."):
                out.append((name, open(os.path.join(self.folder, name), "rb").read()))
        return out


def message_id(raw):
    for line in raw.split(b"\r\n"):
        if line.lower().startswith(b"message-id:"):
            return line.split(b":", 1)[1].strip().decode()
        if not line:
            break
    return ""


class Driver:
    def __init__(self, binary):
        self.binary = binary

    def run(self, *args, env=None, timeout=90, ok_codes=(0,)):
        e = dict(os.environ, NOTIFY_DRIVER_QUIET="1")
        if env:
            e.update(env)
        p = subprocess.run([self.binary, *args], capture_output=True, timeout=timeout, env=e)
        if p.returncode not in ok_codes:
            raise Failure("notify_driver %s exited %d: %s" % (args[0], p.returncode,
                                                               p.stderr.decode()[-2000:]))
        return [json.loads(l) for l in p.stdout.decode().splitlines() if l.startswith("{")]

    def start(self, *args, env=None):
        e = dict(os.environ, NOTIFY_DRIVER_QUIET="1")
        if env:
            e.update(env)
        return subprocess.Popen([self.binary, *args], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, env=e)


def run_scenario(name, fn, *args, width=0):
    """Runs fn(*args, tmp) in a fresh temp folder and prints one line: PASS, the name (padded to
    `width`), the figure fn returned and the seconds taken; or FAIL, the name and the first failed
    check. Returns whether it passed."""
    t0 = time.time()
    try:
        with TempDir() as tmp:
            figure = fn(*args, tmp)
        print("PASS %-*s %s (%.1f s)" % (width, name, figure or "", time.time() - t0))
        return True
    except Failure as e:
        print("FAIL %-*s %s" % (width, name, e))
        return False


def main(scenarios):
    import argparse
    ap = argparse.ArgumentParser()
    ap.add_argument("--driver", required=True)
    ap.add_argument("--only", action="append")
    args = ap.parse_args()
    driver = Driver(args.driver)
    failed = 0
    for name, fn in scenarios:
        if not args.only or name in args.only:
            failed += not run_scenario(name, fn, driver, width=22)
    sys.stdout.flush()
    return 1 if failed else 0
