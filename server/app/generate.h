// A generated organisation for benchmarks (deploy/bench-org): `convene demo --size large` and the
// scaling cases `--size meetings:N` and `--size members:N`.
//
// Deterministic: the same size, seed and first year give the same rows, byte for byte (and so the
// same feed bytes), on any standard library: the only randomness is std::mt19937_64, whose output
// the standard fixes, turned into numbers by explicit arithmetic (never a distribution class).
// Edit times are fixed from the first year, never read from the clock. The server's own keys
// (table `secrets`) are not the generator's: they are made at first use, as always.
//
// Written through calendar/store in ONE write transaction: all of it or nothing, and fast (one
// commit). The rows are what the API would have made (rule series expanded by ExpandRule, UNTIL
// in UTC, one organiser owning every group and venue, no venue double-booked), with no notices
// queued: nothing is mailed for generated history.
//
// Threads: call from one thread; the database must have no groups yet.
#pragma once

#include <cstdint>
#include <string>

#include "calendar/status.h"
#include "calendar/store/db.h"

namespace convene::server {

// The organiser of every generated group and venue (the demo's organiser).
inline constexpr const char* kGeneratedOrganiser = "secretary@example.org";
// The largest group of `large` (2,000 members), and the one group of the scaling sizes.
inline constexpr const char* kLargestGroupSlug = "all-staff";
inline constexpr const char* kScaleGroupSlug = "scale";

struct GenerateOptions {
  // large: 10,000 members in 500 groups (one of 2,000), 50 venues, 10 years of meetings.
  // meetings:N: one public group of 20 members with N meetings (1 to 100,000) over the 10 years.
  // members:N: one public group of N members (1 to 100,000), a monthly meeting for 10 years.
  std::string size = "large";
  uint64_t seed = 1;
  // The meetings run from 1 January of this year for 10 years. 0: five years before the current
  // year (UTC), so about half the meetings are past and half to come.
  int first_year = 0;
};

struct GeneratedCounts {
  int64_t venues = 0;
  int64_t groups = 0;
  int64_t members = 0;  // current members
  int64_t former_members = 0;
  int64_t series = 0;
  int64_t rule_series = 0;
  int64_t meetings = 0;
  int64_t cancelled = 0;
  int64_t moved = 0;     // start differs from the rule's (or the list's) date and time
  int64_t revenued = 0;  // at another venue than their series'
  int64_t presenters = 0;
  int64_t apologies = 0;
};

struct Generated {
  GeneratedCounts counts;
  int first_year = 0;
  std::string message;  // one line: what was made
};

// Checks a size (large, meetings:N, members:N); kInvalidArgument on "size" otherwise.
Status ValidateGeneratedSize(const std::string& size);

// Generates the organisation into `db`. kInvalidArgument for a bad size or first year;
// kConflict when the database already has a group (generate into a new file).
Result<Generated> GenerateOrganisation(calendar::store::Db& db, const GenerateOptions& options);

}  // namespace convene::server
