// The page templates (mustache, escaped by default) and the one style sheet, embedded in the
// binary at build time from server/pages/templates/ by embed.cmake, so the single binary serves its
// pages from anywhere. Names are file names ("layout.mustache", "style.css"); partials start
// with "_". Read-only data: thread-safe.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

namespace convene::server::templates {

// The text of a template, or nullopt for an unknown name.
std::optional<std::string_view> Get(std::string_view name);
// Every embedded name.
std::vector<std::string_view> Names();

}  // namespace convene::server::templates
