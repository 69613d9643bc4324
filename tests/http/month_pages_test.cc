// The month views over real HTTP: GET /groups/{slug}/calendar, /venues/{id}/calendar and the
// organiser's /organise/groups/{slug}/calendar, ?month=YYYY-MM. The dates below were worked out by
// hand from a paper calendar: 1 February 2027 is a Monday and the month has 28 days (four whole
// weeks); 1 March 2027 is a Monday too and 31 March a Wednesday; Easter Sunday 2027 is 28 March
// (Good Friday 26, Easter Monday 29); 1 January 2026 is a Thursday; St Andrew's Day, 30 November
// 2027, is a Tuesday. The demo's 2027 meetings are on the 3rd Monday of every other month from
// January (18 January, 15 March, 17 May, ...), 10:30 to 13:00 at Siemens, Hillgate House; the
// fixture's clock is Monday 5 January 2026, 09:00 UTC.
#include "tests/http/pages_fixture.h"
#include "tests/support/inputs.h"

namespace convene::server {
namespace {

class MonthPagesTest : public PagesTest {
 protected:
  // The <td>...</td> of the day `iso` (YYYY-MM-DD) in a month grid, or empty.
  static std::string Cell(const Page& p, const std::string& iso) {
    const size_t at = p.body.find("datetime=\"" + iso + "\"");
    if (at == std::string::npos) return {};
    const size_t open = p.body.rfind("<td", at);
    const size_t close = p.body.find("</td>", at);
    if (open == std::string::npos || close == std::string::npos) return {};
    return p.body.substr(open, close + 5 - open);
  }
  // The text of every <td> of the grid's body, in order.
  static std::vector<std::string> Cells(const Page& p) {
    std::vector<std::string> out;
    const size_t body = p.body.find("<tbody>");
    const size_t end = p.body.find("</tbody>");
    if (body == std::string::npos || end == std::string::npos) return out;
    for (size_t at = p.body.find("<td", body); at != std::string::npos && at < end;
         at = p.body.find("<td", at + 1))
      out.push_back(p.body.substr(at, p.body.find("</td>", at) + 5 - at));
    return out;
  }
  static size_t Count(const std::string& text, const std::string& what) {
    size_t n = 0;
    for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
    return n;
  }
  static bool Has(const std::string& text, const std::string& what) {
    return text.find(what) != std::string::npos;
  }
  calendar::Id DemoVenue() { return NextMeeting().venue.id; }
  // A meeting of the demo group on `date` (YYYY-MM-DD) at `time`, for an hour.
  calendar::Id AddMeeting(const std::string& title, const std::string& date,
                          const std::string& time = "10:00", const std::string& slug = "futures") {
    auto made = ops().CreateSeries(org_.id, slug,
                                   testing::DatedSeries(title, DemoVenue(), time, 60, {date}));
    EXPECT_TRUE(made.ok()) << made.status().ToString();
    return made.ok() ? made->meetings.front().meeting.id : 0;
  }
  void AddPrivateGroup() {
    GroupInput g{"secret-club", "Secret Club", "Europe/London", std::nullopt, false};
    ASSERT_TRUE(ops().CreateGroup(org_.id, g).ok());
  }
};

TEST_F(MonthPagesTest, February2027StartsOnAMondayAndFillsFourWholeWeeks) {
  Page p = Get("/groups/futures/calendar?month=2027-02");
  ASSERT_EQ(p.status, 200) << p.body;
  EXPECT_EQ(p.Header("Cache-Control"), "no-cache");
  EXPECT_EQ(p.body.find("<script"), std::string::npos);
  EXPECT_TRUE(p.Has("<h1>Socitm Futures: February 2027</h1>"));
  // The weekday headers, Monday first.
  EXPECT_TRUE(
      p.Has("<th scope=\"col\">Monday</th><th scope=\"col\">Tuesday</th><th "
            "scope=\"col\">Wednesday</th><th scope=\"col\">Thursday</th><th "
            "scope=\"col\">Friday</th><th scope=\"col\">Saturday</th><th "
            "scope=\"col\">Sunday</th>"))
      << p.body;
  const auto cells = Cells(p);
  ASSERT_EQ(cells.size(), 28u) << "four weeks and not a day of January or March";
  EXPECT_TRUE(Has(cells.front(), "datetime=\"2027-02-01\">Monday 1 February 2027</time>"));
  EXPECT_TRUE(Has(cells.back(), "datetime=\"2027-02-28\">Sunday 28 February 2027</time>"));
  EXPECT_EQ(Count(p.body, "class=\"day other"), 0u);
  EXPECT_TRUE(p.Has("No meetings in February 2027."));
}

TEST_F(MonthPagesTest, March2027EndsOnAWednesdayAndDimsTheFirstDaysOfApril) {
  Page p = Get("/groups/futures/calendar?month=2027-03");
  ASSERT_EQ(p.status, 200) << p.body;
  const auto cells = Cells(p);
  ASSERT_EQ(cells.size(), 35u) << "five weeks";
  EXPECT_TRUE(Has(cells[0], "Monday 1 March 2027"));
  EXPECT_TRUE(Has(cells[30], "Wednesday 31 March 2027"));
  for (int i = 31; i < 35; ++i) {
    EXPECT_EQ(cells[i].rfind("<td class=\"day other\"", 0), 0u) << cells[i];
    EXPECT_TRUE(Has(cells[i], ">" + std::to_string(i - 30) + "</span>")) << cells[i];
    EXPECT_FALSE(Has(cells[i], "<a ")) << "days of other months carry nothing";
  }
  EXPECT_FALSE(p.Has("No meetings in"));
}

TEST_F(MonthPagesTest, AMeetingOnEasterMondayIsMarkedAsABankHoliday) {
  const calendar::Id easter = AddMeeting("Easter meeting", "2027-03-29", "18:00");
  Page p = Get("/groups/futures/calendar?month=2027-03");
  ASSERT_EQ(p.status, 200) << p.body;
  const std::string monday = Cell(p, "2027-03-29");
  EXPECT_TRUE(Has(monday, "Bank holiday: Easter Monday")) << monday;
  EXPECT_TRUE(Has(monday, " holiday\"")) << monday;
  EXPECT_TRUE(Has(monday, "<a href=\"/meetings/" + std::to_string(easter) +
                              "\"><span class=\"time\">18:00</span> Easter meeting</a>"))
      << monday;
  EXPECT_TRUE(Has(monday, "Siemens, Hillgate House")) << "the venue, on a group's view";
  EXPECT_TRUE(Has(Cell(p, "2027-03-26"), "Bank holiday: Good Friday"));
  EXPECT_FALSE(Has(Cell(p, "2027-03-28"), "Bank holiday")) << "Easter Sunday is not one";
  // The demo's own meeting of 15 March.
  const std::string ides = Cell(p, "2027-03-15");
  EXPECT_TRUE(Has(ides, "<span class=\"time\">10:30</span> Socitm Futures meeting")) << ides;
  EXPECT_FALSE(Has(ides, "Bank holiday"));
  EXPECT_EQ(Count(p.body, "class=\"event"), 2u);
}

TEST_F(MonthPagesTest, TheGroupsRegionChoosesItsBankHolidays) {
  Page before = Get("/groups/futures/calendar?month=2027-11");
  EXPECT_FALSE(Has(Cell(before, "2027-11-30"), "Bank holiday")) << "not in England and Wales";
  auto g = ops().GetGroup(org_.id, kDemoSlug);
  ASSERT_TRUE(g.ok());
  GroupPatch patch;
  patch.bank_holiday_region = "scotland";
  ASSERT_TRUE(ops().UpdateGroup(org_.id, kDemoSlug, Operations::GroupETag(*g), patch).ok());
  Page p = Get("/groups/futures/calendar?month=2027-11");
  EXPECT_TRUE(Has(Cell(p, "2027-11-30"), "Bank holiday: St Andrew&#39;s Day") ||
              Has(Cell(p, "2027-11-30"), "Bank holiday: St Andrew&apos;s Day"))
      << Cell(p, "2027-11-30");
  // A venue has no region: its view marks England and Wales' holidays.
  Page venue = Get("/venues/" + std::to_string(DemoVenue()) + "/calendar?month=2027-11");
  ASSERT_EQ(venue.status, 200) << venue.body;
  EXPECT_FALSE(Has(Cell(venue, "2027-11-30"), "Bank holiday"));
}

TEST_F(MonthPagesTest, WithoutAMonthItShowsThisMonthInTheGroupsZoneWithTodayMarked) {
  Page p = Get("/groups/futures/calendar");
  ASSERT_EQ(p.status, 200) << p.body;
  EXPECT_TRUE(p.Has("<h1>Socitm Futures: January 2026</h1>"));
  // 1 January 2026 is a Thursday: the first week starts on Monday 29 December 2025.
  const auto cells = Cells(p);
  ASSERT_EQ(cells.size(), 35u);
  EXPECT_TRUE(Has(cells[0], "<td class=\"day other\"") && Has(cells[0], ">29</span>")) << cells[0];
  EXPECT_TRUE(Has(cells[3], "Thursday 1 January 2026")) << cells[3];
  EXPECT_TRUE(Has(cells[3], "Bank holiday: New Year&#39;s Day") ||
              Has(cells[3], "Bank holiday: New Year&apos;s Day"))
      << cells[3];
  const std::string today = Cell(p, "2026-01-05");
  EXPECT_TRUE(Has(today, "aria-current=\"date\"")) << today;
  EXPECT_TRUE(Has(today, "Today")) << today;
  EXPECT_EQ(Count(p.body, "aria-current=\"date\""), 1u);
  EXPECT_FALSE(p.Has("This month</a>")) << "this is the month";
  // Another month marks no day as today, and leads back to this one.
  Page other = Get("/groups/futures/calendar?month=2027-01");
  EXPECT_FALSE(other.Has("aria-current=\"date\""));
  EXPECT_TRUE(other.Has("<a href=\"/groups/futures/calendar\">This month</a>"));

  // Noon UTC on 31 January 2026 is already 1 February in Auckland.
  GroupInput kiwi{"kiwi", "Kiwi Group", "Pacific/Auckland", std::nullopt, true};
  ASSERT_TRUE(ops().CreateGroup(org_.id, kiwi).ok());
  server_.clock().Set(1769860800);  // 2026-01-31T12:00:00Z
  EXPECT_TRUE(Get("/groups/kiwi/calendar").Has("<h1>Kiwi Group: February 2026</h1>"));
  EXPECT_TRUE(Get("/groups/futures/calendar").Has("<h1>Socitm Futures: January 2026</h1>"));
  EXPECT_TRUE(Has(Cell(Get("/groups/kiwi/calendar"), "2026-02-01"), "aria-current=\"date\""));
}

TEST_F(MonthPagesTest, PreviousAndNextMonthsCrossTheYear) {
  Page dec = Get("/groups/futures/calendar?month=2027-12");
  ASSERT_EQ(dec.status, 200);
  EXPECT_TRUE(
      dec.Has("<a href=\"/groups/futures/calendar?month=2027-11\" rel=\"prev\">← "
              "November 2027</a>"))
      << dec.body;
  EXPECT_TRUE(
      dec.Has("<a href=\"/groups/futures/calendar?month=2028-01\" rel=\"next\">January "
              "2028 →</a>"));
  Page jan = Get("/groups/futures/calendar?month=2028-01");
  EXPECT_TRUE(jan.Has("?month=2027-12\" rel=\"prev\">← December 2027</a>"));
  // The first and last months shown have no way further.
  EXPECT_FALSE(Get("/groups/futures/calendar?month=1970-01").Has("rel=\"prev\""));
  EXPECT_FALSE(Get("/groups/futures/calendar?month=2999-12").Has("rel=\"next\""));
}

TEST_F(MonthPagesTest, ACancelledMeetingIsStruckThrough) {
  const MeetingView next = NextMeeting();  // 18 January 2027
  MeetingPatch cancel;
  cancel.status = "cancelled";
  ASSERT_TRUE(
      ops()
          .ChangeMeeting(org_.id, next.meeting.id, Operations::MeetingETag(next.meeting), cancel)
          .ok());
  Page p = Get("/groups/futures/calendar?month=2027-01");
  const std::string cell = Cell(p, "2027-01-18");
  EXPECT_TRUE(Has(cell, "class=\"event off\"")) << cell;
  EXPECT_TRUE(Has(cell, "<s><span class=\"time\">10:30</span> Socitm Futures meeting</s>")) << cell;
  EXPECT_TRUE(Has(cell, "(cancelled)")) << cell;
}

TEST_F(MonthPagesTest, APrivateGroupsCalendarIsNotFoundPublicly) {
  AddPrivateGroup();
  AddMeeting("Hidden gathering", "2027-01-20", "18:00", "secret-club");
  for (const char* path :
       {"/groups/secret-club/calendar", "/groups/secret-club/calendar?month=2027-01",
        "/groups/secret-club/calendar?month=nonsense", "/groups/nobody-here/calendar"}) {
    Page p = Get(path);
    EXPECT_EQ(p.status, 404) << path;
    EXPECT_FALSE(p.Has("Hidden gathering")) << path;
  }
  EXPECT_EQ(Get("/groups/secret-club").status, 404) << "like the group's page";
  // Nor is it at the venue.
  Page venue = Get("/venues/" + std::to_string(DemoVenue()) + "/calendar?month=2027-01");
  ASSERT_EQ(venue.status, 200);
  EXPECT_FALSE(venue.Has("Hidden gathering"));
  EXPECT_FALSE(venue.Has("Secret Club"));
}

TEST_F(MonthPagesTest, ABadMonthIsAReadable400) {
  for (const char* month : {"2027-13", "2027-00", "2027-2", "27-02", "2027-02-01", "2027/02",
                            "abcd-ef", "1969-12", "3000-01", "%202027-02"}) {
    const std::string path = std::string("/groups/futures/calendar?month=") + month;
    Page p = Get(path);
    EXPECT_EQ(p.status, 400) << month;
    EXPECT_EQ(p.Header("Content-Type"), "text/html; charset=utf-8") << month;
    EXPECT_TRUE(p.Has("<h1>Please check what you entered</h1>")) << month << p.body;
    EXPECT_TRUE(p.Has("month&apos;s number, such as 2027-02") ||
                p.Has("The calendar shows the years 1970 to 2999"))
        << month << p.body;
    EXPECT_TRUE(
        p.Has("<a class=\"button secondary\" href=\"/groups/futures/calendar\">Go back</a>"))
        << month;
  }
  Page venue = Get("/venues/" + std::to_string(DemoVenue()) + "/calendar?month=2027-13");
  EXPECT_EQ(venue.status, 400);
  EXPECT_EQ(Get("/venues/999999/calendar?month=2027-13").status, 404);
}

TEST_F(MonthPagesTest, TheVenueShowsEveryPublicGroupsMeetingsWithTheGroupsName) {
  GroupInput other{"other-club", "Other Club", "Europe/London", std::nullopt, true};
  ASSERT_TRUE(ops().CreateGroup(org_.id, other).ok());
  const calendar::Id theirs = AddMeeting("Other meeting", "2027-01-18", "15:00", "other-club");
  Page p = Get("/venues/" + std::to_string(DemoVenue()) + "/calendar?month=2027-01");
  ASSERT_EQ(p.status, 200) << p.body;
  EXPECT_TRUE(p.Has("<h1>Siemens, Hillgate House: January 2027</h1>"));
  const std::string cell = Cell(p, "2027-01-18");
  EXPECT_TRUE(Has(cell, "<span class=\"where\"> Socitm Futures</span>")) << cell;
  EXPECT_TRUE(Has(cell, "<a href=\"/meetings/" + std::to_string(theirs) +
                            "\"><span class=\"time\">15:00</span> Other meeting</a>"))
      << cell;
  EXPECT_TRUE(Has(cell, "<span class=\"where\"> Other Club</span>")) << cell;
  EXPECT_LT(cell.find("10:30"), cell.find("15:00")) << "by start";
  EXPECT_TRUE(Has(Cell(p, "2027-01-01"), "Bank holiday: New Year"));
  EXPECT_EQ(Get("/venues/999999/calendar").status, 404);
}

TEST_F(MonthPagesTest, TheOrganiserSeesTheirPrivateGroupsCalendar) {
  AddPrivateGroup();
  const calendar::Id hidden = AddMeeting("Hidden gathering", "2027-01-20", "18:00", "secret-club");
  const std::string path = "/organise/groups/secret-club/calendar?month=2027-01";
  Page anonymous = Get(path);
  EXPECT_EQ(anonymous.status, 303) << "to the login page";
  EXPECT_EQ(anonymous.Header("Location").rfind("/login?next=", 0), 0u);

  Session s = Login();
  Page p = Get(path, s.cookie);
  ASSERT_EQ(p.status, 200) << p.body;
  EXPECT_EQ(p.Header("Cache-Control"), "no-store");
  EXPECT_TRUE(p.Has("Log out")) << "the organiser's bar";
  EXPECT_TRUE(Has(Cell(p, "2027-01-20"), "<a href=\"/organise/meetings/" + std::to_string(hidden) +
                                             "\"><span class=\"time\">18:00</span> Hidden "
                                             "gathering</a>"));
  EXPECT_TRUE(p.Has("?month=2027-02\" rel=\"next\""));
  EXPECT_TRUE(p.Has("href=\"/organise/groups/secret-club/calendar?month=2026-12\""));
  EXPECT_EQ(Get("/organise/groups/secret-club/calendar?month=2027-13", s.cookie).status, 400);

  // Another organiser: as if it did not exist.
  ASSERT_TRUE(ops().SetPassword("other@example.org", kPassword).ok());
  Session other = Login("other@example.org");
  ASSERT_FALSE(other.cookie.empty());
  EXPECT_EQ(Get(path, other.cookie).status, 404);
}

TEST_F(MonthPagesTest, HostileNamesAreEscaped) {
  const std::string evil = "<script>alert(1)</script>\"'&";
  GroupInput g{"evil", "Group " + evil, "Europe/London", std::nullopt, true};
  ASSERT_TRUE(ops().CreateGroup(org_.id, g).ok());
  AddMeeting("Title " + evil, "2027-01-20", "18:00", "evil");
  for (const std::string& path : std::vector<std::string>{
           "/groups/evil/calendar?month=2027-01",
           "/venues/" + std::to_string(DemoVenue()) + "/calendar?month=2027-01"}) {
    Page p = Get(path);
    ASSERT_EQ(p.status, 200) << path;
    EXPECT_EQ(p.body.find("<script"), std::string::npos) << path;
    EXPECT_TRUE(p.Has("Title &lt;script&gt;alert(1)&lt;/script&gt;&quot;")) << path;
  }
}

TEST_F(MonthPagesTest, TheGroupVenueAndOrganiserPagesLinkToTheMonthViews) {
  EXPECT_TRUE(Get("/groups/futures").Has("<a href=\"/groups/futures/calendar\">"));
  const std::string venue = std::to_string(DemoVenue());
  EXPECT_TRUE(Get("/venues/" + venue).Has("<a href=\"/venues/" + venue + "/calendar\">"));
  Session s = Login();
  EXPECT_TRUE(Get("/organise/groups/futures", s.cookie)
                  .Has("<a href=\"/organise/groups/futures/calendar\">"));
}

TEST_F(MonthPagesTest, TheStyleSheetTurnsTheGridIntoAListOnAPhone) {
  // No script can do it (the CSP has none): the style sheet must, under about 600 px.
  Page p = Get("/groups/futures/calendar?month=2027-03");
  const std::string css = p.body.substr(p.body.find("<style>"), p.body.find("</style>"));
  const size_t phone = css.find("@media (max-width:37.5rem){table.month,");
  ASSERT_NE(phone, std::string::npos);
  const std::string rules = css.substr(phone, css.find("}}", phone) - phone);
  EXPECT_TRUE(Has(rules, "table.month td{") && Has(rules, "display:block")) << rules;
  EXPECT_TRUE(Has(rules, "table.month td.other,table.month td:not(.busy){display:none}")) << rules;
  // Days with something on them are "busy": the phone's list shows them.
  EXPECT_EQ(Cell(p, "2027-03-15").rfind("<td class=\"day busy\"", 0), 0u) << Cell(p, "2027-03-15");
  EXPECT_EQ(Cell(p, "2027-03-26").rfind("<td class=\"day busy holiday\"", 0), 0u);
  EXPECT_EQ(Cell(p, "2027-03-16").rfind("<td class=\"day\">", 0), 0u) << Cell(p, "2027-03-16");
}

}  // namespace
}  // namespace convene::server
