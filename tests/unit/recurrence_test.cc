// Expected dates are written from a printed calendar, never computed with libical.
#include "calendar/recurrence.h"

#include <gtest/gtest.h>

#include "calendar/civil.h"

namespace convene::calendar {
namespace {

std::vector<std::string> Dates(const Expansion& x) {
  std::vector<std::string> out;
  for (const CivilDate& d : x.dates) out.push_back(FormatDate(d));
  return out;
}

struct RuleCase {
  const char* name;
  const char* rrule;
  const char* first;  // YYYY-MM-DD
  std::vector<std::string> want;
};

TEST(ExpandRule, ProducesTheCalendarDates) {
  const RuleCase cases[] = {
      {"every other 3rd Monday",
       "FREQ=MONTHLY;INTERVAL=2;BYDAY=3MO;COUNT=5",
       "2010-03-01",
       {"2010-03-15", "2010-05-17", "2010-07-19", "2010-09-20", "2010-11-15"}},
      {"first date on the pattern",
       "FREQ=MONTHLY;INTERVAL=2;BYDAY=3MO;COUNT=2",
       "2010-03-15",
       {"2010-03-15", "2010-05-17"}},
      {"weekly until a date",
       "FREQ=WEEKLY;BYDAY=MO;UNTIL=20100412",
       "2010-03-15",
       {"2010-03-15", "2010-03-22", "2010-03-29", "2010-04-05", "2010-04-12"}},
      {"last Friday",
       "FREQ=MONTHLY;BYDAY=-1FR;COUNT=3",
       "2010-01-01",
       {"2010-01-29", "2010-02-26", "2010-03-26"}},
      {"29 February only in leap years",
       "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29;COUNT=2",
       "2010-01-01",
       {"2012-02-29", "2016-02-29"}},
      {"31st skips short months",
       "FREQ=MONTHLY;BYMONTHDAY=31;COUNT=3",
       "2010-01-01",
       {"2010-01-31", "2010-03-31", "2010-05-31"}},
      {"every tenth day across February",
       "FREQ=DAILY;INTERVAL=10;COUNT=3",
       "2010-02-25",
       {"2010-02-25", "2010-03-07", "2010-03-17"}},
      {"lower case keys",
       "freq=weekly;count=2;byday=mo",
       "2010-03-15",
       {"2010-03-15", "2010-03-22"}},
      {"second Tuesday across the clock change",
       "FREQ=MONTHLY;BYDAY=2TU;COUNT=3",
       "2010-02-01",
       {"2010-02-09", "2010-03-09", "2010-04-13"}},
  };
  for (const RuleCase& c : cases) {
    auto first = ParseDate(c.first, "first");
    ASSERT_TRUE(first.ok()) << c.name;
    auto x = ExpandRule(c.rrule, *first);
    ASSERT_TRUE(x.ok()) << c.name << ": " << x.status().ToString();
    EXPECT_EQ(Dates(*x), c.want) << c.name;
    EXPECT_EQ(x->rrule.rfind("FREQ=", 0), 0u) << c.name;
  }
}

struct BadCase {
  const char* name;
  const char* rrule;
  const char* message_part;
};

TEST(ExpandRule, RefusesRulesItCannotBoundOrThatNeverHappen) {
  const BadCase cases[] = {
      {"30 February", "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30;COUNT=3", "never happen"},
      {"31 April and June", "FREQ=MONTHLY;BYMONTH=4,6;BYMONTHDAY=31;COUNT=2", "never happen"},
      {"five Mondays in February, ten times", "FREQ=MONTHLY;BYMONTH=2;BYDAY=5MO;COUNT=10",
       "fewer than COUNT"},
      {"hourly", "FREQ=HOURLY;COUNT=3", "FREQ must be"},
      {"secondly", "FREQ=SECONDLY;COUNT=3", "FREQ must be"},
      {"minutely impossible", "FREQ=MINUTELY;BYMONTH=2;BYMONTHDAY=30;COUNT=1", "FREQ must be"},
      {"no end", "FREQ=WEEKLY;BYDAY=MO", "COUNT or UNTIL"},
      {"both ends", "FREQ=WEEKLY;COUNT=2;UNTIL=20101231", "COUNT or UNTIL"},
      {"too many", "FREQ=DAILY;COUNT=501", "at most 500"},
      {"until far away", "FREQ=YEARLY;UNTIL=20990101", "years after"},
      {"daily for twenty years", "FREQ=DAILY;UNTIL=20291231", "more than 500"},
      {"time of day in the rule", "FREQ=WEEKLY;BYHOUR=10;COUNT=2", "start_time"},
      {"no FREQ", "COUNT=2", "needs FREQ"},
      {"junk", "FREQ=WEEKLY;COUNT=2\r\nX:1", "only letters"},
      {"unknown part", "FREQ=WEEKLY;COUNT=2;FOO=1", "unknown rrule part"},
      {"repeated part", "FREQ=WEEKLY;COUNT=2;COUNT=3", "repeats"},
      {"until before start", "FREQ=WEEKLY;UNTIL=20090101", "before the first date"},
      {"bad interval", "FREQ=WEEKLY;INTERVAL=0;COUNT=2", "INTERVAL"},
      {"empty", "", "1 to 256"},
  };
  for (const BadCase& c : cases) {
    auto x = ExpandRule(c.rrule, {2010, 1, 1});
    ASSERT_FALSE(x.ok()) << c.name;
    EXPECT_EQ(x.status().code(), Code::kInvalidArgument) << c.name;
    EXPECT_EQ(x.status().field(), "rrule") << c.name;
    EXPECT_NE(x.status().message().find(c.message_part), std::string::npos)
        << c.name << ": " << x.status().message();
  }
}

TEST(ExpandRule, UntilRewrittenToUtc) {
  EXPECT_EQ(WithUtcUntil("FREQ=WEEKLY;UNTIL=20100412;BYDAY=MO", "20100412T093000Z"),
            "FREQ=WEEKLY;UNTIL=20100412T093000Z;BYDAY=MO");
  EXPECT_EQ(WithUtcUntil("FREQ=WEEKLY;COUNT=2", "X"), "FREQ=WEEKLY;COUNT=2");
}

TEST(NormalizeDates, SortsAndRefusesDuplicates) {
  auto d = NormalizeDates({{2010, 7, 12}, {2010, 5, 17}});
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(FormatDate(d->front()), "2010-05-17");
  auto dup = NormalizeDates({{2010, 7, 12}, {2010, 7, 12}});
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.status().field(), "dates");
  EXPECT_FALSE(NormalizeDates({}).ok());
  std::vector<CivilDate> many(501, CivilDate{2010, 1, 1});
  EXPECT_FALSE(NormalizeDates(many).ok());
}

}  // namespace
}  // namespace convene::calendar
