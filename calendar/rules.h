// Pure checks on the domain: field validation, venue clashes, the quorum forecast.
//
// No I/O: every function takes the values it judges and returns a Status naming the field that
// must change. Thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "calendar/model.h"
#include "calendar/status.h"

namespace convene::calendar {

// Text typed by people: trimmed, 1..max_len characters of valid UTF-8. Refused (naming `field`
// and the character): C0/C1 controls (TAB, NEL included), DEL, bidi embeddings, overrides and
// isolates, U+200B/U+2060/U+FEFF, and, unless `multiline`, line breaks (CR, LF, U+2028/2029).
// A multi-line value keeps its line breaks as LF (CRLF is one) and its tabs as spaces.
Result<std::string> CleanText(const std::string& value, const std::string& field, size_t max_len,
                              bool required, bool multiline = false);
// ASCII letters lower-cased, everything else kept: how email addresses are compared and keyed
// (the members.email column is COLLATE NOCASE, which folds ASCII only, too).
std::string LowerAscii(std::string s);
// An addr-spec we are willing to put in a mail header or an iCalendar CAL-ADDRESS: ASCII,
// local@domain, no spaces, quotes, angle brackets or control characters; lower-cases the domain.
Result<std::string> CleanEmail(const std::string& value, const std::string& field);
// [a-z0-9][a-z0-9-]{1,39}
Status ValidateSlug(const std::string& slug);
bool IsValidUtf8(const std::string& s);
// Decodes the code point at s[i] of text already checked by IsValidUtf8; returns its length.
size_t NextCodePoint(const std::string& s, size_t i, uint32_t* cp);
// Appends `cp` (a Unicode scalar value) as UTF-8.
void AppendUtf8(std::string& out, uint32_t cp);

// A meeting that would overlap another scheduled meeting at the same venue. `others` are the
// venue's meetings around that time (the caller's query), in UTC because groups sharing a venue
// may keep different zones; `self_id` is skipped. Touching end-to-start is not a clash.
struct Busy {
  Id meeting_id = 0;
  std::string group_name;
  int64_t start_utc = 0;
  int64_t end_utc = 0;
};
std::optional<Busy> FindClash(int64_t start_utc, int64_t end_utc, const std::vector<Busy>& others,
                              Id self_id);

// The name of the England and Wales bank holiday on `d` ("Easter Monday"), if it is one:
// BankHoliday(HolidayRegion::kEnglandAndWales, d) of calendar/holidays.h, which has the other
// UK regions too (callers are moving there).
std::optional<std::string> EnglandBankHoliday(const CivilDate& d);

struct QuorumForecast {
  int members = 0;
  int apologies = 0;
  int expected = 0;             // members - apologies
  std::optional<int> required;  // the group's quorum, if it has one
  bool at_risk() const { return required && expected < *required; }
};
QuorumForecast ForecastQuorum(int members, int apologies, std::optional<int> quorum);

}  // namespace convene::calendar
