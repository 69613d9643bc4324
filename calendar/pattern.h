// Series patterns in words: what an organiser means by "every other month on the 3rd Monday,
// 6 times", as a value, as the RRULE convene stores, and back in words.
//
// A Pattern covers what committees use: weekly or monthly, every n weeks or months, on one
// weekday, monthly on the 1st to 4th or the last such weekday of the month, ending after a count
// or on a date. Anything else stays possible through a raw RRULE (recurrence.h).
// Pure functions, thread-safe.
#pragma once

#include <optional>
#include <string>

#include "calendar/civil.h"
#include "calendar/status.h"

namespace convene::calendar {

struct Pattern {
  std::string freq;                  // "weekly" | "monthly"
  int interval = 1;                  // every n weeks or months, 1..12
  std::string weekday;               // "MO".."SU"
  std::optional<int> week_of_month;  // monthly only: 1..4, or -1 for the last
  std::optional<int> count;          // 1..500
  std::optional<CivilDate> until;    // the last possible date
};

// The RRULE of `p` ("FREQ=MONTHLY;INTERVAL=2;BYDAY=3MO;COUNT=6"). Errors name the field under
// "pattern." that must change (e.g. "pattern.week_of_month").
Result<std::string> PatternToRrule(const Pattern& p);

// A rule in words: "Every 2 months on the 3rd Monday, 6 times", "Every week on Tuesday, until
// Friday 31 December 2027". Rules beyond what a Pattern can say are returned as they are.
std::string DescribeRule(const std::string& rrule);

// "MO" -> "Monday" (empty for anything else).
std::string WeekdayName(const std::string& code);

}  // namespace convene::calendar
