// The organiser's pages: dashboard and account, the notice outbox, venues, a group's meetings
// and settings. Members: organise_members.cc; one meeting, the register and the minutes:
// organise_meetings.cc. routes.cc has already checked the session and (for POST) the form token.
#include <algorithm>
#include <map>

#include "server/api/api_handlers.h"
#include "server/http/responses.h"
#include "server/pages/organise_forms.h"
#include "server/pages/page_handlers.h"

namespace convene::server::pages {

using calendar::Id;
using nlohmann::json;

json Models(const std::vector<MeetingView>& views) {
  json list = json::array();
  for (const MeetingView& v : views) list.push_back(MeetingModel(v));
  return list;
}

Result<Id> ParseId(const std::string& s, const char* field) {
  if (s.empty() || s.size() > 15 || s.find_first_not_of("0123456789") != std::string::npos)
    return InvalidArgument(field, std::string(field) + " must be a number");
  return static_cast<Id>(std::stoll(s));
}

Result<std::optional<int64_t>> OptNumber(const std::string& s, const char* field) {
  if (s.empty()) return std::optional<int64_t>();
  ASSIGN_OR_RETURN(Id n, ParseId(s, field));
  return std::optional<int64_t>(n);
}

// Edit forms carry the ETag of what the page showed (as If-Match would): a mismatch means
// someone saved a change after the page was opened. Say so in page words, not HTTP ones.
Status ForForm(const Status& st) {
  if (st.code() != Code::kPreconditionFailed && st.code() != Code::kPreconditionRequired) return st;
  return Status(Code::kPreconditionFailed,
                "someone saved a change here after you opened the page, so yours was not saved");
}

// The form's value of `key`, or none when it is empty (for fields a form may leave out).
std::optional<std::string> NonEmpty(const Form& f, const char* key) {
  std::string v = f.Get(key);
  if (v.empty()) return std::nullopt;
  return v;
}

std::string People(size_t n) { return n == 1 ? "1 person" : std::to_string(n) + " people"; }

namespace {

std::string Here(const httplib::Request& req) { return req.path; }

const char* const kShortWeekdays[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};

const char* const kShortMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

// "Mon 18 Jan 2027, 10:31" in the zone (an unknown zone: UTC, said so).
std::string ShortWhen(const std::string& tz, int64_t unix_seconds) {
  auto t = calendar::FromUnix(tz, unix_seconds);
  std::string suffix;
  if (!t.ok()) {
    t = calendar::FromUnix("UTC", unix_seconds);
    suffix = " UTC";
    if (!t.ok()) return std::to_string(unix_seconds);
  }
  const calendar::CivilDate& d = t->date;
  return std::string(kShortWeekdays[calendar::Weekday(d)]) + " " + std::to_string(d.day) + " " +
         kShortMonths[d.month - 1] + " " + std::to_string(d.year) + ", " +
         calendar::FormatTimeOfDay(t->minute_of_day) + suffix;
}

}  // namespace

void Dashboard(App& app, const Viewer& viewer, const httplib::Request&, httplib::Response& res) {
  const Id org = viewer.organiser.id;
  auto groups = app.ops().ListGroups(org);
  if (!groups.ok()) return SendErrorPage(res, groups.status());
  json list = json::array();
  for (const calendar::Group& g : *groups) {
    auto upcoming = app.ops().UpcomingMeetings(org, g.slug);
    auto members = app.ops().ListMembers(org, g.slug);
    if (!upcoming.ok()) return SendErrorPage(res, upcoming.status());
    if (!members.ok()) return SendErrorPage(res, members.status());
    upcoming->resize(std::min<size_t>(upcoming->size(), 3));
    auto failing = app.ops().FailingAddresses(org, g.slug);
    if (!failing.ok()) return SendErrorPage(res, failing.status());
    json gj = {{"slug", g.slug},
               {"name", g.name},
               {"public", g.is_public},
               {"members", members->size()},
               {"next", Models(*upcoming)}};
    size_t members_failing = 0;
    for (const calendar::Member& m : *members)
      members_failing += failing->count(calendar::LowerAscii(m.email));
    if (members_failing > 0)
      gj["failing"] = People(members_failing) + (members_failing == 1 ? " gets" : " get") +
                      " no email: the last notice failed";
    if (g.quorum) gj["quorum"] = *g.quorum;
    list.push_back(gj);
  }
  SendPage(res, 200, "organise.mustache", "Your groups", {{"groups", list}, {"csrf", viewer.csrf}},
           Privacy::kPrivate, &viewer);
}

void Account(App&, const Viewer& viewer, const httplib::Request& req, httplib::Response& res) {
  json data = {{"email", viewer.organiser.email}, {"csrf", viewer.csrf}};
  if (Form(req).Get("changed") == "1")
    data["done"] = "Password changed. Every other browser logged in as you has been logged out.";
  SendPage(res, 200, "account.mustache", "Your account", data, Privacy::kPrivate, &viewer);
}

void ChangePassword(App& app, const Viewer& viewer, const httplib::Request& req,
                    httplib::Response& res) {
  Form f(req);
  const std::string back = "/organise/account";
  if (f.Get("password") != f.Get("repeat"))
    return SendErrorPage(res, InvalidArgument("repeat", "the two new passwords differ"), back);
  auto session = app.ops().ChangePassword(viewer.organiser.id, f.Get("current"), f.Get("password"),
                                          ClientAddress(req, app.config()));
  if (!session.ok()) return SendErrorPage(res, session.status(), back);
  res.set_header("Set-Cookie",
                 CookieHeader(kSessionCookie, session->token, session->expires_at - app.ops().Now(),
                              app.config().secure_cookies()));
  SeeOther(res, back + "?changed=1");
}

void CreateGroup(App& app, const Viewer& viewer, const httplib::Request& req,
                 httplib::Response& res) {
  Form f(req);
  GroupInput in;
  in.slug = f.Get("slug");
  in.name = f.Get("name");
  in.timezone = f.Get("timezone");
  auto quorum = OptNumber(f.Get("quorum"), "quorum");
  if (!quorum.ok()) return SendErrorPage(res, quorum.status(), "/organise");
  in.quorum = *quorum;
  in.is_public = f.Get("public") == "1";
  auto g = app.ops().CreateGroup(viewer.organiser.id, in);
  if (!g.ok()) return SendErrorPage(res, g.status(), "/organise");
  SeeOther(res, "/organise/groups/" + g->slug + "?new=1");
}

void Outbox(App& app, const Viewer& viewer, const httplib::Request& req, httplib::Response& res) {
  const std::string status = Form(req).Get("status");
  auto rows = app.ops().ListOutbox(viewer.organiser.id, status);
  if (!rows.ok()) return SendErrorPage(res, rows.status(), "/organise/outbox");
  auto groups = app.ops().ListGroups(viewer.organiser.id);
  if (!groups.ok()) return SendErrorPage(res, groups.status());
  std::map<Id, std::string> zone;
  std::vector<std::string> zones;
  for (const calendar::Group& g : *groups) {
    zone[g.id] = g.timezone;
    if (std::find(zones.begin(), zones.end(), g.timezone) == zones.end())
      zones.push_back(g.timezone);
  }
  json list = json::array();
  for (const notify::OutboxEntry& e : *rows) {
    const std::string tz = zone.count(e.group_id) ? zone[e.group_id] : "UTC";
    json r = {{"to", e.to},
              {"subject", e.subject},
              {"status", e.status},
              {"attempts", e.attempts},
              {"next", e.next_attempt_at ? ShortWhen(tz, *e.next_attempt_at) : ""},
              {"last_error", e.last_error}};
    if (e.sent_at) r["sent_at"] = ShortWhen(tz, *e.sent_at);
    list.push_back(r);
  }
  json filters = json::array();
  for (const char* s : {"", "queued", "sent", "failed", "superseded"}) {
    const std::string name = s;
    filters.push_back({{"label", name.empty() ? "All" : name},
                       {"href", "/organise/outbox" + (name.empty() ? "" : "?status=" + name)},
                       {"current", name == status}});
  }
  std::string zone_list;
  for (const std::string& z : zones) zone_list += (zone_list.empty() ? "" : ", ") + z;
  json data = {{"rows", list},
               {"has_rows", !list.empty()},
               {"filters", filters},
               {"zones", zone_list},
               {"wide", true}};
  if (!status.empty()) data["status"] = status;  // mustache takes "" for true
  SendPage(res, 200, "organise_outbox.mustache", "Notice outbox", data, Privacy::kPrivate, &viewer);
}

void Venues(App& app, const Viewer& viewer, const httplib::Request& req, httplib::Response& res) {
  auto venues = app.ops().ListVenues(viewer.organiser.id);
  if (!venues.ok()) return SendErrorPage(res, venues.status());
  json list = json::array();
  for (const calendar::Venue& v : *venues) {
    json vm = VenueModel(v);
    vm["etag"] = Operations::VenueETag(v);
    list.push_back(vm);
  }
  json data = {{"venues", list}, {"csrf", viewer.csrf}};
  if (Form(req).Get("saved") == "1") data["done"] = "Venue saved.";
  SendPage(res, 200, "organise_venues.mustache", "Venues", data, Privacy::kPrivate, &viewer);
}

void EditVenue(App& app, const Viewer& viewer, const httplib::Request& req,
               httplib::Response& res) {
  auto id = api::PathId(req, 1);
  if (!id.ok()) return SendErrorPage(res, id.status());
  Form f(req);
  VenueInput in;
  in.name = f.Get("name");
  in.address = f.Get("address");
  in.postcode = f.Get("postcode");
  in.notes = f.Get("notes");
  auto capacity = OptNumber(f.Get("capacity"), "capacity");
  if (!capacity.ok()) return SendErrorPage(res, capacity.status(), "/organise/venues");
  in.capacity = *capacity;
  in.clear_capacity = !*capacity;
  auto v = app.ops().UpdateVenue(viewer.organiser.id, *id, f.Get("etag"), in);
  if (!v.ok()) return SendErrorPage(res, ForForm(v.status()), "/organise/venues");
  SeeOther(res, "/organise/venues?saved=1");
}

void CreateVenue(App& app, const Viewer& viewer, const httplib::Request& req,
                 httplib::Response& res) {
  Form f(req);
  VenueInput in;
  in.name = f.Get("name");
  in.address = f.Get("address");
  in.postcode = f.Get("postcode");
  if (!f.Get("notes").empty()) in.notes = f.Get("notes");
  auto capacity = OptNumber(f.Get("capacity"), "capacity");
  if (!capacity.ok()) return SendErrorPage(res, capacity.status(), Here(req));
  in.capacity = *capacity;
  auto v = app.ops().CreateVenue(viewer.organiser.id, in);
  if (!v.ok()) return SendErrorPage(res, v.status(), Here(req));
  SeeOther(res, "/organise/venues");
}

void OrganiseGroup(App& app, const Viewer& viewer, const httplib::Request& req,
                   httplib::Response& res) {
  const Id org = viewer.organiser.id;
  const std::string slug = req.matches[1];
  auto g = app.ops().GetGroup(org, slug);
  if (!g.ok()) return SendErrorPage(res, g.status());
  const Form form(req);
  const bool all = form.Get("all") == "1";
  auto meetings =
      all ? app.ops().ListMeetings(org, slug, "", "") : app.ops().UpcomingMeetings(org, slug);
  if (!meetings.ok()) return SendErrorPage(res, meetings.status());
  auto members = app.ops().ListMembers(org, slug);
  auto venues = app.ops().ListVenues(org);
  if (!members.ok()) return SendErrorPage(res, members.status());
  if (!venues.ok()) return SendErrorPage(res, venues.status());
  json vlist = json::array();
  for (const calendar::Venue& v : *venues) vlist.push_back({{"id", v.id}, {"name", v.name}});
  json group = {{"slug", g->slug},
                {"name", g->name},
                {"public", g->is_public},
                {"timezone", g->timezone},
                {"quorum", g->quorum ? std::to_string(*g->quorum) : ""},
                {"etag", Operations::GroupETag(*g)}};
  json data = {{"group", group},  {"meetings", Models(*meetings)},
               {"all", all},      {"members", members->size()},
               {"venues", vlist}, {"csrf", viewer.csrf}};
  if (const std::string created = form.Get("created"); !created.empty()) {
    data["done"] = "Meetings created.";
    auto series = ParseId(created, "created");
    auto warnings = series.ok() ? app.ops().SeriesWarnings(org, *series)
                                : Result<std::vector<Warning>>(series.status());
    json list = json::array();
    if (warnings.ok())
      for (const Warning& w : *warnings) list.push_back({{"message", w.message}});
    data["warnings"] = list;
  }
  if (form.Get("saved") != "") data["done"] = "Group settings saved.";
  if (form.Get("new") != "")
    data["done"] = "Group created. Next: add its members, then its meetings below.";
  SendPage(res, 200, "organise_group.mustache", g->name, data, Privacy::kPrivate, &viewer);
}

void CreateSeries(App& app, const Viewer& viewer, const httplib::Request& req,
                  httplib::Response& res) {
  Form f(req);
  const std::string slug = req.matches[1];
  const std::string back = "/organise/groups/" + slug;
  SeriesInput in;
  in.title = f.Get("title");
  in.start_time = f.Get("start_time");
  auto venue = ParseId(f.Get("venue_id"), "venue_id");
  auto duration = ParseId(f.Get("duration_minutes"), "duration_minutes");
  if (!venue.ok()) return SendErrorPage(res, venue.status(), back);
  if (!duration.ok()) return SendErrorPage(res, duration.status(), back);
  in.venue_id = *venue;
  in.duration_minutes = *duration;
  std::vector<std::string> dates;
  std::string cur;
  for (char c : f.Get("dates") + "\n") {
    if (c == '\n' || c == '\r' || c == ',' || c == ' ' || c == '\t') {
      if (!cur.empty()) dates.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!dates.empty()) {
    in.dates = dates;
  } else if (!f.Get("rrule").empty()) {
    in.rrule = f.Get("rrule");
    if (!f.Get("first_date").empty()) in.first_date = f.Get("first_date");
  } else {
    return SendErrorPage(res, InvalidArgument("dates", "give the dates, or a rule"), back);
  }
  in.force = f.Get("force") == "1";
  if (!f.Get("agenda").empty()) in.agenda = f.Get("agenda");
  auto created = app.ops().CreateSeries(viewer.organiser.id, slug, in);
  if (!created.ok()) return SendErrorPage(res, created.status(), back);
  SeeOther(res, back + "?created=" + std::to_string(created->series.id));
}

void SaveGroupSettings(App& app, const Viewer& viewer, const httplib::Request& req,
                       httplib::Response& res) {
  Form f(req);
  const std::string slug = req.matches[1];
  const std::string back = "/organise/groups/" + slug;
  GroupPatch patch;
  patch.name = f.Get("name");
  auto quorum = OptNumber(f.Get("quorum"), "quorum");
  if (!quorum.ok()) return SendErrorPage(res, quorum.status(), back);
  patch.quorum = *quorum;
  patch.clear_quorum = !*quorum;
  patch.is_public = f.Get("public") == "1";
  auto g = app.ops().UpdateGroup(viewer.organiser.id, slug, f.Get("etag"), patch);
  if (!g.ok()) return SendErrorPage(res, ForForm(g.status()), back);
  SeeOther(res, back + "?saved=1");
}

}  // namespace convene::server::pages
