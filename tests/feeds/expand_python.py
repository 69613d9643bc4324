#!/usr/bin/python3
"""Prints the occurrences of an .ics file as expanded by python-icalendar + recurring-ical-events.

    expand_python.py FILE.ics FROM TO        (FROM, TO: YYYY-MM-DD; occurrences overlapping [FROM, TO))

One line per occurrence, sorted: UID|start|end|SUMMARY|LOCATION, times in UTC as
2010-05-17T09:30:00Z. In the text fields `\\`, newline and `|` are written `\\\\`, `\\n`, `\\|`.
A floating (zone-less) time is an error: exit status 2. Run it with Debian's /usr/bin/python3,
where python3-icalendar and python3-recurring-ical-events live.
"""
import datetime
import sys

import icalendar
import recurring_ical_events

UTC = datetime.timezone.utc


def esc(value):
    return str(value or "").replace("\\", "\\\\").replace("\n", "\\n").replace("|", "\\|")


def utc(value, what, uid):
    if not isinstance(value, datetime.datetime):
        raise SystemExit(f"{uid}: {what} is a DATE; feeds only have DATE-TIMEs")
    if value.tzinfo is None:
        print(f"{uid}: floating {what} {value}", file=sys.stderr)
        sys.exit(2)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def main():
    if len(sys.argv) != 4:
        raise SystemExit(__doc__)
    path, start, stop = sys.argv[1:]
    with open(path, "rb") as f:
        cal = icalendar.Calendar.from_ical(f.read())
    begin = datetime.date.fromisoformat(start)
    end = datetime.date.fromisoformat(stop)
    lines = []
    for ev in recurring_ical_events.of(cal).between(begin, end):
        uid = str(ev.get("UID"))
        dtstart = ev["DTSTART"].dt
        if "DTEND" in ev:
            dtend = ev["DTEND"].dt
        elif "DURATION" in ev:
            dtend = dtstart + ev["DURATION"].dt
        else:
            dtend = dtstart
        lines.append("|".join([esc(uid), utc(dtstart, "DTSTART", uid), utc(dtend, "DTEND", uid),
                               esc(ev.get("SUMMARY")), esc(ev.get("LOCATION"))]))
    for line in sorted(lines):
        print(line)


if __name__ == "__main__":
    main()
