#include "server/ops/operations.h"

#include <algorithm>
#include <chrono>
#include <map>

#include "notify/outbox.h"
#include "server/http/header_list.h"
#include "server/ops/change_notices.h"
#include "server/ops/common.h"

namespace convene::server {

using namespace calendar;  // NOLINT: the domain vocabulary
namespace st = calendar::store;

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
                      g.is_public ? "public" : "private", g.bank_holiday_region,
                      g.reminder_days ? std::to_string(*g.reminder_days) : "none"});
}

std::string Operations::MemberETag(const Member& m) {
  return ContentETag("member", m.id,
                     {m.name, m.email, m.organisation, RoleName(m.role), DeliveryName(m.delivery),
                      m.unsubscribed ? "unsubscribed" : "subscribed"});
}

Status CheckIfMatch(const std::string& if_match, const std::string& etag) {
  if (if_match.empty())
    return Status(
        Code::kPreconditionRequired,
        "send If-Match with the ETag from your last GET, so no one else's change is lost");
  if (if_match == "*") return Status::Ok();
  // A list of ETags may be sent; weak ones never match (strong comparison, RFC 9110 13.1.1).
  for (std::string_view one : HeaderListItems(if_match))
    if (one == etag) return Status::Ok();
  return Status(
      Code::kPreconditionFailed,
      "the object has changed since you read it; GET it again and retry with its new ETag");
}

Result<std::optional<std::string>> CleanOpt(const std::optional<std::string>& v, const char* field,
                                            size_t max, bool multiline) {
  if (!v) return std::optional<std::string>();
  ASSIGN_OR_RETURN(std::string s, CleanText(*v, field, max, false, multiline));
  return std::optional<std::string>(std::move(s));
}

Result<std::optional<CivilDate>> OptDate(const std::string& s, const char* field) {
  if (s.empty()) return std::optional<CivilDate>();
  ASSIGN_OR_RETURN(CivilDate d, ParseDate(s, field));
  return std::optional<CivilDate>(d);
}

Status Operations::Commit(st::Tx& tx) {
  RETURN_IF_ERROR(tx.Commit());
  for (const auto& f : after_commit_) f();
  return Status::Ok();
}

Status Operations::Changed(st::Tx& tx, const MeetingEvent& change, int64_t now) {
  RETURN_IF_ERROR(st::TouchGroup(tx, change.after.group_id, now));
  RETURN_IF_ERROR(st::BumpRevision(tx, now));
  if (change_hook_) RETURN_IF_ERROR(change_hook_(tx, change, now));
  return Status::Ok();
}

Result<NoticeTally> Operations::TallyNotices(st::Tx& tx, const MeetingEvent& change, int64_t now) {
  NoticeTally out;
  if (!change_hook_) return out;
  NoticeContext ctx;
  ctx.base_url = base_url_;
  ctx.random = random_;
  ASSIGN_OR_RETURN(notify::MeetingChangePlan plan, PlanChangeNotices(tx, change, now, ctx));
  for (const notify::PlannedNotice& n : plan.notices)
    ++(n.action == notify::PlannedAction::kWithdraw ? out.withdrawn : out.told);
  return out;
}

Status Operations::EndMemberLinks(st::Tx& tx, Id member_id, const std::string& kind, int64_t now) {
  RETURN_IF_ERROR(st::RevokeMemberTokens(tx, member_id, kind, now));
  // One more row, born revoked, so store::TokenEpoch rises even when nothing was stored: the
  // derived links (secrets.h PageLinkToken, FeedLinkToken) are signed over it and end with it.
  st::TokenRow row;
  row.kind = kind;
  row.member_id = member_id;
  row.created_at = now;
  ASSIGN_OR_RETURN(std::string marker, IssueToken(tx, random_, row));
  return st::RevokeToken(tx, HashSecret(marker), now);
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

}  // namespace convene::server
