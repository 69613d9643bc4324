#!/usr/bin/python3
"""The kill -9 figure (hardening.md section 2): 1,000 notices queued to a real SMTP server, the
sending process killed with SIGKILL repeatedly mid-delivery and restarted each time, then drained.

  notify_kill9.py --driver build/notify_driver [--notices 1000] [--kills 10] [--seed 1]
Prints:  lost=0 duplicates=N in_flight_at_kills=M kills=K integrity=ok
and exits non-zero unless lost == 0, duplicates <= in-flight rows at the kills, and
PRAGMA integrity_check is ok. "In flight" = rows leased and not yet marked when the process died
(read from the database right after each kill, before the leases expire): exactly the rows that
may have reached the relay without being marked sent.
"""
import argparse
import collections
import os
import random
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from notify_e2e_lib import Driver, Sink, check, message_id, run_scenario  # noqa: E402


def run(driver, tmp, notices, kills, seed):
    rng = random.Random(seed)
    db = os.path.join(tmp, "kill9.db")
    # 5 ms per message: 1,000 notices take at least 5 s, so the kills land mid-delivery on a
    # fast idle machine too (without it, an idle machine drained everything between two kills).
    sink = Sink(os.path.join(tmp, "sink"), args=("--delay-ms", "5"))
    worker = ["run", "--db", db, "--smtp", sink.url, "--until-drained", "--max-seconds", "60",
              "--lease", "2", "--batch", "4", "--first-retry", "1", "--max-retry", "2",
              "--relay-pause", "1", "--relay-pause-max", "2"]
    try:
        check(driver.run("enqueue", "--db", db, "--count", str(notices))[0]["queued"] == notices,
              "enqueue")
        in_flight, done_kills = 0, 0
        for _ in range(kills):
            proc = driver.start(*worker)
            time.sleep(rng.uniform(0.4, 1.2))
            if proc.poll() is not None:  # drained before we could kill it
                proc.communicate()
                break
            os.kill(proc.pid, signal.SIGKILL)
            proc.communicate(timeout=10)
            done_kills += 1
            c = driver.run("counts", "--db", db)[0]
            in_flight += c["leased"]
            if c["queued"] == 0:
                break
        final = driver.run(*worker, timeout=90)[0]
        counts = driver.run("counts", "--db", db)[0]
    finally:
        sink.stop()
    check(final["queued"] == 0, "not drained: %s" % final)
    expected = {r["message_id"] for r in driver.run("bodies", "--db", db)}
    seen = collections.Counter(message_id(raw) for _, raw in sink.messages())
    lost = len(expected - set(seen))
    duplicates = sum(seen.values()) - len(seen)
    strangers = set(seen) - expected
    figure = "lost=%d duplicates=%d in_flight_at_kills=%d kills=%d integrity=%s" % (
        lost, duplicates, in_flight, done_kills, "ok" if counts["integrity_ok"] else "BAD")
    print(figure)
    check(not strangers, "unknown messages at the relay: %s" % list(strangers)[:3])
    check(lost == 0, "lost notices")
    check(duplicates <= in_flight, "more duplicates than rows in flight at the kills")
    check(counts["integrity_ok"], "integrity_check")
    check(counts["sent"] == notices, "sent %d of %d" % (counts["sent"], notices))
    check(done_kills >= 3, "only %d kills landed mid-delivery" % done_kills)
    return figure


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--driver", required=True)
    ap.add_argument("--notices", type=int, default=1000)
    ap.add_argument("--kills", type=int, default=10)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    passed = run_scenario("kill9", lambda tmp: run(Driver(args.driver), tmp, args.notices,
                                                   args.kills, args.seed))
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
