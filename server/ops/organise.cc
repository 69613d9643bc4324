// What the organiser pages need beyond the API's use cases: upcoming meetings, personal links,
// change previews, the register in one go and the minutes header.
#include <algorithm>
#include <cctype>

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

std::string Surname(const std::string& name) {
  size_t end = name.find_last_not_of(' ');
  if (end == std::string::npos) return name;
  size_t sp = name.find_last_of(' ', end);
  return sp == std::string::npos ? name : name.substr(sp + 1, end - sp);
}

void SortBySurname(std::vector<MinutesPerson>* people) {
  std::stable_sort(people->begin(), people->end(),
                   [](const MinutesPerson& a, const MinutesPerson& b) {
                     return std::pair(Upper(Surname(a.name)), Upper(a.name)) <
                            std::pair(Upper(Surname(b.name)), Upper(b.name));
                   });
}

}  // namespace

Result<std::map<std::string, std::string>> Operations::FailingAddresses(Id organiser,
                                                                        const std::string& slug) {
  ASSIGN_OR_RETURN(st::Tx tx, db_.Read());
  ASSIGN_OR_RETURN(Group g, OwnedGroup(tx, organiser, slug));
  return notify::FailingRecipients(tx, g.id);
}

Result<std::vector<MeetingView>> Operations::UpcomingMeetings(Id organiser,
                                                              const std::string& slug) {
  ASSIGN_OR_RETURN(Group g, GetGroup(organiser, slug));
  ASSIGN_OR_RETURN(LocalDateTime now, FromUnix(g.timezone, clock_()));
  return ListMeetings(organiser, slug, FormatDate(now.date), "");
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
  RETURN_IF_ERROR(st::RevokeMemberTokens(tx, m->id, kind, now));
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
  // Who hears of it: exactly the plan the notices will follow (server/ops/change_notices.h); every
  // member's calendar feed shows the change either way.
  for (const notify::PlannedNotice& n : plan.notices) {
    const notify::Recipient& r = n.to;
    if (n.action == notify::PlannedAction::kWithdraw) {
      out.not_told.push_back({r.name, r.email,
                              "their notice of an earlier change, not sent yet, is withdrawn: "
                              "this change undoes it"});
      continue;
    }
    std::string how = r.member_id == 0 ? "an email notice, as a presenter"
                      : r.delivery == Delivery::kInvitations
                          ? "an email with the updated calendar invitation"
                          : "an email notice; their calendar feed shows the change";
    if (n.action == notify::PlannedAction::kUpdate)
      how += " (one email with the earlier change still waiting to go)";
    out.told.push_back({r.name, r.email, how});
  }
  for (const notify::Recipient& r : plan.unsubscribed)
    out.not_told.push_back({r.name, r.email,
                            "unsubscribed from notices: no email (their calendar feed still "
                            "shows the change)"});
  for (const notify::Recipient& r : plan.no_address)
    out.not_told.push_back({r.name, "",
                            r.member_id == 0 ? "presenter with no email address: not told"
                                             : "no email address: not told"});
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
