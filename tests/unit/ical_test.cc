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
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "calendar/civil.h"
#include "calendar/ical_text.h"
#include "tests/unit/feed_fixtures.h"

namespace convene::calendar {
namespace {

using namespace testing;  // NOLINT: the fixtures

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

// Logical lines (unfolded), without CRLF.
std::vector<std::string> Unfolded(const std::string& body) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < body.size()) {
    size_t end = body.find("\r\n", start);
    if (end == std::string::npos) end = body.size();
    std::string line = body.substr(start, end - start);
    if (!line.empty() && line[0] == ' ' && !out.empty()) {
      out.back() += line.substr(1);
    } else {
      out.push_back(line);
    }
    start = end + 2;
  }
  return out;
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

// The VEVENT blocks (as text, folded) keyed by UID + RECURRENCE-ID.
std::map<std::string, std::string> EventBlocks(const std::string& body) {
  std::map<std::string, std::string> out;
  size_t pos = 0;
  while ((pos = body.find("BEGIN:VEVENT\r\n", pos)) != std::string::npos) {
    const size_t end = body.find("END:VEVENT\r\n", pos) + 12;
    const std::string block = body.substr(pos, end - pos);
    std::string key;
    for (const std::string& l : Unfolded(block))
      if (l.rfind("UID:", 0) == 0 || l.rfind("RECURRENCE-ID", 0) == 0) key += l + "|";
    out[key] = block;
    pos = end;
  }
  return out;
}

// The VEVENTs of a body, without the VTIMEZONEs (whose observances have RRULEs too).
std::string Events(const std::string& body) {
  std::string out;
  for (const auto& [key, block] : EventBlocks(body)) out += block;
  return out;
}

int Count(const std::string& hay, const std::string& needle) {
  int n = 0;
  for (size_t p = hay.find(needle); p != std::string::npos; p = hay.find(needle, p + 1)) ++n;
  return n;
}

struct Parsed {
  icalcomponent* c = nullptr;
  explicit Parsed(const std::string& s) : c(icalparser_parse_string(s.c_str())) {}
  ~Parsed() {
    if (c) icalcomponent_free(c);
  }
};

int CountErrors(icalcomponent* c) {
  int n = icalcomponent_count_properties(c, ICAL_XLICERROR_PROPERTY);
  for (icalcomponent* s = icalcomponent_get_first_component(c, ICAL_ANY_COMPONENT); s;
       s = icalcomponent_get_next_component(c, ICAL_ANY_COMPONENT))
    n += CountErrors(s);
  return n;
}

std::string Errors(icalcomponent* c) {
  std::string out;
  for (icalproperty* p = icalcomponent_get_first_property(c, ICAL_XLICERROR_PROPERTY); p;
       p = icalcomponent_get_next_property(c, ICAL_XLICERROR_PROPERTY))
    out += std::string(icalproperty_get_xlicerror(p)) + "\n";
  for (icalcomponent* s = icalcomponent_get_first_component(c, ICAL_ANY_COMPONENT); s;
       s = icalcomponent_get_next_component(c, ICAL_ANY_COMPONENT))
    out += Errors(s);
  return out;
}

RenderedFeed MustRender(const FeedInput& in) {
  auto r = RenderFeed(in);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : RenderedFeed{};
}

FeedInput MondaysFeed() {
  FeedInput in = GroupFeed();
  in.series = {MondaysSeries()};
  Presenter p;
  p.meeting_id = 102;
  p.name = "Grace Hopper";
  p.organisation = "Harvard Computation Lab";
  p.topic = "Compilers, for everyone";
  p.created_at = kJan2010 + 20 * kDay;
  in.presenters = {{102, {p}}};
  return in;
}

FeedInput SeminarFeed() {
  FeedInput in = GroupFeed();
  in.series = {SeminarSeries()};
  return in;
}

FeedInput VenueFeed() {
  FeedInput in;
  in.calendar_name = "Friends House";
  in.base_url = kBaseUrl;
  in.only_venue = 2;
  in.updated_at = kJan2010;
  FeedSeries seminar = SeminarSeries();
  seminar.group_name = "Futures Forum";
  in.series = {seminar, TokyoSeries()};
  in.venues = {{1, ConwayHall()}, {2, FriendsHouse()}};
  return in;
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
  FeedInput in;
  in.calendar_name = "Harbour Board";
  in.timezone = "America/New_York";
  in.base_url = kBaseUrl;
  in.updated_at = kJan2010;
  in.series = {NewYorkSeries()};
  in.venues = {{3, PierHall()}};
  return in;
}

// Every field a user can type, filled with what breaks naive writers.
const std::string kHostile =
    "Budget; \"final\", v2 \\ draft\r\nEND:VEVENT\r\nBEGIN:VALARM\nTRIGGER:-PT5M\rACTION:AUDIO "
    "\xF0\x9F\x8E\x89\xF0\x9F\x92\xA5 caf\xC3\xA9 \xE4\xB8\xAD\xE6\x96\x87";

FeedInput HostileFeed() {
  FeedInput in;
  in.calendar_name = "Hostile, \"group\";\r\nX-INJECTED:1";
  in.timezone = "Europe/London";
  in.base_url = kBaseUrl;
  in.updated_at = kJan2010;
  FeedSeries fs;
  fs.timezone = "Europe/London";
  fs.group_name = "Grp: a,b;c";
  fs.series.id = 9;
  fs.series.uid = "0f1e2d3c-4b5a-4697-8a7b-6c5d4e3f2a10";
  fs.series.title = kHostile;
  fs.series.venue_id = 9;
  fs.series.start_minute = 14 * 60;
  fs.series.duration_minutes = 45;
  fs.series.dates = {{2010, 12, 1}};
  fs.series.agenda = std::string(1990, 'x') + "\\,;\n" + kHostile;
  fs.series.updated_at = kJan2010;
  Meeting m =
      MakeMeeting(901, 9, "7e6d5c4b-3a29-4817-a6f5-e4d3c2b1a098", {2010, 12, 1}, 14 * 60, 45, 9);
  std::string notes;
  for (int i = 0; i < 2000; ++i)
    notes += (i % 37 == 36) ? "\xF0\x9F\x98\x80" : (i % 11 == 10 ? "\\" : "n");
  m.notes = notes;
  fs.meetings = {m};
  in.series = {fs};
  Venue v;
  v.id = 9;
  v.name = "Hall \"A\", East; Wing\\2";
  v.address = "1 Long Road,\r\nSecond line, Town";
  v.postcode = "AB1 2CD";
  v.updated_at = kJan2010;
  in.venues = {{9, v}};
  Presenter p;
  p.name = "Mallory\r\nATTENDEE:mailto:evil@example.org";
  p.organisation = "Evil, Inc.; \"Ltd\"";
  p.topic = kHostile;
  p.created_at = kJan2010;
  in.presenters[901] = {p};
  return in;
}

InvitationInput MovedInvitation() {
  FeedSeries fs = SeminarSeries();
  InvitationInput in;
  in.method = InvitationMethod::kRequest;
  in.series = fs.series;
  in.timezone = fs.timezone;
  in.group_name = "Futures Forum";
  in.meeting = fs.meetings[1];  // 11 March, moved to 1 April
  in.venue = ConwayHall();
  in.base_url = kBaseUrl;
  in.organiser = {"Futures Forum secretary", "secretary@example.org"};
  in.attendee = {"Ada Lovelace", "ada@example.org"};
  in.personal_text = "Send apologies: https://convene.example.org/apologies/Zm9vYmFyYmF6";
  in.dtstamp = kJan2010 + 50 * kDay + 3600;
  return in;
}

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

TEST(RenderVtimezone, EuropeLondon2010IsTheTwoRuleForm) {
  auto r = RenderVtimezone("Europe/London", 2010, 2010);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  // 1970: the last Sunday of March was the 29th, of October the 25th.
  EXPECT_EQ(*r,
            "BEGIN:VTIMEZONE\r\n"
            "TZID:Europe/London\r\n"
            "BEGIN:DAYLIGHT\r\n"
            "TZNAME:BST\r\n"
            "TZOFFSETFROM:+0000\r\n"
            "TZOFFSETTO:+0100\r\n"
            "DTSTART:19700329T010000\r\n"
            "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\n"
            "END:DAYLIGHT\r\n"
            "BEGIN:STANDARD\r\n"
            "TZNAME:GMT\r\n"
            "TZOFFSETFROM:+0100\r\n"
            "TZOFFSETTO:+0000\r\n"
            "DTSTART:19701025T020000\r\n"
            "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\n"
            "END:STANDARD\r\n"
            "END:VTIMEZONE\r\n");
}

TEST(RenderVtimezone, RuleChangeWithinTheSpanEndsTheOldRuleWithUntil) {
  // The United States moved DST in 2007: first Sunday of April / last of October until 2006
  // (2 April and 29 October 2006), second Sunday of March / first of November from 2007.
  auto r = RenderVtimezone("America/New_York", 2006, 2008);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r,
            "BEGIN:VTIMEZONE\r\n"
            "TZID:America/New_York\r\n"
            "BEGIN:DAYLIGHT\r\n"
            "TZNAME:EDT\r\n"
            "TZOFFSETFROM:-0500\r\n"
            "TZOFFSETTO:-0400\r\n"
            "DTSTART:19700405T020000\r\n"
            "RRULE:FREQ=YEARLY;BYMONTH=4;BYDAY=1SU;UNTIL=20060402T070000Z\r\n"
            "END:DAYLIGHT\r\n"
            "BEGIN:STANDARD\r\n"
            "TZNAME:EST\r\n"
            "TZOFFSETFROM:-0400\r\n"
            "TZOFFSETTO:-0500\r\n"
            "DTSTART:19701025T020000\r\n"
            "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU;UNTIL=20061029T060000Z\r\n"
            "END:STANDARD\r\n"
            "BEGIN:DAYLIGHT\r\n"
            "TZNAME:EDT\r\n"
            "TZOFFSETFROM:-0500\r\n"
            "TZOFFSETTO:-0400\r\n"
            "DTSTART:20070311T020000\r\n"
            "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU\r\n"
            "END:DAYLIGHT\r\n"
            "BEGIN:STANDARD\r\n"
            "TZNAME:EST\r\n"
            "TZOFFSETFROM:-0400\r\n"
            "TZOFFSETTO:-0500\r\n"
            "DTSTART:20071104T020000\r\n"
            "RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU\r\n"
            "END:STANDARD\r\n"
            "END:VTIMEZONE\r\n");
}

TEST(RenderVtimezone, ZonesWithoutChangesGetOneStandard) {
  auto tokyo = RenderVtimezone("Asia/Tokyo", 2010, 2012);
  ASSERT_TRUE(tokyo.ok());
  EXPECT_EQ(*tokyo,
            "BEGIN:VTIMEZONE\r\nTZID:Asia/Tokyo\r\nBEGIN:STANDARD\r\nTZNAME:JST\r\n"
            "TZOFFSETFROM:+0900\r\nTZOFFSETTO:+0900\r\nDTSTART:19700101T000000\r\n"
            "END:STANDARD\r\nEND:VTIMEZONE\r\n");
  auto utc = RenderVtimezone("UTC", 2010, 2010);
  ASSERT_TRUE(utc.ok());
  EXPECT_EQ(Count(*utc, "BEGIN:STANDARD"), 1);
  EXPECT_EQ(Count(*utc, "DAYLIGHT"), 0);
  EXPECT_NE(utc->find("TZOFFSETFROM:+0000\r\nTZOFFSETTO:+0000\r\n"), std::string::npos);
}

TEST(RenderVtimezone, LastingOffsetChangesAreStandardTime) {
  // Moscow stayed on +04 from 27 March 2011 and went to +03 on 26 October 2014.
  auto r = RenderVtimezone("Europe/Moscow", 2012, 2015);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(Count(*r, "DAYLIGHT"), 0);
  EXPECT_NE(r->find("TZOFFSETFROM:+0400\r\nTZOFFSETTO:+0300\r\nDTSTART:20141026T020000\r\n"),
            std::string::npos);
  EXPECT_NE(r->find("TZOFFSETFROM:+0400\r\nTZOFFSETTO:+0400\r\nDTSTART:19700101T000000\r\n"),
            std::string::npos);
}

TEST(RenderVtimezone, RefusesUnknownZonesAndSillySpans) {
  EXPECT_FALSE(RenderVtimezone("Europe/Atlantis", 2010, 2010).ok());
  EXPECT_FALSE(RenderVtimezone("../../etc/passwd", 2010, 2010).ok());
  EXPECT_FALSE(RenderVtimezone("Europe/London", 2010, 2009).ok());
  EXPECT_FALSE(RenderVtimezone("Europe/London", 1950, 2020).ok());
}

// Our VTIMEZONE, read by libical, gives the system tz database's offset every 6 hours of the
// span, for regular zones, southern ones, rule changes, lasting changes and irregular ones.
TEST(RenderVtimezone, AgreesWithTheTzDatabaseAcrossTheSpan) {
  struct Case {
    const char* tz;
    int first, last;
  } cases[] = {
      {"Europe/London", 2010, 2012},     {"America/New_York", 2005, 2009},
      {"Australia/Sydney", 2007, 2009},  {"Europe/Moscow", 2009, 2016},
      {"Africa/Casablanca", 2012, 2014}, {"Europe/Dublin", 2010, 2011},
      {"Asia/Tokyo", 2010, 2010},        {"America/Sao_Paulo", 2017, 2020},
      {"Pacific/Chatham", 2010, 2011},   {"Asia/Kolkata", 2010, 2010},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.tz);
    auto vtz = RenderVtimezone(c.tz, c.first, c.last);
    ASSERT_TRUE(vtz.ok()) << vtz.status().ToString();
    icalcomponent* comp = icalparser_parse_string(vtz->c_str());
    ASSERT_NE(comp, nullptr);
    EXPECT_EQ(CountErrors(comp), 0) << Errors(comp);
    icaltimezone* zone = icaltimezone_new();
    ASSERT_TRUE(icaltimezone_set_component(zone, comp));
    const int64_t from = DaysFromCivil({c.first, 1, 1}) * 86400;
    const int64_t to = DaysFromCivil({c.last + 1, 1, 1}) * 86400;
    int mismatches = 0;
    for (int64_t t = from; t < to; t += 6 * 3600) {
      icaltimetype utc =
          icaltime_from_timet_with_zone(static_cast<time_t>(t), 0, icaltimezone_get_utc_timezone());
      int dst = 0;
      const int ours = icaltimezone_get_utc_offset_of_utc_time(zone, &utc, &dst);
      auto want = UtcOffsetAt(c.tz, t);
      ASSERT_TRUE(want.ok());
      if (ours != *want && ++mismatches < 4)
        ADD_FAILURE() << FormatIcalUtc(t) << ": ours " << ours << " tzdb " << *want;
    }
    EXPECT_EQ(mismatches, 0);
    icaltimezone_free(zone, 1);  // frees comp too
  }
}

// ---- iMIP ------------------------------------------------------------------------------------

// Parses, then checks the iTIP restrictions of the object's METHOD (RFC 5546) as libical knows
// them; returns the X-LIC-ERROR texts (empty when it passes).
std::string RestrictionErrors(const std::string& ics) {
  Parsed p(ics);
  if (!p.c) return "unparsable";
  std::string parse_errors = Errors(p.c);
  if (!parse_errors.empty()) return "parse: " + parse_errors;
  const int ok = icalrestriction_check(p.c);
  std::string errors = Errors(p.c);
  if (!ok && errors.empty()) errors = "icalrestriction_check failed";
  return errors;
}

TEST(RenderInvitation, RequestForAMovedInstance) {
  auto r = RenderInvitation(MovedInvitation());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(RestrictionErrors(*r), "");
  const std::string& ics = *r;
  EXPECT_EQ(Count(ics, "METHOD:"), 1);
  EXPECT_NE(ics.find("\r\nMETHOD:REQUEST\r\n"), std::string::npos);
  EXPECT_EQ(Count(ics, "BEGIN:VEVENT"), 1);
  EXPECT_EQ(Count(ics, "BEGIN:VTIMEZONE"), 1);
  EXPECT_NE(ics.find("UID:9d2f6c80-3b1e-4f7a-8c55-2e1b7d4a9c02\r\n"), std::string::npos);
  EXPECT_NE(ics.find("RECURRENCE-ID;TZID=Europe/London:20100311T183000\r\n"), std::string::npos);
  EXPECT_NE(ics.find("DTSTART;TZID=Europe/London:20100401T183000\r\n"), std::string::npos);
  EXPECT_NE(ics.find("SEQUENCE:1\r\n"), std::string::npos);
  EXPECT_NE(ics.find("DTSTAMP:20100220T010000Z\r\n"), std::string::npos);
  EXPECT_NE(ics.find("ORGANIZER;CN=\"Futures Forum secretary\":mailto:secretary@example.org\r\n"),
            std::string::npos);
  const auto lines = Unfolded(ics);
  bool attendee = false;
  for (const std::string& l : lines)
    if (l.rfind("ATTENDEE", 0) == 0) {
      attendee = true;
      EXPECT_EQ(
          l,
          "ATTENDEE;CN=\"Ada Lovelace\";ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=FALSE:"
          "mailto:ada@example.org");
    }
  EXPECT_TRUE(attendee);
}

// The check above can fail: libical's restriction table does flag a REQUEST without ORGANIZER
// and a CANCEL without SEQUENCE.
TEST(RenderInvitation, RestrictionCheckIsNotVacuous) {
  auto r = RenderInvitation(MovedInvitation());
  ASSERT_TRUE(r.ok());
  std::string no_organizer = *r;
  const size_t at = no_organizer.find("ORGANIZER");
  no_organizer.erase(at, no_organizer.find("\r\n", at) + 2 - at);
  EXPECT_NE(RestrictionErrors(no_organizer), "");
  InvitationInput in = MovedInvitation();
  in.method = InvitationMethod::kCancel;
  auto c = RenderInvitation(in);
  ASSERT_TRUE(c.ok());
  std::string no_sequence = *c;
  const size_t seq = no_sequence.find("SEQUENCE:1\r\n");
  no_sequence.erase(seq, 12);
  EXPECT_NE(RestrictionErrors(no_sequence), "");
}

TEST(RenderInvitation, CancelPassesRestrictionsForInstanceAndWholeEvent) {
  InvitationInput in = MovedInvitation();
  in.method = InvitationMethod::kCancel;
  in.meeting = SeminarSeries().meetings[9];
  auto instance = RenderInvitation(in);
  ASSERT_TRUE(instance.ok());
  EXPECT_EQ(RestrictionErrors(*instance), "");
  EXPECT_NE(instance->find("\r\nMETHOD:CANCEL\r\n"), std::string::npos);
  EXPECT_NE(instance->find("RECURRENCE-ID;TZID=Europe/London:20101111T183000\r\n"),
            std::string::npos);
  EXPECT_NE(instance->find("STATUS:CANCELLED\r\n"), std::string::npos);
  EXPECT_NE(instance->find("SEQUENCE:1\r\n"), std::string::npos);

  in.series = MondaysSeries().series;
  in.meeting = MondaysSeries().meetings[0];  // SEQUENCE 0 is still written: CANCEL requires it
  auto whole = RenderInvitation(in);
  ASSERT_TRUE(whole.ok());
  EXPECT_EQ(RestrictionErrors(*whole), "");
  EXPECT_NE(whole->find("UID:3f1c9a2e-6b1d-4c0e-8f2a-1b7e5d9c0a01\r\n"), std::string::npos);
  EXPECT_EQ(whole->find("RECURRENCE-ID"), std::string::npos);
  EXPECT_NE(whole->find("SEQUENCE:0\r\n"), std::string::npos);
  EXPECT_NE(whole->find("STATUS:CANCELLED\r\n"), std::string::npos);
}

TEST(RenderInvitation, HostileNamesAreQuotedAndAddressesValidated) {
  InvitationInput in = MovedInvitation();
  in.attendee.name = "O'Brien, \"Ann\"\r\nATTENDEE:mailto:evil@example.org";
  in.organiser.name = "Sec; ^retary: x";
  auto r = RenderInvitation(in);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(RestrictionErrors(*r), "");
  EXPECT_EQ(Count(*r, "\r\nATTENDEE"), 1);
  Parsed p(*r);
  icalcomponent* ev = icalcomponent_get_first_component(p.c, ICAL_VEVENT_COMPONENT);
  icalproperty* att = icalcomponent_get_first_property(ev, ICAL_ATTENDEE_PROPERTY);
  ASSERT_NE(att, nullptr);
  EXPECT_STREQ(icalproperty_get_attendee(att), "mailto:ada@example.org");
  EXPECT_EQ(icalcomponent_get_next_property(ev, ICAL_ATTENDEE_PROPERTY), nullptr);

  for (const char* bad :
       {"ada@example.org\r\nBEGIN:VALARM", "ada@example.org>", "", "a b@example.org"}) {
    InvitationInput b = MovedInvitation();
    b.attendee.email = bad;
    EXPECT_EQ(RenderInvitation(b).status().field(), "attendee") << bad;
    b = MovedInvitation();
    b.organiser.email = bad;
    EXPECT_EQ(RenderInvitation(b).status().field(), "organiser") << bad;
  }
}

TEST(RenderInvitation, RequestForACancelledMeetingIsRefused) {
  InvitationInput in = MovedInvitation();
  in.meeting.status = MeetingStatus::kCancelled;
  EXPECT_EQ(RenderInvitation(in).status().code(), Code::kInvalidArgument);
}

}  // namespace
}  // namespace convene::calendar
