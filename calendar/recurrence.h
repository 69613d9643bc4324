// Recurrence: an RRULE or an explicit list of dates -> the dates of the meetings.
//
// Expansion goes through libical but is bounded three ways, because libical 3.0.16 can spin on
// impossible rules (hardening.md 1.4): only FREQ=DAILY/WEEKLY/MONTHLY/YEARLY, no BYHOUR/BYMINUTE/
// BYSECOND (the time of day is the series' start time), COUNT or UNTIL required, at most
// `max_occurrences` meetings within `horizon_years` of the first date, and a wall-clock budget.
// Rules that can never produce a date (30 February) are refused before libical sees them.
// Thread-safe: no shared state.
#pragma once

#include <string>
#include <vector>

#include "calendar/civil.h"
#include "calendar/status.h"

namespace convene::calendar {

struct RecurrenceLimits {
  int max_occurrences = 500;  // a fortnightly series for 19 years
  int horizon_years = 20;     // UNTIL may not be further than this from the first date
  int budget_ms = 250;        // wall-clock cap on one expansion
};

struct Expansion {
  // The rule as stored and written to feeds: keys upper-cased and ordered as typed, UNTIL
  // rewritten by NormalizeUntil when the caller knows the zone.
  std::string rrule;
  std::vector<CivilDate> dates;  // ascending; dates.front() is DTSTART's date
};

// Expands `rrule` (e.g. "FREQ=MONTHLY;INTERVAL=2;BYDAY=3MO;COUNT=5") from `first_date`.
// When `first_date` is not itself on the pattern, the series starts at the first date that is
// (so DTSTART is always an occurrence, RFC 5545 3.8.5.3). Errors are InvalidArgument on "rrule"
// (or "first_date"), with a message that says what to change.
Result<Expansion> ExpandRule(const std::string& rrule, const CivilDate& first_date,
                             const RecurrenceLimits& limits = {});

// Validates an explicit list: 1..max_occurrences distinct dates; returns them sorted.
Result<std::vector<CivilDate>> NormalizeDates(const std::vector<CivilDate>& dates,
                                              const RecurrenceLimits& limits = {});

// Rewrites UNTIL in `rrule` as the UTC instant of the last occurrence (RFC 5545 3.3.10: UNTIL
// must be UTC when DTSTART carries a TZID, and never before DTSTART).
std::string WithUtcUntil(const std::string& rrule, const std::string& utc_until);

}  // namespace convene::calendar
