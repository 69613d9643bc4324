// Logging: where spdlog's lines go (stderr, or a file reopened on SIGHUP for logrotate), in which
// format (text for people, JSON lines for log shippers), and the one access-log line per request.
//
// Nothing here writes a secret: request paths go through RedactPath (capability tokens become
// <token>), and no caller logs passwords, tokens or message bodies (docs/security.md).
// Thread-safe: spdlog's sinks lock; Reopen() may be called from the signal thread at any time.
#pragma once

#include <string>

#include "calendar/status.h"

namespace convene::server::logging {

enum class Format { kText, kJson };

// "text" or "json"; anything else is an error naming --log-format.
Result<Format> ParseFormat(const std::string& name);

// Makes spdlog's default logger write to `path` (appending; created 0640) or, when `path` is
// empty, to stderr, in `format`. Call once, before any thread logs.
Status Setup(const std::string& path, Format format);

// Reopens the log file at its path (after logrotate moved the old one away). No-op for stderr.
void Reopen();

// One access-log line: method, redacted path, route pattern, status, milliseconds. In JSON these
// are fields of their own: {"time","level","msg","method","path","route","status","ms"}.
void Request(const std::string& method, const std::string& path, const std::string& route,
             int status, double ms);

}  // namespace convene::server::logging
