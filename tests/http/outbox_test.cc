// Notices through the real server: each change commits with its outbox rows, edits inside the
// window coalesce, GET /api/v1/outbox lists them per organiser, and the worker (woken after
// commit) writes them to the spool once due.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "tests/support/api_fixture.h"

namespace convene::server {
namespace {

using nlohmann::json;

class OutboxApiTest : public convene::testing::ApiFixture {
 protected:
  json PostOk(const std::string& path, const json& body, int want = 201) {
    auto r = Post(path, body);
    EXPECT_EQ(r->status, want) << path << " " << r->body;
    return Body(r);
  }
  json PatchOk(int64_t meeting, const json& body) {
    auto r = PatchMeeting(meeting, body);
    EXPECT_EQ(r->status, 200) << r->body;
    return Body(r);
  }
  // GET /api/v1/outbox[?status=]: {status code, messages}.
  std::pair<int, json> Outbox(const std::string& status = "", const std::string& token = "") {
    const std::string path = "/api/v1/outbox" + (status.empty() ? "" : "?status=" + status);
    auto r = Get(path, token);
    json b = json::parse(r->body, nullptr, false);
    return {r->status, r->status == 200 ? b["messages"] : b};
  }
  std::vector<std::string> SpoolFiles() {
    std::vector<std::string> out;
    std::error_code ec;
    for (auto& e : std::filesystem::directory_iterator(server_.app().config().spool_dir(), ec))
      if (e.path().extension() == ".eml") {
        std::ifstream f(e.path(), std::ios::binary);
        std::stringstream ss;
        ss << f.rdbuf();
        out.push_back(ss.str());
      }
    return out;
  }

  // A group of 3 (quorum 3), two venues, a series of three meetings.
  void Seed() {
    venue1_ = PostOk("/api/v1/venues", {{"name", "Old Hall"}, {"address", "1 High Street"}})["id"];
    venue2_ = PostOk("/api/v1/venues", {{"name", "New Hall"}, {"address", "2 Low Street"}})["id"];
    PostOk(
        "/api/v1/groups",
        {{"slug", "futures"}, {"name", "Futures"}, {"timezone", "Europe/London"}, {"quorum", 3}});
    for (const char* n : {"ann", "bob", "cy"}) {
      members_.push_back(
          PostOk("/api/v1/groups/futures/members",
                 {{"name", n},
                  {"email", std::string(n) + "@example.org"},
                  {"delivery", std::string(n) == "bob" ? "invitations" : "feed"}})["id"]);
    }
    json s = PostOk("/api/v1/groups/futures/series", {{"title", "Futures meeting"},
                                                      {"venue_id", venue1_},
                                                      {"start_time", "10:30"},
                                                      {"duration_minutes", 120},
                                                      {"rrule", "FREQ=MONTHLY;BYDAY=3MO;COUNT=3"},
                                                      {"first_date", "2010-03-01"}});
    for (const auto& m : s["meetings"]) meetings_.push_back(m["id"]);
  }

  static int Count(const json& messages, const std::string& kind) {
    int n = 0;
    for (const auto& m : messages) n += m["kind"] == kind;
    return n;
  }

  int64_t venue1_ = 0, venue2_ = 0;
  std::vector<int64_t> members_, meetings_;
};

TEST_F(OutboxApiTest, ChangesQueueCoalescedNoticesThatTheWorkerDelivers) {
  Seed();
  auto [st, welcome] = Outbox();  // due at once: queued or already sent
  ASSERT_EQ(st, 200);
  EXPECT_EQ(Count(welcome, "welcome"), 3);

  PatchOk(meetings_[0], {{"venue_id", venue2_}});
  PatchOk(meetings_[0], {{"start", "2010-03-15T14:00"}});  // inside the window: the same notices
  PatchOk(meetings_[1], {{"status", "cancelled"}});
  PatchOk(meetings_[1], {{"status", "scheduled"}});        // undone: nothing for meeting 2
  PatchOk(meetings_[2], {{"notes", "Bring the papers"}});  // notes only: no notice
  auto [st2, queued] = Outbox("queued");
  ASSERT_EQ(st2, 200);
  ASSERT_EQ(Count(queued, "meeting_change"), 3) << queued.dump(1);
  for (const auto& m : queued) {
    if (m["kind"] != "meeting_change") continue;
    EXPECT_EQ(m["meeting_id"], meetings_[0]);
    EXPECT_EQ(m["subject"], "Changed: Futures meeting, Monday 15 March 2010");
    EXPECT_EQ(m["attempts"], 0);
    EXPECT_TRUE(m["next_attempt_at"].is_string());
  }

  // Apologies: the organiser hears, and the quorum warning goes out (3 members, quorum 3).
  PostOk("/api/v1/meetings/" + std::to_string(meetings_[0]) + "/apologies",
         {{"member_id", members_[0]}, {"reason", "Council meeting"}});
  auto [st3, after_apology] = Outbox("queued");
  EXPECT_EQ(Count(after_apology, "apologies"), 1);
  EXPECT_EQ(Count(after_apology, "quorum_at_risk"), 1);

  // Another organiser sees none of it; a bad filter names the field.
  EXPECT_EQ(Outbox("", other_token_).second.size(), 0u);
  auto [bad, err] = Outbox("bogus");
  EXPECT_EQ(bad, 400);
  EXPECT_EQ(err["error"]["field"], "status");

  // Due after --notice-delay: the worker sends them to the spool.
  server_.clock().Advance(61);
  server_.app().mail_worker().Wake();
  std::vector<std::string> files;
  for (int i = 0; i < 100 && files.size() < 8; ++i) {  // bounded: up to 10 s
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    files = SpoolFiles();
  }
  EXPECT_EQ(files.size(), 8u);  // 3 welcome + 3 changes + apologies + quorum
  auto [st4, sent] = Outbox("sent");
  EXPECT_EQ(sent.size(), 8u);
  EXPECT_EQ(Outbox("queued").second.size(), 0u);

  int changes = 0;
  for (std::string f : files) {
    // Undo quoted-printable soft line breaks so phrases can be found whole.
    for (size_t p; (p = f.find("=\r\n")) != std::string::npos;) f.erase(p, 3);
    if (f.find("Subject: Changed: Futures meeting") == std::string::npos) continue;
    ++changes;
    EXPECT_NE(f.find("From: \"The Secretary\" <sec@example.org>"), std::string::npos);
    EXPECT_NE(f.find("List-Unsubscribe: <http"), std::string::npos);
    EXPECT_NE(f.find("Was: Old Hall, 1 High Street"), std::string::npos);
    EXPECT_NE(f.find("Now: New Hall, 2 Low Street"), std::string::npos);
    EXPECT_NE(f.find("/apologies/"), std::string::npos);
    // Later meetings stay at Old Hall.
    EXPECT_NE(f.find("later meetings remain at Old Hall"), std::string::npos);
  }
  EXPECT_EQ(changes, 3);
}

TEST_F(OutboxApiTest, PresentersWithAnEmailHearTheyArePresenting) {
  Seed();
  // Before the meeting of 19 April 2010: presenters of a meeting that has started are changed
  // without telling anyone (desk_bugs_test.cc).
  server_.clock().Set(1270080000);  // 2010-04-01T00:00:00Z
  PostOk("/api/v1/meetings/" + std::to_string(meetings_[1]) + "/presenters",
         {{"name", "Dr Ada"}, {"email", "ada@example.net"}, {"topic", "Engines"}});
  auto [st, queued] = Outbox("queued");
  ASSERT_EQ(st, 200);
  int to_ada = 0;
  for (const auto& m : queued) {
    if (m["to"] != "ada@example.net") continue;
    ++to_ada;
    EXPECT_EQ(m["subject"], "You are presenting: Futures meeting, Monday 19 April 2010");
  }
  EXPECT_EQ(to_ada, 1);
  EXPECT_EQ(Count(queued, "meeting_change"), 4);  // 3 members + the presenter
}

}  // namespace
}  // namespace convene::server

namespace convene::server {
namespace {

TEST(UnsubscribeToken, BelongsToOneMemberAndIsNoApologyToken) {
  const std::string key(64, 'k');
  calendar::Member m;
  m.id = 42;
  const std::string t = UnsubscribeToken(key, m.id, m.links_version);
  EXPECT_EQ(t.size(), 43u);
  EXPECT_TRUE(UnsubscribeTokenValid(key, t, m));
  EXPECT_FALSE(ApologyTokenValid(key, t, m, 0));
  const std::string apology = ApologyToken(key, 7, m.id, m.links_version);
  EXPECT_FALSE(UnsubscribeTokenValid(key, apology, m));
  calendar::Member other = m;
  other.id = 43;
  EXPECT_FALSE(UnsubscribeTokenValid(key, t, other));
  m.links_version = 1;  // revoked with the member's other links
  EXPECT_FALSE(UnsubscribeTokenValid(key, t, m));
  EXPECT_FALSE(UnsubscribeTokenValid(std::string(64, 'x'), t, other));
}

}  // namespace
}  // namespace convene::server
