// Pure checks on the domain: field validation, venue clashes, the quorum forecast.
//
// No I/O: every function takes the values it judges and returns a Status naming the field that
// must change. Thread-safe.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "calendar/model.h"
#include "calendar/status.h"

namespace convene::calendar {

// Text typed by people: trimmed, 1..max_len characters of valid UTF-8, no control characters
// (CR/LF and TAB included) unless `multiline` (then CR/LF/TAB are allowed; CRLF becomes LF).
Result<std::string> CleanText(const std::string& value, const std::string& field, size_t max_len,
                              bool required, bool multiline = false);
// An addr-spec we are willing to put in a mail header or an iCalendar CAL-ADDRESS: ASCII,
// local@domain, no spaces, quotes, angle brackets or control characters; lower-cases the domain.
Result<std::string> CleanEmail(const std::string& value, const std::string& field);
// [a-z0-9][a-z0-9-]{1,39}
Status ValidateSlug(const std::string& slug);
bool IsValidUtf8(const std::string& s);

// A meeting that would overlap another scheduled meeting at the same venue. `others` are the
// venue's meetings on the same date(s) (the caller's query); `self_id` is skipped.
struct Busy {
  Id meeting_id = 0;
  std::string group_name;
  LocalDateTime start;
  int duration_minutes = 0;
};
std::optional<Busy> FindClash(const LocalDateTime& start, int duration_minutes,
                              const std::vector<Busy>& others, Id self_id);

struct QuorumForecast {
  int members = 0;
  int apologies = 0;
  int expected = 0;               // members - apologies
  std::optional<int> required;    // the group's quorum, if it has one
  bool at_risk() const { return required && expected < *required; }
};
QuorumForecast ForecastQuorum(int members, int apologies, std::optional<int> quorum);

}  // namespace convene::calendar
