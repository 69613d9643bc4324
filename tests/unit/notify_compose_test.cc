// Composition: each notice kind says what changed from what to what, with its links.
#include <gtest/gtest.h>

#include <functional>

#include "notify/compose.h"
#include "notify/rfc5322.h"
#include "tests/notify_fixtures.h"
#include "tests/unit/notify_mail_util.h"

namespace convene::notify {
namespace {

using namespace testing;
using calendar::MeetingStatus;

const ComposeEnv kEnv{"https://convene.example", 1278927000, "<abc123@example.org>"};

PresenterRef Ada() {
  return PresenterRef{"Dr Ada", "Analytical Engines", "ada@example.org", "Notes"};
}

// The sample without its venue change, then `edit`: for the cases about something else.
std::function<void(MeetingChange&)> VenueKept(std::function<void(MeetingChange&)> edit) {
  return [edit](MeetingChange& c) {
    c.after.venue = c.before.venue;
    edit(c);
  };
}

struct Case {
  std::string name;
  std::function<void(MeetingChange&)> edit;  // turns the sample (venue change) into the case
  std::string want_subject;
  std::vector<std::string> want_text;
  std::vector<std::string> not_text = {};
};

TEST(ComposeMeetingChange, SaysWhatChangedFromWhatToWhat) {
  const std::vector<Case> cases = {
      {"venue, rest of series",
       [](MeetingChange&) {},
       "Venue changed: Monthly meeting, Monday 12 July 2010",
       {"Venue\n  Was: Old Hall, 1 High Street, AB1 2CD\n  Now: New Hall, 2 Low Street, XY1 2ZZ\n",
        "The venue will continue to be New Hall for the rest of the series."}},
      {"venue, this meeting only",
       [](MeetingChange& c) { c.series_venue = c.before.venue; },
       "Venue changed: Monthly meeting, Monday 12 July 2010",
       {"This change is for this meeting only; later meetings remain at Old Hall."},
       {"will continue to be"}},
      {"time only",
       VenueKept([](MeetingChange& c) { c.after.start.minute_of_day = 14 * 60; }),
       "Time changed: Monthly meeting, Monday 12 July 2010",
       {"Time\n  Was: Monday 12 July 2010, 10:30 to 12:00\n  Now: Monday 12 July 2010, 14:00 to "
        "15:30\n"},
       {"Venue\n"}},
      {"date",
       VenueKept([](MeetingChange& c) {
         c.after.start.date = calendar::CivilDate{2010, 7, 13};
       }),
       "Date changed: Monthly meeting, now Tuesday 13 July 2010",
       {"Date and time\n  Was: Monday 12 July 2010, 10:30 to 12:00\n  Now: Tuesday 13 July 2010, "
        "10:30 to 12:00\n"}},
      {"cancelled",
       [](MeetingChange& c) {
         c.after = c.before;
         c.after.status = MeetingStatus::kCancelled;
       },
       "Cancelled: Monthly meeting, Monday 12 July 2010",
       {"on Monday 12 July 2010, 10:30 to 12:00 has been cancelled.", "Status: CANCELLED"}},
      {"reinstated",
       VenueKept([](MeetingChange& c) { c.before.status = MeetingStatus::kCancelled; }),
       "Reinstated: Monthly meeting, Monday 12 July 2010",
       {"has been reinstated"},
       {"CANCELLED"}},
      {"presenter added",
       VenueKept([](MeetingChange& c) { c.after.presenters.push_back(Ada()); }),
       "Presenters changed: Monthly meeting, Monday 12 July 2010",
       {"Presenters\n  Added: Dr Ada (Analytical Engines): Notes\n",
        "Presenting: Dr Ada (Analytical Engines): Notes"}},
      {"presenter's topic changed",
       VenueKept([](MeetingChange& c) {
         c.before.presenters.push_back(Ada());
         c.after.presenters.push_back(Ada());
         c.after.presenters[0].topic = "Bernoulli numbers";
       }),
       "Presenters changed: Monthly meeting, Monday 12 July 2010",
       {"  Was: Dr Ada (Analytical Engines): Notes\n  Now: Dr Ada (Analytical Engines): Bernoulli "
        "numbers\n"}},
      {"venue and time",
       [](MeetingChange& c) { c.after.start.minute_of_day = 9 * 60; },
       "Changed: Monthly meeting, Monday 12 July 2010",
       {"Time\n", "Venue\n"}},
  };
  for (const Case& c : cases) {
    MeetingChange change = SampleVenueChange({SampleMember(1)});
    c.edit(change);
    Message m = ComposeMeetingChange(change, change.before, SampleMember(1), kEnv);
    EXPECT_EQ(m.subject, c.want_subject) << c.name;
    for (const std::string& want : c.want_text)
      EXPECT_NE(m.text.find(want), std::string::npos) << c.name << ": no\n"
                                                      << want << "\nin\n"
                                                      << m.text;
    for (const std::string& no : c.not_text)
      EXPECT_EQ(m.text.find(no), std::string::npos) << c.name << ": unexpected " << no;
    // Every notice: addressed, dated, linked, and serialisable.
    EXPECT_EQ(m.to.email, "m1@example.org");
    EXPECT_EQ(m.from.email, "secretary@example.org");
    EXPECT_EQ(m.message_id, kEnv.message_id);
    EXPECT_NE(m.text.find("Meeting page: https://convene.example/meetings/42\n"),
              std::string::npos);
    EXPECT_NE(m.text.find("Your page: https://convene.example/m/page1\n"), std::string::npos);
    EXPECT_NE(m.text.find("Send apologies: https://convene.example/apologies/tok1\n"),
              std::string::npos);
    EXPECT_EQ(m.unsubscribe_url, "https://convene.example/unsubscribe/unsub1abcdefghijklmnop");
    EXPECT_TRUE(SerializeRfc5322(m).ok()) << c.name;
  }
}

TEST(ComposeMeetingChange, PresenterHearsAboutThemselves) {
  MeetingChange change = SampleVenueChange({});
  change.after.venue = change.before.venue;
  change.after.presenters.push_back(Ada());
  Recipient ada;
  ada.name = "Dr Ada";
  ada.email = "ADA@example.org";  // matched case-insensitively
  Message m = ComposeMeetingChange(change, change.before, ada, kEnv);
  EXPECT_EQ(m.subject, "You are presenting: Monthly meeting, Monday 12 July 2010");
  EXPECT_NE(m.text.find("You are now listed as presenting: Notes."), std::string::npos);
  EXPECT_NE(m.text.find("listed as a presenter"), std::string::npos);
  EXPECT_TRUE(m.unsubscribe_url.empty());  // not a member: no list headers

  std::swap(change.before, change.after);
  m = ComposeMeetingChange(change, change.before, ada, kEnv);
  EXPECT_EQ(m.subject, "No longer presenting: Monthly meeting, Monday 12 July 2010");
  EXPECT_NE(m.text.find("You are no longer listed as a presenter"), std::string::npos);
}

TEST(ComposeMeetingChange, HostileTextStaysInTheBody) {
  MeetingChange change = SampleVenueChange({});
  change.series_title = "Meeting\r\nBcc: victim@example.com";
  change.after.venue.name = "Hall\r\nX-Injected: 1";
  Recipient to = SampleMember(1);
  to.name = "Eve\r\nCc: all@example.com";
  auto bytes = SerializeRfc5322(ComposeMeetingChange(change, change.before, to, kEnv));
  ASSERT_TRUE(bytes.ok());
  // Neither in the header nor as a line of the text of its own.
  const std::string text = QpDecode(SplitHead(*bytes).second);
  for (const char* h : {"\nBcc:", "\nCc:", "\nX-Injected:"}) {
    EXPECT_EQ(bytes->find(h), std::string::npos) << h;
    EXPECT_EQ(text.find(h), std::string::npos) << h;
  }
  EXPECT_EQ(HeaderNames(*bytes).size(), 11u);  // 9 + the two List-Unsubscribe headers
  EXPECT_NE(text.find("\"Meeting Bcc: victim@example.com\""), std::string::npos);
  EXPECT_NE(text.find("Now: Hall X-Injected: 1, 2 Low Street"), std::string::npos);
}

ApologiesChange SampleApologies() {
  ApologiesChange c;
  c.group = SampleGroup();
  c.meeting_id = 42;
  c.series_title = "Monthly meeting";
  c.meeting = SampleMeeting();
  c.after = {ApologyRef{"Bob Brown", "Away on \xc3\xa9tude leave"}};
  c.forecast_before = calendar::ForecastQuorum(10, 2, 8);
  c.forecast_after = calendar::ForecastQuorum(10, 3, 8);
  return c;
}

TEST(ComposeApologies, NamesWhoAndWhyAndTheForecast) {
  ApologiesChange c = SampleApologies();
  Message m = ComposeApologies(c, {}, kEnv);
  EXPECT_EQ(m.to.email, "secretary@example.org");
  EXPECT_EQ(m.subject, "Apologies from Bob Brown: Monthly meeting, Monday 12 July 2010");
  EXPECT_NE(m.text.find("Apologies received from\n  Bob Brown: Away on \xc3\xa9tude leave\n"),
            std::string::npos);
  EXPECT_NE(m.text.find("Apologies so far: 3 of 10 members; 7 expected (quorum 8)."),
            std::string::npos);
  EXPECT_NE(m.text.find("https://convene.example/meetings/42"), std::string::npos);

  c.after.push_back(ApologyRef{"Cy Young", ""});
  m = ComposeApologies(c, {ApologyRef{"Di Prince", ""}}, kEnv);
  EXPECT_EQ(m.subject, "Apologies (2 new): Monthly meeting, Monday 12 July 2010");
  EXPECT_NE(m.text.find("Apologies withdrawn by\n  Di Prince\n"), std::string::npos);
}

TEST(ComposeQuorumAtRisk, GivesTheNumbers) {
  Message m = ComposeQuorumAtRisk(SampleApologies(), kEnv);
  EXPECT_EQ(m.subject, "Quorum at risk: Monthly meeting, Monday 12 July 2010");
  EXPECT_NE(m.text.find("With apologies from 3 of 10 members, 7 are expected"), std::string::npos);
  EXPECT_NE(m.text.find("the quorum is 8."), std::string::npos);
}

TEST(ComposeWelcome, GivesFeedPageAndApologyLinks) {
  Welcome w{SampleGroup(), SampleMember(3, calendar::Delivery::kInvitations)};
  w.member.feed_url = "https://convene.example/feeds/members/feedtok.ics";
  Message m = ComposeWelcome(w, kEnv);
  EXPECT_EQ(m.subject, "Welcome to Futures Group");
  for (const char* want :
       {"https://convene.example/feeds/members/feedtok.ics", "https://convene.example/m/page3",
        "https://convene.example/apologies/tok3", "You chose calendar invitations",
        "Calendar feed: subscribe once"}) {
    EXPECT_NE(m.text.find(want), std::string::npos) << want;
  }
  EXPECT_FALSE(m.unsubscribe_url.empty());
  EXPECT_TRUE(SerializeRfc5322(m).ok());
}

TEST(FormatWhen, SpansMidnight) {
  calendar::LocalDateTime t{calendar::CivilDate{2010, 12, 31}, 23 * 60};
  EXPECT_EQ(FormatWhen(t, 120),
            "Friday 31 December 2010, 23:00 to 01:00 on Saturday 1 January 2011");
}

}  // namespace
}  // namespace convene::notify
