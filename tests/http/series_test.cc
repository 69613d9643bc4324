// Series through the JSON API (issue 10): patterns in words, the preview, bank holidays by region,
// and changes "from this meeting on", extend, shorten and end. Expected dates are written by hand
// from the 2027/2028 calendars (UK summer time 2027: 28 March to 31 October).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "tests/support/api_fixture.h"

namespace convene::server {
namespace {

using nlohmann::json;

class SeriesApiTest : public convene::testing::ApiFixture {
 protected:
  void SetUp() override {
    ApiFixture::SetUp();
    siemens_ = Body(Post("/api/v1/venues", {{"name", "Siemens, Hillgate House"},
                                            {"address", "26 Old Bailey, London"},
                                            {"postcode", "EC4M 7HS"}}))["id"];
    council_ = Body(Post("/api/v1/venues", {{"name", "Council House"},
                                            {"address", "Victoria Square, Birmingham"},
                                            {"postcode", "B1 1BB"}}))["id"];
    auto g = Post("/api/v1/groups",
                  {{"slug", "futures"}, {"name", "Futures"}, {"timezone", "Europe/London"}});
    ASSERT_EQ(g->status, 201) << g->body;
    for (const char* n : {"ann", "bob", "cy"})
      ASSERT_EQ(Post("/api/v1/groups/futures/members",
                     {{"name", n}, {"email", std::string(n) + "@example.org"}})
                    ->status,
                201);
  }

  // "Every other month on the 3rd Monday, 6 times, from 1 January 2027, at 10:30 for 2 hours."
  json ThirdMondays() {
    return {{"title", "Futures meeting"},
            {"venue_id", siemens_},
            {"start_time", "10:30"},
            {"duration_minutes", 120},
            {"first_date", "2027-01-01"},
            {"pattern",
             {{"freq", "monthly"},
              {"interval", 2},
              {"weekday", "MO"},
              {"week_of_month", 3},
              {"count", 6}}}};
  }

  static std::vector<std::string> Starts(const json& meetings) {
    std::vector<std::string> out;
    for (const json& m : meetings) out.push_back(m["start"]);
    return out;
  }

  json Meetings() { return Body(Get("/api/v1/groups/futures/meetings"))["meetings"]; }
  json MeetingById(int64_t id) { return Body(Get("/api/v1/meetings/" + std::to_string(id))); }
  std::string SeriesETag(int64_t id) {
    return Get("/api/v1/series/" + std::to_string(id))->get_header_value("ETag");
  }
  // Outbox rows (any status but superseded) of one kind.
  int CountKind(const std::string& kind) {
    int n = 0;
    const json outbox = Body(Get("/api/v1/outbox"));
    for (const json& m : outbox["messages"])
      if (m["kind"] == kind) ++n;
    return n;
  }
  // The VEVENT blocks of the group feed keyed by their RECURRENCE-ID line ("" for the master).
  std::map<std::string, std::string> FeedEvents() {
    auto r = server_.Client().Get("/feeds/groups/futures.ics");
    std::map<std::string, std::string> out;
    std::string body = r->body;
    size_t at = 0;
    while ((at = body.find("BEGIN:VEVENT\r\n", at)) != std::string::npos) {
      const size_t end = body.find("END:VEVENT\r\n", at);
      const std::string block = body.substr(at, end - at);
      const size_t rid = block.find("RECURRENCE-ID");
      out[rid == std::string::npos ? "" : block.substr(rid, block.find("\r\n", rid) - rid)] = block;
      at = end;
    }
    return out;
  }

  int64_t siemens_ = 0, council_ = 0;
};

TEST_F(SeriesApiTest, PatternPreviewIsExactlyWhatCreateMakes) {
  const std::vector<std::string> want = {"2027-01-18T10:30:00+00:00", "2027-03-15T10:30:00+00:00",
                                         "2027-05-17T10:30:00+01:00", "2027-07-19T10:30:00+01:00",
                                         "2027-09-20T10:30:00+01:00", "2027-11-15T10:30:00+00:00"};
  auto p = Post("/api/v1/groups/futures/series/preview", ThirdMondays());
  ASSERT_EQ(p->status, 200) << p->body;
  EXPECT_EQ(Starts(Body(p)["meetings"]), want);
  EXPECT_EQ(Body(p)["pattern_words"], "Every other month on the 3rd Monday, 6 times");
  EXPECT_EQ(Body(p)["rrule"], "FREQ=MONTHLY;INTERVAL=2;BYDAY=3MO;COUNT=6");
  EXPECT_EQ(Body(p)["meetings"][0]["end"], "2027-01-18T12:30:00+00:00");
  EXPECT_TRUE(Meetings().empty()) << "a preview stores nothing";
  auto c = Post("/api/v1/groups/futures/series", ThirdMondays());
  ASSERT_EQ(c->status, 201) << c->body;
  EXPECT_EQ(Starts(Body(c)["meetings"]), want);
  EXPECT_EQ(Starts(Meetings()), want);
}

TEST_F(SeriesApiTest, LastFridayAndLeapDayAndWeeklyPatterns) {
  json body = ThirdMondays();
  body["pattern"] = {{"freq", "monthly"}, {"weekday", "FR"}, {"week_of_month", -1}, {"count", 4}};
  auto p = Post("/api/v1/groups/futures/series/preview", body);
  ASSERT_EQ(p->status, 200) << p->body;
  EXPECT_EQ(Starts(Body(p)["meetings"]),
            (std::vector<std::string>{"2027-01-29T10:30:00+00:00", "2027-02-26T10:30:00+00:00",
                                      "2027-03-26T10:30:00+00:00", "2027-04-30T10:30:00+01:00"}));
  EXPECT_EQ(Body(p)["pattern_words"], "Every month on the last Friday, 4 times");

  body["first_date"] = "2028-02-20";
  body["pattern"] = {{"freq", "weekly"}, {"weekday", "TU"}, {"until", "2028-03-07"}};
  p = Post("/api/v1/groups/futures/series/preview", body);
  ASSERT_EQ(p->status, 200) << p->body;
  EXPECT_EQ(Starts(Body(p)["meetings"]),
            (std::vector<std::string>{"2028-02-22T10:30:00+00:00", "2028-02-29T10:30:00+00:00",
                                      "2028-03-07T10:30:00+00:00"}));
}

TEST_F(SeriesApiTest, BothClockChanges) {
  json body = ThirdMondays();
  body["start_time"] = "01:30";
  // 01:30 on Sunday 28 March 2027 does not exist in London (clocks go forward at 01:00).
  body["first_date"] = "2027-03-21";
  body["pattern"] = {{"freq", "weekly"}, {"weekday", "SU"}, {"count", 2}};
  auto p = Post("/api/v1/groups/futures/series/preview", body);
  EXPECT_EQ(p->status, 400) << p->body;
  EXPECT_EQ(Body(p)["error"]["field"], "start_time");
  // 01:30 on Sunday 31 October 2027 happens twice (clocks go back at 02:00).
  body["first_date"] = "2027-10-24";
  p = Post("/api/v1/groups/futures/series/preview", body);
  ASSERT_EQ(p->status, 200) << p->body;
  const json m = Body(p)["meetings"];
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[1]["start"], "2027-10-31T01:30:00+01:00");
  ASSERT_EQ(m[1]["warnings"].size(), 1u) << m;
  EXPECT_EQ(m[1]["warnings"][0]["code"], "ambiguous_time");
  EXPECT_TRUE(m[0]["warnings"].empty());
}

TEST_F(SeriesApiTest, AvoidBankHolidaysFollowsTheGroupsRegion) {
  // Mondays 22 and 29 March and 5 April 2027: 29 March is Easter Monday in England and Wales,
  // not in Scotland.
  json body = ThirdMondays();
  body["first_date"] = "2027-03-22";
  body["pattern"] = {{"freq", "weekly"}, {"weekday", "MO"}, {"count", 3}};
  body["avoid"] = {"bank_holidays"};
  auto p = Post("/api/v1/groups/futures/series/preview", body);
  ASSERT_EQ(p->status, 200) << p->body;
  EXPECT_EQ(Starts(Body(p)["meetings"]),
            (std::vector<std::string>{"2027-03-22T10:30:00+00:00", "2027-04-05T10:30:00+01:00"}));
  ASSERT_EQ(Body(p)["skipped"].size(), 1u);
  EXPECT_EQ(Body(p)["skipped"][0]["date"], "2027-03-29");
  EXPECT_EQ(Body(p)["skipped"][0]["reason"], "bank_holiday");

  // Without avoid, the date stays with a warning in words.
  json warned = body;
  warned.erase("avoid");
  p = Post("/api/v1/groups/futures/series/preview", warned);
  ASSERT_EQ(Body(p)["meetings"].size(), 3u);
  ASSERT_EQ(Body(p)["meetings"][1]["warnings"].size(), 1u);
  EXPECT_EQ(Body(p)["meetings"][1]["warnings"][0]["message"],
            "Monday 29 March 2027 is a bank holiday (Easter Monday in England and Wales)");

  auto c = Post("/api/v1/groups/futures/series", body);
  ASSERT_EQ(c->status, 201) << c->body;
  EXPECT_EQ(Body(c)["skipped"][0]["date"], "2027-03-29");
  EXPECT_EQ(Body(c)["meetings"].size(), 2u);
  // The rule series carries the skipped date as an EXDATE.
  auto feed = server_.Client().Get("/feeds/groups/futures.ics");
  EXPECT_NE(feed->body.find("EXDATE;TZID=Europe/London:20270329T103000"), std::string::npos);

  // Scotland: Easter Monday is no bank holiday there.
  auto patch = PatchCurrent("/api/v1/groups/futures", {{"bank_holiday_region", "scotland"}});
  ASSERT_EQ(patch->status, 200) << patch->body;
  EXPECT_EQ(Body(Get("/api/v1/groups/futures"))["bank_holiday_region"], "scotland");
  p = Post("/api/v1/groups/futures/series/preview", body);
  EXPECT_EQ(Body(p)["meetings"].size(), 3u) << p->body;
  EXPECT_TRUE(Body(p)["skipped"].empty());
}

TEST_F(SeriesApiTest, ThisAndFollowingKeepsOneByOneChangesAndEarlierBytes) {
  auto c = Post("/api/v1/groups/futures/series", ThirdMondays());
  ASSERT_EQ(c->status, 201);
  const int64_t series = Body(c)["id"];
  const json created = Body(c);
  std::vector<int64_t> ids;
  for (const json& m : created["meetings"]) ids.push_back(m["id"]);
  // The 4th meeting (19 July) moves to Council House on its own.
  ASSERT_EQ(PatchMeeting(ids[3], {{"venue_id", council_}})->status, 200);
  const auto before = FeedEvents();
  const int meeting_notices = CountKind("meeting_change");

  // From the 3rd meeting on: Council House at 14:00. The 4th keeps its own venue (already
  // Council House, changed alone) and is listed in `kept`; its time still moves.
  auto r = Patch("/api/v1/series/" + std::to_string(series),
                 {{"from", "2027-05-17"}, {"venue_id", council_}, {"start_time", "14:00"}},
                 SeriesETag(series));
  ASSERT_EQ(r->status, 200) << r->body;
  const json out = Body(r);
  EXPECT_EQ(out["changed"], json({ids[2], ids[3], ids[4], ids[5]}));
  ASSERT_EQ(out["kept"].size(), 1u) << out;
  EXPECT_EQ(out["kept"][0]["id"], ids[3]);
  EXPECT_EQ(out["kept"][0]["field"], "venue_id");
  EXPECT_EQ(out["summary"][0],
            "From Monday 17 May 2027 the Futures meetings will be at Council House, Victoria "
            "Square, Birmingham, instead of Siemens, Hillgate House.");
  EXPECT_EQ(out["summary"][1], "They will start at 14:00 instead of 10:30.");

  EXPECT_EQ(MeetingById(ids[1])["start"], "2027-03-15T10:30:00+00:00");
  EXPECT_EQ(MeetingById(ids[1])["venue"]["id"], siemens_);
  for (size_t i = 2; i < 6; ++i) {
    EXPECT_EQ(MeetingById(ids[i])["venue"]["id"], council_) << i;
    EXPECT_EQ(std::string(MeetingById(ids[i])["start"]).substr(10, 6), "T14:00") << i;
  }
  // Meetings before the change keep their bytes; later ones changed.
  const auto after = FeedEvents();
  const std::string jan = "RECURRENCE-ID;TZID=Europe/London:20270118T103000";
  const std::string mar = "RECURRENCE-ID;TZID=Europe/London:20270315T103000";
  const std::string may = "RECURRENCE-ID;TZID=Europe/London:20270517T103000";
  ASSERT_TRUE(before.count(jan) && after.count(jan));
  EXPECT_EQ(before.at(jan), after.at(jan));
  EXPECT_EQ(before.at(mar), after.at(mar));
  EXPECT_NE(before.at(may), after.at(may));
  EXPECT_NE(after.at(may).find("DTSTART;TZID=Europe/London:20270517T140000"), std::string::npos);

  // ONE notice per member for the whole change, none more per meeting.
  EXPECT_EQ(CountKind("series_change"), 3);
  EXPECT_EQ(CountKind("meeting_change"), meeting_notices);
}

TEST_F(SeriesApiTest, TitleChangeFromADateLeavesEarlierTitles) {
  auto c = Post("/api/v1/groups/futures/series", ThirdMondays());
  const int64_t series = Body(c)["id"];
  const json created = Body(c);
  std::vector<int64_t> ids;
  for (const json& m : created["meetings"]) ids.push_back(m["id"]);
  auto r = Patch("/api/v1/series/" + std::to_string(series),
                 {{"from", "2027-07-19"}, {"title", "Futures forum"}}, SeriesETag(series));
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(MeetingById(ids[0])["title"], "Futures meeting");
  EXPECT_EQ(MeetingById(ids[2])["title"], "Futures meeting");
  EXPECT_EQ(MeetingById(ids[3])["title"], "Futures forum");
  EXPECT_EQ(MeetingById(ids[5])["title"], "Futures forum");
  EXPECT_EQ(Body(Get("/api/v1/series/" + std::to_string(series)))["title"], "Futures forum");
}

TEST_F(SeriesApiTest, ExtendShortenAndEnd) {
  auto c = Post("/api/v1/groups/futures/series", ThirdMondays());
  const int64_t series = Body(c)["id"];
  const std::string path = "/api/v1/series/" + std::to_string(series);
  ASSERT_EQ(
      Patch(path, {{"from", "2027-01-18"}, {"venue_id", council_}}, SeriesETag(series))->status,
      200);
  // Extend to 8: two more 3rd Mondays at the standing values (17 Jan and 20 Mar 2028).
  auto r = Patch(path, {{"count", 8}}, SeriesETag(series));
  ASSERT_EQ(r->status, 200) << r->body;
  ASSERT_EQ(Body(r)["added"].size(), 2u) << r->body;
  const int64_t jan28 = Body(r)["added"][0];
  EXPECT_EQ(MeetingById(jan28)["start"], "2028-01-17T10:30:00+00:00");
  EXPECT_EQ(MeetingById(jan28)["venue"]["id"], council_);
  EXPECT_EQ(Body(r)["series"]["pattern_words"], "Every other month on the 3rd Monday, 8 times");
  EXPECT_EQ(Starts(Meetings()).size(), 8u);

  // Shorten to the end of September 2027: 15 Nov 2027, 17 Jan and 20 Mar 2028 are cancelled.
  r = Patch(path, {{"until", "2027-09-30"}}, SeriesETag(series));
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(Body(r)["cancelled"].size(), 3u) << r->body;
  int scheduled = 0;
  for (const json& m : Meetings()) scheduled += m["status"] == "scheduled";
  EXPECT_EQ(scheduled, 5);  // 18 Jan, 15 Mar, 17 May, 19 Jul, 20 Sep 2027
  auto feed = server_.Client().Get("/feeds/groups/futures.ics");
  EXPECT_EQ(feed->body.find("20271115T"), std::string::npos) << "dropped meetings leave the feed";

  // Extending again brings the dropped meetings back.
  r = Patch(path, {{"count", 8}}, SeriesETag(series));
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(Body(r)["added"].size(), 3u) << r->body;

  // End: If-Match is required; then every meeting still to come is cancelled.
  auto h = Auth();
  EXPECT_EQ(server_.Client().Delete(path.c_str(), h)->status, 428);
  h.emplace("If-Match", SeriesETag(series));
  EXPECT_EQ(server_.Client().Delete(path.c_str(), h)->status, 204);
  for (const json& m : Meetings()) EXPECT_EQ(m["status"], "cancelled") << m["start"];
  EXPECT_EQ(Body(Get(path))["upcoming"], 0);
  // Five changes inside one --notice-delay window: one notice per member, rewritten each time.
  EXPECT_EQ(CountKind("series_change"), 3);
}

TEST_F(SeriesApiTest, BadInputNamesTheFieldAndChangesNothing) {
  json no_end = ThirdMondays();
  no_end["pattern"].erase("count");
  auto r = Post("/api/v1/groups/futures/series", no_end);
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(Body(r)["error"]["field"], "pattern.count");
  json weekly = ThirdMondays();
  weekly["pattern"]["freq"] = "weekly";
  r = Post("/api/v1/groups/futures/series", weekly);
  EXPECT_EQ(Body(r)["error"]["field"], "pattern.week_of_month");
  json typo = ThirdMondays();
  typo["pattern"]["weekdays"] = "MO";
  r = Post("/api/v1/groups/futures/series/preview", typo);
  EXPECT_EQ(Body(r)["error"]["field"], "pattern.weekdays");
  json unknown_avoid = ThirdMondays();
  unknown_avoid["avoid"] = {"weekends"};
  EXPECT_EQ(Body(Post("/api/v1/groups/futures/series", unknown_avoid))["error"]["field"], "avoid");
  EXPECT_TRUE(Meetings().empty());
  auto g = Post("/api/v1/groups", {{"slug", "north"},
                                   {"name", "North"},
                                   {"timezone", "Europe/London"},
                                   {"bank_holiday_region", "wales"}});
  EXPECT_EQ(g->status, 400);
  EXPECT_EQ(Body(g)["error"]["field"], "bank_holiday_region");

  auto c = Post("/api/v1/groups/futures/series", ThirdMondays());
  const int64_t series = Body(c)["id"];
  const std::string path = "/api/v1/series/" + std::to_string(series);
  const std::string etag = SeriesETag(series);
  const json meetings = Meetings();
  for (const auto& [body, field] : std::vector<std::pair<json, std::string>>{
           {{{"from", "2026-12-01"}, {"venue_id", council_}}, "from"},
           {{{"from", "2028-01-01"}, {"venue_id", council_}}, "from"},
           {{{"venue_id", council_}}, "from"},
           {{{"until", "2027-09-30"}, {"count", 3}}, "count"},
           {{{"from", "2027-05-17"}, {"start_time", "25:00"}}, "start_time"},
           {{{"from", "2027-05-17"}, {"venue_ids", 2}}, "venue_ids"},
       }) {
    r = Patch(path, body, etag);
    EXPECT_EQ(r->status, 400) << body;
    EXPECT_EQ(Body(r)["error"]["field"], field) << body << " " << r->body;
  }
  EXPECT_EQ(Patch(path, {{"from", "2027-05-17"}, {"venue_id", council_}}, "\"s1-0\"")->status, 412);
  EXPECT_EQ(SeriesETag(series), etag);
  EXPECT_EQ(Meetings(), meetings);
}

TEST_F(SeriesApiTest, ClashNeedsForceOrIsLeftOut) {
  ASSERT_EQ(
      Post("/api/v1/groups", {{"slug", "other"}, {"name", "Other"}, {"timezone", "Europe/London"}})
          ->status,
      201);
  // Another group's meeting at Siemens on 17 May 2027 at 11:00.
  json one = {{"title", "Other"},
              {"venue_id", siemens_},
              {"start_time", "11:00"},
              {"duration_minutes", 60},
              {"dates", {"2027-05-17"}}};
  ASSERT_EQ(Post("/api/v1/groups/other/series", one)->status, 201);
  auto p = Post("/api/v1/groups/futures/series/preview", ThirdMondays());
  ASSERT_EQ(p->status, 200);
  EXPECT_EQ(Body(p)["blocked"]["code"], "venue_clash");
  EXPECT_EQ(Post("/api/v1/groups/futures/series", ThirdMondays())->status, 409);
  json avoid = ThirdMondays();
  avoid["avoid"] = {"clashes"};
  auto c = Post("/api/v1/groups/futures/series", avoid);
  ASSERT_EQ(c->status, 201) << c->body;
  EXPECT_EQ(Body(c)["meetings"].size(), 5u);
  EXPECT_EQ(Body(c)["skipped"][0]["date"], "2027-05-17");
  EXPECT_EQ(Body(c)["skipped"][0]["reason"], "venue_clash");
}

TEST_F(SeriesApiTest, ListAndGetSeries) {
  auto c = Post("/api/v1/groups/futures/series", ThirdMondays());
  const int64_t series = Body(c)["id"];
  const json list = Body(Get("/api/v1/groups/futures/series"))["series"];
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0]["id"], series);
  EXPECT_EQ(list[0]["meetings"], 6);
  EXPECT_EQ(list[0]["upcoming"], 6);
  EXPECT_EQ(list[0]["start_time"], "10:30");
  EXPECT_EQ(Get("/api/v1/series/" + std::to_string(series), other_token_)->status, 404);
}

}  // namespace
}  // namespace convene::server
