#include "calendar/ical.h"

#include <algorithm>
#include <cstdio>
#include <iterator>
#include <mutex>
#include <set>
#include <tuple>
#include <utility>

#include "calendar/civil.h"
#include "calendar/ical_text.h"
#include "calendar/recurrence.h"
#include "calendar/tz.h"

namespace convene::calendar {
namespace {

constexpr const char* kProdId = "-//convene//convene feeds 1.0//EN";
constexpr int kMaxVtimezoneYears = 60;

// ---------------------------------------------------------------------------------------------
// VTIMEZONE

const char* const kWeekdays[] = {"MO", "TU", "WE", "TH", "FR", "SA", "SU"};

// One way to name the day of a change within its month, as an RRULE does.
struct DayRule {
  enum Kind { kLast = 0, kNth = 1, kMonthDay = 2, kOnOrAfter = 3 };
  Kind kind;
  int weekday;  // 0 = Monday (unused for kMonthDay)
  int n;        // kNth: 1..4; kMonthDay, kOnOrAfter: the day of month
  auto operator<=>(const DayRule&) const = default;

  std::string Rrule(int month) const {
    std::string s = "FREQ=YEARLY;BYMONTH=" + std::to_string(month);
    switch (kind) {
      case kLast:
        return s + ";BYDAY=-1" + kWeekdays[weekday];
      case kNth:
        return s + ";BYDAY=" + std::to_string(n) + kWeekdays[weekday];
      case kMonthDay:
        return s + ";BYMONTHDAY=" + std::to_string(n);
      case kOnOrAfter: {
        s += ";BYDAY=" + std::string(kWeekdays[weekday]) + ";BYMONTHDAY=";
        for (int d = n; d < n + 7; ++d) s += (d == n ? "" : ",") + std::to_string(d);
        return s;
      }
    }
    return s;
  }

  CivilDate In(int year, int month) const {
    if (kind == kMonthDay) return {year, month, n};
    if (kind == kLast) {
      CivilDate d{year, month, DaysInMonth(year, month)};
      while (Weekday(d) != weekday) d = AddDays(d, -1);
      return d;
    }
    CivilDate d{year, month, kind == kNth ? 1 + 7 * (n - 1) : n};
    while (Weekday(d) != weekday) d = AddDays(d, 1);
    return d;
  }
};

std::set<DayRule> RulesFor(const CivilDate& d) {
  std::set<DayRule> out;
  const int wd = Weekday(d);
  const int dim = DaysInMonth(d.year, d.month);
  if (d.day + 7 > dim) out.insert({DayRule::kLast, wd, 0});
  if ((d.day - 1) / 7 + 1 <= 4) out.insert({DayRule::kNth, wd, (d.day - 1) / 7 + 1});
  out.insert({DayRule::kMonthDay, 0, d.day});
  for (int first = std::max(1, d.day - 6); first <= d.day; ++first)
    if (first + 6 <= std::min(dim, 28)) out.insert({DayRule::kOnOrAfter, wd, first});
  return out;
}

struct Onset {
  ZoneTransition t;
  std::string name_before;
  LocalDateTime local;    // wall-clock time of the change in the offset before it
  int local_seconds = 0;  // seconds within local.minute_of_day (LMT changes are not on minutes)
  bool daylight = false;

  // What must be equal for two years' changes to be "the same rule".
  auto Key() const {
    return std::make_tuple(daylight, t.offset_from, t.offset_to, t.name, local.date.month,
                           local.minute_of_day, local_seconds);
  }
};

std::string FormatOffset(int seconds) {
  char buf[16];
  const char sign = seconds < 0 ? '-' : '+';
  const int a = seconds < 0 ? -seconds : seconds;
  if (a % 60 != 0) {
    std::snprintf(buf, sizeof buf, "%c%02d%02d%02d", sign, a / 3600, (a % 3600) / 60, a % 60);
  } else {
    std::snprintf(buf, sizeof buf, "%c%02d%02d", sign, a / 3600, (a % 3600) / 60);
  }
  return buf;
}

std::string FormatLocalSeconds(const LocalDateTime& t, int seconds) {
  std::string s = FormatIcalLocal(t);
  char buf[4];
  std::snprintf(buf, sizeof buf, "%02d", seconds);
  s.replace(s.size() - 2, 2, buf);
  return s;
}

int64_t UtcMidnight(int year) { return DaysFromCivil({year, 1, 1}) * 86400; }

void Observance(ContentWriter& w, bool daylight, const std::string& name, int from, int to,
                const std::string& dtstart, const std::string& rrule) {
  const char* kind = daylight ? "DAYLIGHT" : "STANDARD";
  w.Begin(kind);
  if (!name.empty()) w.Text("TZNAME", name);
  w.Raw("TZOFFSETFROM", FormatOffset(from));
  w.Raw("TZOFFSETTO", FormatOffset(to));
  w.Raw("DTSTART", dtstart);
  if (!rrule.empty()) w.Raw("RRULE", rrule);
  w.End(kind);
}

// ---------------------------------------------------------------------------------------------
// Events

struct Years {
  int first = 9999;
  int last = 0;
  void Add(int y) {
    first = std::min(first, y);
    last = std::max(last, y);
  }
};

struct Renderer {
  std::string base_url;
  ContentWriter events;
  std::map<std::string, Years> zones;
  std::vector<std::string> warnings;
  int64_t last_modified = 0;
  // A scheduling message (RenderSeriesInvitation): ORGANIZER and ATTENDEE lines closing every
  // VEVENT, and the message's own DTSTAMP. Empty and 0 in feeds.
  std::string itip_lines;
  int64_t dtstamp = 0;

  void Use(const std::string& tz, const LocalDateTime& t) { zones[tz].Add(t.date.year); }

  // A renderer for a part rendered apart (an override), writing what this one writes.
  Renderer Child() const {
    Renderer c;
    c.base_url = base_url;
    c.itip_lines = itip_lines;
    c.dtstamp = dtstamp;
    return c;
  }
  void EndEvent() {
    if (!itip_lines.empty()) events.Append(itip_lines);
    events.End("VEVENT");
  }

  // "DTSTART;TZID=Europe/London:20100712T103000".
  void Time(const char* name, const std::string& tz, const LocalDateTime& t) {
    Use(tz, t);
    events.Raw(name, ";TZID=" + tz, FormatIcalLocal(t));
  }

  void Stamp(int64_t lm) {
    last_modified = std::max(last_modified, lm);
    events.Raw("DTSTAMP", FormatIcalUtc(dtstamp ? dtstamp : lm));
    events.Raw("LAST-MODIFIED", FormatIcalUtc(lm));
  }
};

// The wall-clock end: start + duration as elapsed time, so a meeting across a clock change
// still lasts what it says.
Result<LocalDateTime> EndOf(const std::string& tz, const LocalDateTime& start, int minutes) {
  ASSIGN_OR_RETURN(const int64_t begin, ToUnix(tz, start));
  return FromUnix(tz, begin + int64_t{minutes} * 60);
}

std::string Location(const Venue* v) {
  if (!v) return {};
  std::string out;
  for (const std::string* part : {&v->name, &v->address, &v->postcode}) {
    if (part->empty()) continue;
    if (!out.empty()) out += ", ";
    out += *part;
  }
  return out;
}

std::string Summary(const std::string& title, const std::string& group_name, bool cancelled) {
  std::string out = cancelled ? "Cancelled: " : "";
  if (!group_name.empty()) out += group_name + ": ";
  return out + title;
}

std::string MeetingUrl(const std::string& base_url, Id id) {
  return base_url + "/meetings/" + std::to_string(id);
}

std::string Description(const std::string& base_url, const Series& s, const Meeting& m,
                        const std::vector<Presenter>* presenters, const PersonalState* personal,
                        bool personal_feed, const std::string& personal_text) {
  std::vector<std::string> parts;
  if (m.status == MeetingStatus::kCancelled) parts.push_back("This meeting is cancelled.");
  if (presenters && !presenters->empty()) {
    std::string p = "Presenting:";
    for (const Presenter& pr : *presenters) {
      p += "\n- " + pr.name;
      if (!pr.organisation.empty()) p += " (" + pr.organisation + ")";
      if (!pr.topic.empty()) p += ": " + pr.topic;
    }
    parts.push_back(p);
  }
  if (const std::string& agenda = AgendaOf(s, m); !agenda.empty())
    parts.push_back("Agenda:\n" + agenda);
  if (!m.notes.empty()) parts.push_back("Notes:\n" + m.notes);
  if (personal_feed) {
    std::string p =
        personal && personal->sent_apologies ? "You sent apologies." : "You are expected.";
    if (personal && !personal->apology_text.empty()) p += "\n" + personal->apology_text;
    parts.push_back(p);
  }
  if (!personal_text.empty()) parts.push_back(personal_text);
  parts.push_back("Meeting page: " + MeetingUrl(base_url, m.id));
  std::string out;
  for (const std::string& p : parts) out += (out.empty() ? "" : "\n\n") + p;
  return out;
}

const Venue* FindVenue(const FeedInput& in, Id id) {
  auto it = in.venues.find(id);
  return it == in.venues.end() ? nullptr : &it->second;
}

const std::vector<Presenter>* FindPresenters(const FeedInput& in, Id meeting_id) {
  auto it = in.presenters.find(meeting_id);
  return it == in.presenters.end() ? nullptr : &it->second;
}

const PersonalState* FindPersonal(const FeedInput& in, Id meeting_id) {
  if (!in.personal) return nullptr;
  auto it = in.personal_state.find(meeting_id);
  return it == in.personal_state.end() ? nullptr : &it->second;
}

// The latest stored edit time behind one meeting's VEVENT: the meeting, its venue, presenters
// and the member's state. Not the series' edit time, which moves whenever any meeting is
// cancelled: that would re-stamp every event of the series for a change to one of them.
int64_t MeetingEdited(const FeedInput& in, const Meeting& m) {
  int64_t t = std::max(m.updated_at, m.created_at);
  if (const Venue* v = FindVenue(in, m.venue_id)) t = std::max(t, v->updated_at);
  if (const auto* ps = FindPresenters(in, m.id))
    for (const Presenter& p : *ps) t = std::max(t, p.created_at);
  if (const PersonalState* st = FindPersonal(in, m.id)) t = std::max(t, st->updated_at);
  return t;
}

// The properties after the identity ones, shared by overrides and explicit-date events.
Status MeetingBody(Renderer& r, const FeedInput& in, const FeedSeries& fs, const Meeting& m) {
  const bool cancelled = m.status == MeetingStatus::kCancelled;
  ASSIGN_OR_RETURN(const LocalDateTime end, EndOf(fs.timezone, m.start, m.duration_minutes));
  r.events.Raw("SEQUENCE", std::to_string(m.sequence));
  r.Time("DTSTART", fs.timezone, m.start);
  r.Time("DTEND", fs.timezone, end);
  r.events.Raw("STATUS", cancelled ? "CANCELLED" : "CONFIRMED");
  r.events.Text("SUMMARY", Summary(TitleOf(fs.series, m), fs.group_name, cancelled));
  const std::string location = Location(FindVenue(in, m.venue_id));
  if (!location.empty()) r.events.Text("LOCATION", location);
  r.events.Text("DESCRIPTION", Description(r.base_url, fs.series, m, FindPresenters(in, m.id),
                                           FindPersonal(in, m.id), in.personal, {}));
  r.events.Raw("URL", MeetingUrl(r.base_url, m.id));
  return Status::Ok();
}

bool InFeed(const FeedInput& in, const Meeting& m) {
  return !in.only_venue || m.venue_id == *in.only_venue;
}

std::string Where(const FeedSeries& fs, const Meeting& m) {
  return "series " + std::to_string(fs.series.id) + " meeting " + std::to_string(m.id);
}

void Merge(Renderer& into, const Renderer& from) {
  into.events.Append(from.events.str());
  for (const auto& [tz, y] : from.zones) {
    into.zones[tz].Add(y.first);
    into.zones[tz].Add(y.last);
  }
  into.last_modified = std::max(into.last_modified, from.last_modified);
  into.warnings.insert(into.warnings.end(), from.warnings.begin(), from.warnings.end());
}

void RenderExplicit(Renderer& r, const FeedInput& in, const FeedSeries& fs,
                    std::set<std::string>& uids) {
  std::vector<const Meeting*> ms;
  for (const Meeting& m : fs.meetings) ms.push_back(&m);
  std::sort(ms.begin(), ms.end(), [](const Meeting* a, const Meeting* b) {
    return std::tie(a->start, a->id) < std::tie(b->start, b->id);
  });
  for (const Meeting* m : ms) {
    if (!InFeed(in, *m)) continue;
    if (m->status == MeetingStatus::kCancelled && !in.show_cancelled) continue;
    if (m->uid.empty() || !uids.insert(m->uid).second) {
      r.warnings.push_back(Where(fs, *m) + ": empty or repeated UID, left out");
      continue;
    }
    // Rendered apart first so that a failure leaves no half VEVENT behind.
    Renderer one = r.Child();
    one.events.Begin("VEVENT");
    one.events.Text("UID", m->uid);
    one.Stamp(MeetingEdited(in, *m));
    if (Status st = MeetingBody(one, in, fs, *m); !st.ok()) {
      r.warnings.push_back(Where(fs, *m) + ": " + st.message());
      continue;
    }
    one.EndEvent();
    Merge(r, one);
  }
}

void RenderRule(Renderer& r, const FeedInput& in, const FeedSeries& fs,
                std::set<std::string>& uids) {
  const Series& s = fs.series;
  const std::string where = "series " + std::to_string(s.id);
  if (s.uid.empty() || uids.count(s.uid)) {
    r.warnings.push_back(where + ": empty or repeated UID, left out");
    return;
  }
  auto expansion = ExpandRule(s.rrule, s.first_date);
  if (!expansion.ok()) {
    r.warnings.push_back(where + ": " + expansion.status().message());
    return;
  }
  std::vector<LocalDateTime> occurrences;
  for (const CivilDate& d : expansion->dates) occurrences.push_back({d, s.rule_start_minute});

  std::map<LocalDateTime, const Meeting*> by_original;
  for (const Meeting& m : fs.meetings) {
    if (!std::binary_search(occurrences.begin(), occurrences.end(), m.original_start)) {
      // A shorter series leaves its dropped meetings cancelled and outside the rule: gone.
      if (m.status == MeetingStatus::kCancelled) continue;
      r.warnings.push_back(Where(fs, m) + ": original start " + FormatLocal(m.original_start) +
                           " is not an occurrence of the rule, left out");
      continue;
    }
    if (!by_original.emplace(m.original_start, &m).second)
      r.warnings.push_back(Where(fs, m) + ": second meeting for one occurrence, left out");
  }

  const bool filtered = in.only_venue.has_value();
  Renderer overrides = r.Child();
  std::vector<LocalDateTime> exdates;
  int64_t master_edited = std::max(s.updated_at, s.created_at);
  if (const Venue* v = FindVenue(in, s.venue_id))
    master_edited = std::max(master_edited, v->updated_at);
  int master_sequence = s.sequence;
  for (const LocalDateTime& occ : occurrences) {
    auto it = by_original.find(occ);
    if (it == by_original.end()) {
      exdates.push_back(occ);
      continue;
    }
    const Meeting& m = *it->second;
    if (filtered) {
      master_sequence = std::max(master_sequence, m.sequence);
      master_edited = std::max({master_edited, m.updated_at, m.created_at});
    }
    const bool shown =
        InFeed(in, m) && (m.status != MeetingStatus::kCancelled || in.show_cancelled);
    if (!shown) {
      exdates.push_back(occ);
      master_edited = std::max({master_edited, m.updated_at, m.created_at});
      continue;
    }
    Renderer one = r.Child();
    one.events.Begin("VEVENT");
    one.events.Text("UID", s.uid);
    one.Time("RECURRENCE-ID", fs.timezone, occ);
    one.Stamp(MeetingEdited(in, m));
    if (Status st = MeetingBody(one, in, fs, m); !st.ok()) {
      r.warnings.push_back(Where(fs, m) + ": " + st.message());
      exdates.push_back(occ);
      continue;
    }
    one.EndEvent();
    Merge(overrides, one);
  }
  if (overrides.events.str().empty()) return;  // nothing of the series is in this feed

  const LocalDateTime first = occurrences.front();
  auto end = EndOf(fs.timezone, first, s.duration_minutes);
  auto last_utc = ToUnix(fs.timezone, occurrences.back());
  if (!end.ok() || !last_utc.ok()) {
    r.warnings.push_back(where + ": " + (end.ok() ? last_utc.status() : end.status()).message());
    return;
  }
  std::string rrule = expansion->rrule;
  if (rrule.find("UNTIL=") != std::string::npos)
    rrule = WithUtcUntil(rrule, FormatIcalUtc(*last_utc));

  uids.insert(s.uid);
  r.events.Begin("VEVENT");
  r.events.Text("UID", s.uid);
  r.Stamp(master_edited);
  r.events.Raw("SEQUENCE", std::to_string(master_sequence));
  r.Time("DTSTART", fs.timezone, first);
  r.Time("DTEND", fs.timezone, *end);
  r.Use(fs.timezone, occurrences.back());
  r.events.Raw("RRULE", rrule);
  for (const LocalDateTime& x : exdates) r.Time("EXDATE", fs.timezone, x);
  r.events.Raw("STATUS", "CONFIRMED");
  r.events.Text("SUMMARY", Summary(s.title, fs.group_name, false));
  const std::string location = Location(FindVenue(in, s.venue_id));
  if (!location.empty()) r.events.Text("LOCATION", location);
  if (!s.agenda.empty()) r.events.Text("DESCRIPTION", "Agenda:\n" + s.agenda);
  r.EndEvent();
  Merge(r, overrides);
}

std::string Duration(int minutes) {
  std::string out = "PT";
  if (minutes >= 60) out += std::to_string(minutes / 60) + "H";
  if (minutes % 60 != 0) out += std::to_string(minutes % 60) + "M";
  return out;
}

Status CheckZone(const std::string& tz) {
  if (!IsKnownZone(tz)) return InvalidArgument("timezone", "unknown time zone " + tz);
  return Status::Ok();
}

std::string TrimSlash(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

// VTIMEZONEs depend only on (zone, years) and the tz database, which a running process never
// reloads; finding the changes costs milliseconds per year of span, so keep what was made.
Result<std::string> CachedVtimezone(const std::string& tz, int first_year, int last_year) {
  static std::mutex mu;
  static std::map<std::tuple<std::string, int, int>, std::string> cache;
  const auto key = std::make_tuple(tz, first_year, last_year);
  {
    std::lock_guard<std::mutex> lock(mu);
    if (auto it = cache.find(key); it != cache.end()) return it->second;
  }
  ASSIGN_OR_RETURN(std::string vtz, RenderVtimezone(tz, first_year, last_year));
  std::lock_guard<std::mutex> lock(mu);
  if (cache.size() >= 512) cache.clear();  // bounded: zones x spans in use is small
  cache.emplace(key, vtz);
  return vtz;
}

Status AppendVtimezones(ContentWriter& out, const std::map<std::string, Years>& zones) {
  for (const auto& [tz, years] : zones) {
    ASSIGN_OR_RETURN(const std::string vtz, CachedVtimezone(tz, years.first, years.last));
    out.Append(vtz);
  }
  return Status::Ok();
}

// The ORGANIZER and ATTENDEE lines of a scheduling message (RenderInvitation,
// RenderSeriesInvitation). With a reply address, replies go to it and are asked for (RFC 5546
// 3.2.2: RSVP=TRUE); without, the organiser's own address and RSVP=FALSE (M9).
Result<std::string> ItipPeople(const Person& organiser, const Person& attendee,
                               const std::string& reply_address) {
  if (!IsSafeEmail(organiser.email))
    return InvalidArgument("organiser", "the organiser's address is not a plain email address");
  if (!IsSafeEmail(attendee.email))
    return InvalidArgument("attendee", "the attendee's address is not a plain email address");
  if (!reply_address.empty() && !IsSafeEmail(reply_address))
    return InvalidArgument("reply_address", "the reply address is not a plain email address");
  ContentWriter w;
  const std::string organiser_cn =
      organiser.name.empty() ? "" : ";CN=" + QuoteParam(organiser.name);
  w.Raw("ORGANIZER", organiser_cn,
        "mailto:" + (reply_address.empty() ? organiser.email : reply_address));
  const std::string attendee_cn = attendee.name.empty() ? "" : ";CN=" + QuoteParam(attendee.name);
  w.Raw("ATTENDEE",
        attendee_cn + ";ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=" +
            (reply_address.empty() ? "FALSE" : "TRUE"),
        "mailto:" + attendee.email);
  return w.Take();
}

}  // namespace

Result<std::string> RenderVtimezone(const std::string& tz, int first_year, int last_year) {
  RETURN_IF_ERROR(CheckZone(tz));
  if (first_year > last_year || last_year - first_year >= kMaxVtimezoneYears || first_year < 1900 ||
      last_year > 2200)
    return InvalidArgument("timezone", "a VTIMEZONE spans 1 to 60 years between 1900 and 2200");
  // A day of margin either side catches changes whose local date is in the span but whose UTC
  // instant is not; 400 days more tells whether the span's last change is ever undone.
  const int64_t from = UtcMidnight(first_year) - 86400;
  const int64_t span_end = UtcMidnight(last_year + 1) + 86400;
  ASSIGN_OR_RETURN(const ZoneHistory h, ZoneTransitions(tz, from, span_end + 400 * 86400));

  std::vector<Onset> onsets;
  std::string name = h.initial_name;
  int offset_at_start = h.initial_offset;
  std::string name_at_start = h.initial_name;
  for (size_t i = 0; i < h.transitions.size(); ++i) {
    const ZoneTransition& t = h.transitions[i];
    const int64_t local = t.at + t.offset_from;
    const int64_t days = local >= 0 ? local / 86400 : (local - 86399) / 86400;
    const int secs = static_cast<int>(local - days * 86400);
    Onset o{t, name, {CivilFromDays(days), secs / 60}, secs % 60, false};
    name = t.name;
    if (o.local.date.year < first_year) {
      offset_at_start = t.offset_to;
      name_at_start = t.name;
      continue;
    }
    if (o.local.date.year > last_year) break;
    // Daylight: a move forward that the next change, within a year, undoes (the larger offset
    // of a pair). A lasting move (Moscow 2011) is a new standard time.
    o.daylight = t.offset_to > t.offset_from && i + 1 < h.transitions.size() &&
                 h.transitions[i + 1].offset_to < t.offset_to &&
                 h.transitions[i + 1].at - t.at <= 366 * 86400;
    onsets.push_back(std::move(o));
  }

  ContentWriter w;
  w.Begin("VTIMEZONE");
  w.Raw("TZID", tz);
  if (onsets.empty()) {
    Observance(w, false, name_at_start, offset_at_start, offset_at_start, "19700101T000000", "");
    w.End("VTIMEZONE");
    return w.Take();
  }

  // Runs of consecutive years whose changes follow the same rules.
  struct Run {
    int first_year, last_year;
    std::vector<const Onset*> first_onsets;  // the changes of the run's first year
    std::vector<const Onset*> last_onsets;   // ... and of its last year (UNTIL)
    std::vector<std::set<DayRule>> rules;    // per change: the day rules every year fits
  };
  std::map<int, std::vector<const Onset*>> by_year;
  for (const Onset& o : onsets) by_year[o.local.date.year].push_back(&o);
  std::vector<Run> runs;
  for (int y = first_year; y <= last_year; ++y) {
    const std::vector<const Onset*>& os = by_year[y];
    bool joined = false;
    if (!runs.empty() && runs.back().last_year == y - 1 &&
        runs.back().first_onsets.size() == os.size()) {
      Run& run = runs.back();
      bool same = true;
      std::vector<std::set<DayRule>> rules = run.rules;
      for (size_t k = 0; k < os.size() && same; ++k) {
        if (os[k]->Key() != run.first_onsets[k]->Key()) {
          same = false;
          break;
        }
        std::set<DayRule> common;
        const std::set<DayRule> mine = RulesFor(os[k]->local.date);
        std::set_intersection(rules[k].begin(), rules[k].end(), mine.begin(), mine.end(),
                              std::inserter(common, common.begin()));
        if (common.empty()) same = false;
        rules[k] = std::move(common);
      }
      if (same) {
        run.last_year = y;
        run.last_onsets = os;
        run.rules = std::move(rules);
        joined = true;
      }
    }
    if (!joined) {
      Run run{y, y, os, os, {}};
      for (const Onset* o : os) run.rules.push_back(RulesFor(o->local.date));
      runs.push_back(std::move(run));
    }
  }
  // A run can repeat yearly only if its changes chain into a cycle (DST on, DST off).
  auto cyclic = [](const Run& run) {
    const auto& os = run.first_onsets;
    if (os.size() < 2) return false;
    for (size_t k = 0; k < os.size(); ++k)
      if (os[k]->t.offset_to != os[(k + 1) % os.size()]->t.offset_from) return false;
    return true;
  };

  bool anchored = false;
  for (size_t ri = 0; ri < runs.size(); ++ri) {
    const Run& run = runs[ri];
    if (run.first_onsets.empty()) continue;
    const bool to_end = run.last_year == last_year;
    const bool base_1970 = !anchored && run.first_year == first_year && cyclic(run);
    if (!anchored && !base_1970) {
      // The offset in force before the span's first change, from 1970 on.
      Observance(w, false, run.first_onsets.front()->name_before,
                 run.first_onsets.front()->t.offset_from, run.first_onsets.front()->t.offset_from,
                 "19700101T000000", "");
    }
    anchored = true;
    if (cyclic(run) && (base_1970 || to_end || run.last_year > run.first_year)) {
      for (size_t k = 0; k < run.first_onsets.size(); ++k) {
        const Onset& o = *run.first_onsets[k];
        const DayRule rule = *run.rules[k].begin();  // the set orders kLast, kNth, ...
        std::string rrule = rule.Rrule(o.local.date.month);
        if (!to_end) rrule += ";UNTIL=" + FormatIcalUtc(run.last_onsets[k]->t.at);
        const LocalDateTime start =
            base_1970 ? LocalDateTime{rule.In(1970, o.local.date.month), o.local.minute_of_day}
                      : o.local;
        Observance(w, o.daylight, o.t.name, o.t.offset_from, o.t.offset_to,
                   FormatLocalSeconds(start, o.local_seconds), rrule);
      }
    } else {
      for (int y = run.first_year; y <= run.last_year; ++y)
        for (const Onset* o : by_year[y])
          Observance(w, o->daylight, o->t.name, o->t.offset_from, o->t.offset_to,
                     FormatLocalSeconds(o->local, o->local_seconds), "");
    }
  }
  w.End("VTIMEZONE");
  return w.Take();
}

Result<RenderedFeed> RenderFeed(const FeedInput& in) {
  if (!IsSafeHttpUrl(in.base_url))
    return InvalidArgument("base_url", "base_url must be an absolute http(s) URL without spaces");
  if (in.refresh_minutes < 1 || in.refresh_minutes > 7 * 24 * 60)
    return InvalidArgument("refresh_minutes", "refresh interval must be 1 minute to 7 days");
  if (!in.timezone.empty()) RETURN_IF_ERROR(CheckZone(in.timezone));
  for (const FeedSeries& fs : in.series) RETURN_IF_ERROR(CheckZone(fs.timezone));

  Renderer r;
  r.base_url = TrimSlash(in.base_url);
  r.last_modified = in.updated_at;
  std::vector<const FeedSeries*> order;
  for (const FeedSeries& fs : in.series) order.push_back(&fs);
  std::stable_sort(order.begin(), order.end(), [](const FeedSeries* a, const FeedSeries* b) {
    return a->series.id < b->series.id;
  });
  std::set<std::string> uids;
  for (const FeedSeries* fs : order) {
    if (fs->series.is_rule()) {
      RenderRule(r, in, *fs, uids);
    } else {
      RenderExplicit(r, in, *fs, uids);
    }
  }

  if (!in.timezone.empty() && !r.zones.count(in.timezone)) {
    // An unused zone still gets a VTIMEZONE (a calendar needs one component): for the year of
    // the last edit, which is as deterministic as the rest.
    const int year = CivilFromDays(r.last_modified / 86400).year;
    r.zones[in.timezone].Add(std::clamp(year, 1970, 2200));
  }

  ContentWriter out;
  out.Begin("VCALENDAR");
  out.Raw("VERSION", "2.0");
  out.Raw("PRODID", kProdId);
  out.Raw("CALSCALE", "GREGORIAN");
  out.Text("X-WR-CALNAME", in.calendar_name);
  out.Text("NAME", in.calendar_name);
  const std::string refresh = Duration(in.refresh_minutes);
  out.Raw("REFRESH-INTERVAL", ";VALUE=DURATION", refresh);
  out.Raw("X-PUBLISHED-TTL", refresh);
  RETURN_IF_ERROR(AppendVtimezones(out, r.zones));
  out.Append(r.events.str());
  out.End("VCALENDAR");

  RenderedFeed feed;
  feed.body = out.Take();
  feed.last_modified = r.last_modified;
  feed.warnings = std::move(r.warnings);
  return feed;
}

Result<std::string> RenderInvitation(const InvitationInput& in) {
  if (!IsSafeHttpUrl(in.base_url))
    return InvalidArgument("base_url", "base_url must be an absolute http(s) URL without spaces");
  ASSIGN_OR_RETURN(const std::string people,
                   ItipPeople(in.organiser, in.attendee, in.reply_address));
  RETURN_IF_ERROR(CheckZone(in.timezone));
  const bool cancel = in.method == InvitationMethod::kCancel;
  const Meeting& m = in.meeting;
  if (!cancel && m.status == MeetingStatus::kCancelled)
    return InvalidArgument("method", "a cancelled meeting is sent as CANCEL, not REQUEST");
  const std::string uid = in.series.is_rule() ? in.series.uid : m.uid;
  if (uid.empty()) return InvalidArgument("uid", "the meeting has no UID");

  Renderer r;
  r.base_url = TrimSlash(in.base_url);
  ASSIGN_OR_RETURN(const LocalDateTime end, EndOf(in.timezone, m.start, m.duration_minutes));
  const std::string venue = in.venue ? Location(&*in.venue) : std::string();
  ContentWriter& e = r.events;
  e.Begin("VEVENT");
  e.Text("UID", uid);
  if (in.series.is_rule()) r.Time("RECURRENCE-ID", in.timezone, m.original_start);
  e.Raw("DTSTAMP", FormatIcalUtc(in.dtstamp));
  e.Raw("SEQUENCE", std::to_string(m.sequence));
  r.Time("DTSTART", in.timezone, m.start);
  r.Time("DTEND", in.timezone, end);
  e.Raw("STATUS", cancel ? "CANCELLED" : "CONFIRMED");
  e.Text("SUMMARY", Summary(TitleOf(in.series, in.meeting), in.group_name, cancel));
  if (!venue.empty()) e.Text("LOCATION", venue);
  Meeting shown = m;
  if (cancel) shown.status = MeetingStatus::kCancelled;
  e.Text("DESCRIPTION", Description(r.base_url, in.series, shown, &in.presenters, nullptr, false,
                                    in.personal_text));
  e.Raw("URL", MeetingUrl(r.base_url, m.id));
  e.Append(people);
  e.End("VEVENT");

  ContentWriter out;
  out.Begin("VCALENDAR");
  out.Raw("VERSION", "2.0");
  out.Raw("PRODID", kProdId);
  out.Raw("CALSCALE", "GREGORIAN");
  out.Raw("METHOD", cancel ? "CANCEL" : "REQUEST");
  RETURN_IF_ERROR(AppendVtimezones(out, r.zones));
  out.Append(e.str());
  out.End("VCALENDAR");
  return out.Take();
}

Result<SeriesInvitation> RenderSeriesInvitation(const SeriesInvitationInput& in) {
  if (!IsSafeHttpUrl(in.base_url))
    return InvalidArgument("base_url", "base_url must be an absolute http(s) URL without spaces");
  ASSIGN_OR_RETURN(std::string people, ItipPeople(in.organiser, in.attendee, in.reply_address));
  RETURN_IF_ERROR(CheckZone(in.series.timezone));
  const Series& s = in.series.series;
  if (!s.is_rule() || s.uid.empty())
    return InvalidArgument("series", "only a rule series travels as one scheduling object");

  Renderer r;
  r.base_url = TrimSlash(in.base_url);
  r.itip_lines = std::move(people);
  r.dtstamp = in.dtstamp;
  FeedInput feed;
  feed.base_url = in.base_url;
  feed.series = {in.series};
  feed.venues = in.venues;
  feed.presenters = in.presenters;
  std::set<std::string> uids;
  if (!in.cancel) RenderRule(r, feed, in.series, uids);
  SeriesInvitation out;
  if (!r.warnings.empty()) return InvalidArgument("series", r.warnings.front());
  if (r.events.str().empty()) {
    // Nothing of the series is left, or the attendee leaves the invitations: the whole UID is
    // cancelled (RFC 5546 3.2.5).
    auto x = ExpandRule(s.rrule, s.first_date);
    if (!x.ok()) return x.status();
    const LocalDateTime first{x->dates.front(), s.rule_start_minute};
    ASSIGN_OR_RETURN(const LocalDateTime end, EndOf(in.series.timezone, first, s.duration_minutes));
    r.events.Begin("VEVENT");
    r.events.Text("UID", s.uid);
    r.events.Raw("DTSTAMP", FormatIcalUtc(in.dtstamp));
    r.events.Raw("SEQUENCE", std::to_string(s.sequence));
    r.Time("DTSTART", in.series.timezone, first);
    r.Time("DTEND", in.series.timezone, end);
    r.events.Raw("STATUS", "CANCELLED");
    r.events.Text("SUMMARY", Summary(s.title, in.series.group_name, true));
    r.EndEvent();
    out.method = "CANCEL";
  } else {
    out.method = "REQUEST";
  }
  ContentWriter w;
  w.Begin("VCALENDAR");
  w.Raw("VERSION", "2.0");
  w.Raw("PRODID", kProdId);
  w.Raw("CALSCALE", "GREGORIAN");
  w.Raw("METHOD", out.method);
  RETURN_IF_ERROR(AppendVtimezones(w, r.zones));
  w.Append(r.events.str());
  w.End("VCALENDAR");
  out.ical = w.Take();
  return out;
}

std::string RenderFreeBusy(Id venue_id, int64_t dtstamp, const std::vector<BusyPeriod>& busy) {
  std::string ics =
      "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//convene//convene//EN\r\n"
      "METHOD:PUBLISH\r\nBEGIN:VFREEBUSY\r\nUID:venue-" +
      std::to_string(venue_id) + "-freebusy\r\nDTSTAMP:" + FormatIcalUtc(dtstamp) + "\r\n";
  if (!busy.empty()) {
    ics += "DTSTART:" + FormatIcalUtc(busy.front().start_utc) + "\r\n";
    ics += "DTEND:" + FormatIcalUtc(busy.back().end_utc) + "\r\n";
  }
  for (const BusyPeriod& b : busy)
    ics += "FREEBUSY;FBTYPE=BUSY:" + FormatIcalUtc(b.start_utc) + "/" + FormatIcalUtc(b.end_utc) +
           "\r\n";
  return ics + "END:VFREEBUSY\r\nEND:VCALENDAR\r\n";
}

}  // namespace convene::calendar
