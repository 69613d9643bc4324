#include "server/feeds/feed_handlers.h"

#include <cctype>
#include <memory>
#include <string_view>

#include "calendar/civil.h"
#include "server/http/header_list.h"
#include "server/http/responses.h"

namespace convene::server::feeds {
namespace {

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

}  // namespace

bool AcceptsGzip(const std::string& accept_encoding) {
  if (accept_encoding.size() > 512) return false;
  for (std::string_view item : HeaderListItems(accept_encoding)) {
    const size_t semi = item.find(';');
    const std::string_view coding = TrimSpace(item.substr(0, semi));
    if (!EqualsIgnoreCase(coding, "gzip") && !EqualsIgnoreCase(coding, "x-gzip")) continue;
    if (semi == std::string_view::npos) return true;
    std::string_view param = TrimSpace(item.substr(semi + 1));
    if (param.size() < 2 || (param[0] != 'q' && param[0] != 'Q') || param[1] != '=') return true;
    param.remove_prefix(2);
    // q=0, q=0.0, q=0.000 refuse; anything else accepts.
    return param.find_first_not_of("0.") != std::string_view::npos;
  }
  return false;
}

bool NotModified(const httplib::Request& req, const std::string& etag, int64_t last_modified,
                 int64_t now) {
  if (req.has_header("If-None-Match")) {
    // Kept in a local: the items are views into it.
    const std::string header = req.get_header_value("If-None-Match");
    for (std::string_view tag : HeaderListItems(header)) {
      if (tag == "*") return true;
      if (tag.rfind("W/", 0) == 0) tag.remove_prefix(2);  // weak comparison (RFC 9110 13.1.2)
      if (tag == etag) return true;
    }
    return false;
  }
  if (req.has_header("If-Modified-Since")) {
    const int64_t since = calendar::ParseHttpDate(req.get_header_value("If-Modified-Since"));
    if (since < 0 || since > now) return false;
    return last_modified <= since;
  }
  return false;
}

bool AnsweredFromMemory(const FeedService& service, std::string_view target) {
  const size_t q = target.find('?');
  std::string_view path = target.substr(0, q);
  FeedRequest request;
  if (path.starts_with("/feeds/groups/")) {
    request.kind = FeedKind::kGroup;
    path.remove_prefix(std::string_view("/feeds/groups/").size());
  } else if (path.starts_with("/feeds/venues/")) {
    request.kind = FeedKind::kVenue;
    path.remove_prefix(std::string_view("/feeds/venues/").size());
  } else if (path.starts_with("/feeds/members/")) {
    request.kind = FeedKind::kMember;
    path.remove_prefix(std::string_view("/feeds/members/").size());
  } else {
    return false;
  }
  if (!path.ends_with(".ics")) return false;
  path.remove_suffix(4);
  request.key = std::string(path);
  for (std::string_view query = q == std::string_view::npos ? "" : target.substr(q + 1);
       !query.empty();) {
    const size_t amp = query.find('&');
    if (query.substr(0, amp) == "cancelled=show") request.show_cancelled = true;
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
  }
  return service.InMemory(request);
}

void Serve(FeedService& service, FeedKind kind, const Clock& clock, const httplib::Request& req,
           httplib::Response& res) {
  FeedRequest request;
  request.kind = kind;
  request.key = req.matches.size() > 1 ? std::string(req.matches[1]) : std::string();
  request.show_cancelled = req.get_param_value("cancelled") == "show";
  auto got = service.Get(request);
  if (!got.ok()) {
    SendError(res, got.status());
    return;
  }
  std::shared_ptr<const FeedBody> feed = std::move(got).value();
  const bool gzip = AcceptsGzip(req.get_header_value("Accept-Encoding")) && !feed->gzip.empty();
  const std::string& etag = gzip ? feed->gzip_etag : feed->etag;
  res.set_header("ETag", etag);
  res.set_header("Last-Modified", calendar::FormatHttpDate(feed->last_modified));
  // Stored copies must be revalidated; the ETag makes that a cheap 304.
  res.set_header("Cache-Control", kind == FeedKind::kMember ? "private, no-cache" : "no-cache");
  res.set_header("Vary", "Accept-Encoding");
  if (NotModified(req, etag, feed->last_modified, clock())) {
    res.status = 304;
    return;
  }
  if (gzip) res.set_header("Content-Encoding", "gzip");
  const std::string* bytes = gzip ? &feed->gzip : &feed->body;
  res.status = 200;
  // A sized provider: cpp-httplib sends it as is (no per-request compression), HEAD included.
  res.set_content_provider(bytes->size(), "text/calendar; charset=utf-8",
                           [feed, bytes](size_t offset, size_t length, httplib::DataSink& sink) {
                             return sink.write(bytes->data() + offset, length);
                           });
}

}  // namespace convene::server::feeds
