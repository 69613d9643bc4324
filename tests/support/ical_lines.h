// Reading iCalendar bodies back in tests: logical (unfolded) lines and the VEVENT blocks of a
// body keyed by their UID and RECURRENCE-ID, so two renders can be compared event by event.
// Header-only, no dependencies beyond the standard library.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace convene::testing {

// Logical lines (unfolded), without CRLF.
inline std::vector<std::string> Unfolded(const std::string& body) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < body.size()) {
    size_t end = body.find("\r\n", start);
    if (end == std::string::npos) end = body.size();
    std::string line = body.substr(start, end - start);
    if (!line.empty() && line[0] == ' ' && !out.empty()) {
      out.back() += line.substr(1);
    } else {
      out.push_back(line);
    }
    start = end + 2;
  }
  return out;
}

// The VEVENT blocks (as text, folded) keyed by their unfolded UID and RECURRENCE-ID lines, each
// followed by "|": "UID:x|" for a master or a lone event, "UID:x|RECURRENCE-ID;...|" for an
// override.
inline std::map<std::string, std::string> EventBlocks(const std::string& body) {
  std::map<std::string, std::string> out;
  size_t pos = 0;
  while ((pos = body.find("BEGIN:VEVENT\r\n", pos)) != std::string::npos) {
    const size_t end = body.find("END:VEVENT\r\n", pos) + 12;
    const std::string block = body.substr(pos, end - pos);
    std::string key;
    for (const std::string& l : Unfolded(block))
      if (l.rfind("UID:", 0) == 0 || l.rfind("RECURRENCE-ID", 0) == 0) key += l + "|";
    out[key] = block;
    pos = end;
  }
  return out;
}

}  // namespace convene::testing
