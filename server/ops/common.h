// Helpers the use-case files of server/ops/ share: If-Match checks and optional field parsing.
// Internal to server/ops/ (handlers never include it). Pure; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "calendar/civil.h"
#include "calendar/model.h"
#include "calendar/rules.h"
#include "calendar/status.h"
#include "calendar/store/db.h"

namespace convene::server {

// Ok when `if_match` (a list of strong ETags, or "*") names `etag`; kPreconditionRequired when it
// is empty, kPreconditionFailed when it names another version.
Status CheckIfMatch(const std::string& if_match, const std::string& etag);
// CleanText of an optional field (absent stays absent).
Result<std::optional<std::string>> CleanOpt(const std::optional<std::string>& v, const char* field,
                                            size_t max, bool multiline = false);
// The scheduled meetings at a venue with start dates in [from, to], as UTC intervals: groups
// sharing a venue may keep different zones. `skip` (a meeting being changed) is left out.
// (ops/venues.cc)
Result<std::vector<calendar::Busy>> BusyAtVenue(calendar::store::Tx& tx, calendar::Id venue_id,
                                                std::optional<calendar::CivilDate> from,
                                                std::optional<calendar::CivilDate> to,
                                                calendar::Id skip);
// ---- the warnings of a meeting's date (ops/dates.cc) ----
struct Warning;
// 409 venue_clash naming the other meeting.
Status ClashError(const calendar::Busy& b, const calendar::LocalDateTime& when);
// The UK bank holiday on `d` for the group, in words ("Easter Monday"), if it is one. Only
// groups in a UK zone (Europe/London and its links) have bank holidays; their region chooses
// which (calendar/holidays.h).
std::optional<std::string> GroupBankHoliday(const calendar::Group& g, const calendar::CivilDate& d);
// Ambiguous wall time (the clocks go back), bank holiday, and capacity against `members`.
void DateWarnings(const calendar::Group& g, const calendar::LocalDateTime& start,
                  const calendar::Venue& venue, int members, std::vector<Warning>* out);

// An optional YYYY-MM-DD (empty: absent).
Result<std::optional<calendar::CivilDate>> OptDate(const std::string& s, const char* field);

}  // namespace convene::server
