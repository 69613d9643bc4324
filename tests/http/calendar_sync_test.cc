// Invitations that add up (docs/ical.md, "Invitations that add up"), through the real server: a
// member whose calendar starts getting invitations gets the whole upcoming picture of the group
// first, one METHOD:REQUEST per series (master and overrides) and per single meeting, queued in
// the transaction of the join or the switch (outbox kind calendar_sync); going back to the feed
// cancels each; nobody else is sent anything.
#include <gtest/gtest.h>
#include <sodium.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "tests/support/api_fixture.h"

namespace convene::server {
namespace {

using nlohmann::json;

class CalendarSyncTest : public convene::testing::ApiFixture {
 protected:
  json PostOk(const std::string& path, const json& body, int want = 201) {
    auto r = Post(path, body);
    EXPECT_TRUE(r && r->status == want) << path << " " << (r ? r->body : "no answer");
    return Body(r);
  }

  // The clock is 5 January 2026. A group, a venue, and:
  // - a rule series with meetings to come (five weekly Mondays from 2 February 2026),
  // - a rule series whose meetings are all past (2025),
  // - a series of listed dates: one past (1 December 2025), two to come (one of them then
  //   cancelled, so one to come is left),
  // - a one-off meeting to come (a series of one listed date).
  void Seed(bool with_meetings = true) {
    venue_ = PostOk("/api/v1/venues", {{"name", "Old Hall"}, {"address", "1 High Street"}})["id"];
    PostOk("/api/v1/groups",
           {{"slug", "futures"}, {"name", "Futures"}, {"timezone", "Europe/London"}});
    if (!with_meetings) return;
    json rule = PostOk("/api/v1/groups/futures/series", {{"title", "Futures meeting"},
                                                         {"venue_id", venue_},
                                                         {"start_time", "10:30"},
                                                         {"duration_minutes", 120},
                                                         {"rrule", "FREQ=WEEKLY;BYDAY=MO;COUNT=5"},
                                                         {"first_date", "2026-02-01"}});
    rule_uid_ = rule["uid"];
    PostOk("/api/v1/groups/futures/series", {{"title", "Last year"},
                                             {"venue_id", venue_},
                                             {"start_time", "10:30"},
                                             {"duration_minutes", 60},
                                             {"rrule", "FREQ=MONTHLY;BYDAY=1TU;COUNT=3"},
                                             {"first_date", "2025-01-01"}});
    json listed = PostOk("/api/v1/groups/futures/series",
                         {{"title", "Steering forum"},
                          {"venue_id", venue_},
                          {"start_time", "14:00"},
                          {"duration_minutes", 60},
                          {"dates", json::array({"2025-12-01", "2026-03-03", "2026-04-07"})}});
    for (const auto& m : listed["meetings"]) forum_.push_back(m["id"]);
    json one = PostOk("/api/v1/groups/futures/series", {{"title", "Away day"},
                                                        {"venue_id", venue_},
                                                        {"start_time", "09:00"},
                                                        {"duration_minutes", 420},
                                                        {"dates", json::array({"2026-06-12"})}});
    away_ = one["meetings"][0]["id"];
    auto c = PatchMeeting(forum_[2], {{"status", "cancelled"}});
    ASSERT_TRUE(c && c->status == 200) << (c ? c->body : "");
  }

  json AddMember(const std::string& name, const std::string& delivery) {
    return PostOk("/api/v1/groups/futures/members",
                  {{"name", name}, {"email", name + "@example.org"}, {"delivery", delivery}});
  }

  // The outbox rows of `kind` to `to`, oldest first.
  std::vector<json> Rows(const std::string& kind, const std::string& to) {
    auto r = Get("/api/v1/outbox");
    std::vector<json> out;
    if (!r || r->status != 200) return out;
    const json body = json::parse(r->body);
    for (const auto& m : body["messages"])
      if (m["kind"] == kind && m["to"] == to) out.push_back(m);
    std::reverse(out.begin(), out.end());
    return out;
  }
  int Queued(const std::string& kind, const std::string& to) {
    int n = 0;
    for (const json& m : Rows(kind, to)) n += m["status"] == "queued";
    return n;
  }

  // Every message in the spool once the rows due by now + `advance` are sent: file name ->
  // bytes.
  std::map<std::string, std::string> Deliver(int64_t advance = 61) {
    server_.clock().Advance(advance);
    server_.app().mail_worker().Wake();
    std::map<std::string, std::string> out;
    for (int i = 0; i < 100; ++i) {  // bounded: up to 10 s
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      auto q = Get("/api/v1/outbox?status=queued");
      if (q && q->status == 200 && json::parse(q->body)["messages"].empty()) break;
    }
    std::error_code ec;
    for (auto& e : std::filesystem::directory_iterator(server_.app().config().spool_dir(), ec)) {
      if (e.path().extension() != ".eml") continue;
      std::ifstream f(e.path(), std::ios::binary);
      std::stringstream ss;
      ss << f.rdbuf();
      out[e.path().filename().string()] = ss.str();
    }
    return out;
  }
  // A message's headers unfolded and its quoted-printable text with soft breaks undone (its
  // base64 calendar part is garbled by that: read it with CalendarOf).
  static std::string Readable(std::string text) {
    for (size_t p; (p = text.find("=\r\n")) != std::string::npos;) text.erase(p, 3);
    for (size_t p; (p = text.find("\r\n ")) != std::string::npos;) text.replace(p, 3, " ");
    return text;
  }
  // The messages (bytes) to `to` whose subject starts with `subject`.
  static std::vector<std::string> To(const std::map<std::string, std::string>& mail,
                                     const std::string& to, const std::string& subject) {
    std::vector<std::string> out;
    for (const auto& [name, raw] : mail) {
      const std::string text = Readable(raw);
      if (text.find("<" + to + ">") != std::string::npos &&
          text.find("Subject: " + subject) != std::string::npos)
        out.push_back(raw);
    }
    return out;
  }
  // The text/calendar part of a message (base64 on the wire), decoded and unfolded; the
  // method parameter of its Content-Type in *method.
  static std::string CalendarOf(const std::string& text, std::string* method) {
    std::smatch m;
    static const std::regex kPart(
        "Content-Type: text/calendar; method=([A-Z]+); charset=UTF-8\r\n"
        "Content-Transfer-Encoding: base64\r\n\r\n([A-Za-z0-9+/=\r\n]+)");
    if (!std::regex_search(text, m, kPart)) return {};
    *method = m[1].str();
    std::string b64;
    for (char c : m[2].str())
      if (c != '\r' && c != '\n') b64 += c;
    std::string out(b64.size(), '\0');
    size_t len = 0;
    if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), b64.data(),
                          b64.size(), nullptr, &len, nullptr, sodium_base64_VARIANT_ORIGINAL) != 0)
      return {};
    out.resize(len);
    for (size_t p; (p = out.find("\r\n ")) != std::string::npos;) out.erase(p, 3);
    return out;
  }
  static int CountOf(const std::string& text, const std::string& what) {
    int n = 0;
    for (size_t p = 0; (p = text.find(what, p)) != std::string::npos; p += what.size()) ++n;
    return n;
  }

  int64_t venue_ = 0, away_ = 0;
  std::string rule_uid_;
  std::vector<int64_t> forum_;
};

TEST_F(CalendarSyncTest, JoiningOnInvitationsQueuesOneRequestPerUpcomingSeriesAndMeeting) {
  Seed();
  AddMember("ann", "feed");
  AddMember("bob", "invitations");
  // The rule series to come (whole), the forum's one date to come, the away day; nothing for
  // the series of last year, the forum's past date or its cancelled one.
  std::vector<json> rows = Rows("calendar_sync", "bob@example.org");
  ASSERT_EQ(rows.size(), 3u);
  for (const json& r : rows) EXPECT_EQ(r["status"], "queued");
  EXPECT_TRUE(rows[0]["meeting_id"].is_null()) << "the rule series travels whole";
  EXPECT_EQ(rows[0]["subject"],
            "Calendar invitation: Futures meeting, 5 meetings from Monday 2 February 2026");
  EXPECT_EQ(rows[1]["meeting_id"], forum_[1]);
  EXPECT_EQ(rows[1]["subject"], "Calendar invitation: Steering forum, Tuesday 3 March 2026");
  EXPECT_EQ(rows[2]["meeting_id"], away_);
  EXPECT_TRUE(Rows("calendar_sync", "ann@example.org").empty()) << "joining on feed: none";
  EXPECT_EQ(Rows("welcome", "bob@example.org").size(), 1u) << "the welcome still goes";

  auto mail = Deliver();
  std::vector<std::string> series = To(mail, "bob@example.org", "Calendar invitation: Futures");
  ASSERT_EQ(series.size(), 1u);
  std::string method;
  const std::string s = CalendarOf(series[0], &method);
  EXPECT_EQ(method, "REQUEST") << series[0];
  EXPECT_EQ(CountOf(s, "METHOD:REQUEST"), 1) << s;
  EXPECT_EQ(CountOf(s, "UID:" + rule_uid_), 6) << "the master and one override per meeting";
  EXPECT_EQ(CountOf(s, "\r\nRRULE:FREQ=WEEKLY"), 1);
  EXPECT_EQ(CountOf(s, "RECURRENCE-ID;TZID=Europe/London:"), 5);
  EXPECT_EQ(CountOf(s, "ATTENDEE;"), 6);
  EXPECT_NE(s.find("mailto:bob@example.org"), std::string::npos);
  EXPECT_NE(series[0].find("List-Unsubscribe: <http"), std::string::npos);
  EXPECT_NE(Readable(series[0]).find("Monday 2 March 2026, 10:30 to 12:30, at Old Hall"),
            std::string::npos);
  for (const char* title :
       {"Calendar invitation: Steering forum", "Calendar invitation: Away day"}) {
    std::vector<std::string> one = To(mail, "bob@example.org", title);
    ASSERT_EQ(one.size(), 1u) << title;
    const std::string ics = CalendarOf(one[0], &method);
    EXPECT_EQ(method, "REQUEST") << title;
    EXPECT_EQ(CountOf(ics, "METHOD:REQUEST"), 1) << title;
    EXPECT_EQ(CountOf(ics, "BEGIN:VEVENT"), 1) << title;
    EXPECT_EQ(CountOf(ics, "RECURRENCE-ID"), 0) << title;
    EXPECT_NE(ics.find("Send apologies: http"), std::string::npos) << ics;
  }
  EXPECT_TRUE(To(mail, "ann@example.org", "Calendar").empty());
}

TEST_F(CalendarSyncTest, JoiningOnFeedOrIntoAGroupWithNothingToComeQueuesNone) {
  Seed(/*with_meetings=*/false);
  AddMember("bob", "invitations");
  AddMember("ann", "feed");
  EXPECT_TRUE(Rows("calendar_sync", "bob@example.org").empty());
  EXPECT_TRUE(Rows("calendar_sync", "ann@example.org").empty());
  // Only past meetings: still nothing to come.
  PostOk("/api/v1/groups/futures/series", {{"title", "Last year"},
                                           {"venue_id", venue_},
                                           {"start_time", "10:30"},
                                           {"duration_minutes", 60},
                                           {"rrule", "FREQ=MONTHLY;BYDAY=1TU;COUNT=3"},
                                           {"first_date", "2025-01-01"}});
  AddMember("cy", "invitations");
  EXPECT_TRUE(Rows("calendar_sync", "cy@example.org").empty());
  EXPECT_TRUE(Rows("calendar_sync", "bob@example.org").empty());
}

TEST_F(CalendarSyncTest, SwitchingByApiPageAndFileQueuesThePictureAndBackToFeedCancels) {
  Seed();
  const json ann = AddMember("ann", "feed");
  AddMember("cy", "feed");
  const json dee = AddMember("dee", "feed");
  ASSERT_TRUE(Rows("calendar_sync", "ann@example.org").empty());

  // The API.
  const std::string path = "/api/v1/groups/futures/members/" + std::to_string(int64_t(ann["id"]));
  auto r = PatchCurrent(path, {{"delivery", "invitations"}});
  ASSERT_TRUE(r && r->status == 200) << (r ? r->body : "");
  EXPECT_EQ(Queued("calendar_sync", "ann@example.org"), 3);
  // A change that does not touch the delivery sends nothing more.
  r = PatchCurrent(path, {{"organisation", "Acme"}});
  ASSERT_TRUE(r && r->status == 200);
  EXPECT_EQ(Rows("calendar_sync", "ann@example.org").size(), 3u);
  // Back to feed inside the window: the waiting invitations become cancellations (the same rows).
  r = PatchCurrent(path, {{"delivery", "feed"}});
  ASSERT_TRUE(r && r->status == 200);
  std::vector<json> rows = Rows("calendar_sync", "ann@example.org");
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0]["subject"],
            "Removed from your calendar: Futures meeting, 5 meetings from Monday 2 February 2026");

  // A spreadsheet row that sets delivery=invitations.
  auto csv =
      server_.Client().Post("/api/v1/groups/futures/members/import", Auth(),
                            "name,email,delivery\r\ncy,cy@example.org,invitations\r\n", "text/csv");
  ASSERT_TRUE(csv && csv->status == 200) << (csv ? csv->body : "");
  EXPECT_EQ(Queued("calendar_sync", "cy@example.org"), 3);

  // The member's own page.
  const std::string page = std::string(dee["page_url"]);
  const std::string token = page.substr(page.rfind('/') + 1);
  auto home = server_.Client().Get(("/m/" + token).c_str());
  ASSERT_TRUE(home && home->status == 200);
  std::smatch m;
  ASSERT_TRUE(
      std::regex_search(home->body, m, std::regex("name=\"csrf\" value=\"([A-Za-z0-9_-]+)\"")));
  auto post = server_.Client().Post(("/m/" + token + "/notices").c_str(),
                                    "csrf=" + m[1].str() + "&choice=invitations",
                                    "application/x-www-form-urlencoded");
  ASSERT_TRUE(post && post->status == 303) << (post ? post->body : "");
  EXPECT_EQ(Queued("calendar_sync", "dee@example.org"), 3);

  auto mail = Deliver();
  EXPECT_EQ(To(mail, "ann@example.org", "Calendar invitation").size(), 0u);
  std::vector<std::string> gone = To(mail, "ann@example.org", "Removed from your calendar");
  ASSERT_EQ(gone.size(), 3u);
  for (const std::string& text : gone) {
    std::string method;
    const std::string ics = CalendarOf(text, &method);
    EXPECT_EQ(method, "CANCEL");
    EXPECT_EQ(CountOf(ics, "METHOD:CANCEL"), 1) << ics;
    EXPECT_EQ(CountOf(ics, "STATUS:CANCELLED"), 1) << ics;
    EXPECT_EQ(CountOf(ics, "BEGIN:VEVENT"), 1) << "the whole UID, once";
    EXPECT_EQ(CountOf(ics, "RECURRENCE-ID"), 0) << ics;
  }
  EXPECT_EQ(To(mail, "cy@example.org", "Calendar invitation").size(), 3u);
  EXPECT_EQ(To(mail, "dee@example.org", "Calendar invitation").size(), 3u);

  // Sent, then back to feed: a cancellation of each; feed again: nothing more.
  r = PatchCurrent("/api/v1/groups/futures/members/" + std::to_string(int64_t(dee["id"])),
                   {{"delivery", "feed"}});
  ASSERT_TRUE(r && r->status == 200);
  EXPECT_EQ(Queued("calendar_sync", "dee@example.org"), 3);
  r = PatchCurrent("/api/v1/groups/futures/members/" + std::to_string(int64_t(dee["id"])),
                   {{"name", "Dee Dunn"}});
  EXPECT_EQ(Rows("calendar_sync", "dee@example.org").size(), 6u);
}

TEST_F(CalendarSyncTest, RemovingAMemberOrChangingTheirAddressEmptiesTheOldCalendar) {
  Seed();
  const json ann = AddMember("ann", "invitations");
  const json bob = AddMember("bob", "invitations");
  AddMember("cy", "invitations");
  auto mail = Deliver();
  ASSERT_EQ(To(mail, "ann@example.org", "Calendar invitation").size(), 3u);
  ASSERT_EQ(To(mail, "bob@example.org", "Calendar invitation").size(), 3u);

  // Ann is removed: each of the three objects is cancelled at her address, with no link of
  // hers (they stopped working with the removal).
  const std::string ann_path =
      "/api/v1/groups/futures/members/" + std::to_string(int64_t(ann["id"]));
  auto del = server_.Client().Delete(ann_path.c_str(), Auth());
  ASSERT_TRUE(del && del->status == 204) << (del ? del->body : "no answer");
  EXPECT_EQ(Queued("calendar_sync", "ann@example.org"), 3);
  // Bob now has another address: the old one is emptied, the new one gets the whole picture.
  auto r = PatchCurrent("/api/v1/groups/futures/members/" + std::to_string(int64_t(bob["id"])),
                        {{"email", "bob.new@example.org"}});
  ASSERT_TRUE(r && r->status == 200) << (r ? r->body : "");
  EXPECT_EQ(Queued("calendar_sync", "bob@example.org"), 3);
  EXPECT_EQ(Queued("calendar_sync", "bob.new@example.org"), 3);
  EXPECT_EQ(Queued("calendar_sync", "cy@example.org"), 0) << "nobody else";

  mail = Deliver();
  for (const std::string& old : {std::string("ann@example.org"), std::string("bob@example.org")}) {
    std::vector<std::string> gone = To(mail, old, "Removed from your calendar");
    ASSERT_EQ(gone.size(), 3u) << old;
    std::set<std::string> uids;
    for (const std::string& text : gone) {
      std::string method;
      const std::string ics = CalendarOf(text, &method);
      EXPECT_EQ(method, "CANCEL") << old;
      EXPECT_EQ(CountOf(ics, "STATUS:CANCELLED"), 1) << ics;
      std::smatch u;
      ASSERT_TRUE(std::regex_search(ics, u, std::regex("\r\nUID:([^\r]+)\r\n"))) << ics;
      uids.insert(u[1].str());
      const std::string readable = Readable(text);
      EXPECT_EQ(readable.find("Your page:"), std::string::npos) << readable;
      EXPECT_EQ(readable.find("List-Unsubscribe:"), std::string::npos) << readable;
      EXPECT_NE(readable.find("no longer receives the calendar invitations of Futures"),
                std::string::npos)
          << readable;
    }
    EXPECT_EQ(uids.size(), 3u) << old << ": each object once";
    EXPECT_TRUE(uids.count(rule_uid_)) << old;
  }
  EXPECT_EQ(To(mail, "bob.new@example.org", "Calendar invitation").size(), 3u);
  EXPECT_TRUE(To(mail, "bob.new@example.org", "Removed").empty());
}

TEST_F(CalendarSyncTest, AVenuesNewAddressReachesCalendarsOnInvitationsOnly) {
  Seed();
  AddMember("ann", "feed");
  AddMember("bob", "invitations");
  Deliver();
  ASSERT_EQ(Rows("calendar_sync", "bob@example.org").size(), 3u);
  const std::string venue = "/api/v1/venues/" + std::to_string(venue_);
  // Capacity and notes are not in the calendar objects: nothing is sent.
  auto r = PatchCurrent(venue, {{"capacity", 40}, {"notes", "Ring the bell"}});
  ASSERT_TRUE(r && r->status == 200) << (r ? r->body : "");
  EXPECT_EQ(Rows("calendar_sync", "bob@example.org").size(), 3u);
  // The address: Bob's calendar gets the three objects again, with the new LOCATION.
  r = PatchCurrent(venue, {{"address", "9 New Road"}});
  ASSERT_TRUE(r && r->status == 200) << (r ? r->body : "");
  std::vector<json> rows = Rows("calendar_sync", "bob@example.org");
  ASSERT_EQ(rows.size(), 6u);
  EXPECT_EQ(rows[3]["subject"],
            "Venue details changed: Futures meeting, 5 meetings from Monday 2 February 2026");
  EXPECT_TRUE(Rows("calendar_sync", "ann@example.org").empty()) << "the feed shows it by itself";
  EXPECT_TRUE(Rows("meeting_change", "ann@example.org").empty());

  auto mail = Deliver();
  std::vector<std::string> updated = To(mail, "bob@example.org", "Venue details changed");
  ASSERT_EQ(updated.size(), 3u);
  for (const std::string& text : updated) {
    std::string method;
    const std::string ics = CalendarOf(text, &method);
    EXPECT_EQ(method, "REQUEST");
    EXPECT_NE(ics.find("LOCATION:Old Hall\\, 9 New Road"), std::string::npos) << ics;
    EXPECT_EQ(ics.find("1 High Street"), std::string::npos) << ics;
  }
  // The feed says the same.
  auto feed = Get("/feeds/groups/futures.ics");
  ASSERT_TRUE(feed && feed->status == 200);
  EXPECT_NE(feed->body.find("LOCATION:Old Hall\\, 9 New Road"), std::string::npos);
}

TEST_F(CalendarSyncTest, AChangeWaitingWhenTheDeliveryChangesIsToldAgainWhenUndone) {
  Seed();
  const json ann = AddMember("ann", "feed");
  Deliver();
  auto moved = PatchMeeting(away_, {{"start", "2026-06-19T09:00"}});
  ASSERT_TRUE(moved && moved->status == 200);
  ASSERT_EQ(Queued("meeting_change", "ann@example.org"), 1);
  auto r = PatchCurrent("/api/v1/groups/futures/members/" + std::to_string(int64_t(ann["id"])),
                        {{"delivery", "invitations"}});
  ASSERT_TRUE(r && r->status == 200);
  // The sync shows the away day moved; undoing the move inside the window must then tell Ann
  // (her calendar now has the move), not withdraw the waiting notice.
  auto back = PatchMeeting(away_, {{"start", "2026-06-12T09:00"}});
  ASSERT_TRUE(back && back->status == 200);
  std::vector<json> rows = Rows("meeting_change", "ann@example.org");
  ASSERT_EQ(rows.size(), 2u);
  // Due at once (the worker, woken by the commit, may have sent it already).
  EXPECT_TRUE(rows[0]["status"] == "sent" || rows[0]["next_attempt_at"] == rows[0]["created_at"])
      << rows[0].dump();
  auto mail = Deliver();
  std::vector<std::string> undone = To(mail, "ann@example.org", "Date changed: Away day");
  std::string method;
  bool with_request = false;
  for (const std::string& m : undone)
    with_request |= CalendarOf(m, &method).find("DTSTART;TZID=Europe/London:20260612T090000") !=
                    std::string::npos;
  EXPECT_TRUE(with_request) << undone.size() << " notices of the move";
}

TEST_F(CalendarSyncTest, ANewSeriesGoesToMembersOnInvitationsOnly) {
  Seed(/*with_meetings=*/false);
  AddMember("ann", "feed");
  AddMember("bob", "invitations");
  PostOk("/api/v1/groups/futures/series", {{"title", "Futures meeting"},
                                           {"venue_id", venue_},
                                           {"start_time", "10:30"},
                                           {"duration_minutes", 120},
                                           {"rrule", "FREQ=WEEKLY;BYDAY=MO;COUNT=3"},
                                           {"first_date", "2026-02-01"}});
  PostOk("/api/v1/groups/futures/series",
         {{"title", "Steering forum"},
          {"venue_id", venue_},
          {"start_time", "14:00"},
          {"duration_minutes", 60},
          {"dates", json::array({"2025-12-01", "2026-03-03", "2026-04-07"})}});
  std::vector<json> rows = Rows("calendar_sync", "bob@example.org");
  ASSERT_EQ(rows.size(), 3u) << "the rule series whole, the two dates to come";
  EXPECT_EQ(rows[0]["subject"],
            "Calendar invitation: Futures meeting, 3 meetings from Monday 2 February 2026");
  EXPECT_TRUE(Rows("calendar_sync", "ann@example.org").empty());
  EXPECT_TRUE(Rows("series_change", "ann@example.org").empty()) << "creating tells nobody else";
}

TEST_F(CalendarSyncTest, EndingASeriesOfListedDatesCancelsEachMeetingForInvitations) {
  Seed();
  AddMember("bob", "invitations");
  AddMember("ann", "feed");
  Deliver();
  json listed = Body(Get("/api/v1/groups/futures/series"));
  int64_t forum_series = 0;
  for (const auto& s : listed["series"])
    if (s["title"] == "Steering forum") forum_series = s["id"];
  ASSERT_NE(forum_series, 0);
  const std::string path = "/api/v1/series/" + std::to_string(forum_series);
  auto g = Get(path);
  auto d = server_.Client().Delete(path.c_str(), {{"Authorization", "Bearer " + token_},
                                                  {"If-Match", g->get_header_value("ETag")}});
  ASSERT_TRUE(d && d->status == 204) << (d ? d->body : "");
  std::vector<json> rows = Rows("calendar_sync", "bob@example.org");
  ASSERT_EQ(rows.size(), 4u) << "3 at the join, 1 cancellation (one forum date was to come)";
  EXPECT_EQ(rows[3]["subject"], "Cancelled: Steering forum, Tuesday 3 March 2026");
  EXPECT_EQ(rows[3]["meeting_id"], forum_[1]);
  EXPECT_TRUE(Rows("calendar_sync", "ann@example.org").empty());
  EXPECT_EQ(Rows("series_change", "ann@example.org").size(), 1u);
  auto mail = Deliver();
  std::vector<std::string> gone = To(mail, "bob@example.org", "Cancelled: Steering forum");
  ASSERT_EQ(gone.size(), 1u);
  std::string method;
  const std::string ics = CalendarOf(gone[0], &method);
  EXPECT_EQ(method, "CANCEL");
  EXPECT_EQ(CountOf(ics, "STATUS:CANCELLED"), 1) << ics;
}

TEST_F(CalendarSyncTest, UnsubscribingWithdrawsTheWaitingPictureAndComingBackSendsItAgain) {
  Seed();
  const json bob = AddMember("bob", "invitations");
  ASSERT_EQ(Queued("calendar_sync", "bob@example.org"), 3);
  auto organiser = server_.app().ops().Authenticate(token_);
  ASSERT_TRUE(organiser.ok());
  auto member = server_.app().ops().GetMember(*organiser, "futures", bob["id"]);
  ASSERT_TRUE(member.ok());
  const std::string t =
      UnsubscribeToken(server_.app().ops().link_key(), member->id, member->links_version);
  ASSERT_TRUE(server_.app().ops().Unsubscribe(t).ok());
  EXPECT_EQ(Queued("calendar_sync", "bob@example.org"), 0) << "withdrawn with the rest";
  // Notices again: their calendar missed whatever changed meanwhile, so the picture again.
  ASSERT_TRUE(server_.app().ops().Resubscribe(t).ok());
  EXPECT_EQ(Queued("calendar_sync", "bob@example.org"), 3);
}

}  // namespace
}  // namespace convene::server
