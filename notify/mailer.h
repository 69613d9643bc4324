// Mailer: the one interface through which a notice leaves the process.
//
// Send hands one message to a relay (SMTP) or a folder (spool) and reports what happened as a
// Status:
//   ok                                  accepted: the relay answered 250 to DATA, or the file is
//                                       durably in the spool. The row may be marked sent.
//   kUnavailable                        transient: a 4xx answer, a dropped connection, a timeout.
//                                       Retry later with the same bytes and Message-ID.
//     ... with error_code() "relay_down"  the relay itself is unreachable or refusing service
//                                       (connect failed, TLS failed, 421): pause every delivery
//                                       to it, not just this message.
//   any other code                      permanent: a 5xx answer, an unusable address. Do not retry.
// The message (short, no credentials, no body) is safe to log and to show to the organiser.
//
// Threads: a Mailer is used by one worker thread at a time; implementations need not lock.
#pragma once

#include <string>
#include <string_view>

#include "calendar/status.h"

namespace convene::notify {

struct Envelope {
  std::string mail_from;   // the return path (MAIL FROM), e.g. bounces+42@example.org
  std::string rcpt_to;     // one recipient
  std::string message_id;  // for logs and spool file names
};

class Mailer {
 public:
  virtual ~Mailer() = default;
  // `bytes` are RFC 5322 with CRLF line ends, not dot-stuffed.
  virtual Status Send(const Envelope& envelope, std::string_view bytes) = 0;
  // Where mail goes, for logs (no credentials).
  virtual std::string Describe() const = 0;
  // Called from another thread (Worker::Stop): a Send in progress should give up soon with a
  // transient Status. Later Sends work normally.
  virtual void Interrupt() {}
};

inline Status Transient(std::string message) {
  return Status(Code::kUnavailable, std::move(message));
}
inline Status RelayDown(std::string message) {
  return Status(Code::kUnavailable, std::move(message), {}, "relay_down");
}
inline Status Permanent(std::string message) {
  return Status(Code::kInvalidArgument, std::move(message), {}, "rejected");
}
inline bool IsTransient(const Status& s) { return s.code() == Code::kUnavailable; }
inline bool IsRelayDown(const Status& s) {
  return s.code() == Code::kUnavailable && s.error_code() == "relay_down";
}

}  // namespace convene::notify
