#include "calendar/words.h"

#include <algorithm>

namespace convene::calendar {
namespace {

const char* const kWeekdays[] = {"Monday", "Tuesday",  "Wednesday", "Thursday",
                                 "Friday", "Saturday", "Sunday"};
const char* const kMonths[] = {"January",   "February", "March",    "April",
                               "May",       "June",     "July",     "August",
                               "September", "October",  "November", "December"};

// `full` names, or their first three letters ("Mon", "Jan").
std::string DateWords(const CivilDate& d, bool full) {
  const size_t len = full ? std::string::npos : 3;
  const std::string weekday = std::string(kWeekdays[Weekday(d)]).substr(0, len);
  const std::string month = std::string(kMonths[std::clamp(d.month, 1, 12) - 1]).substr(0, len);
  return weekday + " " + std::to_string(d.day) + " " + month + " " + std::to_string(d.year);
}

}  // namespace

std::string LongDate(const CivilDate& d) { return DateWords(d, true); }

std::string ShortDate(const CivilDate& d) { return DateWords(d, false); }

std::string MonthYear(int year, int month) {
  return std::string(kMonths[std::clamp(month, 1, 12) - 1]) + " " + std::to_string(year);
}

std::string WeekdayWord(int weekday) { return kWeekdays[std::clamp(weekday, 0, 6)]; }

std::string TimeRange(const LocalDateTime& start, int duration_minutes) {
  return FormatTimeOfDay(start.minute_of_day) + " to " +
         FormatTimeOfDay(AddMinutes(start, duration_minutes).minute_of_day);
}

}  // namespace convene::calendar
