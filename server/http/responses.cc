#include "server/http/responses.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

#include "server/http/listener.h"
#include "server/http/logging.h"
#include "server/pages/render.h"

namespace convene::server {

int HttpStatus(Code code) {
  switch (code) {
    case Code::kOk:
      return 200;
    case Code::kInvalidArgument:
      return 400;
    case Code::kUnauthenticated:
      return 401;
    case Code::kPermissionDenied:
      return 403;
    case Code::kNotFound:
      return 404;
    case Code::kConflict:
      return 409;
    case Code::kPreconditionFailed:
      return 412;
    case Code::kTooLarge:
      return 413;
    case Code::kUnsupportedMedia:
      return 415;
    case Code::kPreconditionRequired:
      return 428;
    case Code::kRateLimited:
      return 429;
    case Code::kUnavailable:
      return 503;
    case Code::kInternal:
      return 500;
  }
  return 500;
}

void SendJson(httplib::Response& res, int status, const nlohmann::json& body) {
  res.status = status;
  res.set_content(body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n",
                  "application/json");
}

void SendError(httplib::Response& res, const Status& st) {
  nlohmann::json err = {
      {"code", st.error_code()},
      {"message", st.code() == Code::kInternal ? "internal error" : st.message()}};
  if (!st.field().empty()) err["field"] = st.field();
  SendJson(res, HttpStatus(st.code()), {{"error", err}});
  if (st.code() == Code::kUnauthenticated) res.set_header("WWW-Authenticate", "Bearer");
  if (st.code() == Code::kUnavailable) res.set_header("Retry-After", "2");
}

std::string RedactPath(const std::string& path) {
  std::string out;
  size_t i = 0;
  while (i < path.size()) {
    size_t j = i;
    auto token_char = [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
    };
    while (j < path.size() && token_char(path[j])) ++j;
    if (j - i >= 20) {
      out += "<token>";
    } else {
      out.append(path, i, j - i);
    }
    if (j < path.size()) out += path[j];
    i = j + 1;
  }
  return out.size() > 200 ? out.substr(0, 200) + "..." : out;
}

std::string BearerToken(const httplib::Request& req) {
  const std::string h = req.get_header_value("Authorization");
  if (h.size() > 7 && (h.rfind("Bearer ", 0) == 0 || h.rfind("bearer ", 0) == 0))
    return h.substr(7);
  return {};
}

std::string ClientAddress(const httplib::Request& req, const Config& config) {
  if (config.trusted_proxies.empty()) return req.remote_addr;
  const auto trusted = config.trusted_proxy_list();
  if (std::find(trusted.begin(), trusted.end(), req.remote_addr) == trusted.end())
    return req.remote_addr;
  // The proxy sets X-Real-IP itself (deploy/nginx: proxy_set_header replaces what a client sent).
  if (req.get_header_value_count("X-Real-IP") == 1) {
    std::string ip = req.get_header_value("X-Real-IP");
    if (IsIpLiteral(ip)) return ip;
  }
  return req.remote_addr;
}

namespace {

thread_local std::chrono::steady_clock::time_point t_request_start;

bool IsApi(const httplib::Request& req) { return req.path.rfind("/api/", 0) == 0; }

// API, feeds and health checks answer JSON errors; every other path is a page (HTML).
void Refuse(const httplib::Request& req, httplib::Response& res, const Status& st) {
  if (IsApi(req) || req.path.rfind("/feeds/", 0) == 0 || req.path == "/healthz") {
    SendError(res, st);
  } else {
    pages::SendErrorPage(res, st);
  }
}

}  // namespace

void InstallGuards(httplib::Server& server, const Config& config, Metrics& metrics) {
  server.set_payload_max_length(config.max_body_bytes);
  const size_t max_body = config.max_body_bytes;

  server.set_pre_routing_handler([max_body](const httplib::Request& req, httplib::Response& res) {
    t_request_start = std::chrono::steady_clock::now();
    Metrics::StartRequest();
    // Chunked bodies bypass cpp-httplib's payload limit (CVE-2025-46728): refuse them all.
    if (req.has_header("Transfer-Encoding")) {
      res.set_header("Connection", "close");
      Refuse(req, res,
             Status(Code::kInvalidArgument, "send the body with Content-Length, not chunked"));
      res.status = 411;
      return httplib::Server::HandlerResponse::Handled;
    }
    // Two Content-Length headers: which one frames the body is ambiguous, the ground of request
    // smuggling (RFC 9112 6.3 says 400 and close; the listener closes after any unread body).
    if (req.get_header_value_count("Content-Length") > 1) {
      res.set_header("Connection", "close");
      Refuse(req, res, InvalidArgument("Content-Length", "send one Content-Length header"));
      return httplib::Server::HandlerResponse::Handled;
    }
    if (req.has_header("Content-Length")) {
      const std::string cl = req.get_header_value("Content-Length");
      bool digits =
          !cl.empty() && cl.size() < 19 && cl.find_first_not_of("0123456789") == std::string::npos;
      if (!digits || std::stoull(cl) > max_body) {
        res.set_header("Connection", "close");
        Refuse(req, res,
               Status(Code::kTooLarge,
                      "the body is larger than " + std::to_string(max_body) + " bytes"));
        return httplib::Server::HandlerResponse::Handled;
      }
    }
    // Percent-decoded header values can carry CR/LF (CVE-2026-45372); nothing legitimate does.
    for (const auto& [name, value] : req.headers) {
      if (value.find_first_of("\r\n", 0) != std::string::npos ||
          value.find('\0') != std::string::npos) {
        Refuse(req, res,
               InvalidArgument(name.substr(0, 64),
                               "header " + name.substr(0, 64) + " holds a line break"));
        return httplib::Server::HandlerResponse::Handled;
      }
    }
    if (IsApi(req) && (req.method == "POST" || req.method == "PATCH" || req.method == "PUT")) {
      const std::string ct = req.get_header_value("Content-Type");
      const bool empty_body =
          req.get_header_value("Content-Length") == "0" || !req.has_header("Content-Length");
      // The members import takes a CSV file (docs/api.md); every other body is JSON.
      const std::string want =
          req.path.ends_with("/members/import") ? "text/csv" : "application/json";
      if (!empty_body && ct.rfind(want, 0) != 0) {
        Refuse(req, res, Status(Code::kUnsupportedMedia, "send the body as Content-Type: " + want));
        return httplib::Server::HandlerResponse::Handled;
      }
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });

  server.set_exception_handler(
      [](const httplib::Request& req, httplib::Response& res, std::exception_ptr ep) {
        std::string what = "unknown";
        try {
          if (ep) std::rethrow_exception(ep);
        } catch (const std::exception& e) {
          what = e.what();
        } catch (...) {
        }
        spdlog::error("unhandled exception on {} {}: {}", req.method, RedactPath(req.path), what);
        res.headers.erase("EXCEPTION_WHAT");
        Refuse(req, res, Internal("internal error"));
      });

  server.set_error_handler(
      httplib::Server::HandlerWithResponse([](const httplib::Request& req, httplib::Response& res) {
        res.headers.erase("EXCEPTION_WHAT");
        if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
        if (res.status == 404) {
          Refuse(req, res, NotFound("nothing here: " + RedactPath(req.path)));
        } else if (res.status == 405) {
          Refuse(req, res, Status(Code::kInvalidArgument, "method not allowed"));
          res.status = 405;
        } else if (res.status == 413) {
          Refuse(req, res, Status(Code::kTooLarge, "the body is too large"));
        } else if (res.status == 414 || res.status == 400) {
          Refuse(req, res, Status(Code::kInvalidArgument, "bad request"));
          res.status = res.status;
        }
        return httplib::Server::HandlerResponse::Handled;
      }));

  server.set_post_routing_handler([](const httplib::Request&, httplib::Response& res) {
    // The listener closes the connection after a response that left some of the declared body
    // unread (request smuggling, issue 8): say so.
    if (HttpServer::WillCloseAfterResponse()) res.set_header("Connection", "close");
    res.set_header("X-Content-Type-Options", "nosniff");
    if (!res.has_header("Content-Security-Policy"))
      res.set_header("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'");
    if (!res.has_header("Referrer-Policy")) res.set_header("Referrer-Policy", "no-referrer");
  });

  server.set_logger([&metrics](const httplib::Request& req, const httplib::Response& res) {
    const auto ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() -
                                                              t_request_start)
                        .count();
    metrics.Observe(res.status, ms / 1000.0, res.get_header_value("Content-Encoding") == "gzip");
    logging::Request(req.method, RedactPath(req.path), metrics.CurrentPattern(), res.status, ms);
  });
}

}  // namespace convene::server
