#include "calendar/tz.h"

#include <libical/ical.h>

#include <cctype>

#include "calendar/civil.h"

namespace convene::calendar {
namespace {

constexpr int64_t kStep = 12 * 3600;
constexpr int64_t kMaxSpan = int64_t{60} * 366 * 86400;

icaltimezone* BuiltinZone(const std::string& tz) {
  if (tz.empty() || tz.size() > 64) return nullptr;
  for (char c : tz)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '/' || c == '_' || c == '-' ||
          c == '+'))
      return nullptr;
  return icaltimezone_get_builtin_timezone(tz.c_str());
}

int OffsetAt(icaltimezone* zone, int64_t instant) {
  icaltimetype utc = icaltime_from_timet_with_zone(static_cast<time_t>(instant), 0,
                                                   icaltimezone_get_utc_timezone());
  int is_daylight = 0;
  return icaltimezone_get_utc_offset_of_utc_time(zone, &utc, &is_daylight);
}

// libical keeps no abbreviation per instant, only per observance of the zone's VTIMEZONE. The
// observance that produced an offset is the latest one with that TZOFFSETTO whose DTSTART is not
// after the moment: right for every zone whose abbreviations do not alternate for one offset.
std::string NameAt(icaltimezone* zone, int64_t instant, int offset) {
  icalcomponent* vtz = icaltimezone_get_component(zone);
  if (!vtz) return {};
  const LocalDateTime local{
      CivilFromDays((instant + offset) >= 0 ? (instant + offset) / 86400
                                            : ((instant + offset) - 86399) / 86400),
      0};
  std::string best;
  icaltimetype best_start = icaltime_null_time();
  for (icalcomponent* obs = icalcomponent_get_first_component(vtz, ICAL_ANY_COMPONENT); obs;
       obs = icalcomponent_get_next_component(vtz, ICAL_ANY_COMPONENT)) {
    const icalcomponent_kind kind = icalcomponent_isa(obs);
    if (kind != ICAL_XSTANDARD_COMPONENT && kind != ICAL_XDAYLIGHT_COMPONENT) continue;
    icalproperty* to = icalcomponent_get_first_property(obs, ICAL_TZOFFSETTO_PROPERTY);
    icalproperty* start = icalcomponent_get_first_property(obs, ICAL_DTSTART_PROPERTY);
    icalproperty* name = icalcomponent_get_first_property(obs, ICAL_TZNAME_PROPERTY);
    if (!to || !start || !name || icalproperty_get_tzoffsetto(to) != offset) continue;
    const icaltimetype s = icalproperty_get_dtstart(start);
    if (CivilDate{s.year, s.month, s.day} > local.date) continue;
    if (best.empty() || icaltime_compare(s, best_start) > 0) {
      best = icalproperty_get_tzname(name) ? icalproperty_get_tzname(name) : "";
      best_start = s;
    }
  }
  // TZNAME is TEXT; keep only what needs no escaping so callers can write it as is.
  for (char c : best)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '-')) return {};
  return best;
}

}  // namespace

std::mutex& LibicalZoneMutex() {
  static std::mutex m;
  return m;
}

Result<ZoneHistory> ZoneTransitions(const std::string& tz, int64_t from, int64_t to) {
  if (to < from || to - from > kMaxSpan)
    return InvalidArgument("timezone", "time-zone span must be 0 to 60 years");
  std::lock_guard<std::mutex> lock(LibicalZoneMutex());
  icaltimezone* zone = BuiltinZone(tz);
  if (!zone) return InvalidArgument("timezone", "unknown time zone " + tz);
  ZoneHistory h;
  h.initial_offset = OffsetAt(zone, from);
  h.initial_name = NameAt(zone, from, h.initial_offset);
  int current = h.initial_offset;
  for (int64_t t = from; t < to;) {
    const int64_t next = std::min(t + kStep, to);
    const int after = OffsetAt(zone, next);
    if (after != current) {
      // Invariant: OffsetAt(lo) == current, OffsetAt(hi) != current.
      int64_t lo = t, hi = next;
      while (hi - lo > 1) {
        const int64_t mid = lo + (hi - lo) / 2;
        (OffsetAt(zone, mid) == current ? lo : hi) = mid;
      }
      const int to_offset = OffsetAt(zone, hi);
      h.transitions.push_back({hi, current, to_offset, NameAt(zone, hi, to_offset)});
      current = to_offset;
      t = hi;
      continue;
    }
    t = next;
  }
  return h;
}

}  // namespace convene::calendar
