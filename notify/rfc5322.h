// RFC 5322 / MIME serialisation of a Message: the only code that writes mail header bytes.
//
// Every header is built from sanitised parts, never by concatenating raw input (CWE-93,
// hardening.md 1.6): CR, LF, NUL, other C0/C1 controls, DEL and U+2028/U+2029 never reach a
// header; non-ASCII text becomes RFC 2047 encoded-words of at most 75 characters; every line ends
// CRLF and is at most 998 octets (headers are folded near 78). Bodies are quoted-printable
// (text) and base64 (text/calendar), so no body line can be a bare LF, exceed 76 characters, or
// lose its CRLF. Dot-stuffing is NOT done here: it belongs to the SMTP transport (libcurl does
// it on upload), and the spool writes these exact bytes.
//
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "calendar/status.h"
#include "notify/message.h"

namespace convene::notify {

// The header-safe form of free text: invalid UTF-8 becomes U+FFFD; controls (C0 incl. TAB, CR,
// LF and NUL; DEL; C1 incl. NEL) and U+2028/U+2029 become spaces; runs of white space collapse to
// one; leading and trailing spaces go.
std::string SanitizeHeaderText(std::string_view text);

// RFC 2047 "B" encoded-words (UTF-8) for `text`, each at most 75 characters and never splitting a
// UTF-8 sequence, joined by CRLF SP (a fold).
std::string EncodeWords(std::string_view utf8);

// One whole header field, folded, ending CRLF: "Subject: ...\r\n". `value` is sanitised first.
// Printable ASCII that folds within 78 columns stays as is; anything else is encoded-words.
std::string UnstructuredHeader(std::string_view name, std::string_view value);

// "Display Name <local@domain>" (quoted-string or encoded-words as needed), or "<local@domain>".
// Fails (InvalidArgument, field "email") when the address is not a plain ASCII addr-spec.
Result<std::string> FormatAddress(const Address& address);

// Date header value: "Mon, 12 Jul 2010 09:30:00 +0000".
std::string FormatRfc5322Date(int64_t unix_seconds);

// Quoted-printable (RFC 2045 6.7) of UTF-8 text; line ends become hard CRLF breaks; lines at
// most 76 characters; NUL and other controls except TAB are dropped.
std::string QuotedPrintable(std::string_view text);
// Base64 in lines of 76 characters, each ending CRLF.
std::string Base64Lines(std::string_view bytes);

// The domain of an addr-spec ("example.org" for "a@example.org"), lower-cased; empty if none.
std::string DomainOf(std::string_view email);

// The message as bytes ready for SMTP DATA (before dot-stuffing) or a .eml file. Fails with
// InvalidArgument when an address, the Message-ID, the unsubscribe URL or the calendar part is
// unusable; never emits an unsafe header.
Result<std::string> SerializeRfc5322(const Message& message);

}  // namespace convene::notify
