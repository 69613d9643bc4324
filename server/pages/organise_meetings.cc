// The organiser's pages for one meeting: its changes (each through a preview of who is told
// what), presenters, the register, and the minutes header (HTML and markdown). routes.cc has
// already checked the session and (for POST) the form token.
#include <algorithm>

#include "calendar/civil.h"
#include "calendar/names.h"
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

// A meeting's status as the preview says it: "Takes place" or "Cancelled".
const char* StatusWords(calendar::MeetingStatus s) {
  return s == calendar::MeetingStatus::kCancelled ? "Cancelled" : "Takes place";
}

// "Socitm Futures, Monday 15 March 2010": the heading of printed registers and minutes.
std::string GroupAndDate(const MeetingView& v) {
  return v.group.name + ", " + calendar::LongDate(v.meeting.start.date);
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

// "Ada Lovelace (Analytical): Engines; ...", or "None".
std::string PresenterList(const std::vector<calendar::Presenter>& list) {
  std::string out;
  for (const calendar::Presenter& p : list)
    out += (out.empty() ? "" : "; ") + p.name +
           (p.organisation.empty() ? "" : " (" + p.organisation + ")") + ": " + p.topic;
  return out.empty() ? "None" : out;
}

// The query of the page after a confirmed change: who was told, numbers only (the words are made
// by DoneWords, so a link cannot put text of its own on the page).
std::string TallyQuery(const NoticeTally& t) {
  if (t.started) return "&started=1";
  return "&told=" + std::to_string(t.told) + "&withdrawn=" + std::to_string(t.withdrawn);
}

// What the meeting page says after a confirmed change: `what` ("Saved.") and who was told.
std::string DoneWords(const Form& q, const std::string& what) {
  if (q.Get("started") == "1")
    return what + " The meeting has started, so nobody was emailed; the calendar feeds show it.";
  auto told = ParseId(q.Get("told"), "told");
  auto withdrawn = ParseId(q.Get("withdrawn"), "withdrawn");
  if (!told.ok()) return what;
  return what + " " + ToldWords(*told, withdrawn.ok() ? *withdrawn : 0);
}

// The preview page of a meeting change: `data` holds what changes (changes, warnings, fields,
// blocked); the confirm form posts to `action` with the button `verb`, "and tell them" when
// someone will be told.
void SendPreview(httplib::Response& res, const Viewer& viewer, const ChangePreview& p, json data,
                 const std::string& action, const std::string& verb) {
  data.update(TellModel(p.told, p.not_told));
  data["before"] = MeetingModel(p.before);
  data["changed"] = p.changed;
  data["etag"] = p.etag;
  data["csrf"] = viewer.csrf;
  data["action"] = action;
  data["confirm_label"] = ConfirmLabel(verb, !p.told.empty());
  SendPage(res, 200, "preview.mustache", "Check before sending", data, Privacy::kPrivate, &viewer);
}

PresenterInput PresenterFromForm(const Form& f) {
  PresenterInput in;
  in.name = f.Get("name");
  in.topic = f.Get("topic");
  in.organisation = NonEmpty(f, "organisation");
  in.email = NonEmpty(f, "email");
  return in;
}

// The preview of a presenter change, with the confirm form's fields.
void SendPresenterPreview(httplib::Response& res, const Viewer& viewer, const ChangePreview& p,
                          json fields, const std::string& action) {
  fields.push_back({{"name", "confirm"}, {"value", "1"}});
  json changes = json::array();
  changes.push_back(
      Row("Presenters", PresenterList(p.before.presenters), PresenterList(p.after.presenters)));
  SendPreview(res, viewer, p, {{"changes", changes}, {"fields", fields}}, action, "Confirm");
}

}  // namespace

std::string ToldWords(int64_t told, int64_t withdrawn) {
  if (told > 0)
    return "The notices are on their way: " + People(static_cast<size_t>(told)) +
           " will get an email.";
  if (withdrawn == 1)
    return "Nobody needed an email: the email about the earlier change had not gone out yet, and "
           "this change undid it, so it will not be sent.";
  if (withdrawn > 1)
    return "Nobody needed an email: the emails about the earlier change had not gone out yet, "
           "and this change undid it, so they will not be sent.";
  return "Nobody needed an email; every member's calendar feed shows the change.";
}

std::string ConfirmLabel(const std::string& verb, bool tell) {
  return tell ? verb + " and tell them" : verb;
}

json TellModel(const std::vector<PreviewRecipient>& told,
               const std::vector<PreviewRecipient>& not_told) {
  json told_groups = RecipientGroups(told), not_told_groups = RecipientGroups(not_told);
  // The count is said once, above the groups: one group says only what they get.
  const bool several = told_groups.size() > 1;
  for (json& g : told_groups) {
    const size_t n = g["people"].size();
    g["lead"] = several  ? People(n) + (n == 1 ? " gets" : " get")
                : n == 1 ? "They get"
                         : "Each gets";
  }
  for (json& g : not_told_groups) {
    const size_t n = g["people"].size();
    g["lead"] = People(n) + (n == 1 ? " gets" : " get");
  }
  return {{"nobody_told", told.empty()},
          {"told_count", People(told.size())},
          {"told_groups", told_groups},
          {"not_told_groups", not_told_groups}};
}

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
    const Form q(req);
    const std::string done = q.Get("done");
    if (done == "changed") data["done"] = DoneWords(q, "Saved.");
    if (done == "presenter") data["done"] = DoneWords(q, "Presenter added.");
    if (done == "removed") data["done"] = DoneWords(q, "Presenter removed.");
    // Presenters of a meeting that has started are changed at once, telling nobody.
    auto start = calendar::ToUnix(v.group.timezone, v.meeting.start);
    data["started"] = start.ok() && *start <= app.ops().Now();
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
      changes.push_back(Row("Status", StatusWords(b.status), StatusWords(a.status)));
    json fields = json::array();
    for (const char* name : {"action", "date", "time", "duration_minutes", "venue_id"})
      if (f.Has(name)) fields.push_back({{"name", name}, {"value", f.Get(name)}});
    json warnings = json::array();
    for (const Warning& w : p.warnings) warnings.push_back({{"message", PlainWords(w.message)}});
    json data = {{"changes", changes}, {"warnings", warnings}, {"fields", fields}};
    if (p.blocked) data["blocked"] = PlainWords(p.blocked->message());
    SendPreview(res, viewer, p, data, MeetingPath(id) + "/change",
                p.blocked ? "Book anyway" : "Confirm");
    return Status::Ok();
  });
}

void ConfirmChange(App& app, const Viewer& viewer, const httplib::Request& req,
                   httplib::Response& res) {
  HandleChangeForm(req, res, [&](Id id, const Form& f, const MeetingPatch& patch) -> Status {
    ASSIGN_OR_RETURN(MeetingEditResult r,
                     app.ops().ChangeMeeting(viewer.organiser.id, id, f.Get("etag"), patch));
    SeeOther(res, MeetingPath(id) + "?done=changed" + TallyQuery(r.notices));
    return Status::Ok();
  });
}

// The presenter forms: without `confirm`, the preview of who will be told what (a meeting that
// has started is changed at once: nobody is told, so there is nothing to preview); with it, the
// change, checked against the version the preview showed, so a second confirm changes nothing.
void AddPresenter(App& app, const Viewer& viewer, const httplib::Request& req,
                  httplib::Response& res) {
  HandleWithId(req, res, [&](Id id, std::string& back) -> Status {
    back = MeetingPath(id);
    const Form f(req);
    const PresenterInput in = PresenterFromForm(f);
    const Id org = viewer.organiser.id;
    std::string etag = f.Get("etag");
    if (f.Get("confirm") != "1") {
      ASSIGN_OR_RETURN(ChangePreview p, app.ops().PreviewAddPresenter(org, id, in));
      if (!p.started) {
        json fields = json::array();
        for (const char* name : {"name", "organisation", "topic", "email"})
          fields.push_back({{"name", name}, {"value", f.Get(name)}});
        SendPresenterPreview(res, viewer, p, fields, back + "/presenters");
        return Status::Ok();
      }
      etag = p.etag;
    }
    NoticeTally tally;
    RETURN_IF_ERROR(app.ops().AddPresenter(org, id, in, etag, &tally).status());
    SeeOther(res, back + "?done=presenter" + TallyQuery(tally));
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
    const Form f(req);
    const Id org = viewer.organiser.id;
    std::string etag = f.Get("etag");
    if (f.Get("confirm") != "1") {
      ASSIGN_OR_RETURN(ChangePreview p, app.ops().PreviewRemovePresenter(org, *id, *pid));
      if (!p.started) {
        SendPresenterPreview(res, viewer, p, json::array(),
                             back + "/presenters/" + std::to_string(*pid) + "/delete");
        return Status::Ok();
      }
      etag = p.etag;
    }
    NoticeTally tally;
    RETURN_IF_ERROR(app.ops().RemovePresenter(org, *id, *pid, etag, &tally));
    SeeOther(res, back + "?done=removed" + TallyQuery(tally));
    return Status::Ok();
  });
}

void Register(App& app, const Viewer& viewer, const httplib::Request& req, httplib::Response& res) {
  HandleWithId(req, res, [&](Id id, std::string&) -> Status {
    ASSIGN_OR_RETURN(AttendanceView a, app.ops().Attendance(viewer.organiser.id, id));
    // By surname, as the members page and the minutes list people.
    std::stable_sort(a.members.begin(), a.members.end(),
                     [](const AttendanceRow& x, const AttendanceRow& y) {
                       return calendar::BySurname(x.member.name, y.member.name);
                     });
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
    SendPage(res, 200, "register.mustache", "Register: " + GroupAndDate(a.meeting), data,
             Privacy::kPrivate, &viewer);
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
    SendPage(res, 200, "minutes.mustache", "Minutes: " + GroupAndDate(m.meeting), data,
             Privacy::kPrivate, &viewer);
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
