#include "calendar/recurrence.h"

#include <libical/ical.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <set>
#include <sstream>

#include "calendar/words.h"

namespace convene::calendar {
namespace {

constexpr const char* kField = "rrule";

std::vector<std::string> Split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string cur;
  std::istringstream in(s);
  while (std::getline(in, cur, sep)) out.push_back(cur);
  return out;
}

std::string Upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

bool ParseIntList(const std::string& v, int lo, int hi, bool allow_negative,
                  std::vector<int>* out) {
  for (const std::string& p : Split(v, ',')) {
    if (p.empty() || p.size() > 4) return false;
    size_t i = (p[0] == '-' || p[0] == '+') ? 1 : 0;
    if (i == 1 && p[0] == '-' && !allow_negative) return false;
    if (i >= p.size()) return false;
    for (size_t j = i; j < p.size(); ++j)
      if (!std::isdigit(static_cast<unsigned char>(p[j]))) return false;
    int n = std::atoi(p.c_str());
    if (n == 0 || std::abs(n) < lo || std::abs(n) > hi) return false;
    out->push_back(n);
  }
  return !out->empty();
}

// A BYMONTHDAY/BYMONTH pair where no month in the list has any of the days: never happens.
bool MonthDaysImpossible(const std::vector<int>& months, const std::vector<int>& days) {
  if (months.empty() || days.empty()) return false;
  for (int m : months) {
    int longest = m == 2 ? 29 : DaysInMonth(2001, m);
    for (int d : days)
      if (std::abs(d) <= longest) return false;
  }
  return true;
}

}  // namespace

Result<Expansion> ExpandRule(const std::string& rrule_in, const CivilDate& first_date,
                             const RecurrenceLimits& limits) {
  std::string rrule = rrule_in;
  if (rrule.rfind("RRULE:", 0) == 0) rrule = rrule.substr(6);
  if (rrule.empty() || rrule.size() > 256)
    return InvalidArgument(
        kField, "rrule must be 1 to 256 characters, e.g. FREQ=MONTHLY;BYDAY=3MO;COUNT=5");
  for (char c : rrule)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '=' || c == ';' || c == ',' ||
          c == '-' || c == '+'))
      return InvalidArgument(kField, "rrule may contain only letters, digits and = ; , - +");

  std::vector<std::string> parts;
  std::set<std::string> seen;
  std::string freq;
  bool has_count = false, has_until = false;
  std::vector<int> months, monthdays;
  int count = 0;
  for (const std::string& raw : Split(rrule, ';')) {
    auto eq = raw.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == raw.size())
      return InvalidArgument(kField, "rrule part '" + raw + "' must be KEY=VALUE");
    std::string key = Upper(raw.substr(0, eq));
    std::string val = Upper(raw.substr(eq + 1));
    if (!seen.insert(key).second) return InvalidArgument(kField, "rrule repeats " + key);
    if (key == "FREQ") {
      if (val != "DAILY" && val != "WEEKLY" && val != "MONTHLY" && val != "YEARLY")
        return InvalidArgument(kField, "FREQ must be DAILY, WEEKLY, MONTHLY or YEARLY");
      freq = val;
    } else if (key == "COUNT") {
      std::vector<int> v;
      if (!ParseIntList(val, 1, 100000, false, &v) || v.size() != 1)
        return InvalidArgument(kField, "COUNT must be a positive whole number");
      count = v[0];
      if (count > limits.max_occurrences)
        return InvalidArgument(kField,
                               "COUNT may be at most " + std::to_string(limits.max_occurrences));
      has_count = true;
    } else if (key == "UNTIL") {
      has_until = true;
      if (!(val.size() == 8 || (val.size() == 16 && val[8] == 'T' && val[15] == 'Z') ||
            (val.size() == 15 && val[8] == 'T')))
        return InvalidArgument(kField, "UNTIL must be YYYYMMDD or YYYYMMDDTHHMMSSZ");
    } else if (key == "INTERVAL") {
      std::vector<int> v;
      if (!ParseIntList(val, 1, 99, false, &v) || v.size() != 1)
        return InvalidArgument(kField, "INTERVAL must be a whole number from 1 to 99");
    } else if (key == "BYMONTH") {
      if (!ParseIntList(val, 1, 12, false, &months))
        return InvalidArgument(kField, "BYMONTH must list months 1 to 12");
    } else if (key == "BYMONTHDAY") {
      if (!ParseIntList(val, 1, 31, true, &monthdays))
        return InvalidArgument(kField, "BYMONTHDAY must list days 1 to 31 (or -31 to -1)");
    } else if (key == "BYDAY" || key == "BYSETPOS" || key == "BYYEARDAY" || key == "WKST") {
      // Checked by libical below.
    } else if (key == "BYHOUR" || key == "BYMINUTE" || key == "BYSECOND") {
      return InvalidArgument(kField,
                             key + " is not allowed: the series' start_time sets the time of day");
    } else {
      return InvalidArgument(kField, "unknown rrule part " + key);
    }
    parts.push_back(key + "=" + val);
  }
  if (freq.empty())
    return InvalidArgument(kField, "rrule needs FREQ (DAILY, WEEKLY, MONTHLY or YEARLY)");
  if (has_count == has_until)
    return InvalidArgument(kField, "rrule needs exactly one of COUNT or UNTIL, so the series ends");
  if (MonthDaysImpossible(months, monthdays))
    return InvalidArgument(kField,
                           "rrule can never happen: no month in BYMONTH has that BYMONTHDAY");
  // FREQ first, as RFC 5545 recommends and some readers expect.
  std::stable_partition(parts.begin(), parts.end(),
                        [](const std::string& p) { return p.rfind("FREQ=", 0) == 0; });
  std::string normalized;
  for (const std::string& p : parts) normalized += (normalized.empty() ? "" : ";") + p;

  icalerror_clear_errno();
  icalrecurrencetype recur = icalrecurrencetype_from_string(normalized.c_str());
  if (recur.freq == ICAL_NO_RECURRENCE || icalerrno != ICAL_NO_ERROR) {
    icalerror_clear_errno();
    return InvalidArgument(kField, "rrule is not a valid RFC 5545 recurrence rule");
  }
  if (has_until) {
    const CivilDate until{recur.until.year, recur.until.month, recur.until.day};
    if (until < first_date) return InvalidArgument(kField, "UNTIL is before the first date");
    if (until.year > first_date.year + limits.horizon_years)
      return InvalidArgument(kField, "UNTIL may be at most " +
                                         std::to_string(limits.horizon_years) +
                                         " years after the first date");
  }

  icaltimetype dtstart = icaltime_null_time();
  dtstart.year = first_date.year;
  dtstart.month = first_date.month;
  dtstart.day = first_date.day;
  dtstart.is_date = 1;

  // Expand without COUNT first (so an off-pattern first date does not eat one), then apply it.
  icalrecurrencetype open = recur;
  open.count = 0;
  if (!has_until) {
    // A horizon stands in for COUNT during expansion.
    open.until = icaltime_null_time();
    open.until.year = first_date.year + limits.horizon_years;
    open.until.month = 12;
    open.until.day = 31;
    open.until.is_date = 1;
  }
  icalrecur_iterator* it = icalrecur_iterator_new(open, dtstart);
  if (!it) {
    icalerror_clear_errno();
    return InvalidArgument(kField, "rrule cannot be expanded from that first date");
  }
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(limits.budget_ms);
  std::vector<CivilDate> dates;
  const int want = has_count ? count : limits.max_occurrences + 1;
  const int last_year = first_date.year + limits.horizon_years;
  Status failure;
  for (int guard = 0; guard < 100000 && static_cast<int>(dates.size()) < want; ++guard) {
    icaltimetype t = icalrecur_iterator_next(it);
    if (icaltime_is_null_time(t)) break;
    if (t.year > last_year) break;
    CivilDate d{t.year, t.month, t.day};
    if (d < first_date) continue;
    dates.push_back(d);
    if (std::chrono::steady_clock::now() > deadline) {
      failure = InvalidArgument(kField, "rrule takes too long to expand; use a simpler rule");
      break;
    }
  }
  icalrecur_iterator_free(it);
  icalerror_clear_errno();
  if (!failure.ok()) return failure;
  if (static_cast<int>(dates.size()) > limits.max_occurrences)
    return InvalidArgument(kField, "rrule gives more than " +
                                       std::to_string(limits.max_occurrences) +
                                       " meetings; lower COUNT or bring UNTIL closer");
  if (dates.empty())
    return InvalidArgument(kField, "rrule gives no meeting within " +
                                       std::to_string(limits.horizon_years) +
                                       " years of the first date");
  if (has_count && static_cast<int>(dates.size()) < count)
    // The feed would promise COUNT meetings and the store hold fewer: refuse rather than drift.
    return InvalidArgument(kField, "rrule gives only " + std::to_string(dates.size()) +
                                       " meetings within " + std::to_string(limits.horizon_years) +
                                       " years, fewer than COUNT");
  Expansion out;
  out.rrule = normalized;
  out.dates = std::move(dates);
  return out;
}

Result<std::vector<CivilDate>> NormalizeDates(const std::vector<CivilDate>& dates,
                                              const RecurrenceLimits& limits) {
  if (dates.empty()) return InvalidArgument("dates", "dates must list at least one date");
  if (static_cast<int>(dates.size()) > limits.max_occurrences)
    return InvalidArgument("dates",
                           "dates may list at most " + std::to_string(limits.max_occurrences));
  std::vector<CivilDate> out = dates;
  std::sort(out.begin(), out.end());
  if (std::adjacent_find(out.begin(), out.end()) != out.end())
    return InvalidArgument(
        "dates", "dates lists " + LongDate(*std::adjacent_find(out.begin(), out.end())) + " twice");
  return out;
}

std::string WithUtcUntil(const std::string& rrule, const std::string& utc_until) {
  std::string out;
  for (const std::string& p : Split(rrule, ';')) {
    out += out.empty() ? "" : ";";
    out += p.rfind("UNTIL=", 0) == 0 ? "UNTIL=" + utc_until : p;
  }
  return out;
}

}  // namespace convene::calendar
