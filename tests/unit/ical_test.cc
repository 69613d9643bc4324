// Feeds and iMIP objects of calendar/ical.h: golden files, the ical-conformance.md properties
// checked on the bytes, libical reading our output back, and VTIMEZONEs against the tz database.
//
// Golden files live in tests/testdata/feeds. To rewrite them after a deliberate change, run the
// test with CONVENE_UPDATE_GOLDEN=1, then read every changed line against ical-conformance.md
// before committing. Expected dates and times are written by hand from the 2010 calendar.
#include "calendar/ical.h"

#include <gtest/gtest.h>
#include <libical/ical.h>

#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "calendar/civil.h"
#include "calendar/ical_text.h"
#include "tests/support/ical_lines.h"
#include "tests/unit/feed_fixtures.h"
#include "tests/unit/ical_checks.h"

namespace convene::calendar {
namespace {

using namespace testing;  // NOLINT: the fixtures
using convene::testing::EventBlocks;
using convene::testing::Unfolded;

// ---- helpers ----------------------------------------------------------------------------------

std::string GoldenPath(const std::string& name) {
  return std::string(CONVENE_TESTDATA_DIR) + "/feeds/" + name;
}

void ExpectGolden(const std::string& name, const std::string& got) {
  const std::string path = GoldenPath(name);
  if (std::getenv("CONVENE_UPDATE_GOLDEN")) {
    std::ofstream(path, std::ios::binary) << got;
  }
  std::ifstream f(path, std::ios::binary);
  ASSERT_TRUE(f) << "missing golden " << path << " (run with CONVENE_UPDATE_GOLDEN=1 once)";
  std::stringstream want;
  want << f.rdbuf();
  if (want.str() == got) return;
  std::istringstream a(want.str()), b(got);
  std::string la, lb;
  for (int n = 1;; ++n) {
    const bool ga = static_cast<bool>(std::getline(a, la));
    const bool gb = static_cast<bool>(std::getline(b, lb));
    if (!ga && !gb) break;
    if (la != lb || ga != gb) {
      ADD_FAILURE() << name << " differs at line " << n << "\n want: " << la << "\n  got: " << lb;
      return;
    }
  }
  ADD_FAILURE() << name << " differs (line endings?)";
}

// The ical-conformance.md properties that can be read off the bytes: F1, F2 (length), F3, F5,
// F7 (a VTIMEZONE per TZID), F8, F12 (DTSTAMP in UTC), F17. Returns the violations.
std::vector<std::string> Lint(const std::string& body) {
  std::vector<std::string> bad;
  if (body.rfind("BEGIN:VCALENDAR\r\n", 0) != 0) bad.push_back("F1/F3: must start BEGIN:VCALENDAR");
  if (body.size() < 2 || body.substr(body.size() - 2) != "\r\n")
    bad.push_back("F1: last line must end CRLF");
  for (size_t i = 0; i < body.size(); ++i) {
    if (body[i] == '\n' && (i == 0 || body[i - 1] != '\r'))
      bad.push_back("F1: bare LF at " + std::to_string(i));
    if (body[i] == '\r' && (i + 1 >= body.size() || body[i + 1] != '\n'))
      bad.push_back("F1: bare CR at " + std::to_string(i));
  }
  size_t start = 0;
  for (int n = 1; start < body.size(); ++n) {
    size_t end = body.find("\r\n", start);
    if (end == std::string::npos) break;
    if (end - start > 75)
      bad.push_back("F2: line " + std::to_string(n) + " is " + std::to_string(end - start) +
                    " octets");
    if (end > start && (static_cast<unsigned char>(body[start]) & 0xC0) == 0x80)
      bad.push_back("F2: line " + std::to_string(n) + " starts inside a UTF-8 sequence");
    start = end + 2;
  }
  // Valid UTF-8: CleanText keeps valid text (with its newlines normalised) unchanged.
  std::string no_cr;
  for (char c : body)
    if (c != '\r') no_cr.push_back(c);
  if (CleanText(no_cr) != no_cr) bad.push_back("F3: not valid UTF-8 (or control characters)");
  const auto lines = Unfolded(body);
  std::set<std::string> tzids_used, tzids_defined;
  bool version = false, prodid = false, in_vtimezone = false;
  for (const std::string& l : lines) {
    if (l == "VERSION:2.0") version = true;
    if (l.rfind("PRODID:", 0) == 0) prodid = true;
    if (l == "BEGIN:VTIMEZONE") in_vtimezone = true;
    if (l == "END:VTIMEZONE") in_vtimezone = false;
    if (in_vtimezone && l.rfind("TZID:", 0) == 0) tzids_defined.insert(l.substr(5));
    if (l.rfind("RDATE", 0) == 0 && !in_vtimezone) bad.push_back("F17: RDATE: " + l);
    const size_t tz = l.find(";TZID=");
    if (tz != std::string::npos)
      tzids_used.insert(l.substr(tz + 6, l.find_first_of(":;", tz + 6) - tz - 6));
    for (const char* p : {"DTSTART", "DTEND", "EXDATE", "RECURRENCE-ID"}) {
      const std::string name = p;
      if (in_vtimezone || l.rfind(name, 0) != 0 || (l[name.size()] != ':' && l[name.size()] != ';'))
        continue;
      const bool has_tz = l.find(";TZID=") != std::string::npos;
      const bool utc = l.back() == 'Z';
      const bool date = l.find("VALUE=DATE:") != std::string::npos;
      if (!has_tz && !utc && !date) bad.push_back("F8: floating time: " + l);
    }
    if (l.rfind("DTSTAMP:", 0) == 0 && l.back() != 'Z') bad.push_back("F12: DTSTAMP not UTC: " + l);
  }
  if (!version || !prodid) bad.push_back("F5: VERSION:2.0 and PRODID required");
  for (const std::string& tz : tzids_used)
    if (!tzids_defined.count(tz)) bad.push_back("F7: no VTIMEZONE for " + tz);
  return bad;
}

// The VEVENTs of a body, without the VTIMEZONEs (whose observances have RRULEs too).
std::string Events(const std::string& body) {
  std::string out;
  for (const auto& [key, block] : EventBlocks(body)) out += block;
  return out;
}

RenderedFeed MustRender(const FeedInput& in) {
  auto r = RenderFeed(in);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : RenderedFeed{};
}

// As in feed_fixtures.h: designated initializers name only the fields a scenario sets.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

FeedInput MondaysFeed() {
  FeedInput in = GroupFeed();
  in.series = {MondaysSeries()};
  in.presenters = {{102,
                    {{.meeting_id = 102,
                      .name = "Grace Hopper",
                      .organisation = "Harvard Computation Lab",
                      .topic = "Compilers, for everyone",
                      .created_at = kJan2010 + 20 * kDay}}}};
  return in;
}

FeedInput SeminarFeed() {
  FeedInput in = GroupFeed();
  in.series = {SeminarSeries()};
  return in;
}

FeedInput VenueFeed() {
  FeedSeries seminar = SeminarSeries();
  seminar.group_name = "Futures Forum";
  return {.calendar_name = "Friends House",
          .base_url = kBaseUrl,
          .only_venue = 2,
          .updated_at = kJan2010,
          .series = {seminar, TokyoSeries()},
          .venues = {{1, ConwayHall()}, {2, FriendsHouse()}}};
}

FeedInput MemberFeed() {
  FeedInput in = GroupFeed();
  in.calendar_name = "Futures Forum (Ada Lovelace)";
  in.personal = true;
  in.presenters[102] = MondaysFeed().presenters[102];
  PersonalState sent;
  sent.sent_apologies = true;
  sent.updated_at = kJan2010 + 90 * kDay;
  in.personal_state[102] = sent;
  PersonalState open;
  open.apology_text = "Send apologies: https://convene.example.org/apologies/Zm9vYmFyYmF6";
  in.personal_state[103] = open;
  in.personal_state[206] = open;
  return in;
}

FeedInput NewYorkFeed() {
  return {.calendar_name = "Harbour Board",
          .timezone = "America/New_York",
          .base_url = kBaseUrl,
          .updated_at = kJan2010,
          .series = {NewYorkSeries()},
          .venues = {{3, PierHall()}}};
}

// Every field a user can type, filled with what breaks naive writers.
const std::string kHostile =
    "Budget; \"final\", v2 \\ draft\r\nEND:VEVENT\r\nBEGIN:VALARM\nTRIGGER:-PT5M\rACTION:AUDIO "
    "\xF0\x9F\x8E\x89\xF0\x9F\x92\xA5 caf\xC3\xA9 \xE4\xB8\xAD\xE6\x96\x87";

FeedInput HostileFeed() {
  FeedSeries fs = NewSeries(9, 0, "0f1e2d3c-4b5a-4697-8a7b-6c5d4e3f2a10", kHostile, "Europe/London",
                            /*venue_id=*/9, 14 * 60, 45);
  fs.group_name = "Grp: a,b;c";
  fs.series.dates = {{2010, 12, 1}};
  fs.series.agenda = std::string(1990, 'x') + "\\,;\n" + kHostile;
  fs.series.updated_at = kJan2010;
  AddMeetings(fs, 901, fs.series.dates, {"7e6d5c4b-3a29-4817-a6f5-e4d3c2b1a098"});
  std::string notes;
  for (int i = 0; i < 2000; ++i)
    notes += (i % 37 == 36) ? "\xF0\x9F\x98\x80" : (i % 11 == 10 ? "\\" : "n");
  fs.meetings[0].notes = notes;
  return {.calendar_name = "Hostile, \"group\";\r\nX-INJECTED:1",
          .timezone = "Europe/London",
          .base_url = kBaseUrl,
          .updated_at = kJan2010,
          .series = {fs},
          .venues = {{9,
                      {.id = 9,
                       .name = "Hall \"A\", East; Wing\\2",
                       .address = "1 Long Road,\r\nSecond line, Town",
                       .postcode = "AB1 2CD",
                       .updated_at = kJan2010}}},
          .presenters = {{901,
                          {{.name = "Mallory\r\nATTENDEE:mailto:evil@example.org",
                            .organisation = "Evil, Inc.; \"Ltd\"",
                            .topic = kHostile,
                            .created_at = kJan2010}}}}};
}

#pragma GCC diagnostic pop

// ---- goldens ----------------------------------------------------------------------------------

struct GoldenCase {
  const char* file;
  FeedInput (*make)();
};

FeedInput SeminarShown() {
  FeedInput in = SeminarFeed();
  in.show_cancelled = true;
  return in;
}

TEST(RenderFeed, Goldens) {
  const GoldenCase cases[] = {
      {"mondays_2010.ics", MondaysFeed},
      {"seminar_2010.ics", SeminarFeed},
      {"seminar_2010_cancelled_shown.ics", SeminarShown},
      {"venue_friends_house.ics", VenueFeed},
      {"member_2010.ics", MemberFeed},
      {"harbour_new_york.ics", NewYorkFeed},
      {"hostile.ics", HostileFeed},
  };
  for (const GoldenCase& c : cases) {
    SCOPED_TRACE(c.file);
    const RenderedFeed feed = MustRender(c.make());
    EXPECT_TRUE(feed.warnings.empty()) << feed.warnings.front();
    ExpectGolden(c.file, feed.body);
    for (const std::string& v : Lint(feed.body)) ADD_FAILURE() << v;
    // Deterministic (F12, H5): the same rows give the same bytes.
    EXPECT_EQ(MustRender(c.make()).body, feed.body);
    // libical reads it without complaint.
    Parsed p(feed.body);
    ASSERT_NE(p.c, nullptr);
    EXPECT_EQ(CountErrors(p.c), 0) << Errors(p.c);
  }
}

TEST(RenderInvitation, Goldens) {
  InvitationInput cancel_instance = MovedInvitation();
  cancel_instance.method = InvitationMethod::kCancel;
  cancel_instance.meeting = SeminarSeries().meetings[9];  // 11 November
  cancel_instance.personal_text.clear();
  InvitationInput cancel_explicit = MovedInvitation();
  cancel_explicit.method = InvitationMethod::kCancel;
  cancel_explicit.series = MondaysSeries().series;
  cancel_explicit.group_name.clear();
  cancel_explicit.meeting = MondaysSeries().meetings[3];  // 15 November
  cancel_explicit.meeting.status = MeetingStatus::kCancelled;
  cancel_explicit.meeting.sequence = 1;
  cancel_explicit.personal_text.clear();
  const std::pair<const char*, InvitationInput> cases[] = {
      {"invite_request_moved.ics", MovedInvitation()},
      {"invite_cancel_instance.ics", cancel_instance},
      {"invite_cancel_explicit.ics", cancel_explicit},
  };
  for (const auto& [file, in] : cases) {
    SCOPED_TRACE(file);
    auto r = RenderInvitation(in);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ExpectGolden(file, *r);
    for (const std::string& v : Lint(*r)) ADD_FAILURE() << v;
  }
}

// ---- feeds: behaviour -------------------------------------------------------------------------

TEST(RenderFeed, ExplicitDatesAreSeparateEventsWithTheirOwnUids) {
  const std::string body = MustRender(MondaysFeed()).body;
  EXPECT_EQ(Count(body, "BEGIN:VEVENT"), 4);
  EXPECT_EQ(Count(Events(body), "RRULE"), 0);
  EXPECT_EQ(Count(body, "RDATE"), 0);
  EXPECT_EQ(Count(body, "RECURRENCE-ID"), 0);
  for (const char* uid :
       {"3f1c9a2e-6b1d-4c0e-8f2a-1b7e5d9c0a01", "3f1c9a2e-6b1d-4c0e-8f2a-1b7e5d9c0a02",
        "3f1c9a2e-6b1d-4c0e-8f2a-1b7e5d9c0a03", "3f1c9a2e-6b1d-4c0e-8f2a-1b7e5d9c0a04"})
    EXPECT_EQ(Count(body, std::string("UID:") + uid + "\r\n"), 1) << uid;
  for (const char* start :
       {"20100517T103000", "20100712T103000", "20100913T103000", "20101115T103000"})
    EXPECT_EQ(Count(body, std::string("DTSTART;TZID=Europe/London:") + start + "\r\n"), 1) << start;
  EXPECT_EQ(Count(body, "DTEND;TZID=Europe/London:20101115T123000\r\n"), 1);
  EXPECT_NE(
      body.find("LOCATION:Conway Hall\\, 25 Red Lion Square\\, Holborn\\, London\\, WC1R 4RL"),
      std::string::npos);
  EXPECT_NE(body.find("URL:https://convene.example.org/meetings/102\r\n"), std::string::npos);
}

TEST(RenderFeed, CancelledExplicitMeetingOmittedOrShownWithPrefix) {
  FeedInput in = MondaysFeed();
  in.series[0].meetings[1].status = MeetingStatus::kCancelled;
  in.series[0].meetings[1].sequence = 1;
  const std::string hidden = MustRender(in).body;
  EXPECT_EQ(Count(hidden, "BEGIN:VEVENT"), 3);
  EXPECT_EQ(hidden.find("3f1c9a2e-6b1d-4c0e-8f2a-1b7e5d9c0a02"), std::string::npos);
  in.show_cancelled = true;
  const std::string shown = MustRender(in).body;
  EXPECT_EQ(Count(shown, "BEGIN:VEVENT"), 4);
  const std::string block = EventBlocks(shown)["UID:3f1c9a2e-6b1d-4c0e-8f2a-1b7e5d9c0a02|"];
  EXPECT_NE(block.find("STATUS:CANCELLED\r\n"), std::string::npos);
  EXPECT_NE(block.find("SUMMARY:Cancelled: Futures Forum\r\n"), std::string::npos);
  EXPECT_NE(block.find("SEQUENCE:1\r\n"), std::string::npos);
}

TEST(RenderFeed, RuleSeriesIsOneMasterWithOverridesAndExdates) {
  const std::string body = MustRender(SeminarFeed()).body;
  const auto blocks = EventBlocks(body);
  const std::string uid = "UID:9d2f6c80-3b1e-4f7a-8c55-2e1b7d4a9c02|";
  ASSERT_EQ(blocks.count(uid), 1u) << "exactly one master";
  const std::string& master = blocks.at(uid);
  EXPECT_EQ(Count(Events(body), "RRULE:"), 1);
  EXPECT_NE(master.find("DTSTART;TZID=Europe/London:20100211T183000\r\n"), std::string::npos);
  EXPECT_NE(master.find("DTEND;TZID=Europe/London:20100211T200000\r\n"), std::string::npos);
  // UNTIL: the last occurrence, 9 December 18:30 GMT, in UTC (F14).
  EXPECT_NE(master.find("RRULE:FREQ=MONTHLY;BYDAY=2TH;UNTIL=20101209T183000Z\r\n"),
            std::string::npos);
  // The cancelled 11 November: EXDATE in the master's TZID with the exact time (F15, F16).
  EXPECT_EQ(Count(master, "EXDATE"), 1);
  EXPECT_NE(master.find("EXDATE;TZID=Europe/London:20101111T183000\r\n"), std::string::npos);
  EXPECT_NE(master.find("SEQUENCE:1\r\n"), std::string::npos);
  EXPECT_EQ(master.find("Presenting"), std::string::npos) << "the master claims no presenters";
  // One override per meeting shown: 11 occurrences - 1 cancelled.
  EXPECT_EQ(Count(body, "BEGIN:VEVENT"), 1 + 10);
  const char* originals[] = {"20100211", "20100311", "20100408", "20100513", "20100610",
                             "20100708", "20100812", "20100909", "20101014", "20101209"};
  for (const char* d : originals)
    EXPECT_EQ(blocks.count(uid + "RECURRENCE-ID;TZID=Europe/London:" + d + "T183000|"), 1u) << d;
  // Moved across the spring clock change: RECURRENCE-ID keeps the original start.
  const std::string moved = blocks.at(uid + "RECURRENCE-ID;TZID=Europe/London:20100311T183000|");
  EXPECT_NE(moved.find("DTSTART;TZID=Europe/London:20100401T183000\r\n"), std::string::npos);
  EXPECT_NE(moved.find("SEQUENCE:1\r\n"), std::string::npos);
  EXPECT_NE(moved.find("DTSTAMP:20100220T000000Z\r\n"), std::string::npos);  // 1 Jan + 50 days
  EXPECT_NE(moved.find("LAST-MODIFIED:20100220T000000Z\r\n"), std::string::npos);
  // Re-venued.
  const std::string revenued = blocks.at(uid + "RECURRENCE-ID;TZID=Europe/London:20100610T183000|");
  EXPECT_NE(revenued.find("LOCATION:Friends House\\, 173 Euston Road\\, London\\, NW1 2BJ\r\n"),
            std::string::npos);
  // Re-timed.
  const std::string retimed = blocks.at(uid + "RECURRENCE-ID;TZID=Europe/London:20100909T183000|");
  EXPECT_NE(retimed.find("DTSTART;TZID=Europe/London:20100909T190000\r\n"), std::string::npos);
  EXPECT_NE(retimed.find("DTEND;TZID=Europe/London:20100909T200000\r\n"), std::string::npos);
  EXPECT_NE(retimed.find("SEQUENCE:2\r\n"), std::string::npos);
}

TEST(RenderFeed, PresentersNotesAndPageLinkInEachMeetingsDescription) {
  FeedInput in = SeminarFeed();
  in.presenters[204] = SeminarPresenters();
  const auto lines = Unfolded(MustRender(in).body);
  std::string may;
  for (size_t i = 0; i < lines.size(); ++i)
    if (lines[i] == "RECURRENCE-ID;TZID=Europe/London:20100513T183000")
      for (size_t j = i; lines[j] != "END:VEVENT"; ++j)
        if (lines[j].rfind("DESCRIPTION:", 0) == 0) may = lines[j];
  EXPECT_EQ(may,
            "DESCRIPTION:Presenting:\\n- Ada Lovelace (Analytical Society): Engines that weave "
            "algebra\\n- Charles Babbage: Differences\\, engines\\n\\nAgenda:\\nTalks\\, then "
            "questions\\; the bar opens afterwards.\\n\\nMeeting page: "
            "https://convene.example.org/meetings/204");
}

TEST(RenderFeed, ShowCancelledRendersCancelledOverrideInsteadOfExdate) {
  const std::string body = MustRender(SeminarShown()).body;
  EXPECT_EQ(Count(body, "EXDATE"), 0);
  const auto blocks = EventBlocks(body);
  const std::string nov = blocks.at(
      "UID:9d2f6c80-3b1e-4f7a-8c55-2e1b7d4a9c02|RECURRENCE-ID;TZID=Europe/London:20101111T183000|");
  EXPECT_NE(nov.find("STATUS:CANCELLED\r\n"), std::string::npos);
  EXPECT_NE(nov.find("SUMMARY:Cancelled: Evening Seminar\r\n"), std::string::npos);
  EXPECT_NE(nov.find("DESCRIPTION:This meeting is cancelled."), std::string::npos);
}

TEST(RenderFeed, AnEditChangesOnlyTheEditedEvent) {
  const std::string before = MustRender(SeminarFeed()).body;
  FeedInput in = SeminarFeed();
  Meeting& aug = in.series[0].meetings[6];
  aug.venue_id = 2;
  aug.sequence = 1;
  aug.updated_at = kJan2010 + 320 * kDay;
  const std::string after = MustRender(in).body;
  const auto a = EventBlocks(before), b = EventBlocks(after);
  ASSERT_EQ(a.size(), b.size());
  int changed = 0;
  for (const auto& [key, block] : a) {
    ASSERT_EQ(b.count(key), 1u) << "UIDs and RECURRENCE-IDs are stable: " << key;
    if (b.at(key) != block) {
      ++changed;
      EXPECT_NE(key.find("20100812T183000"), std::string::npos) << key;
      EXPECT_NE(b.at(key).find("SEQUENCE:1\r\n"), std::string::npos);
    }
  }
  EXPECT_EQ(changed, 1);
}

TEST(RenderFeed, CancellingAddsExdateAndTheMasterSequenceRises) {
  FeedInput in = SeminarFeed();
  in.series[0].series.sequence = 2;  // what the cancel operation does
  in.series[0].series.updated_at = kJan2010 + 330 * kDay;
  Meeting& dec = in.series[0].meetings[10];
  dec.status = MeetingStatus::kCancelled;
  dec.sequence = 1;
  dec.updated_at = kJan2010 + 330 * kDay;
  const auto blocks = EventBlocks(MustRender(in).body);
  const std::string master = blocks.at("UID:9d2f6c80-3b1e-4f7a-8c55-2e1b7d4a9c02|");
  EXPECT_NE(master.find("EXDATE;TZID=Europe/London:20101111T183000\r\n"), std::string::npos);
  EXPECT_NE(master.find("EXDATE;TZID=Europe/London:20101209T183000\r\n"), std::string::npos);
  EXPECT_NE(master.find("SEQUENCE:2\r\n"), std::string::npos);
  EXPECT_NE(master.find("DTSTAMP:20101127T000000Z\r\n"), std::string::npos);  // 1 Jan + 330 days
  // UNTIL still names the last occurrence of the rule, excluded or not.
  EXPECT_NE(master.find("UNTIL=20101209T183000Z"), std::string::npos);
  EXPECT_EQ(blocks.size(), 1u + 9u);
}

TEST(RenderFeed, VenueFeedKeepsOnlyMeetingsAtTheVenue) {
  const RenderedFeed feed = MustRender(VenueFeed());
  const auto blocks = EventBlocks(feed.body);
  ASSERT_EQ(blocks.size(), 3u);  // seminar master + its June override + the Tokyo call
  const std::string master = blocks.at("UID:9d2f6c80-3b1e-4f7a-8c55-2e1b7d4a9c02|");
  EXPECT_EQ(Count(master, "EXDATE;TZID=Europe/London:"), 10);
  EXPECT_EQ(master.find("EXDATE;TZID=Europe/London:20100610T183000"), std::string::npos);
  // EXDATEs here follow meetings between venues too, so the master shows the series' highest
  // sequence (2, the re-timed September meeting).
  EXPECT_NE(master.find("SEQUENCE:2\r\n"), std::string::npos);
  EXPECT_NE(feed.body.find("SUMMARY:Futures Forum: Evening Seminar\r\n"), std::string::npos);
  EXPECT_NE(feed.body.find("SUMMARY:Tokyo Liaison: Liaison call\r\n"), std::string::npos);
  EXPECT_NE(feed.body.find("DTSTART;TZID=Asia/Tokyo:20100621T190000\r\n"), std::string::npos);
  EXPECT_EQ(Count(feed.body, "BEGIN:VTIMEZONE"), 2);
  // A venue with nothing on it: no events, and no VTIMEZONE either (no zone given, none used).
  FeedInput empty = VenueFeed();
  empty.only_venue = 77;
  const std::string none = MustRender(empty).body;
  EXPECT_EQ(Count(none, "BEGIN:VEVENT"), 0);
  EXPECT_EQ(Count(none, "BEGIN:VTIMEZONE"), 0);
}

TEST(RenderFeed, MemberFeedStatesTheMembersOwnState) {
  const auto blocks = EventBlocks(MustRender(MemberFeed()).body);
  auto description = [&](const std::string& key) {
    for (const std::string& l : Unfolded(blocks.at(key)))
      if (l.rfind("DESCRIPTION:", 0) == 0) return l;
    return std::string();
  };
  EXPECT_NE(description("UID:3f1c9a2e-6b1d-4c0e-8f2a-1b7e5d9c0a02|").find("You sent apologies."),
            std::string::npos);
  const std::string sep = description("UID:3f1c9a2e-6b1d-4c0e-8f2a-1b7e5d9c0a03|");
  EXPECT_NE(
      sep.find(
          "You are expected.\\nSend apologies: https://convene.example.org/apologies/Zm9vYmFyYmF6"),
      std::string::npos);
  EXPECT_NE(description("UID:3f1c9a2e-6b1d-4c0e-8f2a-1b7e5d9c0a01|").find("You are expected."),
            std::string::npos);
  // The apology's time is an edit time of that event.
  EXPECT_NE(blocks.at("UID:3f1c9a2e-6b1d-4c0e-8f2a-1b7e5d9c0a02|").find("DTSTAMP:20100401T000000Z"),
            std::string::npos);  // 1 Jan + 90 days
}

TEST(RenderFeed, CalendarPropertiesAndRefreshInterval) {
  FeedInput in = SeminarFeed();
  in.refresh_minutes = 90;
  const std::string body = MustRender(in).body;
  EXPECT_NE(body.find("\r\nX-WR-CALNAME:Futures Forum\r\nNAME:Futures Forum\r\n"),
            std::string::npos);
  EXPECT_NE(body.find("\r\nREFRESH-INTERVAL;VALUE=DURATION:PT1H30M\r\nX-PUBLISHED-TTL:PT1H30M\r\n"),
            std::string::npos);
  EXPECT_EQ(body.find("METHOD"), std::string::npos) << "F6: no METHOD in a feed";
  EXPECT_EQ(body.find("ATTENDEE"), std::string::npos);
  in.refresh_minutes = 0;
  EXPECT_EQ(RenderFeed(in).status().code(), Code::kInvalidArgument);
}

TEST(RenderFeed, DtstampEqualsLastModifiedAndComesFromStoredTimes) {
  const std::string body = MustRender(MemberFeed()).body;
  const auto lines = Unfolded(body);
  std::string stamp;
  int events = 0;
  for (const std::string& l : lines) {
    if (l.rfind("DTSTAMP:", 0) == 0) {
      stamp = l.substr(8);
      ++events;
      // All fixture edit times are in 2010: nothing came from the clock.
      EXPECT_EQ(stamp.substr(0, 4), "2010") << l;
    }
    if (l.rfind("LAST-MODIFIED:", 0) == 0) {
      EXPECT_EQ(l.substr(14), stamp);
    }
  }
  EXPECT_EQ(events, 4 + 11);
  EXPECT_EQ(MustRender(MemberFeed()).last_modified, kJan2010 + 300 * kDay);
}

TEST(RenderFeed, HostileTextIsEscapedAndRoundTrips) {
  const RenderedFeed feed = MustRender(HostileFeed());
  for (const std::string& v : Lint(feed.body)) ADD_FAILURE() << v;
  // Nothing injected: exactly the components and properties we wrote.
  EXPECT_EQ(Count(feed.body, "BEGIN:VEVENT"), 1);
  EXPECT_EQ(Count(feed.body, "\r\nBEGIN:VALARM"), 0);
  EXPECT_EQ(Count(feed.body, "\r\nX-INJECTED"), 0);
  EXPECT_EQ(Count(feed.body, "\r\nATTENDEE"), 0);
  EXPECT_EQ(Count(feed.body, "\r\nTRIGGER"), 0);
  Parsed p(feed.body);
  ASSERT_NE(p.c, nullptr);
  EXPECT_EQ(CountErrors(p.c), 0) << Errors(p.c);
  icalcomponent* ev = icalcomponent_get_first_component(p.c, ICAL_VEVENT_COMPONENT);
  ASSERT_NE(ev, nullptr);
  EXPECT_EQ(icalcomponent_count_components(ev, ICAL_ANY_COMPONENT), 0);
  EXPECT_EQ(std::string(icalcomponent_get_summary(ev)), "Grp: a,b;c: " + CleanText(kHostile));
  EXPECT_EQ(std::string(icalcomponent_get_location(ev)),
            "Hall \"A\", East; Wing\\2, 1 Long Road,\nSecond line, Town, AB1 2CD");
  const std::string description = icalcomponent_get_description(ev);
  EXPECT_NE(description.find("Mallory\nATTENDEE:mailto:evil@example.org (Evil, Inc.; \"Ltd\")"),
            std::string::npos);
  EXPECT_NE(description.find(HostileFeed().series[0].meetings[0].notes), std::string::npos);
  const char* calname = nullptr;
  for (icalproperty* x = icalcomponent_get_first_property(p.c, ICAL_X_PROPERTY); x;
       x = icalcomponent_get_next_property(p.c, ICAL_X_PROPERTY))
    if (std::string(icalproperty_get_x_name(x)) == "X-WR-CALNAME") calname = icalproperty_get_x(x);
  ASSERT_NE(calname, nullptr);
  EXPECT_EQ(std::string(calname), "Hostile, \"group\";\nX-INJECTED:1");
}

TEST(RenderFeed, RefusesUnsafeBaseUrlAndUnknownZones) {
  FeedInput in = SeminarFeed();
  in.base_url = "https://convene.example.org/\r\nBEGIN:VALARM";
  EXPECT_EQ(RenderFeed(in).status().code(), Code::kInvalidArgument);
  in.base_url = "javascript:alert(1)";
  EXPECT_EQ(RenderFeed(in).status().field(), "base_url");
  in = SeminarFeed();
  in.series[0].timezone = "Mars/Olympus_Mons";
  EXPECT_EQ(RenderFeed(in).status().field(), "timezone");
  in = SeminarFeed();
  in.base_url = "https://convene.example.org/";  // a trailing slash is harmless
  EXPECT_NE(MustRender(in).body.find("URL:https://convene.example.org/meetings/201\r\n"),
            std::string::npos);
}

TEST(RenderFeed, RowsThatContradictTheRuleAreLeftOutWithAWarning) {
  FeedInput in = SeminarFeed();
  auto& ms = in.series[0].meetings;
  ms[0].original_start.minute_of_day += 60;  // 11 Feb 19:30 is not an occurrence
  ms.erase(ms.begin() + 5);                  // 8 July has no row
  const RenderedFeed feed = MustRender(in);
  ASSERT_EQ(feed.warnings.size(), 1u);
  EXPECT_NE(feed.warnings[0].find("meeting 201"), std::string::npos);
  const auto blocks = EventBlocks(feed.body);
  const std::string master = blocks.at("UID:9d2f6c80-3b1e-4f7a-8c55-2e1b7d4a9c02|");
  // Both missing occurrences leave the feed as EXDATEs, so no reader invents them.
  EXPECT_NE(master.find("EXDATE;TZID=Europe/London:20100211T183000\r\n"), std::string::npos);
  EXPECT_NE(master.find("EXDATE;TZID=Europe/London:20100708T183000\r\n"), std::string::npos);
  EXPECT_EQ(feed.body.find("RECURRENCE-ID;TZID=Europe/London:20100211T193000"), std::string::npos);
  // A second series with the same UID is refused rather than giving two masters.
  FeedInput twice = SeminarFeed();
  twice.series.push_back(twice.series[0]);
  twice.series[1].series.id = 3;
  const RenderedFeed t = MustRender(twice);
  EXPECT_EQ(Count(Events(t.body), "RRULE:"), 1);
  EXPECT_EQ(t.warnings.size(), 1u);
}

TEST(RenderFeed, EmptyGroupFeedStillHasItsZone) {
  FeedInput in = SeminarFeed();
  in.series.clear();
  const std::string body = MustRender(in).body;
  EXPECT_EQ(Count(body, "BEGIN:VTIMEZONE"), 1);
  EXPECT_EQ(Count(body, "BEGIN:VEVENT"), 0);
  Parsed p(body);
  EXPECT_EQ(CountErrors(p.c), 0);
}

// ---- VTIMEZONE --------------------------------------------------------------------------------

}  // namespace
}  // namespace convene::calendar
