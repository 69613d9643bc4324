#include "calendar/pattern.h"

#include <array>
#include <map>
#include <sstream>
#include <vector>

#include "calendar/words.h"

namespace convene::calendar {
namespace {

constexpr std::array<const char*, 7> kCodes = {"MO", "TU", "WE", "TH", "FR", "SA", "SU"};
constexpr std::array<const char*, 7> kNames = {"Monday", "Tuesday",  "Wednesday", "Thursday",
                                               "Friday", "Saturday", "Sunday"};

std::string Ordinal(int n) {
  switch (n) {
    case -1:
      return "last";
    case 1:
      return "1st";
    case 2:
      return "2nd";
    case 3:
      return "3rd";
    default:
      return std::to_string(n) + "th";
  }
}

}  // namespace

std::string WeekdayName(const std::string& code) {
  for (size_t i = 0; i < kCodes.size(); ++i)
    if (code == kCodes[i]) return kNames[i];
  return "";
}

Result<std::string> PatternToRrule(const Pattern& p) {
  if (p.freq != "weekly" && p.freq != "monthly")
    return InvalidArgument("pattern.freq", "pattern.freq must be weekly or monthly");
  if (p.interval < 1 || p.interval > 12)
    return InvalidArgument("pattern.interval", "pattern.interval must be from 1 to 12");
  if (WeekdayName(p.weekday).empty())
    return InvalidArgument("pattern.weekday",
                           "pattern.weekday must be one of MO, TU, WE, TH, FR, SA, SU");
  if (p.week_of_month) {
    if (p.freq != "monthly")
      return InvalidArgument("pattern.week_of_month",
                             "pattern.week_of_month goes with a monthly pattern only (a weekly "
                             "one meets every week)");
    const int w = *p.week_of_month;
    if (w != -1 && (w < 1 || w > 4))
      return InvalidArgument("pattern.week_of_month",
                             "pattern.week_of_month must be 1 to 4, or -1 for the last");
  } else if (p.freq == "monthly") {
    return InvalidArgument("pattern.week_of_month",
                           "a monthly pattern needs week_of_month: 1 to 4, or -1 for the last");
  }
  if (p.count.has_value() == p.until.has_value())
    return InvalidArgument(p.count ? "pattern.until" : "pattern.count",
                           "a pattern ends after a count of meetings or on an until date: give "
                           "one of them");
  if (p.count && (*p.count < 1 || *p.count > 500))
    return InvalidArgument("pattern.count", "pattern.count must be from 1 to 500");
  std::string r = p.freq == "weekly" ? "FREQ=WEEKLY" : "FREQ=MONTHLY";
  if (p.interval != 1) r += ";INTERVAL=" + std::to_string(p.interval);
  r += ";BYDAY=";
  if (p.week_of_month) r += std::to_string(*p.week_of_month);
  r += p.weekday;
  if (p.count) r += ";COUNT=" + std::to_string(*p.count);
  if (p.until) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%04d%02d%02d", p.until->year, p.until->month, p.until->day);
    r += ";UNTIL=";
    r += buf;
  }
  return r;
}

std::string DescribeRule(const std::string& rrule) {
  std::map<std::string, std::string> parts;
  std::istringstream in(rrule);
  std::string part;
  while (std::getline(in, part, ';')) {
    auto eq = part.find('=');
    if (eq == std::string::npos) return rrule;
    parts[part.substr(0, eq)] = part.substr(eq + 1);
  }
  const std::string freq = parts["FREQ"];
  if (freq != "WEEKLY" && freq != "MONTHLY") return rrule;
  for (const auto& [k, v] : parts)
    if (k != "FREQ" && k != "INTERVAL" && k != "BYDAY" && k != "COUNT" && k != "UNTIL" &&
        k != "WKST")
      return rrule;
  int interval = 1;
  if (parts.count("INTERVAL")) {
    interval = std::atoi(parts["INTERVAL"].c_str());
    if (interval < 1) return rrule;
  }
  const std::string byday = parts["BYDAY"];
  if (byday.size() < 2 || byday.find(',') != std::string::npos) return rrule;
  const std::string day = WeekdayName(byday.substr(byday.size() - 2));
  if (day.empty()) return rrule;
  const std::string nth = byday.substr(0, byday.size() - 2);
  const char* unit = freq == "WEEKLY" ? "week" : "month";
  std::string out = interval == 1   ? std::string("Every ") + unit
                    : interval == 2 ? std::string("Every other ") + unit
                                    : "Every " + std::to_string(interval) + " " + unit + "s";
  if (freq == "WEEKLY") {
    if (!nth.empty()) return rrule;
    out += " on " + day;
  } else {
    if (nth.empty()) return rrule;
    const int n = std::atoi(nth.c_str());
    if (n != -1 && (n < 1 || n > 4)) return rrule;
    out += " on the " + Ordinal(n) + " " + day;
  }
  if (parts.count("COUNT")) {
    const int c = std::atoi(parts["COUNT"].c_str());
    out += c == 1 ? ", once" : ", " + std::to_string(c) + " times";
  } else if (parts.count("UNTIL") && parts["UNTIL"].size() >= 8) {
    const std::string u = parts["UNTIL"];
    CivilDate d{std::atoi(u.substr(0, 4).c_str()), std::atoi(u.substr(4, 2).c_str()),
                std::atoi(u.substr(6, 2).c_str())};
    out += ", until " + LongDate(d);
  }
  return out;
}

}  // namespace convene::calendar
