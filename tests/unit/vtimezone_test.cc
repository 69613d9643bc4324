// VTIMEZONE rendering: the observances of a zone over a feed's span, checked against the tz
// database.
#include <gtest/gtest.h>
#include <libical/ical.h>

#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "calendar/civil.h"
#include "calendar/ical.h"
#include "calendar/ical_text.h"
#include "tests/support/ical_lines.h"
#include "tests/unit/feed_fixtures.h"
#include "tests/unit/ical_checks.h"

namespace convene::calendar {
namespace {

using namespace testing;  // NOLINT: the fixtures
using convene::testing::EventBlocks;
using convene::testing::Unfolded;

// The text of a VTIMEZONE as RFC 5545 writes it, and of one of its observances (`rrule` empty:
// none). Only assembles the lines: every value is written by hand in the tests below.
std::string Vtimezone(const std::string& tzid, const std::string& observances) {
  return "BEGIN:VTIMEZONE\r\nTZID:" + tzid + "\r\n" + observances + "END:VTIMEZONE\r\n";
}
std::string Observance(const std::string& kind, const std::string& name, const std::string& from,
                       const std::string& to, const std::string& dtstart,
                       const std::string& rrule = "") {
  return "BEGIN:" + kind + "\r\nTZNAME:" + name + "\r\nTZOFFSETFROM:" + from +
         "\r\nTZOFFSETTO:" + to + "\r\nDTSTART:" + dtstart + "\r\n" +
         (rrule.empty() ? "" : "RRULE:" + rrule + "\r\n") + "END:" + kind + "\r\n";
}

TEST(RenderVtimezone, EuropeLondon2010IsTheTwoRuleForm) {
  auto r = RenderVtimezone("Europe/London", 2010, 2010);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  // 1970: the last Sunday of March was the 29th, of October the 25th.
  EXPECT_EQ(*r, Vtimezone("Europe/London",
                          Observance("DAYLIGHT", "BST", "+0000", "+0100", "19700329T010000",
                                     "FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU") +
                              Observance("STANDARD", "GMT", "+0100", "+0000", "19701025T020000",
                                         "FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU")));
}

TEST(RenderVtimezone, RuleChangeWithinTheSpanEndsTheOldRuleWithUntil) {
  // The United States moved DST in 2007: first Sunday of April / last of October until 2006
  // (2 April and 29 October 2006), second Sunday of March / first of November from 2007.
  const std::string want =
      Vtimezone("America/New_York",
                Observance("DAYLIGHT", "EDT", "-0500", "-0400", "19700405T020000",
                           "FREQ=YEARLY;BYMONTH=4;BYDAY=1SU;UNTIL=20060402T070000Z") +
                    Observance("STANDARD", "EST", "-0400", "-0500", "19701025T020000",
                               "FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU;UNTIL=20061029T060000Z") +
                    Observance("DAYLIGHT", "EDT", "-0500", "-0400", "20070311T020000",
                               "FREQ=YEARLY;BYMONTH=3;BYDAY=2SU") +
                    Observance("STANDARD", "EST", "-0400", "-0500", "20071104T020000",
                               "FREQ=YEARLY;BYMONTH=11;BYDAY=1SU"));
  auto r = RenderVtimezone("America/New_York", 2006, 2008);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, want);
}

TEST(RenderVtimezone, ZonesWithoutChangesGetOneStandard) {
  auto tokyo = RenderVtimezone("Asia/Tokyo", 2010, 2012);
  ASSERT_TRUE(tokyo.ok());
  EXPECT_EQ(*tokyo, Vtimezone("Asia/Tokyo",
                              Observance("STANDARD", "JST", "+0900", "+0900", "19700101T000000")));
  auto utc = RenderVtimezone("UTC", 2010, 2010);
  ASSERT_TRUE(utc.ok());
  EXPECT_EQ(Count(*utc, "BEGIN:STANDARD"), 1);
  EXPECT_EQ(Count(*utc, "DAYLIGHT"), 0);
  EXPECT_NE(utc->find("TZOFFSETFROM:+0000\r\nTZOFFSETTO:+0000\r\n"), std::string::npos);
}

TEST(RenderVtimezone, LastingOffsetChangesAreStandardTime) {
  // Moscow stayed on +04 from 27 March 2011 and went to +03 on 26 October 2014.
  auto r = RenderVtimezone("Europe/Moscow", 2012, 2015);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(Count(*r, "DAYLIGHT"), 0);
  EXPECT_NE(r->find("TZOFFSETFROM:+0400\r\nTZOFFSETTO:+0300\r\nDTSTART:20141026T020000\r\n"),
            std::string::npos);
  EXPECT_NE(r->find("TZOFFSETFROM:+0400\r\nTZOFFSETTO:+0400\r\nDTSTART:19700101T000000\r\n"),
            std::string::npos);
}

TEST(RenderVtimezone, RefusesUnknownZonesAndSillySpans) {
  EXPECT_FALSE(RenderVtimezone("Europe/Atlantis", 2010, 2010).ok());
  EXPECT_FALSE(RenderVtimezone("../../etc/passwd", 2010, 2010).ok());
  EXPECT_FALSE(RenderVtimezone("Europe/London", 2010, 2009).ok());
  EXPECT_FALSE(RenderVtimezone("Europe/London", 1950, 2020).ok());
}

// Our VTIMEZONE, read by libical, gives the system tz database's offset every 6 hours of the
// span, for regular zones, southern ones, rule changes, lasting changes and irregular ones.
TEST(RenderVtimezone, AgreesWithTheTzDatabaseAcrossTheSpan) {
  struct Case {
    const char* tz;
    int first, last;
  } cases[] = {
      {"Europe/London", 2010, 2012},     {"America/New_York", 2005, 2009},
      {"Australia/Sydney", 2007, 2009},  {"Europe/Moscow", 2009, 2016},
      {"Africa/Casablanca", 2012, 2014}, {"Europe/Dublin", 2010, 2011},
      {"Asia/Tokyo", 2010, 2010},        {"America/Sao_Paulo", 2017, 2020},
      {"Pacific/Chatham", 2010, 2011},   {"Asia/Kolkata", 2010, 2010},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.tz);
    auto vtz = RenderVtimezone(c.tz, c.first, c.last);
    ASSERT_TRUE(vtz.ok()) << vtz.status().ToString();
    icalcomponent* comp = icalparser_parse_string(vtz->c_str());
    ASSERT_NE(comp, nullptr);
    EXPECT_EQ(CountErrors(comp), 0) << Errors(comp);
    icaltimezone* zone = icaltimezone_new();
    ASSERT_TRUE(icaltimezone_set_component(zone, comp));
    const int64_t from = DaysFromCivil({c.first, 1, 1}) * 86400;
    const int64_t to = DaysFromCivil({c.last + 1, 1, 1}) * 86400;
    int mismatches = 0;
    for (int64_t t = from; t < to; t += 6 * 3600) {
      icaltimetype utc =
          icaltime_from_timet_with_zone(static_cast<time_t>(t), 0, icaltimezone_get_utc_timezone());
      int dst = 0;
      const int ours = icaltimezone_get_utc_offset_of_utc_time(zone, &utc, &dst);
      auto want = UtcOffsetAt(c.tz, t);
      ASSERT_TRUE(want.ok());
      if (ours != *want && ++mismatches < 4)
        ADD_FAILURE() << FormatIcalUtc(t) << ": ours " << ours << " tzdb " << *want;
    }
    EXPECT_EQ(mismatches, 0);
    icaltimezone_free(zone, 1);  // frees comp too
  }
}

// ---- iMIP ------------------------------------------------------------------------------------

}  // namespace
}  // namespace convene::calendar
