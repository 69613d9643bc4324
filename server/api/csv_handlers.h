// The CSV side of the organiser's desk (issue 12): members imported from a file and attendance
// exported to one, for the API and for the organiser's pages (server/pages/organise_desk.cc),
// which share the shapes below. CSV bytes come from calendar/csv.h (UTF-8 with a byte order
// mark, CRLF, RFC 4180 quoting, the injection guard). Thin: parse, call one use case, render.
// Threads: any request thread.
#pragma once

#include <httplib.h>

#include <nlohmann/json.hpp>
#include <string>

#include "server/app/app.h"
#include "server/ops/operations.h"

namespace convene::server::api {

// POST /api/v1/groups/{slug}/members/import[?dry_run=1], Content-Type: text/csv (the 415 guard
// in server/http/responses.cc lets text/csv through on this path only): 200 ImportJson, or 400
// ImportErrorJson with nothing stored.
void ImportMembers(App&, calendar::Id organiser, const httplib::Request&, httplib::Response&);
// GET /api/v1/groups/{slug}/attendance.csv?from=&to=: routes.cc accepts a Bearer token or a page
// session (the yearly attendance page links to it), as for minutes.md.
void AttendanceCsv(App&, calendar::Id organiser, const httplib::Request&, httplib::Response&);

// {added, updated, unchanged, dry_run, rows: [{line, email, action, fields?, returning?}]}
nlohmann::json ImportJson(const MemberImport& result, bool dry_run);
// {error: {code: "invalid_csv", message, field?}, rows: [{line, field, message}]}
nlohmann::json ImportErrorJson(const MemberImport& result);
// The error's message: how many problems, on which lines, and that nothing was stored.
std::string ImportErrorSummary(const MemberImport& result);

// name,organisation,meetings,present,apologies,absent: one row per member.
std::string AttendanceCsvText(const GroupAttendanceView& view);
// name,organisation,status,reason: one meeting's register (status expected|apologies|present|
// absent; the reason of apologies).
std::string RegisterCsvText(const AttendanceView& view);
// 200 text/csv; charset=utf-8 as a download named `filename` ([a-z0-9.-] only), not cached.
void SendCsv(httplib::Response& res, const std::string& filename, const std::string& text);

}  // namespace convene::server::api
