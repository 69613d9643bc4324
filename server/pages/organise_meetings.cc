// The organiser's pages for one meeting: its changes (each through a preview of who is told
// what), presenters, the register, and the minutes header (HTML and markdown). routes.cc has
// already checked the session and (for POST) the form token.
#include <algorithm>

#include "calendar/words.h"
#include "server/api/api_handlers.h"
#include "server/pages/organise_forms.h"
#include "server/pages/page_handlers.h"

namespace convene::server::pages {

using calendar::Id;
using nlohmann::json;

namespace {

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

// HandleWithId for the change forms (preview, confirm): `body(id, form, patch)` with the change
// the form asks for. Every error page goes back to the meeting's page.
template <typename F>
void HandleChangeForm(const httplib::Request& req, httplib::Response& res, F&& body) {
  HandleWithId(req, res, [&](Id id, std::string& back) -> Status {
    back = MeetingPath(id);
    const Form f(req);
    ASSIGN_OR_RETURN(MeetingPatch patch, PatchFromForm(f));
    return body(id, f, patch);
  });
}

json Row(const std::string& what, const std::string& from, const std::string& to) {
  return {{"what", what}, {"from", from}, {"to", to}};
}

// "Monday 17 May 2027, 10:30 to 15:30".
std::string When(const calendar::Meeting& m) {
  return calendar::LongDate(m.start.date) + ", " + calendar::TimeRange(m.start, m.duration_minutes);
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

}  // namespace

json RecipientGroups(const std::vector<PreviewRecipient>& list) {
  json groups = json::array();
  for (const PreviewRecipient& r : list) {
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

void OrganiseMeeting(App& app, const Viewer& viewer, const httplib::Request& req,
                     httplib::Response& res) {
  HandleWithId(req, res, [&](Id id, std::string&) -> Status {
    ASSIGN_OR_RETURN(MeetingView v, app.ops().GetMeeting(viewer.organiser.id, id));
    ASSIGN_OR_RETURN(auto venues, app.ops().ListVenues(viewer.organiser.id));
    json vlist = json::array();
    for (const calendar::Venue& x : venues)
      vlist.push_back({{"id", x.id}, {"name", x.name}, {"current", x.id == v.venue.id}});
    json data = {{"meeting", MeetingModel(v)},
                 {"venues", vlist},
                 {"date_value", calendar::FormatDate(v.meeting.start.date)},
                 {"time_value", calendar::FormatTimeOfDay(v.meeting.start.minute_of_day)},
                 {"duration", v.meeting.duration_minutes},
                 {"csrf", viewer.csrf}};
    const std::string done = Form(req).Get("done");
    if (done == "changed") data["done"] = "Saved. The notices are on their way.";
    if (done == "presenter") data["done"] = "Presenter added.";
    if (done == "removed") data["done"] = "Presenter removed.";
    SendPage(res, 200, "organise_meeting.mustache",
             v.group.name + ", " + calendar::LongDate(v.meeting.start.date), data,
             Privacy::kPrivate, &viewer);
    return Status::Ok();
  });
}

void PreviewChange(App& app, const Viewer& viewer, const httplib::Request& req,
                   httplib::Response& res) {
  HandleChangeForm(req, res, [&](Id id, const Form& f, const MeetingPatch& patch) -> Status {
    ASSIGN_OR_RETURN(ChangePreview p, app.ops().PreviewChange(viewer.organiser.id, id, patch));
    const calendar::Meeting& b = p.before.meeting;
    const calendar::Meeting& a = p.after.meeting;
    json changes = json::array();
    if (b.start != a.start || b.duration_minutes != a.duration_minutes)
      changes.push_back(Row("When", When(b), When(a)));
    if (b.venue_id != a.venue_id)
      changes.push_back(Row("Where", VenueLine(p.before.venue), VenueLine(p.after.venue)));
    if (b.status != a.status)
      changes.push_back(Row("Status", calendar::MeetingStatusName(b.status),
                            calendar::MeetingStatusName(a.status)));
    json fields = json::array();
    for (const char* name : {"action", "date", "time", "duration_minutes", "venue_id"})
      if (f.Has(name)) fields.push_back({{"name", name}, {"value", f.Get(name)}});
    json warnings = json::array();
    for (const Warning& w : p.warnings) warnings.push_back({{"message", w.message}});
    const json told = RecipientGroups(p.told), not_told = RecipientGroups(p.not_told);
    json data = {{"before", MeetingModel(p.before)},
                 {"changed", p.changed},
                 {"changes", changes},
                 {"warnings", warnings},
                 {"told_groups", told},
                 {"told_count", People(p.told.size())},
                 {"not_told_groups", not_told},
                 {"fields", fields},
                 {"etag", p.etag},
                 {"csrf", viewer.csrf}};
    if (p.blocked) data["blocked"] = p.blocked->message();
    SendPage(res, 200, "preview.mustache", "Check before sending", data, Privacy::kPrivate,
             &viewer);
    return Status::Ok();
  });
}

void ConfirmChange(App& app, const Viewer& viewer, const httplib::Request& req,
                   httplib::Response& res) {
  HandleChangeForm(req, res, [&](Id id, const Form& f, const MeetingPatch& patch) -> Status {
    RETURN_IF_ERROR(
        app.ops().ChangeMeeting(viewer.organiser.id, id, f.Get("etag"), patch).status());
    SeeOther(res, MeetingPath(id) + "?done=changed");
    return Status::Ok();
  });
}

void AddPresenter(App& app, const Viewer& viewer, const httplib::Request& req,
                  httplib::Response& res) {
  HandleWithId(req, res, [&](Id id, std::string& back) -> Status {
    back = MeetingPath(id);
    const Form f(req);
    PresenterInput in;
    in.name = f.Get("name");
    in.topic = f.Get("topic");
    in.organisation = NonEmpty(f, "organisation");
    in.email = NonEmpty(f, "email");
    RETURN_IF_ERROR(app.ops().AddPresenter(viewer.organiser.id, id, in).status());
    SeeOther(res, back + "?done=presenter");
    return Status::Ok();
  });
}

void RemovePresenter(App& app, const Viewer& viewer, const httplib::Request& req,
                     httplib::Response& res) {
  HandlePage(res, [&](std::string& back) -> Status {
    auto id = api::PathId(req, 1);
    auto pid = api::PathId(req, 2);
    if (!id.ok() || !pid.ok()) return NotFound("no such presenter");
    back = MeetingPath(*id);
    RETURN_IF_ERROR(app.ops().RemovePresenter(viewer.organiser.id, *id, *pid));
    SeeOther(res, back + "?done=removed");
    return Status::Ok();
  });
}

void Register(App& app, const Viewer& viewer, const httplib::Request& req, httplib::Response& res) {
  HandleWithId(req, res, [&](Id id, std::string&) -> Status {
    ASSIGN_OR_RETURN(AttendanceView a, app.ops().Attendance(viewer.organiser.id, id));
    json members = json::array(), apologies = json::array();
    for (const AttendanceRow& row : a.members) {
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
    const calendar::QuorumForecast& q = a.quorum;
    json quorum = {{"members", q.members},
                   {"apologies", q.apologies},
                   {"expected", q.expected},
                   {"at_risk", q.at_risk()}};
    if (q.required) quorum["required"] = *q.required;
    json data = {{"meeting", MeetingModel(a.meeting)},
                 {"members", members},
                 {"apologies", apologies},
                 {"quorum", quorum},
                 {"csrf", viewer.csrf}};
    const std::string done = Form(req).Get("done");
    if (done == "1") data["done"] = "The register is saved.";
    if (done == "apologies") data["done"] = "Apologies recorded.";
    if (done == "already") data["done"] = "They had already sent apologies: nothing changed.";
    SendPage(res, 200, "register.mustache", "Register", data, Privacy::kPrivate, &viewer);
    return Status::Ok();
  });
}

void RecordApologies(App& app, const Viewer& viewer, const httplib::Request& req,
                     httplib::Response& res) {
  HandleWithId(req, res, [&](Id id, std::string& back) -> Status {
    back = MeetingPath(id) + "/register";
    const Form f(req);
    ASSIGN_OR_RETURN(Id member, ParseId(f.Get("member_id"), "member_id"));
    ASSIGN_OR_RETURN(bool recorded,
                     app.ops().RecordApologies(viewer.organiser.id, id, member, f.Get("reason")));
    SeeOther(res, back + (recorded ? "?done=apologies" : "?done=already"));
    return Status::Ok();
  });
}

void SaveRegister(App& app, const Viewer& viewer, const httplib::Request& req,
                  httplib::Response& res) {
  HandleWithId(req, res, [&](Id id, std::string& back) -> Status {
    back = MeetingPath(id) + "/register";
    std::vector<Id> present;
    for (const std::string& s : Form(req).All("present")) {
      ASSIGN_OR_RETURN(Id m, ParseId(s, "present"));
      present.push_back(m);
    }
    RETURN_IF_ERROR(app.ops().SetRegister(viewer.organiser.id, id, present));
    SeeOther(res, back + "?done=1");
    return Status::Ok();
  });
}

void MinutesPage(App& app, const Viewer& viewer, const httplib::Request& req,
                 httplib::Response& res) {
  HandleWithId(req, res, [&](Id id, std::string&) -> Status {
    ASSIGN_OR_RETURN(MinutesHeader m, app.ops().Minutes(viewer.organiser.id, id));
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
    json data = {{"meeting", MeetingModel(m.meeting)}, {"heading", m.heading},
                 {"register_taken", m.register_taken}, {"attendance", people(m.attendance)},
                 {"apologies", people(m.apologies)},   {"presenting", people(m.presenting)}};
    SendPage(res, 200, "minutes.mustache", "Minutes header", data, Privacy::kPrivate, &viewer);
    return Status::Ok();
  });
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
  HandleWithId(req, res, [&](Id id, std::string&) -> Status {
    ASSIGN_OR_RETURN(MinutesHeader m, app.ops().Minutes(organiser, id));
    res.set_header("Cache-Control", "no-store");
    res.set_header("Content-Disposition", "inline; filename=\"minutes-" +
                                              calendar::FormatDate(m.meeting.meeting.start.date) +
                                              ".md\"");
    res.set_content(MinutesMarkdownText(m), "text/markdown; charset=utf-8");
    return Status::Ok();
  });
}

}  // namespace convene::server::pages
