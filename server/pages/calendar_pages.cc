// The month views: a group's meetings (public, or the organiser's own group) or a venue's (public
// groups only) as a month grid, Monday first, with bank holidays and today marked and links to
// the months before and after. No script: on a narrow screen the style sheet turns the grid into
// a list of the days that have something on them.
#include "calendar/holidays.h"
#include "calendar/words.h"
#include "server/api/api_handlers.h"
#include "server/http/links.h"
#include "server/pages/organise_forms.h"
#include "server/pages/page_handlers.h"

namespace convene::server::pages {

using calendar::CivilDate;
using nlohmann::json;

namespace {

enum class MonthOf { kGroup, kVenue, kOrganiser };

std::string MonthParam(int year, int month) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02d", year, month);
  return buf;
}

// A link to the month `delta` (-1 or +1) from the view's, or null outside the years shown.
json OtherMonth(const MonthView& v, int delta, const std::string& path) {
  int year = v.year, month = v.month + delta;
  if (month == 0) month = 12, --year;
  if (month == 13) month = 1, ++year;
  if (year < Operations::kFirstMonthYear || year > Operations::kLastMonthYear) return nullptr;
  return {{"url", path + "?month=" + MonthParam(year, month)},
          {"label", calendar::MonthYear(year, month)}};
}

// The bank holiday on `d` as the view marks it: the group's (groups on UK time, in their region);
// for a venue, England and Wales' (a venue has no region; docs/api.md says so).
std::optional<std::string> HolidayOn(const MonthView& v, MonthOf of, const CivilDate& d) {
  if (of == MonthOf::kVenue)
    return calendar::BankHoliday(calendar::HolidayRegion::kEnglandAndWales, d);
  return BankHolidayOf(v.group, d);
}

// A meeting in its day's cell: its page (the organiser's own, on their view), start time, title,
// and where (the venue) or whose (the group, on a venue's view).
json MeetingInCell(const MeetingView& m, MonthOf of) {
  const std::string url = of == MonthOf::kOrganiser
                              ? "/organise/meetings/" + std::to_string(m.meeting.id)
                              : links::Meeting("", m.meeting.id);
  return {{"url", url},
          {"time", calendar::FormatTimeOfDay(m.meeting.start.minute_of_day)},
          {"title", calendar::TitleOf(m.series, m.meeting)},
          {"where", of == MonthOf::kVenue ? m.group.name : m.venue.name},
          {"cancelled", m.meeting.status == calendar::MeetingStatus::kCancelled}};
}

// The view model of month.mustache: weeks of seven days from the Monday on or before the 1st to
// the Sunday on or after the last day; days of other months are dimmed and carry nothing.
json MonthModel(const MonthView& v, MonthOf of, const std::string& path) {
  const CivilDate first{v.year, v.month, 1};
  const CivilDate last{v.year, v.month, calendar::DaysInMonth(v.year, v.month)};
  const CivilDate start = calendar::AddDays(first, -calendar::Weekday(first));
  const CivilDate end = calendar::AddDays(last, 6 - calendar::Weekday(last));
  json weeks = json::array(), week = json::array();
  size_t next = 0;  // v.meetings is by start
  for (CivilDate d = start; d <= end; d = calendar::AddDays(d, 1)) {
    const bool in_month = d.month == v.month;
    json day = {{"day", d.day},
                {"date", calendar::LongDate(d)},
                {"iso", calendar::FormatDate(d)},
                {"in_month", in_month},
                {"today", in_month && d == v.today}};
    json meetings = json::array();
    while (next < v.meetings.size() && v.meetings[next].meeting.start.date <= d) {
      if (v.meetings[next].meeting.start.date == d)
        meetings.push_back(MeetingInCell(v.meetings[next], of));
      ++next;
    }
    if (in_month) {
      if (auto holiday = HolidayOn(v, of, d)) day["holiday"] = *holiday;
      day["meetings"] = meetings;
      day["busy"] = !meetings.empty() || day.contains("holiday") || d == v.today;
    }
    week.push_back(day);
    if (week.size() == 7) {
      weeks.push_back({{"days", week}});
      week = json::array();
    }
  }
  json weekdays = json::array();
  for (int i = 0; i < 7; ++i) weekdays.push_back(calendar::WeekdayWord(i));
  const std::string month_words = calendar::MonthYear(v.year, v.month);
  json data = {{"month", month_words},
               {"weeks", weeks},
               {"weekdays", weekdays},
               {"any", !v.meetings.empty()},
               {"prev", OtherMonth(v, -1, path)},
               {"next", OtherMonth(v, +1, path)},
               {"wide", true}};
  if (v.year != v.today.year || v.month != v.today.month) data["this_month"] = path;
  switch (of) {
    case MonthOf::kGroup:
      data["name"] = v.group.name;
      data["back"] = {{"url", links::GroupPage("", v.group.slug)}, {"label", v.group.name}};
      data["zone"] = v.group.timezone;
      break;
    case MonthOf::kOrganiser:
      data["name"] = v.group.name;
      data["back"] = {{"url", GroupPath(v.group.slug)}, {"label", v.group.name}};
      data["zone"] = v.group.timezone;
      break;
    case MonthOf::kVenue:
      data["name"] = v.venue.name;
      data["back"] = {{"url", links::VenuePage("", v.venue.id)}, {"label", v.venue.name}};
      data["venue"] = true;
      break;
  }
  return data;
}

// Renders the month view, or the error page (a bad month: 400, going back to this month).
template <typename Load>
void SendMonth(httplib::Response& res, MonthOf of, const std::string& path, Privacy privacy,
               const Viewer* viewer, Load&& load) {
  HandlePage(res, [&](std::string& back) -> Status {
    Result<MonthView> v = load();
    if (v.status().code() == Code::kInvalidArgument) back = path;
    RETURN_IF_ERROR(v.status());
    json data = MonthModel(*v, of, path);
    SendPage(res, 200, "month.mustache",
             data["name"].get<std::string>() + ": " + data["month"].get<std::string>(), data,
             privacy, viewer);
    return Status::Ok();
  });
}

}  // namespace

void GroupCalendar(App& app, const httplib::Request& req, httplib::Response& res) {
  const std::string slug = req.matches[1];
  SendMonth(res, MonthOf::kGroup, links::GroupCalendar("", slug), Privacy::kPublic, nullptr,
            [&] { return app.ops().PublicGroupMonth(slug, Form(req).Get("month")); });
}

void VenueCalendar(App& app, const httplib::Request& req, httplib::Response& res) {
  HandlePage(res, [&](std::string&) -> Status {
    ASSIGN_OR_RETURN(calendar::Id id, api::PathId(req, 1));
    SendMonth(res, MonthOf::kVenue, links::VenueCalendar("", id), Privacy::kPublic, nullptr,
              [&] { return app.ops().PublicVenueMonth(id, Form(req).Get("month")); });
    return Status::Ok();
  });
}

void OrganiseGroupCalendar(App& app, const Viewer& viewer, const httplib::Request& req,
                           httplib::Response& res) {
  const std::string slug = req.matches[1];
  SendMonth(
      res, MonthOf::kOrganiser, GroupPath(slug) + "/calendar", Privacy::kPrivate, &viewer,
      [&] { return app.ops().GroupMonth(viewer.organiser.id, slug, Form(req).Get("month")); });
}

}  // namespace convene::server::pages
