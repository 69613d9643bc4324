// The generated organisation of `convene demo --size` (server/app/generate.h): what issue 15 asks
// for is there, the same seed gives the same rows and feed bytes, and the rows are ones the
// server itself would have made (no venue double-booked, every meeting in its group's feed).
#include "server/app/generate.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <string>
#include <tuple>
#include <vector>

#include "calendar/store/store.h"
#include "server/feeds/feed_service.h"
#include "tests/support/temp_dir.h"

namespace convene::testing {
namespace {

namespace st = calendar::store;
using server::GenerateOptions;
using server::GenerateOrganisation;

constexpr int kFirstYear = 2021;

std::unique_ptr<st::Db> OpenDb(const std::string& path) {
  auto db = st::Db::Open(path);
  EXPECT_TRUE(db.ok()) << db.status().ToString();
  return db.ok() ? std::move(db).value() : nullptr;
}

server::Generated Generate(st::Db& db, const std::string& size, uint64_t seed = 1) {
  GenerateOptions o;
  o.size = size;
  o.seed = seed;
  o.first_year = kFirstYear;
  auto r = GenerateOrganisation(db, o);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : server::Generated{};
}

// Every row of every table of the file, as text, in rowid order: what "the same rows" means.
// The server's keys (`secrets`) are left out: the server makes them at first use.
std::string Dump(const std::string& path) {
  sqlite3* db = nullptr;
  std::string out;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) return out;
  std::vector<std::string> tables;
  sqlite3_stmt* s = nullptr;
  sqlite3_prepare_v2(db,
                     "SELECT name FROM sqlite_master WHERE type = 'table' AND name != 'secrets'"
                     " ORDER BY name",
                     -1, &s, nullptr);
  while (sqlite3_step(s) == SQLITE_ROW)
    tables.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(s, 0)));
  sqlite3_finalize(s);
  for (const std::string& t : tables) {
    out += "table " + t + "\n";
    sqlite3_prepare_v2(db, ("SELECT * FROM " + t + " ORDER BY rowid").c_str(), -1, &s, nullptr);
    while (sqlite3_step(s) == SQLITE_ROW) {
      for (int c = 0; c < sqlite3_column_count(s); ++c) {
        const unsigned char* v = sqlite3_column_text(s, c);
        out += v ? reinterpret_cast<const char*>(v) : "NULL";
        out += '|';
      }
      out += '\n';
    }
    sqlite3_finalize(s);
  }
  sqlite3_close(db);
  return out;
}

int64_t Count(st::Db& db, const std::string& sql) {
  auto tx = db.Read();
  if (!tx.ok()) return -1;
  st::Stmt s = tx->Prepare(sql.c_str());
  return s.Step() ? s.Int(0) : -1;
}

std::string Text(st::Db& db, const std::string& sql) {
  auto tx = db.Read();
  if (!tx.ok()) return "";
  st::Stmt s = tx->Prepare(sql.c_str());
  return s.Step() ? s.Text(0) : "";
}

std::string Feed(st::Db& db, server::FeedKind kind, const std::string& key) {
  server::FeedService feeds(
      db, "https://convene.example.org", 60, [] { return int64_t{1767603600}; },
      server::SystemRandom());
  auto f = feeds.Get(server::FeedRequest{kind, key, false});
  EXPECT_TRUE(f.ok()) << key << ": " << f.status().ToString();
  return f.ok() ? (*f)->body : std::string();
}

int Occurrences(const std::string& text, const std::string& what) {
  int n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// The busiest venue's id (most meetings).
std::string BusiestVenue(st::Db& db) {
  return std::to_string(
      Count(db,
            "SELECT venue_id FROM meetings GROUP BY venue_id ORDER BY count(*) DESC, venue_id"
            " LIMIT 1"));
}

TEST(GenerateOrganisation, LargeIsTheOrganisationOfIssue15) {
  TempDir dir;
  auto db = OpenDb(dir.File("large.db"));
  ASSERT_TRUE(db);
  const server::Generated g = Generate(*db, "large");

  EXPECT_EQ(Count(*db, "SELECT count(*) FROM organisers"), 1);
  EXPECT_EQ(Count(*db, "SELECT count(*) FROM venues"), 50);
  EXPECT_EQ(Count(*db, "SELECT count(*) FROM groups"), 500);
  EXPECT_EQ(Count(*db, "SELECT count(*) FROM members WHERE left_at IS NULL"), 10000);
  EXPECT_GT(Count(*db, "SELECT count(*) FROM members WHERE left_at IS NOT NULL"), 0);
  // One group of 2,000; the others share the rest, each with at least 4.
  EXPECT_EQ(Count(*db,
                  "SELECT count(*) FROM members m JOIN groups g ON g.id = m.group_id"
                  " WHERE g.slug = 'all-staff' AND m.left_at IS NULL"),
            2000);
  EXPECT_EQ(Count(*db,
                  "SELECT max(n) FROM (SELECT count(*) AS n FROM members WHERE left_at IS NULL"
                  " AND group_id != (SELECT id FROM groups WHERE slug = 'all-staff')"
                  " GROUP BY group_id)") < 2000,
            true);
  EXPECT_EQ(Count(*db,
                  "SELECT min(n) FROM (SELECT count(*) AS n FROM members WHERE left_at IS NULL"
                  " GROUP BY group_id)"),
            4);
  // People belong to several groups (the member feed then spans them).
  EXPECT_GE(Count(*db,
                  "SELECT max(n) FROM (SELECT count(*) AS n FROM members WHERE left_at IS NULL"
                  " GROUP BY email)"),
            4);

  // Ten years of meetings, mostly rule series, with every kind of change.
  EXPECT_EQ(Count(*db, "SELECT min(substr(original_start, 1, 4)) FROM meetings"), kFirstYear);
  EXPECT_EQ(Count(*db, "SELECT max(substr(original_start, 1, 4)) FROM meetings"), kFirstYear + 9);
  const int64_t meetings = Count(*db, "SELECT count(*) FROM meetings");
  EXPECT_GT(meetings, 40000);
  EXPECT_EQ(meetings, g.counts.meetings);
  const int64_t by_rule =
      Count(*db,
            "SELECT count(*) FROM meetings m JOIN series s ON s.id = m.series_id"
            " WHERE s.rrule != ''");
  EXPECT_GT(by_rule * 10, meetings * 9);  // over 90% from rules
  EXPECT_LT(by_rule, meetings);           // and some listed dates
  const int64_t moved = Count(*db, "SELECT count(*) FROM meetings WHERE start != original_start");
  const int64_t cancelled = Count(*db, "SELECT count(*) FROM meetings WHERE status = 'cancelled'");
  const int64_t revenued =
      Count(*db,
            "SELECT count(*) FROM meetings m JOIN series s ON s.id = m.series_id"
            " WHERE m.venue_id != s.venue_id");
  EXPECT_EQ(moved, g.counts.moved);
  EXPECT_EQ(cancelled, g.counts.cancelled);
  EXPECT_EQ(revenued, g.counts.revenued);
  for (int64_t n : {moved, cancelled, revenued}) {
    EXPECT_GT(n * 100, meetings);  // each over 1%
    EXPECT_LT(n * 20, meetings);   // and under 5%
  }
  EXPECT_EQ(Count(*db, "SELECT count(*) FROM meetings WHERE sequence > 0"),
            moved + cancelled + revenued);
  EXPECT_EQ(Count(*db, "SELECT count(*) FROM presenters"), g.counts.presenters);
  EXPECT_GT(g.counts.presenters, meetings / 10);
  EXPECT_EQ(Count(*db, "SELECT count(*) FROM apologies"), g.counts.apologies);
  EXPECT_GT(g.counts.apologies, meetings);
  EXPECT_EQ(Count(*db, "SELECT count(*) FROM outbox"), 0);  // nothing mailed for history

  // No venue is double-booked, as the API would have refused.
  std::vector<std::tuple<int64_t, std::string, int>> booked;
  {
    auto tx = db->Read();
    ASSERT_TRUE(tx.ok());
    st::Stmt s = tx->Prepare(
        "SELECT venue_id, start, duration_minutes FROM meetings WHERE status = 'scheduled'"
        " ORDER BY venue_id, start");
    while (s.Step()) booked.emplace_back(s.Int(0), s.Text(1), static_cast<int>(s.Int(2)));
  }
  int clashes = 0;
  for (size_t i = 1; i < booked.size(); ++i) {
    const auto& [v0, s0, d0] = booked[i - 1];
    const auto& [v1, s1, d1] = booked[i];
    if (v0 != v1 || s0.substr(0, 10) != s1.substr(0, 10)) continue;
    const int end0 = std::stoi(s0.substr(11, 2)) * 60 + std::stoi(s0.substr(14, 2)) + d0;
    const int start1 = std::stoi(s1.substr(11, 2)) * 60 + std::stoi(s1.substr(14, 2));
    if (start1 < end0) ++clashes;
  }
  EXPECT_EQ(clashes, 0);

  // Every scheduled meeting of the largest group is in its feed, as an override of the rule.
  const std::string feed = Feed(*db, server::FeedKind::kGroup, "all-staff");
  EXPECT_EQ(Occurrences(feed, "RECURRENCE-ID"),
            Count(*db,
                  "SELECT count(*) FROM meetings m JOIN groups g ON g.id = m.group_id"
                  " WHERE g.slug = 'all-staff' AND m.status = 'scheduled'"));
  EXPECT_GE(Occurrences(feed, "RECURRENCE-ID"), 110);
}

TEST(GenerateOrganisation, SameSeedSameRowsAndFeedBytes) {
  TempDir dir;
  auto a = OpenDb(dir.File("a.db"));
  auto b = OpenDb(dir.File("b.db"));
  auto c = OpenDb(dir.File("c.db"));
  ASSERT_TRUE(a && b && c);
  Generate(*a, "large", 7);
  Generate(*b, "large", 7);
  Generate(*c, "large", 8);
  const std::string dump_a = Dump(dir.File("a.db"));
  EXPECT_GT(dump_a.size(), 1000000u);
  EXPECT_TRUE(dump_a == Dump(dir.File("b.db"))) << "same seed, different rows";
  EXPECT_FALSE(dump_a == Dump(dir.File("c.db"))) << "another seed, the same rows";

  const std::string venue = BusiestVenue(*a);
  EXPECT_EQ(venue, BusiestVenue(*b));
  const std::string other = Text(
      *a, "SELECT slug FROM groups WHERE public = 1 AND slug != 'all-staff' ORDER BY id LIMIT 1");
  for (auto [kind, key] :
       {std::pair{server::FeedKind::kGroup, std::string("all-staff")},
        std::pair{server::FeedKind::kGroup, other}, std::pair{server::FeedKind::kVenue, venue}}) {
    const std::string fa = Feed(*a, kind, key);
    EXPECT_GT(fa.size(), 10000u) << key;
    EXPECT_TRUE(fa == Feed(*b, kind, key)) << key << ": same seed, different feed bytes";
  }
  EXPECT_FALSE(Feed(*a, server::FeedKind::kGroup, "all-staff") ==
               Feed(*c, server::FeedKind::kGroup, "all-staff"));
}

TEST(GenerateOrganisation, ScalingSizesHaveExactlyN) {
  TempDir dir;
  for (int n : {1, 100, 1000, 2345}) {
    auto db = OpenDb(dir.File("meetings" + std::to_string(n) + ".db"));
    ASSERT_TRUE(db);
    Generate(*db, "meetings:" + std::to_string(n));
    EXPECT_EQ(Count(*db, "SELECT count(*) FROM groups"), 1);
    EXPECT_EQ(Count(*db, "SELECT count(*) FROM meetings"), n);
    EXPECT_EQ(Count(*db, "SELECT count(*) FROM members"), 20);
    EXPECT_EQ(Count(*db, "SELECT count(*) FROM groups WHERE reminder_days IS NULL"), 1);
    // Every meeting of a rule series is an occurrence of its rule: the feed shows each one.
    const std::string feed = Feed(*db, server::FeedKind::kGroup, "scale");
    EXPECT_EQ(Occurrences(feed, "RECURRENCE-ID"),
              Count(*db, "SELECT count(*) FROM meetings WHERE status = 'scheduled'"))
        << n;
  }
  for (int n : {10, 1000}) {
    auto db = OpenDb(dir.File("members" + std::to_string(n) + ".db"));
    ASSERT_TRUE(db);
    Generate(*db, "members:" + std::to_string(n));
    EXPECT_EQ(Count(*db, "SELECT count(*) FROM members WHERE left_at IS NULL"), n);
    EXPECT_EQ(Count(*db, "SELECT count(DISTINCT lower(email)) FROM members"), n);
    EXPECT_EQ(Count(*db, "SELECT count(*) FROM meetings"), 120);
  }
}

TEST(GenerateOrganisation, RefusesBadSizesAndADatabaseWithGroups) {
  for (const char* bad : {"huge", "meetings:0", "members:100001", "meetings:", "meetings:1e3",
                          "members:-5", "small"}) {
    Status st = server::ValidateGeneratedSize(bad);
    EXPECT_EQ(st.code(), Code::kInvalidArgument) << bad;
    EXPECT_EQ(st.field(), "size") << bad;
  }
  EXPECT_TRUE(server::ValidateGeneratedSize("meetings:100000").ok());

  TempDir dir;
  auto db = OpenDb(dir.File("twice.db"));
  ASSERT_TRUE(db);
  Generate(*db, "members:5");
  GenerateOptions o;
  o.size = "members:5";
  o.first_year = kFirstYear;
  auto again = GenerateOrganisation(*db, o);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), Code::kConflict);
  EXPECT_EQ(Count(*db, "SELECT count(*) FROM members"), 5);  // nothing added
  o.first_year = 1200;
  EXPECT_EQ(GenerateOrganisation(*db, o).status().code(), Code::kInvalidArgument);
}

}  // namespace
}  // namespace convene::testing
