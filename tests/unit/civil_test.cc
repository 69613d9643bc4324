#include "calendar/civil.h"

#include <gtest/gtest.h>

namespace convene::calendar {
namespace {

TEST(CivilDate, WeekdaysOfKnownDates) {
  // Written from a printed calendar: 15 March 2010 was a Monday, 1 January 2000 a Saturday.
  EXPECT_EQ(Weekday({2010, 3, 15}), 0);
  EXPECT_EQ(Weekday({2000, 1, 1}), 5);
  EXPECT_EQ(Weekday({2027, 1, 18}), 0);
  EXPECT_EQ(Weekday({1970, 1, 1}), 3);
}

TEST(CivilDate, DaysRoundTripAndLeapYears) {
  EXPECT_EQ(DaysFromCivil({1970, 1, 1}), 0);
  EXPECT_EQ(DaysFromCivil({2000, 3, 1}) - DaysFromCivil({2000, 2, 28}), 2);  // 2000 was leap
  EXPECT_EQ(DaysFromCivil({1900, 3, 1}) - DaysFromCivil({1900, 2, 28}), 1);  // 1900 was not
  for (int64_t d = -1000; d < 100000; d += 37) EXPECT_EQ(DaysFromCivil(CivilFromDays(d)), d);
  EXPECT_EQ(AddDays({2010, 12, 31}, 1), (CivilDate{2011, 1, 1}));
}

TEST(CivilParse, StrictFormats) {
  struct Case {
    const char* in;
    bool ok;
  } cases[] = {
      {"2010-07-12", true}, {"2010-02-29", false}, {"2012-02-29", true}, {"2010-13-01", false},
      {"2010-7-12", false}, {"20100712", false},   {"", false},          {"2010-07-12x", false},
  };
  for (const Case& c : cases) EXPECT_EQ(ParseDate(c.in, "date").ok(), c.ok) << c.in;
  EXPECT_EQ(ParseDate("2010-02-30", "first_date").status().field(), "first_date");
  EXPECT_EQ(*ParseTimeOfDay("10:30", "t"), 630);
  EXPECT_FALSE(ParseTimeOfDay("24:00", "t").ok());
  EXPECT_FALSE(ParseTimeOfDay("9:30", "t").ok());
  auto t = ParseLocalDateTime("2010-07-12T10:30", "start");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(FormatLocal(*t), "2010-07-12T10:30");
  EXPECT_FALSE(ParseLocalDateTime("2010-07-12", "start").ok());
}

TEST(Zones, LondonOffsetsOnBothSidesOfEachClockChange) {
  // 2010: BST from 28 March 01:00 UTC to 31 October 01:00 UTC.
  struct Case {
    LocalDateTime local;
    const char* want;
  } cases[] = {
      {{{2010, 3, 27}, 630}, "2010-03-27T10:30:00+00:00"},
      {{{2010, 3, 29}, 630}, "2010-03-29T10:30:00+01:00"},
      {{{2010, 10, 30}, 630}, "2010-10-30T10:30:00+01:00"},
      {{{2010, 11, 1}, 630}, "2010-11-01T10:30:00+00:00"},
      {{{2010, 7, 12}, 630}, "2010-07-12T10:30:00+01:00"},
  };
  for (const Case& c : cases) {
    auto s = FormatIsoWithOffset("Europe/London", c.local);
    ASSERT_TRUE(s.ok());
    EXPECT_EQ(*s, c.want);
  }
  // 12 July 2010 10:30 BST is 09:30 UTC: 1278927000.
  EXPECT_EQ(*ToUnix("Europe/London", {{2010, 7, 12}, 630}), 1278927000);
  EXPECT_EQ(FormatLocal(*FromUnix("Europe/London", 1278927000)), "2010-07-12T10:30");
  EXPECT_EQ(*ToUnix("America/New_York", {{2010, 7, 12}, 630}), 1278927000 + 5 * 3600);
}

TEST(Zones, GapIsRefusedOverlapTakesTheFirstInstant) {
  auto gap = ToUnix("Europe/London", {{2010, 3, 28}, 90}, "start");
  ASSERT_FALSE(gap.ok());
  EXPECT_EQ(gap.status().field(), "start");
  // 01:30 on 31 October 2010 happened twice; the first was 00:30 UTC.
  EXPECT_EQ(*ToUnix("Europe/London", {{2010, 10, 31}, 90}), 1288485000);
  EXPECT_FALSE(IsKnownZone("Mars/Olympus"));
  EXPECT_FALSE(IsKnownZone("../../etc/passwd"));
  EXPECT_TRUE(IsKnownZone("Europe/London"));
  // Issue 8: files under zoneinfo that are no zone of the tz database.
  for (const char* not_a_zone : {"localtime", "posixrules", "Factory", "right/UTC",
                                 "posix/Europe/London", "right/Europe/London"})
    EXPECT_FALSE(IsKnownZone(not_a_zone)) << not_a_zone;
  for (const char* zone : {"UTC", "Etc/UTC", "Europe/Belfast", "America/Argentina/Buenos_Aires",
                           "Asia/Kolkata", "Pacific/Chatham"})
    EXPECT_TRUE(IsKnownZone(zone)) << zone;
}

TEST(HttpDate, FormatAndParse) {
  EXPECT_EQ(FormatHttpDate(1278927000), "Mon, 12 Jul 2010 09:30:00 GMT");
  EXPECT_EQ(ParseHttpDate("Mon, 12 Jul 2010 09:30:00 GMT"), 1278927000);
  EXPECT_EQ(ParseHttpDate("yesterday"), -1);
  EXPECT_EQ(FormatIcalUtc(1278927000), "20100712T093000Z");
  EXPECT_EQ(FormatIsoUtc(1278927000), "2010-07-12T09:30:00Z");
}

}  // namespace
}  // namespace convene::calendar
