// The feeds over real HTTP on loopback (ical-conformance.md H1-H7): status, type, validators,
// 304s, HEAD, gzip only when asked, byte-identical repeats, and what edits do to the bytes.
#include <gtest/gtest.h>
#include <zlib.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "calendar/civil.h"
#include "server/feeds/feed_handlers.h"
#include "tests/support/api_fixture.h"
#include "tests/support/ical_lines.h"
#include "tests/support/inputs.h"

namespace convene::server {
namespace {

using convene::testing::EventBlocks;
using nlohmann::json;

std::string Gunzip(const std::string& in) {
  z_stream z{};
  if (inflateInit2(&z, 15 + 16) != Z_OK) return "<inflateInit2 failed>";
  std::string out;
  char buf[16384];
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  int rc;
  do {
    z.next_out = reinterpret_cast<Bytef*>(buf);
    z.avail_out = sizeof buf;
    rc = inflate(&z, Z_NO_FLUSH);
    out.append(buf, sizeof buf - z.avail_out);
  } while (rc == Z_OK);
  inflateEnd(&z);
  return rc == Z_STREAM_END ? out : "<corrupt gzip>";
}

int Sequence(const std::string& block) {
  const size_t at = block.find("\r\nSEQUENCE:");
  return at == std::string::npos ? -1 : std::stoi(block.substr(at + 11));
}

class FeedTest : public convene::testing::ApiFixture {
 protected:
  // A plain GET with exactly the given headers (no Accept, as Google sends none).
  httplib::Result Fetch(const std::string& path, const httplib::Headers& headers = {}) {
    auto c = server_.Client();
    // Raw bytes, and no Accept-Encoding unless a test sets one (the client adds it otherwise).
    c.set_decompress(false);
    return c.Get(path.c_str(), headers);
  }
  // Two venues, a public group with a rule series (every other third Monday from March 2010,
  // five times, 10:30 Europe/London) and a member; a private group at the same venue.
  void Seed() {
    venue_ = Body(Post("/api/v1/venues", {{"name", "Siemens, Hillgate House"},
                                          {"address", "26 Old Bailey, London"},
                                          {"postcode", "EC4M 7HS"}}))["id"];
    venue2_ = Body(Post("/api/v1/venues", {{"name", "Guildhall"},
                                           {"address", "Gresham Street, London"},
                                           {"postcode", "EC2V 7HH"}}))["id"];
    ASSERT_EQ(Post("/api/v1/groups",
                   {{"slug", "futures"}, {"name", "Futures"}, {"timezone", "Europe/London"}})
                  ->status,
              201);
    auto s = PostRuleSeries("futures", venue_);
    ASSERT_EQ(s->status, 201) << s->body;
    const json created = Body(s);  // a named value: the loop below refers into it
    for (const json& m : created["meetings"]) meetings_.push_back(m["id"]);
    ASSERT_EQ(meetings_.size(), 5u);
    auto member = Post("/api/v1/groups/futures/members",
                       {{"name", "Ada Lovelace"}, {"email", "ada@example.org"}});
    ASSERT_EQ(member->status, 201);
    member_id_ = Body(member)["id"];
    const std::string url = Body(member)["feed_url"];
    member_path_ = url.substr(url.find("/feeds/"));
    ASSERT_EQ(Post("/api/v1/groups", {{"slug", "closed"},
                                      {"name", "Closed group"},
                                      {"timezone", "Europe/London"},
                                      {"public", false}})
                  ->status,
              201);
    ASSERT_EQ(PostOneDate("closed", "Closed session", venue_, "15:00", "2010-06-01")->status, 201);
  }
  // An hour-long series of one meeting in the group `slug`.
  httplib::Result PostOneDate(const std::string& slug, const std::string& title, int64_t venue,
                              const std::string& start_time, const std::string& date) {
    return Post("/api/v1/groups/" + slug + "/series", {{"title", title},
                                                       {"venue_id", venue},
                                                       {"start_time", start_time},
                                                       {"duration_minutes", 60},
                                                       {"dates", json::array({date})}});
  }

  int64_t venue_ = 0, venue2_ = 0, member_id_ = 0;
  std::vector<int64_t> meetings_;
  std::string member_path_;
};

TEST_F(FeedTest, GroupFeedIsTextCalendarWithValidators) {
  Seed();
  auto r = Fetch("/feeds/groups/futures.ics");  // no Accept header at all (H2)
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(r->get_header_value("Content-Type"), "text/calendar; charset=utf-8");
  EXPECT_EQ(r->body.rfind("BEGIN:VCALENDAR\r\n", 0), 0u);
  EXPECT_FALSE(r->has_header("Content-Encoding"));
  const std::string etag = r->get_header_value("ETag");
  ASSERT_EQ(etag.size(), 34u);  // strong: a quoted hash, no W/
  EXPECT_EQ(etag.front(), '"');
  EXPECT_GT(calendar::ParseHttpDate(r->get_header_value("Last-Modified")), 0);
  EXPECT_EQ(r->get_header_value("Vary"), "Accept-Encoding");
  // One master and five overrides; the first occurrence in London time.
  EXPECT_NE(r->body.find("DTSTART;TZID=Europe/London:20100315T103000\r\n"), std::string::npos);
  EXPECT_NE(r->body.find("RRULE:FREQ=MONTHLY;INTERVAL=2;BYDAY=3MO;COUNT=5\r\n"), std::string::npos);
  EXPECT_EQ(EventBlocks(r->body).size(), 6u);
  // Two GETs without a change: the same bytes, the same validators (H5).
  auto again = Fetch("/feeds/groups/futures.ics");
  EXPECT_EQ(again->body, r->body);
  EXPECT_EQ(again->get_header_value("ETag"), etag);
  EXPECT_EQ(again->get_header_value("Last-Modified"), r->get_header_value("Last-Modified"));
}

TEST_F(FeedTest, ConditionalRequests) {
  Seed();
  auto r = Fetch("/feeds/groups/futures.ics");
  const std::string etag = r->get_header_value("ETag");
  const std::string lm = r->get_header_value("Last-Modified");
  const int64_t lm_t = calendar::ParseHttpDate(lm);

  auto same = Fetch("/feeds/groups/futures.ics", {{"If-None-Match", etag}});
  EXPECT_EQ(same->status, 304);
  EXPECT_EQ(same->get_header_value("ETag"), etag);  // a 304 repeats the ETag (H3)
  EXPECT_TRUE(same->body.empty());
  EXPECT_EQ(Fetch("/feeds/groups/futures.ics", {{"If-None-Match", "\"other\", " + etag}})->status,
            304);
  EXPECT_EQ(Fetch("/feeds/groups/futures.ics", {{"If-None-Match", "W/" + etag}})->status, 304);
  EXPECT_EQ(Fetch("/feeds/groups/futures.ics", {{"If-None-Match", "*"}})->status, 304);
  EXPECT_EQ(Fetch("/feeds/groups/futures.ics", {{"If-None-Match", "\"0123\""}})->status, 200);
  // If-None-Match decides alone, even with a matching date.
  EXPECT_EQ(
      Fetch("/feeds/groups/futures.ics", {{"If-None-Match", "\"0123\""}, {"If-Modified-Since", lm}})
          ->status,
      200);

  EXPECT_EQ(Fetch("/feeds/groups/futures.ics", {{"If-Modified-Since", lm}})->status, 304);
  server_.clock().Advance(120);  // a later date is only valid once the server has seen it
  EXPECT_EQ(Fetch("/feeds/groups/futures.ics",
                  {{"If-Modified-Since", calendar::FormatHttpDate(lm_t + 60)}})
                ->status,
            304);
  EXPECT_EQ(Fetch("/feeds/groups/futures.ics",
                  {{"If-Modified-Since", calendar::FormatHttpDate(lm_t - 1)}})
                ->status,
            200);
  EXPECT_EQ(
      Fetch("/feeds/groups/futures.ics", {{"If-Modified-Since", "yesterday, probably"}})->status,
      200);
  // A date after the server's clock is not a valid validator: 200.
  const int64_t future = server_.clock().now() + 86400;
  EXPECT_EQ(
      Fetch("/feeds/groups/futures.ics", {{"If-Modified-Since", calendar::FormatHttpDate(future)}})
          ->status,
      200);
}

TEST_F(FeedTest, HeadHasTheHeadersAndNoBody) {
  Seed();
  auto get = Fetch("/feeds/groups/futures.ics");
  auto c = server_.Client();
  c.set_decompress(false);
  auto head = c.Head("/feeds/groups/futures.ics");
  ASSERT_EQ(head->status, 200);
  EXPECT_TRUE(head->body.empty());
  EXPECT_EQ(head->get_header_value("Content-Length"), std::to_string(get->body.size()));
  EXPECT_EQ(head->get_header_value("ETag"), get->get_header_value("ETag"));
  EXPECT_EQ(head->get_header_value("Content-Type"), "text/calendar; charset=utf-8");
}

TEST_F(FeedTest, GzipOnlyWhenAsked) {
  Seed();
  auto plain = Fetch("/feeds/groups/futures.ics");
  auto gz = Fetch("/feeds/groups/futures.ics", {{"Accept-Encoding", "gzip, deflate"}});
  ASSERT_EQ(gz->status, 200);
  EXPECT_EQ(gz->get_header_value("Content-Encoding"), "gzip");
  EXPECT_LT(gz->body.size(), plain->body.size());
  EXPECT_EQ(Gunzip(gz->body), plain->body);
  // Another representation, another strong ETag; each revalidates on its own.
  EXPECT_NE(gz->get_header_value("ETag"), plain->get_header_value("ETag"));
  EXPECT_EQ(Fetch("/feeds/groups/futures.ics",
                  {{"Accept-Encoding", "gzip"}, {"If-None-Match", gz->get_header_value("ETag")}})
                ->status,
            304);
  // The same gzip bytes every time (computed once per revision).
  EXPECT_EQ(Fetch("/feeds/groups/futures.ics", {{"Accept-Encoding", "gzip"}})->body, gz->body);
  for (const char* refuse : {"br", "identity", "gzip;q=0", "deflate, gzip; q=0.0", "*"}) {
    auto r = Fetch("/feeds/groups/futures.ics", {{"Accept-Encoding", refuse}});
    EXPECT_FALSE(r->has_header("Content-Encoding")) << refuse;
    EXPECT_EQ(r->body, plain->body) << refuse;
  }
}

TEST(AcceptsGzip, Table) {
  EXPECT_TRUE(feeds::AcceptsGzip("gzip"));
  EXPECT_TRUE(feeds::AcceptsGzip("deflate, GZIP;q=0.5"));
  EXPECT_TRUE(feeds::AcceptsGzip("x-gzip"));
  EXPECT_FALSE(feeds::AcceptsGzip(""));
  EXPECT_FALSE(feeds::AcceptsGzip("br"));
  EXPECT_FALSE(feeds::AcceptsGzip("gzip;q=0"));
  EXPECT_FALSE(feeds::AcceptsGzip("gzip; q=0.000"));
  EXPECT_FALSE(feeds::AcceptsGzip("gzipped"));
}

TEST_F(FeedTest, EditsChangeBytesSequenceAndValidators) {
  Seed();
  auto before = Fetch("/feeds/groups/futures.ics");
  const std::string etag = before->get_header_value("ETag");
  const int64_t lm = calendar::ParseHttpDate(before->get_header_value("Last-Modified"));

  // An unrelated write bumps the revision but not these bytes: same ETag, same Last-Modified.
  server_.clock().Advance(60);
  ASSERT_EQ(Post("/api/v1/venues", {{"name", "Elsewhere"}, {"address", "1 Road"}})->status, 201);
  auto unrelated = Fetch("/feeds/groups/futures.ics");
  EXPECT_EQ(unrelated->body, before->body);
  EXPECT_EQ(unrelated->get_header_value("ETag"), etag);
  EXPECT_EQ(calendar::ParseHttpDate(unrelated->get_header_value("Last-Modified")), lm);

  // Cancel 20 September (the fourth meeting): an EXDATE and a higher master SEQUENCE (F16).
  server_.clock().Advance(60);
  ASSERT_EQ(PatchMeeting(meetings_[3], {{"status", "cancelled"}})->status, 200);
  auto after = Fetch("/feeds/groups/futures.ics");
  EXPECT_NE(after->get_header_value("ETag"), etag);
  EXPECT_GT(calendar::ParseHttpDate(after->get_header_value("Last-Modified")), lm);
  EXPECT_EQ(Fetch("/feeds/groups/futures.ics", {{"If-None-Match", etag}})->status, 200);
  EXPECT_NE(after->body.find("EXDATE;TZID=Europe/London:20100920T103000\r\n"), std::string::npos);

  const auto a = EventBlocks(before->body), b = EventBlocks(after->body);
  std::string master;
  for (const auto& [key, block] : a)
    if (key.find("RECURRENCE-ID") == std::string::npos) master = key;
  ASSERT_FALSE(master.empty());
  EXPECT_GT(Sequence(b.at(master)), Sequence(a.at(master)));
  int unchanged = 0;
  for (const auto& [key, block] : b) {
    ASSERT_TRUE(a.count(key)) << "a new UID or RECURRENCE-ID appeared: " << key;  // F11
    EXPECT_GE(Sequence(block), Sequence(a.at(key))) << key;                       // F13
    if (key != master) {
      EXPECT_EQ(block, a.at(key)) << "an untouched meeting changed: " << key;
      ++unchanged;
    }
  }
  EXPECT_EQ(unchanged, 4);
  EXPECT_EQ(b.size(), a.size() - 1);

  // ?cancelled=show: the meeting stays, STATUS:CANCELLED, "Cancelled: " (a separate cache entry).
  auto shown = Fetch("/feeds/groups/futures.ics?cancelled=show");
  EXPECT_EQ(shown->body.find("EXDATE"), std::string::npos);
  EXPECT_NE(shown->body.find("STATUS:CANCELLED\r\nSUMMARY:Cancelled: Futures meeting\r\n"),
            std::string::npos);
  EXPECT_NE(shown->get_header_value("ETag"), after->get_header_value("ETag"));
}

TEST_F(FeedTest, LastModifiedNeverGoesBackEvenWhenSomethingIsRemoved) {
  Seed();
  server_.clock().Advance(3600);
  auto p = Post("/api/v1/meetings/" + std::to_string(meetings_[0]) + "/presenters",
                {{"name", "Grace Hopper"}, {"topic", "Compilers"}});
  ASSERT_EQ(p->status, 201);
  auto with = Fetch("/feeds/groups/futures.ics");
  const int64_t lm1 = calendar::ParseHttpDate(with->get_header_value("Last-Modified"));
  server_.clock().Advance(3600);
  auto c = server_.Client();
  auto del = c.Delete(("/api/v1/meetings/" + std::to_string(meetings_[0]) + "/presenters/" +
                       std::to_string(Body(p)["id"].get<int64_t>()))
                          .c_str(),
                      {{"Authorization", "Bearer " + token_}});
  ASSERT_EQ(del->status, 204);
  auto without = Fetch("/feeds/groups/futures.ics");
  EXPECT_EQ(without->body.find("Grace Hopper"), std::string::npos);
  EXPECT_GT(calendar::ParseHttpDate(without->get_header_value("Last-Modified")), lm1);
  // Apple revalidates by date: the old date must not get a 304 for the new bytes.
  EXPECT_EQ(Fetch("/feeds/groups/futures.ics",
                  {{"If-Modified-Since", with->get_header_value("Last-Modified")}})
                ->status,
            200);
}

// The cache: one render per (feed, revision), and a write anywhere invalidates it.
TEST_F(FeedTest, RendersOncePerRevision) {
  Seed();
  FeedService service(server_.app().db(), "https://convene.example.org", 60,
                      server_.clock().AsClock(), SystemRandom());
  FeedRequest group{FeedKind::kGroup, "futures", false};
  auto first = service.Get(group);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  auto second = service.Get(group);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(service.renders(), 1);
  EXPECT_EQ(first->get(), second->get()) << "the same cached body";
  EXPECT_TRUE(service.Get({FeedKind::kGroup, "futures", true}).ok());
  EXPECT_EQ(service.renders(), 2) << "?cancelled=show is its own entry";
  ASSERT_EQ(Post("/api/v1/venues", {{"name", "Elsewhere"}, {"address", "1 Road"}})->status, 201);
  // This standalone service is not wired to the server's commits (the App's is): tell it.
  service.NoteWrite();
  auto third = service.Get(group);
  ASSERT_TRUE(third.ok());
  EXPECT_EQ(service.renders(), 3);
  EXPECT_GT((*third)->revision, (*first)->revision);
  EXPECT_EQ((*third)->etag, (*first)->etag);
  EXPECT_EQ((*third)->last_modified, (*first)->last_modified);
  EXPECT_EQ(service.Get({FeedKind::kGroup, "closed", false}).status().code(), Code::kNotFound);
}

// A member feed answers from memory once its token was checked; a link revoked through this
// server stops at once, one revoked by another process (here: a write this service is not told
// of) within kRecheckMs.
TEST_F(FeedTest, ARevokedMemberLinkStopsAtOnceHereAndWithinASecondElsewhere) {
  Seed();
  const std::string token =
      member_path_.substr(std::string("/feeds/members/").size(), member_path_.size() - 4 - 15);
  FeedService service(server_.app().db(), "https://convene.example.org", 60,
                      server_.clock().AsClock(), SystemRandom());
  const FeedRequest mine{FeedKind::kMember, token, false};
  EXPECT_FALSE(service.InMemory(mine)) << "not checked yet";
  ASSERT_TRUE(service.Get(mine).ok());
  EXPECT_TRUE(service.InMemory(mine));
  ASSERT_TRUE(service.Get(mine).ok());
  EXPECT_EQ(service.renders(), 1);
  EXPECT_FALSE(service.InMemory({FeedKind::kMember, std::string(43, 'A'), false}));

  // Through the server (its own FeedService): 200, then revoked, then 404 at once.
  ASSERT_EQ(Fetch(member_path_)->status, 200);
  ASSERT_EQ(Fetch(member_path_)->status, 200);
  auto c = server_.Client();
  auto del = c.Delete(("/api/v1/members/" + std::to_string(member_id_) + "/feed-token").c_str(),
                      {{"Authorization", "Bearer " + token_}});
  ASSERT_EQ(del->status, 204) << del->body;
  EXPECT_EQ(Fetch(member_path_)->status, 404) << "revoked through this server: at once";

  // The standalone service saw nothing of it: from memory until its check is kRecheckMs old.
  const auto revoked = std::chrono::steady_clock::now();
  auto still = service.Get(mine);
  if (std::chrono::steady_clock::now() - revoked <
      std::chrono::milliseconds(FeedService::kRecheckMs - 200)) {
    EXPECT_TRUE(still.ok());
  }
  bool stopped = false;
  while (!stopped && std::chrono::steady_clock::now() - revoked <
                         std::chrono::milliseconds(FeedService::kRecheckMs + 500)) {
    stopped = !service.Get(mine).ok();
    if (!stopped) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_TRUE(stopped) << "a link revoked elsewhere stops within kRecheckMs";
  EXPECT_EQ(service.Get(mine).status().code(), Code::kNotFound);
  EXPECT_FALSE(service.InMemory(mine));
}

// The cache holds at most its byte limit, the least recently used feed dropped first.
TEST_F(FeedTest, TheCacheKeepsToItsByteLimitDroppingTheLeastRecentlyUsed) {
  Seed();
  const std::string v1 = std::to_string(venue_), v2 = std::to_string(venue2_);
  size_t group_bytes = 0, venue_bytes = 0;
  {
    FeedService sizes(server_.app().db(), "https://convene.example.org", 60,
                      server_.clock().AsClock(), SystemRandom());
    auto g = sizes.Get({FeedKind::kGroup, "futures", false});
    ASSERT_TRUE(g.ok());
    group_bytes = (*g)->body.size() + (*g)->gzip.size();
    auto v = sizes.Get({FeedKind::kVenue, v1, false});
    ASSERT_TRUE(v.ok());
    venue_bytes = (*v)->body.size() + (*v)->gzip.size();
    EXPECT_EQ(sizes.cached_bytes(), group_bytes + venue_bytes);
  }
  // Room for the group feed and the first venue's, not a third feed as well.
  const size_t limit = group_bytes + venue_bytes + 10;
  FeedService service(server_.app().db(), "https://convene.example.org", 60,
                      server_.clock().AsClock(), SystemRandom(), limit);
  const FeedRequest group{FeedKind::kGroup, "futures", false};
  ASSERT_TRUE(service.Get(group).ok());
  ASSERT_TRUE(service.Get({FeedKind::kVenue, v1, false}).ok());
  EXPECT_EQ(service.renders(), 2);
  ASSERT_TRUE(service.Get(group).ok());  // the group feed is now the most recently used
  EXPECT_EQ(service.renders(), 2);
  ASSERT_TRUE(service.Get({FeedKind::kVenue, v2, false}).ok());  // drops the first venue's
  EXPECT_EQ(service.renders(), 3);
  EXPECT_LE(service.cached_bytes(), limit);
  EXPECT_TRUE(service.InMemory(group));
  EXPECT_FALSE(service.InMemory({FeedKind::kVenue, v1, false}));
  ASSERT_TRUE(service.Get(group).ok());
  EXPECT_EQ(service.renders(), 3) << "the group feed stayed";
  ASSERT_TRUE(service.Get({FeedKind::kVenue, v1, false}).ok());
  EXPECT_EQ(service.renders(), 4) << "the dropped venue feed is rendered again";
  EXPECT_LE(service.cached_bytes(), limit);
}

TEST_F(FeedTest, PrivateUnknownAndBadTokensAreNotFound) {
  Seed();
  EXPECT_EQ(Fetch("/feeds/groups/closed.ics")->status, 404);
  EXPECT_EQ(Fetch("/feeds/groups/nosuch.ics")->status, 404);
  EXPECT_EQ(Fetch("/feeds/venues/999.ics")->status, 404);
  auto bad = Fetch("/feeds/members/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA.ics");
  EXPECT_EQ(bad->status, 404);
  EXPECT_EQ(bad->body.find("AAAAAAAAAA"), std::string::npos) << "the token is not echoed";
  EXPECT_EQ(Fetch("/feeds/members/short.ics")->status, 404);
}

TEST_F(FeedTest, VenueFeedHasEveryPublicMeetingAtTheVenue) {
  Seed();
  ASSERT_EQ(PatchMeeting(meetings_[2], {{"venue_id", venue2_}})->status, 200);  // 19 July elsewhere
  auto v1 = Fetch("/feeds/venues/" + std::to_string(venue_) + ".ics");
  ASSERT_EQ(v1->status, 200);
  EXPECT_NE(v1->body.find("SUMMARY:Futures: Futures meeting\r\n"), std::string::npos);
  EXPECT_NE(v1->body.find("EXDATE;TZID=Europe/London:20100719T103000\r\n"), std::string::npos);
  EXPECT_EQ(v1->body.find("Closed session"), std::string::npos) << "private groups stay out";
  auto v2 = Fetch("/feeds/venues/" + std::to_string(venue2_) + ".ics");
  const auto events = EventBlocks(v2->body);
  EXPECT_EQ(events.size(), 2u);  // the master (every other date excluded) and 19 July
  EXPECT_NE(v2->body.find("RECURRENCE-ID;TZID=Europe/London:20100719T103000\r\n"),
            std::string::npos);
  EXPECT_EQ(Fetch("/feeds/venues/" + std::to_string(venue_) + ".ics",
                  {{"If-None-Match", v1->get_header_value("ETag")}})
                ->status,
            304);
}

TEST_F(FeedTest, MemberFeedShowsTheMembersOwnState) {
  Seed();
  auto r = Fetch(member_path_);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(r->get_header_value("Cache-Control"), "private, no-cache");
  EXPECT_NE(r->body.find("You are expected.\\nSend apologies: "), std::string::npos);
  auto rec = Post("/api/v1/meetings/" + std::to_string(meetings_[1]) + "/apologies",
                  {{"member_id", member_id_}});
  ASSERT_EQ(rec->status, 201) << rec->body;
  auto after = Fetch(member_path_);
  EXPECT_NE(after->body.find("You sent apologies."), std::string::npos);
  EXPECT_NE(after->get_header_value("ETag"), r->get_header_value("ETag"));
  // Only the meeting with the apology changed.
  const auto a = EventBlocks(r->body), b = EventBlocks(after->body);
  int changed = 0;
  for (const auto& [key, block] : b) changed += a.at(key) != block;
  EXPECT_EQ(changed, 1);
  // A member of two groups (same email) gets both in one feed, each SUMMARY naming its group.
  ASSERT_EQ(
      Post("/api/v1/groups", {{"slug", "second"}, {"name", "Second"}, {"timezone", "Asia/Tokyo"}})
          ->status,
      201);
  ASSERT_EQ(PostOneDate("second", "Tokyo call", venue2_, "19:00", "2010-06-21")->status, 201);
  ASSERT_EQ(
      Post("/api/v1/groups/second/members", {{"name", "Ada L."}, {"email", "ADA@example.org"}})
          ->status,
      201);
  auto both = Fetch(member_path_);
  EXPECT_NE(both->body.find("SUMMARY:Second: Tokyo call\r\n"), std::string::npos);
  EXPECT_NE(both->body.find("SUMMARY:Futures: Futures meeting\r\n"), std::string::npos);
  EXPECT_NE(both->body.find("TZID:Asia/Tokyo\r\n"), std::string::npos);
}

}  // namespace
}  // namespace convene::server

namespace convene::server {
namespace {

// A member feed covers the member's groups of the same organiser, never another organiser's.
TEST(MemberFeedScope, OnlyTheIssuingOrganisersGroups) {
  convene::testing::ServerFixture server;
  ASSERT_TRUE(server.error().empty()) << server.error();
  auto& ops = server.app().ops();
  const Id a = ops.EnsureOrganiser("a@example.org", "A")->id;
  const Id b = ops.EnsureOrganiser("b@example.org", "B")->id;
  auto setup = [&](Id org, const std::string& slug, const std::string& title,
                   const std::string& date) {
    VenueInput v;
    v.name = "Hall " + slug;
    v.address = "1 Road";
    const Id venue = ops.CreateVenue(org, v)->id;
    EXPECT_TRUE(
        ops.CreateGroup(org, GroupInput{slug, "Group " + slug, "Europe/London", {}, false}).ok());
    EXPECT_TRUE(ops.CreateSeries(org, slug,
                                 convene::testing::DatedSeries(title, venue, "10:00", 60, {date}))
                    .ok());
    return ops.AddMember(org, slug, MemberInput{"Ann", "ann@example.org", {}, {}, {}});
  };
  auto mine = setup(a, "g1", "First of A", "2027-01-04");
  ASSERT_TRUE(mine.ok());
  ASSERT_TRUE(setup(a, "g2", "Second of A", "2027-01-05").ok());
  ASSERT_TRUE(setup(b, "g3", "Private of B", "2027-01-06").ok());
  auto c = server.Client();
  auto r = c.Get(("/feeds/members/" + mine->feed_token + ".ics").c_str());
  ASSERT_EQ(r->status, 200);
  EXPECT_NE(r->body.find("First of A"), std::string::npos);
  EXPECT_NE(r->body.find("Second of A"), std::string::npos);
  EXPECT_EQ(r->body.find("Private of B"), std::string::npos);
}

}  // namespace
}  // namespace convene::server
