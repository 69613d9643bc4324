#include "server/api/api_handlers.h"

#include "calendar/ical.h"
#include "server/api/json_views.h"
#include "server/http/json_body.h"
#include "server/http/links.h"
#include "server/http/responses.h"

namespace convene::server::api {

using calendar::Id;
using nlohmann::json;

Result<Id> PathId(const httplib::Request& req, size_t i) {
  if (req.matches.size() <= i) return NotFound("missing id");
  const std::string s = req.matches[i];
  if (s.empty() || s.size() > 15) return NotFound("no such object");
  return static_cast<Id>(std::stoll(s));
}

namespace {

// The member and whichever of its links were just issued (each shown only this once).
json MemberLinksJson(const std::string& base, const MemberCreated& m) {
  json out = MemberJson(m.member);
  if (!m.feed_token.empty()) {
    out["feed_url"] = links::MemberFeed(base, m.feed_token);
    out["webcal_url"] = links::Webcal(out["feed_url"].get<std::string>());
  }
  if (!m.page_token.empty()) out["page_url"] = links::MemberPage(base, m.page_token);
  return out;
}

// Runs `body` and sends its Status as an error when it fails.
template <typename F>
void Handle(httplib::Response& res, F&& body) {
  Status st = body();
  if (!st.ok()) SendError(res, st);
}

Result<VenueInput> ParseVenue(const std::string& body) {
  ASSIGN_OR_RETURN(JsonBody j,
                   JsonBody::Parse(body, {"name", "address", "postcode", "capacity", "notes"}));
  VenueInput in;
  ASSIGN_OR_RETURN(in.name, j.OptString("name"));
  ASSIGN_OR_RETURN(in.address, j.OptString("address"));
  ASSIGN_OR_RETURN(in.postcode, j.OptString("postcode"));
  ASSIGN_OR_RETURN(in.notes, j.OptString("notes"));
  ASSIGN_OR_RETURN(in.capacity, j.OptInt("capacity", 1, 100000));
  in.clear_capacity = j.IsNull("capacity");
  return in;
}

}  // namespace

void CreateVenue(App& app, Id org, const httplib::Request& req, httplib::Response& res) {
  Handle(res, [&]() -> Status {
    ASSIGN_OR_RETURN(VenueInput in, ParseVenue(req.body));
    ASSIGN_OR_RETURN(calendar::Venue v, app.ops().CreateVenue(org, in));
    res.set_header("ETag", Operations::VenueETag(v));
    res.set_header("Location", "/api/v1/venues/" + std::to_string(v.id));
    SendJson(res, 201, VenueJson(v));
    return Status::Ok();
  });
}

void ListVenues(App& app, Id org, const httplib::Request&, httplib::Response& res) {
  Handle(res, [&]() -> Status {
    ASSIGN_OR_RETURN(auto venues, app.ops().ListVenues(org));
    json list = json::array();
    for (const auto& v : venues) list.push_back(VenueJson(v));
    SendJson(res, 200, {{"venues", list}});
    return Status::Ok();
  });
}

void GetVenue(App& app, Id org, const httplib::Request& req, httplib::Response& res) {
  Handle(res, [&]() -> Status {
    ASSIGN_OR_RETURN(Id id, PathId(req, 1));
    ASSIGN_OR_RETURN(calendar::Venue v, app.ops().GetVenue(org, id));
    res.set_header("ETag", Operations::VenueETag(v));
    SendJson(res, 200, VenueJson(v));
    return Status::Ok();
  });
}

void PatchVenue(App& app, Id org, const httplib::Request& req, httplib::Response& res) {
  Handle(res, [&]() -> Status {
    ASSIGN_OR_RETURN(Id id, PathId(req, 1));
    ASSIGN_OR_RETURN(VenueInput in, ParseVenue(req.body));
    ASSIGN_OR_RETURN(calendar::Venue v,
                     app.ops().UpdateVenue(org, id, req.get_header_value("If-Match"), in));
    res.set_header("ETag", Operations::VenueETag(v));
    SendJson(res, 200, VenueJson(v));
    return Status::Ok();
  });
}

void VenueFreeBusy(App& app, Id org, const httplib::Request& req, httplib::Response& res) {
  Handle(res, [&]() -> Status {
    ASSIGN_OR_RETURN(Id id, PathId(req, 1));
    ASSIGN_OR_RETURN(auto busy, app.ops().VenueBusy(org, id, req.get_param_value("from"),
                                                    req.get_param_value("to")));
    if (req.get_header_value("Accept").find("text/calendar") != std::string::npos) {
      std::vector<calendar::BusyPeriod> periods;
      for (const auto& b : busy) periods.push_back({b.start_utc, b.end_utc});
      res.status = 200;
      res.set_content(calendar::RenderFreeBusy(id, app.ops().Now(), periods),
                      "text/calendar; charset=utf-8");
      return Status::Ok();
    }
    json list = json::array();
    for (const auto& b : busy)
      list.push_back({{"start", calendar::FormatIsoUtc(b.start_utc)},
                      {"end", calendar::FormatIsoUtc(b.end_utc)},
                      {"meeting_id", b.meeting_id},
                      {"group", b.group_name}});
    SendJson(res, 200, {{"busy", list}});
    return Status::Ok();
  });
}

void CreateGroup(App& app, Id org, const httplib::Request& req, httplib::Response& res) {
  Handle(res, [&]() -> Status {
    ASSIGN_OR_RETURN(JsonBody j,
                     JsonBody::Parse(req.body, {"slug", "name", "timezone", "quorum", "public",
                                                "bank_holiday_region", "reminder_days"}));
    GroupInput in;
    ASSIGN_OR_RETURN(in.slug, j.String("slug"));
    ASSIGN_OR_RETURN(in.name, j.String("name"));
    ASSIGN_OR_RETURN(in.timezone, j.String("timezone"));
    ASSIGN_OR_RETURN(in.quorum, j.OptInt("quorum", 1, 10000));
    ASSIGN_OR_RETURN(in.is_public, j.OptBool("public"));
    ASSIGN_OR_RETURN(in.bank_holiday_region, j.OptString("bank_holiday_region"));
    ASSIGN_OR_RETURN(in.reminder_days, j.OptInt("reminder_days", 0, 60));
    in.no_reminders = j.IsNull("reminder_days");
    ASSIGN_OR_RETURN(calendar::Group g, app.ops().CreateGroup(org, in));
    res.set_header("Location", "/api/v1/groups/" + g.slug);
    SendJson(res, 201, GroupJson(g));
    return Status::Ok();
  });
}

void ListGroups(App& app, Id org, const httplib::Request&, httplib::Response& res) {
  Handle(res, [&]() -> Status {
    ASSIGN_OR_RETURN(auto groups, app.ops().ListGroups(org));
    json list = json::array();
    for (const auto& g : groups) list.push_back(GroupJson(g));
    SendJson(res, 200, {{"groups", list}});
    return Status::Ok();
  });
}

void GetGroup(App& app, Id org, const httplib::Request& req, httplib::Response& res) {
  Handle(res, [&]() -> Status {
    ASSIGN_OR_RETURN(calendar::Group g, app.ops().GetGroup(org, req.matches[1]));
    res.set_header("ETag", Operations::GroupETag(g));
    SendJson(res, 200, GroupJson(g));
    return Status::Ok();
  });
}

void PatchGroup(App& app, Id org, const httplib::Request& req, httplib::Response& res) {
  Handle(res, [&]() -> Status {
    ASSIGN_OR_RETURN(JsonBody j,
                     JsonBody::Parse(req.body, {"name", "timezone", "quorum", "public",
                                                "bank_holiday_region", "reminder_days"}));
    GroupPatch patch;
    ASSIGN_OR_RETURN(patch.name, j.OptString("name"));
    ASSIGN_OR_RETURN(patch.timezone, j.OptString("timezone"));
    ASSIGN_OR_RETURN(patch.quorum, j.OptInt("quorum", 1, 10000));
    patch.clear_quorum = j.IsNull("quorum");
    ASSIGN_OR_RETURN(patch.is_public, j.OptBool("public"));
    ASSIGN_OR_RETURN(patch.bank_holiday_region, j.OptString("bank_holiday_region"));
    ASSIGN_OR_RETURN(patch.reminder_days, j.OptInt("reminder_days", 0, 60));
    patch.clear_reminder_days = j.IsNull("reminder_days");
    ASSIGN_OR_RETURN(
        calendar::Group g,
        app.ops().UpdateGroup(org, req.matches[1], req.get_header_value("If-Match"), patch));
    res.set_header("ETag", Operations::GroupETag(g));
    SendJson(res, 200, GroupJson(g));
    return Status::Ok();
  });
}

void AddMember(App& app, Id org, const httplib::Request& req, httplib::Response& res) {
  Handle(res, [&]() -> Status {
    ASSIGN_OR_RETURN(JsonBody j, JsonBody::Parse(req.body, {"name", "email", "organisation", "role",
                                                            "delivery"}));
    MemberInput in;
    ASSIGN_OR_RETURN(in.name, j.String("name"));
    ASSIGN_OR_RETURN(in.email, j.String("email"));
    ASSIGN_OR_RETURN(in.organisation, j.OptString("organisation"));
    ASSIGN_OR_RETURN(in.role, j.OptString("role"));
    ASSIGN_OR_RETURN(in.delivery, j.OptString("delivery"));
    ASSIGN_OR_RETURN(MemberCreated m, app.ops().AddMember(org, req.matches[1], in));
    res.set_header("Cache-Control", "no-store");
    SendJson(res, 201, MemberLinksJson(app.config().base_url, m));
    return Status::Ok();
  });
}

void RotateMemberLink(App& app, Id org, const httplib::Request& req, httplib::Response& res) {
  Handle(res, [&]() -> Status {
    ASSIGN_OR_RETURN(Id id, PathId(req, 1));
    ASSIGN_OR_RETURN(MemberCreated m, app.ops().RotateMemberLink(org, id, req.matches[2], false));
    res.set_header("Cache-Control", "no-store");
    SendJson(res, 201, MemberLinksJson(app.config().base_url, m));
    return Status::Ok();
  });
}

void RevokeMemberLink(App& app, Id org, const httplib::Request& req, httplib::Response& res) {
  Handle(res, [&]() -> Status {
    ASSIGN_OR_RETURN(Id id, PathId(req, 1));
    RETURN_IF_ERROR(app.ops().RotateMemberLink(org, id, req.matches[2], true).status());
    res.status = 204;
    return Status::Ok();
  });
}

void GetMember(App& app, Id org, const httplib::Request& req, httplib::Response& res) {
  Handle(res, [&]() -> Status {
    ASSIGN_OR_RETURN(Id id, PathId(req, 2));
    ASSIGN_OR_RETURN(calendar::Member m, app.ops().GetMember(org, req.matches[1], id));
    res.set_header("ETag", Operations::MemberETag(m));
    SendJson(res, 200, MemberJson(m));
    return Status::Ok();
  });
}

void PatchMember(App& app, Id org, const httplib::Request& req, httplib::Response& res) {
  Handle(res, [&]() -> Status {
    ASSIGN_OR_RETURN(Id id, PathId(req, 2));
    ASSIGN_OR_RETURN(JsonBody j, JsonBody::Parse(req.body, {"name", "email", "organisation", "role",
                                                            "delivery"}));
    MemberPatch patch;
    ASSIGN_OR_RETURN(patch.name, j.OptString("name"));
    ASSIGN_OR_RETURN(patch.email, j.OptString("email"));
    ASSIGN_OR_RETURN(patch.organisation, j.OptString("organisation"));
    if (j.IsNull("organisation")) patch.organisation = "";
    ASSIGN_OR_RETURN(patch.role, j.OptString("role"));
    ASSIGN_OR_RETURN(patch.delivery, j.OptString("delivery"));
    ASSIGN_OR_RETURN(
        calendar::Member m,
        app.ops().UpdateMember(org, req.matches[1], id, req.get_header_value("If-Match"), patch));
    res.set_header("ETag", Operations::MemberETag(m));
    SendJson(res, 200, MemberJson(m));
    return Status::Ok();
  });
}

void RemoveMember(App& app, Id org, const httplib::Request& req, httplib::Response& res) {
  Handle(res, [&]() -> Status {
    ASSIGN_OR_RETURN(Id id, PathId(req, 2));
    RETURN_IF_ERROR(app.ops().RemoveMember(org, id, req.matches[1]).status());
    res.status = 204;
    return Status::Ok();
  });
}

void ListMembers(App& app, Id org, const httplib::Request& req, httplib::Response& res) {
  Handle(res, [&]() -> Status {
    const std::string former = req.get_param_value("former");
    if (!former.empty() && former != "1" && former != "true")
      return InvalidArgument("former", "former must be 1 (members removed from the group)");
    ASSIGN_OR_RETURN(auto members, former.empty()
                                       ? app.ops().ListMembers(org, req.matches[1])
                                       : app.ops().ListFormerMembers(org, req.matches[1]));
    json list = json::array();
    for (const auto& m : members) list.push_back(MemberJson(m));
    SendJson(res, 200, {{"members", list}});
    return Status::Ok();
  });
}

namespace {

// The body of POST /series and POST /series/preview.
Result<SeriesInput> ReadSeriesInput(const std::string& body) {
  ASSIGN_OR_RETURN(
      JsonBody j,
      JsonBody::Parse(body, {"title", "venue_id", "start_time", "duration_minutes", "rrule",
                             "pattern", "dates", "first_date", "agenda", "avoid", "force"}));
  SeriesInput in;
  ASSIGN_OR_RETURN(in.title, j.String("title"));
  ASSIGN_OR_RETURN(in.venue_id, j.Int("venue_id", 1, INT64_MAX));
  ASSIGN_OR_RETURN(in.start_time, j.String("start_time"));
  ASSIGN_OR_RETURN(in.duration_minutes, j.Int("duration_minutes", 5, 1440));
  ASSIGN_OR_RETURN(in.rrule, j.OptString("rrule"));
  ASSIGN_OR_RETURN(in.dates, j.OptStringList("dates", 500));
  ASSIGN_OR_RETURN(in.first_date, j.OptString("first_date"));
  ASSIGN_OR_RETURN(in.agenda, j.OptString("agenda"));
  ASSIGN_OR_RETURN(auto avoid, j.OptStringList("avoid", 2));
  if (avoid) in.avoid = *avoid;
  ASSIGN_OR_RETURN(auto force, j.OptBool("force"));
  in.force = force.value_or(false);
  ASSIGN_OR_RETURN(auto p, j.OptObject("pattern", {"freq", "interval", "weekday", "week_of_month",
                                                   "count", "until"}));
  if (p) {
    calendar::Pattern pat;
    ASSIGN_OR_RETURN(pat.freq, p->String("freq"));
    ASSIGN_OR_RETURN(auto interval, p->OptInt("interval", 1, 12));
    pat.interval = static_cast<int>(interval.value_or(1));
    ASSIGN_OR_RETURN(pat.weekday, p->String("weekday"));
    ASSIGN_OR_RETURN(auto week, p->OptInt("week_of_month", -1, 4));
    if (week) {
      if (*week == 0)
        return InvalidArgument("pattern.week_of_month",
                               "pattern.week_of_month must be 1 to 4, or -1 for the last");
      pat.week_of_month = static_cast<int>(*week);
    }
    ASSIGN_OR_RETURN(auto count, p->OptInt("count", 1, 500));
    if (count) pat.count = static_cast<int>(*count);
    ASSIGN_OR_RETURN(auto until, p->OptString("until"));
    if (until) {
      ASSIGN_OR_RETURN(calendar::CivilDate d, calendar::ParseDate(*until, "pattern.until"));
      pat.until = d;
    }
    in.pattern = std::move(pat);
  }
  return in;
}

json SkippedJson(const std::vector<SkippedDate>& skipped) {
  json out = json::array();
  for (const SkippedDate& s : skipped)
    out.push_back(
        {{"date", calendar::FormatDate(s.date)}, {"reason", s.reason}, {"message", s.message}});
  return out;
}

json SeriesSummaryJson(const SeriesSummary& s) {
  json j = SeriesJson(s.series);
  j["meetings"] = s.meetings;
  j["upcoming"] = s.upcoming;
  j["pattern_words"] = s.words;
  j["venue"] = {{"id", s.venue.id}, {"name", s.venue.name}};
  return j;
}

json IdsJson(const std::vector<calendar::Id>& ids) {
  json out = json::array();
  for (calendar::Id id : ids) out.push_back(id);
  return out;
}

}  // namespace

void CreateSeries(App& app, Id org, const httplib::Request& req, httplib::Response& res) {
  Handle(res, [&]() -> Status {
    ASSIGN_OR_RETURN(SeriesInput in, ReadSeriesInput(req.body));
    ASSIGN_OR_RETURN(SeriesCreated s, app.ops().CreateSeries(org, req.matches[1], in));
    json out = SeriesJson(s.series);
    json meetings = json::array();
    for (const auto& m : s.meetings) meetings.push_back(MeetingJson(m));
    out["meetings"] = meetings;
    out["warnings"] = WarningsJson(s.warnings);
    out["skipped"] = SkippedJson(s.skipped);
    res.set_header("ETag", Operations::SeriesETag(s.series));
    SendJson(res, 201, out);
    return Status::Ok();
  });
}

void PreviewSeries(App& app, Id org, const httplib::Request& req, httplib::Response& res) {
  Handle(res, [&]() -> Status {
    ASSIGN_OR_RETURN(SeriesInput in, ReadSeriesInput(req.body));
    ASSIGN_OR_RETURN(SeriesPreview p, app.ops().PreviewSeries(org, req.matches[1], in));
    // The zone of the times: the group's, as in every meeting.
    ASSIGN_OR_RETURN(auto group, app.ops().GetGroup(org, req.matches[1]));
    const std::string& tz = group.timezone;
    json meetings = json::array();
    for (const PlannedMeeting& m : p.meetings) {
      ASSIGN_OR_RETURN(std::string start, calendar::FormatIsoWithOffset(tz, m.start));
      ASSIGN_OR_RETURN(std::string end, calendar::FormatIsoWithOffset(
                                            tz, calendar::AddMinutes(m.start, m.duration_minutes)));
      meetings.push_back({{"start", start}, {"end", end}, {"warnings", WarningsJson(m.warnings)}});
    }
    json out = {
        {"meetings", meetings}, {"skipped", SkippedJson(p.skipped)}, {"pattern_words", p.words}};
    if (p.series.is_rule()) out["rrule"] = p.series.rrule;
    if (p.blocked)
      out["blocked"] = {{"code", p.blocked->error_code()}, {"message", p.blocked->message()}};
    SendJson(res, 200, out);
    return Status::Ok();
  });
}

void ListSeries(App& app, Id org, const httplib::Request& req, httplib::Response& res) {
  Handle(res, [&]() -> Status {
    ASSIGN_OR_RETURN(auto all, app.ops().ListSeries(org, req.matches[1]));
    json list = json::array();
    for (const SeriesSummary& s : all) list.push_back(SeriesSummaryJson(s));
    SendJson(res, 200, {{"series", list}});
    return Status::Ok();
  });
}

void GetSeries(App& app, Id org, const httplib::Request& req, httplib::Response& res) {
  Handle(res, [&]() -> Status {
    ASSIGN_OR_RETURN(Id id, PathId(req, 1));
    ASSIGN_OR_RETURN(SeriesSummary s, app.ops().GetSeries(org, id));
    res.set_header("ETag", Operations::SeriesETag(s.series));
    SendJson(res, 200, SeriesSummaryJson(s));
    return Status::Ok();
  });
}

namespace {
void SendSeriesEdit(httplib::Response& res, const SeriesEditResult& r) {
  json kept = json::array();
  for (const KeptMeeting& k : r.kept)
    kept.push_back({{"id", k.meeting_id}, {"field", k.field}, {"reason", k.reason}});
  json out = {{"changed", IdsJson(r.changed)},        {"kept", kept},
              {"cancelled", IdsJson(r.cancelled)},    {"added", IdsJson(r.added)},
              {"warnings", WarningsJson(r.warnings)}, {"summary", r.summary},
              {"series", SeriesSummaryJson(r.series)}};
  res.set_header("ETag", Operations::SeriesETag(r.series.series));
  SendJson(res, 200, out);
}
}  // namespace

void PatchSeries(App& app, Id org, const httplib::Request& req, httplib::Response& res) {
  Handle(res, [&]() -> Status {
    ASSIGN_OR_RETURN(Id id, PathId(req, 1));
    ASSIGN_OR_RETURN(
        JsonBody j, JsonBody::Parse(req.body, {"from", "venue_id", "start_time", "duration_minutes",
                                               "title", "agenda", "until", "count", "force"}));
    SeriesPatch p;
    ASSIGN_OR_RETURN(p.from, j.OptString("from"));
    ASSIGN_OR_RETURN(p.venue_id, j.OptInt("venue_id", 1, INT64_MAX));
    ASSIGN_OR_RETURN(p.start_time, j.OptString("start_time"));
    ASSIGN_OR_RETURN(p.duration_minutes, j.OptInt("duration_minutes", 5, 1440));
    ASSIGN_OR_RETURN(p.title, j.OptString("title"));
    ASSIGN_OR_RETURN(p.agenda, j.OptString("agenda"));
    ASSIGN_OR_RETURN(p.until, j.OptString("until"));
    ASSIGN_OR_RETURN(p.count, j.OptInt("count", 1, 500));
    ASSIGN_OR_RETURN(auto force, j.OptBool("force"));
    p.force = force.value_or(false);
    ASSIGN_OR_RETURN(SeriesEditResult r,
                     app.ops().ChangeSeries(org, id, req.get_header_value("If-Match"), p));
    SendSeriesEdit(res, r);
    return Status::Ok();
  });
}

void DeleteSeries(App& app, Id org, const httplib::Request& req, httplib::Response& res) {
  Handle(res, [&]() -> Status {
    ASSIGN_OR_RETURN(Id id, PathId(req, 1));
    SeriesPatch p;
    p.end_series = true;
    ASSIGN_OR_RETURN(SeriesEditResult r,
                     app.ops().ChangeSeries(org, id, req.get_header_value("If-Match"), p));
    res.status = 204;
    return Status::Ok();
  });
}

void ListMeetings(App& app, Id org, const httplib::Request& req, httplib::Response& res) {
  Handle(res, [&]() -> Status {
    ASSIGN_OR_RETURN(auto meetings,
                     app.ops().ListMeetings(org, req.matches[1], req.get_param_value("from"),
                                            req.get_param_value("to")));
    json list = json::array();
    for (const auto& m : meetings) list.push_back(MeetingJson(m));
    SendJson(res, 200, {{"meetings", list}});
    return Status::Ok();
  });
}

void GetMeeting(App& app, Id org, const httplib::Request& req, httplib::Response& res) {
  Handle(res, [&]() -> Status {
    ASSIGN_OR_RETURN(Id id, PathId(req, 1));
    ASSIGN_OR_RETURN(MeetingView v, app.ops().GetMeeting(org, id));
    res.set_header("ETag", Operations::MeetingETag(v.meeting));
    SendJson(res, 200, MeetingJson(v));
    return Status::Ok();
  });
}

void PatchMeeting(App& app, Id org, const httplib::Request& req, httplib::Response& res) {
  Handle(res, [&]() -> Status {
    ASSIGN_OR_RETURN(Id id, PathId(req, 1));
    ASSIGN_OR_RETURN(JsonBody j, JsonBody::Parse(req.body, {"venue_id", "start", "duration_minutes",
                                                            "status", "notes", "force"}));
    MeetingPatch p;
    ASSIGN_OR_RETURN(p.venue_id, j.OptInt("venue_id", 1, INT64_MAX));
    ASSIGN_OR_RETURN(p.start, j.OptString("start"));
    ASSIGN_OR_RETURN(p.duration_minutes, j.OptInt("duration_minutes", 5, 1440));
    ASSIGN_OR_RETURN(p.status, j.OptString("status"));
    ASSIGN_OR_RETURN(p.notes, j.OptString("notes"));
    ASSIGN_OR_RETURN(auto force, j.OptBool("force"));
    p.force = force.value_or(false);
    ASSIGN_OR_RETURN(MeetingEditResult c,
                     app.ops().ChangeMeeting(org, id, req.get_header_value("If-Match"), p));
    json out = MeetingJson(c.view);
    out["warnings"] = WarningsJson(c.warnings);
    res.set_header("ETag", Operations::MeetingETag(c.view.meeting));
    SendJson(res, 200, out);
    return Status::Ok();
  });
}

void AddPresenter(App& app, Id org, const httplib::Request& req, httplib::Response& res) {
  Handle(res, [&]() -> Status {
    ASSIGN_OR_RETURN(Id id, PathId(req, 1));
    ASSIGN_OR_RETURN(JsonBody j,
                     JsonBody::Parse(req.body, {"name", "organisation", "email", "topic"}));
    PresenterInput in;
    ASSIGN_OR_RETURN(in.name, j.String("name"));
    ASSIGN_OR_RETURN(in.topic, j.String("topic"));
    ASSIGN_OR_RETURN(in.organisation, j.OptString("organisation"));
    ASSIGN_OR_RETURN(in.email, j.OptString("email"));
    ASSIGN_OR_RETURN(calendar::Presenter p, app.ops().AddPresenter(org, id, in));
    SendJson(res, 201, PresenterJson(p));
    return Status::Ok();
  });
}

void RemovePresenter(App& app, Id org, const httplib::Request& req, httplib::Response& res) {
  Handle(res, [&]() -> Status {
    ASSIGN_OR_RETURN(Id meeting, PathId(req, 1));
    ASSIGN_OR_RETURN(Id presenter, PathId(req, 2));
    RETURN_IF_ERROR(app.ops().RemovePresenter(org, meeting, presenter));
    res.status = 204;
    return Status::Ok();
  });
}

void RecordApologies(App& app, Id org, const httplib::Request& req, httplib::Response& res) {
  Handle(res, [&]() -> Status {
    ASSIGN_OR_RETURN(Id id, PathId(req, 1));
    ASSIGN_OR_RETURN(JsonBody j, JsonBody::Parse(req.body, {"member_id", "reason"}));
    ASSIGN_OR_RETURN(int64_t member, j.Int("member_id", 1, INT64_MAX));
    ASSIGN_OR_RETURN(auto reason, j.OptString("reason"));
    ASSIGN_OR_RETURN(bool created, app.ops().RecordApologies(org, id, member, reason.value_or("")));
    SendJson(res, created ? 201 : 200,
             {{"meeting_id", id}, {"member_id", member}, {"created", created}});
    return Status::Ok();
  });
}

void GetAttendance(App& app, Id org, const httplib::Request& req, httplib::Response& res) {
  Handle(res, [&]() -> Status {
    ASSIGN_OR_RETURN(Id id, PathId(req, 1));
    ASSIGN_OR_RETURN(AttendanceView a, app.ops().Attendance(org, id));
    SendJson(res, 200, AttendanceJson(a));
    return Status::Ok();
  });
}

void PutAttendance(App& app, Id org, const httplib::Request& req, httplib::Response& res) {
  Handle(res, [&]() -> Status {
    ASSIGN_OR_RETURN(Id id, PathId(req, 1));
    ASSIGN_OR_RETURN(Id member, PathId(req, 2));
    ASSIGN_OR_RETURN(JsonBody j, JsonBody::Parse(req.body, {"status"}));
    ASSIGN_OR_RETURN(std::string status, j.String("status"));
    RETURN_IF_ERROR(app.ops().MarkAttendance(org, id, member, status));
    SendJson(res, 200, {{"meeting_id", id}, {"member_id", member}, {"status", status}});
    return Status::Ok();
  });
}

void ListOutbox(App& app, Id org, const httplib::Request& req, httplib::Response& res) {
  Handle(res, [&]() -> Status {
    ASSIGN_OR_RETURN(auto rows, app.ops().ListOutbox(org, req.get_param_value("status")));
    json list = json::array();
    for (const auto& e : rows) list.push_back(OutboxJson(e));
    res.set_header("Cache-Control", "no-store");
    SendJson(res, 200, {{"messages", list}});
    return Status::Ok();
  });
}

}  // namespace convene::server::api
