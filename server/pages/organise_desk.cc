// The organiser's desk (issue 12), CSV part: members imported from a spreadsheet through a check
// (a preview of what each row will do) and a confirm; a meeting's register as CSV; each member's
// attendance over a year, with its CSV. routes.cc has already checked the session and (for POST)
// the form token. The CSV shapes are server/api/csv_handlers.h's.
#include <set>

#include "calendar/words.h"
#include "server/api/csv_handlers.h"
#include "server/pages/organise_forms.h"
#include "server/pages/page_handlers.h"

namespace convene::server::pages {

using calendar::Id;
using nlohmann::json;

namespace {

const char* FieldWords(const std::string& field) {
  if (field == "name") return "name";
  if (field == "email") return "email";
  if (field == "organisation") return "organisation";
  if (field == "role") return "role";
  if (field == "delivery") return "notices";
  return "";
}

std::string Joined(const std::vector<std::string>& words) {
  std::string out;
  for (size_t i = 0; i < words.size(); ++i)
    out += (i == 0 ? "" : i + 1 == words.size() ? " and " : ", ") + words[i];
  return out;
}

// A message of the import as a sentence: first letter up, a full stop at the end. (Not
// PlainWords: messages quote the file's own text, which must show as it is.)
std::string Sentence(std::string message) {
  if (!message.empty() && message[0] >= 'a' && message[0] <= 'z') message[0] -= 'a' - 'A';
  if (!message.empty() && message.back() != '.') message += '.';
  return message;
}

// What a checked row will do, in words.
std::string WhatHappens(const ImportLine& l) {
  if (l.action == "added") return l.returning ? "Added back (a former member)" : "Added";
  if (l.action == "updated") {
    std::vector<std::string> fields;
    for (const std::string& f : l.changed) fields.push_back(FieldWords(f));
    return "Updated: " + Joined(fields);
  }
  if (l.action == "unchanged") return "Unchanged";
  return "Not imported: fix the row";
}

// The text of the import: the uploaded file's, else the pasted text's.
std::string ImportText(const Form& f) {
  std::string text = f.Get("file");
  return text.empty() ? f.Get("csv") : text;
}

// Sends the check page: each row with what it will do or its errors, and the confirm form when
// there is nothing to fix. `status` is 200, or 400 when the file has problems.
Status SendImportPage(App& app, const Viewer& viewer, httplib::Response& res,
                      const std::string& slug, const std::string& text,
                      const MemberImport& result) {
  ASSIGN_OR_RETURN(calendar::Group g, app.ops().GetGroup(viewer.organiser.id, slug));
  json lines = json::array();
  std::set<int> row_lines;
  for (const ImportLine& l : result.lines) {
    row_lines.insert(l.line);
    json errors = json::object(), row_errors = json::array();
    for (const CsvIssue& e : l.errors) {
      if (std::string(FieldWords(e.field)).empty()) {
        row_errors.push_back(Sentence(e.message));
      } else {
        std::string at = errors.value(e.field, std::string());
        errors[e.field] = at + (at.empty() ? "" : " ") + Sentence(e.message);
      }
    }
    lines.push_back({{"line", l.line},
                     {"name", l.cells.name.value_or("")},
                     {"email", l.cells.email.value_or("")},
                     {"organisation", l.cells.organisation.value_or("")},
                     {"role", l.cells.role.value_or("")},
                     {"delivery", l.cells.delivery.value_or("")},
                     {"what", WhatHappens(l)},
                     {"invalid", l.action == "invalid"},
                     {"errors", errors},
                     {"row_errors", row_errors}});
  }
  // Problems of the file as a whole (the header, an unreadable file): not beside any row.
  json file_errors = json::array();
  for (const CsvIssue& e : result.errors)
    if (!row_lines.count(e.line))
      file_errors.push_back({{"line", e.line}, {"message", Sentence(e.message)}});
  const bool has_errors = !result.errors.empty();
  const size_t rows = result.lines.size();
  json data = {{"group", {{"slug", g.slug}, {"name", g.name}}},
               {"csrf", viewer.csrf},
               {"lines", lines},
               {"has_lines", !lines.empty()},
               {"file_errors", file_errors},
               {"has_errors", has_errors},
               {"import_text", has_errors ? text : ""},
               {"wide", true}};
  if (has_errors) {
    data["error_summary"] = Sentence(api::ImportErrorSummary(result));
  } else {
    data["csv"] = text;
    data["summary"] = std::to_string(result.added) + " to add, " + std::to_string(result.updated) +
                      " to update, " + std::to_string(result.unchanged) + " unchanged.";
    data["confirm"] = rows == 1 ? "Import 1 member" : "Import " + std::to_string(rows) + " members";
    data["can_import"] = rows > 0;
  }
  SendPage(res, has_errors ? 400 : 200, "organise_import.mustache", "Import members: " + g.name,
           data, Privacy::kPrivate, &viewer);
  return Status::Ok();
}

}  // namespace

void CheckMemberImport(App& app, const Viewer& viewer, const httplib::Request& req,
                       httplib::Response& res) {
  HandlePage(res, [&](std::string& back) -> Status {
    const std::string slug = req.matches[1];
    back = GroupPath(slug) + "/members";
    const std::string text = ImportText(Form(req));
    ASSIGN_OR_RETURN(MemberImport result,
                     app.ops().ImportMembers(viewer.organiser.id, slug, text, true));
    return SendImportPage(app, viewer, res, slug, text, result);
  });
}

void ConfirmMemberImport(App& app, const Viewer& viewer, const httplib::Request& req,
                         httplib::Response& res) {
  HandlePage(res, [&](std::string& back) -> Status {
    const std::string slug = req.matches[1];
    back = GroupPath(slug) + "/members";
    const std::string text = ImportText(Form(req));
    ASSIGN_OR_RETURN(MemberImport result,
                     app.ops().ImportMembers(viewer.organiser.id, slug, text, false));
    // The members changed since the check so that a row no longer fits: show the check again.
    if (!result.stored) return SendImportPage(app, viewer, res, slug, text, result);
    SeeOther(res, back + "?imported=1&added=" + std::to_string(result.added) +
                      "&updated=" + std::to_string(result.updated) +
                      "&unchanged=" + std::to_string(result.unchanged));
    return Status::Ok();
  });
}

std::optional<std::string> ImportDoneNotice(const Form& query) {
  if (query.Get("imported") != "1") return std::nullopt;
  std::string counts[3];
  const char* keys[3] = {"added", "updated", "unchanged"};
  for (int i = 0; i < 3; ++i) {
    auto n = OptNumber(query.Get(keys[i]), keys[i]);
    if (!n.ok() || !n->has_value()) return std::nullopt;
    counts[i] = std::to_string(**n);
  }
  return "Imported: " + counts[0] + " added, " + counts[1] + " updated, " + counts[2] +
         " unchanged." + (counts[0] == "0" ? "" : " Each member added gets a welcome email.");
}

void RegisterCsv(App& app, const Viewer& viewer, const httplib::Request& req,
                 httplib::Response& res) {
  HandleWithId(req, res, [&](Id id, std::string&) -> Status {
    ASSIGN_OR_RETURN(AttendanceView view, app.ops().Attendance(viewer.organiser.id, id));
    api::SendCsv(res,
                 view.meeting.group.slug + "-register-" +
                     calendar::FormatDate(view.meeting.meeting.start.date) + ".csv",
                 api::RegisterCsvText(view));
    return Status::Ok();
  });
}

void AttendanceYear(App& app, const Viewer& viewer, const httplib::Request& req,
                    httplib::Response& res) {
  HandlePage(res, [&](std::string& back) -> Status {
    const std::string slug = req.matches[1];
    back = GroupPath(slug);
    const Id org = viewer.organiser.id;
    ASSIGN_OR_RETURN(calendar::Group g, app.ops().GetGroup(org, slug));
    int year = 0;
    if (const std::string y = Form(req).Get("year"); y.empty()) {
      ASSIGN_OR_RETURN(calendar::LocalDateTime today,
                       calendar::FromUnix(g.timezone, app.ops().Now()));
      year = today.date.year;
    } else {
      if (y.size() != 4 || y.find_first_not_of("0123456789") != std::string::npos || y < "1900")
        return InvalidArgument("year", "year must be a year such as 2025");
      year = std::stoi(y);
    }
    const std::string from = std::to_string(year) + "-01-01", to = std::to_string(year) + "-12-31";
    ASSIGN_OR_RETURN(GroupAttendanceView view, app.ops().GroupAttendance(org, slug, from, to));
    json rows = json::array();
    for (const MemberAttendance& m : view.members) {
      const int attended = m.present;
      json row = {
          {"name", m.member.name},
          {"organisation", m.member.organisation},
          {"former", m.member.left_at.has_value()},
          {"expected", std::to_string(m.meetings)},
          {"attended", std::to_string(attended)},
          {"apologies", std::to_string(m.apologies)},
          {"absent", std::to_string(m.absent)},
          {"unrecorded", std::to_string(m.meetings - m.present - m.apologies - m.absent)},
          {"percent", m.meetings == 0
                          ? std::string("–")
                          : std::to_string((attended * 100 + m.meetings / 2) / m.meetings) + "%"}};
      rows.push_back(row);
    }
    json data = {
        {"group", {{"slug", g.slug}, {"name", g.name}}},
        {"year", std::to_string(year)},
        {"previous", std::to_string(year - 1)},
        {"meetings", view.meetings == 1 ? std::string("1 meeting")
                                        : std::to_string(view.meetings) + " meetings"},
        {"rows", rows},
        {"has_rows", !rows.empty()},
        {"csv_url", "/api/v1/groups/" + g.slug + "/attendance.csv?from=" + from + "&to=" + to},
        {"wide", true}};
    if (year < 9999) data["next"] = std::to_string(year + 1);
    SendPage(res, 200, "organise_attendance.mustache",
             "Attendance in " + std::to_string(year) + ": " + g.name, data, Privacy::kPrivate,
             &viewer);
    return Status::Ok();
  });
}

}  // namespace convene::server::pages
