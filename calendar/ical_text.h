// Content lines of RFC 5545 (section 3.1 to 3.3): TEXT escaping, parameter quoting, folding, and
// the validators for URI and CAL-ADDRESS values. The only code that decides how bytes of an
// iCalendar object are laid out; ical.cc builds on it.
//
// Why our own writer rather than libical's serializer: the fold rules of ical-conformance.md F2
// are exact (never inside a UTF-8 sequence, never between `\` and its escaped character, never
// next to a content space), and libical writes URI and CAL-ADDRESS values raw (hardening.md 1.4).
// Nothing here trusts its input: text is cleaned of control characters and invalid UTF-8, and
// values that cannot be escaped (URIs, addresses) are refused rather than written.
//
// Pure functions and a value type; thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace convene::calendar {

// Valid UTF-8 for a TEXT value: invalid sequences become U+FFFD, CRLF and lone CR become LF, and
// every other control character but TAB (C0, DEL) is dropped, as RFC 5545 TSAFE-CHAR allows none.
std::string CleanText(std::string_view s);

// CleanText, then the TEXT escapes of RFC 5545 3.3.11: `\` `;` `,` and newline become `\\` `\;`
// `\,` `\n`. `:` and `"` stay as they are.
std::string EscapeText(std::string_view s);

// A parameter value (e.g. CN): CleanText, RFC 6868 caret encoding (`^` -> `^^`, `"` -> `^'`,
// newline -> `^n`), always in double quotes so `:` `;` `,` need nothing more.
std::string QuoteParam(std::string_view s);

// Splits one logical content line (no line break in it) into physical lines of at most 75
// octets, each ending CRLF; continuation lines start with one SPACE. A fold never splits a UTF-8
// sequence or a `\x` escape pair, and is moved back (by up to 8 characters) so that neither the
// octet before nor the one after it is a SPACE, which readers that trim lines would eat.
std::string FoldLine(std::string_view line);

// An absolute http(s) URL made only of RFC 3986 characters (no CTL, space, `"<>\^`{|}`), at most
// 2,000 octets: safe to write as a URI value and inside TEXT.
bool IsSafeHttpUrl(std::string_view url);

// An address a mailto: URI can carry without percent-encoding: dot-atom local part (no `%/?#`),
// host name labels, at most 254 octets, no CTL or space.
bool IsSafeEmail(std::string_view email);

// Builds an iCalendar object line by line. Every line is folded as it is added.
class ContentWriter {
 public:
  // NAME:value with `value` written as is: only for values made by the caller from digits,
  // fixed keywords or a validated URI. `params` is either empty or starts with ';'.
  void Raw(std::string_view name, std::string_view params, std::string_view value);
  void Raw(std::string_view name, std::string_view value) { Raw(name, {}, value); }
  // NAME:escaped-text.
  void Text(std::string_view name, std::string_view text);
  void Begin(std::string_view component) { Raw("BEGIN", component); }
  void End(std::string_view component) { Raw("END", component); }
  // Appends already folded lines (e.g. another writer's output).
  void Append(const std::string& folded) { out_ += folded; }

  const std::string& str() const { return out_; }
  std::string Take() { return std::move(out_); }

 private:
  std::string out_;
};

}  // namespace convene::calendar
