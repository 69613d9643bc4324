// HTTP plumbing shared by every handler: the one Status -> HTTP mapping, JSON responses, request
// guards for cpp-httplib 0.11.4 (hardening.md 1.5) and the access log.
//
// Threads: all functions are safe to call from any request thread.
#pragma once

#include <httplib.h>

#include <nlohmann/json.hpp>
#include <string>

#include "calendar/status.h"
#include "server/app/config.h"
#include "server/http/metrics.h"

namespace convene::server {

// The HTTP status for a Status code (the only place this mapping exists).
int HttpStatus(Code code);

// {"error": {"code", "message", "field"?}} with the mapped status. Internal errors say only
// "internal error": their details were logged where they happened.
void SendError(httplib::Response& res, const Status& st);
void SendJson(httplib::Response& res, int status, const nlohmann::json& body);

// Installs: payload limit, 411 for any Transfer-Encoding, 413 for a Content-Length over the
// limit, 400 for header values holding CR/LF (after cpp-httplib's percent-decoding), 415 for a
// body that is not JSON on /api/, a generic 500 for exceptions (no EXCEPTION_WHAT), JSON or
// plain 404/405 pages, security headers, and one access-log line per request.
void InstallGuards(httplib::Server& server, const Config& config, Metrics& metrics);

// The client's address: the TCP peer, or, when the peer is one of config.trusted_proxies, the
// X-Real-IP it set. Never a header from anyone else (cf. CVE-2025-66570: a client's own
// REMOTE_ADDR header).
std::string ClientAddress(const httplib::Request& req, const Config& config);

// The path with every capability token (a segment of 20+ base64url characters) replaced by
// "<token>", so logs never hold a secret.
std::string RedactPath(const std::string& path);

// The Bearer token of the Authorization header, or empty.
std::string BearerToken(const httplib::Request& req);

}  // namespace convene::server
