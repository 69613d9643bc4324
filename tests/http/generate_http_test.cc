// A generated organisation (convene demo --size, server/app/generate.h) served by a real server:
// the API, the feeds and the notices take its rows as their own, on either engine.
#include <gtest/gtest.h>

#include <string>

#include "server/app/generate.h"
#include "tests/support/api_fixture.h"

namespace convene::testing {
namespace {

class GeneratedOrganisation : public ApiFixture {
 protected:
  // Generates `size` into the server's database and logs in as its organiser.
  void Load(const std::string& size) {
    server::GenerateOptions o;
    o.size = size;
    o.seed = 3;
    o.first_year = 2021;  // the fake clock says 5 January 2026: half past, half to come
    auto g = server::GenerateOrganisation(server_.app().ops().db(), o);
    ASSERT_TRUE(g.ok()) << g.status().ToString();
    auto t = server_.app().ops().IssueApiToken(server::kGeneratedOrganiser, "");
    ASSERT_TRUE(t.ok());
    token_ = *t;
  }
};

int Occurrences(const std::string& text, const std::string& what) {
  int n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST_F(GeneratedOrganisation, MeetingsAreTheApisAndTheFeedsAndAChangeTellsEveryMember) {
  Load("meetings:300");
  auto list = Get("/api/v1/groups/scale/meetings");
  ASSERT_TRUE(list);
  ASSERT_EQ(list->status, 200) << list->body;
  const auto meetings = Body(list)["meetings"];
  ASSERT_EQ(meetings.size(), 300u);
  int scheduled = 0;
  int64_t next = 0;  // the first scheduled meeting after the fake clock's 5 January 2026
  for (const auto& m : meetings) {
    if (m["status"] != "scheduled") continue;
    ++scheduled;
    if (next == 0 && m["start"].get<std::string>() > "2026-01-12") next = m["id"].get<int64_t>();
  }
  auto feed = server_.Client().Get("/feeds/groups/scale.ics");
  ASSERT_TRUE(feed);
  EXPECT_EQ(feed->status, 200);
  EXPECT_EQ(Occurrences(feed->body, "RECURRENCE-ID"), scheduled);

  // A venue change of one coming meeting: one notice to each member who has not unsubscribed.
  ASSERT_NE(next, 0);
  auto members = Body(Get("/api/v1/groups/scale/members"));
  size_t subscribed = 0;
  for (const auto& m : members["members"]) subscribed += m["unsubscribed"] == false;
  ASSERT_EQ(members["members"].size(), 20u);
  auto venues = Body(Get("/api/v1/venues"));
  ASSERT_EQ(venues["venues"].size(), 5u);
  auto meeting = Body(Get("/api/v1/meetings/" + std::to_string(next)));
  int64_t other = 0;
  for (const auto& v : venues["venues"])
    if (v["id"] != meeting["venue"]["id"]) other = v["id"].get<int64_t>();
  auto changed = PatchMeeting(
      next, {{"venue_id", other}, {"force", true}});  // force: a clash is not the point
  ASSERT_TRUE(changed);
  ASSERT_EQ(changed->status, 200) << changed->body;
  auto outbox = Body(Get("/api/v1/outbox?status=queued"));
  EXPECT_EQ(outbox["messages"].size(), subscribed);
  for (const auto& m : outbox["messages"]) {
    EXPECT_EQ(m["kind"], "meeting_change");
    EXPECT_EQ(m["meeting_id"], next);
  }
}

TEST_F(GeneratedOrganisation, MembersAreTheApis) {
  Load("members:250");
  auto members = Get("/api/v1/groups/scale/members");
  ASSERT_TRUE(members);
  ASSERT_EQ(members->status, 200);
  EXPECT_EQ(Body(members)["members"].size(), 250u);
  auto group = Body(Get("/api/v1/groups/scale"));
  EXPECT_EQ(group["public"], true);
  EXPECT_TRUE(group["reminder_days"].is_null());
  auto meetings = Body(Get("/api/v1/groups/scale/meetings"));
  EXPECT_EQ(meetings["meetings"].size(), 120u);
}

}  // namespace
}  // namespace convene::testing
