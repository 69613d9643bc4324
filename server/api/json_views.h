// JSON shapes of the API (docs api.md): one function per resource. Pure; thread-safe.
#pragma once

#include <nlohmann/json.hpp>

#include "server/ops/operations.h"

namespace convene::server {

nlohmann::json VenueJson(const calendar::Venue& v);
nlohmann::json GroupJson(const calendar::Group& g);
nlohmann::json MemberJson(const calendar::Member& m);
nlohmann::json PresenterJson(const calendar::Presenter& p);
// start/end as ISO 8601 with the offset in force at that time in the group's zone.
nlohmann::json MeetingJson(const MeetingView& v);
nlohmann::json SeriesJson(const calendar::Series& s);
nlohmann::json WarningsJson(const std::vector<Warning>& w);
nlohmann::json AttendanceJson(const AttendanceView& a);
// One notice of GET /api/v1/outbox: {id, to, subject, status, attempts, next_attempt_at (null
// unless queued), kind, meeting_id, last_error, created_at, sent_at}; times in UTC, ISO 8601.
nlohmann::json OutboxJson(const notify::OutboxEntry& e);
// Unix seconds as ISO 8601 in the zone.
std::string IsoInZone(const std::string& tz, int64_t unix_seconds);

}  // namespace convene::server
