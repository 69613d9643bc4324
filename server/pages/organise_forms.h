// Helpers the organiser's page handlers share (organise_pages.cc, organise_members.cc,
// organise_meetings.cc): the handler of a page about one object, reading form fields, and the
// words pages use for errors and counts; the group page, which the series pages
// (organise_series.cc) show again with the new-series form as it was filled in.
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

// The recipients of a change preview grouped by what they get, in the order first seen:
// [{how, count, people: [{name, email, last}]}] (organise_meetings.cc).
nlohmann::json RecipientGroups(const std::vector<PreviewRecipient>& list);

// "Who will be told" on a change preview (meetings, presenters, series), said once:
// {nobody_told, told_count ("21 people"), told_groups, not_told_groups}, each group
// RecipientGroups' with a `lead`: "20 people get" (or, when all get the same, "Each gets") before
// its `how`; not told: "21 people get" before "no email: <how>" (organise_meetings.cc).
nlohmann::json TellModel(const std::vector<PreviewRecipient>& told,
                         const std::vector<PreviewRecipient>& not_told);
// A preview's confirm button: "Confirm and tell them", or just "Confirm" when nobody is told.
std::string ConfirmLabel(const std::string& verb, bool tell);
// After a confirmed change: "The notices are on their way: 21 people will get an email.", or
// "Nobody needed an email: ..." saying why.
std::string ToldWords(int64_t told, int64_t withdrawn);

// The view model of the new-series form on the group page (organise_series.cc): the values of
// `filled` (the form as sent: after "Change" on the preview, or an error) or, when null, the
// defaults (the series starts `today`); `error` puts its message next to the field it names
// (or above the form).
nlohmann::json SeriesFormModel(const Form* filled, const calendar::Group& g,
                               const std::vector<calendar::Venue>& venues,
                               const calendar::CivilDate& today, const Status* error);

// The series of a group as its page lists them, each with the forms of its changes ("change from
// a meeting on", "extend or shorten", "end"); `upcoming` are the group's meetings from today on
// (UpcomingMeetings), whose dates the "from" choices offer (organise_series.cc).
nlohmann::json SeriesListModel(const std::vector<SeriesSummary>& series,
                               const std::vector<MeetingView>& upcoming);

// What the group page says after a series change was confirmed (its query: series, done and the
// counts), or none (organise_series.cc). Only numbers travel in the query: the words are made
// here, so a link cannot put text of its own on the page.
std::optional<std::string> SeriesDoneNotice(App& app, const Viewer& viewer, const Form& query);

// Sends the organiser's page of group `slug` (organise_pages.cc) with `status`. `query` holds
// its GET options (all, created, saved, new, series, done); `series_form`, when not null, is the
// new-series form's model (SeriesFormModel), else the form shows its defaults.
Status SendGroupPage(App& app, const Viewer& viewer, const std::string& slug, const Form& query,
                     int status, const nlohmann::json* series_form, httplib::Response& res);

}  // namespace convene::server::pages
