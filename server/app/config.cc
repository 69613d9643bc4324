#include "server/app/config.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>

#include <cctype>
#include <filesystem>

#include "calendar/store/db.h"
#include "notify/smtp_mailer.h"

namespace convene::server {

std::string Config::listen_host() const {
  auto colon = listen.rfind(':');
  return colon == std::string::npos ? listen : listen.substr(0, colon);
}

int Config::listen_port() const {
  auto colon = listen.rfind(':');
  if (colon == std::string::npos) return -1;
  try {
    size_t used = 0;
    int port = std::stoi(listen.substr(colon + 1), &used);
    return used == listen.size() - colon - 1 ? port : -1;
  } catch (...) {
    return -1;
  }
}

namespace {
int PortOf(const std::string& hostport) {
  auto colon = hostport.rfind(':');
  if (colon == std::string::npos) return -1;
  try {
    size_t used = 0;
    int port = std::stoi(hostport.substr(colon + 1), &used);
    return used == hostport.size() - colon - 1 ? port : -1;
  } catch (...) {
    return -1;
  }
}

// A host name fit for the domain of a mail address: letters, digits, '-' and '.', labels of 1
// to 63, at most 253 in all.
bool IsMailDomain(const std::string& d) {
  if (d.empty() || d.size() > 253 || d.front() == '.' || d.back() == '.') return false;
  size_t label = 0;
  for (char c : d) {
    if (c == '.') {
      if (label == 0) return false;
      label = 0;
      continue;
    }
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-') || ++label > 63) return false;
  }
  return true;
}
}  // namespace

std::string Config::lmtp_host() const {
  auto colon = lmtp.rfind(':');
  return colon == std::string::npos ? lmtp : lmtp.substr(0, colon);
}

int Config::lmtp_port() const { return PortOf(lmtp); }

std::string Config::effective_reply_domain() const {
  if (!reply_domain.empty()) return reply_domain;
  std::string host =
      base_url.substr(base_url.find("://") == std::string::npos ? 0 : base_url.find("://") + 3);
  host = host.substr(0, host.find_first_of("/?#"));
  if (auto at = host.rfind('@'); at != std::string::npos) host = host.substr(at + 1);
  if (!host.empty() && host.front() == '[') return "convene.invalid";  // an IPv6 literal
  host = host.substr(0, host.find(':'));
  for (char& c : host) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (IsIpLiteral(host) || !IsMailDomain(host)) return "convene.invalid";
  return host;
}

bool IsIpLiteral(const std::string& s) {
  unsigned char buf[sizeof(in6_addr)];
  return inet_pton(AF_INET, s.c_str(), buf) == 1 || inet_pton(AF_INET6, s.c_str(), buf) == 1;
}

std::vector<std::string> Config::trusted_proxy_list() const {
  std::vector<std::string> out;
  size_t i = 0;
  while (i <= trusted_proxies.size()) {
    size_t j = trusted_proxies.find(',', i);
    if (j == std::string::npos) j = trusted_proxies.size();
    std::string item = trusted_proxies.substr(i, j - i);
    const size_t b = item.find_first_not_of(" ");
    const size_t e = item.find_last_not_of(" ");
    if (b != std::string::npos) out.push_back(item.substr(b, e - b + 1));
    i = j + 1;
  }
  return out;
}

bool IsLoopback(const std::string& host) {
  return host == "localhost" || host == "::1" || host == "[::1]" || host.rfind("127.", 0) == 0 ||
         host.rfind("::ffff:127.", 0) == 0;
}

bool Config::listens_beyond_loopback() const { return !IsLoopback(listen_host()); }

std::string Config::spool_dir() const {
  if (!spool.empty()) return spool;
  if (calendar::store::IsPostgresUri(db)) return "data/spool";  // the database is elsewhere
  std::filesystem::path p(db);
  return (p.parent_path() / "spool").string();
}

Status Config::Validate() const {
  if (db.empty())
    return InvalidArgument("db", "--db must name the SQLite database file or a postgresql:// URI");
  const int port = listen_port();
  if (listen_host().empty() || port < 0 || port > 65535)
    return InvalidArgument("listen", "--listen must be HOST:PORT, e.g. 127.0.0.1:8080");
  if (base_url.rfind("http://", 0) != 0 && base_url.rfind("https://", 0) != 0)
    return InvalidArgument("base-url", "--base-url must start with http:// or https://");
  if (base_url.back() == '/') return InvalidArgument("base-url", "--base-url must not end with /");
  for (char c : base_url)
    if (static_cast<unsigned char>(c) <= 0x20 || c == '"' || c == '<' || c == '>' || c == '\\')
      return InvalidArgument("base-url", "--base-url must be a plain URL without spaces or quotes");
  if (!smtp.empty() && smtp.rfind("smtp://", 0) != 0 && smtp.rfind("smtps://", 0) != 0)
    return InvalidArgument("smtp", "--smtp must be smtp://host:port or smtps://host:port");
  if (!smtp.empty()) RETURN_IF_ERROR(notify::ValidateSmtpUrl(smtp));
  if (smtp_starttls && smtp.rfind("smtp://", 0) != 0)
    return InvalidArgument("smtp-starttls", "--smtp-starttls goes with an smtp:// relay");
  for (auto [value, name] : {std::pair{mail_first_retry, "mail-first-retry"},
                             {mail_max_retry, "mail-max-retry"},
                             {mail_lifetime, "mail-lifetime"},
                             {mail_relay_pause, "mail-relay-pause"},
                             {mail_relay_pause_max, "mail-relay-pause-max"},
                             {mail_lease, "mail-lease"}}) {
    if (value < 1 || value > 30 * 86400)
      return InvalidArgument(name, std::string("--") + name + " must be 1 to 2592000 seconds");
  }
  if (mail_first_retry > mail_max_retry)
    return InvalidArgument("mail-first-retry",
                           "--mail-first-retry must not exceed --mail-max-retry");
  if (mail_relay_pause > mail_relay_pause_max)
    return InvalidArgument("mail-relay-pause",
                           "--mail-relay-pause must not exceed --mail-relay-pause-max");
  if (notice_delay < 0 || notice_delay > 86400)
    return InvalidArgument("notice-delay", "--notice-delay must be 0 to 86400 seconds");
  if (threads < 2 || threads > 1024)
    return InvalidArgument("threads", "--threads must be 2 to 1024");
  for (auto [value, name] : {std::pair{request_head_timeout_s, "request-head-timeout"},
                             {request_body_timeout_s, "request-body-timeout"}}) {
    if (value < 1 || value > 600)
      return InvalidArgument(name, std::string("--") + name + " must be 1 to 600 seconds");
  }
  if (!lmtp.empty()) {
    const int lport = lmtp_port();
    if (lmtp_host().empty() || lport < 1 || lport > 65535)
      return InvalidArgument("lmtp", "--lmtp must be HOST:PORT, e.g. 127.0.0.1:2525");
  }
  if (!reply_domain.empty()) {
    if (lmtp.empty())
      return InvalidArgument("reply-domain",
                             "--reply-domain goes with --lmtp (replies are read only then)");
    if (!IsMailDomain(reply_domain))
      return InvalidArgument("reply-domain",
                             "--reply-domain must be a plain domain name, e.g. reply.example.org");
  }
  if (log_format != "text" && log_format != "json")
    return InvalidArgument("log-format", "--log-format must be text or json");
  for (const std::string& proxy : trusted_proxy_list()) {
    if (!IsIpLiteral(proxy))
      return InvalidArgument("trusted-proxy", "--trusted-proxy must list IP addresses (got '" +
                                                  proxy.substr(0, 64) + "')");
  }
  return Status::Ok();
}

std::string Config::Describe() const {
  std::string mail = smtp.empty() ? "spool " + spool_dir() : smtp;
  if (smtp_starttls) mail += " (STARTTLS)";
  auto at = mail.find('@');
  auto scheme = mail.find("://");
  if (at != std::string::npos && scheme != std::string::npos && at > scheme)
    mail = mail.substr(0, scheme + 3) + "***" + mail.substr(at);
  return fmt::format(
      "db={} listen={} base_url={} mail={} notice_delay={}s threads={} keep_alive={}x{}s "
      "trusted_proxies={} metrics={} log={} ({}) head/body/write timeouts={}s/{}s/{}s max_body={}B "
      "feed_refresh={}min lmtp={} "
      "mail_retry={}..{}s mail_lifetime={}s "
      "relay_pause={}..{}s mail_lease={}s",
      db, listen, base_url, mail, notice_delay, threads, keep_alive_max_count, keep_alive_timeout_s,
      trusted_proxies.empty() ? "none" : trusted_proxies,
      !metrics                ? "off"
      : metrics_token.empty() ? "this machine"
                              : "token",
      log_file.empty() ? "stderr" : log_file, log_format, request_head_timeout_s,
      request_body_timeout_s, write_timeout_s, max_body_bytes, feed_refresh_minutes,
      lmtp.empty() ? std::string("off") : lmtp + " (replies to @" + effective_reply_domain() + ")",
      mail_first_retry, mail_max_retry, mail_lifetime, mail_relay_pause, mail_relay_pause_max,
      mail_lease);
}

}  // namespace convene::server
