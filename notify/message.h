// Message: one email as the notices compose it, before it becomes RFC 5322 bytes.
//
// Plain values: every field may hold hostile text (organisers type names, titles and venues);
// SerializeRfc5322 (notify/rfc5322.h) is the one place that makes them safe for a header.
// Copy freely between threads.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace convene::notify {

struct Address {
  std::string name;   // display name, any UTF-8 (sanitised and encoded on output)
  std::string email;  // addr-spec; must pass calendar::CleanEmail, or serialisation fails
};

// The iMIP part of an invitation (RFC 6047): VCALENDAR bytes rendered by calendar/ical.h
// (RenderInvitation) and the METHOD they carry. The bytes must hold exactly one
// `METHOD:<method>` line (M1); they are sent base64-encoded, so CRLF and UTF-8 survive (M4).
struct CalendarPart {
  std::string method;  // REQUEST | CANCEL
  std::string ical;
};

struct Message {
  // The sender. With an iMIP part whose ORGANIZER is another address (replies read by convene:
  // "reply+<token>@<reply domain>", server/ops/replies.h), SerializeRfc5322 writes that address
  // as From, keeping this display name, since From must equal the ORGANIZER (RFC 6047 2.2, M9),
  // and this address becomes Reply-To (unless reply_to is set), for replies written by hand.
  Address from;
  Address to;
  // Reply-To; an empty email: none (or `from`, as above).
  Address reply_to;
  std::string subject;     // one line of UTF-8; folded and RFC 2047-encoded on output
  std::string message_id;  // "<random@domain>", set once when queued and reused on every retry
  int64_t date = 0;        // Unix seconds for the Date header (the injected clock)
  std::string text;        // UTF-8 body; LF or CRLF line ends, both become CRLF
  std::optional<CalendarPart> calendar;  // present: multipart/alternative, text first (M2)
  // RFC 8058 one-click unsubscribe (member notices): `{base_url}/unsubscribe/{token}`. Empty:
  // no List-Unsubscribe headers.
  std::string unsubscribe_url;
};

}  // namespace convene::notify
