// SmtpMailer: delivery to a relay over SMTP with libcurl (smtp://, smtps://, STARTTLS).
//
// libcurl dot-stuffs the upload and appends the final CRLF.CRLF itself (verified against a real
// server in tests/e2e), so the bytes are passed as they are. CURLcode and the relay's reply code
// are converted to a Status here and nowhere else (see mailer.h): 250 -> ok; 5xx -> permanent;
// 4xx, a dropped connection or an abort -> transient; connect/TLS/auth failures, timeouts and
// 421 -> transient with "relay_down" (the worker pauses the relay instead of hammering it).
// The connection is kept open between messages and replaced after any failure.
//
// Credentials come from the environment (CONVENE_SMTP_USER, CONVENE_SMTP_PASSWORD), never from
// the URL or the command line; with credentials, a plain smtp:// URL to a host other than
// loopback requires STARTTLS, so a password never crosses the network in clear.
//
// Threads: Send runs on one thread at a time (the worker); Interrupt may come from any thread.
#pragma once

#include <atomic>
#include <string>

#include "calendar/status.h"
#include "notify/mailer.h"

namespace convene::notify {

struct SmtpOptions {
  std::string url;        // smtp://host[:port] or smtps://host[:port]; no user:password@
  bool starttls = false;  // smtp:// only: require STARTTLS before MAIL FROM
  std::string username;   // empty: no AUTH
  std::string password;
  std::string ca_file;  // empty: the system's CA store (set for a private CA, and in tests)
  long connect_timeout_s = 10;
  long timeout_s = 60;     // a whole message, including the wait for the 250
  long idle_reuse_s = 30;  // reuse a kept-open connection at most this long after its last use
};

// Options for `url` with the credentials from CONVENE_SMTP_USER / CONVENE_SMTP_PASSWORD (and a
// private CA from CONVENE_SMTP_CA_FILE).
SmtpOptions SmtpOptionsFromEnvironment(std::string url, bool starttls);

// Checks the URL (scheme, no credentials, no control characters).
Status ValidateSmtpUrl(const std::string& url);

class SmtpMailer : public Mailer {
 public:
  explicit SmtpMailer(SmtpOptions options);
  ~SmtpMailer() override;
  SmtpMailer(const SmtpMailer&) = delete;
  SmtpMailer& operator=(const SmtpMailer&) = delete;

  Status Send(const Envelope& envelope, std::string_view bytes) override;
  std::string Describe() const override { return "smtp " + options_.url; }
  void Interrupt() override { abort_.store(true); }

 private:
  static int Progress(void* self, long long, long long, long long, long long);
  SmtpOptions options_;
  void* curl_ = nullptr;  // CURL*
  bool fresh_connection_ = true;
  std::atomic<bool> abort_{false};
};

}  // namespace convene::notify
