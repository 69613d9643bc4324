#!/usr/bin/python3
"""Series end to end: the real `convene serve` binary on a temp database, a REAL SMTP server
(aiosmtpd on loopback, tests/e2e/smtp_sink.py) and the feed readers (recurring-ical-events,
ical.js, vdirsyncer + khal), driving the series API of docs/api.md ("Series"):

    series_walk.py /path/to/convene          (SERIES_WALK_YEAR=2031 plays another year's scenario)

The scenario lies in next year, Y (today's year + 1 by the real clock, which is the server's
clock too), so the test never runs out of dates. Every expected date, weekday and UTC time is
worked out HERE, from the scenario, by the Python below (datetime/calendar only): the rule's
dates, the bank holidays of England and Wales and of Scotland (Easter by the anonymous Gregorian
algorithm; substitute days), UK summer time (last Sunday of March to last Sunday of October).
Nothing expected is asked of the server or libical. Before the walk, that Python must give the
2027 dates that were checked by hand (HAND_CHECKED_2027), and plan(2027) the hand-written 2027
expectations.

The pattern: "Every month on the last Monday, 9 times" from 1 January Y, when Easter Monday is the
last Monday of March or April (2027, 2032, 2035, 2038...); otherwise "Every week on Monday, 9 times",
starting as early as still takes in Easter Monday, the Early May and the Spring bank holiday. Either
way the nine dates hold three England-and-Wales bank holidays, one of them Easter Monday, and six
meetings (M1..M6 below; in 2027: 25 Jan, 22 Feb, 26 Apr, 28 Jun, 26 Jul, 27 Sep).

1. A group in Europe/London (England and Wales bank holidays), four members (one with calendar
   invitations, one unsubscribed), three venues. The pattern, avoiding bank holidays: the preview
   and the created series both leave out the three bank holidays (in 2027 Easter Monday 29 March,
   31 May and 30 August); the feed carries them as EXDATEs and every reader agrees on the six
   meetings. The same pattern for a Scottish group leaves out only Scotland's (Scotland keeps Easter
   Monday). A clash with a one-off forum on M3.
2. One meeting (M4) changed alone (venue), then the series changed from M3 (venue and 14:00):
   changed/kept as expected, the meeting changed alone keeps its venue but gets 14:00, earlier
   meetings' VEVENTs byte-identical, UIDs stable, SEQUENCE never falls, readers agree.
3. At the SMTP server: ONE email per member for that change (none to the unsubscribed member);
   the invitations member's carries METHOD:REQUEST with the whole series (master + overrides)
   matching their own feed.
4. Bad input (400 naming the field, 409 venue_clash, 412, 428) leaves the series as it was.
5. count 8 (the next two dates of the rule added at the standing values), until (M6 and those two
   cancelled), DELETE (the rest cancelled): one email per member per change; REQUEST, REQUEST,
   then CANCEL for invitations.

Limits of the tools, not of this test: the server knows bank holidays up to 2100
(calendar/holidays.cc); Debian's python3-icalendar and khal take zones from pytz, which has no
summer time after 2037, so from Y = 2038 their readings are an hour out in summer.

Binds 127.0.0.1 only; every wait is bounded; processes are stopped by their own pid; all files
live in a temporary directory (KEEP_E2E_DIRS=1 keeps it).
"""
import calendar
import collections
import datetime
import email
import email.policy
import importlib.util
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import time
import types

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from e2e_lib import (Tally, call, drop_e2e_databases, e2e_database, events, free_port,  # noqa: E402
                     http, stop_all, wait_up)
from notify_e2e_lib import FAST_MAIL, Failure, Sink  # noqa: E402

import icalendar  # noqa: E402  (Debian's python3-icalendar, as the feed readers use)

BIN = sys.argv[1] if len(sys.argv) > 1 else ""
FEEDS = pathlib.Path(HERE).resolve().parent / "feeds"
PY = sys.executable
check = Tally("series_walk")

GROUP = "Futures Group"
TITLE = "Futures meeting"
FORUM = "Steering forum"
OLD_HALL = "Old Hall, 1 High Street, London, EC1A 1AA"
NEW_HALL = "New Hall, 2 Low Street, London, EC2A 2BB"
GUILD = "Guild Room, 3 Mid Street, London, EC3A 3CC"
MEMBERS = [("Ann Able", "ann@example.org", "feed"), ("Bob Baker", "bob@example.org", "invitations"),
           ("Cy Cole", "cy@example.org", "feed"), ("Dee Dunn", "dee@example.org", "feed")]
TOLD = ["ann@example.org", "bob@example.org", "cy@example.org"]  # Dee unsubscribes

# ---------------------------------------------------------------- the calendar, in Python

DAY = datetime.timedelta(days=1)
WEEK = datetime.timedelta(weeks=1)
MONDAY, SUNDAY = calendar.MONDAY, calendar.SUNDAY
EW, SCOT = "england-and-wales", "scotland"
WEEKDAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
DAY_NAMES = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
MONTH_NAMES = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
               "October", "November", "December"]


def easter_sunday(y):
    """The anonymous Gregorian algorithm (Meeus/Jones/Butcher)."""
    a, b, c = y % 19, y // 100, y % 100
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    l = (32 + 2 * e + 2 * i - h - k) % 7  # noqa: E741
    m = (a + 11 * h + 22 * l) // 451
    month, day = divmod(h + l - 7 * m + 114, 31)
    return datetime.date(y, month, day + 1)


def nth_weekday(y, month, weekday, n):
    """The n-th (1..5) `weekday` of the month, or the last for n = -1."""
    if n == -1:
        last = datetime.date(y, month, calendar.monthrange(y, month)[1])
        return last - DAY * ((last.weekday() - weekday) % 7)
    first = datetime.date(y, month, 1)
    return first + DAY * ((weekday - first.weekday()) % 7 + 7 * (n - 1))


def uk_summer_time(y):
    """(first, last + 1 day) of the days whose daytime is BST: from the last Sunday of March to
    the day before the last Sunday of October (the clocks change at 01:00 UTC, before any meeting)."""
    return nth_weekday(y, 3, SUNDAY, -1), nth_weekday(y, 10, SUNDAY, -1)


def bank_holidays(region, y):
    """{date: gov.uk's name} for England and Wales or Scotland in year y, by the standing rules
    (none of the one-off proclamations): a fixed-date holiday on a Saturday or Sunday moves to the
    next weekday that is not already a holiday (Christmas on a Saturday: Monday 27 and Boxing Day
    Tuesday 28; on a Sunday: Boxing Day Monday 26, Christmas Tuesday 27)."""
    easter = easter_sunday(y)
    out = {easter - 2 * DAY: "Good Friday",
           nth_weekday(y, 5, MONDAY, 1): "Early May bank holiday",
           nth_weekday(y, 5, MONDAY, -1): "Spring bank holiday"}
    fixed = [(1, 1, "New Year's Day")]
    if region == EW:
        out[easter + DAY] = "Easter Monday"
        out[nth_weekday(y, 8, MONDAY, -1)] = "Summer bank holiday"
    else:  # Scotland: no Easter Monday, summer on the first Monday of August, 2 Jan, St Andrew's
        out[nth_weekday(y, 8, MONDAY, 1)] = "Summer bank holiday"
        fixed += [(1, 2, "2nd January"), (11, 30, "St Andrew's Day")]
    fixed += [(12, 25, "Christmas Day"), (12, 26, "Boxing Day")]
    weekend = []
    for month, day, name in fixed:
        d = datetime.date(y, month, day)
        if d.weekday() >= 5:
            weekend.append((d, name))
        else:
            out[d] = name
    for d, name in weekend:
        while d.weekday() >= 5 or d in out:
            d += DAY
        out[d] = name + " (substitute day)"
    return out


def holidays_among(region, dates):
    """{date: name} of the bank holidays among `dates`."""
    out = {}
    for y in {d.year for d in dates}:
        out.update(bank_holidays(region, y))
    return {d: out[d] for d in sorted(dates) if d in out}


def rule_dates(pattern, first_date, n):
    """The first n dates of a pattern in the API's words (weekly, or monthly on the n-th or last
    weekday; interval) on or after first_date."""
    weekday = WEEKDAYS.index(pattern["weekday"])
    step = pattern.get("interval", 1)
    out = []
    if pattern["freq"] == "weekly":
        d = first_date + DAY * ((weekday - first_date.weekday()) % 7)
        while len(out) < n:
            out.append(d)
            d += WEEK * step
        return out
    month = first_date.year * 12 + first_date.month - 1  # months since year 0
    while len(out) < n:
        d = nth_weekday(month // 12, month % 12 + 1, weekday, pattern["week_of_month"])
        if d >= first_date:
            out.append(d)
        month += step if out else 1
    return out


def london_offset(d):
    """Europe/London's offset in the daytime of d."""
    bst_from, bst_to = uk_summer_time(d.year)
    return datetime.timedelta(hours=1 if bst_from <= d < bst_to else 0)


def api_times(d, hhmm, minutes):
    """(start, end) of a meeting on d at hhmm local for `minutes`, as the API writes them:
    2027-04-26T10:30:00+01:00."""
    local = datetime.datetime.combine(d, datetime.time.fromisoformat(hhmm))
    zone = "+01:00" if london_offset(d) else "+00:00"
    return (local.isoformat() + zone, (local + datetime.timedelta(minutes=minutes)).isoformat() + zone)


def occ(d, hhmm, minutes, title, where):
    """An occurrence as the readers print it (UTC): 2027-04-26T09:30:00Z|...|title|where."""
    start = datetime.datetime.combine(d, datetime.time.fromisoformat(hhmm)) - london_offset(d)
    end = start + datetime.timedelta(minutes=minutes)
    return f"{start:%Y-%m-%dT%H:%M:%SZ}|{end:%Y-%m-%dT%H:%M:%SZ}|{title}|{where}"


def long_date(d, weekday=True):
    """'Monday 28 June 2027' (or '28 June 2027'), in English whatever the locale."""
    text = f"{d.day} {MONTH_NAMES[d.month - 1]} {d.year}"
    return f"{DAY_NAMES[d.weekday()]} {text}" if weekday else text


def rid(d):
    """The local RECURRENCE-ID of the meeting created on d (10:30): 20270125T103000."""
    return f"{d:%Y%m%d}T103000"


# ---------------------------------------------------------------- the scenario of year Y

MONTHLY = {"freq": "monthly", "weekday": "MO", "week_of_month": -1, "count": 9}
WEEKLY = {"freq": "weekly", "weekday": "MO", "count": 9}
# The rule and its words as docs/api.md writes them (calendar/pattern.cc).
RULE_IN_WORDS = {"monthly": ("FREQ=MONTHLY;BYDAY=-1MO;COUNT=9", "Every month on the last Monday, 9 times"),
                 "weekly": ("FREQ=WEEKLY;BYDAY=MO;COUNT=9", "Every week on Monday, 9 times")}
# Every other month on the 3rd Monday, 6 times, from 1 January: no bank holiday among them (the
# only one that can be a 3rd Monday is Easter Monday on 15-21 April, and April is not among them).
THIRD_MONDAYS = {"freq": "monthly", "interval": 2, "weekday": "MO", "week_of_month": 3, "count": 6}


def plan(year):
    """The scenario of `year`: the pattern and every date and time the walk expects, from the
    calendar above. The first pattern that fits: nine dates holding exactly three England-and-Wales
    bank holidays, Easter Monday among them (so Scotland differs), then two more dates (count 8)
    that are none. None if neither fits (not before 2160)."""
    easter_monday = easter_sunday(year) + DAY
    tries = [(MONTHLY, datetime.date(year, 1, 1))]
    # Weekly: the earliest start whose nine Mondays still reach the Spring bank holiday.
    tries += [(WEEKLY, easter_monday - k * WEEK) for k in range(8, -1, -1)]
    for pattern, first in tries:
        dates = rule_dates(pattern, first, 11)
        nine, added = dates[:9], dates[9:]
        ew = holidays_among(EW, nine)
        meetings = [d for d in nine if d not in ew]
        if len(ew) != 3 or easter_monday not in ew or holidays_among(EW, added):
            continue
        until = meetings[4] + 6 * DAY  # after M5, before the next date of the rule
        p = types.SimpleNamespace(year=year, pattern=pattern, first_date=first,
                                  rrule=RULE_IN_WORDS[pattern["freq"]][0],
                                  words=RULE_IN_WORDS[pattern["freq"]][1],
                                  dates=nine, skipped=list(ew.items()),
                                  scottish_skipped=list(holidays_among(SCOT, nine)),
                                  meetings=meetings, added=added, until=until,
                                  exdates_before_until=[d for d in ew if d < until],
                                  from_before=meetings[0] - 3 * WEEK, from_after=nine[-1] + 10 * WEEK)
        third = rule_dates(THIRD_MONDAYS, datetime.date(year, 1, 1), 6)
        third_off = holidays_among(EW, third)
        p.third_mondays = [d for d in third if d not in third_off]
        p.third_mondays_skipped = list(third_off)
        m = meetings
        p.forum = occ(m[2], "14:30", 60, FORUM, GUILD)
        # As created: 10:30 for 2 hours, Old Hall; the bank holidays left out.
        p.created = [occ(d, "10:30", 120, TITLE, OLD_HALL) for d in m]
        p.created_times = [api_times(d, "10:30", 120) for d in m]
        # M4 moved to the Guild Room on its own.
        p.one_off = p.created[:3] + [occ(m[3], "10:30", 120, TITLE, GUILD)] + p.created[4:]
        # From M3: New Hall at 14:00; M4 keeps the Guild Room but starts at 14:00 too.
        p.patched = p.created[:2] + [occ(d, "14:00", 120, TITLE, GUILD if d == m[3] else NEW_HALL)
                                     for d in m[2:]]
        p.patched_starts = ([("old", api_times(d, "10:30", 120)[0]) for d in m[:2]] +
                            [("guild" if d == m[3] else "new", api_times(d, "14:00", 120)[0]) for d in m[2:]])
        # count 8: the next two dates at the standing values.
        p.extended = p.patched + [occ(d, "14:00", 120, TITLE, NEW_HALL) for d in added]
        p.added_starts = [api_times(d, "14:00", 120)[0] for d in added]
        # until: M6 and the two added go.
        p.shortened = p.patched[:5]
        return p
    return None


# The 2027 dates and expectations this test was first written with, checked by hand (last Mondays;
# gov.uk's 2027 bank holidays; UK summer time from 28 March to 31 October 2027). The Python
# calendar above must give exactly these before it is trusted with any other year.
HAND_CHECKED_2027 = {
    "Easter Sunday": "2027-03-28",
    "last Mondays": ["2027-01-25", "2027-02-22", "2027-03-29", "2027-04-26", "2027-05-31", "2027-06-28",
                     "2027-07-26", "2027-08-30", "2027-09-27", "2027-10-25", "2027-11-29", "2027-12-27"],
    "summer time": ["2027-03-28", "2027-10-31"],
    EW: ["2027-01-01", "2027-03-26", "2027-03-29", "2027-05-03", "2027-05-31", "2027-08-30",
         "2027-12-27", "2027-12-28"],
    SCOT: ["2027-01-01", "2027-01-04", "2027-03-26", "2027-05-03", "2027-05-31", "2027-08-02",
           "2027-11-30", "2027-12-27", "2027-12-28"],
    "pattern": MONTHLY,
    "skipped": [("2027-03-29", "Easter Monday"), ("2027-05-31", "Spring bank holiday"),
                ("2027-08-30", "Summer bank holiday")],
    "Scotland skipped": ["2027-05-31"],
    "3rd Mondays": ["2027-01-18", "2027-03-15", "2027-05-17", "2027-07-19", "2027-09-20", "2027-11-15"],
    "forum": "2027-04-26T13:30:00Z|2027-04-26T14:30:00Z|Steering forum|" + GUILD,
    "created": [f"2027-01-25T10:30:00Z|2027-01-25T12:30:00Z|{TITLE}|{OLD_HALL}",
                f"2027-02-22T10:30:00Z|2027-02-22T12:30:00Z|{TITLE}|{OLD_HALL}",
                f"2027-04-26T09:30:00Z|2027-04-26T11:30:00Z|{TITLE}|{OLD_HALL}",
                f"2027-06-28T09:30:00Z|2027-06-28T11:30:00Z|{TITLE}|{OLD_HALL}",
                f"2027-07-26T09:30:00Z|2027-07-26T11:30:00Z|{TITLE}|{OLD_HALL}",
                f"2027-09-27T09:30:00Z|2027-09-27T11:30:00Z|{TITLE}|{OLD_HALL}"],
    "created times": [("2027-01-25T10:30:00+00:00", "2027-01-25T12:30:00+00:00"),
                      ("2027-02-22T10:30:00+00:00", "2027-02-22T12:30:00+00:00"),
                      ("2027-04-26T10:30:00+01:00", "2027-04-26T12:30:00+01:00"),
                      ("2027-06-28T10:30:00+01:00", "2027-06-28T12:30:00+01:00"),
                      ("2027-07-26T10:30:00+01:00", "2027-07-26T12:30:00+01:00"),
                      ("2027-09-27T10:30:00+01:00", "2027-09-27T12:30:00+01:00")],
    "patched": [f"2027-04-26T13:00:00Z|2027-04-26T15:00:00Z|{TITLE}|{NEW_HALL}",
                f"2027-06-28T13:00:00Z|2027-06-28T15:00:00Z|{TITLE}|{GUILD}",
                f"2027-07-26T13:00:00Z|2027-07-26T15:00:00Z|{TITLE}|{NEW_HALL}",
                f"2027-09-27T13:00:00Z|2027-09-27T15:00:00Z|{TITLE}|{NEW_HALL}"],
    "patched starts": [("old", "2027-01-25T10:30:00+00:00"), ("old", "2027-02-22T10:30:00+00:00"),
                       ("new", "2027-04-26T14:00:00+01:00"), ("guild", "2027-06-28T14:00:00+01:00"),
                       ("new", "2027-07-26T14:00:00+01:00"), ("new", "2027-09-27T14:00:00+01:00")],
    "added": [f"2027-10-25T13:00:00Z|2027-10-25T15:00:00Z|{TITLE}|{NEW_HALL}",
              f"2027-11-29T14:00:00Z|2027-11-29T16:00:00Z|{TITLE}|{NEW_HALL}"],
    "added starts": ["2027-10-25T14:00:00+01:00", "2027-11-29T14:00:00+00:00"],
    "until": "2027-08-01", "from after": "2027-12-06", "from before": "2027-01-04",
    "EXDATEs before until": ["2027-03-29", "2027-05-31"],
    "subjects": ["Monday 28 June 2027", "Monday 26 April 2027", "Monday 25 October 2027",
                 "Monday 27 September 2027", "Monday 25 January 2027"],
}


def calendar_problems():
    """Where the Python calendar and plan(2027) differ from HAND_CHECKED_2027 (empty: none)."""
    iso = lambda ds: [d.isoformat() for d in ds]  # noqa: E731
    p = plan(2027)
    got = {"Easter Sunday": easter_sunday(2027).isoformat(),
           "last Mondays": iso(nth_weekday(2027, m, MONDAY, -1) for m in range(1, 13)),
           "summer time": iso(uk_summer_time(2027)),
           EW: iso(sorted(bank_holidays(EW, 2027))), SCOT: iso(sorted(bank_holidays(SCOT, 2027)))}
    if p:
        got.update({"pattern": p.pattern, "skipped": [(d.isoformat(), n) for d, n in p.skipped],
                    "Scotland skipped": iso(p.scottish_skipped), "3rd Mondays": iso(p.third_mondays),
                    "forum": p.forum, "created": p.created, "created times": p.created_times,
                    "patched": p.patched[2:], "patched starts": p.patched_starts, "added": p.extended[6:],
                    "added starts": p.added_starts, "until": p.until.isoformat(),
                    "from after": p.from_after.isoformat(), "from before": p.from_before.isoformat(),
                    "EXDATEs before until": iso(p.exdates_before_until),
                    "subjects": [long_date(d) for d in (p.meetings[3], p.meetings[2], p.added[0],
                                                        p.meetings[5], p.meetings[0])]})
    return [f"{k}: {got.get(k)} want {v}" for k, v in HAND_CHECKED_2027.items() if got.get(k) != v]


def scenario_year():
    """(Y, None), or (None, why not). Y is next year by the real clock, or SERIES_WALK_YEAR."""
    this = datetime.date.today().year
    asked = os.environ.get("SERIES_WALK_YEAR", "")
    year = int(asked) if asked.isdigit() else this + 1
    if asked and (not asked.isdigit() or year <= this):
        return None, f"SERIES_WALK_YEAR={asked!r}: give a year after {this}"
    if year > 2100:
        return None, f"{year}: the server knows bank holidays up to 2100 only (calendar/holidays.cc)"
    return year, None


# Set by main(): the server, the scenario of year Y (plan()), and the readers' window.
BASE = TOKEN = TMP = S = None
WINDOW = ()


def api(method, path, body=None, headers=None):
    return call(method, BASE + "/api/v1" + path, body, TOKEN, headers)


def expand(path):
    """{reader: sorted 'start|end|summary|location'} from recurring-ical-events and ical.js."""
    out = {}
    for name, cmd in (("python", [PY, str(FEEDS / "expand_python.py"), str(path), *WINDOW]),
                      ("ical.js", ["node", str(FEEDS / "expand_icaljs.mjs"), str(path), *WINDOW])):
        try:
            p = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        except subprocess.TimeoutExpired:
            check(False, f"{name} on {path.name}: timed out")
            continue
        check(p.returncode == 0, f"{name} on {path.name}: exit {p.returncode} {p.stderr.strip()[:200]}")
        out[name] = sorted(l.split("|", 1)[1] for l in p.stdout.splitlines() if l)
    return out


def expect_occurrences(path, want, label):
    got = expand(path)
    check(len(got) == 2, f"{label}: both readers ran")
    for name, lines in got.items():
        check(lines == sorted(want), f"{label} via {name}:\n  got  {lines}\n  want {sorted(want)}")


def lint(path, label):
    p = subprocess.run([PY, str(FEEDS / "lint.py"), str(path)], capture_output=True, text=True, timeout=60)
    check(p.returncode == 0, f"lint {label}: {p.stdout.strip()[:400]}")


def load_khal():
    spec = importlib.util.spec_from_file_location("check_khal", FEEDS / "check_khal.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def khal_sees(url, want, label):
    """vdirsyncer subscribes over loopback HTTP, khal lists: the occurrences must be `want`."""
    khal = load_khal()
    khal.WINDOW = WINDOW  # its own window ends in 2030
    work = TMP / ("khal-" + label.replace(" ", "-"))
    work.mkdir()
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(work), "LANG": "C.UTF-8",
           "LC_ALL": "C.UTF-8", "XDG_CONFIG_HOME": str(work), "XDG_DATA_HOME": str(work), "TZ": "UTC"}
    try:
        _, lines = khal.subscribe(url, work, env)
        check(lines == khal.sort_bytes(want), f"khal {label}:\n  got  {lines}\n  want {khal.sort_bytes(want)}")
    except (RuntimeError, subprocess.TimeoutExpired) as e:
        check(False, f"vdirsyncer/khal {label}: {e}")


class Feed:
    """One fetch of a feed, kept on disk for the readers."""
    n = 0

    def __init__(self, url, label):
        Feed.n += 1
        st, hdrs, self.body = http("GET", url)
        check(st == 200 and self.body.startswith(b"BEGIN:VCALENDAR\r\n"), f"GET {label}: {st}")
        self.etag = hdrs.get("ETag", "")
        lm = hdrs.get("Last-Modified", "")
        self.lm = time.mktime(time.strptime(lm, "%a, %d %b %Y %H:%M:%S GMT")) if lm else 0
        check(self.lm > 0, f"{label}: Last-Modified {lm!r}")
        self.path = TMP / f"{Feed.n:02d}-{label.replace(' ', '-')}.ics"
        self.path.write_bytes(self.body)
        self.events = events(self.body, missing_sequence=-1)
        self.uids = {k.split("|")[0] for k in self.events}


def compare_feeds(before, after, label, unchanged_rids=()):
    """UIDs stable, SEQUENCE never falls, ETag changes exactly with the bytes, and the overrides
    whose RECURRENCE-ID holds one of `unchanged_rids` (rid(): '20270125T103000') byte-identical."""
    check((before.body != after.body) == (before.etag != after.etag), f"{label}: ETag changes with the bytes")
    check(after.uids <= before.uids, f"{label}: new UIDs {after.uids - before.uids}")
    check(after.lm >= before.lm and (after.body == before.body or after.lm > before.lm),
          f"{label}: Last-Modified {before.lm} -> {after.lm}")
    for key, (_, seq) in after.events.items():
        if key in before.events:
            check(seq >= before.events[key][1], f"{label}: SEQUENCE fell for {key}")
    for rid in unchanged_rids:
        keys = [k for k in before.events if k.split("|")[1].endswith(":" + rid)]
        check(len(keys) == 1, f"{label}: one override for {rid} before, got {keys}")
        for k in keys:
            check(k in after.events and after.events[k][0] == before.events[k][0],
                  f"{label}: override {rid} not byte-identical:\n{before.events[k][0]}---\n"
                  f"{after.events.get(k, ('(gone)',))[0]}")


# ---------------------------------------------------------------- mail

def mail(sink):
    """[(to, subject, message)] in arrival order."""
    out = []
    for _, raw in sink.messages():
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        out.append((msg["To"].addresses[0].addr_spec, str(msg["Subject"]), msg))
    return out


def settle(sink, since, want_new, label, seconds=25):
    """Waits until at least `want_new` messages arrived after the first `since` and nothing is
    queued; returns the new messages. Anything still queued or failed is a failed check."""
    deadline = time.time() + seconds
    queued = None
    while time.time() < deadline:
        st, _, b = api("GET", "/outbox?status=queued")
        queued = b["messages"] if st == 200 and b else None
        if queued == [] and len(sink.messages()) >= since + want_new:
            break
        time.sleep(0.2)
    check(queued == [], f"{label}: outbox drained (still queued: {queued})")
    st, _, b = api("GET", "/outbox?status=failed")
    check(st == 200 and b and b["messages"] == [], f"{label}: failed notices {b}")
    return mail(sink)[since:]


def one_each(new, subject, label):
    """Exactly one message per member told, with `subject`, none to anyone else but the
    organiser; returns {address: message}."""
    by_to = collections.defaultdict(list)
    for to, subj, msg in new:
        by_to[to].append((subj, msg))
    for addr in TOLD:
        subjects = [s for s, _ in by_to[addr]]
        check(len(subjects) == 1, f"{label}: {addr} got {len(subjects)} emails (want 1): {subjects}")
        check(subjects[:1] == [subject], f"{label}: {addr} subject {subjects} want {subject!r}")
    check("dee@example.org" not in by_to, f"{label}: the unsubscribed member got {by_to.get('dee@example.org')}")
    others = set(by_to) - set(TOLD) - {"sec@example.org"}
    check(not others, f"{label}: emails to {others}")
    return {a: by_to[a][0][1] for a in TOLD if by_to[a]}


def calendar_part(msg, method, label):
    """The text/calendar part of an invitations member's email: (bytes, icalendar.Calendar)."""
    check(msg.get_content_type() == "multipart/alternative", f"{label}: {msg.get_content_type()}")
    parts = list(msg.iter_parts()) if msg.is_multipart() else [msg]
    types = [p.get_content_type() for p in parts]
    check(types == ["text/plain", "text/calendar"], f"{label}: parts {types}")
    cal = [p for p in parts if p.get_content_type() == "text/calendar"]
    if not cal:
        return b"", None
    raw = cal[0].get_payload(decode=True)
    check(cal[0].get_param("method") == method, f"{label}: method= {cal[0].get_param('method')} want {method}")
    check(f"\r\nMETHOD:{method}\r\n".encode() in raw, f"{label}: METHOD:{method} not in the object")
    try:
        return raw, icalendar.Calendar.from_ical(raw)
    except ValueError as e:
        check(False, f"{label}: icalendar cannot parse the object: {e}")
        return raw, None


def override_facts(cal, uid):
    """{RECURRENCE-ID (UTC): (DTSTART UTC, DTEND UTC, LOCATION, STATUS)} of the UID's overrides."""
    out = {}
    for ev in cal.walk("VEVENT"):
        if str(ev.get("UID")) != uid or "RECURRENCE-ID" not in ev:
            continue
        u = lambda p: ev[p].dt.astimezone(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")  # noqa: E731
        out[u("RECURRENCE-ID")] = (u("DTSTART"), u("DTEND"), str(ev.get("LOCATION")),
                                   str(ev.get("STATUS", "CONFIRMED")))
    return out


def check_invitation(msg, method, uid, member_feed, want, label):
    """The invitations member's object: METHOD, the series UID only, a master with RRULE and one
    override per meeting, the overrides equal to the member's own feed's, and the readers
    expanding it to `want`."""
    raw, cal = calendar_part(msg, method, label)
    if cal is None:
        return None
    uids = {str(ev.get("UID")) for ev in cal.walk("VEVENT")}
    check(uids == {uid}, f"{label}: UIDs {uids} want the series UID {uid}")
    if method == "CANCEL":
        check(all(str(ev.get("STATUS")) == "CANCELLED" for ev in cal.walk("VEVENT")),
              f"{label}: CANCEL without STATUS:CANCELLED")
        return cal
    masters = [ev for ev in cal.walk("VEVENT") if "RECURRENCE-ID" not in ev]
    check(len(masters) == 1 and "RRULE" in masters[0], f"{label}: one master with RRULE ({len(masters)})")
    mine = override_facts(cal, uid)
    check(len(mine) == len(want), f"{label}: {len(mine)} overrides for {len(want)} meetings")
    feed_cal = icalendar.Calendar.from_ical(member_feed.body)
    check(mine == override_facts(feed_cal, uid),
          f"{label}: overrides differ from the member feed:\n  mail {mine}\n  feed {override_facts(feed_cal, uid)}")
    path = TMP / f"{label.replace(' ', '-')}.ics"
    path.write_bytes(raw)
    # An invitation lands in a personal calendar: its SUMMARY names the group, as the one-meeting
    # invitations do (calendar/ical.cc, Summary()).
    named = [l.replace(f"|{TITLE}|", f"|{GROUP}: {TITLE}|") for l in want]
    expect_occurrences(path, named, label + " (the emailed object)")
    return cal


# ---------------------------------------------------------------- the walk

def main():
    global BASE, TOKEN, TMP, S, WINDOW
    if not BIN:
        raise SystemExit(__doc__)
    t0 = time.time()
    # The server's clock is real: the scenario lies in year Y, after today, and its expected
    # dates come from the Python calendar, which must first agree with the hand-checked 2027.
    year, why = scenario_year()
    problems = calendar_problems() + ([why] if why else [])
    S = plan(year) if year else None
    if year and not S:
        problems.append(f"no pattern of plan() fits {year}")
    if not check(not problems, "the scenario's calendar: " + "; ".join(problems)):
        sys.exit(check.finish())
    WINDOW = ("2000-01-01", f"{S.year + 2}-01-01")
    print(f"series_walk: {S.year}: {S.words} from {S.first_date}; meetings",
          ", ".join(d.isoformat() for d in S.meetings) + "; bank holidays",
          ", ".join(d.isoformat() for d, _ in S.skipped))
    TMP = pathlib.Path(tempfile.mkdtemp(prefix="convene-series-e2e-"))
    (TMP / "data").mkdir()
    db = e2e_database(TMP / "data" / "convene.db")
    r = subprocess.run([BIN, "admin", "token", "--db", str(db), "--organiser", "sec@example.org",
                        "--name", "The Secretary"], capture_output=True, text=True, timeout=30)
    check(r.returncode == 0, "admin token: " + r.stderr)
    TOKEN = r.stdout.strip()
    procs = []
    sink = None
    log = open(TMP / "serve.log", "wb")
    try:
        sink = Sink(str(TMP / "sink"))
        port = free_port()
        BASE = f"http://127.0.0.1:{port}"
        procs.append(subprocess.Popen(
            [BIN, "serve", "--db", str(db), "--listen", f"127.0.0.1:{port}", "--base-url", BASE,
             "--smtp", sink.url, "--notice-delay", "1", *FAST_MAIL], stdout=log, stderr=log))
        if check(wait_up(BASE + "/healthz", 15), "server up"):
            walk(sink)
    except Failure as e:
        check(False, str(e))
    except Exception:  # an answer of the wrong shape: a failed check, with where it happened
        import traceback
        check(False, "the walk stopped: " + traceback.format_exc())
    finally:
        stop_all(procs)
        drop_e2e_databases()
        if sink:
            sink.stop()
        log.close()
        if check.fails:
            print((TMP / "serve.log").read_text(errors="replace")[-3000:], file=sys.stderr)
        if os.environ.get("KEEP_E2E_DIRS"):
            print("kept", TMP)
        else:
            shutil.rmtree(TMP, ignore_errors=True)
    print("series_walk: %.1f s" % (time.time() - t0))
    sys.exit(check.finish())


def walk(sink):
    # ---- setup: venues, groups, members (Dee unsubscribes from her welcome email) ----
    venues = {}
    for key, name, addr, pc in (("old", "Old Hall", "1 High Street, London", "EC1A 1AA"),
                                ("new", "New Hall", "2 Low Street, London", "EC2A 2BB"),
                                ("guild", "Guild Room", "3 Mid Street, London", "EC3A 3CC")):
        st, _, v = api("POST", "/venues", {"name": name, "address": addr, "postcode": pc})
        check(st == 201, f"venue {name}: {st} {v}")
        venues[key] = v["id"]
    st, _, g = api("POST", "/groups", {"slug": "futures", "name": GROUP, "timezone": "Europe/London",
                                       "bank_holiday_region": "england-and-wales"})
    check(st == 201 and g.get("bank_holiday_region") == "england-and-wales", f"group: {st} {g}")
    st, _, g = api("POST", "/groups", {"slug": "scots", "name": "Scots Group", "timezone": "Europe/London",
                                       "bank_holiday_region": "scotland"})
    check(st == 201 and g.get("bank_holiday_region") == "scotland", f"scottish group: {st} {g}")
    member = {}
    for name, addr, delivery in MEMBERS:
        st, _, m = api("POST", "/groups/futures/members", {"name": name, "email": addr, "delivery": delivery})
        check(st == 201, f"member {name}: {st} {m}")
        member[addr] = m
    welcomes = settle(sink, 0, len(MEMBERS), "welcome emails")
    dee = [msg for to, _, msg in welcomes if to == "dee@example.org"]
    check(len(dee) == 1, f"one welcome for Dee, got {len(dee)}")
    if dee:
        url = str(dee[0]["List-Unsubscribe"]).strip("<>")
        check(url.startswith(BASE + "/unsubscribe/"), f"List-Unsubscribe {url}")
        st, _, _ = http("POST", url, data=b"List-Unsubscribe=One-Click",
                        headers={"Content-Type": "application/x-www-form-urlencoded"})
        check(st in (200, 204), f"one-click unsubscribe: {st}")
        st, _, m = api("GET", f"/groups/futures/members/{member['dee@example.org']['id']}")
        check(st == 200 and m["unsubscribed"] is True, f"Dee unsubscribed: {m}")

    # The forum, one listed date (M3's), in the Guild Room: the clash for the checks below.
    md = S.meetings  # the meeting dates M1..M6
    st, _, forum = api("POST", "/groups/futures/series",
                       {"title": FORUM, "venue_id": venues["guild"], "start_time": "14:30",
                        "duration_minutes": 60, "dates": [md[2].isoformat()]})
    check(st == 201, f"forum: {st} {forum}")

    # ---- 1. preview, create, feed ----
    body = {"title": TITLE, "venue_id": venues["old"], "start_time": "10:30", "duration_minutes": 120,
            "first_date": S.first_date.isoformat(), "agenda": "Minutes; actions; AOB", "pattern": S.pattern,
            "avoid": ["bank_holidays"]}
    want_starts = S.created_times
    want_skipped = [(d.isoformat(), "bank_holiday", name) for d, name in S.skipped]
    st, _, pv = api("POST", "/groups/futures/series/preview", body)
    check(st == 200, f"preview: {st} {pv}")
    pv = pv or {}
    got = [(m["start"], m["end"]) for m in pv.get("meetings", [])]
    check(got == want_starts, f"preview meetings {got}")
    got = [(s["date"], s["reason"]) for s in pv.get("skipped", [])]
    check(got == [w[:2] for w in want_skipped], f"preview skipped {got}")
    for s, w in zip(pv.get("skipped", []), want_skipped):
        check(w[2] in s.get("message", ""), f"skipped {s} should name {w[2]!r}")
    check(pv.get("rrule") == S.rrule, f"preview rrule {pv.get('rrule')} want {S.rrule}")
    check(pv.get("pattern_words") == S.words, f"words {pv.get('pattern_words')} want {S.words}")
    check("blocked" not in pv, f"preview blocked: {pv.get('blocked')}")
    st, _, lst = api("GET", "/groups/futures/series")
    check(st == 200 and len(lst["series"]) == 1, f"the preview stored nothing: {lst}")

    # The same words, another region: Scotland keeps Easter Monday (and England's summer bank holiday).
    st, _, scot = api("POST", "/groups/scots/series/preview", body)
    want = [d.isoformat() for d in S.scottish_skipped]
    check(st == 200 and [s["date"] for s in scot["skipped"]] == want
          and len(scot["meetings"]) == 9 - len(want), f"Scottish preview: {st} {scot} want skipped {want}")
    # Every other month on the 3rd Monday, 6 times, from 1 January: no bank holiday among them.
    st, _, alt = api("POST", "/groups/futures/series/preview",
                     dict(body, first_date=f"{S.year}-01-01", pattern=THIRD_MONDAYS))
    check(st == 200 and [m["start"][:10] for m in alt["meetings"]] == [d.isoformat() for d in S.third_mondays]
          and [s["date"] for s in alt["skipped"]] == [d.isoformat() for d in S.third_mondays_skipped],
          f"3rd Mondays preview: {st} {alt} want {S.third_mondays}")
    # Avoiding clashes too, in the Guild Room at 14:00: the forum's day (M3) is skipped;
    # without "clashes" the preview says it would be blocked.
    clash_body = dict(body, venue_id=venues["guild"], start_time="14:00", avoid=["bank_holidays", "clashes"])
    st, _, pc = api("POST", "/groups/futures/series/preview", clash_body)
    want = sorted([(d.isoformat(), "bank_holiday") for d, _ in S.skipped] + [(md[2].isoformat(), "venue_clash")])
    check(st == 200 and [(s["date"], s["reason"]) for s in pc["skipped"]] == want
          and len(pc["meetings"]) == 5, f"avoid clashes: {st} {pc} want skipped {want}")
    st, _, pc = api("POST", "/groups/futures/series/preview", dict(clash_body, avoid=["bank_holidays"]))
    check(st == 200 and (pc.get("blocked") or {}).get("code") == "venue_clash"
          and any(w["code"] == "venue_clash" for w in pc["meetings"][2]["warnings"]),
          f"preview blocked by the clash: {st} {pc}")
    st, _, e = api("POST", "/groups/futures/series", dict(clash_body, avoid=["bank_holidays"]))
    check(st == 409 and e["error"]["code"] == "venue_clash", f"create with a clash: {st} {e}")

    before_mail = len(sink.messages())
    st, hdrs, s = api("POST", "/groups/futures/series", body)
    check(st == 201, f"create: {st} {s}")
    sid, uid = s["id"], s["uid"]
    etag = hdrs.get("ETag", "")
    check(etag.startswith(f'"s{sid}-') and etag.endswith('"'), f"create ETag {etag!r}")
    got = [(m["start"], m["end"]) for m in s["meetings"]]
    check(got == want_starts, f"created meetings {got} are not the preview's")
    check([(x["date"], x["reason"]) for x in s["skipped"]] == [w[:2] for w in want_skipped],
          f"created skipped {s['skipped']}")
    check(all(m["venue"]["id"] == venues["old"] and m["title"] == TITLE for m in s["meetings"]),
          "created at the Old Hall")
    mids = [m["id"] for m in s["meetings"]]
    st, hdrs, one = api("GET", f"/series/{sid}")
    check(st == 200 and hdrs.get("ETag") == etag and one["meetings"] == 6 and one["upcoming"] == 6
          and one["uid"] == uid, f"GET series: {st} {hdrs.get('ETag')} {one}")
    st, _, lst = api("GET", "/groups/futures/series")
    mine = [x for x in lst["series"] if x["id"] == sid] if st == 200 else []
    check(len(lst["series"]) == 2 and len(mine) == 1 and mine[0]["meetings"] == 6
          and mine[0]["start_time"] == "10:30" and mine[0]["duration_minutes"] == 120
          and mine[0]["venue_id"] == venues["old"] and mine[0]["agenda"] == "Minutes; actions; AOB"
          and mine[0].get("rrule") == S.rrule and mine[0]["pattern_words"] == S.words, f"series list: {lst}")

    group_url = BASE + "/feeds/groups/futures.ics"
    bob_url = member["bob@example.org"]["feed_url"]
    f1 = Feed(group_url, "group created")
    lint(f1.path, "group feed")
    check(uid in f1.uids and len(f1.uids) == 2, f"feed UIDs {f1.uids}: want the series' {uid} and the forum's")
    for day, _ in S.skipped:
        check(f"EXDATE;TZID=Europe/London:{rid(day)}".encode() in f1.body.replace(b"\r\n ", b""),
              f"EXDATE for the skipped {day}")
    expect_occurrences(f1.path, S.created + [S.forum], "group created")
    khal_sees(group_url, S.created + [S.forum], "created")
    b1 = Feed(bob_url, "bob created")
    expect_occurrences(b1.path, S.created + [S.forum], "Bob's feed created")
    new = settle(sink, before_mail, 0, "after create")
    check(not [x for x in new if x[0] in TOLD and "Changed" in x[1]], f"create sent changes: {new}")

    # ---- 2. one meeting alone, then this and following ----
    st, hdrs, _ = api("GET", f"/meetings/{mids[3]}")
    st, _, one = api("PATCH", f"/meetings/{mids[3]}", {"venue_id": venues["guild"]},
                     {"If-Match": hdrs.get("ETag", "")})
    check(st == 200, f"{md[3]} (M4) to the Guild Room: {st} {one}")
    new = settle(sink, len(sink.messages()), len(TOLD), "the one-off change's emails")
    one_each(new, f"Venue changed: {TITLE}, {long_date(md[3])}", "the one-off change")
    f2 = Feed(group_url, "group one-off")
    expect_occurrences(f2.path, S.one_off + [S.forum], "group one-off")
    compare_feeds(f1, f2, "one-off", [rid(d) for d in md[:3] + md[4:]])
    b2 = Feed(bob_url, "bob one-off")

    time.sleep(1.1)  # Last-Modified has one-second resolution
    before_mail = len(sink.messages())
    st, hdrs, _ = api("GET", f"/series/{sid}")
    etag = hdrs.get("ETag", "")
    st, hdrs, ch = api("PATCH", f"/series/{sid}", {"from": md[2].isoformat(), "venue_id": venues["new"],
                                                  "start_time": "14:00"}, {"If-Match": etag})
    check(st == 200, f"PATCH series from {md[2]} (M3): {st} {ch}")
    ch = ch or {}
    check(sorted(ch.get("changed", [])) == sorted(mids[2:]), f"changed {ch.get('changed')} want {mids[2:]}")
    check([(k["id"], k["field"]) for k in ch.get("kept", [])] == [(mids[3], "venue_id")], f"kept {ch.get('kept')}")
    check(ch.get("cancelled") == [] and ch.get("added") == [], f"cancelled/added {ch}")
    said = " ".join(ch.get("summary", []))
    check("14:00" in said and "New Hall" in said and long_date(md[2], weekday=False) in said,
          f"summary {ch.get('summary')}")
    check(hdrs.get("ETag") not in ("", etag), f"PATCH ETag {hdrs.get('ETag')} (was {etag})")
    ser = ch.get("series", {})
    check(ser.get("venue_id") == venues["new"] and ser.get("start_time") == "14:00" and ser.get("meetings") == 6,
          f"series after PATCH {ser}")
    for i, (mid, (venue, start)) in enumerate(zip(mids, S.patched_starts)):
        st, _, got = api("GET", f"/meetings/{mid}")
        check(st == 200 and got["venue"]["id"] == venues[venue] and got["start"] == start,
              f"meeting {i + 1}: {got and (got['venue'], got['start'])} want {venue} {start}")
    f3 = Feed(group_url, "group patched")
    lint(f3.path, "group feed patched")
    expect_occurrences(f3.path, S.patched + [S.forum], "group patched")
    compare_feeds(f2, f3, "series PATCH", [rid(d) for d in md[:2]])
    compare_feeds(f1, f3, "create -> series PATCH", [rid(d) for d in md[:2]])
    check(f3.uids == f1.uids, f"UIDs {f1.uids} -> {f3.uids}")
    khal_sees(group_url, S.patched + [S.forum], "patched")
    b3 = Feed(bob_url, "bob patched")
    expect_occurrences(b3.path, S.patched + [S.forum], "Bob's feed patched")
    compare_feeds(b2, b3, "Bob's feed, series PATCH", [rid(d) for d in md[:2]])

    # ---- 3. one email per member at the real SMTP server ----
    new = settle(sink, before_mail, len(TOLD), "series PATCH emails")
    got = one_each(new, f"Changed: {GROUP} meetings from {long_date(md[2])}", "series PATCH")
    if "ann@example.org" in got:
        ann = got["ann@example.org"]
        check(ann.get_content_type() == "text/plain", f"feed member got {ann.get_content_type()}")
        text = ann.get_content()
        for want in ("14:00", "New Hall", long_date(md[3], weekday=False)):
            check(want in text, f"{want!r} not in Ann's email:\n{text}")
    if "bob@example.org" in got:
        check_invitation(got["bob@example.org"], "REQUEST", uid, b3, S.patched, "Bob series PATCH")

    # ---- 4. bad input: the right field, nothing changed ----
    st, hdrs, _ = api("GET", f"/series/{sid}")
    etag = hdrs.get("ETag", "")
    n_series = len(api("GET", "/groups/futures/series")[2]["series"])

    def bad(method, path, payload, status, field_or_code, label, headers=None):
        st, _, e = api(method, path, payload, headers)
        err = (e or {}).get("error", {})
        what = err.get("field") if status == 400 else err.get("code")
        check(st == status and what == field_or_code, f"{label}: {st} {e} want {status} {field_or_code}")

    no_end = dict(S.pattern)
    del no_end["count"]
    bad("POST", "/groups/futures/series", dict(body, pattern=no_end), 400, "pattern.count", "pattern without end")
    bad("POST", "/groups/futures/series/preview", dict(body, pattern=no_end), 400, "pattern.count",
        "preview: pattern without end")
    bad("POST", "/groups/futures/series", dict(body, pattern={"freq": "weekly", "weekday": "MO",
                                                              "week_of_month": 2, "count": 4}),
        400, "pattern.week_of_month", "week_of_month on weekly")
    im = {"If-Match": etag}
    bad("PATCH", f"/series/{sid}", {"from": S.from_after.isoformat(), "start_time": "15:00"}, 400, "from",
        "from after the series", im)
    bad("PATCH", f"/series/{sid}", {"from": S.from_before.isoformat(), "start_time": "15:00"}, 400, "from",
        "from before the series", im)
    bad("PATCH", f"/series/{sid}", {"from": md[2].isoformat(), "venue_id": venues["guild"]}, 409, "venue_clash",
        "venue clash with the forum", im)
    bad("PATCH", f"/series/{sid}", {"from": md[2].isoformat(), "start_time": "15:00"}, 412, "precondition_failed",
        "stale If-Match", {"If-Match": '"s%d-0"' % sid})
    st, _, _ = api("PATCH", f"/series/{sid}", {"from": md[2].isoformat(), "start_time": "15:00"})
    check(st == 428, f"PATCH without If-Match: {st}")
    bad("POST", "/groups", {"slug": "wales", "name": "Wales", "timezone": "Europe/London",
                            "bank_holiday_region": "wales"}, 400, "bank_holiday_region", "POST /groups region")
    check(api("GET", "/groups/wales")[0] == 404, "the refused group was not created")
    st, hdrs, _ = api("GET", "/groups/futures")
    bad("PATCH", "/groups/futures", {"bank_holiday_region": "cornwall"}, 400, "bank_holiday_region",
        "PATCH /groups region", {"If-Match": hdrs.get("ETag", "")})
    check(api("GET", "/groups/futures")[2].get("bank_holiday_region") == "england-and-wales", "region unchanged")
    st, hdrs, one = api("GET", f"/series/{sid}")
    check(st == 200 and hdrs.get("ETag") == etag and one["meetings"] == 6 and one["start_time"] == "14:00"
          and one["venue_id"] == venues["new"], f"series unchanged after bad input: {hdrs.get('ETag')} {one}")
    check(len(api("GET", "/groups/futures/series")[2]["series"]) == n_series, "no series stored by bad input")
    f4 = Feed(group_url, "group after bad input")
    check(f4.body == f3.body and f4.etag == f3.etag, "group feed unchanged by bad input")

    # ---- 5. extend, shorten, end ----
    time.sleep(1.1)
    before_mail = len(sink.messages())
    st, hdrs, ch = api("PATCH", f"/series/{sid}", {"count": 8}, {"If-Match": etag})
    check(st == 200, f"count 8: {st} {ch}")
    ch = ch or {}
    added = ch.get("added", [])
    check(len(added) == 2 and ch.get("cancelled") == [] and ch.get("changed") == [], f"count 8 result {ch}")
    check((ch.get("series") or {}).get("meetings") == 8, f"count 8: {ch.get('series')}")
    got = []
    for mid in added:
        st, _, one = api("GET", f"/meetings/{mid}")
        check(st == 200 and one["venue"]["id"] == venues["new"] and one["duration_minutes"] == 120
              and one["title"] == TITLE and one["status"] == "scheduled", f"added meeting {one}")
        got.append(one["start"] if one else None)
    check(sorted(got) == S.added_starts, f"added meetings at {got} want {S.added_starts}")
    f5 = Feed(group_url, "group extended")
    expect_occurrences(f5.path, S.extended + [S.forum], "group extended")
    compare_feeds(f4, f5, "count 8", [rid(d) for d in md])
    b5 = Feed(bob_url, "bob extended")
    new = settle(sink, before_mail, len(TOLD), "count 8 emails")
    got = one_each(new, f"Changed: {GROUP} meetings from {long_date(S.added[0])}", "count 8")
    if "bob@example.org" in got:
        check_invitation(got["bob@example.org"], "REQUEST", uid, b5, S.extended, "Bob count 8")

    time.sleep(1.1)
    before_mail = len(sink.messages())
    etag = hdrs.get("ETag", "")
    st, hdrs, ch = api("PATCH", f"/series/{sid}", {"until": S.until.isoformat()}, {"If-Match": etag})
    check(st == 200, f"until {S.until}: {st} {ch}")
    ch = ch or {}
    check(sorted(ch.get("cancelled", [])) == sorted([mids[5], *added]) and ch.get("added") == [],
          f"until: cancelled {ch.get('cancelled')} want {[mids[5], *added]}")
    f6 = Feed(group_url, "group shortened")
    lint(f6.path, "group feed shortened")
    expect_occurrences(f6.path, S.shortened + [S.forum], "group shortened")
    compare_feeds(f5, f6, "until", [rid(d) for d in md[:5]])
    b6 = Feed(bob_url, "bob shortened")
    new = settle(sink, before_mail, len(TOLD), "until emails")
    got = one_each(new, f"Changed: {GROUP} meetings from {long_date(md[5])}", "until")
    if "bob@example.org" in got:
        cal = check_invitation(got["bob@example.org"], "REQUEST", uid, b6, S.shortened, "Bob until")
        if cal is not None:
            master = [ev for ev in cal.walk("VEVENT") if "RECURRENCE-ID" not in ev]
            ex = set()
            for e in (master[0].get("EXDATE") if master else None) or []:
                for e1 in (e if isinstance(e, list) else [e]):
                    ex |= {d.dt.strftime("%Y%m%d") for d in e1.dts}
            want = {f"{d:%Y%m%d}" for d in S.exdates_before_until}
            check(want <= ex, f"Bob until: EXDATEs {sorted(ex)} lack the bank holidays {sorted(want)}")

    time.sleep(1.1)
    before_mail = len(sink.messages())
    etag = hdrs.get("ETag", "")
    st, _, _ = api("DELETE", f"/series/{sid}", None, {"If-Match": etag})
    check(st == 204, f"DELETE series: {st}")
    for mid in (mids[0], mids[3], added[0] if added else mids[5]):
        st, _, one = api("GET", f"/meetings/{mid}")
        check(st == 200 and one["status"] == "cancelled", f"meeting {mid} after DELETE: {one and one['status']}")
    st, _, one = api("GET", f"/series/{sid}")
    check(st == 200 and one["upcoming"] == 0 and one["meetings"] == 0, f"series after DELETE: {st} {one}")
    f7 = Feed(group_url, "group ended")
    lint(f7.path, "group feed ended")
    expect_occurrences(f7.path, [S.forum], "group ended")
    compare_feeds(f6, f7, "DELETE")
    khal_sees(group_url, [S.forum], "ended")
    b7 = Feed(bob_url, "bob ended")
    expect_occurrences(b7.path, [S.forum], "Bob's feed ended")
    new = settle(sink, before_mail, len(TOLD), "DELETE emails")
    got = one_each(new, f"Changed: {GROUP} meetings from {long_date(md[0])}", "DELETE")
    if "bob@example.org" in got:
        check_invitation(got["bob@example.org"], "CANCEL", uid, b7, [], "Bob DELETE")


if __name__ == "__main__":
    main()
