// Operation inputs the test suites build again and again, as an organiser would type them.
// Header-only; values.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "server/ops/operations.h"

namespace convene::testing {

// A series' every-meeting details: `title`, at the venue from `start_time` ("HH:MM", local to the
// group) for `duration_minutes`. The caller adds its dates or its rule.
inline server::SeriesInput SeriesAt(const std::string& title, int64_t venue_id,
                                    const std::string& start_time, int64_t duration_minutes) {
  server::SeriesInput in;
  in.title = title;
  in.venue_id = venue_id;
  in.start_time = start_time;
  in.duration_minutes = duration_minutes;
  return in;
}

// The same on explicit dates ("YYYY-MM-DD").
inline server::SeriesInput DatedSeries(const std::string& title, int64_t venue_id,
                                       const std::string& start_time, int64_t duration_minutes,
                                       std::vector<std::string> dates) {
  server::SeriesInput in = SeriesAt(title, venue_id, start_time, duration_minutes);
  in.dates = std::move(dates);
  return in;
}

}  // namespace convene::testing
