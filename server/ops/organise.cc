// What the organiser pages need beyond the API's use cases: upcoming meetings, personal links,
// change previews, the register in one go and the minutes header.
#include <algorithm>
#include <cctype>
#include <climits>

#include "calendar/names.h"
#include "calendar/words.h"
#include "notify/notices.h"
#include "server/ops/change_notices.h"
#include "server/ops/operations.h"

namespace convene::server {

using namespace calendar;  // NOLINT: the domain vocabulary
namespace st = calendar::store;

namespace {

std::string Upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

// The order of the members page too (calendar/names.h).
void SortBySurname(std::vector<MinutesPerson>* people) {
  std::stable_sort(
      people->begin(), people->end(),
      [](const MinutesPerson& a, const MinutesPerson& b) { return BySurname(a.name, b.name); });
}

}  // namespace

Result<std::map<std::string, std::string>> Operations::FailingAddresses(Id organiser,
                                                                        const std::string& slug) {
  ASSIGN_OR_RETURN(st::Tx tx, db_.Read());
  ASSIGN_OR_RETURN(Group g, OwnedGroup(tx, organiser, slug));
  return notify::FailingRecipients(tx, g.id);
}

Result<std::vector<MeetingView>> Operations::UpcomingMeetings(Id organiser, const std::string& slug,
                                                              size_t limit) {
  ASSIGN_OR_RETURN(st::Tx tx, db_.Read());
  ASSIGN_OR_RETURN(Group g, OwnedGroup(tx, organiser, slug));
  ASSIGN_OR_RETURN(LocalDateTime now, FromUnix(g.timezone, clock_()));
  // Cut before the rows are read and their views loaded: a group has years of meetings to come.
  std::optional<int> most;
  if (limit < static_cast<size_t>(INT_MAX)) most = static_cast<int>(limit);
  ASSIGN_OR_RETURN(auto meetings, st::ListGroupMeetings(tx, g.id, now.date, std::nullopt, most));
  std::vector<MeetingView> out;
  for (const Meeting& m : meetings) {
    ASSIGN_OR_RETURN(MeetingView v, LoadView(tx, m));
    out.push_back(std::move(v));
  }
  return out;
}

Result<std::vector<Operations::DashboardGroup>> Operations::Dashboard(Id organiser,
                                                                      size_t upcoming) {
  ASSIGN_OR_RETURN(st::Tx tx, db_.Read());
  ASSIGN_OR_RETURN(auto groups, st::ListGroups(tx, organiser));
  std::vector<DashboardGroup> out;
  out.reserve(groups.size());
  for (Group& g : groups) {
    DashboardGroup d;
    ASSIGN_OR_RETURN(LocalDateTime now, FromUnix(g.timezone, clock_()));
    ASSIGN_OR_RETURN(auto meetings, st::ListGroupMeetings(tx, g.id, now.date, std::nullopt,
                                                          static_cast<int>(upcoming)));
    for (const Meeting& m : meetings) {
      ASSIGN_OR_RETURN(MeetingView v, LoadView(tx, m));
      d.next.push_back(std::move(v));
    }
    ASSIGN_OR_RETURN(auto members, st::ListMembers(tx, g.id));
    ASSIGN_OR_RETURN(auto failing, notify::FailingRecipients(tx, g.id));
    d.members = members.size();
    if (!failing.empty())
      for (const Member& m : members)
        d.members_failing += failing.count(calendar::LowerAscii(m.email));
    d.group = std::move(g);
    out.push_back(std::move(d));
  }
  return out;
}

Result<MemberCreated> Operations::NewMemberPageLink(Id organiser, Id member_id) {
  return RotateMemberLink(organiser, member_id, "page", false);
}

Result<MemberCreated> Operations::RotateMemberLink(Id organiser, Id member_id,
                                                   const std::string& kind, bool revoke_only) {
  if (kind != "feed" && kind != "page") return InvalidArgument("kind", "kind must be feed or page");
  const int64_t now = clock_();
  ASSIGN_OR_RETURN(st::Tx tx, db_.Write());
  auto m = st::GetMember(tx, member_id);
  if (!m.ok())
    return m.status().code() == Code::kNotFound ? NotFound("no such member") : m.status();
  ASSIGN_OR_RETURN(Group g, st::GetGroup(tx, m->group_id));
  if (g.organiser_id != organiser || m->left_at) return NotFound("no such member");
  // Revoking ends the derived links too (their epoch rises); issuing one raises it as well.
  RETURN_IF_ERROR(revoke_only ? EndMemberLinks(tx, m->id, kind, now)
                              : st::RevokeMemberTokens(tx, m->id, kind, now));
  MemberCreated out;
  out.member = *m;
  if (!revoke_only) {
    st::TokenRow row;
    row.kind = kind;
    row.member_id = m->id;
    row.created_at = now;
    ASSIGN_OR_RETURN(std::string token, IssueToken(tx, random_, row));
    (kind == "feed" ? out.feed_token : out.page_token) = std::move(token);
  }
  // The member's feed cache is keyed by revision: a revoked token must stop answering at once.
  RETURN_IF_ERROR(st::BumpRevision(tx, now));
  RETURN_IF_ERROR(Commit(tx));
  return out;
}

Result<MemberCreated> Operations::PageLinkFor(Id organiser, Id member_id) {
  ASSIGN_OR_RETURN(st::Tx tx, db_.Read());
  auto m = st::GetMember(tx, member_id);
  if (!m.ok())
    return m.status().code() == Code::kNotFound ? NotFound("no such member") : m.status();
  ASSIGN_OR_RETURN(Group g, st::GetGroup(tx, m->group_id));
  if (g.organiser_id != organiser || m->left_at) return NotFound("no such member");
  ASSIGN_OR_RETURN(int64_t epoch, st::TokenEpoch(tx, m->id, "page"));
  MemberCreated out;
  out.member = *m;
  out.page_token = PageLinkToken(link_key_, m->id, m->links_version, epoch);
  return out;
}

namespace {

// Who hears of a change: exactly the plan the notices will follow (server/ops/change_notices.h);
// every member's calendar feed shows the change either way. Each `how` is said after "will get"
// (told) or "get no email:" (not told).
void AddRecipients(const notify::MeetingChangePlan& plan, ChangePreview* out) {
  for (const notify::PlannedNotice& n : plan.notices) {
    const notify::Recipient& r = n.to;
    if (n.action == notify::PlannedAction::kWithdraw) {
      out->not_told.push_back({r.name, r.email,
                               "the email about the earlier change had not gone out yet, and "
                               "this change undoes it, so it will not be sent"});
      continue;
    }
    std::string how = r.member_id == 0 ? "an email notice, as a presenter"
                      : r.delivery == Delivery::kInvitations
                          ? "an email with the updated calendar invitation"
                          : "an email notice; their calendar feed shows the change";
    if (n.action == notify::PlannedAction::kUpdate)
      how += " (one email with the earlier change still waiting to go)";
    out->told.push_back({r.name, r.email, how});
  }
  for (const notify::Recipient& r : plan.unsubscribed)
    out->not_told.push_back({r.name, r.email,
                             "they unsubscribed from notices (their calendar feed still shows "
                             "the change)"});
  for (const notify::Recipient& r : plan.no_address)
    out->not_told.push_back(
        {r.name, "", r.member_id == 0 ? "a presenter with no email address" : "no email address"});
}

}  // namespace

Result<ChangePreview> Operations::PreviewAddPresenter(Id organiser, Id meeting_id,
                                                      const PresenterInput& in) {
  return PreviewPresenter(organiser, meeting_id, &in, 0);
}

Result<ChangePreview> Operations::PreviewRemovePresenter(Id organiser, Id meeting_id,
                                                         Id presenter_id) {
  return PreviewPresenter(organiser, meeting_id, nullptr, presenter_id);
}

Result<ChangePreview> Operations::PreviewPresenter(Id organiser, Id meeting_id,
                                                   const PresenterInput* add, Id remove_id) {
  ChangePreview out;
  {
    ASSIGN_OR_RETURN(st::Tx tx, db_.Read());
    ASSIGN_OR_RETURN(Meeting m, OwnedMeeting(tx, organiser, meeting_id));
    ASSIGN_OR_RETURN(out.before, LoadView(tx, m));
  }
  out.etag = MeetingETag(out.before.meeting);
  const int64_t now = clock_();
  // Written and planned in one transaction that is never committed (as PreviewChange).
  ASSIGN_OR_RETURN(st::Tx tx, db_.Write());
  MeetingEvent change;
  if (add) {
    RETURN_IF_ERROR(
        ApplyAddPresenter(tx, organiser, meeting_id, out.etag, *add, now, &change).status());
  } else {
    RETURN_IF_ERROR(
        ApplyRemovePresenter(tx, organiser, meeting_id, out.etag, remove_id, now, &change));
  }
  ASSIGN_OR_RETURN(out.after, LoadView(tx, change.after));
  out.changed = true;
  ASSIGN_OR_RETURN(out.started, Started(tx, change.before, now));
  if (out.started) return out;  // PresenterChanged tells nobody
  NoticeContext ctx;
  ctx.base_url = base_url_;
  ctx.random = random_;
  ASSIGN_OR_RETURN(notify::MeetingChangePlan plan, PlanChangeNotices(tx, change, now, ctx));
  AddRecipients(plan, &out);
  return out;
}

Result<ChangePreview> Operations::PreviewChange(Id organiser, Id meeting_id, MeetingPatch patch) {
  ChangePreview out;
  {
    ASSIGN_OR_RETURN(st::Tx tx, db_.Read());
    ASSIGN_OR_RETURN(Meeting m, OwnedMeeting(tx, organiser, meeting_id));
    ASSIGN_OR_RETURN(out.before, LoadView(tx, m));
  }
  out.etag = MeetingETag(out.before.meeting);
  const int64_t now = clock_();
  NoticeContext ctx;
  ctx.base_url = base_url_;
  ctx.random = random_;
  notify::MeetingChangePlan plan;
  // The change is written and its notices planned in one transaction that is never committed:
  // it rolls back when `tx` goes out of scope.
  auto attempt = [&](const MeetingPatch& p) -> Status {
    ASSIGN_OR_RETURN(st::Tx tx, db_.Write());
    MeetingEvent change;
    ASSIGN_OR_RETURN(MeetingEditResult r,
                     ApplyChange(tx, organiser, meeting_id, out.etag, p, now, &change));
    out.after = r.view;
    out.warnings = r.warnings;
    out.changed = r.changed;
    if (r.changed) {
      ASSIGN_OR_RETURN(plan, PlanChangeNotices(tx, change, now, ctx));
    }
    return Status::Ok();
  };
  Status st = attempt(patch);
  if (!st.ok() && st.error_code() == "venue_clash" && !patch.force) {
    out.blocked = st;  // show what "book anyway" would do
    patch.force = true;
    st = attempt(patch);
  }
  RETURN_IF_ERROR(st);
  if (!out.changed) return out;
  AddRecipients(plan, &out);
  return out;
}

Status Operations::SetRegister(Id organiser, Id meeting_id, const std::vector<Id>& present) {
  const int64_t now = clock_();
  ASSIGN_OR_RETURN(st::Tx tx, db_.Write());
  ASSIGN_OR_RETURN(Meeting m, OwnedMeeting(tx, organiser, meeting_id));
  ASSIGN_OR_RETURN(Group g, st::GetGroup(tx, m.group_id));
  ASSIGN_OR_RETURN(int64_t start, ToUnix(g.timezone, m.start));
  ASSIGN_OR_RETURN(auto members, st::ListMembersAt(tx, m.group_id, start));
  ASSIGN_OR_RETURN(auto apologies, st::ListApologies(tx, m.id));
  for (Id id : present)
    if (std::none_of(members.begin(), members.end(), [id](const Member& x) { return x.id == id; }))
      return Status(Code::kNotFound, "no member " + std::to_string(id) + " in this group",
                    "present");
  for (const Member& mem : members) {
    const bool here = std::find(present.begin(), present.end(), mem.id) != present.end();
    const bool sent = std::any_of(apologies.begin(), apologies.end(),
                                  [&](const Apology& a) { return a.member_id == mem.id; });
    if (here)
      RETURN_IF_ERROR(st::SetAttendance(tx, m.id, mem.id, calendar::Attendance::kPresent, now));
    else if (sent)
      RETURN_IF_ERROR(st::ClearAttendance(tx, m.id, mem.id));
    else
      RETURN_IF_ERROR(st::SetAttendance(tx, m.id, mem.id, calendar::Attendance::kAbsent, now));
  }
  RETURN_IF_ERROR(st::BumpRevision(tx, now));
  return Commit(tx);
}

Result<MinutesHeader> Operations::Minutes(Id organiser, Id meeting_id) {
  ASSIGN_OR_RETURN(AttendanceView a, Attendance(organiser, meeting_id));
  MinutesHeader out;
  out.meeting = a.meeting;
  for (const AttendanceRow& row : a.members)
    if (row.status == calendar::Attendance::kPresent || row.status == calendar::Attendance::kAbsent)
      out.register_taken = true;
  for (const AttendanceRow& row : a.members) {
    MinutesPerson p{row.member.name, row.member.organisation, ""};
    if (row.status == calendar::Attendance::kPresent ||
        (!out.register_taken && row.status == calendar::Attendance::kExpected))
      out.attendance.push_back(p);
    else if (row.status == calendar::Attendance::kApologies)
      out.apologies.push_back(p);
  }
  SortBySurname(&out.attendance);
  SortBySurname(&out.apologies);
  for (const Presenter& p : a.meeting.presenters)
    out.presenting.push_back({p.name, p.organisation, p.topic});
  const Meeting& m = a.meeting.meeting;
  const Venue& v = a.meeting.venue;
  std::string where = v.name;
  if (!v.address.empty()) where += ", " + v.address;
  if (!v.postcode.empty()) where += " " + v.postcode;
  out.heading = Upper("Minutes of " + a.meeting.group.name + " meeting held on " +
                      LongDate(m.start.date) + " at premises of " + where);
  return out;
}

}  // namespace convene::server
