// The outbox on a real (temp file) SQLite database: the row state machine, leases, listing,
// and the queueing entry points with coalescing.
#include <gtest/gtest.h>

#include "calendar/store/db.h"
#include "notify/notices.h"
#include "notify/outbox.h"
#include "notify/rfc5322.h"
#include "tests/notify_fixtures.h"
#include "tests/unit/notify_mail_util.h"

namespace convene::notify {
namespace {

using namespace testing;
using calendar::store::Db;
using calendar::store::Tx;

class OutboxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = Db::Open(dir_.path() + "/test.db");
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = std::move(db).value();
    options_.base_url = "https://convene.example";
    options_.delay_seconds = 60;
    options_.random = [this](unsigned char* buf, size_t n) {
      for (size_t i = 0; i < n; ++i) buf[i] = static_cast<unsigned char>(counter_ + i);
      ++counter_;
    };
  }

  Tx Write() {
    auto tx = db_->Write();
    EXPECT_TRUE(tx.ok());
    return std::move(tx).value();
  }

  int64_t Insert(const std::string& to, int64_t due, Id group = 7) {
    Tx tx = Write();
    NewOutboxRow r;
    r.group_id = group;
    r.meeting_id = 42;
    r.kind = "meeting_change";
    r.recipient = to;
    r.subject = "Subject for " + to;
    r.message_id = "<" + std::to_string(++counter_) + "x@example.org>";
    r.bounce_domain = "example.org";
    r.body = "Message-ID: " + r.message_id + "\r\n\r\nbody\r\n";
    r.due_at = due;
    auto id = Enqueue(tx, r, 1000);
    EXPECT_TRUE(id.ok());
    EXPECT_TRUE(tx.Commit().ok());
    return id.ok() ? *id : 0;
  }

  std::vector<ClaimedRow> Claim(int64_t now, int limit = 10, int64_t lease = 30) {
    Tx tx = Write();
    auto rows = ClaimDue(tx, now, limit, lease);
    EXPECT_TRUE(rows.ok());
    EXPECT_TRUE(tx.Commit().ok());
    return rows.ok() ? *rows : std::vector<ClaimedRow>{};
  }

  std::vector<OutboxEntry> List(std::optional<OutboxStatus> status, std::vector<Id> groups = {7}) {
    auto tx = db_->Read();
    EXPECT_TRUE(tx.ok());
    auto rows = ListOutbox(*tx, groups, status);
    EXPECT_TRUE(rows.ok());
    return rows.ok() ? *rows : std::vector<OutboxEntry>{};
  }

  struct Row {
    std::string status, message_id, body, before_state;
    int attempts;
    int64_t due_at;
  };
  std::vector<Row> Rows() {
    auto tx = db_->Read();
    EXPECT_TRUE(tx.ok());
    auto s = tx->Prepare(
        "SELECT status, message_id, body, before_state, attempts, due_at FROM outbox ORDER BY id");
    std::vector<Row> out;
    while (s.Step()) {
      out.push_back(
          Row{s.Text(0), s.Text(1), s.Text(2), s.Text(3), static_cast<int>(s.Int(4)), s.Int(5)});
    }
    return out;
  }

  QueueCounts Queue(const MeetingChange& c, int64_t now) {
    Tx tx = Write();
    auto counts = QueueMeetingChange(tx, c, options_, now);
    EXPECT_TRUE(counts.ok()) << counts.status().ToString();
    EXPECT_TRUE(tx.Commit().ok());
    return counts.ok() ? *counts : QueueCounts{};
  }

  TempDir dir_;
  std::unique_ptr<Db> db_;
  NoticeOptions options_;
  int counter_ = 0;
};

TEST_F(OutboxTest, MigrationTwoCreatesTheTable) {
  auto tx = db_->Read();
  ASSERT_TRUE(tx.ok());
  auto s = tx->Prepare("PRAGMA user_version");
  ASSERT_TRUE(s.Step());
  EXPECT_GE(s.Int(0), 2);
  auto ok = db_->IntegrityOk();
  EXPECT_TRUE(ok.ok() && *ok);
}

TEST_F(OutboxTest, QueuedThenClaimedThenSent) {
  const int64_t id = Insert("a@example.org", 1000);
  EXPECT_TRUE(Claim(999).empty());  // not due yet
  auto rows = Claim(1000);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].id, id);
  EXPECT_EQ(rows[0].attempts, 1);
  EXPECT_EQ(rows[0].envelope_from, "bounces+" + std::to_string(id) + "@example.org");  // VERP
  EXPECT_TRUE(Claim(1001).empty());                                                    // leased
  {
    Tx tx = Write();
    ASSERT_TRUE(MarkSent(tx, id, 1002).ok());
    ASSERT_TRUE(tx.Commit().ok());
  }
  auto sent = List(OutboxStatus::kSent);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].to, "a@example.org");
  EXPECT_EQ(sent[0].sent_at, 1002);
  EXPECT_FALSE(sent[0].next_attempt_at.has_value());
  EXPECT_TRUE(List(OutboxStatus::kQueued).empty());
  EXPECT_TRUE(Claim(5000).empty());
}

TEST_F(OutboxTest, AnExpiredLeaseIsClaimedAgainWithTheSameMessageId) {
  Insert("a@example.org", 1000);
  auto first = Claim(1000, 10, 30);
  ASSERT_EQ(first.size(), 1u);
  {  // the sending process died: nothing marked
    auto tx = db_->Read();
    auto c = CountOutbox(*tx, 1010);
    ASSERT_TRUE(c.ok());
    EXPECT_EQ(c->leased, 1);  // in flight
  }
  EXPECT_TRUE(Claim(1029).empty());
  auto again = Claim(1030);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].message_id, first[0].message_id);
  EXPECT_EQ(again[0].body, first[0].body);
  EXPECT_EQ(again[0].attempts, 2);
}

TEST_F(OutboxTest, RetryWaitsAndFailedIsFinalAndListed) {
  const int64_t a = Insert("a@example.org", 1000);
  const int64_t b = Insert("b@example.org", 1000);
  auto rows = Claim(1000);
  ASSERT_EQ(rows.size(), 2u);
  {
    Tx tx = Write();
    ASSERT_TRUE(Retry(tx, a, 1060, "relay deferred (reply 451)").ok());
    ASSERT_TRUE(MarkFailed(tx, b, 1000, "relay rejected (reply 550)").ok());
    ASSERT_TRUE(tx.Commit().ok());
  }
  auto queued = List(OutboxStatus::kQueued);
  ASSERT_EQ(queued.size(), 1u);
  EXPECT_EQ(queued[0].next_attempt_at, 1060);
  EXPECT_EQ(queued[0].attempts, 1);
  EXPECT_EQ(queued[0].last_error, "relay deferred (reply 451)");
  auto failed = List(OutboxStatus::kFailed);
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0].to, "b@example.org");
  EXPECT_EQ(failed[0].last_error, "relay rejected (reply 550)");
  EXPECT_TRUE(Claim(1059).empty());
  EXPECT_EQ(Claim(1060).size(), 1u);
  {  // a failed row stays failed whatever comes later
    Tx tx = Write();
    ASSERT_TRUE(MarkSent(tx, b, 2000).ok());
    ASSERT_TRUE(tx.Commit().ok());
  }
  EXPECT_EQ(List(OutboxStatus::kFailed).size(), 1u);
}

TEST_F(OutboxTest, ReleaseGivesBackAnUnattemptedClaim) {
  const int64_t id = Insert("a@example.org", 1000);
  ASSERT_EQ(Claim(1000).size(), 1u);
  {
    Tx tx = Write();
    ASSERT_TRUE(Release(tx, id).ok());
    ASSERT_TRUE(tx.Commit().ok());
  }
  auto rows = Claim(1001);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].attempts, 1);
}

TEST_F(OutboxTest, ListingShowsOnlyTheCallersGroupsNewestFirst) {
  Insert("a@example.org", 1000, 7);
  Insert("b@example.org", 1000, 8);
  Insert("c@example.org", 1000, 7);
  auto mine = List(std::nullopt, {7});
  ASSERT_EQ(mine.size(), 2u);
  EXPECT_EQ(mine[0].to, "c@example.org");
  EXPECT_EQ(mine[1].to, "a@example.org");
  EXPECT_EQ(List(std::nullopt, {7, 8}).size(), 3u);
  EXPECT_TRUE(List(std::nullopt, {9}).empty());
  EXPECT_TRUE(List(std::nullopt, {}).empty());
}

TEST_F(OutboxTest, NextClaimableAtSeesDueTimesAndLeases) {
  {
    auto tx = db_->Read();
    auto t = NextClaimableAt(*tx);
    ASSERT_TRUE(t.ok());
    EXPECT_FALSE(t->has_value());
  }
  Insert("a@example.org", 1500);
  Insert("b@example.org", 1000);
  ASSERT_EQ(Claim(1000, 1, 100).size(), 1u);  // b leased until 1100
  auto tx = db_->Read();
  auto t = NextClaimableAt(*tx);
  ASSERT_TRUE(t.ok() && t->has_value());
  EXPECT_EQ(**t, 1100);
}

// ---- QueueMeetingChange: recipients and coalescing ----

TEST_F(OutboxTest, OneNoticePerRecipientDueAfterTheWindow) {
  Recipient unsubscribed = SampleMember(3);
  unsubscribed.unsubscribed = true;
  Recipient no_email = SampleMember(4);
  no_email.email.clear();
  Recipient also_presenter = SampleMember(5);
  MeetingChange c =
      SampleVenueChange({SampleMember(1), SampleMember(2), unsubscribed, no_email, also_presenter});
  c.after.presenters.push_back(PresenterRef{"Guest", "", "guest@example.net", "Talk"});
  c.after.presenters.push_back(PresenterRef{"Member 5", "", "M5@example.org", "Other talk"});
  c.after.presenters.push_back(PresenterRef{"No Mail", "", "", "Silent"});
  QueueCounts q = Queue(c, 1000);
  EXPECT_EQ(q.queued, 4);  // m1, m2, m5 (once), guest
  auto rows = List(OutboxStatus::kQueued);
  std::set<std::string> to;
  for (auto& r : rows) {
    to.insert(r.to);
    EXPECT_EQ(r.next_attempt_at, 1060);
  }
  EXPECT_EQ(to, (std::set<std::string>{"m1@example.org", "m2@example.org", "m5@example.org",
                                       "guest@example.net"}));
  EXPECT_TRUE(Claim(1059).empty());
  EXPECT_EQ(Claim(1060).size(), 4u);
}

TEST_F(OutboxTest, TwoEditsInTheWindowBecomeOneNoticeWithTheNetChange) {
  MeetingChange venue = SampleVenueChange({SampleMember(1)});
  EXPECT_EQ(Queue(venue, 1000).queued, 1);
  const std::string first_id = Rows()[0].message_id;

  MeetingChange time = venue;  // second edit: from the first edit's result, move the time
  time.before = venue.after;
  time.after.start.minute_of_day = 18 * 60;
  QueueCounts q = Queue(time, 1030);
  EXPECT_EQ(q.queued, 0);
  EXPECT_EQ(q.updated, 1);

  auto rows = Rows();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].message_id, first_id);  // the same notice
  EXPECT_EQ(rows[0].due_at, 1060);          // the window does not slide
  EXPECT_EQ(Header(rows[0].body, "Subject"), " Changed: Monthly meeting, Monday 12 July 2010");
  const std::string text = QpDecode(SplitHead(rows[0].body).second);
  EXPECT_NE(text.find("Was: Old Hall"), std::string::npos) << text;  // from the first edit
  EXPECT_NE(text.find("Now: New Hall"), std::string::npos);
  EXPECT_NE(text.find("Was: Monday 12 July 2010, 10:30 to 12:00"), std::string::npos);
  EXPECT_NE(text.find("Now: Monday 12 July 2010, 18:00 to 19:30"), std::string::npos);
}

TEST_F(OutboxTest, AnEditUndoneInTheWindowSendsNothing) {
  MeetingChange there = SampleVenueChange({SampleMember(1), SampleMember(2)});
  EXPECT_EQ(Queue(there, 1000).queued, 2);
  MeetingChange back = there;
  std::swap(back.before, back.after);
  QueueCounts q = Queue(back, 1010);
  EXPECT_EQ(q.superseded, 2);
  EXPECT_EQ(q.queued, 0);
  EXPECT_TRUE(List(OutboxStatus::kQueued).empty());
  EXPECT_TRUE(Claim(2000).empty());
  // A third edit starts a fresh notice from the original state.
  EXPECT_EQ(Queue(there, 1020).queued, 2);
  auto rows = List(OutboxStatus::kQueued);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].next_attempt_at, 1080);
}

TEST_F(OutboxTest, AnEditAfterTheWindowIsANewNoticeFromWhereTheLastLeftOff) {
  MeetingChange first = SampleVenueChange({SampleMember(1)});
  Queue(first, 1000);
  MeetingChange second = first;
  second.before = first.after;
  second.after.venue = VenueRef{"Third Hall", "", ""};
  EXPECT_EQ(Queue(second, 1060).queued, 1);  // due time reached: the window is closed
  auto rows = Rows();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_NE(rows[0].message_id, rows[1].message_id);
  const std::string text = QpDecode(SplitHead(rows[1].body).second);
  EXPECT_NE(text.find("Was: New Hall"), std::string::npos) << text;
  EXPECT_NE(text.find("Now: Third Hall"), std::string::npos);
}

TEST_F(OutboxTest, AClaimedNoticeIsNeverRewritten) {
  options_.delay_seconds = 0;
  MeetingChange first = SampleVenueChange({SampleMember(1)});
  Queue(first, 1000);
  ASSERT_EQ(Claim(1000).size(), 1u);
  const std::string body = Rows()[0].body;
  MeetingChange second = first;
  second.before = first.after;
  second.after.status = calendar::MeetingStatus::kCancelled;
  EXPECT_EQ(Queue(second, 1000).queued, 1);
  auto rows = Rows();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].body, body);
}

TEST_F(OutboxTest, InvitationsCarryTheCalendarPartWithTheRightMethod) {
  MeetingChange c =
      SampleVenueChange({SampleMember(1), SampleMember(2, calendar::Delivery::kInvitations)});
  c.render_invitation = HandMadeRenderer();
  Queue(c, 1000);
  auto rows = Rows();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(Header(rows[0].body, "Content-Type"), " text/plain; charset=UTF-8");  // feed
  EXPECT_NE(Header(rows[1].body, "Content-Type").find("multipart/alternative"), std::string::npos);
  EXPECT_NE(rows[1].body.find("text/calendar; method=REQUEST; charset=UTF-8"), std::string::npos);

  MeetingChange cancel = c;
  cancel.meeting_id = 43;
  cancel.after = cancel.before;
  cancel.after.status = calendar::MeetingStatus::kCancelled;
  Queue(cancel, 1000);
  rows = Rows();
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_NE(rows[3].body.find("text/calendar; method=CANCEL; charset=UTF-8"), std::string::npos);
}

TEST_F(OutboxTest, ABrokenRendererFallsBackToThePlainNotice) {
  MeetingChange c = SampleVenueChange({SampleMember(2, calendar::Delivery::kInvitations)});
  c.render_invitation = [](const Recipient&, const MeetingSnapshot&,
                           ItipMethod) -> Result<std::string> {
    return std::string("BEGIN:VCALENDAR\r\nMETHOD:PUBLISH\r\nEND:VCALENDAR\r\n");  // wrong METHOD
  };
  EXPECT_EQ(Queue(c, 1000).queued, 1);
  EXPECT_EQ(Header(Rows()[0].body, "Content-Type"), " text/plain; charset=UTF-8");
}

TEST_F(OutboxTest, AnUnusableAddressIsSkippedNotFatal) {
  Recipient bad = SampleMember(2);
  bad.email = "bad\r\nBcc: x@example.org";
  QueueCounts q = Queue(SampleVenueChange({SampleMember(1), bad}), 1000);
  EXPECT_EQ(q.queued, 1);
  EXPECT_EQ(q.skipped, 1);
}

TEST_F(OutboxTest, MessageIdsAreUniqueAndFromTheOrganisersDomain) {
  Queue(SampleVenueChange({SampleMember(1), SampleMember(2), SampleMember(3)}), 1000);
  std::set<std::string> ids;
  for (auto& r : Rows()) {
    ids.insert(r.message_id);
    EXPECT_EQ(r.message_id.substr(r.message_id.size() - 13), "@example.org>");
    EXPECT_EQ(Header(r.body, "Message-ID"), " " + r.message_id);
  }
  EXPECT_EQ(ids.size(), 3u);
}

// ---- apologies, quorum, welcome ----

ApologiesChange Apologies(std::vector<ApologyRef> before, std::vector<ApologyRef> after,
                          int quorum) {
  ApologiesChange c;
  c.group = SampleGroup();
  c.meeting_id = 42;
  c.series_title = "Monthly meeting";
  c.meeting = SampleMeeting();
  c.before = before;
  c.after = after;
  c.forecast_before = calendar::ForecastQuorum(10, static_cast<int>(before.size()), quorum);
  c.forecast_after = calendar::ForecastQuorum(10, static_cast<int>(after.size()), quorum);
  return c;
}

TEST_F(OutboxTest, QuorumAtRiskGoesToTheOrganiserOnce) {
  const ApologyRef a{"A", ""}, b{"B", ""}, c{"C", ""};
  auto queue = [&](const ApologiesChange& ch, int64_t now) {
    Tx tx = Write();
    auto q = QueueApologies(tx, ch, options_, now);
    EXPECT_TRUE(q.ok());
    EXPECT_TRUE(tx.Commit().ok());
    return q.ok() ? *q : QueueCounts{};
  };
  // 10 members, quorum 9: the second apology puts it at risk.
  EXPECT_EQ(queue(Apologies({}, {a}, 9), 1000).queued, 1);  // apologies only
  QueueCounts q = queue(Apologies({a}, {a, b}, 9), 1010);
  EXPECT_EQ(q.updated, 1);  // the same apologies notice, now naming A and B
  EXPECT_EQ(q.queued, 1);   // + the quorum warning
  auto rows = Rows();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(Header(rows[0].body, "Subject"),
            " Apologies (2 new): Monthly meeting, Monday 12 July 2010");
  EXPECT_EQ(Header(rows[1].body, "Subject"),
            " Quorum at risk: Monthly meeting, Monday 12 July 2010");
  EXPECT_EQ(Header(rows[1].body, "To"), " \"The Secretary\" <secretary@example.org>");

  // Sent; later apologies never warn again.
  ASSERT_EQ(Claim(2000).size(), 2u);
  q = queue(Apologies({a, b}, {a, b, c}, 9), 3000);
  EXPECT_EQ(q.queued, 1);  // apologies for C only
  EXPECT_EQ(Rows().size(), 3u);
}

TEST_F(OutboxTest, AnApologyWithdrawnInTheWindowSendsNoQuorumWarning) {
  const ApologyRef a{"A", ""}, b{"B", ""};
  {
    Tx tx = Write();
    ASSERT_TRUE(QueueApologies(tx, Apologies({a}, {a, b}, 9), options_, 1000).ok());
    ASSERT_TRUE(QueueApologies(tx, Apologies({a, b}, {a}, 9), options_, 1010).ok());
    ASSERT_TRUE(tx.Commit().ok());
  }
  EXPECT_TRUE(List(OutboxStatus::kQueued).empty());
  auto rows = Rows();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].status, "superseded");
  EXPECT_EQ(rows[1].status, "superseded");
}

TEST_F(OutboxTest, WelcomeIsDueAtOnce) {
  Tx tx = Write();
  Welcome w{SampleGroup(), SampleMember(1)};
  auto q = QueueWelcome(tx, w, options_, 1000);
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->queued, 1);
  ASSERT_TRUE(tx.Commit().ok());
  EXPECT_EQ(Claim(1000).size(), 1u);
}

TEST(SnapshotJson, RoundTrips) {
  MeetingSnapshot s = SampleMeeting();
  s.status = calendar::MeetingStatus::kCancelled;
  s.presenters.push_back(PresenterRef{"N\xc3\xa9", "Org \"q\"", "n@example.org", "T\r\nopic"});
  auto back = ParseSnapshotJson(SnapshotJson(s));
  ASSERT_TRUE(back.ok());
  EXPECT_TRUE(*back == s);
  EXPECT_FALSE(ParseSnapshotJson("{not json").ok());
}

}  // namespace
}  // namespace convene::notify
