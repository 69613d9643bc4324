// English words for dates and times, as people read them in pages, notices and minutes:
// "Monday 17 May 2027", "Mon 17 May 2027", "10:30 to 15:30". The one home of the weekday and
// month names convene writes for people; server/pages, server/ops (the minutes heading) and
// notify/compose all take them from here. Machine formats keep their fixed tokens where they are
// written (HTTP dates in civil.cc, RFC 5322 dates in notify/rfc5322.cc).
//
// Pure functions of their arguments; thread-safe.
#pragma once

#include <string>

#include "calendar/civil.h"

namespace convene::calendar {

std::string LongDate(const CivilDate& d);    // Monday 17 May 2027
std::string ShortDate(const CivilDate& d);   // Mon 17 May 2027
std::string MonthYear(int year, int month);  // May 2027 (month 1..12)
std::string WeekdayWord(int weekday);        // Monday (0 = Monday ... 6 = Sunday, as Weekday)
// The wall-clock times from `start` to `duration_minutes` later: "10:30 to 15:30" (only the
// times; a meeting past midnight ends on the next day's clock).
std::string TimeRange(const LocalDateTime& start, int duration_minutes);

}  // namespace convene::calendar
