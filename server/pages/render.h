// The HTML side of the server: template rendering inside the one layout, the security headers of
// every page, HTML error pages, cookies, redirects, and the view models (JSON objects handed to
// mustache) of meetings and venues shared by the page handlers.
//
// Every value reaches the page through a mustache {{variable}}, which HTML-escapes it (& < > " ');
// the only unescaped insertions are the rendered body into the layout and the constant style
// sheet. Pages carry a Content-Security-Policy without script and with the style sheet's SHA-256
// (no 'unsafe-inline'), frame-ancestors 'none', and Cache-Control (no-store when private).
//
// Threads: all functions are safe to call from any request thread.
#pragma once

#include <httplib.h>

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "calendar/model.h"
#include "calendar/status.h"
#include "server/ops/operations.h"

namespace convene::server::pages {

inline constexpr const char* kSessionCookie = "convene_session";
inline constexpr const char* kLoginCookie = "convene_login";

// kPrivate: the page carries a capability token or an organiser's data (no-store);
// kPublic: anyone may see it (no-cache: revalidate, but fine to keep).
enum class Privacy { kPublic, kPrivate };

// Who is looking, for the layout's header: a logged-in organiser gets a logout form.
struct Viewer {
  calendar::Organiser organiser;
  std::string session_token;
  std::string csrf;  // the session's form token
};

// While one is alive, the pages this thread sends without a viewer, error pages above all, still
// show the organiser's bar (Dashboard, Log out). routes.cc opens one around every organiser page's
// handler once the session is known; cpp-httplib runs each request on one thread, so a scope is
// one request's. Scopes nest (the inner one wins until it ends).
class ViewerScope {
 public:
  explicit ViewerScope(const Viewer& viewer);
  ~ViewerScope();
  ViewerScope(const ViewerScope&) = delete;
  ViewerScope& operator=(const ViewerScope&) = delete;

 private:
  const Viewer* outer_;
};

// Renders template `name` (e.g. "member.mustache") with `data` inside the layout and sends it.
// `"wide": true` in `data` widens the page's main column (tables).
// A template failure sends the 500 page instead (and logs why).
void SendPage(httplib::Response& res, int status, const std::string& name, const std::string& title,
              nlohmann::json data, Privacy privacy, const Viewer* viewer = nullptr);
// The HTML error page for a Status, with the status code of HttpStatus(). Internal errors say
// only that something went wrong; bad input and conflicts say it in PlainWords. `back` (a local
// path) adds a "Go back" link.
void SendErrorPage(httplib::Response& res, const Status& st, const std::string& back = {});
// 303 See Other to a local path (after every successful form POST).
void SeeOther(httplib::Response& res, const std::string& location);

// The pages' counterpart of the API's Handle (server/api/api_handlers.cc): runs a handler's
// `body`, `[&](std::string& back) -> Status`, written as ASSIGN_OR_RETURN / RETURN_IF_ERROR
// steps. The body sends its page or redirect and returns Ok; a failed step's Status becomes the
// error page (SendErrorPage), with a "Go back" link to `back` as the body had set it by then
// (empty: no link).
template <typename F>
void HandlePage(httplib::Response& res, F&& body) {
  std::string back;
  const Status st = body(back);
  if (!st.ok()) SendErrorPage(res, st, back);
}

// Renders one template (partials "_*.mustache" are available to it). For tests and minutes.
Result<std::string> Render(const std::string& name, const nlohmann::json& data);
// The Content-Security-Policy of every page.
const std::string& PageCsp();

// Cookies. The value of `name` in the Cookie header, or empty.
std::string CookieValue(const httplib::Request& req, const std::string& name);
// A Set-Cookie value: HttpOnly, SameSite=Lax, Path=/, Secure when `secure`; max_age 0 deletes.
std::string CookieHeader(const std::string& name, const std::string& value, int64_t max_age,
                         bool secure);

// True when `path` is a local path safe to redirect to (starts with one "/", no scheme, no
// backslash, no control characters).
bool IsLocalPath(const std::string& path);

// The fields of a form POST (application/x-www-form-urlencoded, or multipart/form-data: a file
// field's value is the file's content) or, for GET, the query.
class Form {
 public:
  explicit Form(const httplib::Request& req);
  // The first value of `name`, or empty.
  std::string Get(const std::string& name) const;
  std::vector<std::string> All(const std::string& name) const;
  bool Has(const std::string& name) const { return params_.count(name) > 0; }

 private:
  httplib::Params params_;
};

// The UK bank holiday on `d` for group `g` ("Easter Monday"), if it is one: groups on UK time
// only, in the group's bank_holiday_region (England and Wales when unset).
std::optional<std::string> BankHolidayOf(const calendar::Group& g, const calendar::CivilDate& d);

// An error of a use case in the words of the page: field names and rule keywords become what
// the organiser sees on the form ("pattern.count" -> "the number of meetings", "slug" -> "the
// short name for the web address"), first letter up. Error pages say every 400 and 409 so.
// (Defined in organise_series.cc, beside the series form it began with.)
std::string PlainWords(const std::string& message);

// True when `text` already ends a sentence (. ! ? or …, perhaps inside closing quotes or
// brackets): a page that quotes it adds no full stop of its own (“... may attend.” and not
// “... may attend.”.).
bool EndsSentence(const std::string& text);

// Display helpers (dates and times in words: calendar/words.h).
std::string UrlEncode(const std::string& s);          // RFC 3986 unreserved kept
std::string MapUrl(const calendar::Venue& v);         // OpenStreetMap search link
nlohmann::json VenueModel(const calendar::Venue& v);  // name, address, map_url ...
// date, times, venue, presenters; bank_holiday: the holiday's name when the meeting is on one
nlohmann::json MeetingModel(const MeetingView& v);
nlohmann::json MeetingModels(const std::vector<MeetingView>& views);  // MeetingModel of each

}  // namespace convene::server::pages
