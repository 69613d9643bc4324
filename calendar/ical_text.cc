#include "calendar/ical_text.h"

#include <cctype>
#include <cstdint>
#include <string>
#include <vector>

namespace convene::calendar {
namespace {

constexpr size_t kMaxOctets = 75;
constexpr int kMaxBackoff = 8;

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// Decodes one UTF-8 sequence at s[i]; returns its length, or 0 when it is not well-formed
// (overlong forms, surrogates and values above U+10FFFF included).
size_t DecodeUtf8(std::string_view s, size_t i, uint32_t* cp) {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = b(i);
  if (c < 0x80) {
    *cp = c;
    return 1;
  }
  size_t len;
  uint32_t v, min;
  if ((c & 0xE0) == 0xC0) {
    len = 2, v = c & 0x1F, min = 0x80;
  } else if ((c & 0xF0) == 0xE0) {
    len = 3, v = c & 0x0F, min = 0x800;
  } else if ((c & 0xF8) == 0xF0) {
    len = 4, v = c & 0x07, min = 0x10000;
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  for (size_t k = 1; k < len; ++k) {
    if ((b(i + k) & 0xC0) != 0x80) return 0;
    v = (v << 6) | (b(i + k) & 0x3F);
  }
  if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return 0;
  *cp = v;
  return len;
}

// Length of the unit starting at line[i] that a fold may not split: an escape pair `\x` or one
// UTF-8 sequence.
size_t AtomLength(std::string_view line, size_t i) {
  if (line[i] == '\\' && i + 1 < line.size()) {
    uint32_t cp;
    const size_t n = DecodeUtf8(line, i + 1, &cp);
    return 1 + (n == 0 ? 1 : n);
  }
  uint32_t cp;
  const size_t n = DecodeUtf8(line, i, &cp);
  return n == 0 ? 1 : n;
}

}  // namespace

std::string CleanText(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    uint32_t cp = 0;
    const size_t n = DecodeUtf8(s, i, &cp);
    if (n == 0) {
      AppendUtf8(0xFFFD, &out);
      ++i;
      continue;
    }
    i += n;
    if (cp == '\r') {
      out.push_back('\n');
      if (i < s.size() && s[i] == '\n') ++i;
    } else if (cp == '\n' || cp == '\t') {
      out.push_back(static_cast<char>(cp));
    } else if (cp == 0x85 || cp == 0x2028 || cp == 0x2029) {
      // NEL and the Unicode separators end lines for some readers: keep them as the escaped
      // line break they stand for, never raw (issue 8; input refuses them in one-line fields).
      out.push_back('\n');
    } else if (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F) ||
               (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069)) {
      // Dropped: no control character or bidi override is allowed in a TEXT value.
    } else {
      AppendUtf8(cp, &out);
    }
  }
  return out;
}

std::string EscapeText(std::string_view s) {
  const std::string clean = CleanText(s);
  std::string out;
  out.reserve(clean.size() + clean.size() / 8);
  for (char c : clean) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case ';':
        out += "\\;";
        break;
      case ',':
        out += "\\,";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

std::string QuoteParam(std::string_view s) {
  const std::string clean = CleanText(s);
  std::string out = "\"";
  for (char c : clean) {
    switch (c) {
      case '^':
        out += "^^";
        break;
      case '"':
        out += "^'";
        break;
      case '\n':
        out += "^n";
        break;
      case '\t':
        out.push_back(' ');
        break;  // RFC 5545 QSAFE-CHAR has no CTL at all
      default:
        out.push_back(c);
    }
  }
  out.push_back('"');
  return out;
}

std::string FoldLine(std::string_view line) {
  std::string out;
  out.reserve(line.size() + line.size() / 35 + 2);
  size_t pos = 0;
  size_t limit = kMaxOctets;  // continuation lines: one SPACE + 74 octets
  while (line.size() - pos > limit) {
    std::vector<size_t> cuts;  // atom boundaries within the limit, ascending
    for (size_t i = pos; i < line.size();) {
      const size_t next = i + AtomLength(line, i);
      if (next - pos > limit) break;
      cuts.push_back(next);
      i = next;
    }
    size_t cut = cuts.empty() ? pos + limit : cuts.back();
    for (int k = static_cast<int>(cuts.size()) - 1, tried = 0; k >= 0 && tried <= kMaxBackoff;
         --k, ++tried) {
      const size_t c = cuts[k];
      if (c > pos && line[c - 1] != ' ' && line[c] != ' ') {
        cut = c;
        break;
      }
    }
    out.append(line.substr(pos, cut - pos));
    out.append("\r\n ");
    pos = cut;
    limit = kMaxOctets - 1;
  }
  out.append(line.substr(pos));
  out.append("\r\n");
  return out;
}

bool IsSafeHttpUrl(std::string_view url) {
  if (url.size() > 2000) return false;
  size_t rest;
  if (url.rfind("https://", 0) == 0) {
    rest = 8;
  } else if (url.rfind("http://", 0) == 0) {
    rest = 7;
  } else {
    return false;
  }
  if (url.size() == rest) return false;
  static constexpr std::string_view kAllowed =
      "-._~:/?#[]@!$&'()*+,;=%";  // RFC 3986 unreserved, reserved and pct-encoded
  for (char ch : url) {
    const unsigned char c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) && c < 0x80) continue;
    if (kAllowed.find(ch) == std::string_view::npos) return false;
  }
  return true;
}

bool IsSafeEmail(std::string_view email) {
  if (email.empty() || email.size() > 254) return false;
  const size_t at = email.find('@');
  if (at == std::string_view::npos || at == 0 || at > 64 ||
      email.find('@', at + 1) != std::string_view::npos)
    return false;
  const std::string_view local = email.substr(0, at), domain = email.substr(at + 1);
  static constexpr std::string_view kAtext = "!$&'*+=^_`{|}~-";  // atext without %/?#
  char prev = '.';
  for (char ch : local) {
    const unsigned char c = static_cast<unsigned char>(ch);
    if (ch == '.') {
      if (prev == '.') return false;  // no leading or double dot
    } else if (!((std::isalnum(c) && c < 0x80) || kAtext.find(ch) != std::string_view::npos)) {
      return false;
    }
    prev = ch;
  }
  if (prev == '.') return false;
  if (domain.empty() || domain.size() > 253) return false;
  size_t label = 0;
  prev = '.';
  for (char ch : domain) {
    const unsigned char c = static_cast<unsigned char>(ch);
    if (ch == '.') {
      if (label == 0 || prev == '-') return false;
      label = 0;
    } else if ((std::isalnum(c) && c < 0x80) || ch == '-') {
      if (label == 0 && ch == '-') return false;
      if (++label > 63) return false;
    } else {
      return false;
    }
    prev = ch;
  }
  return label > 0 && prev != '-';
}

void ContentWriter::Raw(std::string_view name, std::string_view params, std::string_view value) {
  std::string line;
  line.reserve(name.size() + params.size() + value.size() + 1);
  line.append(name).append(params).push_back(':');
  line.append(value);
  // Belt and braces: callers promise a value without line breaks; a CTL that slipped through
  // would start a new property (a VALARM, say), so it is dropped here whatever the caller did.
  std::erase_if(line, [](char ch) {
    const unsigned char c = static_cast<unsigned char>(ch);
    return (c < 0x20 && c != '\t') || c == 0x7F;
  });
  out_ += FoldLine(line);
}

void ContentWriter::Text(std::string_view name, std::string_view text) {
  Raw(name, {}, EscapeText(text));
}

}  // namespace convene::calendar
