#!/usr/bin/python3
"""Golden feeds against independent readers: lint.py, python-icalendar + recurring-ical-events,
and ical.js must all agree with the occurrences written by hand in tests/testdata/feeds/*.expected.

    check_golden.py [DIR]        (default: tests/testdata/feeds next to this script)

Then it proves the checks can fail: each mutation of a golden (bare LF, a fold inside an emoji,
no VTIMEZONE, a local UNTIL, a RECURRENCE-ID an hour off, an RDATE, a moved DTSTART, ...) must be
caught by the lint or by an expansion that no longer matches. Every run is bounded by a timeout;
nothing is written outside a temporary directory. Exit status 0 only when everything holds.
"""
import os
import pathlib
import re
import subprocess
import sys
import tempfile

HERE = pathlib.Path(__file__).resolve().parent
PY = "/usr/bin/python3"
WINDOW = ("2000-01-01", "2030-01-01")
TIMEOUT = 60


def run(cmd):
    p = subprocess.run(cmd, capture_output=True, timeout=TIMEOUT)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def sorted_lines(text):
    # Byte order, the same for every reader (JavaScript and Python sort differently).
    return sorted((l for l in text.splitlines() if l), key=lambda s: s.encode("utf-8"))


def expansions(ics):
    out = {}
    for name, cmd in (
        ("recurring-ical-events", [PY, str(HERE / "expand_python.py"), str(ics), *WINDOW]),
        ("ical.js", ["node", str(HERE / "expand_icaljs.mjs"), str(ics), *WINDOW]),
    ):
        rc, stdout, stderr = run(cmd)
        out[name] = sorted_lines(stdout) if rc == 0 else [f"exit {rc}: {stderr.strip()[:300]}"]
    return out


def check(ics, expected):
    """Problems with one file: lint findings and readers that disagree with `expected`."""
    problems = []
    rc, stdout, stderr = run([PY, str(HERE / "lint.py"), str(ics)])
    if rc != 0:
        problems += [f"lint: {l}" for l in (stdout + stderr).splitlines() if l]
    for reader, lines in expansions(ics).items():
        if lines != expected:
            missing = [l for l in expected if l not in lines]
            extra = [l for l in lines if l not in expected]
            problems.append(f"{reader}: missing {missing[:3]} extra {extra[:3]}")
    return problems


def mutations():
    """(name, golden file, function bytes -> bytes). Each must be detected."""
    def sub(pattern, repl, count=1):
        return lambda b: re.sub(pattern, repl, b, count=count)

    return [
        ("bare LF line ends", "seminar_2010.ics", lambda b: b.replace(b"\r\n", b"\n")),
        ("fold inside an emoji", "hostile.ics", lambda b: b.replace("🎉".encode(), b"\xf0\x9f\r\n \x8e\x89", 1)),
        ("fold between backslash and its escape", "hostile.ics",
         lambda b: b.replace(b"v2 \\\\ draft", b"v2 \\\r\n \\ draft", 1)),
        ("line over 75 octets", "mondays_2010.ics",
         lambda b: b.replace(b"Compiler\r\n s", b"Compilers", 1)),
        ("no VTIMEZONE", "seminar_2010.ics",
         lambda b: re.sub(rb"BEGIN:VTIMEZONE\r\n.*?END:VTIMEZONE\r\n", b"", b, flags=re.S)),
        ("libical-style TZID prefix", "seminar_2010.ics",
         lambda b: b.replace(b"Europe/London", b"/freeassociation.sourceforge.net/Europe/London")),
        ("floating DTSTART", "mondays_2010.ics",
         sub(rb"DTSTART;TZID=Europe/London:20100517T103000", b"DTSTART:20100517T103000")),
        ("local UNTIL", "seminar_2010.ics", sub(rb"UNTIL=20101209T183000Z", b"UNTIL=20101209T183000")),
        ("UNTIL before DTSTART", "seminar_2010.ics", sub(rb"UNTIL=20101209T183000Z", b"UNTIL=20100101T000000Z")),
        ("RECURRENCE-ID an hour off", "seminar_2010.ics",
         sub(rb"RECURRENCE-ID;TZID=Europe/London:20100311T183000", b"RECURRENCE-ID;TZID=Europe/London:20100311T193000")),
        ("EXDATE in UTC form", "seminar_2010.ics",
         sub(rb"EXDATE;TZID=Europe/London:20101111T183000", b"EXDATE:20101111T183000Z")),
        ("EXDATE dropped", "seminar_2010.ics", sub(rb"EXDATE;TZID=Europe/London:20101111T183000\r\n", b"")),
        ("RDATE added", "mondays_2010.ics",
         sub(rb"(DTSTART;TZID=Europe/London:20100517T103000\r\n)", rb"\1RDATE;TZID=Europe/London:20100524T103000\r\n")),
        ("DTSTAMP from the clock", "mondays_2010.ics", sub(rb"DTSTAMP:20100111T000000Z", b"DTSTAMP:20250101T000000Z")),
        ("moved meeting at its old time", "seminar_2010.ics",
         sub(rb"DTSTART;TZID=Europe/London:20100401T183000", b"DTSTART;TZID=Europe/London:20100311T183000")),
        ("second master for a UID", "mondays_2010.ics",
         sub(rb"UID:3f1c9a2e-6b1d-4c0e-8f2a-1b7e5d9c0a02", b"UID:3f1c9a2e-6b1d-4c0e-8f2a-1b7e5d9c0a01")),
        ("VTIMEZONE ends summer time on the wrong Sunday", "seminar_2010.ics",
         sub(rb"BYMONTH=10;BYDAY=-1SU", b"BYMONTH=10;BYDAY=2SU")),
        ("VTIMEZONE starts summer time on the wrong Sunday", "mondays_2010.ics",
         sub(rb"BYMONTH=3;BYDAY=-1SU", b"BYMONTH=3;BYDAY=1SU")),
        ("unescaped comma in LOCATION", "mondays_2010.ics", sub(rb"Conway Hall\\, 25", b"Conway Hall, 25")),
        ("METHOD:REQUEST in a feed", "mondays_2010.ics", sub(rb"CALSCALE:GREGORIAN\r\n", b"CALSCALE:GREGORIAN\r\nMETHOD:REQUEST\r\n")),
    ]


def main():
    folder = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else HERE.parent / "testdata" / "feeds"
    files = sorted(folder.glob("*.ics"))
    if not files:
        raise SystemExit(f"no .ics files in {folder}")
    failures = 0
    for ics in files:
        exp_path = ics.with_suffix(".expected")
        if not exp_path.exists():
            print(f"FAIL {ics.name}: no {exp_path.name}")
            failures += 1
            continue
        expected = sorted_lines(exp_path.read_text(encoding="utf-8"))
        problems = check(ics, expected)
        print(("FAIL " if problems else "ok   ") + f"{ics.name}: {len(expected)} occurrences")
        for p in problems:
            print(f"     {p}")
        failures += bool(problems)

    caught = 0
    muts = mutations()
    with tempfile.TemporaryDirectory(prefix="convene-mutants-") as tmp:
        for name, source, mutate in muts:
            original = (folder / source).read_bytes()
            mutated = mutate(original)
            target = pathlib.Path(tmp) / source
            if mutated == original:
                print(f"FAIL mutation '{name}' changed nothing in {source}")
                failures += 1
                continue
            target.write_bytes(mutated)
            expected = sorted_lines((folder / source).with_suffix(".expected").read_text(encoding="utf-8"))
            problems = check(target, expected)
            if problems:
                caught += 1
                print(f"ok   mutation '{name}' caught: {problems[0][:110]}")
            else:
                print(f"FAIL mutation '{name}' went unnoticed")
                failures += 1
    print(f"{len(files)} golden files, {caught}/{len(muts)} mutations caught, {failures} failures")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
