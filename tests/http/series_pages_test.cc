// The organiser's pages for series over real HTTP (issue 10): the new-series form that reads as a
// sentence, its preview of exactly the dates it makes, errors shown beside their fields with the
// values kept, venue clashes, bank holidays, and the changes of a series (from a meeting on,
// extend, end), each through a preview of who is told what, confirmed with the ETag.
//
// The demo's 2027 series is "every other month on the 3rd Monday, 6 times" from 1 January 2027:
// 18 January, 15 March, 17 May, 19 July, 20 September and 15 November 2027, 10:30 to 13:00, at
// Siemens, Hillgate House; 21 members, each with an email address. The clock is in January 2026.
#include <regex>
#include <set>

#include "tests/http/pages_fixture.h"

namespace convene::server {
namespace {

using Fields = std::vector<std::pair<std::string, std::string>>;

std::string Unescape(std::string v) {
  for (const auto& [from, to] : std::vector<std::pair<std::string, std::string>>{
           {"&quot;", "\""}, {"&apos;", "'"}, {"&lt;", "<"}, {"&gt;", ">"}, {"&amp;", "&"}})
    for (size_t at; (at = v.find(from)) != std::string::npos;) v.replace(at, from.size(), to);
  return v;
}

// The hidden fields of the form posting to `action`, as a browser would send them.
Fields HiddenFields(const Page& p, const std::string& action) {
  Fields out;
  const size_t start = p.body.find("action=\"" + action + "\"");
  if (start == std::string::npos) {
    ADD_FAILURE() << "no form posting to " << action;
    return out;
  }
  const std::string form = p.body.substr(start, p.body.find("</form>", start) - start);
  static const std::regex hidden("<input type=\"hidden\" name=\"([^\"]+)\" value=\"([^\"]*)\">");
  for (std::sregex_iterator it(form.begin(), form.end(), hidden), end; it != end; ++it)
    out.emplace_back((*it)[1].str(), Unescape((*it)[2].str()));
  return out;
}

size_t Occurrences(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

class SeriesPagesTest : public RealNoticesTest {
 protected:
  void SetUp() override {
    RealNoticesTest::SetUp();
    s_ = Login();
    ASSERT_FALSE(s_.cookie.empty());
    venue_ = std::to_string(NextMeeting().venue.id);
  }

  // The sentence form: "Every `interval` `freq` on the `week` `weekday`, `count` times, from
  // `from`, at 14:00 for 60 minutes", titled "Budget meeting" at the demo's venue; `extra` adds
  // or overrides fields.
  Fields Sentence(const std::string& interval, const std::string& freq, const std::string& week,
                  const std::string& weekday, const std::string& count, const std::string& from,
                  const Fields& extra = {}) {
    Fields f = {{"title", "Budget meeting"},
                {"venue_id", venue_},
                {"interval", interval},
                {"freq", freq},
                {"week_of_month", week},
                {"weekday", weekday},
                {"ends", "count"},
                {"count", count},
                {"until", ""},
                {"first_date", from},
                {"start_time", "14:00"},
                {"duration_minutes", "60"},
                {"agenda", ""}};
    for (const auto& [k, v] : extra) {
      bool replaced = false;
      for (auto& field : f)
        if (field.first == k && k != "avoid") field.second = v, replaced = true;
      if (!replaced) f.emplace_back(k, v);
    }
    return f;
  }

  Page Preview(const Fields& f) { return Submit(s_, "/organise/groups/futures/series/preview", f); }

  // The demo's 2027 rule series.
  calendar::Id DemoSeries() {
    auto all = ops().ListSeries(org_.id, kDemoSlug);
    EXPECT_TRUE(all.ok());
    for (const SeriesSummary& s : *all)
      if (s.series.is_rule()) return s.series.id;
    ADD_FAILURE() << "no rule series in the demo";
    return 0;
  }
  std::string SeriesPath(calendar::Id id) { return "/organise/series/" + std::to_string(id); }

  // The starts ("YYYY-MM-DDTHH:MM") of the group's scheduled meetings within [from, to].
  std::vector<std::string> Starts(const std::string& from, const std::string& to) {
    auto list = ops().ListMeetings(org_.id, kDemoSlug, from, to);
    EXPECT_TRUE(list.ok());
    std::vector<std::string> out;
    for (const MeetingView& v : *list)
      if (v.meeting.status == calendar::MeetingStatus::kScheduled)
        out.push_back(calendar::FormatLocal(v.meeting.start));
    std::sort(out.begin(), out.end());
    return out;
  }

  int64_t Outbox(const std::string& kind) {
    return Count("SELECT count(*) FROM outbox WHERE kind='" + kind + "'");
  }

  Session s_;
  std::string venue_;
};

TEST_F(SeriesPagesTest, TheNewSeriesFormReadsAsASentenceWithEveryInputLabelled) {
  Page g = Get("/organise/groups/futures", s_.cookie);
  ASSERT_EQ(g.status, 200);
  const size_t start = g.body.find("action=\"/organise/groups/futures/series/preview#new-series\"");
  ASSERT_NE(start, std::string::npos) << "the form goes to the preview first (and an error shows "
                                         "the form, not the top of the page)";
  const std::string form = g.body.substr(start, g.body.find("</form>", start) - start);
  EXPECT_NE(form.find("<fieldset class=\"sentence\"><legend>When they meet</legend>"),
            std::string::npos);
  // The sentence, in order: Every [n] [weeks|months] on the [1st..last] [Monday..Sunday],
  // [n] times | until [date], from [date], at [time] for [n] minutes.
  const std::vector<std::string> in_order = {">Every</label>",
                                             "name=\"interval\"",
                                             "<option value=\"weekly\">weeks</option>",
                                             "<option value=\"monthly\" selected>months</option>",
                                             ">on the</label>",
                                             "<option value=\"1\" selected>1st</option>",
                                             "<option value=\"-1\">last</option>",
                                             "<option value=\"MO\" selected>Monday</option>",
                                             "<option value=\"SU\">Sunday</option>",
                                             "name=\"count\"",
                                             ">times</label>",
                                             ">until</label>",
                                             "name=\"until\"",
                                             ">from</label>",
                                             "name=\"first_date\"",
                                             ">at</label>",
                                             "name=\"start_time\"",
                                             ">for</label>",
                                             "name=\"duration_minutes\"",
                                             " minutes."};
  size_t at = 0;
  for (const std::string& piece : in_order) {
    const size_t next = form.find(piece, at);
    EXPECT_NE(next, std::string::npos) << "missing, or out of order: " << piece;
    if (next != std::string::npos) at = next;
  }
  EXPECT_NE(form.find("value=\"bank_holidays\"> <span>Leave out bank holidays</span>"),
            std::string::npos);
  EXPECT_NE(form.find("value=\"clashes\"> <span>Leave out dates when the venue is booked</span>"),
            std::string::npos);
  EXPECT_NE(form.find("<summary>Advanced: listed dates, or a rule</summary>"), std::string::npos);
  EXPECT_NE(form.find("name=\"rrule\""), std::string::npos);
  EXPECT_NE(form.find("name=\"dates\""), std::string::npos);
  // Every field of the page has a label: <label for=id>, or a label around it.
  static const std::regex field("<(input|select|textarea)\\b([^>]*)>");
  static const std::regex id_attr("\\bid=\"([^\"]+)\"");
  int fields = 0;
  for (std::sregex_iterator it(g.body.begin(), g.body.end(), field), end; it != end; ++it) {
    const std::string attrs = (*it)[2].str();
    if (attrs.find("type=\"hidden\"") != std::string::npos) continue;
    ++fields;
    std::smatch id;
    if (std::regex_search(attrs, id, id_attr)) {
      EXPECT_TRUE(g.Has("<label for=\"" + id[1].str() + "\"")) << "no label for " << id[1];
    } else {
      const std::string before = g.body.substr(0, it->position());
      EXPECT_EQ(before.rfind("<label class=\"check\">"), before.size() - 21)
          << "an unlabelled field: " << it->str();
    }
  }
  EXPECT_GE(fields, 25) << "the series' change forms are on the page too";
}

TEST_F(SeriesPagesTest, PreviewListsExactlyTheDatesAndCreateMakesExactlyThose) {
  const int64_t series_before = Count("SELECT count(*) FROM series");
  const std::string before = Snapshot();
  // Every 2 months on the 3rd Monday, 6 times, from 1 January 2028: January 2028 starts on a
  // Saturday (Mondays 3, 10, 17), March on a Wednesday (6, 13, 20), May on a Monday (1, 8, 15),
  // July on a Saturday (3, 10, 17), September on a Friday (4, 11, 18), November on a Wednesday
  // (6, 13, 20).
  Page p = Preview(Sentence("2", "monthly", "3", "MO", "6", "2028-01-01"));
  ASSERT_EQ(p.status, 200) << p.body;
  EXPECT_TRUE(p.Has("Every other month on the 3rd Monday, 6 times")) << p.body;
  const std::vector<std::string> want = {"Monday 17 January 2028",   "Monday 20 March 2028",
                                         "Monday 15 May 2028",       "Monday 17 July 2028",
                                         "Monday 18 September 2028", "Monday 20 November 2028"};
  for (const std::string& d : want)
    EXPECT_TRUE(p.Has("<li><strong>" + d + "</strong>, 14:00 to 15:00")) << d;
  EXPECT_EQ(Occurrences(p.body, "<li><strong>"), 6u) << "exactly those dates";
  EXPECT_TRUE(p.Has(">Create these 6 meetings</button>"));
  EXPECT_FALSE(p.Has("Left out"));
  EXPECT_EQ(Snapshot(), before) << "a preview stores nothing";
  EXPECT_EQ(Count("SELECT count(*) FROM series"), series_before);

  // "Create these 6 meetings" posts the same values.
  Page made = Submit(s_, "/organise/groups/futures/series",
                     HiddenFields(p, "/organise/groups/futures/series"));
  ASSERT_EQ(made.status, 303) << made.body;
  EXPECT_EQ(made.Header("Location").rfind("/organise/groups/futures?created=", 0), 0u);
  EXPECT_EQ(Starts("2028-01-01", "2028-12-31"),
            (std::vector<std::string>{"2028-01-17T14:00", "2028-03-20T14:00", "2028-05-15T14:00",
                                      "2028-07-17T14:00", "2028-09-18T14:00", "2028-11-20T14:00"}));
  Page g = Get(made.Header("Location"), s_.cookie);
  EXPECT_TRUE(
      g.Has("Meetings created. Every other month on the 3rd Monday, 6 times, at Siemens, "
            "Hillgate House."))
      << g.body;
  // The group page lists it with its words, time, venue and next meeting.
  EXPECT_TRUE(
      g.Has("<h3>Every other month on the 3rd Monday, 6 times</h3>\n<p>Budget meeting · "
            "14:00 to 15:00 · Siemens, Hillgate House</p>"));
  EXPECT_TRUE(g.Has("Next: Monday 17 January 2028 · 6 meetings still to come"));
}

TEST_F(SeriesPagesTest, ChangeGoesBackToTheFormWithTheValuesKept) {
  Page p = Preview(Sentence("2", "monthly", "3", "WE", "4", "2028-01-01",
                            {{"agenda", "Minutes & \"matters\""}, {"avoid", "bank_holidays"}}));
  ASSERT_EQ(p.status, 200) << p.body;
  Fields back = HiddenFields(p, "/organise/groups/futures/series/preview#new-series");
  Page form = Submit(s_, "/organise/groups/futures/series/preview", back);
  ASSERT_EQ(form.status, 200);
  EXPECT_TRUE(form.Has("<h2 id=\"new-series\">"));
  EXPECT_TRUE(form.Has("name=\"interval\" min=\"1\" max=\"12\" required value=\"2\""));
  EXPECT_TRUE(form.Has("<option value=\"3\" selected>3rd</option>"));
  EXPECT_TRUE(form.Has("<option value=\"WE\" selected>Wednesday</option>"));
  EXPECT_TRUE(form.Has("name=\"count\" min=\"1\" max=\"500\" value=\"4\""));
  EXPECT_TRUE(form.Has("name=\"first_date\" value=\"2028-01-01\""));
  EXPECT_TRUE(form.Has(">Minutes &amp; &quot;matters&quot;</textarea>"));
  EXPECT_TRUE(form.Has("value=\"bank_holidays\" checked>"));
  EXPECT_FALSE(form.Has("value=\"clashes\" checked>"));
}

TEST_F(SeriesPagesTest, AnErrorIsShownBesideItsFieldWithTheTypedValuesKept) {
  const std::string before = Snapshot();
  // Until a date before the first: the use case refuses it on pattern.until.
  Page p = Preview(Sentence("2", "monthly", "3", "WE", "", "2028-01-01",
                            {{"ends", "until"},
                             {"until", "2027-06-30"},
                             {"title", "Kept title"},
                             {"start_time", "18:30"},
                             {"agenda", "Kept agenda"}}));
  EXPECT_EQ(p.status, 400);
  EXPECT_TRUE(p.Has("<p class=\"err\" id=\"until-err\">The last date is before the first date</p>"))
      << p.body;
  EXPECT_TRUE(
      p.Has("<p class=\"err\" role=\"alert\">Please check the form below: the last date "
            "is before the first date.</p>"));
  EXPECT_TRUE(p.Has("name=\"until\" value=\"2027-06-30\" aria-invalid=\"true\""));
  EXPECT_TRUE(p.Has("value=\"Kept title\""));
  EXPECT_TRUE(p.Has("<option value=\"3\" selected>3rd</option>"));
  EXPECT_TRUE(p.Has("<option value=\"WE\" selected>Wednesday</option>"));
  EXPECT_TRUE(p.Has("id=\"ends-until\" name=\"ends\" value=\"until\" checked>"));
  EXPECT_TRUE(p.Has("name=\"start_time\" required value=\"18:30\""));
  EXPECT_TRUE(p.Has(">Kept agenda</textarea>"));
  for (const char* jargon : {"rrule", "Rrule", "RRULE is", "UNTIL", "pattern.", "_id", "_minutes"})
    EXPECT_EQ(p.body.find(std::string("err\" id=\"until-err\">") + jargon), std::string::npos);

  // A required title, named beside its field.
  Page untitled = Preview(Sentence("1", "monthly", "1", "MO", "3", "2028-01-01", {{"title", ""}}));
  EXPECT_EQ(untitled.status, 400);
  EXPECT_TRUE(untitled.Has("<p class=\"err\" id=\"title-err\">The title is required</p>"))
      << untitled.body;
  // The same through the create route (a browser's form sent again).
  Page direct =
      Submit(s_, "/organise/groups/futures/series",
             Sentence("1", "monthly", "1", "MO", "3", "2028-01-01", {{"duration_minutes", "2"}}));
  EXPECT_EQ(direct.status, 400);
  EXPECT_TRUE(direct.Has("id=\"duration-err\">The length in minutes must be from 5 to 1440</p>"))
      << direct.body;
  EXPECT_TRUE(direct.Has("name=\"duration_minutes\" min=\"5\" max=\"1440\" required value=\"2\""));
  EXPECT_EQ(Snapshot(), before);
}

TEST_F(SeriesPagesTest, BankHolidaysAreWarnedAboutAndCanBeLeftOut) {
  // The 3rd Mondays of March, April and May 2028: 20 March, 17 April (Easter Monday: Easter
  // Sunday 2028 is 16 April) and 15 May.
  const Fields f = Sentence("1", "monthly", "3", "MO", "3", "2028-03-01");
  Page p = Preview(f);
  ASSERT_EQ(p.status, 200) << p.body;
  EXPECT_TRUE(
      p.Has("<li><strong>Monday 17 April 2028</strong>, 14:00 to 15:00 <strong "
            "class=\"tag holiday\">Bank holiday</strong>\n<p class=\"warn\">Monday 17 "
            "April 2028 is a bank holiday (Easter Monday in England and Wales)</p>"))
      << p.body;
  EXPECT_EQ(Occurrences(p.body, "<li><strong>"), 3u);

  Fields avoiding = f;
  avoiding.emplace_back("avoid", "bank_holidays");
  Page left_out = Preview(avoiding);
  ASSERT_EQ(left_out.status, 200);
  EXPECT_EQ(Occurrences(left_out.body, "<li><strong>"), 2u);
  EXPECT_FALSE(left_out.Has("<li><strong>Monday 17 April 2028"));
  EXPECT_TRUE(
      left_out.Has("<h2>Left out</h2>\n<ul class=\"dates\"><li>Monday 17 April 2028 is a "
                   "bank holiday (Easter Monday in England and Wales)</li></ul>"));
  EXPECT_TRUE(left_out.Has(">Create these 2 meetings</button>"));
  Page made = Submit(s_, "/organise/groups/futures/series",
                     HiddenFields(left_out, "/organise/groups/futures/series"));
  ASSERT_EQ(made.status, 303) << made.body;
  EXPECT_EQ(Starts("2028-03-01", "2028-05-31"),
            (std::vector<std::string>{"2028-03-20T14:00", "2028-05-15T14:00"}));
}

TEST_F(SeriesPagesTest, GroupAndMeetingPagesMarkBankHolidaysOfTheGroupsRegion) {
  Page made = Submit(s_, "/organise/groups/futures/series",
                     Sentence("1", "monthly", "3", "MO", "1", "2028-04-01"));
  ASSERT_EQ(made.status, 303) << made.body;
  auto april = ops().ListMeetings(org_.id, kDemoSlug, "2028-04-17", "2028-04-17");
  ASSERT_TRUE(april.ok() && april->size() == 1u);
  const std::string id = std::to_string(april->front().meeting.id);
  const std::string mark = "<strong class=\"tag holiday\">Bank holiday: Easter Monday</strong>";
  Page g = Get("/organise/groups/futures", s_.cookie);
  EXPECT_TRUE(g.Has("<a href=\"/organise/meetings/" + id +
                    "\">Monday 17 April 2028</a></h3>\n<p>"
                    "14:00 to 15:00 · Siemens, Hillgate House " +
                    mark))
      << g.body;
  EXPECT_EQ(Occurrences(g.body, "tag holiday"), 1u) << "the demo's Mondays are no holidays";
  EXPECT_TRUE(Get("/organise/meetings/" + id, s_.cookie).Has(mark));
  EXPECT_TRUE(Get("/meetings/" + id).Has(mark));

  // The settings' "Bank holidays" choice: Scotland has no Easter Monday holiday.
  EXPECT_TRUE(g.Has("<option value=\"england-and-wales\" selected>England and Wales</option>"));
  Page saved = Submit(s_, "/organise/groups/futures/settings",
                      {{"etag", FormETag(g, "/organise/groups/futures/settings")},
                       {"name", "Socitm Futures"},
                       {"quorum", "8"},
                       {"public", "1"},
                       {"bank_holiday_region", "scotland"}});
  ASSERT_EQ(saved.status, 303) << saved.body;
  Page scots = Get("/organise/groups/futures", s_.cookie);
  EXPECT_TRUE(scots.Has("<option value=\"scotland\" selected>Scotland</option>"));
  EXPECT_FALSE(scots.Has("tag holiday"));
  EXPECT_FALSE(Get("/organise/meetings/" + id, s_.cookie).Has("tag holiday"));
}

TEST_F(SeriesPagesTest, AVenueClashIsNamedAndCanBeBookedAnyway) {
  // The demo meets on 18 January 2027 from 10:30 to 13:00 at the same venue.
  const Fields f = Sentence("1", "monthly", "3", "MO", "1", "2027-01-01",
                            {{"start_time", "11:00"}, {"title", "Clashing"}});
  Page p = Preview(f);
  ASSERT_EQ(p.status, 200) << p.body;
  EXPECT_TRUE(p.Has("The venue is already booked at some of these times."));
  EXPECT_TRUE(
      p.Has("<li>Monday 18 January 2027: Siemens, Hillgate House is booked then by "
            "meeting " +
            std::to_string(NextMeeting().meeting.id) + " of Socitm Futures</li>"))
      << p.body;
  EXPECT_FALSE(p.Has("&quot;force&quot;")) << "no API words on the page";
  EXPECT_TRUE(
      p.Has("<button type=\"submit\" class=\"danger\">Create anyway: Create this "
            "meeting</button>"));
  // Without "anyway" (the form sent straight to create): refused, beside the venue.
  Page refused = Submit(s_, "/organise/groups/futures/series", f);
  EXPECT_EQ(refused.status, 409);
  EXPECT_TRUE(refused.Has("<p class=\"err\" id=\"venue_id-err\">The venue is booked then"))
      << refused.body;
  EXPECT_TRUE(refused.Has("or go ahead anyway"));
  EXPECT_EQ(Starts("2027-01-18", "2027-01-18").size(), 1u);
  Page anyway = Submit(s_, "/organise/groups/futures/series",
                       HiddenFields(p, "/organise/groups/futures/series"));
  ASSERT_EQ(anyway.status, 303) << anyway.body;
  EXPECT_EQ(Starts("2027-01-18", "2027-01-18"),
            (std::vector<std::string>{"2027-01-18T10:30", "2027-01-18T11:00"}));
}

TEST_F(SeriesPagesTest, ChangeFromAMeetingOnShowsWhoIsToldThenTellsEachMemberOnce) {
  const calendar::Id id = DemoSeries();
  Page g = Get("/organise/groups/futures", s_.cookie);
  EXPECT_TRUE(
      g.Has("<h3>Every other month on the 3rd Monday, 6 times</h3>\n<p>Socitm Futures "
            "meeting · 10:30 to 13:00 · Siemens, Hillgate House</p>"));
  EXPECT_TRUE(g.Has("Next: Monday 18 January 2027 · 6 meetings still to come"));
  EXPECT_TRUE(g.Has("<option value=\"2027-05-17\">Monday 17 May 2027</option>"));

  const std::string before = Snapshot();
  // The demo queued its own notices (welcomes, its meeting's changes): count from here.
  const int64_t queued = Count("SELECT count(*) FROM outbox");
  const int64_t meeting_changes = Outbox("meeting_change");
  Page p = Submit(s_, SeriesPath(id) + "/preview",
                  {{"action", "change"},
                   {"from", "2027-05-17"},
                   {"venue_id", ""},
                   {"start_time", "18:00"},
                   {"duration_minutes", ""},
                   {"title", ""},
                   {"agenda", ""}});
  ASSERT_EQ(p.status, 200) << p.body;
  EXPECT_TRUE(
      p.Has("<li>From Monday 17 May 2027 the Socitm Futures meetings will start at 18:00 "
            "instead of 10:30.</li>"))
      << p.body;
  EXPECT_TRUE(p.Has("<h3>Meetings changed (4 meetings)</h3>"));
  for (const char* d : {"Monday 17 May 2027", "Monday 19 July 2027", "Monday 20 September 2027",
                        "Monday 15 November 2027"})
    EXPECT_TRUE(p.Has(std::string("<li>") + d + ", 10:30 to 13:00, Siemens, Hillgate House</li>"))
        << d;
  EXPECT_FALSE(p.Has("<li>Monday 15 March 2027"));
  EXPECT_TRUE(p.Has("<p>21 people will get an email;"));
  EXPECT_TRUE(p.Has("Each gets one email for the whole change"));
  EXPECT_TRUE(p.Has(">Confirm and tell them</button>"));
  EXPECT_EQ(Snapshot(), before) << "a preview changes nothing";
  EXPECT_EQ(Count("SELECT count(*) FROM outbox"), queued);

  const std::string action = SeriesPath(id) + "/change";
  Fields confirm = HiddenFields(p, action);
  ASSERT_FALSE(FormETag(p, action).empty());
  Page done = Submit(s_, action, confirm);
  ASSERT_EQ(done.status, 303) << done.body;
  EXPECT_EQ(Starts("2027-01-01", "2027-12-31"),
            (std::vector<std::string>{"2027-01-18T10:30", "2027-03-15T10:30", "2027-05-17T18:00",
                                      "2027-07-19T18:00", "2027-09-20T18:00", "2027-11-15T18:00"}));
  // One notice per member for the whole change, none per meeting.
  EXPECT_EQ(Outbox("series_change"), 21);
  EXPECT_EQ(Count("SELECT count(DISTINCT recipient) FROM outbox WHERE kind='series_change'"), 21);
  EXPECT_EQ(Outbox("meeting_change"), meeting_changes);
  EXPECT_EQ(Count("SELECT count(*) FROM outbox"), queued + 21);
  Page after = Get(done.Header("Location"), s_.cookie);
  EXPECT_TRUE(
      after.Has("<p class=\"ok\" role=\"status\">Saved: the series is changed from Monday "
                "17 May 2027 on (4 meetings changed). The notices are on their way: 21 people "
                "will get an email.</p>"))
      << after.body;
}

TEST_F(SeriesPagesTest, AChangeOntoABookedVenueSaysSoAndCanGoAhead) {
  const calendar::Id id = DemoSeries();
  // Someone has the venue on 19 July 2027 from 18:00.
  SeriesInput evening;
  evening.title = "Evening talk";
  evening.venue_id = NextMeeting().venue.id;
  evening.start_time = "18:00";
  evening.duration_minutes = 60;
  evening.dates = std::vector<std::string>{"2027-07-19"};
  auto talk = ops().CreateSeries(org_.id, kDemoSlug, evening);
  ASSERT_TRUE(talk.ok()) << talk.status().ToString();
  Page p = Submit(s_, SeriesPath(id) + "/preview",
                  {{"action", "change"}, {"from", "2027-05-17"}, {"start_time", "18:00"}});
  ASSERT_EQ(p.status, 200) << p.body;
  EXPECT_TRUE(p.Has("<p class=\"err\">The venue is booked then by meeting " +
                    std::to_string(talk->meetings.front().meeting.id) + " of Socitm Futures"))
      << p.body;
  EXPECT_TRUE(p.Has("<button type=\"submit\" class=\"danger\">Change anyway and tell them"));
  const std::string action = SeriesPath(id) + "/change";
  const Fields confirm = HiddenFields(p, action);
  EXPECT_NE(
      std::find(confirm.begin(), confirm.end(), std::pair<std::string, std::string>("force", "1")),
      confirm.end());
  Page done = Submit(s_, action, confirm);
  ASSERT_EQ(done.status, 303) << done.body;
  EXPECT_EQ(Starts("2027-07-19", "2027-07-19"),
            (std::vector<std::string>{"2027-07-19T18:00", "2027-07-19T18:00"}));
}

TEST_F(SeriesPagesTest, AStaleETagSaysSomeoneChangedItMeanwhile) {
  const calendar::Id id = DemoSeries();
  Page p = Submit(s_, SeriesPath(id) + "/preview",
                  {{"action", "change"}, {"from", "2027-05-17"}, {"start_time", "18:00"}});
  ASSERT_EQ(p.status, 200) << p.body;
  const std::string action = SeriesPath(id) + "/change";
  const Fields confirm = HiddenFields(p, action);
  // Someone else changes the series after the preview was shown.
  auto now = ops().GetSeries(org_.id, id);
  ASSERT_TRUE(now.ok());
  SeriesPatch other;
  other.from = "2027-03-15";
  other.title = "Futures: strategy";
  ASSERT_TRUE(ops().ChangeSeries(org_.id, id, Operations::SeriesETag(now->series), other).ok());
  const int64_t told = Count("SELECT count(*) FROM outbox");
  Page stale = Submit(s_, action, confirm);
  EXPECT_EQ(stale.status, 412);
  EXPECT_TRUE(stale.Has("Someone changed this meanwhile")) << stale.body;
  EXPECT_TRUE(stale.Has("href=\"/organise/groups/futures\""));
  EXPECT_EQ(Starts("2027-05-17", "2027-05-17"), (std::vector<std::string>{"2027-05-17T10:30"}));
  EXPECT_EQ(Count("SELECT count(*) FROM outbox"), told);
}

TEST_F(SeriesPagesTest, EndingTheSeriesCancelsTheMeetingsStillToCome) {
  const calendar::Id id = DemoSeries();
  Page p = Submit(s_, SeriesPath(id) + "/preview", {{"action", "end"}});
  ASSERT_EQ(p.status, 200) << p.body;
  EXPECT_TRUE(p.Has("<h3>Meetings cancelled (6 meetings)</h3>")) << p.body;
  EXPECT_TRUE(p.Has("<li>Monday 18 January 2027, 10:30 to 13:00, Siemens, Hillgate House</li>"));
  EXPECT_TRUE(p.Has("<button type=\"submit\" class=\"danger\">End the series and tell them"));
  EXPECT_EQ(Starts("2027-01-01", "2027-12-31").size(), 6u) << "a preview changes nothing";
  const std::string action = SeriesPath(id) + "/end";
  Page done = Submit(s_, action, HiddenFields(p, action));
  ASSERT_EQ(done.status, 303) << done.body;
  EXPECT_TRUE(Starts("2027-01-01", "2027-12-31").empty());
  EXPECT_EQ(Starts("2010-01-01", "2010-12-31").size(), 5u) << "the 2010 meetings stay";
  EXPECT_EQ(Outbox("series_change"), 21);
  Page after = Get(done.Header("Location"), s_.cookie);
  EXPECT_TRUE(
      after.Has("The series is ended: 6 meetings cancelled. The notices are on their way: 21 "
                "people will get an email."))
      << after.body;
  EXPECT_TRUE(after.Has("No meetings still to come.</p>")) << "the 2027 series has none left";
}

TEST_F(SeriesPagesTest, ExtendingAddsTheNextDatesOfTheRule) {
  const calendar::Id id = DemoSeries();
  // 8 meetings instead of 6: after 15 November 2027 come the 3rd Mondays of January 2028 (the
  // 17th) and March 2028 (the 20th).
  Page p = Submit(s_, SeriesPath(id) + "/preview",
                  {{"action", "extend"}, {"until", ""}, {"count", "8"}});
  ASSERT_EQ(p.status, 200) << p.body;
  EXPECT_TRUE(
      p.Has("<h3>Meetings added (2 meetings)</h3>\n<ul class=\"dates\"><li>Monday 17 "
            "January 2028, 10:30 to 13:00, Siemens, Hillgate House</li><li>Monday 20 "
            "March 2028, 10:30 to 13:00, Siemens, Hillgate House</li></ul>"))
      << p.body;
  const std::string action = SeriesPath(id) + "/change";
  Page done = Submit(s_, action, HiddenFields(p, action));
  ASSERT_EQ(done.status, 303) << done.body;
  EXPECT_EQ(Starts("2028-01-01", "2028-12-31"),
            (std::vector<std::string>{"2028-01-17T10:30", "2028-03-20T10:30"}));
  EXPECT_TRUE(Get(done.Header("Location"), s_.cookie)
                  .Has("Saved: Every other month on the 3rd Monday, 8 times, the last on Monday 20 "
                       "March 2028 (2 meetings added)."));
}

TEST_F(SeriesPagesTest, SeriesFormsNeedTheFormTokenAndTheirOwner) {
  const calendar::Id id = DemoSeries();
  ASSERT_TRUE(ops().SetPassword("other@example.org", "another long password").ok());
  Session other = Login("other@example.org", "another long password");
  const std::string before = Snapshot();
  const int64_t queued = Count("SELECT count(*) FROM outbox");
  const std::vector<std::pair<std::string, Fields>> forms = {
      {"/organise/groups/futures/series/preview", Sentence("1", "monthly", "1", "MO", "2", "")},
      {"/organise/groups/futures/series", Sentence("1", "monthly", "1", "MO", "2", "")},
      {SeriesPath(id) + "/preview", {{"action", "end"}}},
      {SeriesPath(id) + "/change", {{"action", "change"}, {"from", "2027-05-17"}, {"etag", "*"}}},
      {SeriesPath(id) + "/end", {{"etag", "*"}}},
  };
  for (const auto& [path, fields] : forms) {
    Page p = Post(path, fields, s_.cookie);
    EXPECT_EQ(p.status, 403) << path;
  }
  for (const auto& [path, fields] : forms)
    EXPECT_EQ(Submit(other, path, fields).status, 404) << path;
  EXPECT_EQ(Snapshot(), before);
  EXPECT_EQ(Count("SELECT count(*) FROM outbox"), queued);
}

}  // namespace
}  // namespace convene::server
