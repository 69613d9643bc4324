// Venues: create, list, read, change, and when each is busy.
#include <algorithm>
#include <map>

#include "calendar/store/store.h"
#include "notify/outbox.h"
#include "server/ops/common.h"
#include "server/ops/operations.h"

namespace convene::server {

using namespace calendar;  // NOLINT: the domain vocabulary
namespace st = calendar::store;

// The scheduled meetings at a venue with start dates in [from, to], as UTC intervals: groups
// sharing a venue may keep different zones. `skip` (a meeting being changed) is left out.
Result<std::vector<Busy>> BusyAtVenue(st::Tx& tx, Id venue_id, std::optional<CivilDate> from,
                                      std::optional<CivilDate> to, Id skip) {
  ASSIGN_OR_RETURN(auto meetings, st::ListVenueMeetings(tx, venue_id, from, to));
  std::map<Id, Group> groups;
  std::vector<Busy> out;
  for (const Meeting& m : meetings) {
    if (m.status == MeetingStatus::kCancelled || m.id == skip) continue;
    auto it = groups.find(m.group_id);
    if (it == groups.end()) {
      ASSIGN_OR_RETURN(Group g, st::GetGroup(tx, m.group_id));
      it = groups.emplace(g.id, std::move(g)).first;
    }
    ASSIGN_OR_RETURN(int64_t start, ToUnix(it->second.timezone, m.start));
    out.push_back(Busy{m.id, it->second.name, start, start + int64_t{m.duration_minutes} * 60});
  }
  return out;
}

namespace {

Status ApplyVenueInput(const VenueInput& in, Venue* v, bool create) {
  if (create || in.name) {
    ASSIGN_OR_RETURN(v->name, CleanText(in.name.value_or(""), "name", 200, true));
  }
  if (create || in.address) {
    ASSIGN_OR_RETURN(v->address, CleanText(in.address.value_or(""), "address", 500, true));
  }
  if (create || in.postcode) {
    ASSIGN_OR_RETURN(v->postcode, CleanText(in.postcode.value_or(""), "postcode", 20, false));
  }
  if (in.notes) {
    ASSIGN_OR_RETURN(v->notes, CleanText(*in.notes, "notes", 2000, false, true));
  }
  if (in.capacity) {
    if (*in.capacity < 1 || *in.capacity > 100000)
      return InvalidArgument("capacity", "capacity must be a whole number from 1 to 100000");
    v->capacity = static_cast<int>(*in.capacity);
  } else if (in.clear_capacity) {
    v->capacity.reset();
  }
  return Status::Ok();
}

}  // namespace

Result<Venue> Operations::CreateVenue(Id organiser, const VenueInput& in) {
  Venue v;
  RETURN_IF_ERROR(ApplyVenueInput(in, &v, true));
  const int64_t now = clock_();
  v.owner_id = organiser;
  v.updated_at = now;
  ASSIGN_OR_RETURN(st::Tx tx, db_.Write());
  ASSIGN_OR_RETURN(v, st::InsertVenue(tx, v));
  RETURN_IF_ERROR(st::BumpRevision(tx, now));
  RETURN_IF_ERROR(Commit(tx));
  return v;
}

Result<std::vector<Venue>> Operations::ListVenues(Id organiser) {
  ASSIGN_OR_RETURN(st::Tx tx, db_.Read());
  return st::ListVenues(tx, organiser);
}

Result<Venue> Operations::GetVenue(Id organiser, Id venue_id) {
  ASSIGN_OR_RETURN(st::Tx tx, db_.Read());
  return OwnedVenue(tx, organiser, venue_id);
}

Result<Venue> Operations::UpdateVenue(Id organiser, Id venue_id, const std::string& if_match,
                                      const VenueInput& in) {
  const int64_t now = clock_();
  ASSIGN_OR_RETURN(st::Tx tx, db_.Write());
  ASSIGN_OR_RETURN(Venue v, OwnedVenue(tx, organiser, venue_id));
  RETURN_IF_ERROR(CheckIfMatch(if_match, VenueETag(v)));
  const Venue before = v;
  RETURN_IF_ERROR(ApplyVenueInput(in, &v, false));
  v.updated_at = now;
  RETURN_IF_ERROR(st::UpdateVenue(tx, v));
  // Every group meeting there shows the venue in its feed: their Last-Modified moves too.
  RETURN_IF_ERROR(st::TouchGroupsMeetingAt(tx, venue_id, now));
  RETURN_IF_ERROR(st::BumpRevision(tx, now));
  ASSIGN_OR_RETURN(v, st::GetVenue(tx, venue_id));
  if (venue_hook_) RETURN_IF_ERROR(venue_hook_(tx, before, v, now));
  RETURN_IF_ERROR(Commit(tx));
  return v;
}

Result<std::vector<Busy>> Operations::VenueBusy(Id organiser, Id venue_id, const std::string& from,
                                                const std::string& to) {
  ASSIGN_OR_RETURN(auto from_d, OptDate(from, "from"));
  ASSIGN_OR_RETURN(auto to_d, OptDate(to, "to"));
  ASSIGN_OR_RETURN(st::Tx tx, db_.Read());
  RETURN_IF_ERROR(OwnedVenue(tx, organiser, venue_id).status());
  return BusyAtVenue(tx, venue_id, from_d, to_d, 0);
}

}  // namespace convene::server
