#include "calendar/ical_reply.h"

#include <algorithm>
#include <cctype>
#include <utility>

#include "calendar/rules.h"

namespace convene::calendar {
namespace {

Status Bad(std::string what) { return InvalidArgument("calendar", std::move(what)); }

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return out;
}

// One unfolded content line: NAME;PARAM=VALUE,...:value (RFC 5545 3.1).
struct ContentLine {
  std::string name;                                         // upper-case
  std::vector<std::pair<std::string, std::string>> params;  // upper-case name, first value
  std::string value;

  const std::string* Param(std::string_view n) const {
    for (const auto& [k, v] : params)
      if (k == n) return &v;
    return nullptr;
  }
};

bool NameChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-'; }

Result<ContentLine> ParseContentLine(std::string_view line) {
  ContentLine out;
  size_t i = 0;
  while (i < line.size() && NameChar(line[i])) ++i;
  if (i == 0) return Bad("a content line without a name");
  out.name = Upper(line.substr(0, i));
  while (i < line.size() && line[i] == ';') {
    ++i;
    const size_t start = i;
    while (i < line.size() && NameChar(line[i])) ++i;
    if (i == start || i >= line.size() || line[i] != '=')
      return Bad("a bad parameter on " + out.name);
    std::string pname = Upper(line.substr(start, i - start));
    ++i;  // '='
    std::string first;
    bool have_first = false;
    for (;;) {
      std::string v;
      if (i < line.size() && line[i] == '"') {
        const size_t close = line.find('"', i + 1);
        if (close == std::string_view::npos) return Bad("an unclosed quote on " + out.name);
        v = std::string(line.substr(i + 1, close - i - 1));
        i = close + 1;
      } else {
        const size_t s = i;
        while (i < line.size() && line[i] != ';' && line[i] != ':' && line[i] != ',' &&
               line[i] != '"')
          ++i;
        v = std::string(line.substr(s, i - s));
      }
      if (!have_first) {
        first = std::move(v);
        have_first = true;
      }
      if (i < line.size() && line[i] == ',') {
        ++i;
        continue;
      }
      break;
    }
    out.params.emplace_back(std::move(pname), std::move(first));
  }
  if (i >= line.size() || line[i] != ':') return Bad("no ':' after " + out.name);
  out.value = std::string(line.substr(i + 1));
  return out;
}

// RFC 5545 3.3.11: \\ \; \, \n \N.
std::string UnescapeText(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (size_t i = 0; i < v.size(); ++i) {
    if (v[i] != '\\' || i + 1 == v.size()) {
      out += v[i];
      continue;
    }
    const char n = v[++i];
    out += (n == 'n' || n == 'N') ? '\n' : n;
  }
  return out;
}

bool Digits(std::string_view s, size_t from, size_t n, int* out) {
  if (from + n > s.size()) return false;
  int v = 0;
  for (size_t i = from; i < from + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

Result<ReplyTime> ParseReplyTime(const ContentLine& line) {
  ReplyTime t;
  const std::string& v = line.value;
  int y = 0, mo = 0, d = 0;
  if (!Digits(v, 0, 4, &y) || !Digits(v, 4, 2, &mo) || !Digits(v, 6, 2, &d) || mo < 1 || mo > 12 ||
      d < 1 || d > DaysInMonth(y, mo) || y < 1900 || y > 2200)
    return Bad("an unreadable RECURRENCE-ID");
  t.local.date = {y, mo, d};
  if (const std::string* tz = line.Param("TZID")) t.tzid = *tz;
  const std::string* type = line.Param("VALUE");
  if (v.size() == 8) {
    if (type && Upper(*type) != "DATE") return Bad("an unreadable RECURRENCE-ID");
    t.date_only = true;
    return t;
  }
  int h = 0, mi = 0, s = 0;
  if (v.size() < 15 || v[8] != 'T' || !Digits(v, 9, 2, &h) || !Digits(v, 11, 2, &mi) ||
      !Digits(v, 13, 2, &s) || h > 23 || mi > 59 || s > 60)
    return Bad("an unreadable RECURRENCE-ID");
  if (v.size() == 16 && (v[15] == 'Z' || v[15] == 'z')) {
    t.utc = true;
  } else if (v.size() != 15) {
    return Bad("an unreadable RECURRENCE-ID");
  }
  t.local.minute_of_day = h * 60 + mi;
  t.seconds = s;
  return t;
}

std::string_view StripMailto(std::string_view v) {
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
  if (v.size() >= 7 && Upper(v.substr(0, 7)) == "MAILTO:") v.remove_prefix(7);
  return v;
}

}  // namespace

Result<ItipReply> ParseItipReply(std::string_view text, const ReplyLimits& limits) {
  if (text.size() > limits.max_bytes) return Bad("the calendar object is too large");
  if (text.find('\0') != std::string_view::npos) return Bad("a NUL in the calendar object");
  if (!IsValidUtf8(std::string(text))) return Bad("the calendar object is not UTF-8");

  // Unfold (RFC 5545 3.1): CRLF or a bare LF, then a space or tab, continues the line.
  std::vector<std::string> lines;
  {
    std::string cur;
    bool have = false;
    size_t i = 0;
    while (i <= text.size()) {
      size_t eol = text.find('\n', i);
      if (eol == std::string_view::npos) eol = text.size();
      std::string_view raw = text.substr(i, eol - i);
      if (!raw.empty() && raw.back() == '\r') raw.remove_suffix(1);
      if (!raw.empty() && (raw.front() == ' ' || raw.front() == '\t') && have) {
        cur.append(raw.substr(1));
      } else {
        if (have && !cur.empty()) lines.push_back(std::move(cur));
        cur = std::string(raw);
        have = true;
      }
      if (cur.size() > limits.max_line) return Bad("a content line is too long");
      if (lines.size() > limits.max_lines) return Bad("too many content lines");
      i = eol + 1;
    }
    if (have && !cur.empty()) lines.push_back(std::move(cur));
  }

  ItipReply out;
  std::vector<std::string> stack;  // open components
  int calendars = 0;
  int methods = 0;
  bool ended = false;
  ReplyEvent* event = nullptr;  // the VEVENT being read (directly: not inside a VALARM)
  bool uid_seen = false;
  for (const std::string& raw : lines) {
    ASSIGN_OR_RETURN(ContentLine line, ParseContentLine(raw));
    if (ended) return Bad("content after END:VCALENDAR");
    if (line.name == "BEGIN") {
      const std::string comp = Upper(line.value);
      if (stack.empty()) {
        if (comp != "VCALENDAR") return Bad("the object does not start with BEGIN:VCALENDAR");
        if (++calendars > 1) return Bad("more than one VCALENDAR");
      } else if (comp == "VCALENDAR") {
        return Bad("a VCALENDAR inside a VCALENDAR");
      }
      if (static_cast<int>(stack.size()) >= limits.max_depth)
        return Bad("components nest too deep");
      if (comp.empty() || comp.size() > 64 ||
          !std::all_of(comp.begin(), comp.end(), [](char c) { return NameChar(c); }))
        return Bad("a bad component name");
      stack.push_back(comp);
      if (stack.size() == 2 && comp == "VEVENT") {
        if (out.events.size() >= limits.max_events) return Bad("too many VEVENTs");
        out.events.emplace_back();
        event = &out.events.back();
        uid_seen = false;
      }
      continue;
    }
    if (stack.empty()) return Bad("a property outside VCALENDAR");
    if (line.name == "END") {
      if (Upper(line.value) != stack.back())
        return Bad("an END that does not close " + stack.back());
      if (stack.size() == 2 && stack.back() == "VEVENT") {
        if (event->uid.empty()) return Bad("a VEVENT without UID");
        if (event->attendees.empty()) return Bad("a VEVENT without ATTENDEE");
        event = nullptr;
      }
      stack.pop_back();
      if (stack.empty()) ended = true;
      continue;
    }
    if (stack.size() == 1) {
      if (line.name == "METHOD") {
        ++methods;
        if (Upper(line.value) != "REPLY") return Bad("METHOD is not REPLY");
      }
      continue;
    }
    if (!event || stack.size() != 2) continue;  // VTIMEZONE, VALARM, ...: not needed
    if (line.name == "UID") {
      if (uid_seen) return Bad("a VEVENT with two UIDs");
      uid_seen = true;
      event->uid = line.value;
    } else if (line.name == "RECURRENCE-ID") {
      if (event->recurrence_id) return Bad("a VEVENT with two RECURRENCE-IDs");
      ASSIGN_OR_RETURN(ReplyTime t, ParseReplyTime(line));
      event->recurrence_id = t;
    } else if (line.name == "SEQUENCE") {
      int seq = 0;
      const std::string& v = line.value;
      if (v.empty() || v.size() > 9 || !Digits(v, 0, v.size(), &seq))
        return Bad("an unreadable SEQUENCE");
      event->sequence = seq;
    } else if (line.name == "ATTENDEE") {
      if (event->attendees.size() >= limits.max_attendees) return Bad("too many ATTENDEEs");
      ReplyAttendee a;
      a.email = std::string(StripMailto(line.value));
      if (const std::string* p = line.Param("PARTSTAT")) a.partstat = Upper(*p);
      event->attendees.push_back(std::move(a));
    } else if (line.name == "COMMENT") {
      if (!event->comment.empty()) event->comment += "\n";
      event->comment += UnescapeText(line.value);
      if (event->comment.size() > limits.max_line) return Bad("COMMENT is too long");
    }
  }
  if (calendars == 0) return Bad("no VCALENDAR");
  if (!stack.empty()) return Bad("BEGIN:" + stack.back() + " is never closed");
  if (methods != 1) return Bad(methods == 0 ? "no METHOD" : "more than one METHOD");
  if (out.events.empty()) return Bad("no VEVENT");
  return out;
}

bool SameOccurrence(const ReplyTime& t, const std::string& tz, const LocalDateTime& original) {
  if (t.date_only) return t.local.date == original.date;
  if (t.seconds != 0) return false;
  if (!t.utc && (t.tzid.empty() || !IsKnownZone(t.tzid))) return t.local == original;
  auto want = ToUnix(tz, original, "recurrence_id");
  if (!want.ok()) return false;
  if (t.utc) return DaysFromCivil(t.local.date) * 86400 + t.local.minute_of_day * 60 == *want;
  auto got = ToUnix(t.tzid, t.local, "recurrence_id");
  return got.ok() && *got == *want;
}

}  // namespace convene::calendar
