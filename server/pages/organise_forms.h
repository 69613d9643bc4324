// Helpers the organiser's page handlers share (organise_pages.cc, organise_members.cc,
// organise_meetings.cc): the handler of a page about one object, reading form fields, and the
// words pages use for errors and counts.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "server/api/api_handlers.h"
#include "server/ops/operations.h"
#include "server/pages/render.h"

namespace convene::server::pages {

// HandlePage (render.h) for a page about one object whose id is the path's first capture:
// `body(id, back)`, `[&](calendar::Id id, std::string& back) -> Status`. An id that is not a
// number is a 404 with no way back.
template <typename F>
void HandleWithId(const httplib::Request& req, httplib::Response& res, F&& body) {
  HandlePage(res, [&](std::string& back) -> Status {
    ASSIGN_OR_RETURN(calendar::Id id, api::PathId(req, 1));
    return body(id, back);
  });
}

// The organiser's page of a group: /organise/groups/{slug}.
std::string GroupPath(const std::string& slug);

// A form field holding an id or count: digits only, else a 400 naming `field`.
Result<calendar::Id> ParseId(const std::string& s, const char* field);
// The same, or none when the field is empty.
Result<std::optional<int64_t>> OptNumber(const std::string& s, const char* field);

// Edit forms carry the ETag of what the page showed (as If-Match would): a mismatch means
// someone saved a change after the page was opened. Say so in page words, not HTTP ones.
Status ForForm(const Status& st);

// The form's value of `key`, or none when it is empty (for fields a form may leave out).
std::optional<std::string> NonEmpty(const Form& f, const char* key);

// "1 person", "3 people".
std::string People(size_t n);

}  // namespace convene::server::pages
