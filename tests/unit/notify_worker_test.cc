// The worker's schedule on a temp database with an injected clock: backoff, lifetime, the relay
// pause (circuit breaker), Message-ID stability across retries; the thread's Wake/Stop; and the
// spool mailer on the real filesystem. (The real SMTP relay is exercised in tests/e2e.)
#include <gtest/gtest.h>

#include <chrono>
#include <deque>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "calendar/store/db.h"
#include "notify/notices.h"
#include "notify/spool_mailer.h"
#include "notify/worker.h"
#include "tests/notify_fixtures.h"

namespace convene::notify {
namespace {

using namespace testing;
using calendar::store::Db;

// Answers from a script (then `otherwise`), and records what it was given.
class ScriptedMailer : public Mailer {
 public:
  Status Send(const Envelope& env, std::string_view bytes) override {
    sent.push_back({env, std::string(bytes)});
    if (script.empty()) return otherwise;
    Status s = script.front();
    script.pop_front();
    return s;
  }
  std::string Describe() const override { return "scripted"; }
  struct Call {
    Envelope env;
    std::string bytes;
  };
  std::vector<Call> sent;
  std::deque<Status> script;
  Status otherwise;
};

class WorkerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = Db::Open(dir_.path() + "/w.db");
    ASSERT_TRUE(db.ok());
    db_ = std::move(db).value();
    options_.retry.first_retry_s = 10;
    options_.retry.max_retry_s = 40;
    options_.retry.lifetime_s = 1000;
    options_.retry.relay_pause_s = 5;
    options_.retry.relay_pause_max_s = 20;
    options_.lease_seconds = 60;
    options_.claim_batch = 4;
  }

  void QueueNotices(int n, int64_t now = 0) {
    std::vector<Recipient> members;
    for (int i = 1; i <= n; ++i) members.push_back(SampleMember(i));
    NoticeOptions o;
    o.base_url = "https://convene.example";
    o.delay_seconds = 0;
    auto tx = db_->Write();
    ASSERT_TRUE(tx.ok());
    ASSERT_TRUE(QueueMeetingChange(*tx, SampleVenueChange(members), o, now).ok());
    ASSERT_TRUE(tx->Commit().ok());
  }

  std::unique_ptr<Worker> MakeWorker() {
    return std::make_unique<Worker>(
        *db_, mailer_, [this] { return now_; }, options_);
  }

  int RunAt(Worker& w, int64_t t) {
    now_ = t;
    auto r = w.RunOnce();
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : -1;
  }

  std::vector<OutboxEntry> List() {
    auto tx = db_->Read();
    auto rows = ListOutbox(*tx, {SampleGroup().id}, std::nullopt);
    EXPECT_TRUE(rows.ok());
    return rows.ok() ? *rows : std::vector<OutboxEntry>{};
  }

  // The queue holds one notice: its status, attempts so far and (when given) its last error.
  void ExpectTheOneNotice(const std::string& status, int attempts,
                          const std::string& last_error = "") {
    auto rows = List();
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0].status, status);
    EXPECT_EQ(rows[0].attempts, attempts);
    if (!last_error.empty()) {
      EXPECT_EQ(rows[0].last_error, last_error);
    }
  }

  TempDir dir_;
  std::unique_ptr<Db> db_;
  ScriptedMailer mailer_;
  WorkerOptions options_;
  int64_t now_ = 0;
};

TEST(RetryDelay, DoublesFromFirstUpToMax) {
  RetryPolicy p;
  p.first_retry_s = 60;
  p.max_retry_s = 3600;
  const std::vector<std::pair<int, int64_t>> table = {{1, 60},  {2, 120},  {3, 240},  {4, 480},
                                                      {5, 960}, {6, 1920}, {7, 3600}, {50, 3600}};
  for (auto [failures, want] : table) EXPECT_EQ(RetryDelay(p, failures), want) << failures;
  p.relay_pause_s = 30;
  p.relay_pause_max_s = 600;
  EXPECT_EQ(RelayPause(p, 1), 30);
  EXPECT_EQ(RelayPause(p, 3), 120);
  EXPECT_EQ(RelayPause(p, 10), 600);
}

TEST_F(WorkerTest, TransientFailuresRetryOnTheScheduleWithTheSameBytes) {
  QueueNotices(1);
  mailer_.script = {Transient("451"), Transient("451")};
  auto w = MakeWorker();
  EXPECT_EQ(RunAt(*w, 0), 1);   // fails: next at 0 + 10
  EXPECT_EQ(RunAt(*w, 9), 0);   // not yet
  EXPECT_EQ(RunAt(*w, 10), 1);  // fails: next at 10 + 20
  EXPECT_EQ(RunAt(*w, 29), 0);
  EXPECT_EQ(RunAt(*w, 30), 1);  // accepted
  ASSERT_EQ(mailer_.sent.size(), 3u);
  for (const auto& call : mailer_.sent) {
    EXPECT_EQ(call.env.message_id, mailer_.sent[0].env.message_id);
    EXPECT_EQ(call.bytes, mailer_.sent[0].bytes);
    EXPECT_EQ(call.env.mail_from, mailer_.sent[0].env.mail_from);
  }
  EXPECT_NE(mailer_.sent[0].bytes.find("Message-ID: " + mailer_.sent[0].env.message_id + "\r\n"),
            std::string::npos);
  ExpectTheOneNotice("sent", 3);
  EXPECT_EQ(w->stats().retried, 2);
}

TEST_F(WorkerTest, PermanentFailureIsFinalAfterOneAttempt) {
  QueueNotices(1);
  mailer_.script = {Permanent("relay rejected (reply 550)")};
  auto w = MakeWorker();
  EXPECT_EQ(RunAt(*w, 0), 1);
  EXPECT_EQ(RunAt(*w, 10000), 0);
  ExpectTheOneNotice("failed", 1, "relay rejected (reply 550)");
}

TEST_F(WorkerTest, TransientFailuresEndInFailedAfterTheLifetime) {
  options_.retry.lifetime_s = 25;
  QueueNotices(1);
  mailer_.otherwise = Transient("relay deferred (reply 451)");
  auto w = MakeWorker();
  EXPECT_EQ(RunAt(*w, 0), 1);   // next 10
  EXPECT_EQ(RunAt(*w, 10), 1);  // next min(30, 25) = 25: one last try at the deadline
  EXPECT_EQ(RunAt(*w, 24), 0);
  EXPECT_EQ(RunAt(*w, 25), 1);  // fails for good
  EXPECT_EQ(RunAt(*w, 1000), 0);
  ExpectTheOneNotice("failed", 3, "gave up after 3 attempts: relay deferred (reply 451)");
}

TEST_F(WorkerTest, ARelayOutageCostsAFewAttemptsNotOnePerMessage) {
  QueueNotices(20);
  mailer_.otherwise = RelayDown("couldn't connect");
  auto w = MakeWorker();
  // Pauses 5, 10, 20, 20 ... each ended by one probe.
  EXPECT_EQ(RunAt(*w, 0), 1);
  ASSERT_TRUE(w->relay_paused_until().has_value());
  EXPECT_EQ(*w->relay_paused_until(), 5);
  EXPECT_EQ(RunAt(*w, 4), 0);
  EXPECT_EQ(RunAt(*w, 5), 1);
  EXPECT_EQ(*w->relay_paused_until(), 15);
  EXPECT_EQ(RunAt(*w, 15), 1);
  EXPECT_EQ(*w->relay_paused_until(), 35);
  EXPECT_EQ(mailer_.sent.size(), 3u);
  // The relay is back: the probe succeeds and everything queued goes out in the same pass.
  mailer_.otherwise = Status::Ok();
  EXPECT_EQ(RunAt(*w, 35), 20);
  EXPECT_EQ(mailer_.sent.size(), 23u);
  int sent = 0;
  for (auto& r : List()) sent += r.status == "sent";
  EXPECT_EQ(sent, 20);
  EXPECT_FALSE(w->relay_paused_until().has_value());
  EXPECT_EQ(w->stats().relay_pauses, 3);
}

TEST_F(WorkerTest, ADeferralDoesNotPauseTheRelay) {
  QueueNotices(3);
  mailer_.script = {Transient("relay deferred (reply 451)")};
  auto w = MakeWorker();
  EXPECT_EQ(RunAt(*w, 0), 3);  // one deferred, the other two sent in the same pass
  EXPECT_FALSE(w->relay_paused_until().has_value());
}

TEST_F(WorkerTest, TheThreadSendsAfterWakeAndStopJoins) {
  SpoolMailer spool(dir_.path() + "/spool");
  WorkerOptions o = options_;
  o.poll_s = 3600;  // only Wake() can make it look again
  Worker w(
      *db_, spool, [] { return static_cast<int64_t>(std::time(nullptr)); }, o);
  w.Start();
  QueueNotices(3, std::time(nullptr));
  w.Wake();
  int files = 0;
  for (int i = 0; i < 100 && files < 3; ++i) {  // bounded wait: up to 10 s
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    files = 0;
    for (auto& e : std::filesystem::directory_iterator(dir_.path() + "/spool"))
      files += e.path().extension() == ".eml";
  }
  w.Stop();
  EXPECT_EQ(files, 3);
  EXPECT_EQ(w.stats().sent, 3);
  w.Stop();  // idempotent
}

TEST(SpoolMailer, WritesTheExactBytesOnceUnderTheMessageId) {
  TempDir dir;
  SpoolMailer spool(dir.path() + "/new/spool");
  const std::string bytes = "Message-ID: <a1@example.org>\r\n\r\n.\r\nbody\r\n";
  Envelope env{"bounces+1@example.org", "a@example.org", "<a1@example.org>"};
  ASSERT_TRUE(spool.Send(env, bytes).ok());
  ASSERT_TRUE(spool.Send(env, bytes).ok());  // a retry rewrites the same file
  std::vector<std::string> names;
  for (auto& e : std::filesystem::directory_iterator(dir.path() + "/new/spool"))
    names.push_back(e.path().filename().string());
  ASSERT_EQ(names.size(), 1u);  // no temp files left, no duplicate
  EXPECT_EQ(names[0], "a1_example.org.eml");
  std::ifstream f(spool.PathFor(env.message_id), std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  EXPECT_EQ(ss.str(), bytes);
}

TEST(SpoolMailer, AnUnwritableFolderIsTransient) {
  TempDir dir;
  const std::string file = dir.path() + "/not-a-dir";
  std::ofstream(file) << "x";
  SpoolMailer spool(file + "/spool");
  Status st = spool.Send(Envelope{"a@x.org", "b@x.org", "<m@x.org>"}, "bytes");
  EXPECT_FALSE(st.ok());
  EXPECT_TRUE(IsTransient(st));
}

}  // namespace
}  // namespace convene::notify
