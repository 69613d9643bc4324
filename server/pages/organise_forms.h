// Helpers the organiser's page handlers share (organise_pages.cc, organise_members.cc,
// organise_meetings.cc): reading form fields, and the words pages use for errors and counts.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "server/ops/operations.h"
#include "server/pages/render.h"

namespace convene::server::pages {

// The page models (render.h MeetingModel) of the meetings, in order.
nlohmann::json Models(const std::vector<MeetingView>& views);

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
