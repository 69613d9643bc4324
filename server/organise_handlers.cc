// The organiser's pages: dashboard, the notice outbox, venues, a group's meetings and members, one
// meeting with its change previews and presenters, the register and the minutes header. routes.cc
// has already checked the session and (for POST) the form token.
#include <algorithm>
#include <map>

#include "server/api_handlers.h"
#include "server/page_handlers.h"

namespace convene::server::pages {

using calendar::Id;
using nlohmann::json;

namespace {

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

std::string Here(const httplib::Request& req) { return req.path; }

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

std::string MeetingPath(Id id) { return "/organise/meetings/" + std::to_string(id); }

// The change a preview or confirm form asks for. The same fields travel from the meeting page to
// the preview and, hidden, to the confirm form.
Result<MeetingPatch> PatchFromForm(const Form& f) {
  MeetingPatch p;
  const std::string action = f.Get("action");
  if (action == "move") {
    if (f.Get("date").empty() || f.Get("time").empty())
      return InvalidArgument("date", "give the new date and start time");
    p.start = f.Get("date") + "T" + f.Get("time");
    ASSIGN_OR_RETURN(p.duration_minutes, OptNumber(f.Get("duration_minutes"), "duration_minutes"));
  } else if (action == "venue") {
    ASSIGN_OR_RETURN(Id v, ParseId(f.Get("venue_id"), "venue_id"));
    p.venue_id = v;
  } else if (action == "cancel") {
    p.status = "cancelled";
  } else if (action == "reinstate") {
    p.status = "scheduled";
  } else {
    return InvalidArgument("action", "choose a change: move, venue, cancel or reinstate");
  }
  p.force = f.Get("force") == "1";
  return p;
}

json Row(const std::string& what, const std::string& from, const std::string& to) {
  return {{"what", what}, {"from", from}, {"to", to}};
}

std::string VenueLine(const calendar::Venue& v) {
  return v.name + ", " + v.address + (v.postcode.empty() ? "" : " " + v.postcode);
}

// Markdown: backslash-escape what could start markup, so names stay text.
std::string Md(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (std::string_view("\\`*_[]<>#|!{}").find(c) != std::string_view::npos) out += '\\';
    out += c;
  }
  return out;
}

std::string People(size_t n) { return n == 1 ? "1 person" : std::to_string(n) + " people"; }

// Recipients grouped by what they get, in the order first seen.
json ByHow(const std::vector<Recipient>& list) {
  json groups = json::array();
  for (const Recipient& r : list) {
    auto it = std::find_if(groups.begin(), groups.end(),
                           [&](const json& g) { return g["how"] == r.how; });
    if (it == groups.end()) {
      groups.push_back({{"how", r.how}, {"people", json::array()}});
      it = groups.end() - 1;
    }
    json person = {{"name", r.name}, {"last", false}};
    if (!r.email.empty()) person["email"] = r.email;
    (*it)["people"].push_back(person);
  }
  for (json& g : groups) {
    g["count"] = People(g["people"].size());
    g["people"].back()["last"] = true;
  }
  return groups;
}

Result<calendar::Group> GroupById(App& app, Id organiser, Id group_id) {
  ASSIGN_OR_RETURN(auto groups, app.ops().ListGroups(organiser));
  for (const calendar::Group& g : groups)
    if (g.id == group_id) return g;
  return NotFound("no such group");
}

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

void SendMembersPage(App& app, const Viewer& viewer, httplib::Response& res,
                     const std::string& slug, const json& link, const std::string& done = "") {
  auto g = app.ops().GetGroup(viewer.organiser.id, slug);
  if (!g.ok()) return SendErrorPage(res, g.status());
  auto members = app.ops().ListMembers(viewer.organiser.id, slug);
  if (!members.ok()) return SendErrorPage(res, members.status());
  auto failing = app.ops().FailingAddresses(viewer.organiser.id, slug);
  if (!failing.ok()) return SendErrorPage(res, failing.status());
  json list = json::array();
  for (const calendar::Member& m : *members) {
    std::string notices = m.unsubscribed ? "unsubscribed"
                          : m.delivery == calendar::Delivery::kInvitations
                              ? "email invitations"
                              : "email notices, calendar feed";
    json mj = {{"id", m.id},
               {"name", m.name},
               {"email", m.email},
               {"chair", m.role == calendar::Role::kChair},
               {"role_member", m.role == calendar::Role::kMember},
               {"role_organiser", m.role == calendar::Role::kOrganiser},
               {"invitations", m.delivery == calendar::Delivery::kInvitations},
               {"organisation_value", m.organisation},
               {"etag", Operations::MemberETag(m)},
               {"notices", notices}};
    if (!m.organisation.empty()) mj["organisation"] = m.organisation;
    if (auto it = failing->find(calendar::LowerAscii(m.email)); it != failing->end())
      mj["failing"] = it->second.empty() ? "no answer" : it->second;
    list.push_back(mj);
  }
  auto former = app.ops().ListFormerMembers(viewer.organiser.id, slug);
  if (!former.ok()) return SendErrorPage(res, former.status());
  json former_list = json::array();
  for (const calendar::Member& m : *former) {
    auto left = calendar::FromUnix(g->timezone, m.left_at.value_or(0));
    json mj = {{"name", m.name},
               {"email", m.email},
               {"organisation_value", m.organisation},
               {"left", left.ok() ? HumanDate(left->date) : ""}};
    if (!m.organisation.empty()) mj["organisation"] = m.organisation;
    former_list.push_back(mj);
  }
  json data = {{"group", {{"slug", g->slug}, {"name", g->name}}},
               {"members", list},
               {"former", former_list},
               {"has_former", !former_list.empty()},
               {"csrf", viewer.csrf}};
  if (!link.is_null()) data["link"] = link;
  if (!done.empty()) data["done"] = done;
  SendPage(res, 200, "organise_members.mustache", "Members of " + g->name, data, Privacy::kPrivate,
           &viewer);
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
                                          req.remote_addr);
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
  const bool all = Form(req).Get("all") == "1";
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
  if (const std::string created = Form(req).Get("created"); !created.empty()) {
    data["done"] = "Meetings created.";
    auto series = ParseId(created, "created");
    auto warnings = series.ok() ? app.ops().SeriesWarnings(org, *series)
                                : Result<std::vector<Warning>>(series.status());
    json list = json::array();
    if (warnings.ok())
      for (const Warning& w : *warnings) list.push_back({{"message", w.message}});
    data["warnings"] = list;
  }
  if (Form(req).Get("saved") != "") data["done"] = "Group settings saved.";
  if (Form(req).Get("new") != "")
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

void Members(App& app, const Viewer& viewer, const httplib::Request& req, httplib::Response& res) {
  const Form f(req);
  SendMembersPage(app, viewer, res, req.matches[1], nullptr,
                  f.Get("removed") == "1"
                      ? "Removed from the group. Their links no longer work; the minutes of past "
                        "meetings still list them."
                  : f.Get("saved") == "1" ? "Member's details saved."
                                          : "");
}

void EditMember(App& app, const Viewer& viewer, const httplib::Request& req,
                httplib::Response& res) {
  const std::string slug = req.matches[1];
  const std::string back = "/organise/groups/" + slug + "/members";
  auto id = api::PathId(req, 2);
  if (!id.ok()) return SendErrorPage(res, id.status(), back);
  Form f(req);
  MemberPatch patch{f.Get("name"), f.Get("email"), f.Get("organisation"), NonEmpty(f, "role"),
                    NonEmpty(f, "delivery")};
  auto m = app.ops().UpdateMember(viewer.organiser.id, slug, *id, f.Get("etag"), patch);
  if (!m.ok()) return SendErrorPage(res, ForForm(m.status()), back);
  SeeOther(res, back + "?saved=1");
}

void AddMember(App& app, const Viewer& viewer, const httplib::Request& req,
               httplib::Response& res) {
  Form f(req);
  const std::string slug = req.matches[1];
  MemberInput in;
  in.name = f.Get("name");
  in.email = f.Get("email");
  if (!f.Get("organisation").empty()) in.organisation = f.Get("organisation");
  if (!f.Get("delivery").empty()) in.delivery = f.Get("delivery");
  auto m = app.ops().AddMember(viewer.organiser.id, slug, in);
  if (!m.ok()) return SendErrorPage(res, m.status(), "/organise/groups/" + slug + "/members");
  SendMembersPage(
      app, viewer, res, slug,
      {{"name", m->member.name}, {"url", app.config().base_url + "/m/" + m->page_token}});
}

void RemoveMember(App& app, const Viewer& viewer, const httplib::Request& req,
                  httplib::Response& res) {
  auto id = api::PathId(req, 1);
  if (!id.ok()) return SendErrorPage(res, id.status());
  auto removed = app.ops().RemoveMember(viewer.organiser.id, *id);
  if (!removed.ok()) return SendErrorPage(res, removed.status());
  auto g = GroupById(app, viewer.organiser.id, removed->group_id);
  if (!g.ok()) return SendErrorPage(res, g.status());
  SeeOther(res, "/organise/groups/" + g->slug + "/members?removed=1");
}

void MemberLink(App& app, const Viewer& viewer, const httplib::Request& req,
                httplib::Response& res) {
  auto id = api::PathId(req, 1);
  if (!id.ok()) return SendErrorPage(res, id.status());
  auto link = app.ops().NewMemberPageLink(viewer.organiser.id, *id);
  if (!link.ok()) return SendErrorPage(res, link.status());
  auto g = GroupById(app, viewer.organiser.id, link->member.group_id);
  if (!g.ok()) return SendErrorPage(res, g.status());
  SendMembersPage(
      app, viewer, res, g->slug,
      {{"name", link->member.name}, {"url", app.config().base_url + "/m/" + link->page_token}});
}

void OrganiseMeeting(App& app, const Viewer& viewer, const httplib::Request& req,
                     httplib::Response& res) {
  auto id = api::PathId(req, 1);
  if (!id.ok()) return SendErrorPage(res, id.status());
  auto v = app.ops().GetMeeting(viewer.organiser.id, *id);
  if (!v.ok()) return SendErrorPage(res, v.status());
  auto venues = app.ops().ListVenues(viewer.organiser.id);
  if (!venues.ok()) return SendErrorPage(res, venues.status());
  json vlist = json::array();
  for (const calendar::Venue& x : *venues)
    vlist.push_back({{"id", x.id}, {"name", x.name}, {"current", x.id == v->venue.id}});
  json data = {{"meeting", MeetingModel(*v)},
               {"venues", vlist},
               {"date_value", calendar::FormatDate(v->meeting.start.date)},
               {"time_value", calendar::FormatTimeOfDay(v->meeting.start.minute_of_day)},
               {"duration", v->meeting.duration_minutes},
               {"csrf", viewer.csrf}};
  const std::string done = Form(req).Get("done");
  if (done == "changed") data["done"] = "Saved. The notices are on their way.";
  if (done == "presenter") data["done"] = "Presenter added.";
  if (done == "removed") data["done"] = "Presenter removed.";
  SendPage(res, 200, "organise_meeting.mustache",
           v->group.name + ", " + HumanDate(v->meeting.start.date), data, Privacy::kPrivate,
           &viewer);
}

void PreviewChange(App& app, const Viewer& viewer, const httplib::Request& req,
                   httplib::Response& res) {
  auto id = api::PathId(req, 1);
  if (!id.ok()) return SendErrorPage(res, id.status());
  Form f(req);
  auto patch = PatchFromForm(f);
  if (!patch.ok()) return SendErrorPage(res, patch.status(), MeetingPath(*id));
  auto p = app.ops().PreviewChange(viewer.organiser.id, *id, *patch);
  if (!p.ok()) return SendErrorPage(res, p.status(), MeetingPath(*id));
  const calendar::Meeting& b = p->before.meeting;
  const calendar::Meeting& a = p->after.meeting;
  json changes = json::array();
  if (b.start != a.start || b.duration_minutes != a.duration_minutes)
    changes.push_back(Row("When", HumanDate(b.start.date) + ", " + HumanTimes(b),
                          HumanDate(a.start.date) + ", " + HumanTimes(a)));
  if (b.venue_id != a.venue_id)
    changes.push_back(Row("Where", VenueLine(p->before.venue), VenueLine(p->after.venue)));
  if (b.status != a.status)
    changes.push_back(Row("Status", calendar::MeetingStatusName(b.status),
                          calendar::MeetingStatusName(a.status)));
  json fields = json::array();
  for (const char* name : {"action", "date", "time", "duration_minutes", "venue_id"})
    if (f.Has(name)) fields.push_back({{"name", name}, {"value", f.Get(name)}});
  json warnings = json::array();
  for (const Warning& w : p->warnings) warnings.push_back({{"message", w.message}});
  const json told = ByHow(p->told), not_told = ByHow(p->not_told);
  json data = {{"before", MeetingModel(p->before)},
               {"changed", p->changed},
               {"changes", changes},
               {"warnings", warnings},
               {"told_groups", told},
               {"told_count", People(p->told.size())},
               {"not_told_groups", not_told},
               {"fields", fields},
               {"etag", p->etag},
               {"csrf", viewer.csrf}};
  if (p->blocked) data["blocked"] = p->blocked->message();
  SendPage(res, 200, "preview.mustache", "Check before sending", data, Privacy::kPrivate, &viewer);
}

void ConfirmChange(App& app, const Viewer& viewer, const httplib::Request& req,
                   httplib::Response& res) {
  auto id = api::PathId(req, 1);
  if (!id.ok()) return SendErrorPage(res, id.status());
  Form f(req);
  auto patch = PatchFromForm(f);
  if (!patch.ok()) return SendErrorPage(res, patch.status(), MeetingPath(*id));
  auto changed = app.ops().ChangeMeeting(viewer.organiser.id, *id, f.Get("etag"), *patch);
  if (!changed.ok()) return SendErrorPage(res, changed.status(), MeetingPath(*id));
  SeeOther(res, MeetingPath(*id) + "?done=changed");
}

void AddPresenter(App& app, const Viewer& viewer, const httplib::Request& req,
                  httplib::Response& res) {
  auto id = api::PathId(req, 1);
  if (!id.ok()) return SendErrorPage(res, id.status());
  Form f(req);
  PresenterInput in;
  in.name = f.Get("name");
  in.topic = f.Get("topic");
  if (!f.Get("organisation").empty()) in.organisation = f.Get("organisation");
  if (!f.Get("email").empty()) in.email = f.Get("email");
  auto p = app.ops().AddPresenter(viewer.organiser.id, *id, in);
  if (!p.ok()) return SendErrorPage(res, p.status(), MeetingPath(*id));
  SeeOther(res, MeetingPath(*id) + "?done=presenter");
}

void RemovePresenter(App& app, const Viewer& viewer, const httplib::Request& req,
                     httplib::Response& res) {
  auto id = api::PathId(req, 1);
  auto pid = api::PathId(req, 2);
  if (!id.ok() || !pid.ok()) return SendErrorPage(res, NotFound("no such presenter"));
  if (Status st = app.ops().RemovePresenter(viewer.organiser.id, *id, *pid); !st.ok())
    return SendErrorPage(res, st, MeetingPath(*id));
  SeeOther(res, MeetingPath(*id) + "?done=removed");
}

void Register(App& app, const Viewer& viewer, const httplib::Request& req, httplib::Response& res) {
  auto id = api::PathId(req, 1);
  if (!id.ok()) return SendErrorPage(res, id.status());
  auto a = app.ops().Attendance(viewer.organiser.id, *id);
  if (!a.ok()) return SendErrorPage(res, a.status());
  json members = json::array(), apologies = json::array();
  for (const AttendanceRow& row : a->members) {
    const bool sent = row.status == calendar::Attendance::kApologies;
    members.push_back({{"id", row.member.id},
                       {"name", row.member.name},
                       {"organisation", row.member.organisation},
                       {"present", row.status == calendar::Attendance::kPresent},
                       {"apologised", sent}});
    if (sent) {
      json aj = {{"name", row.member.name}, {"organisation", row.member.organisation}};
      if (!row.reason.empty()) aj["reason"] = row.reason;
      apologies.push_back(aj);
    }
  }
  const calendar::QuorumForecast& q = a->quorum;
  json quorum = {{"members", q.members},
                 {"apologies", q.apologies},
                 {"expected", q.expected},
                 {"at_risk", q.at_risk()}};
  if (q.required) quorum["required"] = *q.required;
  json data = {{"meeting", MeetingModel(a->meeting)},
               {"members", members},
               {"apologies", apologies},
               {"quorum", quorum},
               {"csrf", viewer.csrf}};
  const std::string done = Form(req).Get("done");
  if (done == "1") data["done"] = "The register is saved.";
  if (done == "apologies") data["done"] = "Apologies recorded.";
  if (done == "already") data["done"] = "They had already sent apologies: nothing changed.";
  SendPage(res, 200, "register.mustache", "Register", data, Privacy::kPrivate, &viewer);
}

void RecordApologies(App& app, const Viewer& viewer, const httplib::Request& req,
                     httplib::Response& res) {
  auto id = api::PathId(req, 1);
  if (!id.ok()) return SendErrorPage(res, id.status());
  const std::string back = MeetingPath(*id) + "/register";
  Form f(req);
  auto member = ParseId(f.Get("member_id"), "member_id");
  if (!member.ok()) return SendErrorPage(res, member.status(), back);
  auto recorded = app.ops().RecordApologies(viewer.organiser.id, *id, *member, f.Get("reason"));
  if (!recorded.ok()) return SendErrorPage(res, recorded.status(), back);
  SeeOther(res, back + (*recorded ? "?done=apologies" : "?done=already"));
}

void SaveRegister(App& app, const Viewer& viewer, const httplib::Request& req,
                  httplib::Response& res) {
  auto id = api::PathId(req, 1);
  if (!id.ok()) return SendErrorPage(res, id.status());
  const std::string back = MeetingPath(*id) + "/register";
  std::vector<Id> present;
  for (const std::string& s : Form(req).All("present")) {
    auto m = ParseId(s, "present");
    if (!m.ok()) return SendErrorPage(res, m.status(), back);
    present.push_back(*m);
  }
  if (Status st = app.ops().SetRegister(viewer.organiser.id, *id, present); !st.ok())
    return SendErrorPage(res, st, back);
  SeeOther(res, back + "?done=1");
}

void MinutesPage(App& app, const Viewer& viewer, const httplib::Request& req,
                 httplib::Response& res) {
  auto id = api::PathId(req, 1);
  if (!id.ok()) return SendErrorPage(res, id.status());
  auto m = app.ops().Minutes(viewer.organiser.id, *id);
  if (!m.ok()) return SendErrorPage(res, m.status());
  auto people = [](const std::vector<MinutesPerson>& list) {
    json out = json::array();
    for (const MinutesPerson& p : list) {
      json pj = {{"name", p.name}};
      if (!p.organisation.empty()) pj["organisation"] = p.organisation;
      if (!p.topic.empty()) pj["topic"] = p.topic;
      out.push_back(pj);
    }
    return out;
  };
  json data = {{"meeting", MeetingModel(m->meeting)}, {"heading", m->heading},
               {"register_taken", m->register_taken}, {"attendance", people(m->attendance)},
               {"apologies", people(m->apologies)},   {"presenting", people(m->presenting)}};
  SendPage(res, 200, "minutes.mustache", "Minutes header", data, Privacy::kPrivate, &viewer);
}

std::string MinutesMarkdownText(const MinutesHeader& m) {
  std::string out = "# " + Md(m.heading) + "\n\n";
  if (!m.register_taken)
    out += "_The register has not been taken: In attendance lists the members expected._\n\n";
  auto section = [&out](const char* title, const std::vector<MinutesPerson>& people) {
    out += std::string("## ") + title + "\n\n";
    for (const MinutesPerson& p : people) {
      out += "- " + Md(p.name);
      if (!p.organisation.empty()) out += " — " + Md(p.organisation);
      out += "\n";
    }
    if (people.empty()) out += "- (none)\n";
    out += "\n";
  };
  section("In attendance:", m.attendance);
  section("Apologies:", m.apologies);
  section("Presenting:", m.presenting);
  return out;
}

void MinutesMarkdown(App& app, Id organiser, const httplib::Request& req, httplib::Response& res) {
  auto id = api::PathId(req, 1);
  if (!id.ok()) return SendErrorPage(res, id.status());
  auto m = app.ops().Minutes(organiser, *id);
  if (!m.ok()) return SendErrorPage(res, m.status());
  res.set_header("Cache-Control", "no-store");
  res.set_header("Content-Disposition", "inline; filename=\"minutes-" +
                                            calendar::FormatDate(m->meeting.meeting.start.date) +
                                            ".md\"");
  res.set_content(MinutesMarkdownText(*m), "text/markdown; charset=utf-8");
}

}  // namespace convene::server::pages
