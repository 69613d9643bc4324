// Attendance: apologies recorded by the organiser, the register, and the notice outbox list.
#include <algorithm>
#include <map>

#include "calendar/store/store.h"
#include "notify/outbox.h"
#include "server/ops/common.h"
#include "server/ops/operations.h"

namespace convene::server {

using namespace calendar;  // NOLINT: the domain vocabulary
namespace st = calendar::store;

namespace {

// Ok when `member_id` belonged to the meeting's group when the meeting started; else NotFound
// (naming `field`, when given).
Status CheckMemberAt(st::Tx& tx, const Meeting& m, Id member_id, const std::string& field) {
  ASSIGN_OR_RETURN(Group g, st::GetGroup(tx, m.group_id));
  ASSIGN_OR_RETURN(int64_t start, ToUnix(g.timezone, m.start));
  auto member = st::GetMember(tx, member_id);
  if (!member.ok() || member->group_id != m.group_id || !member->MemberAt(start))
    return Status(Code::kNotFound, "no member " + std::to_string(member_id) + " in this group",
                  field);
  return Status::Ok();
}

}  // namespace

Result<bool> Operations::RecordApologies(Id organiser, Id meeting_id, Id member_id,
                                         const std::string& reason_in) {
  ASSIGN_OR_RETURN(std::string reason, CleanText(reason_in, "reason", 500, false, true));
  const int64_t now = clock_();
  ASSIGN_OR_RETURN(st::Tx tx, db_.Write());
  ASSIGN_OR_RETURN(Meeting m, OwnedMeeting(tx, organiser, meeting_id));
  RETURN_IF_ERROR(CheckMemberAt(tx, m, member_id, "member_id"));
  ASSIGN_OR_RETURN(bool inserted, st::InsertApology(tx, Apology{m.id, member_id, reason, now}));
  if (!inserted) return false;
  MeetingEvent change{{MeetingEvent::Kind::kApologies}, m, m, std::nullopt, member_id};
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
  RETURN_IF_ERROR(CheckMemberAt(tx, m, member_id, ""));
  RETURN_IF_ERROR(st::SetAttendance(tx, m.id, member_id, a, now));
  RETURN_IF_ERROR(st::BumpRevision(tx, now));
  return Commit(tx);
}

// ---------------------------------------------------------------- the notice outbox

Result<std::vector<notify::OutboxEntry>> Operations::ListOutbox(Id organiser,
                                                                const std::string& status,
                                                                bool with_superseded) {
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
  if (!filter && !with_superseded) {
    // Superseded rows will never be sent: the API lists them only when asked for by name.
    std::erase_if(rows, [](const notify::OutboxEntry& e) { return e.status == "superseded"; });
  }
  return rows;
}

}  // namespace convene::server
