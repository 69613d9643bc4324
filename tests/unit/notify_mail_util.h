// Helpers for the notify unit tests: read back what rfc5322.cc writes (headers, encoded-words,
// quoted-printable, base64, MIME parts) with small independent decoders.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace convene::notify::testing {

inline std::string B64Decode(const std::string& in) {
  auto val = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  std::string out;
  int bits = 0, acc = 0;
  for (char c : in) {
    int v = val(c);
    if (v < 0) continue;
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xFF);
    }
  }
  return out;
}

inline std::string QpDecode(const std::string& in) {
  std::string out;
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '=' && i + 2 < in.size() && in[i + 1] == '\r' && in[i + 2] == '\n') {
      i += 2;
    } else if (in[i] == '=' && i + 2 < in.size()) {
      out += static_cast<char>(std::stoi(in.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += in[i];
    }
  }
  return out;
}

// Splits "head\r\n\r\nbody".
inline std::pair<std::string, std::string> SplitHead(const std::string& msg) {
  size_t p = msg.find("\r\n\r\n");
  if (p == std::string::npos) return {msg, ""};
  return {msg.substr(0, p + 2), msg.substr(p + 4)};
}

// Header fields of a head, unfolded: {name, value}.
inline std::vector<std::pair<std::string, std::string>> Headers(const std::string& head) {
  std::vector<std::pair<std::string, std::string>> out;
  size_t pos = 0;
  while (pos < head.size()) {
    size_t eol = head.find("\r\n", pos);
    if (eol == std::string::npos) eol = head.size();
    std::string line = head.substr(pos, eol - pos);
    if (!line.empty() && (line[0] == ' ' || line[0] == '\t') && !out.empty()) {
      out.back().second += line;
    } else if (!line.empty()) {
      size_t colon = line.find(':');
      out.emplace_back(line.substr(0, colon),
                       colon == std::string::npos ? "" : line.substr(colon + 1));
    }
    pos = eol + 2;
  }
  return out;
}

inline std::vector<std::string> HeaderNames(const std::string& msg) {
  std::vector<std::string> names;
  for (auto& [n, v] : Headers(SplitHead(msg).first)) names.push_back(n);
  return names;
}

inline std::string Header(const std::string& msg, const std::string& name) {
  for (auto& [n, v] : Headers(SplitHead(msg).first)) {
    if (n == name) return v;
  }
  return "";
}

// Decodes every =?UTF-8?B?...?= in an unfolded header value (whitespace between adjacent words
// dropped, as RFC 2047 6.2 says); plain text kept.
inline std::string DecodeWords(const std::string& v) {
  std::string out, pending_ws;
  size_t i = 0;
  bool last_was_word = false;
  while (i < v.size()) {
    if (v.compare(i, 10, "=?UTF-8?B?") == 0) {
      size_t end = v.find("?=", i + 10);
      if (!last_was_word) out += pending_ws;
      pending_ws.clear();
      out += B64Decode(v.substr(i + 10, end - i - 10));
      i = end + 2;
      last_was_word = true;
    } else if (v[i] == ' ' || v[i] == '\t') {
      pending_ws += ' ';
      ++i;
    } else {
      out += pending_ws;
      pending_ws.clear();
      out += v[i++];
      last_was_word = false;
    }
  }
  return out;
}

// Every line of `msg` (without CRLF); false in `crlf_only` when a bare CR or LF exists.
inline std::vector<std::string> Lines(const std::string& msg, bool* crlf_only) {
  std::vector<std::string> lines;
  *crlf_only = true;
  size_t pos = 0;
  for (size_t i = 0; i < msg.size(); ++i) {
    if (msg[i] == '\n' && (i == 0 || msg[i - 1] != '\r')) *crlf_only = false;
    if (msg[i] == '\r' && (i + 1 >= msg.size() || msg[i + 1] != '\n')) *crlf_only = false;
    if (msg[i] == '\n') {
      lines.push_back(msg.substr(pos, i - 1 - pos));
      pos = i + 1;
    }
  }
  if (pos < msg.size()) {
    *crlf_only = false;
    lines.push_back(msg.substr(pos));
  }
  return lines;
}

// The parts of a multipart body (each part's lines joined by CRLF, ending CRLF); `closed` tells
// whether the close delimiter was seen.
inline std::vector<std::string> Parts(const std::string& body, const std::string& boundary,
                                      bool* closed) {
  std::vector<std::string> parts;
  *closed = false;
  bool in_part = false;
  size_t pos = 0;
  while (pos < body.size()) {
    size_t eol = body.find("\r\n", pos);
    if (eol == std::string::npos) eol = body.size();
    const std::string line = body.substr(pos, eol - pos);
    if (line == "--" + boundary) {
      parts.emplace_back();
      in_part = true;
    } else if (line == "--" + boundary + "--") {
      *closed = true;
      break;
    } else if (in_part) {
      parts.back() += line + "\r\n";
    }
    pos = eol + 2;
  }
  return parts;
}

}  // namespace convene::notify::testing
