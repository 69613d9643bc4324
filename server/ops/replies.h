// Replies from members' calendars (iMIP REPLY, RFC 6047, delivered by the MTA over LMTP:
// docs/api.md "Replies from calendars"): the reply address an invitation names as its ORGANIZER
// and From, and what a reply delivered to it does.
//
// The token in the recipient address is the only authority: it names the member and the meeting
// (0: a whole series) and is signed with the server's link key (secrets.h ReplyToken). No header
// of the message is believed. A reply acts only when its VEVENT is the token's meeting (UID, and
// RECURRENCE-ID for a rule series), its ATTENDEE is the token's member's email, and its SEQUENCE
// is not older than the meeting's. Then PARTSTAT=DECLINED sends apologies (the reason from
// COMMENT), ACCEPTED withdraws them, anything else changes nothing; both through the very
// operations of the apology link (Operations::SendApologies, WithdrawApologies), so the
// organiser is told exactly as for apologies sent online, and a started or cancelled meeting is
// closed as it is there.
//
// Threads: as Operations (any thread; each call opens its own transactions).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "calendar/ical_reply.h"
#include "calendar/model.h"
#include "calendar/status.h"
#include "server/ops/operations.h"

namespace convene::server {

// "reply+<token>@<domain>" for `member` and `meeting_id` (0: a whole-series invitation).
std::string ReplyAddress(const std::string& link_key, const calendar::Member& member,
                         calendar::Id meeting_id, const std::string& domain);

// The token of "reply+<token>@<any domain>" (the local part in any case, angle brackets
// allowed), or nullopt when the address is not of that shape. Says nothing of its validity.
std::optional<std::string> ReplyTokenOf(std::string_view address);

// Whether a RCPT TO token may receive replies: kNotFound (LMTP 550 5.1.1) when it is not the
// valid token of a current member (forged, revoked with the member's links, member removed,
// meeting deleted or of another group). Other errors are transient (LMTP 451).
Status CheckReplyToken(Operations& ops, std::string_view token);

// What one reply did, for the one log line of its delivery.
struct ReplyOutcome {
  int recorded = 0;   // apologies sent
  int withdrawn = 0;  // apologies withdrawn
  std::vector<std::string>
      ignored;  // why each VEVENT or meeting changed nothing (no personal data)
};

// Applies `reply`, delivered to the token's address. kNotFound as CheckReplyToken; any reply
// that cannot be used is Ok with the reasons in `ignored` (the LMTP answer is then 250: the MTA
// must not retry or bounce a reply it delivered to the right place). At most 100 meetings act
// per reply (a whole series declined).
Result<ReplyOutcome> ApplyReply(Operations& ops, std::string_view token,
                                const calendar::ItipReply& reply);

// The apologies' reason from a COMMENT: line breaks kept (as LF), controls, bidi overrides and
// invisible characters dropped or made spaces, trimmed, and cut at a word near 500 characters
// with "…" (what CleanText accepts for a reason); empty when nothing usable is left.
std::string ReasonFromComment(const std::string& comment);

}  // namespace convene::server
