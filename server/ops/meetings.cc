// Series and meetings: create a series, list and read meetings, change one meeting (move,
// re-venue, cancel, reinstate), presenters.
#include <algorithm>
#include <map>

#include "calendar/store/store.h"
#include "notify/outbox.h"
#include "server/ops/common.h"
#include "server/ops/operations.h"

namespace convene::server {

using namespace calendar;  // NOLINT: the domain vocabulary
namespace st = calendar::store;

Result<std::optional<Busy>> Operations::Clash(st::Tx& tx, const Group& g, Id venue_id,
                                              const LocalDateTime& start, int duration, Id self) {
  ASSIGN_OR_RETURN(int64_t s, ToUnix(g.timezone, start));
  const int64_t e = s + int64_t{duration} * 60;
  // Meetings of any group at that venue within a day either side (zones differ by < 1 day).
  ASSIGN_OR_RETURN(auto busy, BusyAtVenue(tx, venue_id, AddDays(start.date, -1),
                                          AddMinutes(start, duration + 1440).date, self));
  return FindClash(s, e, busy, self);
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

Result<MeetingEditResult> Operations::ChangeMeeting(Id organiser, Id meeting_id,
                                                    const std::string& if_match,
                                                    const MeetingPatch& patch) {
  const int64_t now = clock_();
  ASSIGN_OR_RETURN(st::Tx tx, db_.Write());
  MeetingEvent change;
  ASSIGN_OR_RETURN(MeetingEditResult out,
                   ApplyChange(tx, organiser, meeting_id, if_match, patch, now, &change));
  if (!out.changed) return out;  // nothing to write: no sequence bump, no notice
  ASSIGN_OR_RETURN(out.notices, TallyNotices(tx, change, now));
  RETURN_IF_ERROR(Changed(tx, change, now));
  ASSIGN_OR_RETURN(out.view, LoadView(tx, change.after));
  RETURN_IF_ERROR(Commit(tx));
  return out;
}

Result<MeetingEditResult> Operations::ApplyChange(st::Tx& tx, Id organiser, Id meeting_id,
                                                  const std::string& if_match,
                                                  const MeetingPatch& patch, int64_t now,
                                                  MeetingEvent* change_out) {
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
  MeetingEvent change;
  if (patch.venue_id && *patch.venue_id != before.venue_id) {
    ASSIGN_OR_RETURN(Venue v, OwnedVenue(tx, organiser, *patch.venue_id));
    after.venue_id = v.id;
    change.kinds.push_back(MeetingEvent::Kind::kVenueChanged);
  }
  if (new_start && *new_start != before.start) {
    RETURN_IF_ERROR(ToUnix(g.timezone, *new_start, "start").status());
    after.start = *new_start;
    change.kinds.push_back(new_start->date != before.start.date ? MeetingEvent::Kind::kMoved
                                                                : MeetingEvent::Kind::kRetimed);
  }
  if (patch.duration_minutes && *patch.duration_minutes != before.duration_minutes) {
    after.duration_minutes = static_cast<int>(*patch.duration_minutes);
    if (std::find(change.kinds.begin(), change.kinds.end(), MeetingEvent::Kind::kRetimed) ==
        change.kinds.end())
      change.kinds.push_back(MeetingEvent::Kind::kRetimed);
  }
  if (new_status && *new_status != before.status) {
    after.status = *new_status;
    change.kinds.push_back(*new_status == MeetingStatus::kCancelled
                               ? MeetingEvent::Kind::kCancelled
                               : MeetingEvent::Kind::kReinstated);
  }
  if (notes && *notes != before.notes) {
    after.notes = *notes;
    change.kinds.push_back(MeetingEvent::Kind::kNotes);
  }

  MeetingEditResult out;
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

Result<bool> Operations::Started(st::Tx& tx, const Meeting& m, int64_t now) {
  ASSIGN_OR_RETURN(Group g, st::GetGroup(tx, m.group_id));
  ASSIGN_OR_RETURN(int64_t start, ToUnix(g.timezone, m.start));
  return start <= now;
}

Result<Presenter> Operations::ApplyAddPresenter(st::Tx& tx, Id organiser, Id meeting_id,
                                                const std::string& if_match,
                                                const PresenterInput& in, int64_t now,
                                                MeetingEvent* change) {
  Presenter p;
  ASSIGN_OR_RETURN(p.name, CleanText(in.name, "name", 200, true));
  ASSIGN_OR_RETURN(p.topic, CleanText(in.topic, "topic", 500, true));
  if (in.organisation) {
    ASSIGN_OR_RETURN(p.organisation, CleanText(*in.organisation, "organisation", 200, false));
  }
  if (in.email && !in.email->empty()) {
    ASSIGN_OR_RETURN(p.email, CleanEmail(*in.email, "email"));
  }
  p.created_at = now;
  ASSIGN_OR_RETURN(Meeting before, OwnedMeeting(tx, organiser, meeting_id));
  if (!if_match.empty()) RETURN_IF_ERROR(CheckIfMatch(if_match, MeetingETag(before)));
  p.meeting_id = before.id;
  ASSIGN_OR_RETURN(p, st::InsertPresenter(tx, p));
  Meeting after = before;
  after.sequence += 1;  // DESCRIPTION changes: calendars refresh on a higher SEQUENCE
  after.updated_at = now;
  RETURN_IF_ERROR(st::UpdateMeeting(tx, after));
  ASSIGN_OR_RETURN(after, st::GetMeeting(tx, after.id));
  *change = MeetingEvent{{MeetingEvent::Kind::kPresenterAdded}, before, after, p, 0};
  return p;
}

Status Operations::ApplyRemovePresenter(st::Tx& tx, Id organiser, Id meeting_id,
                                        const std::string& if_match, Id presenter_id, int64_t now,
                                        MeetingEvent* change) {
  ASSIGN_OR_RETURN(Meeting before, OwnedMeeting(tx, organiser, meeting_id));
  auto p = st::GetPresenter(tx, presenter_id);
  if (!p.ok() || p->meeting_id != before.id) return NotFound("no such presenter at this meeting");
  if (!if_match.empty()) RETURN_IF_ERROR(CheckIfMatch(if_match, MeetingETag(before)));
  RETURN_IF_ERROR(st::DeletePresenter(tx, presenter_id));
  Meeting after = before;
  after.sequence += 1;
  after.updated_at = now;
  RETURN_IF_ERROR(st::UpdateMeeting(tx, after));
  ASSIGN_OR_RETURN(after, st::GetMeeting(tx, after.id));
  *change = MeetingEvent{{MeetingEvent::Kind::kPresenterRemoved}, before, after, *p, 0};
  return Status::Ok();
}

Status Operations::PresenterChanged(st::Tx& tx, const MeetingEvent& change, int64_t now,
                                    NoticeTally* tally) {
  ASSIGN_OR_RETURN(bool started, Started(tx, change.before, now));
  NoticeTally t;
  t.started = started;
  if (started) {
    // Who presented at a meeting already held is a matter for its minutes, not for an email to
    // every member: the feeds change, nobody is told.
    RETURN_IF_ERROR(st::TouchGroup(tx, change.after.group_id, now));
    RETURN_IF_ERROR(st::BumpRevision(tx, now));
  } else {
    ASSIGN_OR_RETURN(t, TallyNotices(tx, change, now));
    RETURN_IF_ERROR(Changed(tx, change, now));
  }
  if (tally) *tally = t;
  return Status::Ok();
}

Result<Presenter> Operations::AddPresenter(Id organiser, Id meeting_id, const PresenterInput& in,
                                           const std::string& if_match, NoticeTally* tally) {
  const int64_t now = clock_();
  ASSIGN_OR_RETURN(st::Tx tx, db_.Write());
  MeetingEvent change;
  ASSIGN_OR_RETURN(Presenter p,
                   ApplyAddPresenter(tx, organiser, meeting_id, if_match, in, now, &change));
  RETURN_IF_ERROR(PresenterChanged(tx, change, now, tally));
  RETURN_IF_ERROR(Commit(tx));
  return p;
}

Status Operations::RemovePresenter(Id organiser, Id meeting_id, Id presenter_id,
                                   const std::string& if_match, NoticeTally* tally) {
  const int64_t now = clock_();
  ASSIGN_OR_RETURN(st::Tx tx, db_.Write());
  MeetingEvent change;
  RETURN_IF_ERROR(
      ApplyRemovePresenter(tx, organiser, meeting_id, if_match, presenter_id, now, &change));
  RETURN_IF_ERROR(PresenterChanged(tx, change, now, tally));
  return Commit(tx);
}

}  // namespace convene::server
