// The JSON API over real HTTP on loopback: every endpoint and every error status of api.md.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "tests/support/api_fixture.h"

namespace convene::server {
namespace {

using nlohmann::json;

class ApiTest : public convene::testing::ApiFixture {
 protected:
  // A venue, a group and a rule series; returns the series response.
  json Seed() {
    auto v = Post("/api/v1/venues", {{"name", "Siemens, Hillgate House"},
                                     {"address", "26 Old Bailey, London"},
                                     {"postcode", "EC4M 7HS"},
                                     {"capacity", 30}});
    EXPECT_EQ(v->status, 201) << v->body;
    venue_ = Body(v)["id"];
    auto v2 = Post(
        "/api/v1/venues",
        {{"name", "Guildhall"}, {"address", "Gresham Street, London"}, {"postcode", "EC2V 7HH"}});
    venue2_ = Body(v2)["id"];
    auto g = Post(
        "/api/v1/groups",
        {{"slug", "futures"}, {"name", "Futures"}, {"timezone", "Europe/London"}, {"quorum", 2}});
    EXPECT_EQ(g->status, 201) << g->body;
    auto s = PostRuleSeries("futures", venue_);
    EXPECT_EQ(s->status, 201) << s->body;
    return Body(s);
  }

  int64_t venue_ = 0, venue2_ = 0;
};

TEST_F(ApiTest, HealthzNeedsNoAuth) {
  auto c = server_.Client();
  auto r = c.Get("/healthz");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(Body(r)["status"], "ok");
}

TEST_F(ApiTest, MissingOrWrongTokenIs401) {
  auto c = server_.Client();
  auto r = c.Get("/api/v1/venues");
  EXPECT_EQ(r->status, 401);
  EXPECT_EQ(Body(r)["error"]["code"], "unauthenticated");
  EXPECT_EQ(Get("/api/v1/venues", std::string(43, 'A'))->status, 401);
}

TEST_F(ApiTest, MeetingsCarryLocalTimesWithTheRightOffsetOnBothSidesOfEachClockChange) {
  json s = Seed();
  ASSERT_EQ(s["meetings"].size(), 5u);
  auto r = Get("/api/v1/groups/futures/meetings?from=2010-01-01&to=2010-12-31");
  ASSERT_EQ(r->status, 200);
  json list = Body(r)["meetings"];
  ASSERT_EQ(list.size(), 5u);
  // 15 March: GMT; 17 May, 19 July, 20 September: BST; 15 November: GMT again.
  EXPECT_EQ(list[0]["start"], "2010-03-15T10:30:00+00:00");
  EXPECT_EQ(list[0]["end"], "2010-03-15T13:00:00+00:00");
  EXPECT_EQ(list[1]["start"], "2010-05-17T10:30:00+01:00");
  EXPECT_EQ(list[2]["start"], "2010-07-19T10:30:00+01:00");
  EXPECT_EQ(list[3]["start"], "2010-09-20T10:30:00+01:00");
  EXPECT_EQ(list[4]["start"], "2010-11-15T10:30:00+00:00");
  EXPECT_EQ(list[4]["venue"]["name"], "Siemens, Hillgate House");
  EXPECT_EQ(list[4]["status"], "scheduled");
  // Range filters.
  EXPECT_EQ(
      Body(Get("/api/v1/groups/futures/meetings?from=2010-07-01&to=2010-09-30"))["meetings"].size(),
      2u);
  auto bad = Get("/api/v1/groups/futures/meetings?from=2010-13-01");
  EXPECT_EQ(bad->status, 400);
  EXPECT_EQ(Body(bad)["error"]["field"], "from");
}

TEST_F(ApiTest, PatchNeedsIfMatchAndBumpsSequence) {
  json s = Seed();
  int64_t id = s["meetings"][1]["id"];
  auto g = Get("/api/v1/meetings/" + std::to_string(id));
  ASSERT_EQ(g->status, 200);
  std::string etag = g->get_header_value("ETag");
  ASSERT_FALSE(etag.empty());

  auto no = Patch("/api/v1/meetings/" + std::to_string(id), {{"venue_id", venue2_}}, "");
  EXPECT_EQ(no->status, 428);
  auto stale = Patch("/api/v1/meetings/" + std::to_string(id), {{"venue_id", venue2_}}, "\"m0-0\"");
  EXPECT_EQ(stale->status, 412);
  auto ok = Patch("/api/v1/meetings/" + std::to_string(id), {{"venue_id", venue2_}}, etag);
  ASSERT_EQ(ok->status, 200) << ok->body;
  EXPECT_EQ(Body(ok)["venue"]["name"], "Guildhall");
  EXPECT_EQ(Body(ok)["sequence"], 1);
  std::string etag2 = ok->get_header_value("ETag");
  EXPECT_NE(etag, etag2);
  // The old ETag is stale now: a second writer with it loses nothing, it gets 412.
  EXPECT_EQ(
      Patch("/api/v1/meetings/" + std::to_string(id), {{"status", "cancelled"}}, etag)->status,
      412);

  auto moved = Patch("/api/v1/meetings/" + std::to_string(id),
                     {{"start", "2010-05-24T14:00"}, {"duration_minutes", 90}}, etag2);
  ASSERT_EQ(moved->status, 200) << moved->body;
  EXPECT_EQ(Body(moved)["start"], "2010-05-24T14:00:00+01:00");
  EXPECT_EQ(Body(moved)["end"], "2010-05-24T15:30:00+01:00");
  EXPECT_EQ(Body(moved)["original_start"], "2010-05-17T10:30:00+01:00");
  EXPECT_EQ(Body(moved)["sequence"], 2);

  auto cancelled = Patch("/api/v1/meetings/" + std::to_string(id), {{"status", "cancelled"}},
                         moved->get_header_value("ETag"));
  ASSERT_EQ(cancelled->status, 200);
  EXPECT_EQ(Body(cancelled)["status"], "cancelled");
  auto back = Patch("/api/v1/meetings/" + std::to_string(id), {{"status", "scheduled"}},
                    cancelled->get_header_value("ETag"));
  EXPECT_EQ(Body(back)["status"], "scheduled");
  EXPECT_EQ(Body(back)["sequence"], 4);
}

TEST_F(ApiTest, ConcurrentEditsWithOneETagLoseNoUpdate) {
  json s = Seed();
  const std::string path =
      "/api/v1/meetings/" + std::to_string(s["meetings"][2]["id"].get<int64_t>());
  const std::string etag = Get(path)->get_header_value("ETag");
  constexpr int kWriters = 16;
  std::atomic<int> ok{0}, stale{0}, other{0};
  std::vector<std::thread> writers;
  for (int i = 0; i < kWriters; ++i) {
    writers.emplace_back([&, i] {
      auto c = server_.Client();
      auto h = Auth();
      h.emplace("If-Match", etag);
      json body = {{"notes", "writer " + std::to_string(i)}};
      auto r = c.Patch(path.c_str(), h, body.dump(), "application/json");
      if (r && r->status == 200)
        ++ok;
      else if (r && r->status == 412)
        ++stale;
      else {
        ++other;
        ADD_FAILURE() << "writer " << i << ": "
                      << (r ? std::to_string(r->status) + " " + r->body
                            : "no response: " + httplib::to_string(r.error()));
      }
    });
  }
  for (auto& t : writers) t.join();
  EXPECT_EQ(ok.load(), 1);
  EXPECT_EQ(stale.load(), kWriters - 1);
  EXPECT_EQ(other.load(), 0);
  json after = Body(Get(path));
  EXPECT_EQ(after["sequence"], 1);  // exactly one change landed
}

TEST_F(ApiTest, BadInputNamesTheField) {
  Seed();
  struct Case {
    const char* path;
    json body;
    const char* field;
  } cases[] = {
      {"/api/v1/venues", {{"address", "x"}}, "name"},
      {"/api/v1/venues", {{"name", "x"}, {"address", "y"}, {"capacity", -1}}, "capacity"},
      {"/api/v1/venues", {{"name", "x\r\nBcc: a@b.c"}, {"address", "y"}}, "name"},
      {"/api/v1/venues", {{"name", "x"}, {"address", "y"}, {"colour", "red"}}, "colour"},
      {"/api/v1/groups",
       {{"slug", "Bad Slug"}, {"name", "x"}, {"timezone", "Europe/London"}},
       "slug"},
      {"/api/v1/groups",
       {{"slug", "ok-slug"}, {"name", "x"}, {"timezone", "Mars/Base"}},
       "timezone"},
      {"/api/v1/groups", {{"slug", "ok-slug"}, {"name", 5}, {"timezone", "UTC"}}, "name"},
      {"/api/v1/groups/futures/members", {{"name", "A"}, {"email", "not-an-email"}}, "email"},
      {"/api/v1/groups/futures/members",
       {{"name", "A"}, {"email", "a@example.org"}, {"role", "king"}},
       "role"},
      {"/api/v1/groups/futures/series",
       {{"title", "T"},
        {"venue_id", 1},
        {"start_time", "10:30"},
        {"duration_minutes", 60},
        {"rrule", "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30;COUNT=2"}},
       "rrule"},
      {"/api/v1/groups/futures/series",
       {{"title", "T"},
        {"venue_id", 1},
        {"start_time", "1030"},
        {"duration_minutes", 60},
        {"dates", {"2011-01-03"}}},
       "start_time"},
      {"/api/v1/groups/futures/series",
       {{"title", "T"},
        {"venue_id", 1},
        {"start_time", "10:30"},
        {"duration_minutes", 2},
        {"dates", {"2011-01-03"}}},
       "duration_minutes"},
      {"/api/v1/groups/futures/series",
       {{"title", "T"},
        {"venue_id", 1},
        {"start_time", "10:30"},
        {"duration_minutes", 60},
        {"dates", "2011-01-03"}},
       "dates"},
  };
  for (const Case& c : cases) {
    auto r = Post(c.path, c.body);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400) << c.path << " " << c.body.dump() << " -> " << r->body;
    EXPECT_EQ(Body(r)["error"]["field"], c.field) << c.body.dump() << " -> " << r->body;
    EXPECT_EQ(Body(r)["error"]["code"], "invalid_argument");
    EXPECT_FALSE(Body(r)["error"]["message"].get<std::string>().empty());
  }
  auto c = server_.Client();
  auto notjson = c.Post("/api/v1/venues", Auth(), "{name:", "application/json");
  EXPECT_EQ(notjson->status, 400);
  EXPECT_EQ(Body(notjson)["error"]["field"], "body");
  auto form = c.Post("/api/v1/venues", Auth(), "name=x", "application/x-www-form-urlencoded");
  EXPECT_EQ(form->status, 415);
  // Nothing above was stored.
  EXPECT_EQ(Body(Get("/api/v1/venues"))["venues"].size(), 2u);
}

TEST_F(ApiTest, ImpossibleRuleFailsFast) {
  Seed();
  auto r =
      Post("/api/v1/groups/futures/series", {{"title", "T"},
                                             {"venue_id", venue_},
                                             {"start_time", "10:30"},
                                             {"duration_minutes", 60},
                                             {"rrule", "FREQ=MONTHLY;BYMONTH=2;BYDAY=5MO;COUNT=10"},
                                             {"first_date", "2010-01-01"}});
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(Body(r)["error"]["field"], "rrule");
}

TEST_F(ApiTest, AnotherOrganisersIdsAnswer404) {
  json s = Seed();
  int64_t id = s["meetings"][0]["id"];
  EXPECT_EQ(Get("/api/v1/groups/futures", other_token_)->status, 404);
  EXPECT_EQ(Get("/api/v1/meetings/" + std::to_string(id), other_token_)->status, 404);
  EXPECT_EQ(Get("/api/v1/venues/" + std::to_string(venue_), other_token_)->status, 404);
  EXPECT_EQ(Get("/api/v1/meetings/" + std::to_string(id) + "/attendance", other_token_)->status,
            404);
  EXPECT_EQ(Post("/api/v1/meetings/" + std::to_string(id) + "/presenters",
                 {{"name", "X"}, {"topic", "Y"}}, other_token_)
                ->status,
            404);
  EXPECT_EQ(Body(Get("/api/v1/venues", other_token_))["venues"].size(), 0u);
  EXPECT_EQ(Get("/api/v1/meetings/99999999")->status, 404);
  EXPECT_EQ(Get("/api/v1/meetings/999999999999999999999")->status, 404);
}

TEST_F(ApiTest, VenueClashIs409NamingTheOtherMeeting) {
  json s = Seed();
  ASSERT_EQ(Post("/api/v1/groups",
                 {{"slug", "second"}, {"name", "Second group"}, {"timezone", "Europe/London"}})
                ->status,
            201);
  json body = {{"title", "Other"},
               {"venue_id", venue_},
               {"start_time", "12:00"},
               {"duration_minutes", 60},
               {"dates", {"2010-03-15"}}};
  auto clash = Post("/api/v1/groups/second/series", body);
  ASSERT_EQ(clash->status, 409) << clash->body;
  EXPECT_EQ(Body(clash)["error"]["code"], "venue_clash");
  EXPECT_NE(Body(clash)["error"]["message"].get<std::string>().find(
                std::to_string(s["meetings"][0]["id"].get<int64_t>())),
            std::string::npos);
  body["force"] = true;
  auto forced = Post("/api/v1/groups/second/series", body);
  ASSERT_EQ(forced->status, 201);
  EXPECT_EQ(Body(forced)["warnings"][0]["code"], "venue_clash");
  // freebusy shows both.
  auto fb =
      Get("/api/v1/venues/" + std::to_string(venue_) + "/freebusy?from=2010-03-15&to=2010-03-15");
  ASSERT_EQ(fb->status, 200);
  ASSERT_EQ(Body(fb)["busy"].size(), 2u);
  EXPECT_EQ(Body(fb)["busy"][0]["start"], "2010-03-15T10:30:00Z");
  auto c = server_.Client();
  auto h = Auth();
  h.emplace("Accept", "text/calendar");
  auto ics =
      c.Get(("/api/v1/venues/" + std::to_string(venue_) + "/freebusy?from=2010-03-15&to=2010-03-15")
                .c_str(),
            h);
  EXPECT_NE(ics->body.find("FREEBUSY;FBTYPE=BUSY:20100315T103000Z/20100315T130000Z\r\n"),
            std::string::npos)
      << ics->body;
}

TEST_F(ApiTest, MembersPresentersApologiesAttendance) {
  json s = Seed();
  int64_t id = s["meetings"][0]["id"];
  std::vector<int64_t> members;
  for (const char* n : {"Glyn Evans", "Ian Cooper", "Sal Khan"}) {
    auto m = Post("/api/v1/groups/futures/members",
                  {{"name", n},
                   {"email", std::string(n).substr(0, 3) + "@example.org"},
                   {"organisation", "Org"}});
    ASSERT_EQ(m->status, 201) << m->body;
    json b = Body(m);
    EXPECT_NE(b["feed_url"].get<std::string>().find("/feeds/members/"), std::string::npos);
    EXPECT_EQ(b["webcal_url"].get<std::string>().rfind("webcal://", 0), 0u);
    EXPECT_NE(b["page_url"].get<std::string>().find("/m/"), std::string::npos);
    members.push_back(b["id"]);
  }
  EXPECT_EQ(Body(Get("/api/v1/groups/futures/members"))["members"].size(), 3u);

  auto p = Post("/api/v1/meetings/" + std::to_string(id) + "/presenters",
                {{"name", "Chris Kastel"}, {"organisation", "E2BN"}, {"topic", "PSN and NEN"}});
  ASSERT_EQ(p->status, 201) << p->body;
  int64_t pid = Body(p)["id"];
  EXPECT_EQ(Body(Get("/api/v1/meetings/" + std::to_string(id)))["presenters"].size(), 1u);
  auto c = server_.Client();
  auto del = c.Delete(
      ("/api/v1/meetings/" + std::to_string(id) + "/presenters/" + std::to_string(pid)).c_str(),
      Auth());
  EXPECT_EQ(del->status, 204);
  EXPECT_EQ(
      c.Delete(("/api/v1/meetings/" + std::to_string(id) + "/presenters/" + std::to_string(pid))
                   .c_str(),
               Auth())
          ->status,
      404);

  auto a1 = Post("/api/v1/meetings/" + std::to_string(id) + "/apologies",
                 {{"member_id", members[0]}, {"reason", "Council meeting"}});
  EXPECT_EQ(a1->status, 201);
  auto a2 =
      Post("/api/v1/meetings/" + std::to_string(id) + "/apologies", {{"member_id", members[0]}});
  EXPECT_EQ(a2->status, 200);
  EXPECT_EQ(Body(a2)["created"], false);
  EXPECT_EQ(
      Post("/api/v1/meetings/" + std::to_string(id) + "/apologies", {{"member_id", 9999}})->status,
      404);

  auto put =
      c.Put(("/api/v1/meetings/" + std::to_string(id) + "/attendance/" + std::to_string(members[1]))
                .c_str(),
            Auth(), json{{"status", "present"}}.dump(), "application/json");
  EXPECT_EQ(put->status, 200) << put->body;
  auto bad =
      c.Put(("/api/v1/meetings/" + std::to_string(id) + "/attendance/" + std::to_string(members[1]))
                .c_str(),
            Auth(), json{{"status", "asleep"}}.dump(), "application/json");
  EXPECT_EQ(bad->status, 400);
  EXPECT_EQ(Body(bad)["error"]["field"], "status");

  json att = Body(Get("/api/v1/meetings/" + std::to_string(id) + "/attendance"));
  ASSERT_EQ(att["members"].size(), 3u);
  std::map<std::string, json> by_name;
  for (const auto& m : att["members"]) by_name[m["name"]] = m;
  EXPECT_EQ(by_name["Glyn Evans"]["status"], "apologies");
  EXPECT_EQ(by_name["Glyn Evans"]["reason"], "Council meeting");
  EXPECT_EQ(by_name["Ian Cooper"]["status"], "present");
  EXPECT_EQ(by_name["Sal Khan"]["status"], "expected");
  EXPECT_EQ(att["quorum"]["required"], 2);
  EXPECT_EQ(att["quorum"]["expected"], 2);
}

TEST_F(ApiTest, OrganiserRotatesAndRevokesAMembersFeedLink) {
  Seed();
  auto m = Post("/api/v1/groups/futures/members", {{"name", "Ann"}, {"email", "ann@example.org"}});
  ASSERT_EQ(m->status, 201);
  const int64_t id = Body(m)["id"];
  auto path_of = [](const std::string& url) { return url.substr(url.find("/feeds/")); };
  const std::string first = path_of(Body(m)["feed_url"]);
  auto c = server_.Client();
  EXPECT_EQ(c.Get(first.c_str())->status, 200);

  const std::string link = "/api/v1/members/" + std::to_string(id) + "/feed-token";
  EXPECT_EQ(Post(link, json::object(), other_token_)->status, 404);
  auto rotated = Post(link, json::object());
  ASSERT_EQ(rotated->status, 201) << rotated->body;
  const std::string second = path_of(Body(rotated)["feed_url"]);
  EXPECT_FALSE(Body(rotated).contains("page_url"));
  EXPECT_NE(first, second);
  EXPECT_EQ(c.Get(first.c_str())->status, 404);
  EXPECT_EQ(c.Get(second.c_str())->status, 200);

  EXPECT_EQ(c.Delete(link.c_str(), Auth())->status, 204);
  EXPECT_EQ(c.Get(second.c_str())->status, 404);
  EXPECT_EQ(Post("/api/v1/members/" + std::to_string(id) + "/page-token", json::object())->status,
            201);
}

TEST_F(ApiTest, VenuePatchUsesIfMatch) {
  Seed();
  auto g = Get("/api/v1/venues/" + std::to_string(venue_));
  std::string etag = g->get_header_value("ETag");
  auto c = server_.Client();
  auto h = Auth();
  EXPECT_EQ(c.Patch(("/api/v1/venues/" + std::to_string(venue_)).c_str(), h, R"({"capacity": 40})",
                    "application/json")
                ->status,
            428);
  h.emplace("If-Match", etag);
  auto ok = c.Patch(("/api/v1/venues/" + std::to_string(venue_)).c_str(), h, R"({"capacity": 40})",
                    "application/json");
  ASSERT_EQ(ok->status, 200) << ok->body;
  EXPECT_EQ(Body(ok)["capacity"], 40);
  EXPECT_EQ(Body(ok)["name"], "Siemens, Hillgate House");
  EXPECT_EQ(c.Patch(("/api/v1/venues/" + std::to_string(venue_)).c_str(), h, R"({"capacity": 41})",
                    "application/json")
                ->status,
            412);
}

TEST_F(ApiTest, DuplicateSlugIs409) {
  Seed();
  auto r = Post("/api/v1/groups", {{"slug", "futures"}, {"name", "Again"}, {"timezone", "UTC"}});
  EXPECT_EQ(r->status, 409);
  EXPECT_EQ(Body(r)["error"]["field"], "slug");
}

TEST_F(ApiTest, GroupSettingsChangeWithIfMatch) {
  Seed();
  auto g = Get("/api/v1/groups/futures");
  ASSERT_EQ(g->status, 200);
  const std::string etag = g->get_header_value("ETag");
  ASSERT_FALSE(etag.empty());
  EXPECT_EQ(Patch("/api/v1/groups/futures", {{"name", "Futures Group"}}, "")->status, 428);
  EXPECT_EQ(Patch("/api/v1/groups/futures", {{"name", "Futures Group"}}, "\"group1-0\"")->status,
            412);

  auto ok = Patch("/api/v1/groups/futures", {{"name", "Futures Group"}, {"quorum", 7}}, etag);
  ASSERT_EQ(ok->status, 200) << ok->body;
  EXPECT_EQ(Body(ok)["name"], "Futures Group");
  EXPECT_EQ(Body(ok)["quorum"], 7);
  EXPECT_EQ(Body(ok)["timezone"], "Europe/London");
  const std::string etag2 = ok->get_header_value("ETag");
  EXPECT_NE(etag2, etag);
  EXPECT_EQ(Get("/api/v1/groups/futures")->get_header_value("ETag"), etag2);
  // The old ETag is stale now; the quorum reaches the forecast.
  EXPECT_EQ(Patch("/api/v1/groups/futures", {{"quorum", 3}}, etag)->status, 412);
  auto meetings = Body(Get("/api/v1/groups/futures/meetings"))["meetings"];
  auto att =
      Get("/api/v1/meetings/" + std::to_string(meetings[0]["id"].get<int64_t>()) + "/attendance");
  EXPECT_EQ(Body(att)["quorum"]["required"], 7);

  // The feed carries the new name; a private group's feed is gone, and comes back.
  auto c = server_.Client();
  auto feed = c.Get("/feeds/groups/futures.ics");
  ASSERT_EQ(feed->status, 200);
  EXPECT_NE(feed->body.find("X-WR-CALNAME:Futures Group"), std::string::npos);
  auto priv = Patch("/api/v1/groups/futures", {{"public", false}, {"quorum", nullptr}}, etag2);
  ASSERT_EQ(priv->status, 200) << priv->body;
  EXPECT_EQ(Body(priv)["public"], false);
  EXPECT_TRUE(Body(priv)["quorum"].is_null());
  EXPECT_EQ(c.Get("/feeds/groups/futures.ics")->status, 404);
  EXPECT_EQ(c.Get("/groups/futures")->status, 404);
  auto pub = Patch("/api/v1/groups/futures", {{"public", true}}, priv->get_header_value("ETag"));
  ASSERT_EQ(pub->status, 200);
  EXPECT_EQ(c.Get("/feeds/groups/futures.ics")->status, 200);
}

TEST_F(ApiTest, GroupPatchRefusesWhatItCannotDo) {
  Seed();
  const std::string etag = Get("/api/v1/groups/futures")->get_header_value("ETag");
  const struct {
    json patch;
    int status;
    const char* field;
  } refused[] = {
      // Meetings keep wall times in the group's zone: moving the zone would move them all.
      {{{"timezone", "Europe/Paris"}}, 409, "timezone"},
      {{{"timezone", "Mars/Olympus"}}, 400, "timezone"},
      {{{"quorum", 0}}, 400, "quorum"},
      {{{"name", ""}}, 400, "name"},
      {{{"slug", "renamed"}}, 400, "slug"},
  };
  for (const auto& row : refused) {
    auto r = Patch("/api/v1/groups/futures", row.patch, etag);
    EXPECT_EQ(r->status, row.status) << row.patch.dump();
    EXPECT_EQ(Body(r)["error"]["field"], row.field) << row.patch.dump();
  }
  // Nothing of the refused requests landed.
  EXPECT_EQ(Get("/api/v1/groups/futures")->get_header_value("ETag"), etag);
  // Another organiser's group is not there for them.
  auto c = server_.Client();
  auto h = Auth(other_token_);
  h.emplace("If-Match", etag);
  EXPECT_EQ(c.Patch("/api/v1/groups/futures", h, R"({"name":"Mine"})", "application/json")->status,
            404);
  // A group without meetings may still change its zone.
  ASSERT_EQ(Post("/api/v1/groups", {{"slug", "new"}, {"name", "New"}, {"timezone", "UTC"}})->status,
            201);
  auto fresh = Patch("/api/v1/groups/new", {{"timezone", "Europe/London"}},
                     Get("/api/v1/groups/new")->get_header_value("ETag"));
  ASSERT_EQ(fresh->status, 200) << fresh->body;
  EXPECT_EQ(Body(fresh)["timezone"], "Europe/London");
}

TEST_F(ApiTest, MembersAreReadChangedAndRemoved) {
  Seed();
  auto ann = Post("/api/v1/groups/futures/members",
                  {{"name", "Ann"}, {"email", "ann@example.org"}, {"organisation", "Leeds"}});
  auto bob =
      Post("/api/v1/groups/futures/members", {{"name", "Bob"}, {"email", "bob@example.org"}});
  ASSERT_EQ(ann->status, 201);
  ASSERT_EQ(bob->status, 201);
  const std::string ann_path = "/api/v1/groups/futures/members/" + Body(ann)["id"].dump();
  const std::string bob_path = "/api/v1/groups/futures/members/" + Body(bob)["id"].dump();
  const std::string ann_feed = [&] {
    std::string url = Body(ann)["feed_url"];
    return url.substr(url.find("/feeds/"));
  }();

  auto got = Get(ann_path);
  ASSERT_EQ(got->status, 200) << got->body;
  EXPECT_EQ(Body(got)["email"], "ann@example.org");
  EXPECT_FALSE(Body(got).contains("feed_url"));  // links are shown once, when issued
  const std::string etag = got->get_header_value("ETag");

  EXPECT_EQ(Patch(ann_path, {{"name", "Ann Smith"}}, "")->status, 428);
  auto changed = Patch(ann_path,
                       {{"name", "Ann Smith"},
                        {"organisation", nullptr},
                        {"role", "chair"},
                        {"delivery", "invitations"},
                        {"email", "ann.smith@example.org"}},
                       etag);
  ASSERT_EQ(changed->status, 200) << changed->body;
  EXPECT_EQ(Body(changed)["name"], "Ann Smith");
  EXPECT_EQ(Body(changed)["organisation"], "");
  EXPECT_EQ(Body(changed)["role"], "chair");
  EXPECT_EQ(Body(changed)["delivery"], "invitations");
  EXPECT_EQ(Body(changed)["email"], "ann.smith@example.org");
  EXPECT_EQ(Patch(ann_path, {{"name", "Ann"}}, etag)->status, 412);
  const std::string etag2 = changed->get_header_value("ETag");

  // Each bad field is named, and nothing changes.
  struct Bad {
    json body;
    int status;
    const char* field;
  } cases[] = {{{{"email", "BOB@example.org"}}, 409, "email"},
               {{{"email", "not an address"}}, 400, "email"},
               {{{"role", "president"}}, 400, "role"},
               {{{"delivery", "pigeon"}}, 400, "delivery"},
               {{{"name", ""}}, 400, "name"},
               {{{"unsubscribed", false}}, 400, "unsubscribed"}};
  for (const Bad& b : cases) {
    auto r = Patch(ann_path, b.body, etag2);
    EXPECT_EQ(r->status, b.status) << b.body.dump() << " " << r->body;
    EXPECT_EQ(Body(r)["error"]["field"], b.field) << b.body.dump();
  }
  EXPECT_EQ(Get(ann_path)->get_header_value("ETag"), etag2);

  // Another group's path, another organiser: 404.
  ASSERT_EQ(
      Post("/api/v1/groups", {{"slug", "other"}, {"name", "Other"}, {"timezone", "UTC"}})->status,
      201);
  EXPECT_EQ(Get("/api/v1/groups/other/members/" + Body(ann)["id"].dump())->status, 404);
  EXPECT_EQ(Get(ann_path, other_token_)->status, 404);

  // Removal: gone from the list and its feed; a repeat is still 204; the address cannot be
  // taken over by another member (adding it again brings Ann back instead).
  auto c = server_.Client();
  EXPECT_EQ(c.Get(ann_feed.c_str())->status, 200);
  EXPECT_EQ(c.Delete(ann_path.c_str(), Auth(other_token_))->status, 404);
  EXPECT_EQ(c.Delete(ann_path.c_str(), Auth())->status, 204);
  EXPECT_EQ(c.Delete(ann_path.c_str(), Auth())->status, 204);
  EXPECT_EQ(Get(ann_path)->status, 404);
  EXPECT_EQ(c.Get(ann_feed.c_str())->status, 404);
  auto list = Body(Get("/api/v1/groups/futures/members"))["members"];
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0]["name"], "Bob");
  auto take = Patch(bob_path, {{"email", "ann.smith@example.org"}},
                    Get(bob_path)->get_header_value("ETag"));
  EXPECT_EQ(take->status, 409);
  EXPECT_EQ(Body(take)["error"]["field"], "email");
  auto back = Post("/api/v1/groups/futures/members",
                   {{"name", "Ann Smith"}, {"email", "ann.smith@example.org"}});
  ASSERT_EQ(back->status, 201);
  EXPECT_EQ(Body(back)["id"], Body(ann)["id"]);
}

TEST_F(ApiTest, VenueCapacityClearsWithNull) {
  Seed();
  const std::string path = "/api/v1/venues/" + std::to_string(venue_);
  auto r = Patch(path, {{"capacity", nullptr}}, Get(path)->get_header_value("ETag"));
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_TRUE(Body(r)["capacity"].is_null());
}

// ---- the guards of hardening.md 1.5, with raw sockets where the client library would refuse ----

std::string RawRequest(int port, const std::string& request, int max_ms = 5000) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  timeval tv{max_ms / 1000, (max_ms % 1000) * 1000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return "";
  }
  send(fd, request.data(), request.size(), MSG_NOSIGNAL);
  std::string out;
  char buf[4096];
  for (int i = 0; i < 1000; ++i) {
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
    if (out.find("\r\n\r\n") != std::string::npos) {
      auto cl = out.find("Content-Length: ");
      if (cl != std::string::npos) {
        size_t len = std::stoul(out.substr(cl + 16));
        if (out.size() >= out.find("\r\n\r\n") + 4 + len) break;
      }
    }
  }
  close(fd);
  return out;
}

TEST_F(ApiTest, ChunkedBodiesAre411) {
  std::string req = "POST /api/v1/venues HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token_ +
                    "\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                    "5\r\n{\"a\":\r\n0\r\n\r\n";
  std::string resp = RawRequest(server_.port(), req);
  EXPECT_EQ(resp.rfind("HTTP/1.1 411", 0), 0u) << resp;
}

TEST_F(ApiTest, OversizedBodiesAre413WithoutReadingThem) {
  std::string req = "POST /api/v1/venues HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token_ +
                    "\r\nContent-Type: application/json\r\nContent-Length: 209715200\r\n\r\n{";
  std::string resp = RawRequest(server_.port(), req);
  EXPECT_EQ(resp.rfind("HTTP/1.1 413", 0), 0u) << resp;
}

TEST_F(ApiTest, HeaderValuesWithEncodedLineBreaksAre400) {
  auto c = server_.Client();
  httplib::Headers h = Auth();
  h.emplace("X-Test", "a%0D%0AInjected: 1");
  auto r = c.Get("/api/v1/venues", h);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
}

TEST_F(ApiTest, ExceptionsNeverLeakTheirText) {
  server_.app().http().Get("/test/throw", [](const httplib::Request&, httplib::Response&) {
    throw std::runtime_error("secret detail from deep inside");
  });
  auto c = server_.Client();
  auto r = c.Get("/test/throw");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 500);
  EXPECT_FALSE(r->has_header("EXCEPTION_WHAT"));
  EXPECT_EQ(r->body.find("secret detail"), std::string::npos);
}

TEST_F(ApiTest, SpoofedRemoteAddrIsIgnoredAndSecurityHeadersAreSet) {
  auto c = server_.Client();
  auto r = c.Get("/healthz", {{"REMOTE_ADDR", "6.6.6.6"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->get_header_value("X-Content-Type-Options"), "nosniff");
  EXPECT_NE(r->get_header_value("Content-Security-Policy").find("frame-ancestors 'none'"),
            std::string::npos);
}

TEST_F(ApiTest, UnknownRoutesAreJson404OnTheApi) {
  auto r = Get("/api/v1/nothing");
  EXPECT_EQ(r->status, 404);
  EXPECT_EQ(Body(r)["error"]["code"], "not_found");
}

}  // namespace
}  // namespace convene::server
