// Series, meetings, presenters, apologies and the register.
#include "calendar/store/store.h"

namespace convene::calendar::store {
namespace {

LocalDateTime ParseStored(const std::string& s) {
  auto t = ParseLocalDateTime(s, "stored");
  return t.ok() ? *t : LocalDateTime{};
}

constexpr const char* kSeriesCols =
    "SELECT id, group_id, uid, title, venue_id, start_minute, duration_minutes, rrule, first_date,"
    " agenda, sequence, created_at, updated_at, rule_start_minute, version FROM series";

Series SeriesRow(const Stmt& s) {
  Series r;
  r.id = s.Int(0);
  r.group_id = s.Int(1);
  r.uid = s.Text(2);
  r.title = s.Text(3);
  r.venue_id = s.Int(4);
  r.start_minute = static_cast<int>(s.Int(5));
  r.duration_minutes = static_cast<int>(s.Int(6));
  r.rrule = s.Text(7);
  auto d = ParseDate(s.Text(8), "first_date");
  if (d.ok()) r.first_date = *d;
  r.agenda = s.Text(9);
  r.sequence = static_cast<int>(s.Int(10));
  r.created_at = s.Int(11);
  r.updated_at = s.Int(12);
  r.rule_start_minute = static_cast<int>(s.Int(13));
  r.version = s.Int(14);
  return r;
}

constexpr const char* kMeetingCols =
    "SELECT id, series_id, group_id, uid, original_start, start, duration_minutes, venue_id,"
    " status, sequence, notes, created_at, updated_at, version, title, agenda FROM meetings";

Meeting MeetingRow(const Stmt& s) {
  Meeting m;
  m.id = s.Int(0);
  m.series_id = s.Int(1);
  m.group_id = s.Int(2);
  m.uid = s.Text(3);
  m.original_start = ParseStored(s.Text(4));
  m.start = ParseStored(s.Text(5));
  m.duration_minutes = static_cast<int>(s.Int(6));
  m.venue_id = s.Int(7);
  m.status = s.Text(8) == "cancelled" ? MeetingStatus::kCancelled : MeetingStatus::kScheduled;
  m.sequence = static_cast<int>(s.Int(9));
  m.notes = s.Text(10);
  m.created_at = s.Int(11);
  m.updated_at = s.Int(12);
  m.version = s.Int(13);
  m.title = s.OptText(14);
  m.agenda = s.OptText(15);
  return m;
}

Result<std::vector<Meeting>> Meetings(Stmt& s) {
  std::vector<Meeting> out;
  while (s.Step()) out.push_back(MeetingRow(s));
  RETURN_IF_ERROR(s.status());
  return out;
}

// [from, to] as text bounds on 'YYYY-MM-DDTHH:MM'.
std::string Lower(std::optional<CivilDate> d) { return d ? FormatDate(*d) : std::string("0000"); }
std::string Upper(std::optional<CivilDate> d) {
  return d ? FormatDate(*d) + "T99" : std::string("9999");
}

}  // namespace

Result<Series> InsertSeries(Tx& tx, Series r) {
  Stmt s = tx.Prepare(
      "INSERT INTO series(group_id, uid, title, venue_id, start_minute, duration_minutes, rrule,"
      " first_date, agenda, sequence, created_at, updated_at, rule_start_minute)"
      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)");
  s.BindAll(r.group_id, r.uid, r.title, r.venue_id, r.start_minute, r.duration_minutes, r.rrule,
            FormatDate(r.first_date), r.agenda, r.sequence, r.created_at, r.updated_at,
            r.rule_start_minute);
  RETURN_IF_ERROR(s.Run());
  r.id = tx.LastInsertId();
  return r;
}

Result<Series> GetSeries(Tx& tx, Id id) {
  Stmt s = tx.Prepare((std::string(kSeriesCols) + " WHERE id=?1").c_str());
  s.BindAll(id);
  if (!s.Step()) return s.status().ok() ? NotFound("no such series") : s.status();
  return SeriesRow(s);
}

Result<std::vector<Series>> ListSeries(Tx& tx, Id group_id) {
  Stmt s = tx.Prepare((std::string(kSeriesCols) + " WHERE group_id=?1 ORDER BY id").c_str());
  s.BindAll(group_id);
  std::vector<Series> out;
  while (s.Step()) out.push_back(SeriesRow(s));
  RETURN_IF_ERROR(s.status());
  return out;
}

Status UpdateSeries(Tx& tx, const Series& r) {
  Stmt s = tx.Prepare(
      "UPDATE series SET title=?2, venue_id=?3, start_minute=?4, duration_minutes=?5, agenda=?6,"
      " sequence=max(sequence, ?7), updated_at=max(updated_at, ?8), rrule=?9, version=version+1"
      " WHERE id=?1");
  s.BindAll(r.id, r.title, r.venue_id, r.start_minute, r.duration_minutes, r.agenda, r.sequence,
            r.updated_at, r.rrule);
  return s.Run();
}

Result<Meeting> InsertMeeting(Tx& tx, Meeting m) {
  Stmt s = tx.Prepare(
      "INSERT INTO meetings(series_id, group_id, uid, original_start, start, duration_minutes,"
      " venue_id, status, sequence, notes, created_at, updated_at, title, agenda)"
      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)");
  s.BindAll(m.series_id, m.group_id, m.uid, FormatLocal(m.original_start), FormatLocal(m.start),
            m.duration_minutes, m.venue_id, MeetingStatusName(m.status), m.sequence, m.notes,
            m.created_at, m.updated_at, m.title, m.agenda);
  RETURN_IF_ERROR(s.Run());
  m.id = tx.LastInsertId();
  return m;
}

Result<Meeting> GetMeeting(Tx& tx, Id id) {
  Stmt s = tx.Prepare((std::string(kMeetingCols) + " WHERE id=?1").c_str());
  s.BindAll(id);
  if (!s.Step()) return s.status().ok() ? NotFound("no such meeting") : s.status();
  return MeetingRow(s);
}

Status UpdateMeeting(Tx& tx, const Meeting& m) {
  // sequence and updated_at never move backwards, whatever the caller passes.
  Stmt s = tx.Prepare(
      "UPDATE meetings SET start=?2, duration_minutes=?3, venue_id=?4, status=?5,"
      " sequence=max(sequence, ?6), notes=?7, updated_at=max(updated_at, ?8), version=version+1,"
      " title=?9, agenda=?10 WHERE id=?1");
  s.BindAll(m.id, FormatLocal(m.start), m.duration_minutes, m.venue_id, MeetingStatusName(m.status),
            m.sequence, m.notes, m.updated_at, m.title, m.agenda);
  return s.Run();
}

Result<std::vector<Meeting>> ListGroupMeetings(Tx& tx, Id group_id, std::optional<CivilDate> from,
                                               std::optional<CivilDate> to,
                                               std::optional<int> limit) {
  Stmt s = tx.Prepare((std::string(kMeetingCols) +
                       " WHERE group_id=?1 AND start >= ?2 AND start <= ?3 ORDER BY start, id" +
                       (limit ? " LIMIT ?4" : ""))
                          .c_str());
  s.BindAll(group_id, Lower(from), Upper(to));
  if (limit) s.Bind(4, *limit);
  return Meetings(s);
}

Result<std::vector<Meeting>> ListScheduledBetween(Tx& tx, CivilDate from, CivilDate to) {
  Stmt s = tx.Prepare((std::string(kMeetingCols) +
                       " WHERE status = 'scheduled' AND start >= ?1 AND start <= ?2"
                       " ORDER BY start, id")
                          .c_str());
  s.BindAll(Lower(from), Upper(to));
  return Meetings(s);
}

Result<bool> MarkReminder(Tx& tx, Id meeting_id, Id member_id, int64_t now) {
  Stmt s = tx.Prepare(
      "INSERT OR IGNORE INTO reminders(meeting_id, member_id, queued_at) VALUES (?1, ?2, ?3)");
  s.BindAll(meeting_id, member_id, now);
  RETURN_IF_ERROR(s.Run());
  return tx.Changes() > 0;
}

Result<std::vector<Meeting>> ListSeriesMeetings(Tx& tx, Id series_id) {
  Stmt s = tx.Prepare(
      (std::string(kMeetingCols) + " WHERE series_id=?1 ORDER BY original_start").c_str());
  s.BindAll(series_id);
  return Meetings(s);
}

Result<std::vector<Meeting>> ListVenueMeetings(Tx& tx, Id venue_id, std::optional<CivilDate> from,
                                               std::optional<CivilDate> to) {
  Stmt s = tx.Prepare((std::string(kMeetingCols) +
                       " WHERE venue_id=?1 AND start >= ?2 AND start <= ?3 ORDER BY start, id")
                          .c_str());
  s.BindAll(venue_id, Lower(from), Upper(to));
  return Meetings(s);
}

Result<Presenter> InsertPresenter(Tx& tx, Presenter p) {
  Stmt s = tx.Prepare(
      "INSERT INTO presenters(meeting_id, name, organisation, email, topic, created_at)"
      " VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
  s.BindAll(p.meeting_id, p.name, p.organisation, p.email, p.topic, p.created_at);
  RETURN_IF_ERROR(s.Run());
  p.id = tx.LastInsertId();
  return p;
}

namespace {
constexpr const char* kPresenterCols =
    "SELECT id, meeting_id, name, organisation, email, topic, created_at FROM presenters";
Presenter PresenterRow(const Stmt& s) {
  return Presenter{s.Int(0), s.Int(1), s.Text(2), s.Text(3), s.Text(4), s.Text(5), s.Int(6)};
}
}  // namespace

Result<std::vector<Presenter>> ListPresenters(Tx& tx, Id meeting_id) {
  Stmt s = tx.Prepare((std::string(kPresenterCols) + " WHERE meeting_id=?1 ORDER BY id").c_str());
  s.BindAll(meeting_id);
  std::vector<Presenter> out;
  while (s.Step()) out.push_back(PresenterRow(s));
  RETURN_IF_ERROR(s.status());
  return out;
}

Result<Presenter> GetPresenter(Tx& tx, Id id) {
  Stmt s = tx.Prepare((std::string(kPresenterCols) + " WHERE id=?1").c_str());
  s.BindAll(id);
  if (!s.Step()) return s.status().ok() ? NotFound("no such presenter") : s.status();
  return PresenterRow(s);
}

Status DeletePresenter(Tx& tx, Id id) {
  return tx.Prepare("DELETE FROM presenters WHERE id=?1").BindAll(id).Run();
}

Result<bool> InsertApology(Tx& tx, const Apology& a) {
  Stmt s = tx.Prepare(
      "INSERT INTO apologies(meeting_id, member_id, reason, created_at) VALUES (?1, ?2, ?3, ?4)"
      " ON CONFLICT(meeting_id, member_id) DO NOTHING");
  s.BindAll(a.meeting_id, a.member_id, a.reason, a.created_at);
  RETURN_IF_ERROR(s.Run());
  return tx.Changes() > 0;
}

Result<bool> DeleteApology(Tx& tx, Id meeting_id, Id member_id) {
  RETURN_IF_ERROR(tx.Prepare("DELETE FROM apologies WHERE meeting_id=?1 AND member_id=?2")
                      .BindAll(meeting_id, member_id)
                      .Run());
  return tx.Changes() > 0;
}

Result<std::vector<Apology>> ListApologies(Tx& tx, Id meeting_id) {
  Stmt s = tx.Prepare(
      "SELECT meeting_id, member_id, reason, created_at FROM apologies WHERE meeting_id=?1"
      " ORDER BY created_at, member_id");
  s.BindAll(meeting_id);
  std::vector<Apology> out;
  while (s.Step()) out.push_back(Apology{s.Int(0), s.Int(1), s.Text(2), s.Int(3)});
  RETURN_IF_ERROR(s.status());
  return out;
}

Status SetAttendance(Tx& tx, Id meeting_id, Id member_id, Attendance status, int64_t now) {
  Stmt s = tx.Prepare(
      "INSERT INTO attendance(meeting_id, member_id, status, updated_at) VALUES (?1, ?2, ?3, ?4)"
      " ON CONFLICT(meeting_id, member_id) DO UPDATE SET status=excluded.status,"
      " updated_at=excluded.updated_at");
  s.BindAll(meeting_id, member_id, AttendanceName(status), now);
  return s.Run();
}

Result<std::vector<std::pair<Id, Attendance>>> ListAttendance(Tx& tx, Id meeting_id) {
  Stmt s = tx.Prepare("SELECT member_id, status FROM attendance WHERE meeting_id=?1");
  s.BindAll(meeting_id);
  std::vector<std::pair<Id, Attendance>> out;
  while (s.Step())
    out.emplace_back(s.Int(0), s.Text(1) == "present" ? Attendance::kPresent : Attendance::kAbsent);
  RETURN_IF_ERROR(s.status());
  return out;
}

Status ClearAttendance(Tx& tx, Id meeting_id, Id member_id) {
  return tx.Prepare("DELETE FROM attendance WHERE meeting_id=?1 AND member_id=?2")
      .BindAll(meeting_id, member_id)
      .Run();
}

}  // namespace convene::calendar::store
