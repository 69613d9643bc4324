// Time-zone history for rendering: the UTC offsets, transitions and abbreviations of an IANA zone
// over a span of time, read from the system tz database through libical's builtin zones.
//
// Owns the one mutex that guards libical's zone cache: libical fills that cache lazily and is not
// safe to call from two threads at once, so every libical zone call in convene (civil.cc too)
// holds LibicalZoneMutex(). The functions here take it themselves and are thread-safe.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "calendar/status.h"

namespace convene::calendar {

// The mutex around libical's builtin-zone cache. Hold it for every icaltimezone_* call on a
// builtin zone; never while calling a function of this header or of civil.h (not recursive).
std::mutex& LibicalZoneMutex();

struct ZoneTransition {
  int64_t at = 0;       // the instant (Unix seconds) the new offset starts
  int offset_from = 0;  // seconds east of UTC before `at`
  int offset_to = 0;    // seconds east of UTC from `at`
  std::string name;     // abbreviation in force from `at` (e.g. "BST"); empty when unknown
};

struct ZoneHistory {
  int initial_offset = 0;                   // in force at `from`
  std::string initial_name;                 // abbreviation in force at `from`; may be empty
  std::vector<ZoneTransition> transitions;  // ascending, every one within (from, to]
};

// The offset changes of `tz` between two instants. The zone is sampled every 12 hours and each
// change found is bisected to the second, so two changes less than 12 hours apart (which no zone
// has had since 1970) would be missed. At most 60 years may be asked for. Unknown zone: an
// InvalidArgument on "timezone".
Result<ZoneHistory> ZoneTransitions(const std::string& tz, int64_t from, int64_t to);

}  // namespace convene::calendar
