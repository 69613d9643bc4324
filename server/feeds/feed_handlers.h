// HTTP side of the feeds (ical-conformance.md H1-H7): GET and HEAD of /feeds/.../*.ics with
// text/calendar; charset=utf-8, strong ETags, Last-Modified, 304 for If-None-Match (or, without
// it, If-Modified-Since), gzip only when Accept-Encoding asks for it, and ?cancelled=show.
// Bodies come from the FeedService cache and are sent through a sized content provider, so
// cpp-httplib never compresses them again per request (hardening.md 1.9).
//
// Threads: handlers run on any request thread; they share only the FeedService.
#pragma once

#include <httplib.h>

#include <string>
#include <string_view>

#include "server/feeds/feed_service.h"

namespace convene::server::feeds {

// Serves one feed request (the route's first match group is the slug, id or token).
void Serve(FeedService& service, FeedKind kind, const Clock& clock, const httplib::Request& req,
           httplib::Response& res);

// Whether a request for `target` (path and query, as sent) is a feed that Serve would answer
// from memory now (FeedService::InMemory): the listener may then serve it on its event thread
// (listener.h). False for anything else. A write committed between this answer and the request's
// handler makes that one request read the database (and perhaps render) on the event thread:
// rare, and bounded by one render.
bool AnsweredFromMemory(const FeedService& service, std::string_view target);

// True when Accept-Encoding asks for gzip (gzip or x-gzip with q > 0; "*" is not enough).
bool AcceptsGzip(const std::string& accept_encoding);

// RFC 9110 13.1.2 (weak comparison) and 13.1.3: does the request's validator match? An
// If-None-Match present decides alone; an If-Modified-Since that is garbage or in the future
// (after `now`) is ignored.
bool NotModified(const httplib::Request& req, const std::string& etag, int64_t last_modified,
                 int64_t now);

}  // namespace convene::server::feeds
