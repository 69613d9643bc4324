#include "calendar/rules.h"

#include <cctype>
#include <cstdint>
#include <cstdio>

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

namespace {

// Decodes the UTF-8 sequence at s[i] (already checked by IsValidUtf8); returns its length.
size_t NextCodePoint(const std::string& s, size_t i, uint32_t* cp) {
  const unsigned char c = static_cast<unsigned char>(s[i]);
  const size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : 4;
  uint32_t v = len == 1 ? c : c & (0x7f >> len);
  for (size_t k = 1; k < len; ++k) v = (v << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3f);
  *cp = v;
  return len;
}

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

namespace {

CivilDate EasterSunday(int y) {
  // Anonymous Gregorian algorithm (Meeus/Jones/Butcher).
  int a = y % 19, b = y / 100, c = y % 100, d = b / 4, e = b % 4, f = (b + 8) / 25;
  int g = (b - f + 1) / 3, h = (19 * a + b - d - g + 15) % 30, i = c / 4, k = c % 4;
  int l = (32 + 2 * e + 2 * i - h - k) % 7, m = (a + 11 * h + 22 * l) / 451;
  int month = (h + l - 7 * m + 114) / 31, day = ((h + l - 7 * m + 114) % 31) + 1;
  return CivilDate{y, month, day};
}

// The n-th (1-based) weekday `wd` (0=Monday) of a month; n = -1 for the last.
CivilDate NthWeekday(int y, int month, int wd, int n) {
  if (n > 0) {
    CivilDate first{y, month, 1};
    int shift = (wd - Weekday(first) + 7) % 7;
    return AddDays(first, shift + 7 * (n - 1));
  }
  CivilDate last{y, month, DaysInMonth(y, month)};
  return AddDays(last, -((Weekday(last) - wd + 7) % 7));
}

// A fixed-date holiday falling on a weekend moves to the next weekday not already taken.
CivilDate Substitute(CivilDate d, const CivilDate* taken) {
  while (Weekday(d) >= 5 || (taken && d == *taken)) d = AddDays(d, 1);
  return d;
}

}  // namespace

std::optional<std::string> EnglandBankHoliday(const CivilDate& d) {
  const int y = d.year;
  if (y < 1978) return std::nullopt;
  struct OneOff {
    CivilDate date;
    const char* name;
  };
  static const OneOff kOneOffs[] = {
      {{1999, 12, 31}, "Millennium Eve"},
      {{2011, 4, 29}, "Royal Wedding"},
      {{2012, 6, 5}, "Queen's Diamond Jubilee"},
      {{2022, 6, 3}, "Queen's Platinum Jubilee"},
      {{2022, 9, 19}, "State Funeral of Queen Elizabeth II"},
      {{2023, 5, 8}, "Coronation of King Charles III"},
  };
  for (const OneOff& o : kOneOffs)
    if (o.date == d) return std::string(o.name);

  if (d == Substitute({y, 1, 1}, nullptr)) return std::string("New Year's Day");
  const CivilDate easter = EasterSunday(y);
  if (d == AddDays(easter, -2)) return std::string("Good Friday");
  if (d == AddDays(easter, 1)) return std::string("Easter Monday");
  CivilDate early_may = NthWeekday(y, 5, 0, 1);
  if (y == 1995) early_may = {1995, 5, 8};
  if (y == 2020) early_may = {2020, 5, 8};
  if (d == early_may) return std::string("Early May bank holiday");
  CivilDate spring = NthWeekday(y, 5, 0, -1);
  if (y == 2002) spring = {2002, 6, 4};
  if (y == 2012) spring = {2012, 6, 4};
  if (y == 2022) spring = {2022, 6, 2};
  if (d == spring) return std::string("Spring bank holiday");
  if (d == NthWeekday(y, 8, 0, -1)) return std::string("Summer bank holiday");
  const CivilDate christmas = Substitute({y, 12, 25}, nullptr);
  if (d == christmas) return std::string("Christmas Day");
  if (d == Substitute({y, 12, 26}, &christmas)) return std::string("Boxing Day");
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
