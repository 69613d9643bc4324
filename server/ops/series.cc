// Series: create (from a rule, a pattern in words or a list of dates), preview, list, and change
// "from this meeting on", extend, shorten or end.
//
// How a series change reaches calendars (docs/ical.md, "Series changed from a date on"): one
// UID for the whole series, as before. Every meeting is already its own RECURRENCE-ID override
// in the feeds, so "this and following" rewrites the meetings from `from` on and leaves the
// others, their UIDs and their bytes alone. The rule's slots (Series::rule_start_minute and the
// dates) never move: a new standing time moves the meetings, not the RECURRENCE-IDs. A meeting
// before `from` keeps its title and agenda by carrying them itself once the series' change.
#include <algorithm>
#include <map>
#include <set>

#include "calendar/pattern.h"
#include "calendar/store/store.h"
#include "calendar/words.h"
#include "server/ops/change_notices.h"
#include "server/ops/common.h"
#include "server/ops/operations.h"

namespace convene::server {

using namespace calendar;  // NOLINT: the domain vocabulary
namespace st = calendar::store;

namespace {

// The rule without its end (COUNT/UNTIL), to give it another.
std::string RuleWithoutEnd(const std::string& rrule) {
  std::string out;
  size_t i = 0;
  while (i <= rrule.size()) {
    size_t j = rrule.find(';', i);
    if (j == std::string::npos) j = rrule.size();
    const std::string part = rrule.substr(i, j - i);
    if (!part.empty() && part.rfind("COUNT=", 0) != 0 && part.rfind("UNTIL=", 0) != 0) {
      if (!out.empty()) out += ';';
      out += part;
    }
    i = j + 1;
  }
  return out;
}

std::string Hours(int minutes) {
  if (minutes % 60 == 0) return std::to_string(minutes / 60) + (minutes == 60 ? " hour" : " hours");
  if (minutes < 60) return std::to_string(minutes) + " minutes";
  return std::to_string(minutes / 60) + " h " + std::to_string(minutes % 60) + " min";
}

std::string Where(const Venue& v) { return v.address.empty() ? v.name : v.name + ", " + v.address; }

// Today's date in the group's zone.
CivilDate Today(const Group& g, int64_t now) {
  auto t = FromUnix(g.timezone, now);
  return t.ok() ? t->date : CivilFromDays(now / 86400);
}

Result<bool> HasStarted(const Group& g, const Meeting& m, int64_t now) {
  ASSIGN_OR_RETURN(int64_t start, ToUnix(g.timezone, m.start));
  return start <= now;
}

}  // namespace

std::string Operations::SeriesETag(const Series& s) {
  return "\"s" + std::to_string(s.id) + "-" + std::to_string(s.version) + "\"";
}

Result<Series> Operations::OwnedSeries(st::Tx& tx, Id organiser, Id series_id) {
  auto s = st::GetSeries(tx, series_id);
  if (!s.ok())
    return s.status().code() == Code::kNotFound ? NotFound("no such series") : s.status();
  ASSIGN_OR_RETURN(Group g, st::GetGroup(tx, s->group_id));
  if (g.organiser_id != organiser) return NotFound("no such series");
  return s;
}

// ---------------------------------------------------------------- create and preview

Result<SeriesPreview> Operations::PlanSeries(st::Tx& tx, Id organiser, const std::string& slug,
                                             const SeriesInput& in, int64_t now) {
  SeriesPreview out;
  Series& s = out.series;
  ASSIGN_OR_RETURN(s.title, CleanText(in.title, "title", 200, true));
  ASSIGN_OR_RETURN(s.start_minute, ParseTimeOfDay(in.start_time, "start_time"));
  s.rule_start_minute = s.start_minute;
  if (in.duration_minutes < 5 || in.duration_minutes > 1440)
    return InvalidArgument("duration_minutes", "duration_minutes must be from 5 to 1440");
  s.duration_minutes = static_cast<int>(in.duration_minutes);
  if (in.agenda) {
    ASSIGN_OR_RETURN(s.agenda, CleanText(*in.agenda, "agenda", 4000, false, true));
  }
  bool avoid_holidays = false, avoid_clashes = false;
  for (const std::string& a : in.avoid) {
    if (a == "bank_holidays")
      avoid_holidays = true;
    else if (a == "clashes")
      avoid_clashes = true;
    else
      return InvalidArgument("avoid", "avoid may hold \"bank_holidays\" and \"clashes\"");
  }
  const int given = (in.rrule ? 1 : 0) + (in.pattern ? 1 : 0) + (in.dates ? 1 : 0);
  if (given != 1)
    return InvalidArgument(
        in.dates     ? "dates"
        : in.pattern ? "pattern"
                     : "rrule",
        "give one of pattern (e.g. every 2 months on the 3rd Monday, 6 times), rrule or dates");
  std::optional<std::string> rrule = in.rrule;
  if (in.pattern) {
    ASSIGN_OR_RETURN(std::string r, PatternToRrule(*in.pattern));
    rrule = r;
  }
  std::vector<CivilDate> dates;
  if (rrule) {
    CivilDate first;
    if (in.first_date) {
      ASSIGN_OR_RETURN(first, ParseDate(*in.first_date, "first_date"));
    } else {
      // Today in UTC is close enough as a default start: the rule picks the first on-pattern date.
      first = CivilFromDays(now / 86400);
    }
    auto x = ExpandRule(*rrule, first);
    if (!x.ok() && in.pattern) {
      // Say it in the pattern's terms: the organiser never typed an RRULE.
      const std::string field = x.status().field() == "first_date" ? "first_date"
                                : in.pattern->until                ? "pattern.until"
                                                                   : "pattern.count";
      return InvalidArgument(field, x.status().message());
    }
    if (!x.ok()) return x.status();
    s.rrule = x->rrule;
    dates = std::move(x->dates);
    out.words = DescribeRule(s.rrule);
  } else {
    if (in.first_date)
      return InvalidArgument(
          "first_date", "first_date goes with a pattern or rrule; with dates, list every date");
    std::vector<CivilDate> parsed;
    for (const std::string& text : *in.dates) {
      ASSIGN_OR_RETURN(CivilDate d, ParseDate(text, "dates"));
      parsed.push_back(d);
    }
    ASSIGN_OR_RETURN(dates, NormalizeDates(parsed));
    out.words = dates.size() == 1 ? "One date" : std::to_string(dates.size()) + " listed dates";
  }
  s.first_date = dates.front();
  s.created_at = s.updated_at = now;

  ASSIGN_OR_RETURN(Group g, OwnedGroup(tx, organiser, slug));
  ASSIGN_OR_RETURN(out.venue, OwnedVenue(tx, organiser, in.venue_id));
  s.group_id = g.id;
  s.venue_id = out.venue.id;
  ASSIGN_OR_RETURN(auto members, st::ListMembers(tx, g.id));
  for (const CivilDate& d : dates) {
    const LocalDateTime start{d, s.start_minute};
    // Every date must exist at that wall-clock time (not in the spring-forward gap).
    RETURN_IF_ERROR(ToUnix(g.timezone, start, "start_time").status());
    if (auto h = GroupBankHoliday(g, d); h && avoid_holidays) {
      out.skipped.push_back({d, "bank_holiday", LongDate(d) + " is a bank holiday (" + *h + ")"});
      continue;
    }
    PlannedMeeting pm;
    pm.start = start;
    pm.duration_minutes = s.duration_minutes;
    ASSIGN_OR_RETURN(auto clash, Clash(tx, g, out.venue.id, start, s.duration_minutes, 0));
    if (clash) {
      const std::string what = out.venue.name + " is booked then by meeting " +
                               std::to_string(clash->meeting_id) + " of " + clash->group_name;
      if (avoid_clashes) {
        out.skipped.push_back({d, "venue_clash", LongDate(d) + ": " + what});
        continue;
      }
      if (!in.force && !out.blocked) out.blocked = ClashError(*clash, start);
      pm.warnings.push_back({"venue_clash", LongDate(d) + ": " + what});
    }
    DateWarnings(g, start, out.venue, static_cast<int>(members.size()), &pm.warnings);
    out.meetings.push_back(std::move(pm));
  }
  if (out.meetings.empty())
    return InvalidArgument("avoid",
                           "every date of the series would be left out; change the "
                           "pattern or what to avoid");
  if (s.is_rule() && s.rrule.find("UNTIL=") != std::string::npos) {
    ASSIGN_OR_RETURN(int64_t last, ToUnix(g.timezone, LocalDateTime{dates.back(), s.start_minute}));
    s.rrule = WithUtcUntil(s.rrule, FormatIcalUtc(last));
  }
  return out;
}

Result<SeriesPreview> Operations::PreviewSeries(Id organiser, const std::string& slug,
                                                const SeriesInput& in) {
  ASSIGN_OR_RETURN(st::Tx tx, db_.Read());
  return PlanSeries(tx, organiser, slug, in, clock_());
}

Result<SeriesCreated> Operations::CreateSeries(Id organiser, const std::string& slug,
                                               const SeriesInput& in) {
  const int64_t now = clock_();
  ASSIGN_OR_RETURN(st::Tx tx, db_.Write());
  ASSIGN_OR_RETURN(SeriesPreview plan, PlanSeries(tx, organiser, slug, in, now));
  if (plan.blocked) return *plan.blocked;
  ASSIGN_OR_RETURN(Group g, OwnedGroup(tx, organiser, slug));
  Series s = plan.series;
  s.uid = NewUuid(random_);
  ASSIGN_OR_RETURN(s, st::InsertSeries(tx, s));
  SeriesCreated out;
  for (const PlannedMeeting& pm : plan.meetings) {
    Meeting m;
    m.series_id = s.id;
    m.group_id = g.id;
    m.uid = s.is_rule() ? s.uid : NewUuid(random_);
    m.original_start = m.start = pm.start;
    m.duration_minutes = s.duration_minutes;
    m.venue_id = plan.venue.id;
    m.created_at = m.updated_at = now;
    ASSIGN_OR_RETURN(m, st::InsertMeeting(tx, m));
    MeetingView v;
    v.meeting = m;
    v.series = s;
    v.group = g;
    v.venue = plan.venue;
    out.meetings.push_back(std::move(v));
    out.warnings.insert(out.warnings.end(), pm.warnings.begin(), pm.warnings.end());
  }
  RETURN_IF_ERROR(st::TouchGroup(tx, g.id, now));
  RETURN_IF_ERROR(st::BumpRevision(tx, now));
  if (series_hook_) {
    // Members on calendar invitations get the new meetings in their calendar.
    SeriesEvent ev;
    ev.created = true;
    ev.before = ev.after = s;
    ev.from = s.first_date;
    for (const MeetingView& v : out.meetings) ev.meetings.push_back({std::nullopt, v.meeting});
    RETURN_IF_ERROR(series_hook_(tx, ev, now));
  }
  RETURN_IF_ERROR(Commit(tx));
  out.series = s;
  out.skipped = std::move(plan.skipped);
  return out;
}

Result<std::vector<Warning>> Operations::SeriesWarnings(Id organiser, Id series_id) {
  ASSIGN_OR_RETURN(st::Tx tx, db_.Read());
  ASSIGN_OR_RETURN(Series s, OwnedSeries(tx, organiser, series_id));
  ASSIGN_OR_RETURN(Group g, st::GetGroup(tx, s.group_id));
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

// ---------------------------------------------------------------- list and read

Result<SeriesSummary> Operations::Summarize(st::Tx& tx, const Series& s, int64_t now) {
  SeriesSummary out;
  out.series = s;
  out.words = s.is_rule() ? DescribeRule(s.rrule) : "Listed dates";
  ASSIGN_OR_RETURN(out.venue, st::GetVenue(tx, s.venue_id));
  ASSIGN_OR_RETURN(Group g, st::GetGroup(tx, s.group_id));
  ASSIGN_OR_RETURN(auto meetings, st::ListSeriesMeetings(tx, s.id));
  std::sort(meetings.begin(), meetings.end(),
            [](const Meeting& a, const Meeting& b) { return a.start < b.start; });
  for (const Meeting& m : meetings) {
    if (m.status != MeetingStatus::kScheduled) continue;
    ++out.meetings;
    if (!out.first) out.first = m.start;
    out.last = m.start;
    ASSIGN_OR_RETURN(bool started, HasStarted(g, m, now));
    if (!started) {
      ++out.upcoming;
      if (!out.next) out.next = m.start;
    }
  }
  return out;
}

Result<std::vector<SeriesSummary>> Operations::ListSeries(Id organiser, const std::string& slug) {
  ASSIGN_OR_RETURN(st::Tx tx, db_.Read());
  ASSIGN_OR_RETURN(Group g, OwnedGroup(tx, organiser, slug));
  ASSIGN_OR_RETURN(auto all, st::ListSeries(tx, g.id));
  const int64_t now = clock_();
  std::vector<SeriesSummary> out;
  for (const Series& s : all) {
    ASSIGN_OR_RETURN(SeriesSummary one, Summarize(tx, s, now));
    out.push_back(std::move(one));
  }
  return out;
}

Result<SeriesSummary> Operations::GetSeries(Id organiser, Id series_id) {
  ASSIGN_OR_RETURN(st::Tx tx, db_.Read());
  ASSIGN_OR_RETURN(Series s, OwnedSeries(tx, organiser, series_id));
  return Summarize(tx, s, clock_());
}

// ---------------------------------------------------------------- this and following

Result<SeriesEditResult> Operations::ApplySeriesChange(st::Tx& tx, Id organiser, Id series_id,
                                                       const std::string& if_match,
                                                       const SeriesPatch& patch, int64_t now,
                                                       SeriesEvent* event) {
  // Validate what needs no database first.
  std::optional<CivilDate> from;
  if (patch.from) {
    ASSIGN_OR_RETURN(CivilDate d, ParseDate(*patch.from, "from"));
    from = d;
  }
  std::optional<int> new_minute;
  if (patch.start_time) {
    ASSIGN_OR_RETURN(int m, ParseTimeOfDay(*patch.start_time, "start_time"));
    new_minute = m;
  }
  if (patch.duration_minutes && (*patch.duration_minutes < 5 || *patch.duration_minutes > 1440))
    return InvalidArgument("duration_minutes", "duration_minutes must be from 5 to 1440");
  ASSIGN_OR_RETURN(auto new_title, CleanOpt(patch.title, "title", 200));
  if (new_title && new_title->empty()) return InvalidArgument("title", "title is required");
  ASSIGN_OR_RETURN(auto new_agenda, CleanOpt(patch.agenda, "agenda", 4000, true));
  std::optional<CivilDate> until;
  if (patch.until) {
    ASSIGN_OR_RETURN(CivilDate d, ParseDate(*patch.until, "until"));
    until = d;
  }
  if (patch.until && patch.count) return InvalidArgument("count", "give until or count, not both");
  if (patch.count && (*patch.count < 1 || *patch.count > 500))
    return InvalidArgument("count", "count must be from 1 to 500");
  const bool fields =
      patch.venue_id || new_minute || patch.duration_minutes || new_title || new_agenda;
  if (patch.end_series && (fields || until || patch.count))
    return InvalidArgument("from", "ending a series changes nothing else");
  if (fields && !from)
    return InvalidArgument("from", "from (YYYY-MM-DD) is required: the first meeting to change");
  if (!fields && !until && !patch.count && !patch.end_series)
    return InvalidArgument("from",
                           "nothing to change: give venue_id, start_time, "
                           "duration_minutes, title, agenda, until or count");

  ASSIGN_OR_RETURN(Series before, OwnedSeries(tx, organiser, series_id));
  RETURN_IF_ERROR(CheckIfMatch(if_match, SeriesETag(before)));
  ASSIGN_OR_RETURN(Group g, st::GetGroup(tx, before.group_id));
  ASSIGN_OR_RETURN(auto meetings, st::ListSeriesMeetings(tx, before.id));
  ASSIGN_OR_RETURN(auto members, st::ListMembers(tx, g.id));
  const int member_count = static_cast<int>(members.size());
  if ((until || patch.count) && !before.is_rule())
    return InvalidArgument(until ? "until" : "count",
                           "this series is a list of dates, with no rule to extend or shorten");
  std::optional<Venue> new_venue;
  if (patch.venue_id) {
    ASSIGN_OR_RETURN(Venue v, OwnedVenue(tx, organiser, *patch.venue_id));
    new_venue = v;
  }
  if (from) {
    CivilDate lo{9999, 12, 31}, hi{0, 1, 1};
    for (const Meeting& m : meetings) {
      lo = std::min(lo, m.start.date);
      hi = std::max(hi, m.start.date);
    }
    if (meetings.empty() || *from < lo || *from > hi)
      return InvalidArgument("from", "from must be a date within the series (" +
                                         (meetings.empty() ? std::string("it has no meetings")
                                                           : LongDate(lo) + " to " + LongDate(hi)) +
                                         ")");
  }

  Series after = before;
  SeriesEditResult out;
  std::map<Id, Venue> venues;
  auto venue_of = [&](Id id) -> Result<Venue> {
    auto it = venues.find(id);
    if (it == venues.end()) {
      ASSIGN_OR_RETURN(Venue v, st::GetVenue(tx, id));
      it = venues.emplace(id, std::move(v)).first;
    }
    return it->second;
  };
  std::map<Id, SeriesEvent::Touched> touched;  // by meeting id
  std::vector<Meeting> fresh;                  // meetings the change adds, by date
  auto touch = [&](const Meeting& was, const Meeting& now_m) {
    auto it = touched.find(was.id);
    if (it == touched.end())
      touched.emplace(was.id, SeriesEvent::Touched{was, now_m});
    else
      it->second.after = now_m;
  };
  // A meeting whose place or time changed must be free at the venue.
  auto check_clash = [&](const Meeting& m) -> Status {
    ASSIGN_OR_RETURN(auto clash, Clash(tx, g, m.venue_id, m.start, m.duration_minutes, m.id));
    if (clash) {
      if (!patch.force) return ClashError(*clash, m.start);
      out.warnings.push_back({"venue_clash", LongDate(m.start.date) + ": overlaps meeting " +
                                                 std::to_string(clash->meeting_id) + " of " +
                                                 clash->group_name});
    }
    ASSIGN_OR_RETURN(Venue v, venue_of(m.venue_id));
    DateWarnings(g, m.start, v, member_count, &out.warnings);
    return Status::Ok();
  };

  // ---- end the series: cancel every meeting still to come ----
  if (patch.end_series) {
    from = Today(g, now);
    for (const Meeting& m : meetings) {
      if (m.status != MeetingStatus::kScheduled) continue;
      ASSIGN_OR_RETURN(bool started, HasStarted(g, m, now));
      if (started) continue;
      Meeting c = m;
      c.status = MeetingStatus::kCancelled;
      touch(m, c);
      out.cancelled.push_back(m.id);
    }
    CivilDate first_cancelled{9999, 12, 31};
    for (const auto& [id, t] : touched)
      first_cancelled = std::min(first_cancelled, t.after.start.date);
    if (!out.cancelled.empty())
      out.summary.push_back("The " + g.name + " meetings from " + LongDate(first_cancelled) +
                            " on are cancelled (" + std::to_string(out.cancelled.size()) +
                            (out.cancelled.size() == 1 ? " meeting)." : " meetings)."));
  }

  // ---- this and following: the fields ----
  if (fields) {
    if (new_venue) after.venue_id = new_venue->id;
    if (new_minute) after.start_minute = *new_minute;
    if (patch.duration_minutes) after.duration_minutes = static_cast<int>(*patch.duration_minutes);
    if (new_title) after.title = *new_title;
    if (new_agenda) after.agenda = *new_agenda;
    for (const Meeting& m : meetings) {
      Meeting c = m;
      ASSIGN_OR_RETURN(bool started, HasStarted(g, m, now));
      if (m.start.date < *from || started) {
        // Before the change, or held: keeps the title and agenda it was shown with.
        if (new_title && *new_title != before.title && !c.title) c.title = before.title;
        if (new_agenda && *new_agenda != before.agenda && !c.agenda) c.agenda = before.agenda;
        if (c.title != m.title || c.agenda != m.agenda) {
          // Same text as before: no new SEQUENCE, and the feed's bytes stay as they were.
          RETURN_IF_ERROR(st::UpdateMeeting(tx, c));
        }
        continue;  // a meeting held (or under way) is history
      }
      auto keep = [&](const char* field, const char* why) {
        out.kept.push_back({m.id, m.start, field, why});
      };
      if (m.status == MeetingStatus::kCancelled) {
        if (new_venue || new_minute || patch.duration_minutes)
          keep(new_venue    ? "venue_id"
               : new_minute ? "start_time"
                            : "duration_minutes",
               "cancelled: reinstating it brings it back as it was");
        continue;
      }
      if (new_venue && new_venue->id != before.venue_id) {
        if (m.venue_id != before.venue_id)
          keep("venue_id", "its venue was changed for this meeting alone");
        else
          c.venue_id = new_venue->id;
      }
      if (new_minute && *new_minute != before.start_minute) {
        if (m.start.date != m.original_start.date || m.start.minute_of_day != before.start_minute)
          keep("start_time", "it was moved on its own");
        else
          c.start.minute_of_day = *new_minute;
      }
      if (patch.duration_minutes && *patch.duration_minutes != before.duration_minutes) {
        if (m.duration_minutes != before.duration_minutes)
          keep("duration_minutes", "its length was changed for this meeting alone");
        else
          c.duration_minutes = static_cast<int>(*patch.duration_minutes);
      }
      // From `from` on, the series' (new) title and agenda.
      if (new_title) c.title.reset();
      if (new_agenda) c.agenda.reset();
      const bool moved = c.venue_id != m.venue_id || c.start != m.start ||
                         c.duration_minutes != m.duration_minutes;
      const bool retitled =
          TitleOf(after, c) != TitleOf(before, m) || AgendaOf(after, c) != AgendaOf(before, m);
      if (!moved && !retitled) continue;
      if (moved) RETURN_IF_ERROR(ToUnix(g.timezone, c.start, "start_time").status());
      if (moved) RETURN_IF_ERROR(check_clash(c));
      touch(m, c);
      out.changed.push_back(m.id);
    }
    // In words, from the first meeting the change reaches.
    std::optional<CivilDate> first;
    for (const auto& [id, t] : touched)
      if (t.after.start.date >= *from && (!first || t.after.start.date < *first))
        first = t.after.start.date;
    std::vector<std::string> said;
    if (new_venue && new_venue->id != before.venue_id) {
      ASSIGN_OR_RETURN(Venue old_venue, venue_of(before.venue_id));
      said.push_back("will be at " + Where(*new_venue) + ", instead of " + old_venue.name);
    }
    if (new_minute && *new_minute != before.start_minute)
      said.push_back("will start at " + FormatTimeOfDay(*new_minute) + " instead of " +
                     FormatTimeOfDay(before.start_minute));
    if (patch.duration_minutes && *patch.duration_minutes != before.duration_minutes)
      said.push_back("will last " + Hours(static_cast<int>(*patch.duration_minutes)) +
                     " instead of " + Hours(before.duration_minutes));
    if (new_title && *new_title != before.title)
      said.push_back("will be called \"" + *new_title + "\" instead of \"" + before.title + "\"");
    if (new_agenda && *new_agenda != before.agenda)
      said.push_back("will have a new standing agenda");
    for (size_t i = 0; i < said.size(); ++i)
      out.summary.push_back(i == 0 ? "From " + LongDate(first.value_or(*from)) + " the " + g.name +
                                         " meetings " + said[i] + "."
                                   : "They " + said[i] + ".");
  }

  // ---- extend or shorten a rule series ----
  if (until || patch.count) {
    const std::string base = RuleWithoutEnd(before.rrule);
    ASSIGN_OR_RETURN(Expansion old_x, ExpandRule(before.rrule, before.first_date));
    const CivilDate old_last = old_x.dates.back();
    std::set<LocalDateTime> rows;
    for (const Meeting& m : meetings) rows.insert(m.original_start);
    auto slot = [&](const CivilDate& d) { return LocalDateTime{d, before.rule_start_minute}; };
    std::string rule;
    if (until) {
      char buf[16];
      std::snprintf(buf, sizeof buf, "%04d%02d%02d", until->year, until->month, until->day);
      rule = base + ";UNTIL=" + buf;
    } else {
      // count is the number of meetings: occurrences left out when the series was made
      // (no row, inside the old end) do not count, so the rule's COUNT takes them in.
      int c = static_cast<int>(*patch.count);
      for (int round = 0; round < 8; ++round) {
        auto x = ExpandRule(base + ";COUNT=" + std::to_string(c), before.first_date);
        if (!x.ok()) return InvalidArgument("count", x.status().message());
        int skipped = 0;
        for (const CivilDate& d : x->dates)
          if (d <= old_last && !rows.count(slot(d))) ++skipped;
        if (c == *patch.count + skipped) break;
        c = static_cast<int>(*patch.count) + skipped;
      }
      rule = base + ";COUNT=" + std::to_string(c);
    }
    auto x = ExpandRule(rule, before.first_date);
    if (!x.ok()) return InvalidArgument(until ? "until" : "count", x.status().message());
    if (x->dates.front() != before.first_date)
      return InvalidArgument(until ? "until" : "count", "the series would lose its first date");
    std::set<CivilDate> kept_dates(x->dates.begin(), x->dates.end());
    const CivilDate new_last = x->dates.back();
    std::map<LocalDateTime, const Meeting*> by_slot;
    for (const Meeting& m : meetings) by_slot[m.original_start] = &m;
    // Dropped: meetings on dates the new rule no longer makes.
    for (const Meeting& m : meetings) {
      if (kept_dates.count(m.original_start.date)) continue;
      if (m.status != MeetingStatus::kScheduled) continue;
      ASSIGN_OR_RETURN(bool started, HasStarted(g, m, now));
      if (started)
        return InvalidArgument(until ? "until" : "count",
                               "the series would drop the meeting of " + LongDate(m.start.date) +
                                   ", which has been held; end it later");
      Meeting c = touched.count(m.id) ? touched.at(m.id).after : m;
      c.status = MeetingStatus::kCancelled;
      touch(m, c);
      std::erase(out.changed, m.id);
      out.cancelled.push_back(m.id);
    }
    // Added: dates past the old end (a meeting cancelled by an earlier shortening comes back).
    for (const CivilDate& d : x->dates) {
      if (d <= old_last) continue;
      auto it = by_slot.find(slot(d));
      Meeting c;
      if (it != by_slot.end()) {
        if (it->second->status == MeetingStatus::kScheduled) continue;
        c = *it->second;
        c.status = MeetingStatus::kScheduled;
      } else {
        c.series_id = before.id;
        c.group_id = g.id;
        c.uid = before.uid;
        c.original_start = slot(d);
        c.created_at = now;
      }
      c.start = LocalDateTime{d, after.start_minute};
      c.duration_minutes = after.duration_minutes;
      c.venue_id = after.venue_id;
      c.title.reset();
      c.agenda.reset();
      RETURN_IF_ERROR(ToUnix(g.timezone, c.start, "start_time").status());
      RETURN_IF_ERROR(check_clash(c));
      if (it != by_slot.end()) {
        touch(*it->second, c);
        out.added.push_back(c.id);
      } else {
        fresh.push_back(c);  // inserted in date order below
      }
    }
    after.rrule = x->rrule;
    if (until) {
      ASSIGN_OR_RETURN(int64_t last, ToUnix(g.timezone, slot(new_last)));
      after.rrule = WithUtcUntil(after.rrule, FormatIcalUtc(last));
    }
    if (new_last != old_last)
      out.summary.push_back("The " + g.name + " meetings now run until " + LongDate(new_last) +
                            (new_last < old_last ? ", not " : ", beyond ") + LongDate(old_last) +
                            ".");
  }

  // ---- write ----
  if (touched.empty() && fresh.empty() && after.rrule == before.rrule &&
      after.venue_id == before.venue_id && after.start_minute == before.start_minute &&
      after.duration_minutes == before.duration_minutes && after.title == before.title &&
      after.agenda == before.agenda) {
    ASSIGN_OR_RETURN(out.series, Summarize(tx, before, now));
    return out;  // nothing to write
  }
  SeriesEvent ev;
  ev.from = from.value_or(before.first_date);
  for (auto& [id, t] : touched) {
    Meeting c = t.after;
    c.sequence = t.before->sequence + 1;
    c.updated_at = now;
    RETURN_IF_ERROR(st::UpdateMeeting(tx, c));
    ASSIGN_OR_RETURN(c, st::GetMeeting(tx, c.id));
    ev.meetings.push_back({t.before, c});
  }
  for (Meeting c : fresh) {
    c.updated_at = now;
    ASSIGN_OR_RETURN(c, st::InsertMeeting(tx, c));
    out.added.push_back(c.id);
    ev.meetings.push_back({std::nullopt, c});
  }
  std::sort(ev.meetings.begin(), ev.meetings.end(),
            [](const SeriesEvent::Touched& a, const SeriesEvent::Touched& b) {
              return a.after.start < b.after.start;
            });
  // The master's standing values, rule or EXDATEs changed: its SEQUENCE rises (F16).
  after.sequence = before.sequence + 1;
  after.updated_at = now;
  RETURN_IF_ERROR(st::UpdateSeries(tx, after));
  ASSIGN_OR_RETURN(after, st::GetSeries(tx, after.id));
  RETURN_IF_ERROR(st::TouchGroup(tx, g.id, now));
  RETURN_IF_ERROR(st::BumpRevision(tx, now));
  ev.before = before;
  ev.after = after;
  ev.summary = out.summary;
  out.any = true;
  ASSIGN_OR_RETURN(out.series, Summarize(tx, after, now));
  std::sort(out.changed.begin(), out.changed.end());
  std::sort(out.cancelled.begin(), out.cancelled.end());
  std::sort(out.added.begin(), out.added.end());
  if (event) *event = std::move(ev);
  return out;
}

Result<SeriesEditResult> Operations::ChangeSeries(Id organiser, Id series_id,
                                                  const std::string& if_match,
                                                  const SeriesPatch& patch) {
  const int64_t now = clock_();
  ASSIGN_OR_RETURN(st::Tx tx, db_.Write());
  SeriesEvent ev;
  ASSIGN_OR_RETURN(SeriesEditResult out,
                   ApplySeriesChange(tx, organiser, series_id, if_match, patch, now, &ev));
  if (!out.any) return out;
  if (series_hook_) {
    // Who the hook tells, by the plan it follows, for the page's "Saved." line.
    NoticeContext ctx;
    ctx.base_url = base_url_;
    ctx.random = random_;
    ASSIGN_OR_RETURN(notify::SeriesChangePlan plan, PlanSeriesNotices(tx, ev, now, ctx));
    for (const auto& n : plan.notices)
      ++(n.action == notify::PlannedAction::kWithdraw ? out.notices.withdrawn : out.notices.told);
    RETURN_IF_ERROR(series_hook_(tx, ev, now));
  }
  RETURN_IF_ERROR(Commit(tx));
  return out;
}

Result<Operations::SeriesChangePreview> Operations::PreviewSeriesChange(Id organiser, Id series_id,
                                                                        SeriesPatch patch) {
  SeriesChangePreview out;
  const int64_t now = clock_();
  {
    ASSIGN_OR_RETURN(st::Tx tx, db_.Read());
    ASSIGN_OR_RETURN(Series s, OwnedSeries(tx, organiser, series_id));
    ASSIGN_OR_RETURN(out.before, Summarize(tx, s, now));
  }
  out.etag = SeriesETag(out.before.series);
  NoticeContext ctx;
  ctx.base_url = base_url_;
  ctx.random = random_;
  notify::SeriesChangePlan plan;
  // Written and planned in one transaction that is never committed (rolled back at scope end),
  // so the preview's recipients are the queued rows' recipients by construction.
  auto attempt = [&](const SeriesPatch& p) -> Status {
    ASSIGN_OR_RETURN(st::Tx tx, db_.Write());
    SeriesEvent ev;
    ASSIGN_OR_RETURN(out.result,
                     ApplySeriesChange(tx, organiser, series_id, out.etag, p, now, &ev));
    if (out.result.any) {
      ASSIGN_OR_RETURN(plan, PlanSeriesNotices(tx, ev, now, ctx));
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
  for (const auto& n : plan.notices) {
    const notify::Recipient& r = n.to;
    if (n.action == notify::PlannedAction::kWithdraw) {
      out.not_told.push_back({r.name, r.email,
                              "this puts the meetings back as they were before an earlier "
                              "change, whose email had not gone out yet, so it will not be sent"});
      continue;
    }
    std::string how = r.delivery == Delivery::kInvitations
                          ? "one email for the whole change, with the updated calendar invitation"
                          : "one email for the whole change; their calendar feed shows it";
    if (n.action == notify::PlannedAction::kUpdate)
      how += " (it replaces their email about an earlier change, not sent yet)";
    out.told.push_back({r.name, r.email, how});
  }
  for (const notify::Recipient& r : plan.unsubscribed)
    out.not_told.push_back({r.name, r.email,
                            "they unsubscribed from notices (their calendar feed still shows "
                            "the change)"});
  for (const notify::Recipient& r : plan.no_address)
    out.not_told.push_back({r.name, "", "no email address"});
  return out;
}

}  // namespace convene::server
