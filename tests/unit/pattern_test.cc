// Series patterns in words (calendar/pattern.h): the RRULE a pattern stands for, the errors that
// name the pattern's field, and rules read back in words.
#include "calendar/pattern.h"

#include <gtest/gtest.h>

namespace convene::calendar {
namespace {

Pattern Monthly(int interval, const char* day, int week, int count) {
  Pattern p;
  p.freq = "monthly";
  p.interval = interval;
  p.weekday = day;
  p.week_of_month = week;
  p.count = count;
  return p;
}

TEST(Pattern, BecomesTheRruleItStandsFor) {
  EXPECT_EQ(*PatternToRrule(Monthly(2, "MO", 3, 6)), "FREQ=MONTHLY;INTERVAL=2;BYDAY=3MO;COUNT=6");
  EXPECT_EQ(*PatternToRrule(Monthly(1, "FR", -1, 4)), "FREQ=MONTHLY;BYDAY=-1FR;COUNT=4");
  Pattern w;
  w.freq = "weekly";
  w.weekday = "TU";
  w.until = CivilDate{2028, 3, 7};
  EXPECT_EQ(*PatternToRrule(w), "FREQ=WEEKLY;BYDAY=TU;UNTIL=20280307");
}

TEST(Pattern, ErrorsNameThePatternsField) {
  Pattern p = Monthly(2, "MO", 3, 6);
  p.count.reset();
  EXPECT_EQ(PatternToRrule(p).status().field(), "pattern.count");  // no end
  p = Monthly(2, "MO", 3, 6);
  p.until = CivilDate{2027, 12, 31};
  EXPECT_EQ(PatternToRrule(p).status().field(), "pattern.until");  // both ends
  p = Monthly(2, "MO", 3, 6);
  p.freq = "weekly";
  EXPECT_EQ(PatternToRrule(p).status().field(), "pattern.week_of_month");
  p = Monthly(2, "MO", 5, 6);
  EXPECT_EQ(PatternToRrule(p).status().field(), "pattern.week_of_month");
  p = Monthly(2, "MO", 3, 6);
  p.week_of_month.reset();
  EXPECT_EQ(PatternToRrule(p).status().field(), "pattern.week_of_month");
  p = Monthly(2, "XX", 3, 6);
  EXPECT_EQ(PatternToRrule(p).status().field(), "pattern.weekday");
  p = Monthly(13, "MO", 3, 6);
  EXPECT_EQ(PatternToRrule(p).status().field(), "pattern.interval");
  p = Monthly(1, "MO", 3, 6);
  p.freq = "daily";
  EXPECT_EQ(PatternToRrule(p).status().field(), "pattern.freq");
}

TEST(Pattern, RulesReadBackInWords) {
  EXPECT_EQ(DescribeRule("FREQ=MONTHLY;INTERVAL=2;BYDAY=3MO;COUNT=6"),
            "Every other month on the 3rd Monday, 6 times");
  EXPECT_EQ(DescribeRule("FREQ=MONTHLY;BYDAY=-1FR;COUNT=1"),
            "Every month on the last Friday, once");
  EXPECT_EQ(DescribeRule("FREQ=WEEKLY;INTERVAL=3;BYDAY=WE;UNTIL=20271231T103000Z"),
            "Every 3 weeks on Wednesday, until Friday 31 December 2027");
  EXPECT_EQ(DescribeRule("FREQ=WEEKLY;BYDAY=TU;COUNT=10"), "Every week on Tuesday, 10 times");
  // Beyond what a pattern says: the rule as it is.
  EXPECT_EQ(DescribeRule("FREQ=MONTHLY;BYMONTHDAY=15;COUNT=3"),
            "FREQ=MONTHLY;BYMONTHDAY=15;COUNT=3");
  EXPECT_EQ(DescribeRule("FREQ=WEEKLY;BYDAY=MO,WE;COUNT=3"), "FREQ=WEEKLY;BYDAY=MO,WE;COUNT=3");
}

}  // namespace
}  // namespace convene::calendar
