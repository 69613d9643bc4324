// Reminders before meetings (issue 11): due `reminder_days` before the meeting at its wall-clock
// time, one per member who has not sent apologies, one digest to the organiser, never twice,
// none for cancelled or started meetings. QueueDueReminders is called as the maintenance thread
// calls it, with the fake clock moved by hand.
#include "server/ops/reminders.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <thread>

#include "server/ops/secrets.h"
#include "tests/support/api_fixture.h"

namespace convene::server {
namespace {

using nlohmann::json;

// Monday 17 May 2027 10:30 in London (BST, +01:00) is 09:30 UTC.
constexpr int64_t kMeetingUtc = 1810546200;
constexpr int64_t kDay = 86400;

class RemindersTest : public convene::testing::ApiFixture {
 protected:
  void SetUp() override {
    ApiFixture::SetUp();
    venue_ =
        Body(Post("/api/v1/venues", {{"name", "Council House"},
                                     {"address", "Victoria Square, Birmingham"},
                                     {"postcode", "B1 1BB"},
                                     {"notes", "Ask for the Futures meeting at reception"}}))["id"];
    ASSERT_EQ(Post("/api/v1/groups", {{"slug", "futures"},
                                      {"name", "Futures"},
                                      {"timezone", "Europe/London"},
                                      {"quorum", 3}})
                  ->status,
              201);
    for (const char* n : {"ann", "bob", "cy"}) {
      auto r = Post("/api/v1/groups/futures/members",
                    {{"name", n}, {"email", std::string(n) + "@example.org"}});
      ASSERT_EQ(r->status, 201);
      members_.push_back(Body(r)["id"]);
    }
    auto s = Post("/api/v1/groups/futures/series", {{"title", "Futures meeting"},
                                                    {"venue_id", venue_},
                                                    {"start_time", "10:30"},
                                                    {"duration_minutes", 120},
                                                    {"dates", {"2027-05-17", "2027-07-19"}},
                                                    {"agenda", "Minutes; strategy"}});
    ASSERT_EQ(s->status, 201) << s->body;
    const json created = Body(s);
    may_ = created["meetings"][0]["id"];
    july_ = created["meetings"][1]["id"];
  }

  ReminderCounts Run() {
    NoticeContext ctx;
    ctx.base_url = "https://convene.example.org";
    ctx.random = SystemRandom();
    auto r = QueueDueReminders(server_.app().ops().db(), server_.clock().now(), ctx);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : ReminderCounts{};
  }

  json Outbox(const std::string& kind) {
    json out = json::array();
    const json all = Body(Get("/api/v1/outbox"));
    for (const json& m : all["messages"])
      if (m["kind"] == kind) out.push_back(m);
    return out;
  }

  // The spooled message holding both strings, quoted-printable undone (soft breaks joined, "=3D"
  // back to "="); waits up to 15 s for the worker.
  std::string SpoolText(const std::string& a, const std::string& b) {
    server_.app().mail_worker().Wake();
    for (int i = 0; i < 600; ++i) {
      std::error_code ec;  // the spool folder appears with the first message
      for (const auto& e :
           std::filesystem::directory_iterator(server_.app().config().spool_dir(), ec)) {
        std::ifstream f(e.path(), std::ios::binary);
        std::stringstream ss;
        ss << f.rdbuf();
        const std::string raw = ss.str();
        if (raw.find(a) == std::string::npos || raw.find(b) == std::string::npos) continue;
        std::string text;
        for (size_t k = 0; k < raw.size(); ++k) {
          if (raw.compare(k, 3, "=\r\n") == 0) {
            k += 2;
          } else if (raw.compare(k, 3, "=3D") == 0) {
            text += '=';
            k += 2;
          } else {
            text += raw[k];
          }
        }
        return text;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    return "";
  }

  int64_t venue_ = 0, may_ = 0, july_ = 0;
  std::vector<int64_t> members_;
};

TEST_F(RemindersTest, DueSevenDaysBeforeOncePerMemberWithoutApologies) {
  ASSERT_EQ(Post("/api/v1/meetings/" + std::to_string(may_) + "/apologies",
                 {{"member_id", members_[0]}, {"reason", "Travelling"}})
                ->status,
            201);
  server_.clock().Set(kMeetingUtc - 7 * kDay - 60);  // a minute early
  EXPECT_EQ(Run().reminders, 0);
  EXPECT_TRUE(Outbox("reminder").empty());

  server_.clock().Set(kMeetingUtc - 7 * kDay);  // Monday 10 May 2027 10:30 London
  const ReminderCounts r = Run();
  EXPECT_EQ(r.meetings, 1);
  EXPECT_EQ(r.reminders, 2);  // bob and cy: ann sent apologies
  EXPECT_EQ(r.digests, 1);
  const json reminders = Outbox("reminder");
  ASSERT_EQ(reminders.size(), 2u);
  std::set<std::string> to;
  for (const json& m : reminders) {
    to.insert(m["to"]);
    EXPECT_EQ(m["subject"], "Reminder: Futures meeting, Monday 17 May 2027");
    EXPECT_EQ(m["meeting_id"], may_);
  }
  EXPECT_EQ(to, (std::set<std::string>{"bob@example.org", "cy@example.org"}));
  const json digest = Outbox("reminder_digest");
  ASSERT_EQ(digest.size(), 1u);
  EXPECT_EQ(digest[0]["to"], "sec@example.org");
  EXPECT_EQ(digest[0]["subject"],
            "Reminders sent: Futures meeting, Monday 17 May 2027 (2 expected, 1 apology, quorum "
            "3: at risk)");

  // Never twice, and the July meeting is not due yet.
  server_.clock().Advance(3600);
  EXPECT_EQ(Run().reminders, 0);
  EXPECT_EQ(Outbox("reminder").size(), 2u);
}

TEST_F(RemindersTest, TheReminderSaysWhereWhenAndLinksThePageAndApologies) {
  server_.clock().Set(kMeetingUtc - 7 * kDay + 5);
  ASSERT_EQ(Run().reminders, 3);
  server_.app().mail_worker().Wake();
  const std::string text = SpoolText("To: \"bob\" <bob@example.org>", "Subject: Reminder:");
  ASSERT_FALSE(text.empty());
  EXPECT_NE(text.find("Monday 17 May 2027, 10:30 to 12:30"), std::string::npos) << text;
  EXPECT_NE(text.find("Council House, Victoria Square, Birmingham, B1 1BB"), std::string::npos);
  EXPECT_NE(text.find("https://www.openstreetmap.org/search?query=Council+House"),
            std::string::npos);
  EXPECT_NE(text.find("Getting in: Ask for the Futures meeting at reception"), std::string::npos);
  EXPECT_NE(text.find("Minutes; strategy"), std::string::npos);
  EXPECT_NE(text.find("https://convene.example.org/apologies/"), std::string::npos);
  const size_t page = text.find("Your page: https://convene.example.org/m/");
  ASSERT_NE(page, std::string::npos);
  const std::string token = text.substr(page + 41, 43);
  // The page link works; a new page link from the organiser revokes it.
  auto c = server_.Client();
  EXPECT_EQ(c.Get(("/m/" + token).c_str())->status, 200);
  ASSERT_EQ(Post("/api/v1/members/" + std::to_string(members_[1]) + "/page-token", json::object())
                ->status,
            201);
  EXPECT_EQ(c.Get(("/m/" + token).c_str())->status, 404);
}

TEST_F(RemindersTest, NoneForCancelledOrStartedMeetingsOrWhenTurnedOff) {
  ASSERT_EQ(PatchMeeting(may_, {{"status", "cancelled"}})->status, 200);
  server_.clock().Set(kMeetingUtc - kDay);
  EXPECT_EQ(Run().reminders, 0);
  server_.clock().Set(kMeetingUtc + 60);  // started: reinstating it now tells no one
  ASSERT_EQ(PatchMeeting(may_, {{"status", "scheduled"}})->status, 200);
  EXPECT_EQ(Run().reminders, 0);

  // Turned off for the group: the July meeting gets none either.
  ASSERT_EQ(PatchCurrent("/api/v1/groups/futures", {{"reminder_days", nullptr}})->status, 200);
  EXPECT_TRUE(Body(Get("/api/v1/groups/futures"))["reminder_days"].is_null());
  server_.clock().Set(kMeetingUtc + 63 * kDay - 6 * kDay);
  EXPECT_EQ(Run().reminders, 0);
  EXPECT_TRUE(Outbox("reminder").empty());
  auto bad = PatchCurrent("/api/v1/groups/futures", {{"reminder_days", 61}});
  EXPECT_EQ(bad->status, 400);
  EXPECT_EQ(Body(bad)["error"]["field"], "reminder_days");
}

TEST_F(RemindersTest, AMeetingMovedIntoTheWindowIsRemindedAtTheNextRun) {
  // 1 July 2027: the July meeting (19 July) is 18 days away, outside a 7-day window.
  server_.clock().Set(kMeetingUtc + 45 * kDay);
  EXPECT_EQ(Run().reminders, 0);
  ASSERT_EQ(PatchMeeting(july_, {{"start", "2027-07-05T10:30"}})->status, 200);
  EXPECT_EQ(Run().reminders, 3);
  EXPECT_EQ(Run().reminders, 0);
}

// Issue 12 bug 10: a member who takes their apologies back inside the notice window withdraws the
// organiser's waiting "apologies received" notice (and the quorum warning it raised).
TEST_F(RemindersTest, WithdrawingApologiesWithdrawsTheWaitingNotice) {
  auto& ops = server_.app().ops();
  const std::string token = ApologyToken(ops.link_key(), may_, members_[0], 0);
  const std::string form = "csrf=" + ops.FormToken("apology", token);
  auto c = server_.Client();
  auto sent = c.Post(("/apologies/" + token).c_str(), form + "&reason=ill",
                     "application/x-www-form-urlencoded");
  ASSERT_EQ(sent->status, 303) << sent->body;
  EXPECT_EQ(Outbox("apologies").size(), 1u);
  EXPECT_EQ(Outbox("quorum_at_risk").size(), 1u);  // 2 expected, quorum 3
  auto back = c.Post(("/apologies/" + token + "/withdraw").c_str(), form,
                     "application/x-www-form-urlencoded");
  ASSERT_EQ(back->status, 303) << back->body;
  EXPECT_TRUE(Outbox("apologies").empty());
  const json superseded = Body(Get("/api/v1/outbox?status=superseded"))["messages"];
  int apologies = 0;
  for (const json& m : superseded) apologies += m["kind"] == "apologies";
  EXPECT_EQ(apologies, 1);
}

// Issue 11 "notices that help": a change notice carries the member's own page link, the map link
// and how to get in; the welcome explains the feed and invitations.
TEST_F(RemindersTest, ChangeNoticesLinkTheMembersPageTheMapAndAccessNotes) {
  ASSERT_EQ(PatchMeeting(may_, {{"start", "2027-05-17T11:00"}})->status, 200);
  server_.clock().Advance(61);  // past the notice window
  const std::string text = SpoolText("To: \"cy\" <cy@example.org>", "Subject: Time changed:");
  ASSERT_FALSE(text.empty());
  EXPECT_NE(text.find("Map:   https://www.openstreetmap.org/search?query=Council+House"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("Getting in: Ask for the Futures meeting at reception"), std::string::npos);
  const size_t page = text.find("Your page: http");
  ASSERT_NE(page, std::string::npos);
  const size_t m = text.find("/m/", page);
  const std::string token = text.substr(m + 3, 43);
  EXPECT_EQ(server_.Client().Get(("/m/" + token).c_str())->status, 200);

  const std::string welcome = SpoolText("To: \"cy\" <cy@example.org>", "Subject: Welcome to");
  EXPECT_NE(welcome.find("Calendar feed: subscribe once"), std::string::npos) << welcome;
  EXPECT_NE(welcome.find("Calendar invitations: each change arrives"), std::string::npos);
}

}  // namespace
}  // namespace convene::server
