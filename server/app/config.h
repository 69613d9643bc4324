// Config: every setting of `convene serve`, with its default and the reason for it.
//
// Most are options, from (highest first) the command line, CONVENE_* environment variables, and
// the --config file (TOML-style `key = value`, read by CLI11); see main.cc. The few marked
// "(fixed)" have no flag: they are set here, for tests and for a rebuild. Plain values; copy
// freely.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "calendar/status.h"

namespace convene::server {

struct Config {
  // SQLite database file; created and migrated when missing.
  std::string db = "data/convene.db";
  // HOST:PORT to listen on. Loopback by default: put nginx in front of anything public
  // (deploy/nginx/: TLS, per-client connection and rate limits). Listening elsewhere without
  // --trusted-proxy logs a warning at start.
  std::string listen = "127.0.0.1:8080";
  // Addresses of the reverse proxies whose X-Real-IP header names the client (comma-separated
  // IP literals, e.g. "127.0.0.1" for deploy/nginx on the same host). A request from any other
  // peer is taken to come from its TCP peer address, whatever its headers say. The client
  // address keys the login throttle, so without this every visitor behind nginx shares one.
  std::string trusted_proxies;
  // GET /metrics: empty means only clients on this machine may read it; otherwise only requests
  // with `Authorization: Bearer <metrics_token>` (for a Prometheus elsewhere).
  std::string metrics_token;
  // Count requests for /metrics at all (deploy/bench turns it off to show what counting costs).
  bool metrics = true;
  // Logs: a file (appended; reopened on SIGHUP, for logrotate), or stderr when empty; "text" for
  // people or "json" (one object a line) for log shippers.
  std::string log_file;
  std::string log_format = "text";
  // Public origin used in links, feed URLs and emails (no trailing slash).
  std::string base_url = "http://127.0.0.1:8080";
  // Mail: an smtp:// or smtps:// URL, or empty to write .eml files into `spool`.
  std::string smtp;
  // Spool folder; empty means "spool" next to the database.
  std::string spool;
  // Seconds in which several edits of one meeting coalesce into one notice.
  int notice_delay = 60;
  // Require STARTTLS on an smtp:// relay. (With CONVENE_SMTP_USER set, a relay other than
  // loopback always needs TLS, so a password never crosses the network in clear.)
  bool smtp_starttls = false;
  // Delivery schedule, seconds (hardening.md 1.1; RFC 5321 4.5.4.1 wants it configurable): a 4xx
  // or a dropped connection retries after mail_first_retry, doubling up to mail_max_retry; after
  // mail_lifetime a notice fails for good (5xx fails at once). A relay that cannot be reached is
  // paused for mail_relay_pause, doubling up to mail_relay_pause_max, so an outage costs a few
  // connection attempts rather than one per notice. A notice being sent is leased for mail_lease,
  // after which another start may take it over (a crash mid-send).
  int mail_first_retry = 60;
  int mail_max_retry = 3600;
  int mail_lifetime = 2 * 86400;
  int mail_relay_pause = 30;
  int mail_relay_pause_max = 600;
  int mail_lease = 300;

  // Worker threads. cpp-httplib holds one thread per connection for the connection's whole
  // life, and its default pool is 8: 8 idle keep-alive clients freeze every new request for the
  // keep-alive timeout, and 32 busy clients got ~300 requests/s (hardening.md 1.9). 64 threads
  // cost little memory (stacks are reserved, not touched) and serve 32 concurrent clients with
  // room for slow ones.
  int threads = 64;
  // Keep-alive: enough requests per connection to amortise the handshake for a calendar client
  // or a script, and a short idle timeout so idle connections give their thread back quickly.
  int keep_alive_max_count = 100;  // (fixed)
  int keep_alive_timeout_s = 2;    // (fixed)
  // Request deadlines (server/http/listener.h). A connection waits between requests without a
  // thread; its request head (request line and headers) must be complete within
  // request_head_timeout_s of the server starting to wait for it, else 408 and close, so slow
  // clients ("slowloris") cost a file descriptor each, not a thread. The body must then arrive
  // within request_body_timeout_s (1 MiB at 100 KiB/s). keep_alive_timeout_s above closes a
  // connection that sends nothing.
  int request_head_timeout_s = 10;
  int request_body_timeout_s = 10;
  // Socket write timeout: a response write that makes no progress for this long ends the
  // connection.
  int write_timeout_s = 5;  // (fixed)
  // Largest request body accepted (413 above). Chunked bodies are refused with 411.
  size_t max_body_bytes = 1 << 20;  // (fixed)
  // Organiser login throttling (ASVS V2.2.1): failed logins within the window, per email address
  // and per client address (the TCP peer, never a header: behind nginx every client shares the
  // proxy's address, so that limit is higher), after which logins answer 429.
  int login_failures_per_email = 5;     // (fixed)
  int login_failures_per_address = 20;  // (fixed)
  int login_window_seconds = 15 * 60;   // (fixed)
  // Organiser sessions end this long after login (and on logout or a password change).
  int session_hours = 12;  // (fixed)
  // Replies from calendars (docs/operations.md "Mail in (LMTP)"): HOST:PORT on which to accept
  // mail from the MTA over LMTP, or empty for none. Only with it do invitations ask for replies
  // (RSVP=TRUE) and name reply+<token>@reply_domain as ORGANIZER and From, so nothing promises a
  // reply nobody reads. Loopback: the MTA runs on this machine.
  std::string lmtp;
  // The domain of the reply addresses, which the MTA must route to `lmtp`; empty: the host of
  // base_url (or "convene.invalid" when that is an IP address, which no mail can reach).
  std::string reply_domain;
  // Feed refresh hint (REFRESH-INTERVAL / X-PUBLISHED-TTL), minutes.
  int feed_refresh_minutes = 60;
  // Cookie `Secure` flag: on when base_url is https.
  bool secure_cookies() const { return base_url.rfind("https://", 0) == 0; }

  std::vector<std::string> trusted_proxy_list() const;
  // False for 127.0.0.0/8, ::1 and localhost.
  bool listens_beyond_loopback() const;
  std::string listen_host() const;
  int listen_port() const;
  // `lmtp` split; port -1 when it is not HOST:PORT.
  std::string lmtp_host() const;
  int lmtp_port() const;
  // The reply domain in force: reply_domain, or the one derived from base_url.
  std::string effective_reply_domain() const;
  // The spool folder actually used.
  std::string spool_dir() const;
  // Checks every value; the message says what to fix.
  Status Validate() const;
  // One line for the start-up log: every effective option, no secrets (SMTP credentials come
  // from the environment and are never part of Config; the URL's userinfo is masked).
  std::string Describe() const;
};

// An IPv4 or IPv6 address literal (no port, no brackets).
bool IsIpLiteral(const std::string& s);
// 127.0.0.0/8, ::1 (bracketed or not), ::ffff:127.x, or the name localhost.
bool IsLoopback(const std::string& host);

}  // namespace convene::server
