// The mail worker's claims (notify/outbox.h ClaimDue) in a WriteRows transaction, on both
// engines (the "pg." run puts them on PostgreSQL): two workers claiming at once get disjoint rows
// that together are every due row; on PostgreSQL a claim does not wait for a write holding the
// writers' lock, and it skips a row a request has locked to coalesce into.
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <set>

#include "calendar/store/db.h"
#include "notify/outbox.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_database.h"

namespace convene::notify {
namespace {

using calendar::store::Db;
using calendar::store::Tx;

class OutboxClaimsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(database_.error().empty()) << database_.error();
    auto db = Db::Open(database_.db());
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = std::move(db).value();
  }

  // `n` queued rows due at `due`; with `key`, the last one can be coalesced into until then.
  void Queue(int n, int64_t due, const std::string& key = "") {
    auto tx = db_->Write();
    ASSERT_TRUE(tx.ok()) << tx.status().ToString();
    for (int i = 0; i < n; ++i) {
      NewOutboxRow row;
      row.group_id = 1;
      row.kind = "welcome";
      row.coalesce_key = i == n - 1 ? key : "";
      row.recipient = "m" + std::to_string(next_) + "@example.org";
      row.subject = "Welcome";
      row.message_id = "<m" + std::to_string(next_++) + "@example.org>";
      row.bounce_domain = "example.org";
      row.body = "Subject: Welcome\r\n\r\nHello\r\n";
      row.due_at = due;
      ASSERT_TRUE(Enqueue(*tx, row, 1000).ok());
    }
    ASSERT_TRUE(tx->Commit().ok());
  }

  std::set<int64_t> Claim(int64_t now, int limit) {
    std::set<int64_t> ids;
    auto tx = db_->WriteRows();
    EXPECT_TRUE(tx.ok()) << tx.status().ToString();
    if (!tx.ok()) return ids;
    auto rows = ClaimDue(*tx, now, limit, 300);
    EXPECT_TRUE(rows.ok()) << rows.status().ToString();
    if (rows.ok())
      for (const ClaimedRow& r : *rows) ids.insert(r.id);
    EXPECT_TRUE(tx->Commit().ok());
    return ids;
  }

  testing::TempDir dir_;
  testing::TestDatabase database_{dir_.path() + "/claims.db"};
  std::unique_ptr<Db> db_;
  int next_ = 0;
};

TEST_F(OutboxClaimsTest, TwoWorkersClaimingAtOnceGetDisjointRowsThatCoverEveryDueRow) {
  Queue(60, 1000);
  Queue(5, 5000);  // not due yet
  std::set<int64_t> all;
  int claimed = 0;
  for (int round = 0; round < 10; ++round) {
    auto a = std::async(std::launch::async, [&] { return Claim(2000, 4); });
    auto b = std::async(std::launch::async, [&] { return Claim(2000, 4); });
    for (const std::set<int64_t>& got : {a.get(), b.get()}) {
      for (int64_t id : got) EXPECT_TRUE(all.insert(id).second) << "row " << id << " twice";
      claimed += static_cast<int>(got.size());
    }
  }
  EXPECT_EQ(claimed, 60);
  EXPECT_EQ(all.size(), 60u);
  EXPECT_TRUE(Claim(2000, 10).empty()) << "leased rows are not claimed again";
  EXPECT_EQ(Claim(2000 + 301, 100).size(), 60u) << "expired leases are claimed again";
}

TEST_F(OutboxClaimsTest, OnPostgresAClaimNeitherWaitsForWritersNorTakesARowBeingCoalesced) {
  if (!database_.postgres()) GTEST_SKIP() << "SQLite has one writer at a time";
  Queue(3, 1000);
  Queue(1, 1000, "key");  // due at 1000; a request still coalescing at 999 locks it
  // A request's write transaction: the writers' lock, and the row it coalesces into locked.
  auto writer = db_->Write();
  ASSERT_TRUE(writer.ok()) << writer.status().ToString();
  auto pending = FindCoalescable(*writer, "key", 999);
  ASSERT_TRUE(pending.ok() && pending->has_value()) << pending.status().ToString();
  // Meanwhile a worker claims: at once, and not the locked row.
  auto worker = std::async(std::launch::async, [&] { return Claim(2000, 10); });
  ASSERT_EQ(worker.wait_for(std::chrono::seconds(10)), std::future_status::ready)
      << "the claim waited for the writer";
  std::set<int64_t> got = worker.get();
  EXPECT_EQ(got.size(), 3u);
  EXPECT_FALSE(got.count((*pending)->id)) << "the row being coalesced into was claimed";
  ASSERT_TRUE(writer->Commit().ok());
  EXPECT_EQ(Claim(2000, 10), std::set<int64_t>{(*pending)->id}) << "and claimed once free";
}

}  // namespace
}  // namespace convene::notify
