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

Result<MeetingEditResult> Operations::ChangeMeeting(Id organiser, Id meeting_id,
                                                    const std::string& if_match,
                                                    const MeetingPatch& patch) {
  const int64_t now = clock_();
  ASSIGN_OR_RETURN(st::Tx tx, db_.Write());
  MeetingEvent change;
  ASSIGN_OR_RETURN(MeetingEditResult out,
                   ApplyChange(tx, organiser, meeting_id, if_match, patch, now, &change));
  if (!out.changed) return out;  // nothing to write: no sequence bump, no notice
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
  MeetingEvent change{{MeetingEvent::Kind::kPresenterAdded}, before, after, p, 0};
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
  MeetingEvent change{{MeetingEvent::Kind::kPresenterRemoved}, before, after, *p, 0};
  RETURN_IF_ERROR(Changed(tx, change, now));
  return Commit(tx);
}

}  // namespace convene::server
