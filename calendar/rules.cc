#include "calendar/rules.h"

#include <cctype>
#include <cstdint>
#include <cstdio>

#include "calendar/holidays.h"

namespace convene::calendar {

bool IsValidUtf8(const std::string& s) {
  size_t i = 0, n = s.size();
  while (i < n) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    int len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (len == 0 || i + len > n) return false;
    unsigned cp = len == 1 ? c : c & (0x7f >> len);
    for (int k = 1; k < len; ++k) {
      unsigned char cc = static_cast<unsigned char>(s[i + k]);
      if ((cc >> 6) != 2) return false;
      cp = (cp << 6) | (cc & 0x3f);
    }
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
      return false;
    i += len;
  }
  return true;
}

namespace {
size_t CodePoints(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s)
    if ((c >> 6) != 2) ++n;
  return n;
}
}  // namespace

size_t NextCodePoint(const std::string& s, size_t i, uint32_t* cp) {
  const unsigned char c = static_cast<unsigned char>(s[i]);
  const size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : 4;
  uint32_t v = len == 1 ? c : c & (0x7f >> len);
  for (size_t k = 1; k < len; ++k) v = (v << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3f);
  *cp = v;
  return len;
}

void AppendUtf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

namespace {

// Characters that change how text around them is read without being seen (issue 8): C0 and C1
// controls (NEL, U+0085, ends a line for some readers), DEL, the bidirectional embeddings,
// overrides and isolates (U+202A..U+202E, U+2066..U+2069: "Trojan Source" reordering), and the
// invisible U+200B, U+2060 and U+FEFF. Joiners (U+200C/U+200D) and the marks U+200E/U+200F stay:
// Persian, Indic scripts, emoji and right-to-left names need them.
bool Invisible(uint32_t cp) {
  return cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f) || (cp >= 0x202a && cp <= 0x202e) ||
         (cp >= 0x2066 && cp <= 0x2069) || cp == 0x200b || cp == 0x2060 || cp == 0xfeff;
}

std::string CodePointName(uint32_t cp) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "U+%04X", cp);
  return buf;
}

}  // namespace

Result<std::string> CleanText(const std::string& value, const std::string& field, size_t max_len,
                              bool required, bool multiline) {
  if (!IsValidUtf8(value)) return InvalidArgument(field, field + " must be valid UTF-8 text");
  std::string out;
  out.reserve(value.size());
  size_t chars = 0;
  for (size_t i = 0; i < value.size();) {
    uint32_t cp = 0;
    const size_t len = NextCodePoint(value, i, &cp);
    ++chars;
    if (multiline && (cp == '\r' || cp == '\n' || cp == 0x2028 || cp == 0x2029)) {
      // Every kind of line break becomes LF; CRLF is one break.
      if (cp == '\r' && i + 1 < value.size() && value[i + 1] == '\n') ++i;
      out += '\n';
      i += len;
      continue;
    }
    if (multiline && cp == '\t') {  // pasted text: a tab is a space
      out += ' ';
      i += len;
      continue;
    }
    if (cp == '\r' || cp == '\n' || cp == 0x2028 || cp == 0x2029)
      return InvalidArgument(field, field + " must be one line (it holds a line break)");
    if (Invisible(cp))
      return InvalidArgument(field, field + " holds an invisible or control character (" +
                                        CodePointName(cp) + ", character " + std::to_string(chars) +
                                        "): remove it");
    out.append(value, i, len);
    i += len;
  }
  size_t b = out.find_first_not_of(" \n");
  size_t e = out.find_last_not_of(" \n");
  out = b == std::string::npos ? std::string() : out.substr(b, e - b + 1);
  if (required && out.empty()) return InvalidArgument(field, field + " is required");
  if (CodePoints(out) > max_len)
    return InvalidArgument(field,
                           field + " must be at most " + std::to_string(max_len) + " characters");
  return out;
}

std::string LowerAscii(std::string s) {
  for (char& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

Result<std::string> CleanEmail(const std::string& value, const std::string& field) {
  const std::string bad = field + " must be an email address like name@example.org";
  if (value.size() < 3 || value.size() > 254) return InvalidArgument(field, bad);
  auto at = value.rfind('@');
  if (at == std::string::npos || at == 0 || at + 1 == value.size() || at > 64)
    return InvalidArgument(field, bad);
  for (size_t i = 0; i < value.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(value[i]);
    if (c <= 0x20 || c >= 0x7f) return InvalidArgument(field, bad);
    if (std::string_view("\"(),:;<>[\\]`").find(static_cast<char>(c)) != std::string_view::npos)
      return InvalidArgument(field, bad);
    if (c == '@' && i != at) return InvalidArgument(field, bad);
  }
  std::string domain = value.substr(at + 1);
  if (domain.find('.') == std::string::npos || domain.front() == '.' || domain.back() == '.' ||
      domain.find("..") != std::string::npos || value[0] == '.' || value[at - 1] == '.')
    return InvalidArgument(field, bad);
  for (char& c : domain) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.'))
      return InvalidArgument(field, bad);
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return value.substr(0, at + 1) + domain;
}

Status ValidateSlug(const std::string& slug) {
  const std::string msg = "slug must be 2 to 40 of a-z, 0-9 and -, starting with a letter or digit";
  if (slug.size() < 2 || slug.size() > 40 || slug[0] == '-') return InvalidArgument("slug", msg);
  for (char c : slug)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
      return InvalidArgument("slug", msg);
  return Status::Ok();
}

std::optional<Busy> FindClash(int64_t start_utc, int64_t end_utc, const std::vector<Busy>& others,
                              Id self_id) {
  for (const Busy& b : others) {
    if (b.meeting_id == self_id) continue;
    if (start_utc < b.end_utc && b.start_utc < end_utc) return b;
  }
  return std::nullopt;
}

std::optional<std::string> EnglandBankHoliday(const CivilDate& d) {
  return BankHoliday(HolidayRegion::kEnglandAndWales, d);
}

QuorumForecast ForecastQuorum(int members, int apologies, std::optional<int> quorum) {
  QuorumForecast f;
  f.members = members;
  f.apologies = apologies;
  f.expected = members - apologies;
  f.required = quorum;
  return f;
}

}  // namespace convene::calendar
