// The demo group, as in the seed minutes (tests/testdata/seed/): the Socitm Futures group meeting
// on Mondays at Siemens' offices in the City of London, its members, the 15 March 2010 meeting with
// its presenters, apologies and register, the future 2010 dates the minutes list, and a rule-based
// series for 2027 so the pages and feeds have upcoming meetings to show.
#pragma once

#include <string>

#include "server/ops/operations.h"

namespace convene::server {

inline constexpr const char* kDemoOrganiser = "secretary@example.org";
inline constexpr const char* kDemoSlug = "futures";

struct DemoResult {
  bool loaded = false;  // false: the group was already there; nothing was changed
  std::string message;
};

// Loads the demo unless a group with slug "futures" exists. Each step is its own transaction
// through Operations (the same checks as the API); a failure stops with that Status.
Result<DemoResult> LoadDemo(Operations& ops);

}  // namespace convene::server
