// Civil (wall-clock) dates and times, and their conversion to UTC in an IANA time zone.
//
// Meetings are kept as local wall-clock times in their group's zone ("Mondays at 10:30 in
// London"), because that is what the organiser means and what iCalendar's TZID carries; UTC is
// derived when needed. The types are plain values. The zone functions are thread-safe (libical's
// zone cache is guarded by LibicalZoneMutex() of tz.h).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "calendar/status.h"

namespace convene::calendar {

struct CivilDate {
  int year = 1970;
  int month = 1;  // 1..12
  int day = 1;    // 1..31
  auto operator<=>(const CivilDate&) const = default;
};

struct LocalDateTime {
  CivilDate date;
  int minute_of_day = 0;  // 0..1439; seconds are never used by meetings
  auto operator<=>(const LocalDateTime&) const = default;
};

// Days since 1970-01-01 (proleptic Gregorian) and back.
int64_t DaysFromCivil(const CivilDate& d);
CivilDate CivilFromDays(int64_t days);
// 0 = Monday ... 6 = Sunday (ISO order).
int Weekday(const CivilDate& d);
int DaysInMonth(int year, int month);
CivilDate AddDays(const CivilDate& d, int64_t days);
LocalDateTime AddMinutes(const LocalDateTime& t, int64_t minutes);

// Strict parsers: "YYYY-MM-DD", "HH:MM", "YYYY-MM-DDTHH:MM" (":SS" of 00 tolerated). The Status
// names `field`.
Result<CivilDate> ParseDate(std::string_view s, const std::string& field);
Result<int> ParseTimeOfDay(std::string_view s, const std::string& field);
Result<LocalDateTime> ParseLocalDateTime(std::string_view s, const std::string& field);

std::string FormatDate(const CivilDate& d);           // 2010-07-12
std::string FormatTimeOfDay(int minute_of_day);       // 10:30
std::string FormatLocal(const LocalDateTime& t);      // 2010-07-12T10:30
std::string FormatIcalLocal(const LocalDateTime& t);  // 20100712T103000
std::string FormatIcalUtc(int64_t unix_seconds);      // 20100712T093000Z
std::string FormatIsoUtc(int64_t unix_seconds);       // 2010-07-12T09:30:00Z
std::string FormatHttpDate(int64_t unix_seconds);     // Mon, 12 Jul 2010 09:30:00 GMT
// Parses an IMF-fixdate (and the two obsolete forms); -1 when it is not a date.
int64_t ParseHttpDate(std::string_view s);

// True when `tz` is a zone or link name of the IANA tz database (e.g. "Europe/London", "UTC") that
// the system can load; not "localtime", "posixrules", "Factory" or "right/..." (issue 8).
bool IsKnownZone(const std::string& tz);

// UTC offset in seconds east of Greenwich at the given instant.
Result<int> UtcOffsetAt(const std::string& tz, int64_t unix_seconds);

// The instant of a wall-clock time in `tz`. A time that does not exist (inside the spring-forward
// gap) is an InvalidArgument naming `field`; an ambiguous one (autumn overlap) takes the first,
// daylight, occurrence, as RFC 5545 section 3.3.5 says.
Result<int64_t> ToUnix(const std::string& tz, const LocalDateTime& t,
                       const std::string& field = "start");

// The wall-clock time in `tz` of an instant.
Result<LocalDateTime> FromUnix(const std::string& tz, int64_t unix_seconds);

// ISO 8601 with offset, as the API speaks: 2010-07-12T10:30:00+01:00.
Result<std::string> FormatIsoWithOffset(const std::string& tz, const LocalDateTime& t);

}  // namespace convene::calendar
