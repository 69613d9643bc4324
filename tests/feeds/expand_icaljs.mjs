// Prints the occurrences of an .ics file as expanded by ical.js (Mozilla's parser, as in
// Thunderbird), in the same format as expand_python.py:
//
//   node expand_icaljs.mjs FILE.ics FROM TO     (FROM, TO: YYYY-MM-DD; starts in [FROM, TO))
//
// One line per occurrence, sorted: UID|start|end|SUMMARY|LOCATION, times in UTC. Every VTIMEZONE
// of the file is registered first, so times are read through the file's own zone definitions
// (an unregistered TZID would come out floating: exit status 2). Masters are expanded with
// ICAL.Event + iterator, which applies EXDATEs and RECURRENCE-ID exceptions.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const { default: ICAL } = await import(
  path.join(here, '..', 'node', 'node_modules', 'ical.js', 'dist', 'ical.js'));

const [file, from, to] = process.argv.slice(2);
if (!file || !from || !to) {
  console.error('usage: node expand_icaljs.mjs FILE.ics FROM TO');
  process.exit(64);
}

const esc = (v) => String(v ?? '').replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/\|/g, '\\|');
const fromTime = ICAL.Time.fromDateString(from);
const toTime = ICAL.Time.fromDateString(to);

const root = new ICAL.Component(ICAL.parse(fs.readFileSync(file, 'utf8')));
for (const vtz of root.getAllSubcomponents('vtimezone')) {
  ICAL.TimezoneService.register(new ICAL.Timezone(vtz));
}

function utc(time, what, uid) {
  if (time.isDate) throw new Error(`${uid}: ${what} is a DATE`);
  if (time.zone === ICAL.Timezone.localTimezone || !time.zone) {
    console.error(`${uid}: floating ${what} ${time.toString()}`);
    process.exit(2);
  }
  return time.toJSDate().toISOString().replace(/\.000Z$/, 'Z');
}

const lines = [];
function emit(uid, start, end, item) {
  const s = start.convertToZone(ICAL.Timezone.utcTimezone);
  if (s.compare(fromTime) < 0 || s.compare(toTime) >= 0) return;
  lines.push([esc(uid), utc(start, 'DTSTART', uid), utc(end, 'DTEND', uid),
              esc(item.summary), esc(item.location)].join('|'));
}

const masters = new Map();
const exceptions = new Map();
for (const vevent of root.getAllSubcomponents('vevent')) {
  const uid = vevent.getFirstPropertyValue('uid');
  if (vevent.hasProperty('recurrence-id')) {
    if (!exceptions.has(uid)) exceptions.set(uid, []);
    exceptions.get(uid).push(vevent);
  } else {
    masters.set(uid, vevent);
  }
}

for (const [uid, master] of masters) {
  const event = new ICAL.Event(master, { exceptions: exceptions.get(uid) ?? [] });
  if (!event.isRecurring()) {
    emit(uid, event.startDate, event.endDate, event);
    continue;
  }
  const it = event.iterator();
  for (let n = 0, next; (next = it.next()); ++n) {
    if (n > 10000) throw new Error(`${uid}: more than 10000 occurrences`);
    const d = event.getOccurrenceDetails(next);
    emit(uid, d.startDate, d.endDate, d.item);
  }
}
// Exceptions without a master (iMIP objects for one instance) stand alone.
for (const [uid, list] of exceptions) {
  if (masters.has(uid)) continue;
  for (const vevent of list) {
    const event = new ICAL.Event(vevent);
    emit(uid, event.startDate, event.endDate, event);
  }
}

for (const line of lines.sort()) console.log(line);
