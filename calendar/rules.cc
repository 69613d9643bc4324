#include "calendar/rules.h"

#include <cctype>

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

Result<std::string> CleanText(const std::string& value, const std::string& field, size_t max_len,
                              bool required, bool multiline) {
  if (!IsValidUtf8(value)) return InvalidArgument(field, field + " must be valid UTF-8 text");
  std::string out;
  out.reserve(value.size());
  for (size_t i = 0; i < value.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(value[i]);
    if (multiline && c == '\r') {
      if (i + 1 < value.size() && value[i + 1] == '\n') continue;
      out += '\n';
      continue;
    }
    if (c < 0x20 || c == 0x7f) {
      if (multiline && (c == '\n' || c == '\t')) {
        out += static_cast<char>(c);
        continue;
      }
      return InvalidArgument(field, field + " must not contain line breaks or control characters");
    }
    // U+2028/U+2029 break lines in some readers: refuse them as we refuse CR/LF.
    if (c == 0xe2 && i + 2 < value.size() && static_cast<unsigned char>(value[i + 1]) == 0x80 &&
        (static_cast<unsigned char>(value[i + 2]) == 0xa8 ||
         static_cast<unsigned char>(value[i + 2]) == 0xa9)) {
      if (multiline) {
        out += '\n';
        i += 2;
        continue;
      }
      return InvalidArgument(field, field + " must not contain line separators");
    }
    out += static_cast<char>(c);
  }
  size_t b = out.find_first_not_of(" \t\n");
  size_t e = out.find_last_not_of(" \t\n");
  out = b == std::string::npos ? std::string() : out.substr(b, e - b + 1);
  if (required && out.empty()) return InvalidArgument(field, field + " is required");
  if (CodePoints(out) > max_len)
    return InvalidArgument(field, field + " must be at most " + std::to_string(max_len) + " characters");
  return out;
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

std::optional<Busy> FindClash(const LocalDateTime& start, int duration_minutes,
                              const std::vector<Busy>& others, Id self_id) {
  const LocalDateTime end = AddMinutes(start, duration_minutes);
  for (const Busy& b : others) {
    if (b.meeting_id == self_id) continue;
    const LocalDateTime b_end = AddMinutes(b.start, b.duration_minutes);
    if (start < b_end && b.start < end) return b;
  }
  return std::nullopt;
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
