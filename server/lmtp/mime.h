// Reading a MIME message (RFC 2045-2047) far enough to find its calendar parts: the replies
// members' calendars send back to invitations (Outlook: multipart/alternative with a
// text/calendar part; Google: multipart/mixed holding that and an application/ics attachment;
// Apple: text/calendar alone or in multipart/mixed).
//
// The bytes come from anyone who can send mail. Nothing here trusts a header for anything but
// finding the parts: headers are unfolded and read only for Content-Type and
// Content-Transfer-Encoding. Bounded: the number of parts, the nesting and the header size are
// limited, and anything malformed is an InvalidArgument saying what (for one log line). Bodies
// are decoded (base64, quoted-printable, 7bit/8bit/binary) and converted to UTF-8 from the few
// charsets calendars use (UTF-8, US-ASCII, ISO-8859-1, Windows-1252); any other charset is
// refused rather than guessed.
//
// Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "calendar/status.h"

namespace convene::server::lmtp {

struct MimeLimits {
  size_t max_parts = 64;                   // every part, at any depth
  int max_depth = 5;                       // multipart inside multipart
  size_t max_header_bytes = 64 * 1024;     // one header block
  size_t max_calendar_bytes = 256 * 1024;  // one decoded calendar part
};

struct CalendarPart {
  std::string content_type;  // text/calendar | application/ics (lower-case)
  std::string method;        // the Content-Type's method= parameter, upper-case; may be empty
  std::string text;          // the decoded body, UTF-8
};

// Every calendar part of `message` (a whole RFC 5322 message, CRLF or LF line ends), in the
// order they appear; message/rfc822 parts (a forwarded mail) are not entered. An empty list when
// the message has none. InvalidArgument when the message or a calendar part cannot be read
// (no header/body separator, a multipart without a usable boundary, too many parts or too deep,
// an unknown transfer encoding or charset, a calendar part that is not valid text in its
// charset).
Result<std::vector<CalendarPart>> FindCalendarParts(std::string_view message,
                                                    const MimeLimits& limits = {});

// Exposed for tests.
std::string DecodeBase64(std::string_view text);           // non-alphabet characters skipped
std::string DecodeQuotedPrintable(std::string_view text);  // bad escapes kept as they are
// `bytes` in `charset` (any case; empty means US-ASCII) as UTF-8; InvalidArgument for a charset
// not listed above or bytes that are not valid in it.
Result<std::string> ToUtf8(std::string_view bytes, std::string_view charset);

}  // namespace convene::server::lmtp
