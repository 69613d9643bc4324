#include "server/operations.h"

#include <algorithm>
#include <chrono>
#include <map>

#include "notify/outbox.h"

namespace convene::server {

using namespace calendar;  // NOLINT: the domain vocabulary
namespace st = calendar::store;

Clock SystemClock() {
  return [] {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  };
}

Operations::Operations(st::Db& db, Clock clock, RandomSource random, std::string base_url)
    : db_(db),
      clock_(std::move(clock)),
      random_(std::move(random)),
      base_url_(std::move(base_url)) {}

std::string Operations::MeetingETag(const Meeting& m) {
  return "\"m" + std::to_string(m.id) + "-" + std::to_string(m.version) + "\"";
}

std::string Operations::VenueETag(const Venue& v) {
  return "\"v" + std::to_string(v.id) + "-" + std::to_string(v.version) + "\"";
}

namespace {

// "<prefix><id>-<16 hex of SHA-256 over the fields>": fields joined by U+001F, which CleanText
// never lets through, so two different field lists never hash the same text.
std::string ContentETag(const char* prefix, Id id, std::initializer_list<std::string> fields) {
  std::string text;
  for (const std::string& f : fields) text += f + '\x1f';
  return "\"" + std::string(prefix) + std::to_string(id) + "-" + HashSecret(text).substr(0, 16) +
         "\"";
}

}  // namespace

std::string Operations::GroupETag(const Group& g) {
  return ContentETag("group", g.id,
                     {g.name, g.timezone, g.quorum ? std::to_string(*g.quorum) : "",
                      g.is_public ? "public" : "private"});
}

std::string Operations::MemberETag(const Member& m) {
  return ContentETag("member", m.id,
                     {m.name, m.email, m.organisation, RoleName(m.role), DeliveryName(m.delivery),
                      m.unsubscribed ? "unsubscribed" : "subscribed"});
}

namespace {

Status CheckIfMatch(const std::string& if_match, const std::string& etag) {
  if (if_match.empty())
    return Status(
        Code::kPreconditionRequired,
        "send If-Match with the ETag from your last GET, so no one else's change is lost");
  if (if_match == "*") return Status::Ok();
  // A list of ETags may be sent; weak ones never match (strong comparison, RFC 9110 13.1.1).
  size_t pos = 0;
  while (pos < if_match.size()) {
    size_t comma = if_match.find(',', pos);
    std::string one =
        if_match.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    one.erase(0, one.find_first_not_of(" \t"));
    one.erase(one.find_last_not_of(" \t") + 1);
    if (one == etag) return Status::Ok();
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  return Status(
      Code::kPreconditionFailed,
      "the object has changed since you read it; GET it again and retry with its new ETag");
}

Result<std::optional<std::string>> CleanOpt(const std::optional<std::string>& v, const char* field,
                                            size_t max, bool multiline = false) {
  if (!v) return std::optional<std::string>();
  ASSIGN_OR_RETURN(std::string s, CleanText(*v, field, max, false, multiline));
  return std::optional<std::string>(std::move(s));
}

Result<std::optional<CivilDate>> OptDate(const std::string& s, const char* field) {
  if (s.empty()) return std::optional<CivilDate>();
  ASSIGN_OR_RETURN(CivilDate d, ParseDate(s, field));
  return std::optional<CivilDate>(d);
}

}  // namespace

Status Operations::Commit(st::Tx& tx) {
  RETURN_IF_ERROR(tx.Commit());
  for (const auto& f : after_commit_) f();
  return Status::Ok();
}

Status Operations::Changed(st::Tx& tx, const MeetingChange& change, int64_t now) {
  RETURN_IF_ERROR(st::TouchGroup(tx, change.after.group_id, now));
  RETURN_IF_ERROR(st::BumpRevision(tx, now));
  if (change_hook_) RETURN_IF_ERROR(change_hook_(tx, change, now));
  return Status::Ok();
}

// ---------------------------------------------------------------- organisers

Result<Organiser> Operations::EnsureOrganiser(const std::string& email_in,
                                              const std::string& name_in) {
  ASSIGN_OR_RETURN(std::string email, CleanEmail(email_in, "organiser"));
  ASSIGN_OR_RETURN(std::string name, CleanText(name_in, "name", 200, false));
  ASSIGN_OR_RETURN(st::Tx tx, db_.Write());
  ASSIGN_OR_RETURN(Organiser o, st::EnsureOrganiser(tx, email, name, clock_()));
  RETURN_IF_ERROR(tx.Commit());
  return o;
}

Result<std::string> Operations::IssueApiToken(const std::string& email_in,
                                              const std::string& name_in) {
  ASSIGN_OR_RETURN(std::string email, CleanEmail(email_in, "organiser"));
  ASSIGN_OR_RETURN(std::string name, CleanText(name_in, "name", 200, false));
  const int64_t now = clock_();
  ASSIGN_OR_RETURN(st::Tx tx, db_.Write());
  ASSIGN_OR_RETURN(Organiser o, st::EnsureOrganiser(tx, email, name, now));
  st::TokenRow row;
  row.kind = "api";
  row.organiser_id = o.id;
  row.created_at = now;
  ASSIGN_OR_RETURN(std::string token, IssueToken(tx, random_, row));
  RETURN_IF_ERROR(tx.Commit());
  return token;
}

Result<Id> Operations::Authenticate(const std::string& bearer_token) {
  ASSIGN_OR_RETURN(st::Tx tx, db_.Read());
  return AuthenticateApiToken(tx, bearer_token, clock_());
}

// ---------------------------------------------------------------- access

Result<Group> Operations::OwnedGroup(st::Tx& tx, Id organiser, const std::string& slug) {
  auto g = st::GetGroupBySlug(tx, slug);
  if (!g.ok() || g->organiser_id != organiser)
    return g.ok() || g.status().code() == Code::kNotFound
               ? NotFound("no group '" + slug.substr(0, 40) + "'")
               : g.status();
  return g;
}

Result<Meeting> Operations::OwnedMeeting(st::Tx& tx, Id organiser, Id meeting_id) {
  auto m = st::GetMeeting(tx, meeting_id);
  if (!m.ok())
    return m.status().code() == Code::kNotFound ? NotFound("no such meeting") : m.status();
  ASSIGN_OR_RETURN(Group g, st::GetGroup(tx, m->group_id));
  if (g.organiser_id != organiser) return NotFound("no such meeting");
  return m;
}

Result<Venue> Operations::OwnedVenue(st::Tx& tx, Id organiser, Id venue_id) {
  auto v = st::GetVenue(tx, venue_id);
  if (!v.ok() || v->owner_id != organiser)
    return v.ok() || v.status().code() == Code::kNotFound
               ? Status(Code::kNotFound, "no venue " + std::to_string(venue_id), "venue_id")
               : v.status();
  return v;
}

Result<MeetingView> Operations::LoadView(st::Tx& tx, const Meeting& m) {
  MeetingView v;
  v.meeting = m;
  ASSIGN_OR_RETURN(v.series, st::GetSeries(tx, m.series_id));
  ASSIGN_OR_RETURN(v.group, st::GetGroup(tx, m.group_id));
  ASSIGN_OR_RETURN(v.venue, st::GetVenue(tx, m.venue_id));
  ASSIGN_OR_RETURN(v.presenters, st::ListPresenters(tx, m.id));
  ASSIGN_OR_RETURN(auto apologies, st::ListApologies(tx, m.id));
  v.apologies = static_cast<int>(apologies.size());
  return v;
}

// ---------------------------------------------------------------- venues

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
  RETURN_IF_ERROR(ApplyVenueInput(in, &v, false));
  v.updated_at = now;
  RETURN_IF_ERROR(st::UpdateVenue(tx, v));
  // Every group meeting there shows the venue in its feed: their Last-Modified moves too.
  RETURN_IF_ERROR(tx.Prepare("UPDATE groups SET updated_at=max(updated_at, ?2) WHERE id IN"
                             " (SELECT DISTINCT group_id FROM meetings WHERE venue_id=?1)")
                      .BindAll(venue_id, now)
                      .Run());
  RETURN_IF_ERROR(st::BumpRevision(tx, now));
  ASSIGN_OR_RETURN(v, st::GetVenue(tx, venue_id));
  RETURN_IF_ERROR(Commit(tx));
  return v;
}

// ---------------------------------------------------------------- groups and members

Result<Group> Operations::CreateGroup(Id organiser, const GroupInput& in) {
  RETURN_IF_ERROR(ValidateSlug(in.slug));
  Group g;
  g.slug = in.slug;
  ASSIGN_OR_RETURN(g.name, CleanText(in.name, "name", 200, true));
  if (!IsKnownZone(in.timezone))
    return InvalidArgument("timezone", "timezone must be an IANA zone name such as Europe/London");
  g.timezone = in.timezone;
  if (in.quorum) {
    if (*in.quorum < 1 || *in.quorum > 10000)
      return InvalidArgument("quorum", "quorum must be a whole number from 1 to 10000");
    g.quorum = static_cast<int>(*in.quorum);
  }
  g.is_public = in.is_public.value_or(true);
  g.organiser_id = organiser;
  g.created_at = clock_();
  ASSIGN_OR_RETURN(st::Tx tx, db_.Write());
  auto existing = st::GetGroupBySlug(tx, g.slug);
  if (existing.ok())
    return Status(Code::kConflict, "slug '" + g.slug + "' is taken; choose another", "slug",
                  "slug_taken");
  ASSIGN_OR_RETURN(g, st::InsertGroup(tx, g));
  RETURN_IF_ERROR(st::BumpRevision(tx, g.created_at));
  RETURN_IF_ERROR(Commit(tx));
  return g;
}

Result<Group> Operations::GetGroup(Id organiser, const std::string& slug) {
  ASSIGN_OR_RETURN(st::Tx tx, db_.Read());
  return OwnedGroup(tx, organiser, slug);
}

Result<std::vector<Group>> Operations::ListGroups(Id organiser) {
  ASSIGN_OR_RETURN(st::Tx tx, db_.Read());
  return st::ListGroups(tx, organiser);
}

namespace {

// Applies the fields present in `in` to `m`; with `create`, name and email are required.
Status ApplyMemberFields(const MemberPatch& in, Member* m, bool create) {
  if (create || in.name) {
    ASSIGN_OR_RETURN(m->name, CleanText(in.name.value_or(""), "name", 200, true));
  }
  if (create || in.email) {
    ASSIGN_OR_RETURN(m->email, CleanEmail(in.email.value_or(""), "email"));
  }
  if (in.organisation) {
    ASSIGN_OR_RETURN(m->organisation, CleanText(*in.organisation, "organisation", 200, false));
  }
  if (in.role) {
    if (*in.role == "member")
      m->role = Role::kMember;
    else if (*in.role == "chair")
      m->role = Role::kChair;
    else if (*in.role == "organiser")
      m->role = Role::kOrganiser;
    else
      return InvalidArgument("role", "role must be member, chair or organiser");
  }
  if (in.delivery) {
    if (*in.delivery == "feed")
      m->delivery = Delivery::kFeed;
    else if (*in.delivery == "invitations")
      m->delivery = Delivery::kInvitations;
    else
      return InvalidArgument("delivery", "delivery must be feed or invitations");
  }
  return Status::Ok();
}

// 409 when a current member other than `self` already has `email`.
Status CheckEmailFree(st::Tx& tx, Id group_id, const std::string& email, Id self) {
  ASSIGN_OR_RETURN(auto existing, st::ListMembers(tx, group_id));
  for (const Member& other : existing) {
    if (other.id != self && LowerAscii(other.email) == LowerAscii(email))
      return Status(Code::kConflict,
                    email + " is already a member (id " + std::to_string(other.id) + ")", "email",
                    "member_exists");
  }
  return Status::Ok();
}

}  // namespace

Result<MemberCreated> Operations::AddMember(Id organiser, const std::string& slug,
                                            const MemberInput& in) {
  Member m;
  RETURN_IF_ERROR(ApplyMemberFields(
      MemberPatch{in.name, in.email, in.organisation, in.role, in.delivery}, &m, true));
  const int64_t now = clock_();
  m.created_at = now;
  ASSIGN_OR_RETURN(st::Tx tx, db_.Write());
  ASSIGN_OR_RETURN(Group g, OwnedGroup(tx, organiser, slug));
  m.group_id = g.id;
  RETURN_IF_ERROR(CheckEmailFree(tx, g.id, m.email, 0));
  ASSIGN_OR_RETURN(std::optional<Member> former, st::FindMemberByEmail(tx, g.id, m.email));
  if (former) {
    // They left and come back: the same row (their history stays theirs), fresh links. Their old
    // links stay dead: links_version was bumped and the tokens revoked when they left.
    m.id = former->id;
    m.links_version = former->links_version;
    m.created_at = former->created_at;
    RETURN_IF_ERROR(st::UpdateMember(tx, m));
    RETURN_IF_ERROR(st::SetMemberLeft(tx, m.id, std::nullopt));
  } else {
    ASSIGN_OR_RETURN(m, st::InsertMember(tx, m));
  }
  MemberCreated out;
  out.member = m;
  st::TokenRow row;
  row.member_id = m.id;
  row.created_at = now;
  row.kind = "feed";
  ASSIGN_OR_RETURN(out.feed_token, IssueToken(tx, random_, row));
  row.kind = "page";
  ASSIGN_OR_RETURN(out.page_token, IssueToken(tx, random_, row));
  RETURN_IF_ERROR(st::TouchGroup(tx, g.id, now));
  RETURN_IF_ERROR(st::BumpRevision(tx, now));
  if (member_hook_) RETURN_IF_ERROR(member_hook_(tx, g, out, now));
  RETURN_IF_ERROR(Commit(tx));
  return out;
}

Result<std::vector<Member>> Operations::ListMembers(Id organiser, const std::string& slug) {
  ASSIGN_OR_RETURN(st::Tx tx, db_.Read());
  ASSIGN_OR_RETURN(Group g, OwnedGroup(tx, organiser, slug));
  return st::ListMembers(tx, g.id);
}

Result<std::vector<Member>> Operations::ListFormerMembers(Id organiser, const std::string& slug) {
  ASSIGN_OR_RETURN(st::Tx tx, db_.Read());
  ASSIGN_OR_RETURN(Group g, OwnedGroup(tx, organiser, slug));
  return st::ListFormerMembers(tx, g.id);
}

Result<Group> Operations::UpdateGroup(Id organiser, const std::string& slug,
                                      const std::string& if_match, const GroupPatch& patch) {
  const int64_t now = clock_();
  ASSIGN_OR_RETURN(st::Tx tx, db_.Write());
  ASSIGN_OR_RETURN(Group g, OwnedGroup(tx, organiser, slug));
  RETURN_IF_ERROR(CheckIfMatch(if_match, GroupETag(g)));
  if (patch.name) {
    ASSIGN_OR_RETURN(g.name, CleanText(*patch.name, "name", 200, true));
  }
  if (patch.quorum) {
    if (*patch.quorum < 1 || *patch.quorum > 10000)
      return InvalidArgument("quorum", "quorum must be a whole number from 1 to 10000");
    g.quorum = static_cast<int>(*patch.quorum);
  } else if (patch.clear_quorum) {
    g.quorum.reset();
  }
  if (patch.is_public) g.is_public = *patch.is_public;
  if (patch.timezone && *patch.timezone != g.timezone) {
    if (!IsKnownZone(*patch.timezone))
      return InvalidArgument("timezone",
                             "timezone must be an IANA zone name such as Europe/London");
    ASSIGN_OR_RETURN(auto meetings, st::ListGroupMeetings(tx, g.id, std::nullopt, std::nullopt));
    if (!meetings.empty())
      return Status(Code::kConflict,
                    "the group has " + std::to_string(meetings.size()) +
                        " meetings whose times are kept in " + g.timezone +
                        "; the time zone can change only while a group has no meetings",
                    "timezone", "group_has_meetings");
    g.timezone = *patch.timezone;
  }
  g.updated_at = now;
  RETURN_IF_ERROR(st::UpdateGroup(tx, g));
  RETURN_IF_ERROR(st::BumpRevision(tx, now));
  ASSIGN_OR_RETURN(g, st::GetGroup(tx, g.id));
  RETURN_IF_ERROR(Commit(tx));
  return g;
}

namespace {

// The member, when it belongs to one of the organiser's groups (and to `slug`'s, when given).
Result<Member> OwnedMember(st::Tx& tx, Id organiser, Id member_id, const std::string& slug) {
  auto m = st::GetMember(tx, member_id);
  if (!m.ok())
    return m.status().code() == Code::kNotFound ? NotFound("no such member") : m.status();
  ASSIGN_OR_RETURN(Group g, st::GetGroup(tx, m->group_id));
  if (g.organiser_id != organiser || (!slug.empty() && g.slug != slug))
    return NotFound("no such member");
  return m;
}

}  // namespace

Result<Member> Operations::GetMember(Id organiser, const std::string& slug, Id member_id) {
  ASSIGN_OR_RETURN(st::Tx tx, db_.Read());
  ASSIGN_OR_RETURN(Member m, OwnedMember(tx, organiser, member_id, slug));
  if (m.left_at) return NotFound("member " + std::to_string(member_id) + " was removed");
  return m;
}

Result<Member> Operations::UpdateMember(Id organiser, const std::string& slug, Id member_id,
                                        const std::string& if_match, const MemberPatch& patch) {
  const int64_t now = clock_();
  ASSIGN_OR_RETURN(st::Tx tx, db_.Write());
  ASSIGN_OR_RETURN(Member m, OwnedMember(tx, organiser, member_id, slug));
  if (m.left_at) return NotFound("member " + std::to_string(member_id) + " was removed");
  RETURN_IF_ERROR(CheckIfMatch(if_match, MemberETag(m)));
  RETURN_IF_ERROR(ApplyMemberFields(patch, &m, false));
  if (patch.email) {
    RETURN_IF_ERROR(CheckEmailFree(tx, m.group_id, m.email, m.id));
    ASSIGN_OR_RETURN(std::optional<Member> former, st::FindMemberByEmail(tx, m.group_id, m.email));
    if (former && former->id != m.id)
      return Status(Code::kConflict,
                    m.email + " belonged to a removed member (id " + std::to_string(former->id) +
                        "); add that address as a member again to bring them back",
                    "email", "member_exists");
  }
  RETURN_IF_ERROR(st::UpdateMember(tx, m));
  // Names and organisations show in the registers and minutes; personal feeds show the rest.
  RETURN_IF_ERROR(st::TouchGroup(tx, m.group_id, now));
  RETURN_IF_ERROR(st::BumpRevision(tx, now));
  ASSIGN_OR_RETURN(m, st::GetMember(tx, m.id));
  RETURN_IF_ERROR(Commit(tx));
  return m;
}

Result<Member> Operations::RemoveMember(Id organiser, Id member_id, const std::string& slug) {
  const int64_t now = clock_();
  ASSIGN_OR_RETURN(st::Tx tx, db_.Write());
  ASSIGN_OR_RETURN(Member m, OwnedMember(tx, organiser, member_id, slug));
  ASSIGN_OR_RETURN(Group g, st::GetGroup(tx, m.group_id));
  if (m.left_at) return m;  // a repeat: nothing changes
  RETURN_IF_ERROR(st::SetMemberLeft(tx, m.id, now));
  // Every link of theirs stops working: page and feed tokens, and the signed apology and
  // unsubscribe links (links_version).
  m.links_version += 1;
  RETURN_IF_ERROR(st::UpdateMember(tx, m));
  RETURN_IF_ERROR(st::RevokeMemberTokens(tx, m.id, "page", now));
  RETURN_IF_ERROR(st::RevokeMemberTokens(tx, m.id, "feed", now));
  // Meetings not yet started forget them; earlier registers and apologies are history and stay.
  ASSIGN_OR_RETURN(LocalDateTime today, FromUnix(g.timezone, now));
  ASSIGN_OR_RETURN(auto meetings,
                   st::ListGroupMeetings(tx, g.id, AddDays(today.date, -1), std::nullopt));
  for (const Meeting& meeting : meetings) {
    ASSIGN_OR_RETURN(int64_t start, ToUnix(g.timezone, meeting.start));
    if (start <= now) continue;
    RETURN_IF_ERROR(st::DeleteApology(tx, meeting.id, m.id).status());
    RETURN_IF_ERROR(st::ClearAttendance(tx, meeting.id, m.id));
  }
  RETURN_IF_ERROR(notify::SupersedeQueuedTo(tx, g.id, m.email, "member removed", now).status());
  RETURN_IF_ERROR(st::TouchGroup(tx, g.id, now));
  RETURN_IF_ERROR(st::BumpRevision(tx, now));
  ASSIGN_OR_RETURN(Member out, st::GetMember(tx, m.id));
  RETURN_IF_ERROR(Commit(tx));
  return out;
}

// ---------------------------------------------------------------- series and meetings

namespace {

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

}  // namespace

Result<std::optional<Busy>> Operations::Clash(st::Tx& tx, const Group& g, Id venue_id,
                                              const LocalDateTime& start, int duration, Id self) {
  ASSIGN_OR_RETURN(int64_t s, ToUnix(g.timezone, start));
  const int64_t e = s + int64_t{duration} * 60;
  // Meetings of any group at that venue within a day either side (zones differ by < 1 day).
  ASSIGN_OR_RETURN(auto busy, BusyAtVenue(tx, venue_id, AddDays(start.date, -1),
                                          AddMinutes(start, duration + 1440).date, self));
  return FindClash(s, e, busy, self);
}

namespace {

Status ClashError(const Busy& b, const LocalDateTime& when) {
  return Status(Code::kConflict,
                "the venue is booked then by meeting " + std::to_string(b.meeting_id) + " of " +
                    b.group_name + " (" + FormatLocal(when) +
                    "); choose another time or venue, or send \"force\": true",
                "venue_id", "venue_clash");
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
    return Warning{"ambiguous_time", FormatLocal(start) + " happens twice in " + tz +
                                         " (the clocks go back): the meeting is at the first, " +
                                         a->substr(a->size() - 6) + ", not the second, " + second};
  }
  return std::nullopt;
}

void DateWarnings(const Group& g, const LocalDateTime& start, const Venue& venue, int members,
                  std::vector<Warning>* out) {
  if (auto w = AmbiguousTime(g.timezone, start)) out->push_back(*w);
  if (g.timezone == "Europe/London") {
    if (auto h = EnglandBankHoliday(start.date))
      out->push_back({"bank_holiday", FormatDate(start.date) + " is a bank holiday (" + *h + ")"});
  }
  if (venue.capacity && members > *venue.capacity)
    out->push_back({"capacity", "the group has " + std::to_string(members) + " members but " +
                                    venue.name + " seats " + std::to_string(*venue.capacity)});
}

}  // namespace

Result<SeriesCreated> Operations::CreateSeries(Id organiser, const std::string& slug,
                                               const SeriesInput& in) {
  Series s;
  ASSIGN_OR_RETURN(s.title, CleanText(in.title, "title", 200, true));
  ASSIGN_OR_RETURN(s.start_minute, ParseTimeOfDay(in.start_time, "start_time"));
  if (in.duration_minutes < 5 || in.duration_minutes > 1440)
    return InvalidArgument("duration_minutes", "duration_minutes must be from 5 to 1440");
  s.duration_minutes = static_cast<int>(in.duration_minutes);
  if (in.agenda) {
    ASSIGN_OR_RETURN(s.agenda, CleanText(*in.agenda, "agenda", 4000, false, true));
  }
  if (in.rrule.has_value() == in.dates.has_value())
    return InvalidArgument(
        in.rrule ? "dates" : "rrule",
        "give either rrule (e.g. FREQ=MONTHLY;BYDAY=3MO;COUNT=5) or dates, not both");
  const int64_t now = clock_();
  std::vector<CivilDate> dates;
  if (in.rrule) {
    CivilDate first;
    if (in.first_date) {
      ASSIGN_OR_RETURN(first, ParseDate(*in.first_date, "first_date"));
    } else {
      // Today in UTC is close enough as a default start: the rule picks the first on-pattern date.
      first = CivilFromDays(now / 86400);
    }
    ASSIGN_OR_RETURN(Expansion x, ExpandRule(*in.rrule, first));
    s.rrule = x.rrule;
    dates = std::move(x.dates);
  } else {
    if (in.first_date)
      return InvalidArgument("first_date",
                             "first_date goes with rrule; with dates, list every date");
    std::vector<CivilDate> parsed;
    for (size_t i = 0; i < in.dates->size(); ++i) {
      ASSIGN_OR_RETURN(CivilDate d, ParseDate((*in.dates)[i], "dates"));
      parsed.push_back(d);
    }
    ASSIGN_OR_RETURN(dates, NormalizeDates(parsed));
  }
  s.first_date = dates.front();
  s.created_at = s.updated_at = now;
  s.uid = NewUuid(random_);
  s.venue_id = in.venue_id;

  ASSIGN_OR_RETURN(st::Tx tx, db_.Write());
  ASSIGN_OR_RETURN(Group g, OwnedGroup(tx, organiser, slug));
  ASSIGN_OR_RETURN(Venue venue, OwnedVenue(tx, organiser, in.venue_id));
  s.group_id = g.id;
  ASSIGN_OR_RETURN(auto members, st::ListMembers(tx, g.id));
  SeriesCreated out;
  // Every date must exist at that wall-clock time and be free at the venue.
  for (const CivilDate& d : dates) {
    LocalDateTime start{d, s.start_minute};
    auto unix_start = ToUnix(g.timezone, start, "start_time");
    if (!unix_start.ok()) return unix_start.status();
    ASSIGN_OR_RETURN(auto clash, Clash(tx, g, venue.id, start, s.duration_minutes, 0));
    if (clash) {
      if (!in.force) return ClashError(*clash, start);
      out.warnings.push_back({"venue_clash", "overlaps meeting " +
                                                 std::to_string(clash->meeting_id) + " of " +
                                                 clash->group_name + " on " + FormatDate(d)});
    }
    DateWarnings(g, start, venue, static_cast<int>(members.size()), &out.warnings);
  }
  if (s.is_rule() && s.rrule.find("UNTIL=") != std::string::npos) {
    ASSIGN_OR_RETURN(int64_t last, ToUnix(g.timezone, LocalDateTime{dates.back(), s.start_minute}));
    s.rrule = WithUtcUntil(s.rrule, FormatIcalUtc(last));
  }
  ASSIGN_OR_RETURN(s, st::InsertSeries(tx, s));
  for (const CivilDate& d : dates) {
    Meeting m;
    m.series_id = s.id;
    m.group_id = g.id;
    m.uid = s.is_rule() ? s.uid : NewUuid(random_);
    m.original_start = m.start = LocalDateTime{d, s.start_minute};
    m.duration_minutes = s.duration_minutes;
    m.venue_id = venue.id;
    m.created_at = m.updated_at = now;
    ASSIGN_OR_RETURN(m, st::InsertMeeting(tx, m));
    MeetingView v;
    v.meeting = m;
    v.series = s;
    v.group = g;
    v.venue = venue;
    out.meetings.push_back(std::move(v));
  }
  RETURN_IF_ERROR(st::TouchGroup(tx, g.id, now));
  RETURN_IF_ERROR(st::BumpRevision(tx, now));
  RETURN_IF_ERROR(Commit(tx));
  out.series = s;
  return out;
}

Result<std::vector<Warning>> Operations::SeriesWarnings(Id organiser, Id series_id) {
  ASSIGN_OR_RETURN(st::Tx tx, db_.Read());
  auto s = st::GetSeries(tx, series_id);
  if (!s.ok())
    return s.status().code() == Code::kNotFound ? NotFound("no such series") : s.status();
  ASSIGN_OR_RETURN(Group g, st::GetGroup(tx, s->group_id));
  if (g.organiser_id != organiser) return NotFound("no such series");
  ASSIGN_OR_RETURN(auto members, st::ListMembers(tx, g.id));
  ASSIGN_OR_RETURN(auto meetings, st::ListSeriesMeetings(tx, series_id));
  std::map<Id, Venue> venues;
  std::vector<Warning> out;
  for (const Meeting& m : meetings) {
    if (m.status == MeetingStatus::kCancelled) continue;
    auto it = venues.find(m.venue_id);
    if (it == venues.end()) {
      ASSIGN_OR_RETURN(Venue v, st::GetVenue(tx, m.venue_id));
      it = venues.emplace(v.id, std::move(v)).first;
    }
    DateWarnings(g, m.start, it->second, static_cast<int>(members.size()), &out);
  }
  return out;
}

Result<std::vector<MeetingView>> Operations::ListMeetings(Id organiser, const std::string& slug,
                                                          const std::string& from,
                                                          const std::string& to) {
  ASSIGN_OR_RETURN(auto from_d, OptDate(from, "from"));
  ASSIGN_OR_RETURN(auto to_d, OptDate(to, "to"));
  if (from_d && to_d && *to_d < *from_d) return InvalidArgument("to", "to must not be before from");
  ASSIGN_OR_RETURN(st::Tx tx, db_.Read());
  ASSIGN_OR_RETURN(Group g, OwnedGroup(tx, organiser, slug));
  ASSIGN_OR_RETURN(auto meetings, st::ListGroupMeetings(tx, g.id, from_d, to_d));
  std::vector<MeetingView> out;
  for (const Meeting& m : meetings) {
    ASSIGN_OR_RETURN(MeetingView v, LoadView(tx, m));
    out.push_back(std::move(v));
  }
  return out;
}

Result<MeetingView> Operations::GetMeeting(Id organiser, Id meeting_id) {
  ASSIGN_OR_RETURN(st::Tx tx, db_.Read());
  ASSIGN_OR_RETURN(Meeting m, OwnedMeeting(tx, organiser, meeting_id));
  return LoadView(tx, m);
}

Result<MeetingChanged> Operations::ChangeMeeting(Id organiser, Id meeting_id,
                                                 const std::string& if_match,
                                                 const MeetingPatch& patch) {
  const int64_t now = clock_();
  ASSIGN_OR_RETURN(st::Tx tx, db_.Write());
  MeetingChange change;
  ASSIGN_OR_RETURN(MeetingChanged out,
                   ApplyChange(tx, organiser, meeting_id, if_match, patch, now, &change));
  if (!out.changed) return out;  // nothing to write: no sequence bump, no notice
  RETURN_IF_ERROR(Changed(tx, change, now));
  ASSIGN_OR_RETURN(out.view, LoadView(tx, change.after));
  RETURN_IF_ERROR(Commit(tx));
  return out;
}

Result<MeetingChanged> Operations::ApplyChange(st::Tx& tx, Id organiser, Id meeting_id,
                                               const std::string& if_match,
                                               const MeetingPatch& patch, int64_t now,
                                               MeetingChange* change_out) {
  // Validate what needs no database first.
  std::optional<LocalDateTime> new_start;
  if (patch.start) {
    ASSIGN_OR_RETURN(LocalDateTime t, ParseLocalDateTime(*patch.start, "start"));
    new_start = t;
  }
  if (patch.duration_minutes && (*patch.duration_minutes < 5 || *patch.duration_minutes > 1440))
    return InvalidArgument("duration_minutes", "duration_minutes must be from 5 to 1440");
  std::optional<MeetingStatus> new_status;
  if (patch.status) {
    if (*patch.status == "cancelled")
      new_status = MeetingStatus::kCancelled;
    else if (*patch.status == "scheduled")
      new_status = MeetingStatus::kScheduled;
    else
      return InvalidArgument("status", "status must be cancelled or scheduled");
  }
  ASSIGN_OR_RETURN(auto notes, CleanOpt(patch.notes, "notes", 4000, true));

  ASSIGN_OR_RETURN(Meeting before, OwnedMeeting(tx, organiser, meeting_id));
  RETURN_IF_ERROR(CheckIfMatch(if_match, MeetingETag(before)));
  ASSIGN_OR_RETURN(Group g, st::GetGroup(tx, before.group_id));
  Meeting after = before;
  MeetingChange change;
  if (patch.venue_id && *patch.venue_id != before.venue_id) {
    ASSIGN_OR_RETURN(Venue v, OwnedVenue(tx, organiser, *patch.venue_id));
    after.venue_id = v.id;
    change.kinds.push_back(MeetingChange::Kind::kVenueChanged);
  }
  if (new_start && *new_start != before.start) {
    RETURN_IF_ERROR(ToUnix(g.timezone, *new_start, "start").status());
    after.start = *new_start;
    change.kinds.push_back(new_start->date != before.start.date ? MeetingChange::Kind::kMoved
                                                                : MeetingChange::Kind::kRetimed);
  }
  if (patch.duration_minutes && *patch.duration_minutes != before.duration_minutes) {
    after.duration_minutes = static_cast<int>(*patch.duration_minutes);
    if (std::find(change.kinds.begin(), change.kinds.end(), MeetingChange::Kind::kRetimed) ==
        change.kinds.end())
      change.kinds.push_back(MeetingChange::Kind::kRetimed);
  }
  if (new_status && *new_status != before.status) {
    after.status = *new_status;
    change.kinds.push_back(*new_status == MeetingStatus::kCancelled
                               ? MeetingChange::Kind::kCancelled
                               : MeetingChange::Kind::kReinstated);
  }
  if (notes && *notes != before.notes) {
    after.notes = *notes;
    change.kinds.push_back(MeetingChange::Kind::kNotes);
  }

  MeetingChanged out;
  if (change.kinds.empty()) {
    ASSIGN_OR_RETURN(out.view, LoadView(tx, before));
    return out;  // nothing to write: no sequence bump, no notice
  }
  ASSIGN_OR_RETURN(Venue venue, st::GetVenue(tx, after.venue_id));
  if (after.status == MeetingStatus::kScheduled &&
      (after.venue_id != before.venue_id || after.start != before.start ||
       after.duration_minutes != before.duration_minutes || before.status != after.status)) {
    ASSIGN_OR_RETURN(auto clash,
                     Clash(tx, g, after.venue_id, after.start, after.duration_minutes, after.id));
    if (clash) {
      if (!patch.force) return ClashError(*clash, after.start);
      out.warnings.push_back(
          {"venue_clash",
           "overlaps meeting " + std::to_string(clash->meeting_id) + " of " + clash->group_name});
    }
    ASSIGN_OR_RETURN(auto members, st::ListMembers(tx, g.id));
    DateWarnings(g, after.start, venue, static_cast<int>(members.size()), &out.warnings);
  }
  after.sequence = before.sequence + 1;
  after.updated_at = now;
  RETURN_IF_ERROR(st::UpdateMeeting(tx, after));
  if (before.status != after.status) {
    // The master's EXDATE list changed: its SEQUENCE rises too (ical-conformance F16).
    ASSIGN_OR_RETURN(Series s, st::GetSeries(tx, after.series_id));
    s.sequence += 1;
    s.updated_at = now;
    RETURN_IF_ERROR(st::UpdateSeries(tx, s));
  }
  ASSIGN_OR_RETURN(after, st::GetMeeting(tx, after.id));
  change.before = before;
  change.after = after;
  ASSIGN_OR_RETURN(out.view, LoadView(tx, after));
  out.changed = true;
  *change_out = std::move(change);
  return out;
}

Result<Presenter> Operations::AddPresenter(Id organiser, Id meeting_id, const PresenterInput& in) {
  Presenter p;
  ASSIGN_OR_RETURN(p.name, CleanText(in.name, "name", 200, true));
  ASSIGN_OR_RETURN(p.topic, CleanText(in.topic, "topic", 500, true));
  if (in.organisation) {
    ASSIGN_OR_RETURN(p.organisation, CleanText(*in.organisation, "organisation", 200, false));
  }
  if (in.email && !in.email->empty()) {
    ASSIGN_OR_RETURN(p.email, CleanEmail(*in.email, "email"));
  }
  const int64_t now = clock_();
  p.created_at = now;
  ASSIGN_OR_RETURN(st::Tx tx, db_.Write());
  ASSIGN_OR_RETURN(Meeting before, OwnedMeeting(tx, organiser, meeting_id));
  p.meeting_id = before.id;
  ASSIGN_OR_RETURN(p, st::InsertPresenter(tx, p));
  Meeting after = before;
  after.sequence += 1;  // DESCRIPTION changes: calendars refresh on a higher SEQUENCE
  after.updated_at = now;
  RETURN_IF_ERROR(st::UpdateMeeting(tx, after));
  ASSIGN_OR_RETURN(after, st::GetMeeting(tx, after.id));
  MeetingChange change{{MeetingChange::Kind::kPresenterAdded}, before, after, p, 0};
  RETURN_IF_ERROR(Changed(tx, change, now));
  RETURN_IF_ERROR(Commit(tx));
  return p;
}

Status Operations::RemovePresenter(Id organiser, Id meeting_id, Id presenter_id) {
  const int64_t now = clock_();
  ASSIGN_OR_RETURN(st::Tx tx, db_.Write());
  ASSIGN_OR_RETURN(Meeting before, OwnedMeeting(tx, organiser, meeting_id));
  auto p = st::GetPresenter(tx, presenter_id);
  if (!p.ok() || p->meeting_id != before.id) return NotFound("no such presenter at this meeting");
  RETURN_IF_ERROR(st::DeletePresenter(tx, presenter_id));
  Meeting after = before;
  after.sequence += 1;
  after.updated_at = now;
  RETURN_IF_ERROR(st::UpdateMeeting(tx, after));
  ASSIGN_OR_RETURN(after, st::GetMeeting(tx, after.id));
  MeetingChange change{{MeetingChange::Kind::kPresenterRemoved}, before, after, *p, 0};
  RETURN_IF_ERROR(Changed(tx, change, now));
  return Commit(tx);
}

// ---------------------------------------------------------------- apologies and register

Result<bool> Operations::RecordApologies(Id organiser, Id meeting_id, Id member_id,
                                         const std::string& reason_in) {
  ASSIGN_OR_RETURN(std::string reason, CleanText(reason_in, "reason", 500, false, true));
  const int64_t now = clock_();
  ASSIGN_OR_RETURN(st::Tx tx, db_.Write());
  ASSIGN_OR_RETURN(Meeting m, OwnedMeeting(tx, organiser, meeting_id));
  ASSIGN_OR_RETURN(Group g, st::GetGroup(tx, m.group_id));
  ASSIGN_OR_RETURN(int64_t start, ToUnix(g.timezone, m.start));
  auto member = st::GetMember(tx, member_id);
  if (!member.ok() || member->group_id != m.group_id || !member->MemberAt(start))
    return Status(Code::kNotFound, "no member " + std::to_string(member_id) + " in this group",
                  "member_id");
  ASSIGN_OR_RETURN(bool inserted, st::InsertApology(tx, Apology{m.id, member_id, reason, now}));
  if (!inserted) return false;
  MeetingChange change{{MeetingChange::Kind::kApologies}, m, m, std::nullopt, member_id};
  RETURN_IF_ERROR(Changed(tx, change, now));
  RETURN_IF_ERROR(Commit(tx));
  return true;
}

Result<AttendanceView> Operations::Attendance(Id organiser, Id meeting_id) {
  ASSIGN_OR_RETURN(st::Tx tx, db_.Read());
  ASSIGN_OR_RETURN(Meeting m, OwnedMeeting(tx, organiser, meeting_id));
  AttendanceView out;
  ASSIGN_OR_RETURN(out.meeting, LoadView(tx, m));
  // Who belonged when it started: a member removed since stays in a past meeting's register.
  ASSIGN_OR_RETURN(int64_t start, ToUnix(out.meeting.group.timezone, m.start));
  ASSIGN_OR_RETURN(auto members, st::ListMembersAt(tx, m.group_id, start));
  ASSIGN_OR_RETURN(auto apologies, st::ListApologies(tx, m.id));
  ASSIGN_OR_RETURN(auto marked, st::ListAttendance(tx, m.id));
  int sent = 0;
  for (const Member& mem : members) {
    AttendanceRow row{mem, calendar::Attendance::kExpected, ""};
    for (const Apology& a : apologies)
      if (a.member_id == mem.id) {
        row.status = calendar::Attendance::kApologies;
        row.reason = a.reason;
        ++sent;
      }
    for (const auto& [id, status] : marked)
      if (id == mem.id) row.status = status;  // the register on the day wins
    out.members.push_back(std::move(row));
  }
  out.quorum = ForecastQuorum(static_cast<int>(members.size()), sent, out.meeting.group.quorum);
  return out;
}

Status Operations::MarkAttendance(Id organiser, Id meeting_id, Id member_id,
                                  const std::string& status) {
  calendar::Attendance a;
  if (status == "present")
    a = calendar::Attendance::kPresent;
  else if (status == "absent")
    a = calendar::Attendance::kAbsent;
  else
    return InvalidArgument("status", "status must be present or absent");
  const int64_t now = clock_();
  ASSIGN_OR_RETURN(st::Tx tx, db_.Write());
  ASSIGN_OR_RETURN(Meeting m, OwnedMeeting(tx, organiser, meeting_id));
  ASSIGN_OR_RETURN(Group g, st::GetGroup(tx, m.group_id));
  ASSIGN_OR_RETURN(int64_t start, ToUnix(g.timezone, m.start));
  auto member = st::GetMember(tx, member_id);
  if (!member.ok() || member->group_id != m.group_id || !member->MemberAt(start))
    return NotFound("no member " + std::to_string(member_id) + " in this group");
  RETURN_IF_ERROR(st::SetAttendance(tx, m.id, member_id, a, now));
  RETURN_IF_ERROR(st::BumpRevision(tx, now));
  return Commit(tx);
}

// ---------------------------------------------------------------- the notice outbox

Result<std::vector<notify::OutboxEntry>> Operations::ListOutbox(Id organiser,
                                                                const std::string& status) {
  std::optional<notify::OutboxStatus> filter;
  if (!status.empty()) {
    filter = notify::ParseOutboxStatus(status);
    if (!filter)
      return InvalidArgument("status", "status must be queued, sent, failed or superseded");
  }
  ASSIGN_OR_RETURN(st::Tx tx, db_.Read());
  ASSIGN_OR_RETURN(std::vector<Group> groups, st::ListGroups(tx, organiser));
  std::vector<Id> ids;
  for (const Group& g : groups) ids.push_back(g.id);
  ASSIGN_OR_RETURN(std::vector<notify::OutboxEntry> rows, notify::ListOutbox(tx, ids, filter));
  if (!filter) {
    // Superseded rows will never be sent: shown only when asked for by name.
    std::erase_if(rows, [](const notify::OutboxEntry& e) { return e.status == "superseded"; });
  }
  return rows;
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
