// Groups and their members: create, read, change, add, remove (history kept).
#include <algorithm>
#include <map>

#include "calendar/holidays.h"
#include "calendar/store/store.h"
#include "notify/outbox.h"
#include "server/ops/common.h"
#include "server/ops/member_fields.h"
#include "server/ops/operations.h"

namespace convene::server {

using namespace calendar;  // NOLINT: the domain vocabulary
namespace st = calendar::store;

namespace {
Result<std::string> CheckRegion(const std::string& region) {
  if (!ParseHolidayRegion(region))
    return InvalidArgument("bank_holiday_region",
                           "bank_holiday_region must be england-and-wales, scotland or "
                           "northern-ireland");
  return region;
}
Result<int> CheckReminderDays(int64_t days) {
  if (days < 0 || days > 60)
    return InvalidArgument("reminder_days",
                           "reminder_days must be from 0 to 60 (0 or null: no reminders)");
  return static_cast<int>(days);
}
}  // namespace

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
  if (in.bank_holiday_region) {
    ASSIGN_OR_RETURN(g.bank_holiday_region, CheckRegion(*in.bank_holiday_region));
  }
  if (in.reminder_days) {
    ASSIGN_OR_RETURN(int days, CheckReminderDays(*in.reminder_days));
    g.reminder_days = days;
  } else if (in.no_reminders) {
    g.reminder_days.reset();
  }
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

// Adding one member and importing many check their fields here (server/ops/member_fields.h).
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

namespace {

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

Result<MemberCreated> AdmitMember(st::Tx& tx, Member m, int64_t now, const RandomSource& random) {
  ASSIGN_OR_RETURN(std::optional<Member> former, st::FindMemberByEmail(tx, m.group_id, m.email));
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
  ASSIGN_OR_RETURN(out.feed_token, IssueToken(tx, random, row));
  row.kind = "page";
  ASSIGN_OR_RETURN(out.page_token, IssueToken(tx, random, row));
  return out;
}

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
  ASSIGN_OR_RETURN(MemberCreated out, AdmitMember(tx, std::move(m), now, random_));
  RETURN_IF_ERROR(st::TouchGroup(tx, g.id, now));
  RETURN_IF_ERROR(st::BumpRevision(tx, now));
  if (member_hook_) RETURN_IF_ERROR(member_hook_(tx, g, out, now));
  if (delivery_hook_) RETURN_IF_ERROR(delivery_hook_(tx, g, std::nullopt, out.member, now));
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
  if (patch.bank_holiday_region) {
    ASSIGN_OR_RETURN(g.bank_holiday_region, CheckRegion(*patch.bank_holiday_region));
  }
  if (patch.reminder_days) {
    ASSIGN_OR_RETURN(int days, CheckReminderDays(*patch.reminder_days));
    g.reminder_days = days;
  } else if (patch.clear_reminder_days) {
    g.reminder_days.reset();
  }
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
  const Member before = m;
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
  if (delivery_hook_) {
    ASSIGN_OR_RETURN(Group g, st::GetGroup(tx, m.group_id));
    RETURN_IF_ERROR(delivery_hook_(tx, g, before, m, now));
  }
  RETURN_IF_ERROR(Commit(tx));
  return m;
}

Result<Member> Operations::RemoveMember(Id organiser, Id member_id, const std::string& slug) {
  const int64_t now = clock_();
  ASSIGN_OR_RETURN(st::Tx tx, db_.Write());
  ASSIGN_OR_RETURN(Member m, OwnedMember(tx, organiser, member_id, slug));
  ASSIGN_OR_RETURN(Group g, st::GetGroup(tx, m.group_id));
  if (m.left_at) return m;  // a repeat: nothing changes
  const Member before = m;
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
  // A member on invitations: what convene put in their calendar comes out (after the supersede
  // above, which would otherwise take this too).
  if (delivery_hook_) RETURN_IF_ERROR(delivery_hook_(tx, g, before, out, now));
  RETURN_IF_ERROR(Commit(tx));
  return out;
}

}  // namespace convene::server
