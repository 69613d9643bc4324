#include "server/pages/render.h"

#include <sodium.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <iterator>
#include <kainjow/mustache.hpp>
#include <utility>

#include "calendar/holidays.h"
#include "calendar/words.h"
#include "server/http/responses.h"
#include "server/pages/templates/templates.h"

namespace convene::server::pages {

using nlohmann::json;
namespace mu = kainjow::mustache;

namespace {

mu::data ToData(const json& j) {
  switch (j.type()) {
    // Children are moved in, never copied: mustache's set() and push_back() take a const& and
    // copy the whole subtree, so a page of 500 groups copied every value once per level (and
    // again on each growth of a list, whose elements are not nothrow-movable).
    case json::value_t::object: {
      mu::data d{mu::data::type::object};
      for (const auto& [k, v] : j.items()) d[k] = ToData(v);
      return d;
    }
    case json::value_t::array: {
      mu::data l{mu::data::type::list};
      // list_value() is the data's own vector, allocated on the heap, so filling it is sound.
      auto& items = const_cast<mu::basic_list<std::string>&>(l.list_value());
      items.reserve(j.size());
      for (const auto& v : j) items.push_back(ToData(v));
      return l;
    }
    case json::value_t::boolean:
      return mu::data{j.get<bool>()};
    case json::value_t::string:
      return mu::data{j.get<std::string>()};
    case json::value_t::null:
    case json::value_t::discarded:
      return mu::data{false};
    default:
      return mu::data{j.dump()};
  }
}

std::string_view Css() {
  static const std::string_view css = templates::Get("style.css").value_or("");
  return css;
}

std::string StyleHash() {
  unsigned char digest[crypto_hash_sha256_BYTES];
  std::string_view css = Css();
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(css.data()), css.size());
  char out[sodium_base64_ENCODED_LEN(sizeof digest, sodium_base64_VARIANT_ORIGINAL)];
  sodium_bin2base64(out, sizeof out, digest, sizeof digest, sodium_base64_VARIANT_ORIGINAL);
  return out;
}

struct ErrorText {
  const char* title;
  const char* hint;
};

// The error page's words for each Status code; any other code is "Something went wrong".
constexpr std::pair<Code, ErrorText> kErrorTexts[] = {
    {Code::kInvalidArgument,
     {"Please check what you entered", "Go back, correct it and send it again."}},
    {Code::kUnauthenticated, {"Please log in", ""}},
    {Code::kPermissionDenied,
     {"This form has expired",
      "For your safety each form only works from the page that showed it. Go back, reload the "
      "page and try again."}},
    {Code::kNotFound, {"Not found", "There is nothing here, or it is not public."}},
    {Code::kConflict, {"That cannot be done now", ""}},
    {Code::kPreconditionFailed,
     {"Someone changed this meanwhile",
      "Go back, reload the page to see the latest version, and try again."}},
    {Code::kTooLarge, {"That was too much", "Send less text."}},
    {Code::kRateLimited, {"Too many attempts", "Wait a few minutes before trying again."}},
    {Code::kUnavailable, {"Busy", "The server is busy. Try again in a moment."}},
};

ErrorText TextFor(const Status& st) {
  if (st.error_code() == "invalid_link")
    return {"This link does not work", "Links are personal and can be replaced by newer ones."};
  if (st.error_code() == "apologies_closed") return {"Apologies are closed", ""};
  for (const auto& [code, text] : kErrorTexts)
    if (code == st.code()) return text;
  return {"Something went wrong", "It has been logged. Try again later."};
}

void SecurityHeaders(httplib::Response& res, Privacy privacy) {
  res.set_header("Content-Security-Policy", PageCsp());
  res.set_header("Referrer-Policy", "no-referrer");
  res.set_header("X-Frame-Options", "DENY");
  res.set_header("Cache-Control", privacy == Privacy::kPrivate ? "no-store" : "no-cache");
}

Result<std::string> RenderWithPartials(const std::string& name, const json& data) {
  auto text = templates::Get(name);
  if (!text) return Internal("no template " + name);
  mu::mustache tmpl{std::string(*text)};
  if (!tmpl.is_valid()) return Internal("template " + name + ": " + tmpl.error_message());
  mu::data d = ToData(data);
  for (std::string_view n : templates::Names()) {
    if (n.empty() || n[0] != '_') continue;
    std::string key(n.substr(0, n.find('.')));
    d.set(key, mu::data{std::string(*templates::Get(n))});
  }
  std::string out = tmpl.render(d);
  if (!tmpl.is_valid()) return Internal("template " + name + ": " + tmpl.error_message());
  return out;
}

// The organiser of the innermost ViewerScope of this thread, if any.
thread_local const Viewer* scoped_viewer = nullptr;

const char* kFallback500 =
    "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\"><title>Something went wrong"
    "</title><h1>Something went wrong</h1><p>It has been logged. Try again later.</p></html>\n";

}  // namespace

const std::string& PageCsp() {
  static const std::string csp =
      "default-src 'none'; style-src 'sha256-" + StyleHash() +
      "'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";
  return csp;
}

Result<std::string> Render(const std::string& name, const json& data) {
  return RenderWithPartials(name, data);
}

ViewerScope::ViewerScope(const Viewer& viewer) : outer_(scoped_viewer) { scoped_viewer = &viewer; }

ViewerScope::~ViewerScope() { scoped_viewer = outer_; }

void SendPage(httplib::Response& res, int status, const std::string& name, const std::string& title,
              json data, Privacy privacy, const Viewer* viewer) {
  if (!viewer) viewer = scoped_viewer;
  auto body = RenderWithPartials(name, data);
  json layout = {{"title", title}, {"css", std::string(Css())}};
  // A page of wide tables (the outbox) may use the width of a desktop screen.
  if (data.value("wide", false)) layout["wide"] = true;
  if (body.ok()) layout["body"] = *body;
  if (viewer)
    layout["viewer"] = {
        {"name", viewer->organiser.name.empty() ? viewer->organiser.email : viewer->organiser.name},
        {"csrf", viewer->csrf}};
  auto page = body.ok() ? RenderWithPartials("layout.mustache", layout) : body;
  SecurityHeaders(res, privacy);
  if (!page.ok()) {
    spdlog::error("page {}: {}", name, page.status().message());
    res.status = 500;
    res.set_content(kFallback500, "text/html; charset=utf-8");
    return;
  }
  res.status = status;
  res.set_content(*page, "text/html; charset=utf-8");
}

void SendErrorPage(httplib::Response& res, const Status& st, const std::string& back) {
  const int status = HttpStatus(st.code());
  ErrorText text = TextFor(st);
  std::string message = st.message();
  if (st.code() == Code::kInvalidArgument || st.code() == Code::kConflict)
    message = PlainWords(message);
  if (!message.empty())
    message[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(message[0])));
  json data = {
      {"status", status}, {"title", text.title}, {"message", message}, {"hint", text.hint}};
  if (st.code() == Code::kInternal || message.empty()) data["message"] = nullptr;
  if (!back.empty() && IsLocalPath(back)) data["back"] = back;
  if (st.code() == Code::kUnauthenticated) data["login"] = true;
  SendPage(res, status, "error.mustache", text.title, data, Privacy::kPrivate);
  if (st.code() == Code::kRateLimited) res.set_header("Retry-After", "900");
  if (st.code() == Code::kUnavailable) res.set_header("Retry-After", "2");
}

void SeeOther(httplib::Response& res, const std::string& location) {
  res.status = 303;
  res.set_header("Location", IsLocalPath(location) ? location : "/");
  res.set_header("Cache-Control", "no-store");
  res.set_header("Referrer-Policy", "no-referrer");
}

std::string CookieValue(const httplib::Request& req, const std::string& name) {
  const std::string header = req.get_header_value("Cookie");
  size_t pos = 0;
  while (pos < header.size()) {
    size_t end = header.find(';', pos);
    if (end == std::string::npos) end = header.size();
    std::string part = header.substr(pos, end - pos);
    part.erase(0, part.find_first_not_of(' '));
    if (part.size() > name.size() && part.compare(0, name.size(), name) == 0 &&
        part[name.size()] == '=')
      return part.substr(name.size() + 1);
    pos = end + 1;
  }
  return {};
}

std::string CookieHeader(const std::string& name, const std::string& value, int64_t max_age,
                         bool secure) {
  std::string c = name + "=" + value + "; Path=/; Max-Age=" + std::to_string(max_age) +
                  "; HttpOnly; SameSite=Lax";
  if (secure) c += "; Secure";
  return c;
}

bool IsLocalPath(const std::string& path) {
  if (path.empty() || path[0] != '/' || path.size() > 512) return false;
  if (path.size() > 1 && (path[1] == '/' || path[1] == '\\')) return false;
  for (unsigned char c : path)
    if (c < 0x20 || c == 0x7f || c == '\\') return false;
  return true;
}

Form::Form(const httplib::Request& req) {
  if (req.method == "GET" || req.method == "HEAD") {
    params_ = req.params;
    return;
  }
  const std::string type = req.get_header_value("Content-Type");
  if (type.rfind("application/x-www-form-urlencoded", 0) == 0)
    httplib::detail::parse_query_text(req.body, params_);
  // A form with a file (the members import): cpp-httplib has split it into parts; a file's
  // value is its content.
  if (type.rfind("multipart/form-data", 0) == 0)
    for (const auto& [name, part] : req.files) params_.emplace(name, part.content);
}

std::string Form::Get(const std::string& name) const {
  auto it = params_.find(name);
  return it == params_.end() ? std::string() : it->second;
}

std::vector<std::string> Form::All(const std::string& name) const {
  std::vector<std::string> out;
  auto [b, e] = params_.equal_range(name);
  for (auto it = b; it != e; ++it) out.push_back(it->second);
  return out;
}

std::string UrlEncode(const std::string& s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

std::string MapUrl(const calendar::Venue& v) {
  std::string q = v.address;
  if (!v.postcode.empty()) q += (q.empty() ? "" : " ") + v.postcode;
  return "https://www.openstreetmap.org/search?query=" + UrlEncode(q);
}

json VenueModel(const calendar::Venue& v) {
  json j = {{"id", v.id},
            {"name", v.name},
            {"address", v.address},
            {"postcode", v.postcode},
            {"map_url", MapUrl(v)}};
  if (!v.notes.empty()) j["notes"] = v.notes;
  if (v.capacity) j["capacity"] = *v.capacity;
  return j;
}

std::optional<std::string> BankHolidayOf(const calendar::Group& g, const calendar::CivilDate& d) {
  // The same rule as the use cases' date warnings (server/ops/dates.cc): only groups on UK time
  // have UK bank holidays, England and Wales' unless the group says otherwise.
  static constexpr const char* kUkZones[] = {"Europe/London", "Europe/Belfast", "GB", "GB-Eire"};
  if (std::find(std::begin(kUkZones), std::end(kUkZones), g.timezone) == std::end(kUkZones))
    return std::nullopt;
  return calendar::BankHoliday(calendar::ParseHolidayRegion(g.bank_holiday_region)
                                   .value_or(calendar::HolidayRegion::kEnglandAndWales),
                               d);
}

bool EndsSentence(const std::string& text) {
  std::string_view s = text;
  auto strip = [&s](std::string_view tail) {
    if (s.size() < tail.size() || s.substr(s.size() - tail.size()) != tail) return false;
    s.remove_suffix(tail.size());
    return true;
  };
  for (bool more = true; more;) {  // trailing spaces, closing quotes and brackets
    more = false;
    for (std::string_view tail : {" ", "\"", "'", ")", "]", "\u201d", "\u2019"})
      more |= strip(tail);
  }
  for (std::string_view stop : {".", "!", "?", "\u2026"})
    if (s.size() >= stop.size() && s.substr(s.size() - stop.size()) == stop) return true;
  return false;
}

json MeetingModels(const std::vector<MeetingView>& views) {
  json list = json::array();
  for (const MeetingView& v : views) list.push_back(MeetingModel(v));
  return list;
}

json MeetingModel(const MeetingView& v) {
  const calendar::Meeting& m = v.meeting;
  json presenters = json::array();
  for (const calendar::Presenter& p : v.presenters) {
    json pj = {
        {"id", p.id}, {"name", p.name}, {"topic", p.topic}, {"last", &p == &v.presenters.back()}};
    if (!p.organisation.empty()) pj["organisation"] = p.organisation;
    if (!p.email.empty()) pj["email"] = p.email;
    presenters.push_back(pj);
  }
  json j = {{"id", m.id},
            {"title", calendar::TitleOf(v.series, v.meeting)},
            {"date", calendar::LongDate(m.start.date)},
            {"times", calendar::TimeRange(m.start, m.duration_minutes)},
            {"iso", calendar::FormatLocal(m.start)},
            {"cancelled", m.status == calendar::MeetingStatus::kCancelled},
            {"moved", m.start != m.original_start},
            {"venue", VenueModel(v.venue)},
            {"group", {{"slug", v.group.slug}, {"name", v.group.name}}},
            {"presenters", presenters},
            {"has_presenters", !presenters.empty()},
            {"public", v.group.is_public},
            {"apologies", v.apologies}};
  if (!m.notes.empty()) j["notes"] = m.notes;
  if (auto holiday = BankHolidayOf(v.group, m.start.date)) j["bank_holiday"] = *holiday;
  if (const std::string& agenda = calendar::AgendaOf(v.series, v.meeting); !agenda.empty())
    j["agenda"] = agenda;
  return j;
}

}  // namespace convene::server::pages
