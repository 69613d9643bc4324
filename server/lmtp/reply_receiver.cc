#include "server/lmtp/reply_receiver.h"

#include <fmt/core.h>
#include <spdlog/spdlog.h>

#include "calendar/ical_reply.h"
#include "server/lmtp/mime.h"
#include "server/ops/replies.h"

namespace convene::server::lmtp {
namespace {

constexpr const char* kUnknown = "550 5.1.1 no such reply address";
constexpr const char* kAccepted = "250 2.1.5 OK";
constexpr const char* kTransient = "451 4.3.0 temporary failure, try again later";

std::string Join(const std::vector<std::string>& reasons) {
  std::string out;
  for (size_t i = 0; i < reasons.size() && i < 5; ++i) out += (i ? "; " : "") + reasons[i];
  if (reasons.size() > 5) out += fmt::format("; and {} more", reasons.size() - 5);
  return out;
}

// The one REPLY of the message: the first calendar part that reads as one (Google sends the
// same object twice: inline and as invite.ics).
Result<calendar::ItipReply> ReadReply(const std::string& message) {
  ASSIGN_OR_RETURN(std::vector<CalendarPart> parts, FindCalendarParts(message));
  if (parts.empty()) return InvalidArgument("message", "no calendar part");
  Status first = Status::Ok();
  for (const CalendarPart& p : parts) {
    if (!p.method.empty() && p.method != "REPLY") {
      if (first.ok()) first = InvalidArgument("message", "a calendar part of another method");
      continue;
    }
    auto reply = calendar::ParseItipReply(p.text);
    if (reply.ok()) return reply;
    if (first.ok()) first = reply.status();
  }
  return first;
}

}  // namespace

std::string ReplyReceiver::Recipient(const std::string& address) {
  const auto token = ReplyTokenOf(address);
  if (!token) {
    spdlog::info("lmtp: RCPT refused: not a reply address");
    return kUnknown;
  }
  const Status st = CheckReplyToken(ops_, *token);
  if (st.ok()) return kAccepted;
  if (st.code() == Code::kNotFound) {
    spdlog::info("lmtp: RCPT refused: unknown or forged reply token");
    return kUnknown;
  }
  spdlog::warn("lmtp: RCPT deferred: {}", st.ToString());
  return kTransient;
}

std::vector<std::string> ReplyReceiver::Deliver(const std::string& /*sender*/,
                                                const std::vector<std::string>& recipients,
                                                const std::string& message) {
  std::vector<std::string> answers;
  const Result<calendar::ItipReply> reply = ReadReply(message);
  for (const std::string& address : recipients) {
    const auto token = ReplyTokenOf(address);
    if (!token) {
      answers.push_back(kUnknown);
      continue;
    }
    if (!reply.ok()) {
      // Say it for each recipient (the token is known good: RCPT checked it).
      spdlog::info("lmtp: reply ignored ({} bytes): {}", message.size(), reply.status().message());
      answers.push_back("250 2.6.0 received, but no usable calendar reply: ignored");
      continue;
    }
    auto outcome = ApplyReply(ops_, *token, *reply);
    if (!outcome.ok()) {
      if (outcome.status().code() == Code::kNotFound) {
        spdlog::info("lmtp: reply refused: the reply address is no longer valid");
        answers.push_back(kUnknown);
      } else {
        spdlog::warn("lmtp: reply deferred: {}", outcome.status().ToString());
        answers.push_back(kTransient);
      }
      continue;
    }
    if (outcome->recorded + outcome->withdrawn > 0) {
      spdlog::info("lmtp: reply applied: apologies sent {} withdrawn {}{}{}", outcome->recorded,
                   outcome->withdrawn,
                   outcome->ignored.empty() ? "" : "; ignored: ", Join(outcome->ignored));
      answers.push_back("250 2.0.0 reply recorded");
    } else {
      spdlog::info("lmtp: reply ignored: {}", outcome->ignored.empty()
                                                  ? std::string("nothing to do")
                                                  : Join(outcome->ignored));
      answers.push_back("250 2.6.0 received, nothing changed");
    }
  }
  return answers;
}

}  // namespace convene::server::lmtp
