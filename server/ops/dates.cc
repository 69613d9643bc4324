// The warnings a meeting's date can carry: bank holidays (by the group's region), capacity,
// and wall times that happen twice. Shared by single meetings and series.
#include <cstdio>
#include <cstdlib>

#include "calendar/holidays.h"
#include "calendar/words.h"
#include "server/ops/common.h"
#include "server/ops/operations.h"

namespace convene::server {

using namespace calendar;  // NOLINT: the domain vocabulary

Status ClashError(const Busy& b, const LocalDateTime& when) {
  return Status(Code::kConflict,
                "the venue is booked then by meeting " + std::to_string(b.meeting_id) + " of " +
                    b.group_name + " (" + LongDate(when.date) + " at " +
                    FormatTimeOfDay(when.minute_of_day) +
                    "); choose another time or venue, or send \"force\": true",
                "venue_id", "venue_clash");
}

namespace {

bool IsUkZone(const std::string& tz) {
  return tz == "Europe/London" || tz == "Europe/Belfast" || tz == "GB" || tz == "GB-Eire";
}

const char* RegionWords(HolidayRegion r) {
  switch (r) {
    case HolidayRegion::kScotland:
      return "Scotland";
    case HolidayRegion::kNorthernIreland:
      return "Northern Ireland";
    default:
      return "England and Wales";
  }
}

// When the clocks go back, a wall time in the repeated hour happens twice; the meeting is at the
// first (RFC 5545 3.3.5, and ToUnix), which the organiser may not expect. (A time in the
// spring-forward gap does not exist at all: ToUnix refuses it.)
std::optional<Warning> AmbiguousTime(const std::string& tz, const LocalDateTime& start) {
  auto first = ToUnix(tz, start);
  if (!first.ok()) return std::nullopt;
  for (int64_t later : {1800, 3600, 7200}) {  // every shift in the tz database is one of these
    auto again = FromUnix(tz, *first + later);
    if (!again.ok() || *again != start) continue;
    auto a = FormatIsoWithOffset(tz, start);
    auto offset = UtcOffsetAt(tz, *first + later);
    if (!a.ok() || !offset.ok()) return std::nullopt;
    const int m = *offset / 60;
    char second[16];
    std::snprintf(second, sizeof second, "%c%02d:%02d", m < 0 ? '-' : '+', std::abs(m) / 60,
                  std::abs(m) % 60);
    return Warning{"ambiguous_time", LongDate(start.date) + " at " +
                                         FormatTimeOfDay(start.minute_of_day) +
                                         " happens twice in " + tz +
                                         " (the clocks go back): the meeting is at the first, " +
                                         a->substr(a->size() - 6) + ", not the second, " + second};
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> GroupBankHoliday(const Group& g, const CivilDate& d) {
  if (!IsUkZone(g.timezone)) return std::nullopt;
  const HolidayRegion region =
      ParseHolidayRegion(g.bank_holiday_region).value_or(HolidayRegion::kEnglandAndWales);
  auto name = BankHoliday(region, d);
  if (!name) return std::nullopt;
  return *name + " in " + RegionWords(region);
}

void DateWarnings(const Group& g, const LocalDateTime& start, const Venue& venue, int members,
                  std::vector<Warning>* out) {
  if (auto w = AmbiguousTime(g.timezone, start)) out->push_back(*w);
  if (auto h = GroupBankHoliday(g, start.date))
    out->push_back({"bank_holiday", LongDate(start.date) + " is a bank holiday (" + *h + ")"});
  if (venue.capacity && members > *venue.capacity)
    out->push_back({"capacity", "the group has " + std::to_string(members) + " members but " +
                                    venue.name + " seats " + std::to_string(*venue.capacity)});
}

}  // namespace convene::server
