// HTTP header lists (RFC 9110 5.6.1): the comma-separated values of If-Match, If-None-Match and
// Accept-Encoding. One reading for the use cases (If-Match, server/ops/operations.cc) and the
// feeds (If-None-Match, Accept-Encoding, server/feeds/feed_handlers.cc). No httplib types.
//
// Pure functions; thread-safe.
#pragma once

#include <string_view>
#include <vector>

namespace convene::server {

// `s` without its leading and trailing spaces and tabs.
std::string_view TrimSpace(std::string_view s);

// The non-empty items of a comma-separated list, each trimmed. A comma between double quotes does
// not split (an entity tag may hold one, and a hostile client may send any). The views point
// into `list`: keep it alive while they are used.
std::vector<std::string_view> HeaderListItems(std::string_view list);

}  // namespace convene::server
