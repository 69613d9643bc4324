// Issue 12's typography and wording bugs, each as the page shows it: quoted apologies that end in a
// full stop get no second one; presenters are listed without a semicolon after the last; the
// change preview says "Takes place" and "Cancelled", not the API's words; dates in messages are in
// words, like every other date on the pages; the members list shows roles and, like the register,
// sorts by surname as the minutes do; the new group's web-address pattern is valid under the
// browser's v flag; error pages speak plainly and keep the organiser's Dashboard and Log out bar.
#include "tests/http/pages_fixture.h"
#include "tests/support/inputs.h"

namespace convene::server {
namespace {

class PageWordsTest : public PagesTest {
 protected:
  void SetUp() override {
    PagesTest::SetUp();
    s_ = Login();
    ASSERT_FALSE(s_.cookie.empty());
  }
  static std::string MeetingPath(calendar::Id id) {
    return "/organise/meetings/" + std::to_string(id);
  }
  static bool Has(const std::string& text, const std::string& what) {
    return text.find(what) != std::string::npos;
  }
  Session s_;
};

TEST_F(PageWordsTest, AQuotedReasonThatEndsASentenceGetsNoSecondFullStop) {
  const calendar::Id next = NextMeeting().meeting.id;
  const std::string page = PageToken("Ian Cooper");
  const std::string token = ApologyTokenFor("Ian Cooper", next);
  struct Case {
    const char* reason;
    const char* want;  // how the sentence ends
  };
  for (const Case& c : {
           Case{"Only my deputy may attend.", "“Only my deputy may attend.”</p>"},
           Case{"Is it moved again?", "“Is it moved again?”</p>"},
           Case{"Speaking at a conference in Leeds", "“Speaking at a conference in Leeds”.</p>"},
           Case{"He said \"not this time.\"", "“He said &quot;not this time.&quot;”</p>"},
       }) {
    ASSERT_TRUE(ops().WithdrawApologies(token).ok());
    ASSERT_TRUE(ops().SendApologies(token, c.reason).ok()) << c.reason;
    Page apology = Get("/apologies/" + token);
    EXPECT_TRUE(apology.Has(std::string("You have sent apologies: ") + c.want)) << c.reason << "\n"
                                                                                << apology.body;
    Page home = Get("/m/" + page);
    EXPECT_TRUE(
        home.Has(std::string("You have sent apologies for Monday 18 January 2027: ") + c.want))
        << c.reason << "\n"
        << home.body;
    EXPECT_FALSE(home.Has(".”.")) << c.reason;
  }
  // Without a reason the sentence ends with its own full stop.
  ASSERT_TRUE(ops().WithdrawApologies(token).ok());
  ASSERT_TRUE(ops().SendApologies(token, "").ok());
  EXPECT_TRUE(Get("/apologies/" + token).Has("<p>You have sent apologies.</p>"));
}

TEST_F(PageWordsTest, PresentersAreListedWithoutASemicolonAfterTheLast) {
  const calendar::Id next = NextMeeting().meeting.id;
  PresenterInput ada{"Ada Lovelace", "Engines", std::string("Analytical Society"), std::nullopt};
  PresenterInput charles{"Charles Babbage", "Differences", std::nullopt, std::nullopt};
  ASSERT_TRUE(ops().AddPresenter(org_.id, next, ada).ok());
  Page one = Get("/groups/futures");
  EXPECT_TRUE(one.Has("Presenting: Ada Lovelace (Analytical Society)</p>")) << one.body;
  ASSERT_TRUE(ops().AddPresenter(org_.id, next, charles).ok());
  Page two = Get("/groups/futures");
  EXPECT_TRUE(two.Has("Presenting: Ada Lovelace (Analytical Society); Charles Babbage</p>"))
      << two.body;
  EXPECT_FALSE(two.Has("; </p>"));
}

TEST_F(PageWordsTest, TheChangePreviewSaysTakesPlaceAndCancelledInWords) {
  const MeetingView next = NextMeeting();
  Page cancel = Submit(s_, MeetingPath(next.meeting.id) + "/preview", {{"action", "cancel"}});
  ASSERT_EQ(cancel.status, 200) << cancel.body;
  EXPECT_TRUE(
      cancel.Has("<tr><th>Status</th><td>Takes place</td><td><strong>Cancelled</strong>"
                 "</td></tr>"))
      << cancel.body;
  EXPECT_FALSE(cancel.Has(">scheduled<"));
  EXPECT_FALSE(cancel.Has(">cancelled<"));

  MeetingPatch patch;
  patch.status = "cancelled";
  ASSERT_TRUE(
      ops()
          .ChangeMeeting(org_.id, next.meeting.id, Operations::MeetingETag(next.meeting), patch)
          .ok());
  Page reinstate = Submit(s_, MeetingPath(next.meeting.id) + "/preview", {{"action", "reinstate"}});
  ASSERT_EQ(reinstate.status, 200) << reinstate.body;
  EXPECT_TRUE(reinstate.Has("<td>Cancelled</td><td><strong>Takes place</strong></td>"))
      << reinstate.body;
}

TEST_F(PageWordsTest, DatesInMessagesAreInWordsNotIso) {
  // 01:30 on Sunday 28 March 2027 does not exist in London: the clocks go forward at 01:00.
  Page gap = Submit(s_, MeetingPath(NextMeeting().meeting.id) + "/preview",
                    {{"action", "move"}, {"date", "2027-03-28"}, {"time", "01:30"}});
  EXPECT_EQ(gap.status, 400);
  EXPECT_TRUE(gap.Has("Sunday 28 March 2027 at 01:30 does not exist in Europe/London")) << gap.body;
  EXPECT_FALSE(gap.Has("2027-03-28T01:30"));

  // A series changed from a date outside it says the series' first and last dates in words.
  auto series = ops().ListSeries(org_.id, kDemoSlug);
  ASSERT_TRUE(series.ok());
  calendar::Id id = 0;
  for (const SeriesSummary& s : *series)
    if (s.series.is_rule()) id = s.series.id;
  ASSERT_NE(id, 0);
  Page from = Submit(s_, "/organise/series/" + std::to_string(id) + "/preview",
                     {{"action", "change"}, {"from", "2026-02-02"}, {"title", "Renamed"}});
  EXPECT_EQ(from.status, 400);
  EXPECT_TRUE(from.Has("(Monday 18 January 2027 to Monday 15 November 2027)")) << from.body;
  EXPECT_FALSE(from.Has("2027-01-18"));

  // A date listed twice is named in words.
  auto twice =
      ops().PreviewSeries(org_.id, kDemoSlug,
                          testing::DatedSeries("Twice", NextMeeting().venue.id, "10:00", 60,
                                               {"2027-03-15", "2027-03-16", "2027-03-15"}));
  ASSERT_FALSE(twice.ok());
  EXPECT_EQ(twice.status().message(), "dates lists Monday 15 March 2027 twice");
}

TEST_F(PageWordsTest, TheMembersListShowsRolesAndSortsBySurnameAsTheMinutesDo) {
  Page p = Get("/organise/groups/futures/members", s_.cookie);
  ASSERT_EQ(p.status, 200) << p.body;
  EXPECT_TRUE(
      p.Has("<strong>Suzanne Horner</strong> <span class=\"small muted\">(organiser)</span>"))
      << "the demo's organiser";
  EXPECT_TRUE(p.Has("<strong>Glyn Evans</strong> <span class=\"small muted\">(chair)</span>"));
  EXPECT_FALSE(p.Has("<strong>Ian Cooper</strong> <span class=\"small muted\">(")) << "a member";
  // By surname: Alexander, Anderson, Brett, Bryant, Cooper, ... Evans; by first name Glyn Evans
  // would come before Ian Cooper, and Adrian Hancock first.
  std::vector<std::string> names;
  static const std::regex item("<li class=\"card\"><strong>([^<]+)</strong>");
  for (std::sregex_iterator it(p.body.begin(), p.body.end(), item), end; it != end; ++it)
    names.push_back((*it)[1].str());
  ASSERT_GE(names.size(), 21u);
  EXPECT_EQ(names[0], "Caron Alexander");
  EXPECT_EQ(names[1], "Leonard Anderson");
  EXPECT_EQ(names[2], "Mark Brett");
  EXPECT_EQ(names[3], "David Bryant");
  EXPECT_EQ(names[4], "Ian Cooper");
  auto at = [&](const std::string& n) { return std::find(names.begin(), names.end(), n); };
  EXPECT_LT(at("Ian Cooper"), at("Glyn Evans"));
  EXPECT_LT(at("Martin Ferguson"), at("Martin Greenwood"));
  EXPECT_LT(at("Neil Moore"), at("Simon Norbury"));

  // So does the register (printed, it is the sign-in sheet).
  Page reg = Get(MeetingPath(NextMeeting().meeting.id) + "/register", s_.cookie);
  ASSERT_EQ(reg.status, 200);
  const size_t here = reg.body.find("<h2>Who is here</h2>");
  ASSERT_NE(here, std::string::npos);
  EXPECT_LT(reg.body.find("Caron Alexander", here), reg.body.find("Adrian Hancock", here));
  EXPECT_LT(reg.body.find("Ian Cooper", here), reg.body.find("Glyn Evans", here));
  // The minutes of the seed meeting list those present in the same order.
  Page minutes =
      Get("/organise/meetings/" + std::to_string(MarchMeeting()) + "/minutes", s_.cookie);
  ASSERT_EQ(minutes.status, 200);
  EXPECT_LT(minutes.body.find("Ian Cooper"), minutes.body.find("Glyn Evans"));
}

// Under the v flag (Chromium compiles pattern attributes with it) a "-" at either end of a class
// must be escaped: "[a-z0-9-]" is a syntax error there, and the browser then drops the check and
// logs an error.
TEST_F(PageWordsTest, PatternAttributesAreValidUnderTheVFlag) {
  Page p = Get("/organise", s_.cookie);
  ASSERT_EQ(p.status, 200);
  static const std::regex pattern("pattern=\"([^\"]*)\"");
  int seen = 0;
  for (std::sregex_iterator it(p.body.begin(), p.body.end(), pattern), end; it != end; ++it) {
    ++seen;
    const std::string re = (*it)[1].str();
    for (size_t open = re.find('['); open != std::string::npos; open = re.find('[', open + 1)) {
      const size_t close = re.find(']', open);
      ASSERT_NE(close, std::string::npos) << re;
      const std::string cls = re.substr(open + 1, close - open - 1);
      EXPECT_NE(cls.front(), '-') << re;
      EXPECT_FALSE(cls.back() == '-' && (cls.size() < 2 || cls[cls.size() - 2] != '\\')) << re;
    }
  }
  EXPECT_EQ(seen, 1) << "the new group's web address";
  EXPECT_TRUE(p.Has("pattern=\"[a-z0-9\\-]{2,40}\""));
}

TEST_F(PageWordsTest, ErrorPagesSpeakPlainly) {
  Page slug = Submit(s_, "/organise/groups",
                     {{"name", "Bad"}, {"slug", "Bad Slug"}, {"timezone", "Europe/London"}});
  EXPECT_EQ(slug.status, 400);
  EXPECT_TRUE(
      slug.Has("The short name for the web address must be 2 to 40 lower-case letters, "
               "digits or hyphens"))
      << slug.body;
  EXPECT_FALSE(slug.Has("Slug must"));
  EXPECT_FALSE(slug.Has("a-z, 0-9"));

  Page zone = Submit(s_, "/organise/groups",
                     {{"name", "Bad"}, {"slug", "bad-zone"}, {"timezone", "Mars/Olympus"}});
  EXPECT_EQ(zone.status, 400);
  EXPECT_TRUE(zone.Has("The time zone must be the name of one, such as Europe/London"))
      << zone.body;
  EXPECT_FALSE(zone.Has("IANA"));

  Page rule = Submit(s_, "/organise/groups/futures/series/preview",
                     {{"title", "Rules"},
                      {"venue_id", std::to_string(NextMeeting().venue.id)},
                      {"start_time", "10:00"},
                      {"duration_minutes", "60"},
                      {"first_date", "2027-02-01"},
                      {"rrule", "FREQ=MONTHLY;COUNT=2!"}});
  EXPECT_EQ(rule.status, 400);
  EXPECT_TRUE(rule.Has("The rule may hold only letters, digits and the signs")) << rule.body;
  EXPECT_FALSE(rule.Has("Rrule"));
  EXPECT_FALSE(rule.Has("rrule may"));

  // A venue clash on confirming a move: no API words ("force") on the page.
  const MeetingView next = NextMeeting();
  GroupInput other{"other-club", "Other Club", "Europe/London", std::nullopt, true};
  ASSERT_TRUE(ops().CreateGroup(org_.id, other).ok());
  ASSERT_TRUE(
      ops()
          .CreateSeries(org_.id, "other-club",
                        testing::DatedSeries("Other", next.venue.id, "10:00", 60, {"2027-01-19"}))
          .ok());
  Page clash = Submit(s_, MeetingPath(next.meeting.id) + "/change",
                      {{"action", "move"},
                       {"date", "2027-01-19"},
                       {"time", "10:30"},
                       {"etag", Operations::MeetingETag(next.meeting)}});
  EXPECT_EQ(clash.status, 409);
  EXPECT_FALSE(clash.Has("force")) << clash.body;
  EXPECT_TRUE(clash.Has("go ahead anyway")) << clash.body;
  Page preview = Submit(s_, MeetingPath(next.meeting.id) + "/preview",
                        {{"action", "move"}, {"date", "2027-01-19"}, {"time", "10:30"}});
  EXPECT_FALSE(preview.Has("&quot;force&quot;")) << preview.body;
  EXPECT_TRUE(preview.Has("go ahead anyway")) << preview.body;
}

TEST_F(PageWordsTest, ErrorPagesKeepTheOrganisersBar) {
  Page missing = Get("/organise/meetings/999999", s_.cookie);
  EXPECT_EQ(missing.status, 404);
  EXPECT_TRUE(missing.Has("<a href=\"/organise\">Dashboard</a>")) << missing.body;
  EXPECT_TRUE(missing.Has("Log out")) << missing.body;
  EXPECT_TRUE(missing.Has("name=\"csrf\" value=\"" + s_.csrf + "\"")) << "a working logout";

  Page bad = Submit(s_, "/organise/groups", {{"name", "Bad"}, {"slug", "x"}, {"timezone", "UTC"}});
  EXPECT_EQ(bad.status, 400);
  EXPECT_TRUE(bad.Has("Log out"));

  Page expired = Post("/organise/groups", {{"csrf", "wrong"}, {"name", "X"}}, s_.cookie);
  EXPECT_EQ(expired.status, 403);
  EXPECT_TRUE(expired.Has("Log out")) << expired.body;

  // Without a session there is no bar to keep.
  Page anonymous = Get("/meetings/999999");
  EXPECT_EQ(anonymous.status, 404);
  EXPECT_FALSE(anonymous.Has("Log out"));
  // And a public page after an organiser's error page does not inherit the bar (one request's).
  EXPECT_FALSE(Get("/groups/nobody-here").Has("Log out"));
}

}  // namespace
}  // namespace convene::server
