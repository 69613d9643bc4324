#include "server/lmtp/mime.h"

#include <cctype>
#include <optional>
#include <utility>

#include "calendar/rules.h"

namespace convene::server::lmtp {
namespace {

Status Bad(std::string what) { return InvalidArgument("message", std::move(what)); }

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

// The line starting at `pos`: its text without the line end, and where the next one starts.
std::string_view LineAt(std::string_view s, size_t pos, size_t* next) {
  size_t eol = s.find('\n', pos);
  if (eol == std::string_view::npos) {
    *next = s.size();
    eol = s.size();
  } else {
    *next = eol + 1;
  }
  std::string_view line = s.substr(pos, eol - pos);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

struct ContentType {
  std::string type = "text/plain";  // lower-case
  std::string boundary, charset, method;
};

struct Entity {
  ContentType content_type;
  std::string encoding;  // lower-case Content-Transfer-Encoding, empty when none
  std::string_view body;
};

// type/subtype; attribute=value; attribute="quoted \" value" (RFC 2045 5.1).
ContentType ParseContentType(std::string_view v) {
  ContentType ct;
  size_t i = v.find(';');
  ct.type = Lower(Trim(v.substr(0, i)));
  while (i != std::string_view::npos && i < v.size()) {
    ++i;  // ';'
    while (i < v.size() && (v[i] == ' ' || v[i] == '\t')) ++i;
    const size_t eq = v.find('=', i);
    if (eq == std::string_view::npos) break;
    const std::string name = Lower(Trim(v.substr(i, eq - i)));
    i = eq + 1;
    while (i < v.size() && (v[i] == ' ' || v[i] == '\t')) ++i;
    std::string value;
    if (i < v.size() && v[i] == '"') {
      ++i;
      while (i < v.size() && v[i] != '"') {
        if (v[i] == '\\' && i + 1 < v.size()) ++i;
        value += v[i++];
      }
      i = v.find(';', i);
    } else {
      const size_t end = v.find(';', i);
      value = std::string(Trim(v.substr(i, end == std::string_view::npos ? end : end - i)));
      i = end;
    }
    if (name == "boundary") ct.boundary = value;
    if (name == "charset") ct.charset = Lower(value);
    if (name == "method") {
      ct.method = value;
      for (char& c : ct.method) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
  }
  return ct;
}

// Splits `s` into its header block and body. `top`: the whole message, which must have a blank
// line after its headers; a body part may start with the blank line (no headers).
Result<Entity> ReadEntity(std::string_view s, bool top, const MimeLimits& limits) {
  Entity e;
  size_t pos = 0;
  std::string current;  // the header field being unfolded
  std::optional<std::string> content_type, encoding;
  auto flush = [&]() -> Status {
    if (current.empty()) return Status::Ok();
    const size_t colon = current.find(':');
    if (colon != std::string::npos) {
      const std::string name = Lower(Trim(std::string_view(current).substr(0, colon)));
      const std::string value(Trim(std::string_view(current).substr(colon + 1)));
      if (name == "content-type") {
        if (content_type) return Bad("two Content-Type headers");
        content_type = value;
      } else if (name == "content-transfer-encoding") {
        if (encoding) return Bad("two Content-Transfer-Encoding headers");
        encoding = Lower(value);
      }
    }
    current.clear();
    return Status::Ok();
  };
  bool separated = false;
  while (pos < s.size()) {
    size_t next = 0;
    std::string_view line = LineAt(s, pos, &next);
    if (next > limits.max_header_bytes) return Bad("the header block is too large");
    if (line.empty()) {
      RETURN_IF_ERROR(flush());
      pos = next;
      separated = true;
      break;
    }
    if ((line.front() == ' ' || line.front() == '\t') && !current.empty()) {
      current += ' ';
      current += Trim(line);
    } else {
      RETURN_IF_ERROR(flush());
      current = std::string(line);
    }
    pos = next;
  }
  if (!separated) {
    RETURN_IF_ERROR(flush());
    if (top) return Bad("no blank line after the headers");
  }
  if (content_type) e.content_type = ParseContentType(*content_type);
  if (e.content_type.type.empty() || e.content_type.type.find('/') == std::string::npos)
    e.content_type.type = "text/plain";
  if (encoding) e.encoding = *encoding;
  e.body = s.substr(std::min(pos, s.size()));
  return e;
}

bool IsCalendar(const std::string& type) {
  return type == "text/calendar" || type == "application/ics";
}

struct Walk {
  const MimeLimits& limits;
  size_t parts = 0;
  std::vector<CalendarPart> found;

  Status Visit(std::string_view s, bool top, int depth) {
    if (++parts > limits.max_parts) return Bad("too many MIME parts");
    ASSIGN_OR_RETURN(Entity e, ReadEntity(s, top, limits));
    const std::string& type = e.content_type.type;
    if (type.rfind("multipart/", 0) == 0) {
      if (depth >= limits.max_depth) return Bad("multipart nested too deep");
      return Multipart(e, depth);
    }
    if (!IsCalendar(type)) return Status::Ok();
    std::string bytes;
    if (e.encoding == "base64") {
      bytes = DecodeBase64(e.body);
    } else if (e.encoding == "quoted-printable") {
      bytes = DecodeQuotedPrintable(e.body);
    } else if (e.encoding.empty() || e.encoding == "7bit" || e.encoding == "8bit" ||
               e.encoding == "binary") {
      bytes = std::string(e.body);
    } else {
      return Bad("calendar part in an unknown transfer encoding");
    }
    if (bytes.size() > limits.max_calendar_bytes) return Bad("calendar part too large");
    ASSIGN_OR_RETURN(std::string text, ToUtf8(bytes, e.content_type.charset));
    found.push_back(CalendarPart{type, e.content_type.method, std::move(text)});
    return Status::Ok();
  }

  Status Multipart(const Entity& e, int depth) {
    const std::string& b = e.content_type.boundary;
    if (b.empty() || b.size() > 70) return Bad("a multipart without a usable boundary");
    const std::string dash = "--" + b;
    std::string_view body = e.body;
    // Delimiter lines: "--boundary" or "--boundary--", then only white space (RFC 2046 5.1.1).
    std::optional<size_t> part_start;
    size_t pos = 0;
    size_t line_start_before = 0;  // where the line ending before this line starts
    bool closed = false;
    while (pos < body.size()) {
      size_t next = 0;
      std::string_view line = LineAt(body, pos, &next);
      if (line.size() >= dash.size() && line.compare(0, dash.size(), dash) == 0) {
        std::string_view rest = line.substr(dash.size());
        const bool close = rest.size() >= 2 && rest[0] == '-' && rest[1] == '-';
        if (close) rest.remove_prefix(2);
        if (Trim(rest).empty()) {
          if (part_start) {
            // The line end before a delimiter belongs to the delimiter.
            const size_t end = std::max(*part_start, line_start_before);
            RETURN_IF_ERROR(Visit(body.substr(*part_start, end - *part_start), false, depth + 1));
          }
          if (close) {
            closed = true;
            break;
          }
          part_start = next;
        }
      }
      // The line end of this line starts where the line's text ends.
      line_start_before = pos + line.size();
      pos = next;
    }
    if (!part_start && !closed) return Bad("a multipart whose boundary never appears");
    if (part_start && !closed && *part_start < body.size())
      RETURN_IF_ERROR(Visit(body.substr(*part_start), false, depth + 1));  // unterminated
    return Status::Ok();
  }
};

// Windows-1252 0x80..0x9F (0 where the code page has no character).
constexpr char32_t kCp1252[32] = {0x20AC, 0,      0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
                                  0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0,      0x017D, 0,
                                  0,      0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
                                  0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0,      0x017E, 0x0178};

void AppendUtf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

}  // namespace

std::string DecodeBase64(std::string_view text) {
  std::string out;
  out.reserve(text.size() * 3 / 4);
  uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    int v;
    if (c >= 'A' && c <= 'Z')
      v = c - 'A';
    else if (c >= 'a' && c <= 'z')
      v = c - 'a' + 26;
    else if (c >= '0' && c <= '9')
      v = c - '0' + 52;
    else if (c == '+')
      v = 62;
    else if (c == '/')
      v = 63;
    else if (c == '=')
      break;  // padding: the end of the data
    else
      continue;  // line ends, white space, anything else (RFC 2045 6.8)
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      out += static_cast<char>((acc >> (bits - 8)) & 0xFF);
      bits -= 8;
    }
  }
  return out;
}

std::string DecodeQuotedPrintable(std::string_view text) {
  auto hex = [](char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '=') {
      out += text[i];
      continue;
    }
    // A soft line break: "=" then optional white space, then the line end.
    size_t j = i + 1;
    while (j < text.size() && (text[j] == ' ' || text[j] == '\t')) ++j;
    if (j < text.size() && (text[j] == '\r' || text[j] == '\n')) {
      if (text[j] == '\r' && j + 1 < text.size() && text[j + 1] == '\n') ++j;
      i = j;
      continue;
    }
    if (j == text.size()) {
      i = j;
      continue;
    }
    if (i + 2 < text.size() && hex(text[i + 1]) >= 0 && hex(text[i + 2]) >= 0) {
      out += static_cast<char>(hex(text[i + 1]) * 16 + hex(text[i + 2]));
      i += 2;
      continue;
    }
    out += '=';
  }
  return out;
}

Result<std::string> ToUtf8(std::string_view bytes, std::string_view charset_in) {
  const std::string charset = Lower(Trim(charset_in));
  if (charset.empty() || charset == "utf-8" || charset == "utf8" || charset == "us-ascii" ||
      charset == "ascii") {
    std::string s(bytes);
    // Calendars write UTF-8 whatever they declare (RFC 5545 6); US-ASCII is a subset of it.
    if (!calendar::IsValidUtf8(s)) return Bad("calendar part is not valid UTF-8");
    return s;
  }
  const bool latin1 =
      charset == "iso-8859-1" || charset == "latin1" || charset == "iso_8859-1" || charset == "l1";
  const bool cp1252 = charset == "windows-1252" || charset == "cp1252";
  if (!latin1 && !cp1252) return Bad("calendar part in an unsupported charset");
  std::string out;
  out.reserve(bytes.size() + bytes.size() / 8);
  for (unsigned char c : bytes) {
    char32_t cp = c;
    if (cp1252 && c >= 0x80 && c <= 0x9F) {
      cp = kCp1252[c - 0x80];
      if (cp == 0) return Bad("calendar part is not valid windows-1252");
    }
    AppendUtf8(out, cp);
  }
  return out;
}

Result<std::vector<CalendarPart>> FindCalendarParts(std::string_view message,
                                                    const MimeLimits& limits) {
  Walk walk{limits, 0, {}};
  RETURN_IF_ERROR(walk.Visit(message, true, 0));
  return std::move(walk.found);
}

}  // namespace convene::server::lmtp
