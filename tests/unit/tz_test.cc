// calendar/tz.h: the offset changes of a zone, found by sampling libical's builtin zones.
#include "calendar/tz.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace convene::calendar {
namespace {

constexpr int64_t kJan2010 = 1262304000;  // 2010-01-01T00:00:00Z
constexpr int64_t kJan2011 = 1293840000;

TEST(ZoneTransitions, London2010HasBothClockChangesToTheSecond) {
  auto h = ZoneTransitions("Europe/London", kJan2010, kJan2011);
  ASSERT_TRUE(h.ok()) << h.status().ToString();
  EXPECT_EQ(h->initial_offset, 0);
  EXPECT_EQ(h->initial_name, "GMT");
  ASSERT_EQ(h->transitions.size(), 2u);
  // 28 March 2010 01:00 UTC: GMT -> BST; 31 October 2010 01:00 UTC: BST -> GMT.
  EXPECT_EQ(h->transitions[0].at, 1269738000);
  EXPECT_EQ(h->transitions[0].offset_from, 0);
  EXPECT_EQ(h->transitions[0].offset_to, 3600);
  EXPECT_EQ(h->transitions[0].name, "BST");
  EXPECT_EQ(h->transitions[1].at, 1288486800);
  EXPECT_EQ(h->transitions[1].offset_to, 0);
  EXPECT_EQ(h->transitions[1].name, "GMT");
}

TEST(ZoneTransitions, ZoneWithoutChanges) {
  auto h = ZoneTransitions("Asia/Tokyo", kJan2010, kJan2011);
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->initial_offset, 9 * 3600);
  EXPECT_EQ(h->initial_name, "JST");
  EXPECT_TRUE(h->transitions.empty());
}

TEST(ZoneTransitions, RefusesUnknownZonesAndHugeSpans) {
  EXPECT_EQ(ZoneTransitions("Europe/Nowhere", kJan2010, kJan2011).status().field(), "timezone");
  EXPECT_FALSE(ZoneTransitions("Europe/London", kJan2011, kJan2010).ok());
  EXPECT_FALSE(ZoneTransitions("Europe/London", 0, kJan2011 * 2).ok());
}

// libical fills its zone cache lazily; many threads asking at once must all get the answer.
TEST(ZoneTransitions, ThreadSafe) {
  std::vector<std::thread> threads;
  std::vector<size_t> counts(8);
  const char* zones[] = {"Europe/Paris", "America/Chicago", "Australia/Adelaide", "Europe/Berlin"};
  for (int i = 0; i < 8; ++i)
    threads.emplace_back([&, i] {
      auto h = ZoneTransitions(zones[i % 4], kJan2010, kJan2011);
      counts[i] = h.ok() ? h->transitions.size() : 99;
    });
  for (auto& t : threads) t.join();
  for (size_t c : counts) EXPECT_EQ(c, 2u);
}

}  // namespace
}  // namespace convene::calendar
