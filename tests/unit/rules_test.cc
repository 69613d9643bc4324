#include "calendar/rules.h"

#include <gtest/gtest.h>

namespace convene::calendar {
namespace {

TEST(CleanText, TrimsAndRefusesControlCharacters) {
  EXPECT_EQ(*CleanText("  Siemens  ", "name", 100, true), "Siemens");
  EXPECT_EQ(CleanText("a\r\nInjected: 1", "name", 100, true).status().field(), "name");
  EXPECT_FALSE(CleanText("a\x01", "name", 100, true).ok());
  EXPECT_FALSE(CleanText("a\xe2\x80\xa8"
                         "b",
                         "name", 100, true)
                   .ok());                                      // U+2028
  EXPECT_FALSE(CleanText("\xff\xfe", "name", 100, true).ok());  // not UTF-8
  EXPECT_FALSE(CleanText("   ", "name", 100, true).ok());
  EXPECT_EQ(*CleanText("", "notes", 100, false), "");
  EXPECT_EQ(*CleanText("line 1\r\nline 2", "notes", 100, false, true), "line 1\nline 2");
  // Length counts characters, not bytes: 5 emoji are 20 bytes.
  EXPECT_TRUE(
      CleanText("\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80",
                "name", 5, true)
          .ok());
  EXPECT_FALSE(CleanText(std::string(201, 'a'), "name", 200, true).ok());
}

// Issue 8: invisible characters that change how text is read, refused in one-line and multi-line
// fields alike, naming the field and the character; the code points are written out here.
TEST(CleanText, RefusesInvisibleAndReorderingCharacters) {
  struct Case {
    const char* name;
    const char* text;
    const char* code_point;
  } cases[] = {
      {"NEL", "Hall\xc2\x85Injected", "U+0085"},
      {"CSI",
       "Hall\xc2\x9b"
       "1m",
       "U+009B"},
      {"RLO",
       "Hall\xe2\x80\xae"
       "evil",
       "U+202E"},
      {"LRE", "Hall\xe2\x80\xaax", "U+202A"},
      {"LRI", "Hall\xe2\x81\xa6x", "U+2066"},
      {"PDI", "Hall\xe2\x81\xa9x", "U+2069"},
      {"ZWSP", "Hall\xe2\x80\x8bx", "U+200B"},
      {"BOM", "Hall\xef\xbb\xbfx", "U+FEFF"},
      {"DEL", "Hall\x7fx", "U+007F"},
      {"TAB", "Hall\tx", "U+0009"},
  };
  for (const Case& c : cases) {
    auto one = CleanText(c.text, "name", 100, true);
    EXPECT_FALSE(one.ok()) << c.name;
    EXPECT_EQ(one.status().field(), "name") << c.name;
    EXPECT_NE(one.status().message().find(c.code_point), std::string::npos)
        << c.name << ": " << one.status().message();
    if (std::string(c.name) != "TAB") {
      EXPECT_FALSE(CleanText(c.text, "notes", 100, false, true).ok()) << c.name << " (multi-line)";
    }
  }
  // Kept: joiners and directional marks that scripts and emoji need, and right-to-left text.
  const std::string persian =
      "\xd9\x85\xdb\x8c\xe2\x80\x8c\xd8\xae\xd9\x88\xd8\xa7\xd9\x87\xd9\x85";
  EXPECT_EQ(*CleanText(persian, "name", 100, true), persian);  // ZWNJ U+200C
  const std::string technologist = "\xf0\x9f\x91\xa9\xe2\x80\x8d\xf0\x9f\x92\xbb";
  EXPECT_EQ(*CleanText(technologist, "name", 100, true), technologist);  // ZWJ U+200D
  const std::string shalom_mark = "\xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d\xe2\x80\x8f";
  EXPECT_EQ(*CleanText(shalom_mark, "name", 100, true), shalom_mark);  // RLM U+200F
  // Multi-line: every line break becomes LF, a tab a space.
  EXPECT_EQ(*CleanText("a\rb\xe2\x80\xa8"
                       "c\td",
                       "notes", 100, false, true),
            "a\nb\nc d");
}

TEST(CleanEmail, AcceptsAddrSpecRefusesHeaderTricks) {
  EXPECT_EQ(*CleanEmail("Glyn.Evans@Example.ORG", "email"), "Glyn.Evans@example.org");
  for (const char* bad :
       {"a", "a@b", "a@@b.org", "a b@c.org", "a@b.org\r\nBcc: x@y.org", "<a@b.org>", "\"a\"@b.org",
        "a@b..org", ".a@b.org", "a@b.org,c@d.org", "a@-b.org;x"}) {
    auto r = CleanEmail(bad, "email");
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_EQ(r.status().field(), "email");
    }
  }
}

TEST(ValidateSlug, Shape) {
  EXPECT_TRUE(ValidateSlug("futures").ok());
  EXPECT_TRUE(ValidateSlug("wg-2027").ok());
  EXPECT_FALSE(ValidateSlug("F").ok());
  EXPECT_FALSE(ValidateSlug("Futures").ok());
  EXPECT_FALSE(ValidateSlug("-x").ok());
  EXPECT_FALSE(ValidateSlug("a/b").ok());
}

TEST(FindClash, OverlapNotTouch) {
  std::vector<Busy> busy = {{7, "Other group", 1000, 2000}};
  EXPECT_TRUE(FindClash(1500, 2500, busy, 0).has_value());
  EXPECT_TRUE(FindClash(500, 1001, busy, 0).has_value());
  EXPECT_FALSE(FindClash(2000, 3000, busy, 0).has_value());  // starts as the other ends
  EXPECT_FALSE(FindClash(0, 1000, busy, 0).has_value());
  EXPECT_FALSE(FindClash(1500, 2500, busy, 7).has_value());  // itself
  EXPECT_EQ(FindClash(1500, 2500, busy, 0)->meeting_id, 7);
}

TEST(Quorum, ExpectedIsMembersMinusApologies) {
  auto f = ForecastQuorum(21, 4, 8);
  EXPECT_EQ(f.expected, 17);
  EXPECT_FALSE(f.at_risk());
  EXPECT_TRUE(ForecastQuorum(10, 3, 8).at_risk());
  EXPECT_FALSE(ForecastQuorum(10, 3, std::nullopt).at_risk());
}

TEST(BankHolidays, EnglandAndWales2010And2022) {
  // From the gov.uk lists for 2010 and 2022.
  const char* y2010[] = {"2010-01-01", "2010-04-02", "2010-04-05", "2010-05-03",
                         "2010-05-31", "2010-08-30", "2010-12-27", "2010-12-28"};
  for (const char* d : y2010) EXPECT_TRUE(EnglandBankHoliday(*ParseDate(d, "d")).has_value()) << d;
  const char* y2022[] = {"2022-01-03", "2022-04-15", "2022-04-18", "2022-05-02", "2022-06-02",
                         "2022-06-03", "2022-08-29", "2022-09-19", "2022-12-26", "2022-12-27"};
  for (const char* d : y2022) EXPECT_TRUE(EnglandBankHoliday(*ParseDate(d, "d")).has_value()) << d;
  for (const char* d : {"2010-03-15", "2010-05-17", "2010-12-25", "2022-05-30", "2010-12-26"})
    EXPECT_FALSE(EnglandBankHoliday(*ParseDate(d, "d")).has_value()) << d;
  EXPECT_EQ(*EnglandBankHoliday({2010, 4, 5}), "Easter Monday");
}

}  // namespace
}  // namespace convene::calendar
