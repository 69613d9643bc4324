#!/usr/bin/python3
"""Checks an iCalendar file's raw bytes against docs ical-conformance.md, without libical.

    lint.py FILE.ics [FILE.ics ...]

Checked: F1 (CRLF only), F2 (<= 75 octets, folds not inside a UTF-8 sequence nor an escape pair,
no SPACE on either side of a fold), F3 (UTF-8, no BOM), F5, F6 (no METHOD or PUBLISH+ORGANIZER
in a feed; iMIP objects with METHOD:REQUEST/CANCEL are checked as such), F7 (a VTIMEZONE per
TZID, 1970-based RRULE observances, no RDATE in them), F8 (no floating times), F9/F10 (feeds),
F11 (one master per UID, UIDs are UUIDs), F12 (DTSTAMP in UTC, equal to LAST-MODIFIED when there
is no METHOD), F14 (one RRULE, UNTIL in UTC and not before DTSTART, DTSTART on the pattern),
F15 (EXDATE / RECURRENCE-ID: the master's TZID and an instance the rule generates), F17 (no RDATE).
Recurrences are expanded with python-dateutil on wall-clock times and zones come from Python's
zoneinfo (the system tz database): independent of the C++ code under test.
Prints one line per violation; exit status 1 when there is any.
"""
import datetime
import re
import sys
import zoneinfo

from dateutil import rrule as du_rrule

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
LOCAL = re.compile(r"^\d{8}T\d{6}$")
UTC_RE = re.compile(r"^\d{8}T\d{6}Z$")


def physical_checks(data, bad):
    if data.startswith(b"\xef\xbb\xbf"):
        bad.append("F3: BOM")
    try:
        data.decode("utf-8", errors="strict")
    except UnicodeDecodeError as e:
        bad.append(f"F3: not UTF-8 at octet {e.start}")
    if not data.startswith(b"BEGIN:VCALENDAR\r\n"):
        bad.append("F1: must start with BEGIN:VCALENDAR CRLF")
    if not data.endswith(b"\r\n"):
        bad.append("F1: last line must end CRLF")
    if re.search(rb"(?<!\r)\n", data):
        bad.append("F1: bare LF")
    if re.search(rb"\r(?!\n)", data):
        bad.append("F1: bare CR")
    lines = data.split(b"\r\n")[:-1]
    for n, line in enumerate(lines, 1):
        if len(line) > 75:
            bad.append(f"F2: line {n} has {len(line)} octets")
        continuation = line.startswith(b" ") or line.startswith(b"\t")
        content = line[1:] if continuation else line
        if content and (content[0] & 0xC0) == 0x80:
            bad.append(f"F2: line {n} starts inside a UTF-8 sequence")
        try:
            content.decode("utf-8", errors="strict")
        except UnicodeDecodeError:
            bad.append(f"F2: line {n} splits a UTF-8 sequence")
        trailing = len(content) - len(content.rstrip(b"\\"))
        nxt = lines[n] if n < len(lines) else b""
        if trailing % 2 == 1 and (nxt.startswith(b" ") or nxt.startswith(b"\t")):
            bad.append(f"F2: line {n} folds between a backslash and its escaped character")
        if content.endswith(b" ") and (nxt.startswith(b" ") or nxt.startswith(b"\t")):
            bad.append(f"F2: line {n} ends with a SPACE before a fold")
        if continuation and content.startswith(b" "):
            bad.append(f"F2: line {n} has a SPACE right after the fold")
    return lines


def unfold(data):
    text = data.decode("utf-8", errors="replace")
    return re.sub(r"\r\n[ \t]", "", text).split("\r\n")[:-1]


def split_line(line):
    """NAME;PARAMS:VALUE -> (name, {param: value}, value); quoted parameter values respected."""
    i, quoted = 0, False
    while i < len(line):
        c = line[i]
        if c == '"':
            quoted = not quoted
        elif c == ":" and not quoted:
            break
        i += 1
    head, value = line[:i], line[i + 1:]
    parts = re.findall(r'(?:[^;"]|"[^"]*")+', head)
    name = parts[0].upper() if parts else ""
    params = {}
    for p in parts[1:]:
        k, _, v = p.partition("=")
        params[k.upper()] = v.strip('"')
    return name, params, value


class Component:
    def __init__(self, name):
        self.name = name
        self.props = []  # (name, params, value)
        self.children = []

    def all(self, name):
        return [p for p in self.props if p[0] == name]

    def first(self, name):
        found = self.all(name)
        return found[0] if found else None


def parse(lines, bad):
    root, stack = None, []
    for line in lines:
        name, params, value = split_line(line)
        if name == "BEGIN":
            comp = Component(value.upper())
            if stack:
                stack[-1].children.append(comp)
            else:
                root = comp
            stack.append(comp)
        elif name == "END":
            if not stack or stack[-1].name != value.upper():
                bad.append(f"structure: unexpected END:{value}")
                return root
            stack.pop()
        elif stack:
            stack[-1].props.append((name, params, value))
    if stack:
        bad.append("structure: unclosed components")
    return root


def local_dt(value):
    return datetime.datetime.strptime(value, "%Y%m%dT%H%M%S")


def zone(tzid):
    try:
        return zoneinfo.ZoneInfo(tzid)
    except Exception:  # noqa: BLE001 - any failure means "not an IANA name"
        return None


def to_utc(value, tzid):
    if value.endswith("Z"):
        return datetime.datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=datetime.timezone.utc)
    return local_dt(value).replace(tzinfo=zone(tzid) or datetime.timezone.utc).astimezone(datetime.timezone.utc)


def parse_offset(text):
    sign = -1 if text.startswith("-") else 1
    digits = text[1:]
    seconds = int(digits[0:2]) * 3600 + int(digits[2:4]) * 60 + (int(digits[4:6]) if len(digits) > 4 else 0)
    return sign * seconds


def vtimezone_onsets(tz, last_year):
    """(instant, offset_to) of every onset of every observance up to the end of last_year."""
    onsets = []
    end = datetime.datetime(last_year + 1, 1, 1)
    for ob in (c for c in tz.children if c.name in ("STANDARD", "DAYLIGHT")):
        start = local_dt(ob.first("DTSTART")[2])
        off_from = parse_offset(ob.first("TZOFFSETFROM")[2])
        off_to = parse_offset(ob.first("TZOFFSETTO")[2])
        locals_ = [start]
        if ob.first("RRULE"):
            rule = ob.first("RRULE")[2]
            until = re.search(r"UNTIL=(\d{8}T\d{6})Z", rule)
            rule = re.sub(r";?UNTIL=[0-9TZ]+", "", rule)
            stop = end
            if until:
                stop = min(end, local_dt(until.group(1)) + datetime.timedelta(seconds=off_from))
            locals_ = list(du_rrule.rrulestr(rule, dtstart=start, cache=False).between(start, stop, inc=True))
        for t in locals_:
            utc = (t - datetime.timedelta(seconds=off_from)).replace(tzinfo=datetime.timezone.utc)
            onsets.append((utc, off_to))
    return sorted(onsets)


def check_vtimezone_offsets(tz, tzid, years, bad):
    """F7: the VTIMEZONE gives the tz database's UTC offset every 3 hours of the years used."""
    zi = zone(tzid)
    if zi is None or not years:
        return
    onsets = vtimezone_onsets(tz, max(years))
    t = datetime.datetime(min(years), 1, 1, tzinfo=datetime.timezone.utc)
    stop = datetime.datetime(max(years) + 1, 1, 1, tzinfo=datetime.timezone.utc)
    wrong = 0
    while t < stop:
        before = [off for at, off in onsets if at <= t]
        ours = before[-1] if before else None
        want = int(t.astimezone(zi).utcoffset().total_seconds())
        if ours != want:
            wrong += 1
            if wrong <= 2:
                bad.append(f"F7: VTIMEZONE {tzid} gives {ours} at {t:%Y-%m-%dT%H:%MZ}, tz database {want}")
        t += datetime.timedelta(hours=3)


def check_vtimezones(cal, bad):
    defined = {}
    for tz in (c for c in cal.children if c.name == "VTIMEZONE"):
        tzid = tz.first("TZID")
        if not tzid:
            bad.append("F7: VTIMEZONE without TZID")
            continue
        tzid = tzid[2]
        defined[tzid] = tz
        if tzid.startswith("/"):
            bad.append(f"F7: TZID {tzid} is not a plain IANA name")
        if zone(tzid) is None:
            bad.append(f"F7: TZID {tzid} is not in the tz database")
        observances = [c for c in tz.children if c.name in ("STANDARD", "DAYLIGHT")]
        if not observances:
            bad.append(f"F7: VTIMEZONE {tzid} has no observance")
        starts = []
        for ob in observances:
            for need in ("DTSTART", "TZOFFSETFROM", "TZOFFSETTO"):
                if not ob.first(need):
                    bad.append(f"F7: {tzid} {ob.name} lacks {need}")
            if ob.all("RDATE"):
                bad.append(f"F7: {tzid} uses RDATE (Outlook misreads RDATE-list zones)")
            if ob.first("DTSTART"):
                starts.append(ob.first("DTSTART")[2])
        if starts and not any(s.startswith("1970") for s in starts):
            bad.append(f"F7: {tzid} has no 1970-based observance")
    return defined


TEXT_PROPS = ("SUMMARY", "LOCATION", "DESCRIPTION", "X-WR-CALNAME", "NAME", "TZNAME", "COMMENT")


def check_text(comp, bad):
    """F4: in single-valued TEXT, `;` and `,` are escaped and `\\` only starts \\\\ \\; \\, \\n."""
    for name, _, value in comp.props:
        if name not in TEXT_PROPS:
            continue
        i = 0
        while i < len(value):
            c = value[i]
            if c == "\\":
                if i + 1 >= len(value) or value[i + 1] not in "\\;,nN":
                    bad.append(f"F4: {name} has a stray backslash: {value[:60]}")
                    break
                i += 2
                continue
            if c in ";,":
                bad.append(f"F4: {name} has an unescaped '{c}': {value[:60]}")
                break
            i += 1
    for child in comp.children:
        check_text(child, bad)


def check_times(ev, tzids_used, bad):
    uid = ev.first("UID")[2] if ev.first("UID") else "?"
    for name in ("DTSTART", "DTEND", "EXDATE", "RECURRENCE-ID", "DTSTAMP", "LAST-MODIFIED"):
        for _, params, value in ev.all(name):
            if params.get("VALUE") == "DATE":
                continue
            for v in value.split(","):
                if "TZID" in params:
                    tzids_used.setdefault(params["TZID"], set()).add(int(v[:4]))
                    if not LOCAL.match(v):
                        bad.append(f"F8: {uid} {name} with TZID must be local time: {v}")
                elif not UTC_RE.match(v):
                    bad.append(f"F8: {uid} floating {name}: {v}")
            if name in ("DTSTAMP", "LAST-MODIFIED") and "TZID" in params:
                bad.append(f"F12: {uid} {name} must be UTC")


def occurrences(master):
    """Wall-clock instances of a master's RRULE (dateutil, on local times as RFC 5545 says)."""
    _, params, start = master.first("DTSTART")
    rule = master.first("RRULE")[2]
    tzid = params.get("TZID")
    dtstart = local_dt(start)
    parts = dict(p.split("=", 1) for p in rule.split(";"))
    if "UNTIL" in parts:
        until = parts["UNTIL"]
        if until.endswith("Z") and tzid:
            # UNTIL is an instant: compare each local instance through the zone.
            end = to_utc(until, tzid)
            parts.pop("UNTIL")
            rule_text = ";".join(f"{k}={v}" for k, v in parts.items())
            out = []
            for t in du_rrule.rrulestr(rule_text, dtstart=dtstart):
                if to_utc(t.strftime("%Y%m%dT%H%M%S"), tzid) > end:
                    break
                out.append(t)
                if len(out) > 5000:
                    break
            return out
    out = []
    for t in du_rrule.rrulestr(rule, dtstart=dtstart):
        out.append(t)
        if len(out) > 5000:
            break
    return out


def check_recurrence(masters, overrides, bad):
    for uid, master in masters.items():
        rrules = master.all("RRULE")
        if master.all("RDATE"):
            bad.append(f"F17: {uid} has RDATE")
        if len(rrules) > 1:
            bad.append(f"F14: {uid} has {len(rrules)} RRULEs")
        _, sparams, start = master.first("DTSTART")
        tzid = sparams.get("TZID")
        if not rrules:
            if master.all("EXDATE"):
                bad.append(f"F15: {uid} has EXDATE but no RRULE")
            if overrides.get(uid):
                bad.append(f"F15: {uid} has overrides but no RRULE")
            continue
        rule = rrules[0][2]
        until = re.search(r"UNTIL=([0-9TZ]+)", rule)
        if until:
            u = until.group(1)
            if tzid and not u.endswith("Z"):
                bad.append(f"F14: {uid} UNTIL {u} must be UTC when DTSTART has a TZID")
            elif tzid and to_utc(u, "UTC") < to_utc(start, tzid):
                bad.append(f"F14: {uid} UNTIL {u} is before DTSTART")
        instances = occurrences(master)
        if not instances or instances[0] != local_dt(start):
            bad.append(f"F14: {uid} DTSTART {start} is not the rule's first instance")
        generated = {t.strftime("%Y%m%dT%H%M%S") for t in instances}
        for name, comp_list in (("EXDATE", [master]), ("RECURRENCE-ID", overrides.get(uid, []))):
            for comp in comp_list:
                for _, params, value in comp.all(name):
                    if params.get("TZID") != tzid or params.get("VALUE", "DATE-TIME") != sparams.get("VALUE", "DATE-TIME"):
                        bad.append(f"F15: {uid} {name} {value} not in the master's TZID/value type")
                    for v in value.split(","):
                        if v not in generated:
                            bad.append(f"F15: {uid} {name} {v} is not an instance of the rule")


def lint(path):
    with open(path, "rb") as f:
        data = f.read()
    bad = []
    physical_checks(data, bad)
    cal = parse(unfold(data), bad)
    if cal is None or cal.name != "VCALENDAR":
        return bad + ["structure: not a VCALENDAR"]
    if not cal.first("VERSION") or cal.first("VERSION")[2] != "2.0":
        bad.append("F5: VERSION:2.0 missing")
    if not cal.first("PRODID"):
        bad.append("F5: PRODID missing")
    method = cal.first("METHOD")[2] if cal.first("METHOD") else None
    imip = method in ("REQUEST", "CANCEL")
    if len(cal.all("METHOD")) > 1:
        bad.append("M1: more than one METHOD")
    if method not in (None, "PUBLISH", "REQUEST", "CANCEL"):
        bad.append(f"F6: METHOD:{method}")
    if not imip:
        if not cal.first("X-WR-CALNAME") or not cal.first("NAME"):
            bad.append("F9: X-WR-CALNAME and NAME required")
        refresh = cal.first("REFRESH-INTERVAL")
        ttl = cal.first("X-PUBLISHED-TTL")
        if not refresh or refresh[1].get("VALUE") != "DURATION" or not ttl or ttl[2] != refresh[2]:
            bad.append("F10: REFRESH-INTERVAL;VALUE=DURATION and an equal X-PUBLISHED-TTL required")
    defined = check_vtimezones(cal, bad)
    events = [c for c in cal.children if c.name == "VEVENT"]
    if imip and len(events) != 1:
        bad.append(f"M3: {len(events)} VEVENTs in an iMIP object")
    check_text(cal, bad)
    tzids_used = {}
    masters, overrides = {}, {}
    for ev in events:
        uid_prop = ev.first("UID")
        if not uid_prop:
            bad.append("F11: VEVENT without UID")
            continue
        uid = uid_prop[2]
        if not UUID.match(uid):
            bad.append(f"F11: UID {uid} is not a random UUID")
        check_times(ev, tzids_used, bad)
        if ev.all("RDATE"):
            bad.append(f"F17: {uid} has RDATE")
        if not ev.first("DTSTAMP"):
            bad.append(f"F12: {uid} has no DTSTAMP")
        elif method is None:
            lm = ev.first("LAST-MODIFIED")
            if not lm or lm[2] != ev.first("DTSTAMP")[2]:
                bad.append(f"F12: {uid} DTSTAMP must equal LAST-MODIFIED in a feed without METHOD")
        if method == "PUBLISH" and not ev.first("ORGANIZER"):
            bad.append(f"F6: {uid} needs ORGANIZER under METHOD:PUBLISH")
        if not imip and ev.first("ATTENDEE"):
            bad.append(f"F6: {uid} has ATTENDEE in a feed")
        if imip:
            for need in ("ORGANIZER", "ATTENDEE", "SEQUENCE"):
                if not ev.first(need):
                    bad.append(f"M5/M6: {uid} lacks {need}")
        if ev.first("RECURRENCE-ID"):
            overrides.setdefault(uid, []).append(ev)
        elif uid in masters:
            bad.append(f"F11: two masters for UID {uid}")
        else:
            masters[uid] = ev
    if not imip:
        for uid in overrides:
            if uid not in masters:
                bad.append(f"F11: overrides of {uid} without a master")
    for tzid, years in sorted(tzids_used.items()):
        if tzid not in defined:
            bad.append(f"F7: no VTIMEZONE for TZID {tzid}")
            continue
        # RRULE instances up to UNTIL count too: add the year of the last one.
        for uid, master in masters.items():
            if master.first("RRULE") and master.first("DTSTART")[1].get("TZID") == tzid:
                try:
                    years.update(t.year for t in occurrences(master)[-1:])
                except (ValueError, TypeError) as e:
                    bad.append(f"F14: {uid} RRULE cannot be expanded: {e}")
        check_vtimezone_offsets(defined[tzid], tzid, years, bad)
    check_recurrence(masters, overrides, bad)
    return bad


def main():
    if len(sys.argv) < 2:
        raise SystemExit(__doc__)
    failed = False
    for path in sys.argv[1:]:
        for problem in lint(path):
            print(f"{path}: {problem}")
            failed = True
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
