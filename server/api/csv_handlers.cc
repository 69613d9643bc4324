#include "server/api/csv_handlers.h"

#include <set>

#include "calendar/csv.h"
#include "server/api/api_handlers.h"
#include "server/http/responses.h"

namespace convene::server::api {

using calendar::Id;
using nlohmann::json;

namespace {

Result<bool> DryRun(const httplib::Request& req) {
  const std::string v = req.get_param_value("dry_run");
  if (v.empty() || v == "0" || v == "false") return false;
  if (v == "1" || v == "true") return true;
  return InvalidArgument("dry_run", "dry_run must be 1 (check only, store nothing) or 0");
}

std::string Count(size_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

}  // namespace

json ImportJson(const MemberImport& result, bool dry_run) {
  json rows = json::array();
  for (const ImportLine& l : result.lines) {
    json row = {{"line", l.line}, {"email", l.cells.email.value_or("")}, {"action", l.action}};
    if (!l.changed.empty()) row["fields"] = l.changed;
    if (l.returning) row["returning"] = true;
    rows.push_back(row);
  }
  return {{"added", result.added},
          {"updated", result.updated},
          {"unchanged", result.unchanged},
          {"dry_run", dry_run},
          {"rows", rows}};
}

std::string ImportErrorSummary(const MemberImport& result) {
  std::set<int> lines;
  for (const CsvIssue& e : result.errors) lines.insert(e.line);
  std::string where;
  size_t shown = 0;
  for (int line : lines) {
    if (shown == 10) {
      where += ", ...";
      break;
    }
    where += (shown ? (shown + 1 == lines.size() ? " and " : ", ") : "") + std::to_string(line);
    ++shown;
  }
  return Count(result.errors.size(), "problem", "problems") + " in the file (" +
         (lines.size() == 1 ? "line " : "lines ") + where + "); nothing was imported";
}

json ImportErrorJson(const MemberImport& result) {
  json err = {{"code", "invalid_csv"}, {"message", ImportErrorSummary(result)}};
  if (!result.errors.empty() && !result.errors.front().field.empty())
    err["field"] = result.errors.front().field;
  json rows = json::array();
  for (const CsvIssue& e : result.errors)
    rows.push_back({{"line", e.line}, {"field", e.field}, {"message", e.message}});
  return {{"error", err}, {"rows", rows}};
}

std::string AttendanceCsvText(const GroupAttendanceView& view) {
  std::vector<std::vector<std::string>> rows = {
      {"name", "organisation", "meetings", "present", "apologies", "absent"}};
  for (const MemberAttendance& m : view.members)
    rows.push_back({m.member.name, m.member.organisation, std::to_string(m.meetings),
                    std::to_string(m.present), std::to_string(m.apologies),
                    std::to_string(m.absent)});
  return calendar::WriteCsv(rows);
}

std::string RegisterCsvText(const AttendanceView& view) {
  std::vector<std::vector<std::string>> rows = {{"name", "organisation", "status", "reason"}};
  for (const AttendanceRow& r : view.members)
    rows.push_back({r.member.name, r.member.organisation, calendar::AttendanceName(r.status),
                    r.status == calendar::Attendance::kApologies ? r.reason : ""});
  return calendar::WriteCsv(rows);
}

void SendCsv(httplib::Response& res, const std::string& filename, const std::string& text) {
  res.status = 200;
  res.set_header("Content-Disposition", "attachment; filename=\"" + filename + "\"");
  res.set_header("Cache-Control", "no-store");
  res.set_content(text, "text/csv; charset=utf-8");
}

void ImportMembers(App& app, Id org, const httplib::Request& req, httplib::Response& res) {
  const auto run = [&]() -> Status {
    ASSIGN_OR_RETURN(bool dry_run, DryRun(req));
    ASSIGN_OR_RETURN(MemberImport result,
                     app.ops().ImportMembers(org, req.matches[1], req.body, dry_run));
    if (!result.errors.empty()) {
      SendJson(res, 400, ImportErrorJson(result));
      return Status::Ok();
    }
    SendJson(res, 200, ImportJson(result, dry_run));
    return Status::Ok();
  };
  if (Status st = run(); !st.ok()) SendError(res, st);
}

void AttendanceCsv(App& app, Id org, const httplib::Request& req, httplib::Response& res) {
  const auto run = [&]() -> Status {
    const std::string from = req.get_param_value("from"), to = req.get_param_value("to");
    ASSIGN_OR_RETURN(GroupAttendanceView view,
                     app.ops().GroupAttendance(org, req.matches[1], from, to));
    std::string name = view.group.slug + "-attendance";
    if (view.from) name += "-from-" + calendar::FormatDate(*view.from);
    if (view.to) name += "-to-" + calendar::FormatDate(*view.to);
    SendCsv(res, name + ".csv", AttendanceCsvText(view));
    return Status::Ok();
  };
  if (Status st = run(); !st.ok()) SendError(res, st);
}

}  // namespace convene::server::api
