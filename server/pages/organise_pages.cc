// The organiser's pages: dashboard and account, the notice outbox, venues, a group's meetings
// and settings. Members: organise_members.cc; one meeting, the register and the minutes:
// organise_meetings.cc; series (the new-series form, its preview, a series' changes):
// organise_series.cc. routes.cc has already checked the session and (for POST) the form token.
#include <algorithm>
#include <map>
#include <tuple>

#include "calendar/words.h"
#include "server/api/api_handlers.h"
#include "server/http/responses.h"
#include "server/pages/organise_forms.h"
#include "server/pages/page_handlers.h"

namespace convene::server::pages {

using calendar::Id;
using nlohmann::json;

std::string GroupPath(const std::string& slug) { return "/organise/groups/" + slug; }

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

// "Mon 18 Jan 2027, 10:31" in the zone (an unknown zone: UTC, said so).
std::string ShortWhen(const std::string& tz, int64_t unix_seconds) {
  auto t = calendar::FromUnix(tz, unix_seconds);
  std::string suffix;
  if (!t.ok()) {
    t = calendar::FromUnix("UTC", unix_seconds);
    suffix = " UTC";
    if (!t.ok()) return std::to_string(unix_seconds);
  }
  return calendar::ShortDate(t->date) + ", " + calendar::FormatTimeOfDay(t->minute_of_day) + suffix;
}

// The fields the venue forms (add, edit) share.
Result<VenueInput> VenueFromForm(const Form& f) {
  VenueInput in;
  in.name = f.Get("name");
  in.address = f.Get("address");
  in.postcode = f.Get("postcode");
  ASSIGN_OR_RETURN(in.capacity, OptNumber(f.Get("capacity"), "capacity"));
  return in;
}

// HandlePage for the forms on a group's page: `body(slug, form)`. Every error page goes back to
// the group's page.
template <typename F>
void HandleGroupForm(const httplib::Request& req, httplib::Response& res, F&& body) {
  HandlePage(res, [&](std::string& back) -> Status {
    const std::string slug = req.matches[1];
    back = GroupPath(slug);
    return body(slug, Form(req));
  });
}

// The group settings form (an empty quorum clears it).
Result<GroupPatch> GroupPatchFromForm(const Form& f) {
  GroupPatch patch;
  patch.name = f.Get("name");
  ASSIGN_OR_RETURN(patch.quorum, OptNumber(f.Get("quorum"), "quorum"));
  patch.clear_quorum = !patch.quorum;
  patch.is_public = f.Get("public") == "1";
  patch.bank_holiday_region = NonEmpty(f, "bank_holiday_region");
  return patch;
}

// The dashboard's line per meeting: only what organise.mustache shows (a full MeetingModel for
// each of 1,500 meetings made the page of 500 groups take twice as long: 190 ms, not 95).
json NextMeetings(const std::vector<MeetingView>& views) {
  json list = json::array();
  for (const MeetingView& v : views) {
    const calendar::Meeting& m = v.meeting;
    list.push_back({{"id", m.id},
                    {"date", calendar::LongDate(m.start.date)},
                    {"times", calendar::TimeRange(m.start, m.duration_minutes)},
                    {"venue", {{"name", v.venue.name}}},
                    {"cancelled", m.status == calendar::MeetingStatus::kCancelled},
                    {"apologies", v.apologies}});
  }
  return list;
}

}  // namespace

void Dashboard(App& app, const Viewer& viewer, const httplib::Request&, httplib::Response& res) {
  HandlePage(res, [&](std::string&) -> Status {
    const Id org = viewer.organiser.id;
    // One snapshot for the whole page (500 groups: one transaction, not three per group).
    ASSIGN_OR_RETURN(auto groups, app.ops().Dashboard(org, 3));
    json list = json::array();
    for (const Operations::DashboardGroup& d : groups) {
      const calendar::Group& g = d.group;
      json gj = {{"slug", g.slug},
                 {"name", g.name},
                 {"public", g.is_public},
                 {"members", d.members},
                 {"next", NextMeetings(d.next)}};
      if (d.members_failing > 0)
        gj["failing"] = People(d.members_failing) + (d.members_failing == 1 ? " gets" : " get") +
                        " no email: the last notice failed";
      if (g.quorum) gj["quorum"] = *g.quorum;
      list.push_back(gj);
    }
    SendPage(res, 200, "organise.mustache", "Your groups",
             {{"groups", list}, {"csrf", viewer.csrf}}, Privacy::kPrivate, &viewer);
    return Status::Ok();
  });
}

void Account(App&, const Viewer& viewer, const httplib::Request& req, httplib::Response& res) {
  json data = {{"email", viewer.organiser.email}, {"csrf", viewer.csrf}};
  if (Form(req).Get("changed") == "1")
    data["done"] = "Password changed. Every other browser logged in as you has been logged out.";
  SendPage(res, 200, "account.mustache", "Your account", data, Privacy::kPrivate, &viewer);
}

void ChangePassword(App& app, const Viewer& viewer, const httplib::Request& req,
                    httplib::Response& res) {
  HandlePage(res, [&](std::string& back) -> Status {
    back = "/organise/account";
    const Form f(req);
    if (f.Get("password") != f.Get("repeat"))
      return InvalidArgument("repeat", "the two new passwords differ");
    ASSIGN_OR_RETURN(Session session,
                     app.ops().ChangePassword(viewer.organiser.id, f.Get("current"),
                                              f.Get("password"), ClientAddress(req, app.config())));
    res.set_header("Set-Cookie", SessionCookie(app, session));
    SeeOther(res, back + "?changed=1");
    return Status::Ok();
  });
}

void CreateGroup(App& app, const Viewer& viewer, const httplib::Request& req,
                 httplib::Response& res) {
  HandlePage(res, [&](std::string& back) -> Status {
    back = "/organise";
    const Form f(req);
    GroupInput in;
    in.slug = f.Get("slug");
    in.name = f.Get("name");
    in.timezone = f.Get("timezone");
    ASSIGN_OR_RETURN(in.quorum, OptNumber(f.Get("quorum"), "quorum"));
    in.is_public = f.Get("public") == "1";
    ASSIGN_OR_RETURN(calendar::Group g, app.ops().CreateGroup(viewer.organiser.id, in));
    SeeOther(res, GroupPath(g.slug) + "?new=1");
    return Status::Ok();
  });
}

void Outbox(App& app, const Viewer& viewer, const httplib::Request& req, httplib::Response& res) {
  HandlePage(res, [&](std::string& back) -> Status {
    const std::string status = Form(req).Get("status");
    back = "/organise/outbox";  // a status filter it does not know
    // "All" is all: the superseded too (the API's unfiltered list leaves them out).
    ASSIGN_OR_RETURN(auto rows, app.ops().ListOutbox(viewer.organiser.id, status, true));
    back.clear();
    ASSIGN_OR_RETURN(auto groups, app.ops().ListGroups(viewer.organiser.id));
    std::map<Id, std::string> zone;
    std::vector<std::string> zones;
    for (const calendar::Group& g : groups) {
      zone[g.id] = g.timezone;
      if (std::find(zones.begin(), zones.end(), g.timezone) == zones.end())
        zones.push_back(g.timezone);
    }
    // One entry per change: the notices of one kind, meeting, subject and moment are the emails
    // of one change to its recipients. Changes with a failure come first; otherwise newest first
    // (the order of `rows`), and within a change the failed recipients first.
    struct Change {
      const notify::OutboxEntry* first;
      std::vector<const notify::OutboxEntry*> rows;
      std::map<std::string, int> counts;
    };
    std::vector<Change> changes;
    std::map<std::tuple<std::string, Id, std::string, int64_t>, size_t> index;
    for (const notify::OutboxEntry& e : rows) {
      auto [it, fresh] = index.try_emplace(
          std::tuple(e.kind, e.meeting_id, e.subject, e.created_at), changes.size());
      if (fresh) changes.push_back({&e, {}, {}});
      Change& c = changes[it->second];
      c.rows.push_back(&e);
      ++c.counts[e.status];
    }
    std::stable_partition(changes.begin(), changes.end(),
                          [](const Change& c) { return c.counts.count("failed") > 0; });
    json list = json::array();
    for (Change& c : changes) {
      std::stable_partition(c.rows.begin(), c.rows.end(),
                            [](const notify::OutboxEntry* e) { return e->status == "failed"; });
      const std::string tz = zone.count(c.first->group_id) ? zone[c.first->group_id] : "UTC";
      json recipients = json::array();
      for (const notify::OutboxEntry* e : c.rows) {
        json r = {{"to", e->to},
                  {"status", e->status},
                  {"attempts", e->attempts},
                  {"next", e->next_attempt_at ? ShortWhen(tz, *e->next_attempt_at) : ""},
                  {"last_error", e->last_error}};
        if (e->sent_at) r["sent_at"] = ShortWhen(tz, *e->sent_at);
        recipients.push_back(r);
      }
      // "21 recipients: 20 sent, 1 failed".
      const size_t n = c.rows.size();
      std::string summary = std::to_string(n) + (n == 1 ? " recipient: " : " recipients: ");
      bool first = true;
      for (const char* st : {"sent", "queued", "failed", "superseded"})
        if (auto it = c.counts.find(st); it != c.counts.end()) {
          summary += (first ? "" : ", ") + std::to_string(it->second) + " " + st;
          first = false;
        }
      list.push_back({{"subject", c.first->subject},
                      {"created", ShortWhen(tz, c.first->created_at)},
                      {"summary", summary},
                      {"failed", c.counts.count("failed") > 0},
                      {"rows", recipients}});
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
    json data = {{"changes", list},
                 {"has_rows", !list.empty()},
                 {"filters", filters},
                 {"zones", zone_list},
                 {"wide", true}};
    if (!status.empty()) data["status"] = status;  // mustache takes "" for true
    SendPage(res, 200, "organise_outbox.mustache", "Notice outbox", data, Privacy::kPrivate,
             &viewer);
    return Status::Ok();
  });
}

void Venues(App& app, const Viewer& viewer, const httplib::Request& req, httplib::Response& res) {
  HandlePage(res, [&](std::string&) -> Status {
    ASSIGN_OR_RETURN(auto venues, app.ops().ListVenues(viewer.organiser.id));
    json list = json::array();
    for (const calendar::Venue& v : venues) {
      json vm = VenueModel(v);
      vm["etag"] = Operations::VenueETag(v);
      list.push_back(vm);
    }
    json data = {{"venues", list}, {"csrf", viewer.csrf}};
    if (Form(req).Get("saved") == "1") data["done"] = "Venue saved.";
    SendPage(res, 200, "organise_venues.mustache", "Venues", data, Privacy::kPrivate, &viewer);
    return Status::Ok();
  });
}

void EditVenue(App& app, const Viewer& viewer, const httplib::Request& req,
               httplib::Response& res) {
  HandleWithId(req, res, [&](Id id, std::string& back) -> Status {
    back = "/organise/venues";
    const Form f(req);
    ASSIGN_OR_RETURN(VenueInput in, VenueFromForm(f));
    in.notes = f.Get("notes");
    in.clear_capacity = !in.capacity;
    RETURN_IF_ERROR(
        ForForm(app.ops().UpdateVenue(viewer.organiser.id, id, f.Get("etag"), in).status()));
    SeeOther(res, back + "?saved=1");
    return Status::Ok();
  });
}

void CreateVenue(App& app, const Viewer& viewer, const httplib::Request& req,
                 httplib::Response& res) {
  HandlePage(res, [&](std::string& back) -> Status {
    back = req.path;
    const Form f(req);
    ASSIGN_OR_RETURN(VenueInput in, VenueFromForm(f));
    in.notes = NonEmpty(f, "notes");
    RETURN_IF_ERROR(app.ops().CreateVenue(viewer.organiser.id, in).status());
    SeeOther(res, "/organise/venues");
    return Status::Ok();
  });
}

Status SendGroupPage(App& app, const Viewer& viewer, const std::string& slug, const Form& query,
                     int status, const json* series_form, httplib::Response& res) {
  const Id org = viewer.organiser.id;
  ASSIGN_OR_RETURN(calendar::Group g, app.ops().GetGroup(org, slug));
  const bool all = query.Get("all") == "1";
  ASSIGN_OR_RETURN(auto upcoming, app.ops().UpcomingMeetings(org, slug));
  std::vector<MeetingView> every;
  if (all) {
    ASSIGN_OR_RETURN(every, app.ops().ListMeetings(org, slug, "", ""));
  }
  ASSIGN_OR_RETURN(auto members, app.ops().ListMembers(org, slug));
  ASSIGN_OR_RETURN(auto venues, app.ops().ListVenues(org));
  ASSIGN_OR_RETURN(auto series, app.ops().ListSeries(org, slug));
  json vlist = json::array();
  for (const calendar::Venue& v : venues) vlist.push_back({{"id", v.id}, {"name", v.name}});
  json regions = json::array();
  for (const auto& [value, label] :
       {std::pair{"england-and-wales", "England and Wales"}, std::pair{"scotland", "Scotland"},
        std::pair{"northern-ireland", "Northern Ireland"}})
    regions.push_back(
        {{"value", value}, {"label", label}, {"selected", g.bank_holiday_region == value}});
  json group = {{"slug", g.slug},
                {"name", g.name},
                {"public", g.is_public},
                {"timezone", g.timezone},
                {"quorum", g.quorum ? std::to_string(*g.quorum) : ""},
                {"regions", regions},
                {"etag", Operations::GroupETag(g)}};
  auto today = calendar::FromUnix(g.timezone, app.ops().Now());
  const calendar::CivilDate first =
      today.ok() ? today->date : calendar::CivilFromDays(app.ops().Now() / 86400);
  json data = {
      {"group", group},
      {"meetings", MeetingModels(all ? every : upcoming)},
      {"all", all},
      {"members", members.size()},
      {"venues", vlist},
      {"series", SeriesListModel(series, upcoming)},
      {"sf", series_form ? *series_form : SeriesFormModel(nullptr, g, venues, first, nullptr)},
      {"csrf", viewer.csrf}};
  if (const std::string created = query.Get("created"); !created.empty()) {
    data["done"] = "Meetings created.";
    auto id = ParseId(created, "created");
    if (id.ok()) {
      if (auto s = app.ops().GetSeries(org, *id); s.ok())
        data["done"] = "Meetings created. " + s->words + ", at " + s->venue.name + ".";
    }
    auto warnings =
        id.ok() ? app.ops().SeriesWarnings(org, *id) : Result<std::vector<Warning>>(id.status());
    json list = json::array();
    if (warnings.ok())
      for (const Warning& w : *warnings) list.push_back({{"message", w.message}});
    data["warnings"] = list;
  }
  if (auto done = SeriesDoneNotice(app, viewer, query)) data["done"] = *done;
  if (query.Get("saved") != "") data["done"] = "Group settings saved.";
  if (query.Get("new") != "")
    data["done"] = "Group created. Next: add its members, then its meetings below.";
  SendPage(res, status, "organise_group.mustache", g.name, data, Privacy::kPrivate, &viewer);
  return Status::Ok();
}

void OrganiseGroup(App& app, const Viewer& viewer, const httplib::Request& req,
                   httplib::Response& res) {
  HandlePage(res, [&](std::string&) -> Status {
    return SendGroupPage(app, viewer, req.matches[1], Form(req), 200, nullptr, res);
  });
}

void SaveGroupSettings(App& app, const Viewer& viewer, const httplib::Request& req,
                       httplib::Response& res) {
  HandleGroupForm(req, res, [&](const std::string& slug, const Form& f) -> Status {
    ASSIGN_OR_RETURN(GroupPatch patch, GroupPatchFromForm(f));
    RETURN_IF_ERROR(
        ForForm(app.ops().UpdateGroup(viewer.organiser.id, slug, f.Get("etag"), patch).status()));
    SeeOther(res, GroupPath(slug) + "?saved=1");
    return Status::Ok();
  });
}

}  // namespace convene::server::pages
