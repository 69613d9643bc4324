// Escaping, quoting, folding and the URI/address validators of calendar/ical_text.h, as tables.
#include "calendar/ical_text.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace convene::calendar {
namespace {

// Undoes FoldLine as RFC 5545 3.1 says: remove every CRLF followed by one SPACE or TAB.
std::string Unfold(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\r' && i + 2 < s.size() && s[i + 1] == '\n' &&
        (s[i + 2] == ' ' || s[i + 2] == '\t')) {
      i += 2;
      continue;
    }
    out.push_back(s[i]);
  }
  return out;
}

std::vector<std::string> PhysicalLines(const std::string& folded) {
  std::vector<std::string> lines;
  size_t start = 0;
  for (size_t i = 0; i + 1 < folded.size(); ++i) {
    if (folded[i] == '\r' && folded[i + 1] == '\n') {
      lines.push_back(folded.substr(start, i - start));
      start = i + 2;
      ++i;
    }
  }
  EXPECT_EQ(start, folded.size()) << "folded text must end with CRLF";
  return lines;
}

bool IsUtf8Continuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

TEST(EscapeText, Table) {
  struct Case {
    const char* name;
    std::string in;
    std::string want;
  } cases[] = {
      {"plain", "Evening Seminar", "Evening Seminar"},
      {"comma", "Conway Hall, London", "Conway Hall\\, London"},
      {"semicolon", "a;b", "a\\;b"},
      {"backslash", "C:\\path\\", "C:\\\\path\\\\"},
      {"colon and quotes stay", "Re: \"the plan\"", "Re: \"the plan\""},
      {"LF", "one\ntwo", "one\\ntwo"},
      {"CRLF is one newline", "one\r\ntwo", "one\\ntwo"},
      {"lone CR", "one\rtwo", "one\\ntwo"},
      {"injection", "x\r\nEND:VEVENT\r\nBEGIN:VALARM", "x\\nEND:VEVENT\\nBEGIN:VALARM"},
      {"C0 and DEL dropped, TAB kept", std::string("a\x01\x1b\x7f") + "b\tc", "ab\tc"},
      {"NUL dropped", std::string("a\0b", 3), "ab"},
      {"emoji kept", "Party \xF0\x9F\x8E\x89", "Party \xF0\x9F\x8E\x89"},
      {"invalid UTF-8 replaced", "a\xC3(b", "a\xEF\xBF\xBD(b"},
      {"overlong slash replaced", "\xC0\xAF", "\xEF\xBF\xBD\xEF\xBF\xBD"},
      {"surrogate replaced", "\xED\xA0\x80", "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"},
      {"truncated sequence at end", "ok\xE2\x82", "ok\xEF\xBF\xBD\xEF\xBF\xBD"},
  };
  for (const Case& c : cases) EXPECT_EQ(EscapeText(c.in), c.want) << c.name;
}

TEST(QuoteParam, Rfc6868) {
  EXPECT_EQ(QuoteParam("Ada Lovelace"), "\"Ada Lovelace\"");
  EXPECT_EQ(QuoteParam("Smith, J.; Esq: x"), "\"Smith, J.; Esq: x\"");
  EXPECT_EQ(QuoteParam("say \"hi\""), "\"say ^'hi^'\"");
  EXPECT_EQ(QuoteParam("a^b"), "\"a^^b\"");
  EXPECT_EQ(QuoteParam("a\r\nb"), "\"a^nb\"");
  EXPECT_EQ(QuoteParam("a\x01\tb"), "\"a b\"");
}

TEST(FoldLine, ShortLineUntouched) {
  EXPECT_EQ(FoldLine("SUMMARY:Evening Seminar"), "SUMMARY:Evening Seminar\r\n");
  const std::string exactly75 = "X:" + std::string(73, 'a');
  EXPECT_EQ(FoldLine(exactly75), exactly75 + "\r\n");
}

TEST(FoldLine, SeventySixOctetsFoldOnce) {
  const std::string line = "X:" + std::string(74, 'a');
  EXPECT_EQ(FoldLine(line), "X:" + std::string(73, 'a') + "\r\n a\r\n");
}

// Each case puts a multi-octet unit so that it straddles octet 75; the fold must come before it.
TEST(FoldLine, NeverSplitsUnitsAtTheBoundary) {
  struct Case {
    const char* name;
    std::string unit;
  } cases[] = {
      {"2-octet e-acute", "\xC3\xA9"},       {"3-octet euro", "\xE2\x82\xAC"},
      {"4-octet emoji", "\xF0\x9F\x8E\x89"}, {"escape pair \\n", "\\n"},
      {"escape pair \\\\", "\\\\"},          {"escape pair \\,", "\\,"},
  };
  for (const Case& c : cases) {
    for (size_t shift = 1; shift < c.unit.size(); ++shift) {
      // The unit starts `shift` octets before the 75-octet limit ends.
      const std::string line = "X:" + std::string(75 - 2 - shift, 'a') + c.unit + "tail";
      const std::string folded = FoldLine(line);
      const auto lines = PhysicalLines(folded);
      ASSERT_EQ(lines.size(), 2u) << c.name;
      EXPECT_EQ(lines[0], "X:" + std::string(75 - 2 - shift, 'a')) << c.name << " shift " << shift;
      EXPECT_EQ(lines[1], " " + c.unit + "tail") << c.name << " shift " << shift;
      EXPECT_EQ(Unfold(folded), line + "\r\n") << c.name;
    }
  }
}

TEST(FoldLine, AvoidsSpacesNextToTheFold) {
  // A space at octet 75 or 76 would end or start a physical line: the fold moves back.
  for (size_t at : {74u, 75u}) {
    std::string line = "X:" + std::string(100, 'a');
    line[at] = ' ';
    const std::string folded = FoldLine(line);
    for (const std::string& l : PhysicalLines(folded)) {
      EXPECT_NE(l.back(), ' ') << "space at " << at;
      if (l[0] == ' ') {
        EXPECT_NE(l[1], ' ') << "space at " << at;
      }
    }
    EXPECT_EQ(Unfold(folded), line + "\r\n");
  }
  // Nothing but spaces: folds anyway, and unfolding still gives the spaces back.
  const std::string spaces = "X:" + std::string(200, ' ');
  EXPECT_EQ(Unfold(FoldLine(spaces)), spaces + "\r\n");
}

// 2,000 characters of mixed scripts, emoji and escapes: every physical line <= 75 octets, no
// line starts with a UTF-8 continuation octet or ends with half an escape, and unfolding gives
// the line back exactly.
TEST(FoldLine, TwoThousandCharacters) {
  const std::string pieces[] = {"a", "\xC3\xA9",    "\xE2\x82\xAC", "\xF0\x9F\x8E\x89",
                                ",", ";",           "\\",           "\n",
                                " ", "\xE4\xB8\xAD"};
  std::string text;
  for (int i = 0; i < 2000; ++i) text += pieces[(i * 7 + i / 3) % 10];
  const std::string line = "DESCRIPTION:" + EscapeText(text);
  const std::string folded = FoldLine(line);
  const auto lines = PhysicalLines(folded);
  ASSERT_GT(lines.size(), 20u);
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string& l = lines[i];
    EXPECT_LE(l.size(), 75u) << "line " << i;
    const std::string content = i == 0 ? l : l.substr(1);
    if (i > 0) {
      EXPECT_EQ(l[0], ' ');
    }
    EXPECT_FALSE(IsUtf8Continuation(content[0])) << "line " << i;
    // An odd run of backslashes at the end would be an escape cut in two.
    size_t run = 0;
    while (run < content.size() && content[content.size() - 1 - run] == '\\') ++run;
    EXPECT_EQ(run % 2, 0u) << "line " << i << " ends inside an escape";
  }
  EXPECT_EQ(Unfold(folded), line + "\r\n");
}

TEST(IsSafeHttpUrl, Table) {
  struct Case {
    std::string url;
    bool want;
  } cases[] = {
      {"https://convene.example.org", true},
      {"http://127.0.0.1:8080/meetings/12?x=1&y=2#top", true},
      {"https://example.org/a%20b", true},
      {"ftp://example.org", false},
      {"javascript:alert(1)", false},
      {"https://", false},
      {"https://example.org/a b", false},
      {"https://example.org/\r\nBEGIN:VALARM", false},
      {"https://example.org/\n", false},
      {"https://example.org/\"x\"", false},
      {"https://example.org/<x>", false},
      {"https://example.org/\\x", false},
      {"https://exa\xC3\xA9mple.org", false},
      {"https://example.org/" + std::string(2000, 'a'), false},
  };
  for (const Case& c : cases) EXPECT_EQ(IsSafeHttpUrl(c.url), c.want) << c.url;
}

TEST(IsSafeEmail, Table) {
  struct Case {
    std::string email;
    bool want;
  } cases[] = {
      {"secretary@example.org", true},
      {"ada.lovelace+feeds@mail.example.co.uk", true},
      {"o'brien@example.ie", true},
      {"x@localhost", true},
      {"", false},
      {"no-at.example.org", false},
      {"two@@example.org", false},
      {"a@b@example.org", false},
      {".lead@example.org", false},
      {"trail.@example.org", false},
      {"dou..ble@example.org", false},
      {"sp ace@example.org", false},
      {"crlf@example.org\r\nBEGIN:VALARM", false},
      {"ctl\x01@example.org", false},
      {"per%cent@example.org", false},
      {"q?uery@example.org", false},
      {"a@-bad.example.org", false},
      {"a@bad-.example.org", false},
      {"a@example..org", false},
      {"a@example.org.", false},
      {"\"quoted\"@example.org", false},
      {"a@exam_ple.org", false},
      {std::string(65, 'a') + "@example.org", false},
  };
  for (const Case& c : cases) EXPECT_EQ(IsSafeEmail(c.email), c.want) << c.email;
}

TEST(ContentWriter, DropsControlsFromRawValues) {
  ContentWriter w;
  w.Raw("URL", "https://example.org/\r\nBEGIN:VALARM");
  EXPECT_EQ(w.str(), "URL:https://example.org/BEGIN:VALARM\r\n");
  ContentWriter t;
  t.Text("SUMMARY", "a\r\nBEGIN:VALARM");
  EXPECT_EQ(t.str(), "SUMMARY:a\\nBEGIN:VALARM\r\n");
}

}  // namespace
}  // namespace convene::calendar
