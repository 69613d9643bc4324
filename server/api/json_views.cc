#include "server/api/json_views.h"

namespace convene::server {

using namespace calendar;  // NOLINT
using nlohmann::json;

namespace {
std::string Iso(const std::string& tz, const LocalDateTime& t) {
  auto s = FormatIsoWithOffset(tz, t);
  return s.ok() ? *s : FormatLocal(t);
}
}  // namespace

std::string IsoInZone(const std::string& tz, int64_t unix_seconds) {
  auto local = FromUnix(tz, unix_seconds);
  return local.ok() ? Iso(tz, *local) : FormatIcalUtc(unix_seconds);
}

json VenueJson(const Venue& v) {
  json j = {{"id", v.id},           {"name", v.name},
            {"address", v.address}, {"postcode", v.postcode},
            {"notes", v.notes},     {"capacity", nullptr}};
  if (v.capacity) j["capacity"] = *v.capacity;
  return j;
}

json GroupJson(const Group& g) {
  json j = {{"id", g.id},
            {"slug", g.slug},
            {"name", g.name},
            {"timezone", g.timezone},
            {"public", g.is_public},
            {"bank_holiday_region", g.bank_holiday_region},
            {"quorum", nullptr}};
  if (g.quorum) j["quorum"] = *g.quorum;
  j["reminder_days"] = g.reminder_days ? json(*g.reminder_days) : json(nullptr);
  return j;
}

json MemberJson(const Member& m) {
  json j = {{"id", m.id},
            {"name", m.name},
            {"email", m.email},
            {"organisation", m.organisation},
            {"role", RoleName(m.role)},
            {"delivery", DeliveryName(m.delivery)},
            {"unsubscribed", m.unsubscribed}};
  if (m.left_at) j["left_at"] = calendar::FormatIsoUtc(*m.left_at);
  return j;
}

json PresenterJson(const Presenter& p) {
  return {{"id", p.id},       {"name", p.name},   {"organisation", p.organisation},
          {"email", p.email}, {"topic", p.topic}, {"meeting_id", p.meeting_id}};
}

json MeetingJson(const MeetingView& v) {
  const Meeting& m = v.meeting;
  const std::string& tz = v.group.timezone;
  json presenters = json::array();
  for (const Presenter& p : v.presenters) presenters.push_back(PresenterJson(p));
  return {{"id", m.id},
          {"series_id", m.series_id},
          {"group", v.group.slug},
          {"title", calendar::TitleOf(v.series, v.meeting)},
          {"start", Iso(tz, m.start)},
          {"end", Iso(tz, m.end())},
          {"original_start", Iso(tz, m.original_start)},
          {"duration_minutes", m.duration_minutes},
          {"timezone", tz},
          {"venue", {{"id", v.venue.id}, {"name", v.venue.name}}},
          {"status", MeetingStatusName(m.status)},
          {"sequence", m.sequence},
          {"notes", m.notes},
          {"presenters", presenters},
          {"apologies", v.apologies}};
}

json SeriesJson(const Series& s) {
  json j = {{"id", s.id},
            {"uid", s.uid},
            {"title", s.title},
            {"venue_id", s.venue_id},
            {"start_time", FormatTimeOfDay(s.start_minute)},
            {"duration_minutes", s.duration_minutes},
            {"first_date", FormatDate(s.first_date)},
            {"agenda", s.agenda}};
  if (s.is_rule()) j["rrule"] = s.rrule;
  return j;
}

json WarningsJson(const std::vector<Warning>& w) {
  json out = json::array();
  for (const Warning& x : w) out.push_back({{"code", x.code}, {"message", x.message}});
  return out;
}

json AttendanceJson(const AttendanceView& a) {
  json members = json::array();
  for (const AttendanceRow& r : a.members) {
    json j = {{"id", r.member.id},
              {"name", r.member.name},
              {"organisation", r.member.organisation},
              {"status", AttendanceName(r.status)}};
    if (r.status == Attendance::kApologies || !r.reason.empty()) j["reason"] = r.reason;
    members.push_back(j);
  }
  json presenters = json::array();
  for (const Presenter& p : a.meeting.presenters) presenters.push_back(PresenterJson(p));
  json quorum = {{"required", nullptr},
                 {"expected", a.quorum.expected},
                 {"members", a.quorum.members},
                 {"apologies", a.quorum.apologies},
                 {"at_risk", a.quorum.at_risk()}};
  if (a.quorum.required) quorum["required"] = *a.quorum.required;
  return {{"meeting_id", a.meeting.meeting.id},
          {"members", members},
          {"presenters", presenters},
          {"quorum", quorum}};
}

nlohmann::json OutboxJson(const notify::OutboxEntry& e) {
  const auto time = [](std::optional<int64_t> t) {
    return t ? nlohmann::json(IsoInZone("UTC", *t)) : nlohmann::json(nullptr);
  };
  return {
      {"id", e.id},
      {"to", e.to},
      {"subject", e.subject},
      {"status", e.status},
      {"attempts", e.attempts},
      {"next_attempt_at", time(e.next_attempt_at)},
      {"kind", e.kind},
      {"meeting_id", e.meeting_id == 0 ? nlohmann::json(nullptr) : nlohmann::json(e.meeting_id)},
      {"last_error", e.last_error},
      {"created_at", time(e.created_at)},
      {"sent_at", time(e.sent_at)}};
}

}  // namespace convene::server
