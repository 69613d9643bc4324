#include "notify/smtp_mailer.h"

#include <curl/curl.h>
#include <fmt/core.h>

#include <cstdlib>
#include <cstring>
#include <mutex>

namespace convene::notify {
namespace {

struct Upload {
  std::string_view bytes;
  size_t pos = 0;
};

size_t ReadCallback(char* buffer, size_t size, size_t nitems, void* userdata) {
  auto* up = static_cast<Upload*>(userdata);
  const size_t n = std::min(size * nitems, up->bytes.size() - up->pos);
  std::memcpy(buffer, up->bytes.data() + up->pos, n);
  up->pos += n;
  return n;
}

// An envelope address curl will put between <> on a command line: printable ASCII only.
bool SafeEnvelopeAddress(const std::string& a) {
  if (a.empty() || a.size() > 254 || a.find('@') == std::string::npos) return false;
  for (char c : a) {
    if (c <= 0x20 || c > 0x7E || c == '<' || c == '>' || c == '"' || c == '\\' || c == ',')
      return false;
  }
  return true;
}

bool IsLoopbackUrl(const std::string& url) {
  const size_t start = url.find("://");
  if (start == std::string::npos) return false;
  const std::string rest = url.substr(start + 3);
  return rest.rfind("127.", 0) == 0 || rest.rfind("localhost", 0) == 0 ||
         rest.rfind("[::1]", 0) == 0;
}

void GlobalInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

}  // namespace

SmtpOptions SmtpOptionsFromEnvironment(std::string url, bool starttls) {
  SmtpOptions o;
  o.url = std::move(url);
  o.starttls = starttls;
  if (const char* u = std::getenv("CONVENE_SMTP_USER")) o.username = u;
  if (const char* p = std::getenv("CONVENE_SMTP_PASSWORD")) o.password = p;
  if (const char* c = std::getenv("CONVENE_SMTP_CA_FILE")) o.ca_file = c;
  return o;
}

Status ValidateSmtpUrl(const std::string& url) {
  const bool smtp = url.rfind("smtp://", 0) == 0, smtps = url.rfind("smtps://", 0) == 0;
  if (!smtp && !smtps) return InvalidArgument("smtp", "--smtp must start with smtp:// or smtps://");
  for (char c : url) {
    if (c <= 0x20 || c > 0x7E) return InvalidArgument("smtp", "--smtp has a bad character");
  }
  const std::string authority = url.substr(url.find("://") + 3);
  if (authority.substr(0, authority.find('/')).find('@') != std::string::npos)
    return InvalidArgument("smtp",
                           "put SMTP credentials in CONVENE_SMTP_USER and CONVENE_SMTP_PASSWORD, "
                           "not in the URL");
  if (authority.empty() || authority[0] == '/' || authority[0] == ':')
    return InvalidArgument("smtp", "--smtp needs a host");
  return Status::Ok();
}

SmtpMailer::SmtpMailer(SmtpOptions options) : options_(std::move(options)) {
  GlobalInit();
  curl_ = curl_easy_init();
}

SmtpMailer::~SmtpMailer() {
  if (curl_) curl_easy_cleanup(static_cast<CURL*>(curl_));
}

int SmtpMailer::Progress(void* self, long long, long long, long long, long long) {
  return static_cast<SmtpMailer*>(self)->abort_.load() ? 1 : 0;
}

Status SmtpMailer::Send(const Envelope& env, std::string_view bytes) {
  RETURN_IF_ERROR(ValidateSmtpUrl(options_.url));
  if (!SafeEnvelopeAddress(env.mail_from)) return Permanent("unusable envelope sender");
  if (!SafeEnvelopeAddress(env.rcpt_to)) return Permanent("unusable recipient address");
  CURL* c = static_cast<CURL*>(curl_);
  if (!c) return RelayDown("libcurl could not start");
  abort_.store(false);

  Upload up{bytes, 0};
  curl_slist* rcpt = curl_slist_append(nullptr, env.rcpt_to.c_str());
  curl_easy_reset(c);  // keeps the open connection; clears the previous options
  curl_easy_setopt(c, CURLOPT_URL, options_.url.c_str());
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
  curl_easy_setopt(c, CURLOPT_MAIL_FROM, env.mail_from.c_str());
  curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
  curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(c, CURLOPT_READFUNCTION, &ReadCallback);
  curl_easy_setopt(c, CURLOPT_READDATA, &up);
  curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(bytes.size()));
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, options_.connect_timeout_s);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, options_.timeout_s);
  curl_easy_setopt(c, CURLOPT_MAXAGE_CONN, options_.idle_reuse_s);
  curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, &SmtpMailer::Progress);
  curl_easy_setopt(c, CURLOPT_XFERINFODATA, this);
  if (fresh_connection_) curl_easy_setopt(c, CURLOPT_FRESH_CONNECT, 1L);
  const bool has_credentials = !options_.username.empty();
  if (options_.url.rfind("smtp://", 0) == 0 &&
      (options_.starttls || (has_credentials && !IsLoopbackUrl(options_.url)))) {
    curl_easy_setopt(c, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_ALL));
  }
  if (!options_.ca_file.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, options_.ca_file.c_str());
  if (has_credentials) {
    curl_easy_setopt(c, CURLOPT_USERNAME, options_.username.c_str());
    curl_easy_setopt(c, CURLOPT_PASSWORD, options_.password.c_str());
  }

  const CURLcode rc = curl_easy_perform(c);
  long reply = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &reply);
  curl_slist_free_all(rcpt);
  fresh_connection_ = rc != CURLE_OK;
  if (rc == CURLE_OK) return Status::Ok();

  const std::string what = fmt::format("{} (reply {})", curl_easy_strerror(rc), reply);
  switch (rc) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_USE_SSL_FAILED:
    case CURLE_LOGIN_DENIED:
    case CURLE_AUTH_ERROR:
      return RelayDown("relay unusable: " + what);
    case CURLE_ABORTED_BY_CALLBACK:
      return Transient("delivery interrupted by shutdown");
    default:
      break;
  }
  if (reply == 421) return RelayDown("relay closing: " + what);
  // Authentication demanded or refused: the relay's configuration, not this message.
  if (reply == 530 || reply == 534 || reply == 535 || reply == 538)
    return RelayDown("relay refused our credentials: " + what);
  if (reply >= 500 && reply < 600) return Permanent("relay rejected: " + what);
  if (reply >= 400 && reply < 500) return Transient("relay deferred: " + what);
  // No final answer: the connection dropped. RFC 5321 6.1: treat it like a 451.
  return Transient("connection lost: " + what);
}

}  // namespace convene::notify
