#include "calendar/civil.h"

#include <libical/ical.h>

#include <cctype>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <mutex>
#include <set>
#include <sstream>

#include "calendar/tz.h"
#include "calendar/words.h"

namespace convene::calendar {
namespace {

// libical's builtin-zone cache is loaded lazily and is not safe to fill from two threads; the one
// mutex that guards it lives in tz.cc, shared with the VTIMEZONE code.
std::mutex& ZoneMutex() { return LibicalZoneMutex(); }

bool AllDigits(std::string_view s) {
  for (char c : s)
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  return !s.empty();
}

int ToInt(std::string_view s) {
  int v = 0;
  for (char c : s) v = v * 10 + (c - '0');
  return v;
}

icaltimezone* Zone(const std::string& tz) {
  if (tz.empty() || tz.size() > 64) return nullptr;
  return icaltimezone_get_builtin_timezone(tz.c_str());
}

// The zone and link names of the tz database (tzdata.zi: "Z name ..." and "L target name"), or,
// where a system lacks that file, the names of zone1970.tab and zone.tab. Files under the
// zoneinfo folder that are no zone of the database are left out: "localtime" (the host's own
// zone), "posixrules", "Factory", and the "right/" and "posix/" copies.
std::set<std::string> LoadZoneNames() {
  std::set<std::string> names{"UTC", "Etc/UTC"};
  std::ifstream zi("/usr/share/zoneinfo/tzdata.zi");
  std::string line;
  bool any = false;
  while (std::getline(zi, line)) {
    std::istringstream in(line);
    std::string kind, a, b;
    in >> kind >> a >> b;
    if (kind == "Z") names.insert(a), any = true;
    if (kind == "L") names.insert(b), any = true;
  }
  if (!any) {
    for (const char* tab : {"/usr/share/zoneinfo/zone1970.tab", "/usr/share/zoneinfo/zone.tab"}) {
      std::ifstream f(tab);
      while (std::getline(f, line)) {
        if (line.empty() || line[0] == '#') continue;
        std::istringstream in(line);
        std::string codes, coords, name;
        in >> codes >> coords >> name;
        if (!name.empty()) names.insert(name);
      }
    }
  }
  names.erase("Factory");
  names.erase("posixrules");
  names.erase("localtime");
  return names;
}

}  // namespace

int64_t DaysFromCivil(const CivilDate& d) {
  // Howard Hinnant's days_from_civil.
  int y = d.year - (d.month <= 2 ? 1 : 0);
  const int era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned mp = static_cast<unsigned>(d.month > 2 ? d.month - 3 : d.month + 9);
  const unsigned doy = (153 * mp + 2) / 5 + static_cast<unsigned>(d.day) - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return static_cast<int64_t>(era) * 146097 + static_cast<int64_t>(doe) - 719468;
}

CivilDate CivilFromDays(int64_t z) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return CivilDate{static_cast<int>(y + (m <= 2 ? 1 : 0)), static_cast<int>(m),
                   static_cast<int>(d)};
}

int Weekday(const CivilDate& d) {
  const int64_t days = DaysFromCivil(d);  // 1970-01-01 was a Thursday (3)
  return static_cast<int>(((days % 7) + 7 + 3) % 7);
}

int DaysInMonth(int year, int month) {
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month == 2 && ((year % 4 == 0 && year % 100 != 0) || year % 400 == 0)) return 29;
  return kDays[(month - 1) % 12];
}

CivilDate AddDays(const CivilDate& d, int64_t days) {
  return CivilFromDays(DaysFromCivil(d) + days);
}

LocalDateTime AddMinutes(const LocalDateTime& t, int64_t minutes) {
  int64_t total = DaysFromCivil(t.date) * 1440 + t.minute_of_day + minutes;
  int64_t days = total >= 0 ? total / 1440 : (total - 1439) / 1440;
  return LocalDateTime{CivilFromDays(days), static_cast<int>(total - days * 1440)};
}

Result<CivilDate> ParseDate(std::string_view s, const std::string& field) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-' || !AllDigits(s.substr(0, 4)) ||
      !AllDigits(s.substr(5, 2)) || !AllDigits(s.substr(8, 2)))
    return InvalidArgument(field, field + " must be a date YYYY-MM-DD");
  CivilDate d{ToInt(s.substr(0, 4)), ToInt(s.substr(5, 2)), ToInt(s.substr(8, 2))};
  if (d.year < 1900 || d.year > 2200)
    return InvalidArgument(field, field + " must be a year between 1900 and 2200");
  if (d.month < 1 || d.month > 12 || d.day < 1 || d.day > DaysInMonth(d.year, d.month))
    return InvalidArgument(field, field + " is not a date in the calendar: " + std::string(s));
  return d;
}

Result<int> ParseTimeOfDay(std::string_view s, const std::string& field) {
  if (s.size() == 8 && s.substr(5) == ":00") s = s.substr(0, 5);
  if (s.size() != 5 || s[2] != ':' || !AllDigits(s.substr(0, 2)) || !AllDigits(s.substr(3, 2)))
    return InvalidArgument(field, field + " must be HH:MM");
  int h = ToInt(s.substr(0, 2)), m = ToInt(s.substr(3, 2));
  if (h > 23 || m > 59)
    return InvalidArgument(field, field + " must be HH:MM between 00:00 and 23:59");
  return h * 60 + m;
}

Result<LocalDateTime> ParseLocalDateTime(std::string_view s, const std::string& field) {
  if (s.size() < 16 || (s[10] != 'T' && s[10] != ' '))
    return InvalidArgument(field,
                           field + " must be YYYY-MM-DDTHH:MM (local time in the group's zone)");
  auto date = ParseDate(s.substr(0, 10), field);
  if (!date.ok()) return date.status();
  auto tod = ParseTimeOfDay(s.substr(11), field);
  if (!tod.ok())
    return InvalidArgument(field,
                           field + " must be YYYY-MM-DDTHH:MM (local time in the group's zone)");
  return LocalDateTime{*date, *tod};
}

std::string FormatDate(const CivilDate& d) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", d.year, d.month, d.day);
  return buf;
}

std::string FormatTimeOfDay(int m) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%02d:%02d", m / 60, m % 60);
  return buf;
}

std::string FormatLocal(const LocalDateTime& t) {
  return FormatDate(t.date) + "T" + FormatTimeOfDay(t.minute_of_day);
}

std::string FormatIcalLocal(const LocalDateTime& t) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%04d%02d%02dT%02d%02d00", t.date.year, t.date.month, t.date.day,
                t.minute_of_day / 60, t.minute_of_day % 60);
  return buf;
}

namespace {
std::string FormatUtc(int64_t s, const char* format) {
  std::time_t tt = static_cast<std::time_t>(s);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, format, &tm);
  return buf;
}
}  // namespace

std::string FormatIcalUtc(int64_t s) { return FormatUtc(s, "%Y%m%dT%H%M%SZ"); }

std::string FormatIsoUtc(int64_t s) { return FormatUtc(s, "%Y-%m-%dT%H:%M:%SZ"); }

std::string FormatHttpDate(int64_t s) {
  static const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::time_t tt = static_cast<std::time_t>(s);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d GMT", kDays[tm.tm_wday],
                tm.tm_mday, kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                tm.tm_sec);
  return buf;
}

int64_t ParseHttpDate(std::string_view s) {
  if (s.size() > 64) return -1;
  std::string str(s);
  static const char* kFormats[] = {"%a, %d %b %Y %H:%M:%S GMT", "%A, %d-%b-%y %H:%M:%S GMT",
                                   "%a %b %e %H:%M:%S %Y"};
  for (const char* f : kFormats) {
    std::tm tm{};
    const char* end = strptime(str.c_str(), f, &tm);
    if (end && *end == '\0') return static_cast<int64_t>(timegm(&tm));
  }
  return -1;
}

bool IsKnownZone(const std::string& tz) {
  if (tz.empty() || tz.size() > 64) return false;
  for (char c : tz)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '/' || c == '_' || c == '-' ||
          c == '+'))
      return false;
  static const std::set<std::string> names = LoadZoneNames();
  if (names.count(tz) == 0) return false;
  std::lock_guard<std::mutex> lock(ZoneMutex());
  return Zone(tz) != nullptr;
}

Result<int> UtcOffsetAt(const std::string& tz, int64_t unix_seconds) {
  std::lock_guard<std::mutex> lock(ZoneMutex());
  icaltimezone* zone = Zone(tz);
  if (!zone) return InvalidArgument("timezone", "unknown time zone " + tz);
  icaltimetype utc = icaltime_from_timet_with_zone(static_cast<time_t>(unix_seconds), 0,
                                                   icaltimezone_get_utc_timezone());
  int is_daylight = 0;
  return icaltimezone_get_utc_offset_of_utc_time(zone, &utc, &is_daylight);
}

Result<int64_t> ToUnix(const std::string& tz, const LocalDateTime& t, const std::string& field) {
  std::lock_guard<std::mutex> lock(ZoneMutex());
  icaltimezone* zone = Zone(tz);
  if (!zone) return InvalidArgument("timezone", "unknown time zone " + tz);
  const int64_t naive = (DaysFromCivil(t.date) * 1440 + t.minute_of_day) * 60;
  auto offset_at = [zone](int64_t instant) {
    icaltimetype utc = icaltime_from_timet_with_zone(static_cast<time_t>(instant), 0,
                                                     icaltimezone_get_utc_timezone());
    int is_daylight = 0;
    return icaltimezone_get_utc_offset_of_utc_time(zone, &utc, &is_daylight);
  };
  // The offsets in force a day either side cover every transition; a candidate is valid when the
  // offset at the instant it gives is the one assumed. Two valid ones: the autumn overlap, where
  // RFC 5545 3.3.5 takes the first (earlier) instant. None: the spring-forward gap.
  int64_t best = 0;
  bool found = false;
  for (int64_t probe : {naive - 86400, naive + 86400}) {
    const int64_t candidate = naive - offset_at(probe);
    if (offset_at(candidate) == naive - candidate && (!found || candidate < best)) {
      best = candidate;
      found = true;
    }
  }
  if (!found)
    return InvalidArgument(field, LongDate(t.date) + " at " + FormatTimeOfDay(t.minute_of_day) +
                                      " does not exist in " + tz + " (the clocks go forward then)");
  return best;
}

Result<LocalDateTime> FromUnix(const std::string& tz, int64_t unix_seconds) {
  auto off = UtcOffsetAt(tz, unix_seconds);
  if (!off.ok()) return off.status();
  const int64_t local = unix_seconds + *off;
  const int64_t days = local >= 0 ? local / 86400 : (local - 86399) / 86400;
  return LocalDateTime{CivilFromDays(days), static_cast<int>((local - days * 86400) / 60)};
}

Result<std::string> FormatIsoWithOffset(const std::string& tz, const LocalDateTime& t) {
  auto u = ToUnix(tz, t);
  if (!u.ok()) return u.status();
  auto off = UtcOffsetAt(tz, *u);
  if (!off.ok()) return off.status();
  int o = *off;
  char sign = o < 0 ? '-' : '+';
  if (o < 0) o = -o;
  char buf[16];
  std::snprintf(buf, sizeof buf, "%c%02d:%02d", sign, o / 3600, (o % 3600) / 60);
  return FormatLocal(t) + ":00" + buf;
}

}  // namespace convene::calendar
