// Month views: the meetings of one calendar month of a group (public, or the organiser's own)
// or of a venue (public groups only), for the month grid pages.
#include "server/ops/operations.h"

namespace convene::server {

using namespace calendar;  // NOLINT: the domain vocabulary
namespace st = calendar::store;

namespace {

// Reads "YYYY-MM" into out->year and out->month, or (empty) takes the month of today in
// out->timezone; sets out->today either way.
Status ReadMonth(const std::string& month, int64_t now, MonthView* out) {
  ASSIGN_OR_RETURN(LocalDateTime t, FromUnix(out->timezone, now));
  out->today = t.date;
  if (month.empty()) {
    out->year = t.date.year;
    out->month = t.date.month;
    return Status::Ok();
  }
  const Status bad = InvalidArgument(
      "month", "the month must be written as the year and the month's number, such as 2027-02");
  if (month.size() != 7 || month[4] != '-') return bad;
  for (size_t i : {0, 1, 2, 3, 5, 6})
    if (month[i] < '0' || month[i] > '9') return bad;
  const int year = std::stoi(month.substr(0, 4));
  const int mon = std::stoi(month.substr(5, 2));
  if (mon < 1 || mon > 12) return bad;
  if (year < Operations::kFirstMonthYear || year > Operations::kLastMonthYear)
    return InvalidArgument("month", "the calendar shows the years " +
                                        std::to_string(Operations::kFirstMonthYear) + " to " +
                                        std::to_string(Operations::kLastMonthYear));
  out->year = year;
  out->month = mon;
  return Status::Ok();
}

CivilDate FirstDay(const MonthView& v) { return {v.year, v.month, 1}; }
CivilDate LastDay(const MonthView& v) { return {v.year, v.month, DaysInMonth(v.year, v.month)}; }

// The month view of group `g` (access already checked).
Result<MonthView> GroupMonthOf(st::Tx& tx, const Group& g, const std::string& month, int64_t now) {
  MonthView out;
  out.group = g;
  out.timezone = g.timezone;
  RETURN_IF_ERROR(ReadMonth(month, now, &out));
  ASSIGN_OR_RETURN(auto meetings, st::ListGroupMeetings(tx, g.id, FirstDay(out), LastDay(out)));
  for (const Meeting& m : meetings) {
    ASSIGN_OR_RETURN(MeetingView v, Operations::LoadView(tx, m));
    out.meetings.push_back(std::move(v));
  }
  return out;
}

}  // namespace

Result<MonthView> Operations::PublicGroupMonth(const std::string& slug, const std::string& month) {
  if (!ValidateSlug(slug).ok()) return NotFound("no such group");
  ASSIGN_OR_RETURN(st::Tx tx, db_.Read());
  auto g = st::GetGroupBySlug(tx, slug);
  if (!g.ok() || !g->is_public)
    return g.ok() || g.status().code() == Code::kNotFound ? NotFound("no such group") : g.status();
  return GroupMonthOf(tx, *g, month, clock_());
}

Result<MonthView> Operations::GroupMonth(Id organiser, const std::string& slug,
                                         const std::string& month) {
  ASSIGN_OR_RETURN(st::Tx tx, db_.Read());
  ASSIGN_OR_RETURN(Group g, OwnedGroup(tx, organiser, slug));
  return GroupMonthOf(tx, g, month, clock_());
}

Result<MonthView> Operations::PublicVenueMonth(Id venue_id, const std::string& month) {
  ASSIGN_OR_RETURN(st::Tx tx, db_.Read());
  auto v = st::GetVenue(tx, venue_id);
  if (!v.ok()) return v.status().code() == Code::kNotFound ? NotFound("no such venue") : v.status();
  MonthView out;
  out.venue = *v;
  out.timezone = kVenueZone;
  RETURN_IF_ERROR(ReadMonth(month, clock_(), &out));
  // Each meeting's date is its own group's wall-clock date, as on the venue's page.
  ASSIGN_OR_RETURN(auto meetings, st::ListVenueMeetings(tx, venue_id, FirstDay(out), LastDay(out)));
  for (const Meeting& m : meetings) {
    ASSIGN_OR_RETURN(MeetingView mv, LoadView(tx, m));
    if (mv.group.is_public) out.meetings.push_back(std::move(mv));
  }
  return out;
}

}  // namespace convene::server
