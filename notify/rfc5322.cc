#include "notify/rfc5322.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <vector>

#include "calendar/civil.h"
#include "calendar/rules.h"

namespace convene::notify {
namespace {

constexpr size_t kFoldAt = 78;            // RFC 5322 2.1.1 SHOULD
constexpr size_t kMaxLine = 998;          // RFC 5322 2.1.1 MUST
constexpr size_t kMaxEncodedWord = 75;    // RFC 2047 2
constexpr size_t kMaxSubjectChars = 250;  // longer subjects help nobody; the body says it all

// Decodes one code point at s[i]; returns it and advances i. Invalid sequences give U+FFFD and
// advance one byte.
char32_t NextCodePoint(std::string_view s, size_t& i) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  if (b0 < 0x80) {
    ++i;
    return b0;
  }
  int len = 0;
  char32_t cp = 0;
  if ((b0 & 0xE0) == 0xC0) {
    len = 2;
    cp = b0 & 0x1F;
  } else if ((b0 & 0xF0) == 0xE0) {
    len = 3;
    cp = b0 & 0x0F;
  } else if ((b0 & 0xF8) == 0xF0) {
    len = 4;
    cp = b0 & 0x07;
  } else {
    ++i;
    return 0xFFFD;
  }
  if (i + len > s.size()) {
    ++i;
    return 0xFFFD;
  }
  for (int k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xC0) != 0x80) {
      ++i;
      return 0xFFFD;
    }
    cp = (cp << 6) | (b & 0x3F);
  }
  static constexpr char32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
    ++i;
    return 0xFFFD;
  }
  i += len;
  return cp;
}


bool IsLineBreakOrControl(char32_t cp) {
  return cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F) || cp == 0x2028 || cp == 0x2029;
}

bool IsPrintableAscii(std::string_view s) {
  for (char c : s) {
    if (c < 0x20 || c > 0x7E) return false;
  }
  return true;
}

// Code points, truncated to `max_chars` (with "..." when cut).
std::string Truncate(const std::string& s, size_t max_chars) {
  size_t i = 0, n = 0;
  while (i < s.size() && n < max_chars) {
    NextCodePoint(s, i);
    ++n;
  }
  if (i >= s.size()) return s;
  return s.substr(0, i) + "...";
}

const char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string Base64(std::string_view in) {
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t v = (static_cast<unsigned char>(in[i]) << 16) |
                 (static_cast<unsigned char>(in[i + 1]) << 8) |
                 static_cast<unsigned char>(in[i + 2]);
    out += kB64[(v >> 18) & 63];
    out += kB64[(v >> 12) & 63];
    out += kB64[(v >> 6) & 63];
    out += kB64[v & 63];
  }
  if (i + 1 == in.size()) {
    uint32_t v = static_cast<unsigned char>(in[i]) << 16;
    out += kB64[(v >> 18) & 63];
    out += kB64[(v >> 12) & 63];
    out += "==";
  } else if (i + 2 == in.size()) {
    uint32_t v =
        (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8);
    out += kB64[(v >> 18) & 63];
    out += kB64[(v >> 12) & 63];
    out += kB64[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

// True when the text needs no encoding inside a quoted-string or unstructured field.
bool PlainAsciiOk(std::string_view s) {
  return IsPrintableAscii(s) && s.find("=?") == std::string_view::npos;
}

// Folds `prefix` + space-separated `words` into lines of at most kFoldAt where possible.
std::string FoldWords(std::string_view prefix, const std::vector<std::string>& words) {
  std::string out(prefix);
  size_t line_len = out.size();
  bool first = true;
  for (const std::string& w : words) {
    if (!first && line_len + 1 + w.size() > kFoldAt) {
      out += "\r\n ";
      line_len = 1;
    } else if (!first) {
      out += ' ';
      ++line_len;
    } else {
      out += ' ';
      ++line_len;
    }
    out += w;
    line_len += w.size();
    first = false;
  }
  out += "\r\n";
  return out;
}

std::vector<std::string> SplitSpaces(std::string_view s) {
  std::vector<std::string> words;
  size_t i = 0;
  while (i < s.size()) {
    size_t j = s.find(' ', i);
    if (j == std::string_view::npos) j = s.size();
    if (j > i) words.emplace_back(s.substr(i, j - i));
    i = j + 1;
  }
  return words;
}

// `first_line_used`: columns already taken on the first line ("Subject: "), so that the first
// line stays within the 76 characters RFC 2047 allows for lines holding encoded-words.
std::vector<std::string> EncodedWordList(std::string_view utf8, size_t first_line_used = 1) {
  std::vector<std::string> words;
  size_t i = 0;
  while (i < utf8.size()) {
    // 75 - len("=?UTF-8?B?") - len("?=") = 63 base64 characters: 15 quanta = 45 octets.
    size_t budget = kMaxEncodedWord;
    if (words.empty() && first_line_used + budget > 76) budget = 76 - first_line_used;
    const size_t max_octets = std::max<size_t>(3, (budget - 12) / 4 * 3);
    size_t start = i, end = i;
    while (end < utf8.size()) {
      size_t next = end;
      NextCodePoint(utf8, next);
      if (next - start > max_octets && end > start) break;
      end = next;
    }
    words.push_back("=?UTF-8?B?" + Base64(utf8.substr(start, end - start)) + "?=");
    i = end;
  }
  return words;
}

bool ValidMessageId(std::string_view id) {
  if (id.size() < 5 || id.size() > 250 || id.front() != '<' || id.back() != '>') return false;
  std::string_view inner = id.substr(1, id.size() - 2);
  size_t at = inner.find('@');
  if (at == 0 || at == std::string_view::npos || at + 1 == inner.size()) return false;
  for (char c : inner) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_' ||
          c == '@' || c == '+'))
      return false;
  }
  return inner.find('@', at + 1) == std::string_view::npos;
}

bool ValidHeaderUrl(std::string_view url) {
  if (url.size() > 900) return false;
  if (url.rfind("https://", 0) != 0 && url.rfind("http://", 0) != 0) return false;
  for (char c : url) {
    if (c <= 0x20 || c > 0x7E || c == '<' || c == '>' || c == '"' || c == '\\') return false;
  }
  return true;
}

std::string Crlf(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 32);
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\r') {
      out += "\r\n";
      if (i + 1 < text.size() && text[i + 1] == '\n') ++i;
    } else if (text[i] == '\n') {
      out += "\r\n";
    } else {
      out += text[i];
    }
  }
  return out;
}

Status CheckCalendar(const CalendarPart& part) {
  const auto bad = [](std::string m) { return InvalidArgument("calendar", std::move(m)); };
  if (part.method.empty() || part.method.size() > 20) return bad("missing METHOD");
  for (char c : part.method) {
    if (c < 'A' || c > 'Z') return bad("METHOD must be upper-case letters");
  }
  if (!calendar::IsValidUtf8(part.ical)) return bad("calendar part is not UTF-8");
  if (part.ical.rfind("BEGIN:VCALENDAR\r\n", 0) != 0) return bad("not a VCALENDAR");
  if (part.ical.size() < 2 || part.ical.compare(part.ical.size() - 2, 2, "\r\n") != 0)
    return bad("calendar part must end with CRLF");
  int methods = 0;
  size_t pos = 0;
  while (pos < part.ical.size()) {
    size_t eol = part.ical.find("\r\n", pos);
    if (eol == std::string::npos) return bad("calendar part has a line without CRLF");
    std::string_view line(part.ical.data() + pos, eol - pos);
    if (line.find('\r') != std::string_view::npos || line.find('\n') != std::string_view::npos)
      return bad("calendar part has a bare CR or LF");
    if (line.rfind("METHOD", 0) == 0 && line.size() > 6 && (line[6] == ':' || line[6] == ';')) {
      ++methods;
      if (line != "METHOD:" + part.method) return bad("METHOD in the body differs from the part");
    }
    pos = eol + 2;
  }
  if (methods != 1) return bad("calendar part needs exactly one METHOD");
  return Status::Ok();
}

// The mailto: address of the (first) ORGANIZER line of a checked calendar part, unfolded;
// empty when there is none.
std::string OrganizerAddress(const std::string& ical) {
  size_t pos = 0;
  while (pos < ical.size()) {
    size_t eol = ical.find("\r\n", pos);
    if (eol == std::string::npos) break;
    std::string line = ical.substr(pos, eol - pos);
    pos = eol + 2;
    while (pos < ical.size() && ical[pos] == ' ') {  // a folded continuation
      eol = ical.find("\r\n", pos);
      if (eol == std::string::npos) eol = ical.size();
      line += ical.substr(pos + 1, eol - pos - 1);
      pos = eol + 2;
    }
    if (line.rfind("ORGANIZER", 0) != 0 || line.size() < 10 || (line[9] != ':' && line[9] != ';'))
      continue;
    // The value follows the first ':' outside a quoted parameter value.
    bool quoted = false;
    for (size_t i = 9; i < line.size(); ++i) {
      if (line[i] == '"') quoted = !quoted;
      if (line[i] == ':' && !quoted) {
        std::string value = line.substr(i + 1);
        if (value.size() > 7 && calendar::LowerAscii(value.substr(0, 7)) == "mailto:")
          return value.substr(7);
        return "";
      }
    }
    return "";
  }
  return "";
}

}  // namespace

std::string SanitizeHeaderText(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  bool pending_space = false;
  size_t i = 0;
  while (i < text.size()) {
    char32_t cp = NextCodePoint(text, i);
    if (IsLineBreakOrControl(cp) || cp == ' ' || cp == 0xA0 || cp == 0xFEFF) {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out += ' ';
    pending_space = false;
    calendar::AppendUtf8(out, cp);
  }
  return out;
}

std::string EncodeWords(std::string_view utf8) {
  std::string out;
  for (const std::string& w : EncodedWordList(utf8)) {
    if (!out.empty()) out += "\r\n ";
    out += w;
  }
  return out;
}

std::string UnstructuredHeader(std::string_view name, std::string_view value) {
  const std::string clean = Truncate(SanitizeHeaderText(value), kMaxSubjectChars);
  std::string prefix = std::string(name) + ":";
  std::vector<std::string> words = SplitSpaces(clean);
  bool plain = PlainAsciiOk(clean);
  for (const std::string& w : words) {
    if (w.size() + 1 > kFoldAt - prefix.size()) plain = false;  // a word that cannot fold
  }
  if (plain) return FoldWords(prefix, words);
  // Encoded-words: one fold between words; white space between adjacent encoded-words is
  // ignored by readers (RFC 2047 6.2), so the spaces travel inside the encoded text.
  return FoldWords(prefix, EncodedWordList(clean, prefix.size() + 1));
}

Result<std::string> FormatAddress(const Address& address) {
  auto email = calendar::CleanEmail(address.email, "email");
  if (!email.ok()) return email.status();
  const std::string angle = "<" + *email + ">";
  const std::string name = Truncate(SanitizeHeaderText(address.name), 120);
  if (name.empty()) return angle;
  constexpr size_t kPrefix = 6;  // "From: "; "To: " is shorter
  std::string phrase;
  if (PlainAsciiOk(name)) {
    phrase = "\"";
    for (char c : name) {
      if (c == '"' || c == '\\') phrase += '\\';
      phrase += c;
    }
    phrase += '"';
  }
  if (phrase.empty() || kPrefix + phrase.size() > kFoldAt) {
    // Non-ASCII, or too long for one line: encoded-words, which fold between words.
    phrase.clear();
    for (const std::string& w : EncodedWordList(name, kPrefix)) {
      if (!phrase.empty()) phrase += "\r\n ";
      phrase += w;
    }
  }
  const size_t nl = phrase.rfind('\n');
  const size_t last_len =
      nl == std::string::npos ? kPrefix + phrase.size() : phrase.size() - nl - 1;
  const bool fits = last_len + 1 + angle.size() <= kFoldAt;
  return phrase + (fits ? " " : "\r\n ") + angle;
}

std::string FormatRfc5322Date(int64_t t) {
  static const char* kDays[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
  static const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  int64_t days = t >= 0 ? t / 86400 : (t - 86399) / 86400;
  int64_t secs = t - days * 86400;
  calendar::CivilDate d = calendar::CivilFromDays(days);
  char buf[64];
  snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d +0000", kDays[calendar::Weekday(d)],
           d.day, kMonths[d.month - 1], d.year, static_cast<int>(secs / 3600),
           static_cast<int>(secs / 60 % 60), static_cast<int>(secs % 60));
  return buf;
}

std::string QuotedPrintable(std::string_view text) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  const std::string crlf = Crlf(text);
  size_t pos = 0;
  while (pos <= crlf.size()) {
    size_t eol = crlf.find("\r\n", pos);
    const bool last = eol == std::string::npos;
    if (last) eol = crlf.size();
    std::string_view line(crlf.data() + pos, eol - pos);
    size_t col = 0;
    for (size_t i = 0; i < line.size(); ++i) {
      const auto c = static_cast<unsigned char>(line[i]);
      if ((c < 0x20 && c != '\t') || c == 0x7F) continue;  // controls never reach the body
      std::string token;
      const bool at_end = i + 1 == line.size();
      if ((c >= 33 && c <= 126 && c != '=') || ((c == ' ' || c == '\t') && !at_end)) {
        token = static_cast<char>(c);
      } else {
        token = {'=', kHex[c >> 4], kHex[c & 15]};
      }
      // Keep room for a soft break "=" within 76 characters.
      if (col + token.size() > 75) {
        out += "=\r\n";
        col = 0;
      }
      out += token;
      col += token.size();
    }
    if (last) break;
    out += "\r\n";
    pos = eol + 2;
  }
  if (out.size() < 2 || out.compare(out.size() - 2, 2, "\r\n") != 0) out += "\r\n";
  return out;
}

std::string Base64Lines(std::string_view bytes) {
  const std::string b = Base64(bytes);
  std::string out;
  for (size_t i = 0; i < b.size(); i += 76) {
    out += b.substr(i, 76);
    out += "\r\n";
  }
  return out;
}

std::string DomainOf(std::string_view email) {
  size_t at = email.rfind('@');
  if (at == std::string_view::npos) return {};
  std::string d(email.substr(at + 1));
  for (char& c : d) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return d;
}

Result<std::string> SerializeRfc5322(const Message& m) {
  if (m.calendar) RETURN_IF_ERROR(CheckCalendar(*m.calendar));
  // RFC 6047 2.2 (M9): the From of an iMIP message is its ORGANIZER. When that is another
  // address than the sender's (the reply address of --lmtp), it is the From, and the sender's
  // own address the Reply-To.
  Address from_address = m.from;
  Address reply_to = m.reply_to;
  if (m.calendar) {
    const std::string organizer = OrganizerAddress(m.calendar->ical);
    if (!organizer.empty() &&
        calendar::LowerAscii(organizer) != calendar::LowerAscii(m.from.email)) {
      if (reply_to.email.empty()) reply_to = m.from;
      from_address.email = organizer;
    }
  }
  ASSIGN_OR_RETURN(std::string from, FormatAddress(from_address));
  ASSIGN_OR_RETURN(std::string to, FormatAddress(m.to));
  std::string reply;
  if (!reply_to.email.empty()) {
    ASSIGN_OR_RETURN(reply, FormatAddress(reply_to));
  }
  if (!ValidMessageId(m.message_id)) return InvalidArgument("message_id", "bad Message-ID");
  if (!m.unsubscribe_url.empty() && !ValidHeaderUrl(m.unsubscribe_url))
    return InvalidArgument("unsubscribe_url", "unusable unsubscribe URL");

  std::string out;
  out += "Date: " + FormatRfc5322Date(m.date) + "\r\n";
  out += "From: " + from + "\r\n";
  if (!reply.empty()) out += "Reply-To: " + reply + "\r\n";
  out += "To: " + to + "\r\n";
  out += UnstructuredHeader("Subject", m.subject);
  out += "Message-ID: " + m.message_id + "\r\n";
  out += "MIME-Version: 1.0\r\n";
  // RFC 3834: no vacation auto-replies to the organiser for every notice.
  out += "Auto-Submitted: auto-generated\r\n";
  if (!m.unsubscribe_url.empty()) {
    out += "List-Unsubscribe: <" + m.unsubscribe_url + ">\r\n";
    out += "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n";
  }
  const std::string text = QuotedPrintable(m.text);
  if (!m.calendar) {
    out += "Content-Type: text/plain; charset=UTF-8\r\n";
    out += "Content-Transfer-Encoding: quoted-printable\r\n\r\n";
    out += text;
  } else {
    // "=_" cannot occur in quoted-printable or base64 content, so the boundary is safe.
    const std::string inner = m.message_id.substr(1, m.message_id.find('@') - 1);
    const std::string boundary = "=_convene_" + inner.substr(0, 40);
    out += "Content-Type: multipart/alternative;\r\n boundary=\"" + boundary + "\"\r\n\r\n";
    out += "This is a multi-part message in MIME format.\r\n";
    out += "--" + boundary + "\r\n";
    out += "Content-Type: text/plain; charset=UTF-8\r\n";
    out += "Content-Transfer-Encoding: quoted-printable\r\n\r\n";
    out += text;
    out += "--" + boundary + "\r\n";
    out += "Content-Type: text/calendar; method=" + m.calendar->method + "; charset=UTF-8\r\n";
    out += "Content-Transfer-Encoding: base64\r\n\r\n";
    out += Base64Lines(m.calendar->ical);
    out += "--" + boundary + "--\r\n";
  }
  // The guarantees above, checked once more on the bytes themselves: a bug here must not become
  // a malformed or smuggled message on the wire.
  size_t line_start = 0;
  for (size_t i = 0; i < out.size(); ++i) {
    if (out[i] == '\0') return Internal("NUL in serialised message");
    if (out[i] == '\n' && (i == 0 || out[i - 1] != '\r')) return Internal("bare LF in message");
    if (out[i] == '\r' && (i + 1 == out.size() || out[i + 1] != '\n'))
      return Internal("bare CR in message");
    if (out[i] == '\n') {
      if (i - 1 - line_start > kMaxLine) return Internal("line over 998 octets");
      line_start = i + 1;
    }
  }
  return out;
}

}  // namespace convene::notify
