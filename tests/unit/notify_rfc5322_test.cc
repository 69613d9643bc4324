// RFC 5322 / MIME bytes: header safety (CWE-93), RFC 2047, line limits, CRLF, and the iMIP
// structure of invitations (ical-conformance M1, M2, M4).
#include <gtest/gtest.h>

#include <algorithm>

#include "notify/rfc5322.h"
#include "tests/notify_fixtures.h"
#include "tests/unit/notify_mail_util.h"

namespace convene::notify {
namespace {

using namespace testing;

Message Plain() {
  Message m;
  m.from = Address{"The Secretary", "secretary@example.org"};
  m.to = Address{"Ada Lovelace", "ada@example.org"};
  m.subject = "Venue changed: Monthly meeting";
  m.message_id = "<0123456789abcdef@example.org>";
  m.date = 1278927000;
  m.text = "Hello,\nThe venue has changed.\n";
  return m;
}

std::string MustSerialize(const Message& m) {
  auto r = SerializeRfc5322(m);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : std::string();
}

const std::vector<std::string> kPlainHeaders = {
    "Date",           "From",         "To",
    "Subject",        "Message-ID",   "MIME-Version",
    "Auto-Submitted", "Content-Type", "Content-Transfer-Encoding"};

void ExpectWellFormed(const std::string& msg) {
  bool crlf_only = false;
  auto lines = Lines(msg, &crlf_only);
  EXPECT_TRUE(crlf_only);
  for (const std::string& l : lines) {
    EXPECT_LE(l.size(), 998u);
    EXPECT_EQ(l.find('\0'), std::string::npos);
  }
  auto [head, body] = SplitHead(msg);
  for (const std::string& l : Lines(head, &crlf_only)) {
    EXPECT_LE(l.size(), 78u) << l;
    for (char c : l) EXPECT_TRUE(c >= 0x20 && c <= 0x7E) << "non-ASCII header byte in " << l;
  }
}

TEST(SanitizeHeaderText, RemovesLineBreaksControlsAndUnicodeSeparators) {
  struct Case {
    std::string name, in, want;
  } cases[] = {
      {"crlf", "a\r\nBcc: x@example.org", "a Bcc: x@example.org"},
      {"bare lf", "a\nb", "a b"},
      {"bare cr", "a\rb", "a b"},
      {"nul", std::string("a\0b", 3), "a b"},
      {"tab and runs", "a\t\t  b", "a b"},
      {"u2028",
       "a\xe2\x80\xa8"
       "b",
       "a b"},
      {"u2029",
       "a\xe2\x80\xa9"
       "b",
       "a b"},
      {"nel",
       "a\xc2\x85"
       "b",
       "a b"},
      {"del",
       "a\x7f"
       "b",
       "a b"},
      {"trim", "  a  ", "a"},
      {"invalid utf8",
       "a\xff"
       "b",
       "a\xef\xbf\xbd"
       "b"},
      {"overlong slash",
       "a\xc0\xaf"
       "b",
       "a\xef\xbf\xbd\xef\xbf\xbd"
       "b"},
      {"keeps unicode", "Caf\xc3\xa9 \xe2\x82\xac", "Caf\xc3\xa9 \xe2\x82\xac"},
  };
  for (const Case& c : cases) EXPECT_EQ(SanitizeHeaderText(c.in), c.want) << c.name;
}

TEST(SerializeRfc5322, PlainNoticeHasExactlyTheExpectedHeaders) {
  const std::string msg = MustSerialize(Plain());
  EXPECT_EQ(HeaderNames(msg), kPlainHeaders);
  EXPECT_EQ(Header(msg, "Date"), " Mon, 12 Jul 2010 09:30:00 +0000");
  EXPECT_EQ(Header(msg, "From"), " \"The Secretary\" <secretary@example.org>");
  EXPECT_EQ(Header(msg, "Content-Type"), " text/plain; charset=UTF-8");
  ExpectWellFormed(msg);
}

TEST(SerializeRfc5322, HeaderInjectionThroughAnyFieldAddsNoHeader) {
  const std::string evil = "Evil\r\nBcc: victim@example.com\r\nX-Injected: 1\n\nbody";
  for (int field = 0; field < 4; ++field) {
    Message m = Plain();
    if (field == 0) m.from.name = evil;
    if (field == 1) m.to.name = evil;
    if (field == 2) m.subject = evil;
    if (field == 3) m.subject = "Caf\xc3\xa9 " + evil + "\xe2\x80\xa8X-Other: 2";
    const std::string msg = MustSerialize(m);
    EXPECT_EQ(HeaderNames(msg), kPlainHeaders) << "field " << field;
    EXPECT_EQ(msg.find("\r\nBcc:"), std::string::npos);
    EXPECT_EQ(msg.find("\r\nX-Injected:"), std::string::npos);
    ExpectWellFormed(msg);
  }
}

TEST(SerializeRfc5322, AddressWithLineBreakOrAngleIsRefused) {
  for (const std::string& bad : {std::string("a@example.org\r\nBcc: b@example.org"),
                                 std::string("a@example.org>"), std::string("a b@example.org"),
                                 std::string("noat"), std::string("caf\xc3\xa9@example.org")}) {
    Message m = Plain();
    m.to.email = bad;
    auto r = SerializeRfc5322(m);
    EXPECT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  }
}

TEST(SerializeRfc5322, NonAsciiBecomesEncodedWordsOfAtMost75Chars) {
  Message m = Plain();
  m.subject = "R\xc3\xa9union du comit\xc3\xa9 \xe2\x80\x94 " + std::string(20, 'x') +
              " \xe4\xbc\x9a\xe8\xad\xb0 \xf0\x9f\x93\x85 end";
  m.to.name =
      "Zo\xc3\xab Br\xc3\xb8nsted-\xc3\x85"
      "berg";
  const std::string msg = MustSerialize(m);
  ExpectWellFormed(msg);
  const std::string subject = Header(msg, "Subject");
  EXPECT_NE(subject.find("=?UTF-8?B?"), std::string::npos);
  EXPECT_EQ(DecodeWords(subject.substr(1)), m.subject);
  size_t pos = 0;
  int words = 0;
  while ((pos = msg.find("=?UTF-8?B?", pos)) != std::string::npos) {
    size_t end = msg.find("?=", pos + 10);
    ASSERT_NE(end, std::string::npos);
    EXPECT_LE(end + 2 - pos, 75u);
    pos = end + 2;
    ++words;
  }
  EXPECT_GE(words, 3);
  const std::string to = Header(msg, "To");
  EXPECT_EQ(DecodeWords(to.substr(0, to.find('<'))).substr(1), m.to.name);
}

TEST(SerializeRfc5322, AsciiLookingLikeAnEncodedWordIsEncoded) {
  Message m = Plain();
  m.subject = "=?UTF-8?B?SGk=?= not really";
  const std::string msg = MustSerialize(m);
  EXPECT_EQ(DecodeWords(Header(msg, "Subject").substr(1)), m.subject);
}

TEST(SerializeRfc5322, LongSubjectsFoldAndHugeOnesAreCut) {
  Message m = Plain();
  m.subject.clear();
  for (int i = 0; i < 30; ++i) m.subject += "word" + std::to_string(i) + " ";
  std::string msg = MustSerialize(m);
  ExpectWellFormed(msg);
  std::string unfolded = Header(msg, "Subject");
  EXPECT_EQ(SanitizeHeaderText(unfolded), SanitizeHeaderText(m.subject));

  m.subject = std::string(2000, 'A');  // one 2,000-character word cannot fold: encoded-words
  msg = MustSerialize(m);
  ExpectWellFormed(msg);
  EXPECT_EQ(DecodeWords(Header(msg, "Subject").substr(1)), std::string(250, 'A') + "...");
}

TEST(SerializeRfc5322, QuotedDisplayNamesEscapeQuotesAndBackslashes) {
  Message m = Plain();
  m.from.name = "A \"B\" \\ C, D";
  EXPECT_EQ(Header(MustSerialize(m), "From"), " \"A \\\"B\\\" \\\\ C, D\" <secretary@example.org>");
}

TEST(SerializeRfc5322, BodyIsQuotedPrintableWithShortLinesAndCrlf) {
  Message m = Plain();
  m.text = "line one\nCaf\xc3\xa9 = 3\r\n" + std::string(3000, 'z') + "\n.\n..dots\nbare\rcr\n" +
           "trailing space \nend";
  const std::string msg = MustSerialize(m);
  ExpectWellFormed(msg);
  auto [head, body] = SplitHead(msg);
  bool crlf_only = false;
  for (const std::string& l : Lines(body, &crlf_only)) EXPECT_LE(l.size(), 76u);
  EXPECT_EQ(QpDecode(body), "line one\r\nCaf\xc3\xa9 = 3\r\n" + std::string(3000, 'z') +
                                "\r\n.\r\n..dots\r\nbare\r\ncr\r\ntrailing space \r\nend\r\n");
}

TEST(SerializeRfc5322, OneClickUnsubscribeHeaders) {
  Message m = Plain();
  m.unsubscribe_url = "https://convene.example/unsubscribe/tok_123-abc";
  const std::string msg = MustSerialize(m);
  EXPECT_EQ(Header(msg, "List-Unsubscribe"), " <https://convene.example/unsubscribe/tok_123-abc>");
  EXPECT_EQ(Header(msg, "List-Unsubscribe-Post"), " List-Unsubscribe=One-Click");
  for (const std::string& bad : {std::string("https://x/a>\r\nBcc: y"), std::string("javascript:x"),
                                 std::string("https://x/a b")}) {
    m.unsubscribe_url = bad;
    EXPECT_FALSE(SerializeRfc5322(m).ok()) << bad;
  }
}

TEST(SerializeRfc5322, BadMessageIdIsRefused) {
  for (const std::string& bad : {std::string("no-angles@x"), std::string("<a\r\nb@x>"),
                                 std::string("<a@b@c>"), std::string("<@x>")}) {
    Message m = Plain();
    m.message_id = bad;
    EXPECT_FALSE(SerializeRfc5322(m).ok()) << bad;
  }
}

TEST(SerializeRfc5322, InvitationIsMultipartAlternativeTextFirstCalendarLast) {
  for (const std::string method : {"REQUEST", "CANCEL"}) {
    Message m = Plain();
    const std::string ical = HandMadeInvitation(method, "ada@example.org");
    m.calendar = CalendarPart{method, ical};
    const std::string msg = MustSerialize(m);
    ExpectWellFormed(msg);
    const std::string ct = Header(msg, "Content-Type");
    ASSERT_NE(ct.find("multipart/alternative;"), std::string::npos);
    const size_t b = ct.find("boundary=\"") + 10;
    const std::string boundary = ct.substr(b, ct.find('"', b) - b);
    bool closed = false;
    auto parts = Parts(SplitHead(msg).second, boundary, &closed);
    EXPECT_TRUE(closed);
    ASSERT_EQ(parts.size(), 2u);  // M2: text/plain first, text/calendar last
    EXPECT_EQ(Header(parts[0], "Content-Type"), " text/plain; charset=UTF-8");
    // M1: method parameter == the body's METHOD; M4: base64 keeps CRLF and UTF-8 intact.
    EXPECT_EQ(Header(parts[1], "Content-Type"),
              " text/calendar; method=" + method + "; charset=UTF-8");
    EXPECT_EQ(Header(parts[1], "Content-Transfer-Encoding"), " base64");
    EXPECT_EQ(B64Decode(SplitHead(parts[1]).second), ical);
    // M2: no attachment disposition anywhere.
    EXPECT_EQ(msg.find("Content-Disposition"), std::string::npos);
    EXPECT_EQ(QpDecode(SplitHead(parts[0]).second), "Hello,\r\nThe venue has changed.\r\n");
  }
}

// BEGIN:VCALENDAR, the `inner` bytes as given, END:VCALENDAR.
std::string Vcalendar(const std::string& inner) {
  return "BEGIN:VCALENDAR\r\n" + inner + "END:VCALENDAR\r\n";
}

TEST(SerializeRfc5322, CalendarPartMustCarryExactlyTheSameMethod) {
  struct Case {
    std::string name, method, ical;
  } cases[] = {
      {"mismatch", "REQUEST", HandMadeInvitation("CANCEL", "a@example.org")},
      {"lower-case method", "request", HandMadeInvitation("REQUEST", "a@example.org")},
      {"two methods", "REQUEST", Vcalendar("METHOD:REQUEST\r\nMETHOD:REQUEST\r\n")},
      {"no method", "REQUEST", Vcalendar("VERSION:2.0\r\n")},
      {"bare lf", "REQUEST", Vcalendar("METHOD:REQUEST\n")},
      {"not utf8", "REQUEST", Vcalendar("METHOD:REQUEST\r\nX:\xff\r\n")},
      {"not a calendar", "REQUEST", "METHOD:REQUEST\r\n"},
  };
  for (const Case& c : cases) {
    Message m = Plain();
    m.calendar = CalendarPart{c.method, c.ical};
    EXPECT_FALSE(SerializeRfc5322(m).ok()) << c.name;
  }
}

TEST(QuotedPrintable, SoftBreaksNeverSplitAnEscape) {
  const std::string text = std::string(74, 'a') + "\xc3\xa9\xc3\xa9\xc3\xa9";
  const std::string qp = QuotedPrintable(text);
  bool crlf_only = false;
  for (const std::string& l : Lines(qp, &crlf_only)) {
    EXPECT_LE(l.size(), 76u);
    const size_t eq = l.rfind('=');
    if (eq != std::string::npos) {
      EXPECT_TRUE(eq == l.size() - 1 || eq + 3 <= l.size()) << l;
    }
  }
  EXPECT_EQ(QpDecode(qp), text + "\r\n");
}

TEST(FormatRfc5322Date, WritesUtcWithWeekday) {
  EXPECT_EQ(FormatRfc5322Date(0), "Thu, 01 Jan 1970 00:00:00 +0000");
  EXPECT_EQ(FormatRfc5322Date(1278927000), "Mon, 12 Jul 2010 09:30:00 +0000");
}

TEST(DomainOf, LowerCasesTheDomain) {
  EXPECT_EQ(DomainOf("Secretary@Example.ORG"), "example.org");
  EXPECT_EQ(DomainOf("nodomain"), "");
}

}  // namespace
}  // namespace convene::notify
