// What anyone may see: public groups, their meetings and the venues they meet at.
#include "server/ops/operations.h"

namespace convene::server {

using namespace calendar;  // NOLINT: the domain vocabulary
namespace st = calendar::store;

namespace {

Result<CivilDate> TodayIn(const std::string& tz, int64_t now) {
  ASSIGN_OR_RETURN(LocalDateTime t, FromUnix(tz, now));
  return t.date;
}

}  // namespace

Result<GroupPage> Operations::PublicGroup(const std::string& slug) {
  if (!ValidateSlug(slug).ok()) return NotFound("no such group");
  ASSIGN_OR_RETURN(st::Tx tx, db_.Read());
  auto g = st::GetGroupBySlug(tx, slug);
  if (!g.ok() || !g->is_public)
    return g.ok() || g.status().code() == Code::kNotFound ? NotFound("no such group") : g.status();
  GroupPage out;
  out.group = *g;
  ASSIGN_OR_RETURN(CivilDate today, TodayIn(g->timezone, clock_()));
  ASSIGN_OR_RETURN(auto meetings, st::ListGroupMeetings(tx, g->id, today, std::nullopt));
  for (const Meeting& m : meetings) {
    ASSIGN_OR_RETURN(MeetingView v, LoadView(tx, m));
    out.upcoming.push_back(std::move(v));
  }
  return out;
}

Result<MeetingView> Operations::PublicMeeting(Id meeting_id) {
  ASSIGN_OR_RETURN(st::Tx tx, db_.Read());
  auto m = st::GetMeeting(tx, meeting_id);
  if (!m.ok())
    return m.status().code() == Code::kNotFound ? NotFound("no such meeting") : m.status();
  ASSIGN_OR_RETURN(MeetingView v, LoadView(tx, *m));
  if (!v.group.is_public) return NotFound("no such meeting");
  return v;
}

Result<VenuePage> Operations::PublicVenue(Id venue_id) {
  ASSIGN_OR_RETURN(st::Tx tx, db_.Read());
  auto v = st::GetVenue(tx, venue_id);
  if (!v.ok()) return v.status().code() == Code::kNotFound ? NotFound("no such venue") : v.status();
  VenuePage out;
  out.venue = *v;
  // Zones differ by less than a day: fetch from yesterday (UTC), then judge each in its zone.
  const int64_t now = clock_();
  ASSIGN_OR_RETURN(auto meetings, st::ListVenueMeetings(
                                      tx, venue_id, CivilFromDays(now / 86400 - 1), std::nullopt));
  for (const Meeting& m : meetings) {
    ASSIGN_OR_RETURN(MeetingView mv, LoadView(tx, m));
    if (!mv.group.is_public) continue;
    ASSIGN_OR_RETURN(CivilDate today, TodayIn(mv.group.timezone, now));
    if (m.start.date < today) continue;
    out.upcoming.push_back(std::move(mv));
  }
  return out;
}

}  // namespace convene::server
