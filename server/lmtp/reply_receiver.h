// The LMTP handler of replies from calendars: each RCPT TO must be a reply address
// ("reply+<token>@...", server/ops/replies.h) whose token is valid, else 550 5.1.1; after DATA
// the message's calendar part (server/lmtp/mime.h) is read as an iTIP REPLY
// (calendar/ical_reply.h) and applied for each recipient (ApplyReply). A message that cannot be
// used (no calendar part, broken MIME, another METHOD, a VEVENT of another meeting or member, an
// older SEQUENCE) is answered 250 and ignored with one log line: the MTA delivered it to the right
// place, and a bounce would only reach whoever forged the sender. A database error is 451 (the
// MTA tries again; replies are idempotent). Log lines name meetings and reasons, never tokens,
// addresses or message text.
//
// Threads: called on the LMTP connection threads; holds no state of its own.
#pragma once

#include <string>
#include <vector>

#include "server/lmtp/lmtp_server.h"
#include "server/ops/operations.h"

namespace convene::server::lmtp {

class ReplyReceiver : public LmtpHandler {
 public:
  explicit ReplyReceiver(Operations& ops) : ops_(ops) {}
  std::string Recipient(const std::string& address) override;
  std::vector<std::string> Deliver(const std::string& sender,
                                   const std::vector<std::string>& recipients,
                                   const std::string& message) override;

 private:
  Operations& ops_;
};

}  // namespace convene::server::lmtp
