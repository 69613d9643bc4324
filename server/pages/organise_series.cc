// The organiser's pages for series: the new-series form on the group page, which reads as a
// sentence ("Every 2 months on the 3rd Monday, 6 times, from ..., at 10:30 for 120 minutes"), its
// preview of exactly the meetings "Create" makes, and the changes of a series (from a meeting on,
// extend or shorten, end), each through a preview of what changes and who is told what, as a
// meeting's changes are (organise_meetings.cc). routes.cc has already checked the session and
// the form token.
#include <algorithm>
#include <cctype>
#include <cstring>
#include <map>
#include <set>
#include <utility>

#include "calendar/pattern.h"
#include "calendar/recurrence.h"
#include "calendar/words.h"
#include "server/pages/organise_forms.h"
#include "server/pages/page_handlers.h"

namespace convene::server::pages {

using calendar::Id;
using nlohmann::json;

namespace {

// The new-series form's fields, carried from the form to its preview and on, hidden, to
// "Create" and to "Change" (back to the form). `avoid` (checkboxes, any number) travels too.
constexpr const char* kSeriesFields[] = {
    "title",  "venue_id", "interval", "freq",       "week_of_month", "weekday",
    "ends",   "count",    "until",    "first_date", "start_time",    "duration_minutes",
    "agenda", "dates",    "rrule"};

// The form fields an error can be shown beside; anything else goes above the form.
const std::set<std::string>& ShownFields() {
  static const std::set<std::string> fields = {
      "title", "venue_id", "interval", "freq",       "week_of_month", "weekday",
      "ends",  "count",    "until",    "first_date", "start_time",    "duration_minutes",
      "avoid", "agenda",   "dates",    "rrule"};
  return fields;
}

// The use cases name the pattern's fields "pattern.count" and so on; the form, "count".
std::string FormField(const std::string& field) {
  if (field.rfind("pattern.", 0) == 0) return field.substr(8);
  if (field == "pattern") return "freq";
  return field;
}

// The dates of the "Listed dates" field: one per line (or separated by commas, spaces or tabs).
std::vector<std::string> DateList(const std::string& text) {
  std::vector<std::string> dates;
  std::string cur;
  for (char c : text + "\n") {
    if (c == '\n' || c == '\r' || c == ',' || c == ' ' || c == '\t') {
      if (!cur.empty()) dates.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  return dates;
}

// The new-series form -> the use case's input. The sentence makes a Pattern; "Listed dates" or a
// rule (both under "Advanced") take its place when filled in. Errors name the form's fields.
Result<SeriesInput> SeriesFromForm(const Form& f) {
  SeriesInput in;
  in.title = f.Get("title");
  in.start_time = f.Get("start_time");
  if (f.Get("venue_id").empty())
    return InvalidArgument("venue_id", "choose a venue (add one on the Venues page first)");
  ASSIGN_OR_RETURN(in.venue_id, ParseId(f.Get("venue_id"), "venue_id"));
  auto duration = ParseId(f.Get("duration_minutes"), "duration_minutes");
  if (!duration.ok())
    return InvalidArgument("duration_minutes", "give the length in minutes, for example 90");
  in.duration_minutes = *duration;
  if (std::vector<std::string> dates = DateList(f.Get("dates")); !dates.empty()) {
    in.dates = dates;  // every date is listed: the sentence's "from" does not apply
  } else if (!f.Get("rrule").empty()) {
    in.rrule = f.Get("rrule");
    in.first_date = NonEmpty(f, "first_date");
  } else {
    calendar::Pattern p;
    p.freq = f.Get("freq");
    if (p.freq.empty())
      return InvalidArgument("freq", "say how often they meet: every so many weeks or months");
    auto interval = ParseId(f.Get("interval"), "interval");
    if (!interval.ok() || *interval < 1 || *interval > 12)
      return InvalidArgument("interval",
                             "give a number from 1 to 12: 1 for every week or month, 2 for every "
                             "other one, and so on");
    p.interval = static_cast<int>(*interval);
    p.weekday = f.Get("weekday");
    // "on the 1st ... last" says which week of the month; a weekly series meets every week.
    if (p.freq == "monthly") {
      const std::string w = f.Get("week_of_month");
      if (w == "1" || w == "2" || w == "3" || w == "4" || w == "-1") p.week_of_month = std::stoi(w);
    }
    if (f.Get("ends") == "until") {
      if (f.Get("until").empty())
        return InvalidArgument("until", "give the last date, or choose a number of times instead");
      ASSIGN_OR_RETURN(calendar::CivilDate d, calendar::ParseDate(f.Get("until"), "until"));
      p.until = d;
    } else {
      auto count = ParseId(f.Get("count"), "count");
      if (!count.ok() || *count < 1 || *count > 500)
        return InvalidArgument("count", "give how many meetings, from 1 to 500");
      p.count = static_cast<int>(*count);
    }
    in.pattern = p;
    in.first_date = NonEmpty(f, "first_date");
  }
  in.avoid = f.All("avoid");
  in.force = f.Get("force") == "1";
  in.agenda = NonEmpty(f, "agenda");
  return in;
}

// The form's values as hidden fields (for "Create" and "Change" on the preview).
json CarriedFields(const Form& f) {
  json fields = json::array();
  for (const char* name : kSeriesFields)
    if (f.Has(name)) fields.push_back({{"name", name}, {"value", f.Get(name)}});
  for (const std::string& a : f.All("avoid")) fields.push_back({{"name", "avoid"}, {"value", a}});
  return fields;
}

json Options(const std::vector<std::pair<std::string, std::string>>& values,
             const std::string& chosen) {
  json out = json::array();
  for (const auto& [value, label] : values)
    out.push_back({{"value", value}, {"label", label}, {"selected", value == chosen}});
  return out;
}

std::string Capitalised(std::string s) {
  if (!s.empty()) s[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(s[0])));
  return s;
}

// Invalid input and clashes in the words of the page (other errors are not the organiser's to
// correct, and keep their own words).
Status Plain(const Status& st) {
  if (st.code() != Code::kInvalidArgument && st.code() != Code::kConflict) return st;
  return Status(st.code(), PlainWords(st.message()), st.field(), st.error_code());
}

// An error of the new-series form: the group page again, with the form as it was sent and the
// message beside the field it names (400; 409 for a venue clash). Other errors are error pages.
Status ShowFormError(App& app, const Viewer& viewer, const std::string& slug, const Form& f,
                     const Status& st, httplib::Response& res) {
  if (st.code() != Code::kInvalidArgument &&
      !(st.code() == Code::kConflict && st.error_code() == "venue_clash"))
    return st;
  ASSIGN_OR_RETURN(calendar::Group g, app.ops().GetGroup(viewer.organiser.id, slug));
  ASSIGN_OR_RETURN(auto venues, app.ops().ListVenues(viewer.organiser.id));
  const json model = SeriesFormModel(&f, g, venues, calendar::CivilDate{}, &st);
  return SendGroupPage(app, viewer, slug, f, st.code() == Code::kConflict ? 409 : 400, &model, res);
}

std::string Meetings(int64_t n) { return n == 1 ? "1 meeting" : std::to_string(n) + " meetings"; }

// ---- changes of a series ----

// The change a series form asks for: action "change" (from a meeting on; empty fields stay as
// they are), "extend" (a new last date or number of meetings) or "end".
Result<SeriesPatch> SeriesPatchFromForm(const Form& f) {
  SeriesPatch p;
  const std::string action = f.Get("action");
  if (action == "change") {
    p.from = NonEmpty(f, "from");
    if (!p.from) return InvalidArgument("from", "choose the meeting the change starts from");
    ASSIGN_OR_RETURN(p.venue_id, OptNumber(f.Get("venue_id"), "venue_id"));
    p.start_time = NonEmpty(f, "start_time");
    ASSIGN_OR_RETURN(p.duration_minutes, OptNumber(f.Get("duration_minutes"), "duration_minutes"));
    p.title = NonEmpty(f, "title");
    p.agenda = NonEmpty(f, "agenda");
    if (!p.venue_id && !p.start_time && !p.duration_minutes && !p.title && !p.agenda)
      return InvalidArgument("from",
                             "nothing to change: fill in the new venue, start time, length, title "
                             "or agenda (the fields left empty stay as they are)");
  } else if (action == "extend") {
    p.until = NonEmpty(f, "until");
    ASSIGN_OR_RETURN(p.count, OptNumber(f.Get("count"), "count"));
    if (!p.until && !p.count)
      return InvalidArgument("until", "give the new last date, or the number of meetings in all");
  } else if (action == "end") {
    p.end_series = true;
  } else {
    return InvalidArgument("action",
                           "choose a change: from a meeting on, extend or shorten, or end");
  }
  p.force = f.Get("force") == "1";
  return p;
}

// The organiser's group that `s` belongs to.
Result<calendar::Group> GroupOf(App& app, const Viewer& viewer, const calendar::Series& s) {
  ASSIGN_OR_RETURN(auto groups, app.ops().ListGroups(viewer.organiser.id));
  for (const calendar::Group& g : groups)
    if (g.id == s.group_id) return g;
  return NotFound("no such series");
}

// HandleWithId for the forms of one series (preview, confirm, end): `body(id, form, patch, group)`.
// Error pages go back to the group's page, in the page's words.
template <typename F>
void HandleSeriesForm(App& app, const Viewer& viewer, const httplib::Request& req,
                      httplib::Response& res, bool end, F&& body) {
  HandleWithId(req, res, [&](Id id, std::string& back) -> Status {
    back = "/organise";
    ASSIGN_OR_RETURN(SeriesSummary s, app.ops().GetSeries(viewer.organiser.id, id));
    ASSIGN_OR_RETURN(calendar::Group g, GroupOf(app, viewer, s.series));
    back = GroupPath(g.slug);
    const Form f(req);
    Result<SeriesPatch> patch = SeriesPatch{};
    if (end)
      patch->end_series = true;
    else
      patch = SeriesPatchFromForm(f);
    if (!patch.ok()) return Plain(patch.status());
    return Plain(body(id, f, *patch, g));
  });
}

std::string SeriesTimes(const calendar::Series& s) {
  return calendar::TimeRange({s.first_date, s.start_minute}, s.duration_minutes);
}

json MeetingLine(const MeetingView& v) {
  return {{"date", calendar::LongDate(v.meeting.start.date)},
          {"times", calendar::TimeRange(v.meeting.start, v.meeting.duration_minutes)},
          {"venue", v.venue.name}};
}

// The meetings a change adds, which a preview cannot read back (their rows were rolled back):
// the dates of the new rule after the old rule's last, as the change makes them
// (server/ops/series.cc). Empty when they cannot be worked out so.
json AddedLines(const SeriesSummary& before, const SeriesSummary& after, size_t want) {
  json out = json::array();
  const calendar::Series& a = after.series;
  if (!before.series.is_rule() || !a.is_rule()) return out;
  auto old_x = calendar::ExpandRule(before.series.rrule, before.series.first_date);
  auto new_x = calendar::ExpandRule(a.rrule, a.first_date);
  if (!old_x.ok() || !new_x.ok()) return out;
  for (const calendar::CivilDate& d : new_x->dates) {
    if (d <= old_x->dates.back()) continue;
    out.push_back({{"date", calendar::LongDate(d)},
                   {"times", calendar::TimeRange({d, a.start_minute}, a.duration_minutes)},
                   {"venue", after.venue.name}});
  }
  if (out.size() != want) return json::array();
  return out;
}

const char* FieldWords(const std::string& field) {
  if (field == "venue_id") return "venue";
  if (field == "start_time") return "start time";
  if (field == "duration_minutes") return "length";
  return "own details";
}

// The group page's query after a confirmed change: numbers and a date only (SeriesDoneNotice).
std::string DoneQuery(Id id, const SeriesPatch& patch, const SeriesEditResult& r) {
  std::string done = !r.any             ? "same"
                     : patch.end_series ? "ended"
                     : patch.from       ? "changed"
                                        : "extended";
  std::string q = "?series=" + std::to_string(id) + "&done=" + done +
                  "&changed=" + std::to_string(r.changed.size()) +
                  "&added=" + std::to_string(r.added.size()) +
                  "&cancelled=" + std::to_string(r.cancelled.size());
  if (patch.from) q += "&from=" + UrlEncode(*patch.from);
  if (r.any)
    q += "&told=" + std::to_string(r.notices.told) +
         "&withdrawn=" + std::to_string(r.notices.withdrawn);
  return q;
}

}  // namespace

std::string PlainWords(const std::string& message) {
  // Longest first: "pattern.count" before "count"; whole messages before their words.
  static const std::pair<const char*, const char*> kWords[] = {
      // Whole messages of the group, member and rule checks (calendar/rules.cc,
      // calendar/recurrence.cc, server/ops/groups.cc).
      {"slug must be 2 to 40 of a-z, 0-9 and -, starting with a letter or digit",
       "the short name for the web address must be 2 to 40 lower-case letters, digits or "
       "hyphens, starting with a letter or digit"},
      {"timezone must be an IANA zone name such as Europe/London",
       "the time zone must be the name of one, such as Europe/London"},
      {"rrule may contain only letters, digits and = ; , - +",
       "the rule may hold only letters, digits and the signs = ; , - +"},
      {"bank_holiday_region must be england-and-wales, scotland or northern-ireland",
       "the bank holidays must be those of England and Wales, Scotland or Northern Ireland"},
      {"email must be an email address like name@example.org",
       "the email address must look like name@example.org"},
      {"must be valid UTF-8 text", "holds characters that are not text"},
      {"reminder_days", "the days before a meeting to remind members"},
      {"pattern.week_of_month", "the week of the month"},
      {"pattern.weekday", "the day of the week"},
      {"pattern.interval", "how many weeks or months apart"},
      {"pattern.count", "the number of meetings"},
      {"pattern.until", "the last date"},
      {"pattern.freq", "weeks or months"},
      {"week_of_month", "the week of the month"},
      {"1 to 4, or -1 for the last", "1st to 4th, or last"},
      {"first_date", "the first date"},
      {"start_time", "the start time"},
      {"duration_minutes", "the length in minutes"},
      {"venue_id", "the venue"},
      {"lower COUNT or bring UNTIL closer", "ask for fewer meetings or an earlier last date"},
      {"fewer than COUNT", "fewer than asked for"},
      {"UNTIL", "the last date"},
      {"COUNT", "the number of meetings"},
      {"rrule", "the rule"},
      {"send \"force\": true", "go ahead anyway"},
  };
  std::string out = message;
  for (const auto& [from, to] : kWords)
    for (size_t at = 0; (at = out.find(from, at)) != std::string::npos; at += std::strlen(to))
      out.replace(at, std::strlen(from), to);
  // Field names that open a message.
  static const std::pair<const char*, const char*> kOpening[] = {
      {"until ", "the last date "},
      {"count ", "the number of meetings "},
      {"from ", "the date to change from "},
      {"title ", "the title "},
      {"agenda ", "the agenda "},
      {"name ", "the name "},
      {"email ", "the email address "},
      {"organisation ", "the organisation "},
      {"address ", "the address "},
      {"postcode ", "the postcode "},
      {"notes ", "the notes "},
      {"topic ", "the topic "},
      {"reason ", "the reason "},
      {"quorum ", "the quorum "},
      {"capacity ", "the number of seats "},
      {"timezone ", "the time zone "},
      {"slug ", "the short name for the web address "},
      {"role must be member, chair or organiser", "the role must be member, chair or organiser"},
      {"delivery must be feed or invitations",
       "the notices must be by email with the calendar feed, or by invitations"},
      {"start ", "the new date and time "},
  };
  for (const auto& [from, to] : kOpening)
    if (out.rfind(from, 0) == 0) out = to + out.substr(std::strlen(from));
  return Capitalised(out);
}

json SeriesFormModel(const Form* filled, const calendar::Group& g,
                     const std::vector<calendar::Venue>& venues, const calendar::CivilDate& today,
                     const Status* error) {
  auto get = [&](const char* key, const std::string& fallback) {
    return filled ? filled->Get(key) : fallback;
  };
  json m;
  m["title"] = get("title", g.name + " meeting");
  const std::string venue = get("venue_id", "");
  json vlist = json::array();
  for (const calendar::Venue& v : venues)
    vlist.push_back({{"id", v.id}, {"name", v.name}, {"selected", std::to_string(v.id) == venue}});
  m["venues"] = vlist;
  m["interval"] = get("interval", "1");
  m["freq"] = Options({{"weekly", "weeks"}, {"monthly", "months"}}, get("freq", "monthly"));
  m["week_of_month"] =
      Options({{"1", "1st"}, {"2", "2nd"}, {"3", "3rd"}, {"4", "4th"}, {"-1", "last"}},
              get("week_of_month", "1"));
  std::vector<std::pair<std::string, std::string>> days;
  for (const char* code : {"MO", "TU", "WE", "TH", "FR", "SA", "SU"})
    days.emplace_back(code, calendar::WeekdayName(code));
  m["weekday"] = Options(days, get("weekday", "MO"));
  const bool until = get("ends", "count") == "until";
  m["ends_until"] = until;
  m["ends_count"] = !until;
  m["count"] = get("count", "6");
  m["until"] = get("until", "");
  m["first_date"] = get("first_date", calendar::FormatDate(today));
  m["start_time"] = get("start_time", "10:30");
  m["duration_minutes"] = get("duration_minutes", "120");
  m["agenda"] = get("agenda", "");
  m["dates"] = get("dates", "");
  m["rrule"] = get("rrule", "");
  const std::vector<std::string> avoid = filled ? filled->All("avoid") : std::vector<std::string>{};
  m["avoid_holidays"] = std::count(avoid.begin(), avoid.end(), "bank_holidays") > 0;
  m["avoid_clashes"] = std::count(avoid.begin(), avoid.end(), "clashes") > 0;
  json errors = json::object();
  if (error) {
    const std::string field = FormField(error->field());
    const std::string message = PlainWords(error->message());
    if (ShownFields().count(field)) {
      errors[field] = message;
      std::string lower = message;
      if (!lower.empty())
        lower[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(lower[0])));
      m["error"] = "Please check the form below: " + lower + ".";
    } else {
      m["error"] = message;
    }
  }
  m["errors"] = errors;
  m["advanced_open"] = !get("dates", "").empty() || !get("rrule", "").empty() ||
                       errors.contains("dates") || errors.contains("rrule");
  return m;
}

json SeriesListModel(const std::vector<SeriesSummary>& series,
                     const std::vector<MeetingView>& upcoming) {
  json live = json::array(), ended = json::array();
  for (const SeriesSummary& s : series) {
    json dates = json::array();
    std::string last_value;
    for (const MeetingView& v : upcoming) {
      const calendar::Meeting& m = v.meeting;
      if (m.series_id != s.series.id || m.status != calendar::MeetingStatus::kScheduled) continue;
      if (s.next && m.start < *s.next) continue;  // under way: a change starts after it
      const std::string value = calendar::FormatDate(m.start.date);
      if (value == last_value) continue;
      last_value = value;
      dates.push_back({{"value", value}, {"label", calendar::LongDate(m.start.date)}});
    }
    json j = {{"id", s.series.id},
              {"words", s.words},
              {"title", s.series.title},
              {"venue", s.venue.name},
              {"times", SeriesTimes(s.series)},
              {"upcoming", Meetings(s.upcoming)},
              {"dates", dates},
              {"has_upcoming", !dates.empty()},
              {"is_rule", s.series.is_rule()}};
    if (s.next) j["next"] = calendar::LongDate(s.next->date);
    if (s.last) j["last"] = calendar::LongDate(s.last->date);
    (dates.empty() ? ended : live).push_back(j);
  }
  for (json& j : ended) live.push_back(std::move(j));
  return live;
}

std::optional<std::string> SeriesDoneNotice(App& app, const Viewer& viewer, const Form& query) {
  const std::string done = query.Get("done");
  if (done.empty() || query.Get("series").empty()) return std::nullopt;
  auto id = ParseId(query.Get("series"), "series");
  if (!id.ok()) return std::nullopt;
  auto s = app.ops().GetSeries(viewer.organiser.id, *id);
  if (!s.ok()) return std::nullopt;
  auto count = [&](const char* key) -> int64_t {
    auto n = ParseId(query.Get(key), key);
    return n.ok() ? *n : 0;
  };
  const int64_t changed = count("changed"), added = count("added"), cancelled = count("cancelled");
  if (done == "same") return "Nothing changed: the series was already like that.";
  std::vector<std::string> parts;
  if (changed > 0) parts.push_back(Meetings(changed) + " changed");
  if (added > 0) parts.push_back(Meetings(added) + " added");
  if (cancelled > 0) parts.push_back(Meetings(cancelled) + " cancelled");
  std::string what;
  for (size_t i = 0; i < parts.size(); ++i)
    what += (i == 0 ? "" : i + 1 == parts.size() ? " and " : ", ") + parts[i];
  std::string out;
  if (done == "ended") {
    out = "The series is ended: " + (what.empty() ? "no meeting was left to cancel" : what) + ".";
  } else if (done == "changed") {
    auto from = calendar::ParseDate(query.Get("from"), "from");
    out = "Saved: the series is changed" +
          (from.ok() ? " from " + calendar::LongDate(*from) + " on" : std::string()) +
          (what.empty() ? "" : " (" + what + ")") + ".";
  } else if (done == "extended") {
    out = "Saved: " + s->words +
          (s->last ? ", the last on " + calendar::LongDate(s->last->date) : std::string()) +
          (what.empty() ? "" : " (" + what + ")") + ".";
  } else {
    return std::nullopt;
  }
  // Who was told, as the meeting page says it (numbers from the query: none on older links).
  if (auto told = ParseId(query.Get("told"), "told"); told.ok())
    out += " " + ToldWords(*told, count("withdrawn"));
  return out;
}

// ---- the new series ----

void PreviewNewSeries(App& app, const Viewer& viewer, const httplib::Request& req,
                      httplib::Response& res) {
  HandlePage(res, [&](std::string& back) -> Status {
    const std::string slug = req.matches[1];
    back = GroupPath(slug);
    const Form f(req);
    if (f.Get("edit") == "1") {  // "Change" on the preview: the form again, as it was filled in
      ASSIGN_OR_RETURN(calendar::Group g, app.ops().GetGroup(viewer.organiser.id, slug));
      ASSIGN_OR_RETURN(auto venues, app.ops().ListVenues(viewer.organiser.id));
      const json model = SeriesFormModel(&f, g, venues, calendar::CivilDate{}, nullptr);
      return SendGroupPage(app, viewer, slug, f, 200, &model, res);
    }
    auto in = SeriesFromForm(f);
    if (!in.ok()) return ShowFormError(app, viewer, slug, f, in.status(), res);
    auto p = app.ops().PreviewSeries(viewer.organiser.id, slug, *in);
    if (!p.ok()) return ShowFormError(app, viewer, slug, f, p.status(), res);
    ASSIGN_OR_RETURN(calendar::Group g, app.ops().GetGroup(viewer.organiser.id, slug));
    json meetings = json::array(), clashes = json::array();
    for (const PlannedMeeting& m : p->meetings) {
      json warnings = json::array();
      for (const Warning& w : m.warnings) {
        warnings.push_back({{"message", Capitalised(w.message)}});
        if (w.code == "venue_clash") clashes.push_back({{"message", Capitalised(w.message)}});
      }
      meetings.push_back(
          {{"date", calendar::LongDate(m.start.date)},
           {"times", calendar::TimeRange(m.start, m.duration_minutes)},
           {"holiday", std::any_of(m.warnings.begin(), m.warnings.end(),
                                   [](const Warning& w) { return w.code == "bank_holiday"; })},
           {"warnings", warnings}});
    }
    json skipped = json::array();
    for (const SkippedDate& s : p->skipped)
      skipped.push_back({{"message", Capitalised(s.message)}});
    const size_t n = p->meetings.size();
    json data = {{"slug", g.slug},
                 {"group_name", g.name},
                 {"title", p->series.title},
                 {"words", p->words},
                 {"times", SeriesTimes(p->series)},
                 {"venue", p->venue.name},
                 {"meetings", meetings},
                 {"count", Meetings(static_cast<int64_t>(n))},
                 {"skipped", skipped},
                 {"has_skipped", !skipped.empty()},
                 {"create_label", n == 1 ? std::string("Create this meeting")
                                         : "Create these " + std::to_string(n) + " meetings"},
                 {"fields", CarriedFields(f)},
                 {"csrf", viewer.csrf}};
    if (!p->series.agenda.empty()) data["agenda"] = p->series.agenda;
    if (p->blocked) {
      data["blocked"] = PlainWords(p->blocked->message());
      data["clashes"] = clashes;
    }
    SendPage(res, 200, "series_preview.mustache", "Check the new meetings", data, Privacy::kPrivate,
             &viewer);
    return Status::Ok();
  });
}

void CreateSeries(App& app, const Viewer& viewer, const httplib::Request& req,
                  httplib::Response& res) {
  HandlePage(res, [&](std::string& back) -> Status {
    const std::string slug = req.matches[1];
    back = GroupPath(slug);
    const Form f(req);
    auto in = SeriesFromForm(f);
    if (!in.ok()) return ShowFormError(app, viewer, slug, f, in.status(), res);
    auto created = app.ops().CreateSeries(viewer.organiser.id, slug, *in);
    if (!created.ok()) return ShowFormError(app, viewer, slug, f, created.status(), res);
    SeeOther(res, GroupPath(slug) + "?created=" + std::to_string(created->series.id));
    return Status::Ok();
  });
}

// ---- changes of a series ----

void PreviewSeriesChange(App& app, const Viewer& viewer, const httplib::Request& req,
                         httplib::Response& res) {
  HandleSeriesForm(
      app, viewer, req, res, false,
      [&](Id id, const Form& f, const SeriesPatch& patch, const calendar::Group& g) -> Status {
        const Id org = viewer.organiser.id;
        ASSIGN_OR_RETURN(auto p, app.ops().PreviewSeriesChange(org, id, patch));
        ASSIGN_OR_RETURN(auto all, app.ops().ListMeetings(org, g.slug, "", ""));
        std::map<Id, const MeetingView*> by_id;
        for (const MeetingView& v : all) by_id[v.meeting.id] = &v;
        auto lines = [&](const std::vector<Id>& ids) {
          json out = json::array();
          for (Id m : ids)
            if (auto it = by_id.find(m); it != by_id.end()) out.push_back(MeetingLine(*it->second));
          return out;
        };
        const SeriesEditResult& r = p.result;
        json changed = lines(r.changed), cancelled = lines(r.cancelled);
        // Meetings brought back by the change exist (cancelled); new ones were rolled back.
        json added = AddedLines(p.before, r.series, r.added.size());
        json kept = json::array();
        for (const KeptMeeting& k : r.kept)
          kept.push_back({{"date", calendar::LongDate(k.start.date)},
                          {"what", FieldWords(k.field)},
                          {"reason", k.reason}});
        json summary = json::array();
        for (const std::string& s : r.summary) summary.push_back({{"text", s}});
        json warnings = json::array();
        for (const Warning& w : r.warnings)
          warnings.push_back({{"message", Capitalised(w.message)}});
        json fields = json::array();
        for (const char* name : {"action", "from", "venue_id", "start_time", "duration_minutes",
                                 "title", "agenda", "until", "count"})
          if (f.Has(name)) fields.push_back({{"name", name}, {"value", f.Get(name)}});
        const std::string base = "/organise/series/" + std::to_string(id);
        const std::string label = ConfirmLabel(patch.end_series ? "End the series"
                                               : p.blocked      ? "Change anyway"
                                                                : "Confirm",
                                               !p.told.empty());
        json data = {{"slug", g.slug},
                     {"group_name", g.name},
                     {"words", p.before.words},
                     {"title", p.before.series.title},
                     {"times", SeriesTimes(p.before.series)},
                     {"venue", p.before.venue.name},
                     {"any", r.any},
                     {"summary", summary},
                     {"changed", changed},
                     {"has_changed", !changed.empty()},
                     {"changed_count", Meetings(static_cast<int64_t>(r.changed.size()))},
                     {"added", added},
                     {"has_added", !r.added.empty()},
                     {"added_count", Meetings(static_cast<int64_t>(r.added.size()))},
                     {"cancelled", cancelled},
                     {"has_cancelled", !cancelled.empty()},
                     {"cancelled_count", Meetings(static_cast<int64_t>(r.cancelled.size()))},
                     {"kept", kept},
                     {"has_kept", !kept.empty()},
                     {"warnings", warnings},
                     {"fields", fields},
                     {"etag", p.etag},
                     {"action", patch.end_series ? base + "/end" : base + "/change"},
                     {"danger", patch.end_series || p.blocked.has_value()},
                     {"confirm_label", label},
                     {"csrf", viewer.csrf}};
        if (p.blocked) data["blocked"] = PlainWords(p.blocked->message());
        data.update(TellModel(p.told, p.not_told));
        SendPage(res, 200, "series_change.mustache", "Check before sending", data,
                 Privacy::kPrivate, &viewer);
        return Status::Ok();
      });
}

void ConfirmSeriesChange(App& app, const Viewer& viewer, const httplib::Request& req,
                         httplib::Response& res) {
  HandleSeriesForm(
      app, viewer, req, res, false,
      [&](Id id, const Form& f, const SeriesPatch& patch, const calendar::Group& g) -> Status {
        auto r = app.ops().ChangeSeries(viewer.organiser.id, id, f.Get("etag"), patch);
        if (!r.ok()) return ForForm(r.status());
        SeeOther(res, GroupPath(g.slug) + DoneQuery(id, patch, *r));
        return Status::Ok();
      });
}

void EndSeries(App& app, const Viewer& viewer, const httplib::Request& req,
               httplib::Response& res) {
  HandleSeriesForm(
      app, viewer, req, res, true,
      [&](Id id, const Form& f, const SeriesPatch& patch, const calendar::Group& g) -> Status {
        auto r = app.ops().ChangeSeries(viewer.organiser.id, id, f.Get("etag"), patch);
        if (!r.ok()) return ForForm(r.status());
        SeeOther(res, GroupPath(g.slug) + DoneQuery(id, patch, *r));
        return Status::Ok();
      });
}

}  // namespace convene::server::pages
