// The member's side: their page, feed link, notice preference and apologies, each reached by a
// capability link (a page token stored as its hash, or a signed apology token).
#include "notify/outbox.h"
#include "server/ops/operations.h"

namespace convene::server {

using namespace calendar;  // NOLINT: the domain vocabulary
namespace st = calendar::store;

namespace {

const Status& InvalidLink() {
  static const Status kInvalid(Code::kNotFound,
                               "this link is not valid: it may have been replaced by a newer one "
                               "or withdrawn. Ask the group's organiser for a new link.",
                               "", "invalid_link");
  return kInvalid;
}

// The first date that counts as upcoming in the group's zone: today there.
Result<CivilDate> Today(const std::string& tz, int64_t now) {
  ASSIGN_OR_RETURN(LocalDateTime t, FromUnix(tz, now));
  return t.date;
}

}  // namespace

Result<bool> Operations::Open(const MeetingView& v) const {
  if (v.meeting.status != MeetingStatus::kScheduled) return false;
  ASSIGN_OR_RETURN(int64_t start, ToUnix(v.group.timezone, v.meeting.start));
  return clock_() < start;
}

Result<Member> Operations::PageMember(st::Tx& tx, const std::string& page_token) {
  if (page_token.size() != 43) return InvalidLink();
  ASSIGN_OR_RETURN(auto row, st::FindToken(tx, HashSecret(page_token), "page", clock_()));
  Id member_id = 0;
  if (row) {
    member_id = row->member_id;
  } else if (auto claimed = DecodeUnsubscribeToken(page_token)) {
    // A page link derived for a notice (PageLinkToken): valid for the member's links_version.
    auto m = st::GetMember(tx, *claimed);
    if (!m.ok()) return InvalidLink();
    ASSIGN_OR_RETURN(int64_t epoch, st::TokenEpoch(tx, m->id, "page"));
    if (!PageLinkTokenValid(link_key_, page_token, *m, epoch)) return InvalidLink();
    member_id = m->id;
  } else {
    return InvalidLink();
  }
  auto m = st::GetMember(tx, member_id);
  if (!m.ok()) return m.status().code() == Code::kNotFound ? InvalidLink() : m.status();
  if (m->left_at) return InvalidLink();  // removed (their tokens were revoked too)
  return m;
}

Result<MemberMeeting> Operations::LoadMemberMeeting(st::Tx& tx, const Member& member,
                                                    const Meeting& m) {
  MemberMeeting out;
  ASSIGN_OR_RETURN(out.view, LoadView(tx, m));
  out.apology_token = ApologyToken(link_key_, m.id, member.id, member.links_version);
  ASSIGN_OR_RETURN(auto apologies, st::ListApologies(tx, m.id));
  for (const Apology& a : apologies)
    if (a.member_id == member.id) {
      out.apologised = true;
      out.reason = a.reason;
    }
  ASSIGN_OR_RETURN(out.open, Open(out.view));
  return out;
}

Result<MemberHome> Operations::MemberByPage(const std::string& page_token) {
  ASSIGN_OR_RETURN(st::Tx tx, db_.Read());
  MemberHome out;
  ASSIGN_OR_RETURN(out.member, PageMember(tx, page_token));
  ASSIGN_OR_RETURN(out.group, st::GetGroup(tx, out.member.group_id));
  ASSIGN_OR_RETURN(CivilDate today, Today(out.group.timezone, clock_()));
  ASSIGN_OR_RETURN(auto meetings, st::ListGroupMeetings(tx, out.group.id, today, std::nullopt));
  for (const Meeting& m : meetings) {
    ASSIGN_OR_RETURN(MemberMeeting mm, LoadMemberMeeting(tx, out.member, m));
    out.upcoming.push_back(std::move(mm));
  }
  ASSIGN_OR_RETURN(int64_t epoch, st::TokenEpoch(tx, out.member.id, "feed"));
  out.feed_token = FeedLinkToken(link_key_, out.member.id, out.member.links_version, epoch);
  return out;
}

Result<std::string> Operations::NewFeedLink(const std::string& page_token) {
  const int64_t now = clock_();
  ASSIGN_OR_RETURN(st::Tx tx, db_.Write());
  ASSIGN_OR_RETURN(Member m, PageMember(tx, page_token));
  // Every calendar link of theirs ends (stored ones, as in the welcome email, and the page's);
  // the page shows the next derived one from now on.
  RETURN_IF_ERROR(EndMemberLinks(tx, m.id, "feed", now));
  ASSIGN_OR_RETURN(int64_t epoch, st::TokenEpoch(tx, m.id, "feed"));
  const std::string token = FeedLinkToken(link_key_, m.id, m.links_version, epoch);
  RETURN_IF_ERROR(st::BumpRevision(tx, now));
  RETURN_IF_ERROR(Commit(tx));
  return token;
}

Status Operations::SetNotices(const std::string& page_token, const std::string& choice) {
  ASSIGN_OR_RETURN(st::Tx tx, db_.Write());
  ASSIGN_OR_RETURN(Member m, PageMember(tx, page_token));
  const Member before = m;
  if (choice == "feed") {
    m.delivery = Delivery::kFeed;
    m.unsubscribed = false;
  } else if (choice == "invitations") {
    m.delivery = Delivery::kInvitations;
    m.unsubscribed = false;
  } else if (choice == "none") {
    m.unsubscribed = true;
  } else {
    return InvalidArgument("choice", "choose feed, invitations or none");
  }
  const int64_t now = clock_();
  RETURN_IF_ERROR(st::UpdateMember(tx, m));
  RETURN_IF_ERROR(st::BumpRevision(tx, now));
  if (delivery_hook_) {
    ASSIGN_OR_RETURN(Group g, st::GetGroup(tx, m.group_id));
    RETURN_IF_ERROR(delivery_hook_(tx, g, before, m, now));
  }
  return Commit(tx);
}

Result<ApologyPage> Operations::LoadApology(st::Tx& tx, const std::string& apology_token) {
  auto ref = DecodeApologyToken(apology_token);
  if (!ref) return InvalidLink();
  auto member = st::GetMember(tx, ref->member_id);
  if (!member.ok())
    return member.status().code() == Code::kNotFound ? InvalidLink() : member.status();
  if (member->left_at || !ApologyTokenValid(link_key_, apology_token, *member, ref->meeting_id))
    return InvalidLink();
  auto meeting = st::GetMeeting(tx, ref->meeting_id);
  if (!meeting.ok())
    return meeting.status().code() == Code::kNotFound ? InvalidLink() : meeting.status();
  if (meeting->group_id != member->group_id) return InvalidLink();
  ApologyPage out;
  out.member = *member;
  ASSIGN_OR_RETURN(out.meeting, LoadMemberMeeting(tx, *member, *meeting));
  return out;
}

Result<ApologyPage> Operations::ApologyByLink(const std::string& apology_token) {
  ASSIGN_OR_RETURN(st::Tx tx, db_.Read());
  return LoadApology(tx, apology_token);
}

namespace {
Status Closed(const MemberMeeting& mm) {
  return Status(Code::kConflict,
                mm.view.meeting.status == MeetingStatus::kCancelled
                    ? "this meeting has been cancelled, so no apologies are needed"
                    : "this meeting has started, so apologies can no longer be sent or withdrawn "
                      "online; please tell the organiser",
                "", "apologies_closed");
}
}  // namespace

Result<ApologyPage> Operations::SendApologies(const std::string& apology_token,
                                              const std::string& reason_in) {
  ASSIGN_OR_RETURN(std::string reason, CleanText(reason_in, "reason", 500, false, true));
  const int64_t now = clock_();
  ASSIGN_OR_RETURN(st::Tx tx, db_.Write());
  ASSIGN_OR_RETURN(ApologyPage page, LoadApology(tx, apology_token));
  if (page.meeting.apologised) return page;  // a repeat: nothing changes, nothing is sent
  if (!page.meeting.open) return Closed(page.meeting);
  const Meeting& m = page.meeting.view.meeting;
  ASSIGN_OR_RETURN(bool inserted,
                   st::InsertApology(tx, Apology{m.id, page.member.id, reason, now}));
  if (inserted) {
    MeetingEvent change{{MeetingEvent::Kind::kApologies}, m, m, std::nullopt, page.member.id};
    RETURN_IF_ERROR(Changed(tx, change, now));
  }
  ASSIGN_OR_RETURN(page, LoadApology(tx, apology_token));
  RETURN_IF_ERROR(Commit(tx));
  page.changed = inserted;
  return page;
}

Result<ApologyPage> Operations::WithdrawApologies(const std::string& apology_token) {
  const int64_t now = clock_();
  ASSIGN_OR_RETURN(st::Tx tx, db_.Write());
  ASSIGN_OR_RETURN(ApologyPage page, LoadApology(tx, apology_token));
  if (!page.meeting.apologised) return page;
  if (!page.meeting.open) return Closed(page.meeting);
  const Meeting& m = page.meeting.view.meeting;
  ASSIGN_OR_RETURN(bool removed, st::DeleteApology(tx, m.id, page.member.id));
  if (removed) {
    MeetingEvent change{
        {MeetingEvent::Kind::kApologiesWithdrawn}, m, m, std::nullopt, page.member.id};
    RETURN_IF_ERROR(Changed(tx, change, now));
  }
  ASSIGN_OR_RETURN(page, LoadApology(tx, apology_token));
  RETURN_IF_ERROR(Commit(tx));
  page.changed = removed;
  return page;
}

Result<UnsubscribePage> Operations::LoadUnsubscribe(st::Tx& tx, const std::string& token) {
  auto id = DecodeUnsubscribeToken(token);
  if (!id) return InvalidLink();
  auto member = st::GetMember(tx, *id);
  if (!member.ok())
    return member.status().code() == Code::kNotFound ? InvalidLink() : member.status();
  if (member->left_at || !UnsubscribeTokenValid(link_key_, token, *member)) return InvalidLink();
  UnsubscribePage out;
  out.member = *member;
  ASSIGN_OR_RETURN(out.group, st::GetGroup(tx, member->group_id));
  return out;
}

Result<UnsubscribePage> Operations::UnsubscribeByLink(const std::string& token) {
  ASSIGN_OR_RETURN(st::Tx tx, db_.Read());
  return LoadUnsubscribe(tx, token);
}

Result<UnsubscribePage> Operations::Unsubscribe(const std::string& token) {
  const int64_t now = clock_();
  ASSIGN_OR_RETURN(st::Tx tx, db_.Write());
  ASSIGN_OR_RETURN(UnsubscribePage page, LoadUnsubscribe(tx, token));
  if (page.member.unsubscribed) return page;  // a repeat: nothing changes
  page.member.unsubscribed = true;
  RETURN_IF_ERROR(st::UpdateMember(tx, page.member));
  // Notices already queued but not yet sent would arrive after the member asked to stop them.
  RETURN_IF_ERROR(
      notify::SupersedeQueuedTo(tx, page.group.id, page.member.email, "unsubscribed", now)
          .status());
  RETURN_IF_ERROR(Commit(tx));
  page.changed = true;
  return page;
}

Result<UnsubscribePage> Operations::Resubscribe(const std::string& token) {
  ASSIGN_OR_RETURN(st::Tx tx, db_.Write());
  ASSIGN_OR_RETURN(UnsubscribePage page, LoadUnsubscribe(tx, token));
  if (!page.member.unsubscribed) return page;  // a repeat: nothing changes
  const Member before = page.member;
  page.member.unsubscribed = false;
  RETURN_IF_ERROR(st::UpdateMember(tx, page.member));
  if (delivery_hook_)
    RETURN_IF_ERROR(delivery_hook_(tx, page.group, before, page.member, clock_()));
  RETURN_IF_ERROR(Commit(tx));
  page.changed = true;
  return page;
}

}  // namespace convene::server
