// Issue 12, the organiser's and members' desk: presenters of a past meeting tell nobody and those
// of a coming one go through the preview; the member page always shows a working calendar link
// and a new one is POST/redirect/GET; the organiser sends a page link without revoking the old
// one unless asked; previews and results say plainly when nobody is told; a new member's page
// says the welcome went; the outbox page lists every notice, one row per change.
#include <nlohmann/json.hpp>

#include "server/http/links.h"
#include "tests/http/pages_fixture.h"

namespace convene::server {
namespace {

using Fields = std::vector<std::pair<std::string, std::string>>;
using nlohmann::json;

std::string Unescape(std::string v) {
  for (const auto& [from, to] : std::vector<std::pair<std::string, std::string>>{
           {"&quot;", "\""}, {"&apos;", "'"}, {"&lt;", "<"}, {"&gt;", ">"}, {"&amp;", "&"}})
    for (size_t at; (at = v.find(from)) != std::string::npos;) v.replace(at, from.size(), to);
  return v;
}

// The hidden fields of the form posting to `action`, as a browser would send them (csrf too).
Fields HiddenFields(const Page& p, const std::string& action) {
  Fields out;
  const size_t start = p.body.find("action=\"" + action + "\"");
  if (start == std::string::npos) {
    ADD_FAILURE() << "no form posting to " << action << "\n" << p.body;
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

// The number of people a preview says will be told: "21 people will get an email", or 0 for
// "Nobody will get an email"; -1 when the page says neither.
int ToldCount(const Page& p) {
  if (p.Has("<p>Nobody will get an email")) return 0;
  const std::string n = Find(p.body, "<p>(\\d+) (?:people|person) will get an email");
  return n.empty() ? -1 : std::stoi(n);
}

class DeskBugsTest : public RealNoticesTest {
 protected:
  void SetUp() override {
    RealNoticesTest::SetUp();
    s_ = Login();
    ASSERT_FALSE(s_.cookie.empty());
  }
  static std::string MeetingPath(calendar::Id id) {
    return "/organise/meetings/" + std::to_string(id);
  }
  int64_t NoticesAbout(calendar::Id meeting) {
    return Count("SELECT count(*) FROM outbox WHERE meeting_id=" + std::to_string(meeting));
  }
  int64_t Presenters(calendar::Id meeting) {
    return Count("SELECT count(*) FROM presenters WHERE meeting_id=" + std::to_string(meeting));
  }
  std::string Revision() { return Text("SELECT value FROM meta WHERE key='revision'"); }
  // The JSON API with the page session (its form token in X-CSRF-Token).
  std::pair<int, json> Api(const std::string& method, const std::string& path,
                           const json& body = nullptr) {
    auto c = server_.Client();
    httplib::Headers h = {{"Cookie", s_.cookie}, {"X-CSRF-Token", s_.csrf}};
    httplib::Result r = method == "POST" ? c.Post(path.c_str(), h, body.dump(), "application/json")
                                         : c.Delete(path.c_str(), h);
    EXPECT_TRUE(r) << method << " " << path;
    if (!r) return {0, nullptr};
    return {r->status, json::parse(r->body, nullptr, false)};
  }
  // The member feed link (https) shown on a member page, or empty.
  static std::string FeedLink(const Page& p) {
    return Find(p.body, "(http://convene\\.test/feeds/members/[A-Za-z0-9_-]{43}\\.ics)");
  }
  static std::string FeedPath(const std::string& url) {
    return url.substr(std::string("http://convene.test").size());
  }
  // The personal page link shown on the members page, or empty.
  static std::string PageLink(const Page& p) {
    return Find(p.body,
                "<span class=\"link-box\">http://convene\\.test(/m/[A-Za-z0-9_-]{43})</span>");
  }

  Session s_;
};

// ---- 1. presenters ----

TEST_F(DeskBugsTest, PresenterOfAPastMeetingTellsNobodyFromThePage) {
  const calendar::Id march = MarchMeeting();  // 15 March 2010; the clock is in 2026
  const std::string m = MeetingPath(march);
  const int64_t notices = NoticesAbout(march);
  const std::string revision = Revision();
  Page add = Submit(s_, m + "/presenters",
                    {{"name", "Ada Lovelace"},
                     {"organisation", "Analytical"},
                     {"topic", "Engines"},
                     {"email", "ada@example.org"}});
  ASSERT_EQ(add.status, 303) << add.body;
  EXPECT_EQ(NoticesAbout(march), notices) << "nobody is told of a meeting long past";
  EXPECT_NE(Revision(), revision) << "the feeds still change";
  EXPECT_TRUE(Get("/meetings/" + std::to_string(march)).Has("Ada Lovelace"));
  Page page = Get(add.Header("Location"), s_.cookie);
  EXPECT_TRUE(page.Has("Presenter added.")) << page.body;
  EXPECT_TRUE(page.Has("nobody was emailed")) << page.body;

  ASSERT_FALSE(Find(page.body, "/presenters/(\\d+)/delete").empty());
  const int64_t before = Presenters(march);
  Page remove = Submit(
      s_, m + "/presenters/" + std::to_string(Count("SELECT max(id) FROM presenters")) + "/delete",
      {});
  ASSERT_EQ(remove.status, 303) << remove.body;
  EXPECT_EQ(Presenters(march), before - 1);
  EXPECT_EQ(NoticesAbout(march), notices);
  EXPECT_TRUE(Get(remove.Header("Location"), s_.cookie).Has("nobody was emailed"));
}

TEST_F(DeskBugsTest, PresenterThroughTheApiTellsNobodyOfAPastMeetingButStillOfAComingOne) {
  const calendar::Id march = MarchMeeting();
  const int64_t notices = NoticesAbout(march);
  const std::string path = "/api/v1/meetings/" + std::to_string(march) + "/presenters";
  auto [st, p] =
      Api("POST", path, {{"name", "Dr Ada"}, {"email", "ada@example.net"}, {"topic", "Engines"}});
  ASSERT_EQ(st, 201) << p.dump();
  EXPECT_EQ(NoticesAbout(march), notices);
  auto [del, _] = Api("DELETE", path + "/" + std::to_string(p["id"].get<int64_t>()));
  EXPECT_EQ(del, 204);
  EXPECT_EQ(NoticesAbout(march), notices);

  // A meeting still to come: the API adds at once (it has no preview) and everyone is told.
  const calendar::Id next = NextMeeting().meeting.id;
  const int64_t before = NoticesAbout(next);
  auto [st2, p2] = Api("POST", "/api/v1/meetings/" + std::to_string(next) + "/presenters",
                       {{"name", "Dr Ada"}, {"email", "ada@example.net"}, {"topic", "Engines"}});
  ASSERT_EQ(st2, 201) << p2.dump();
  EXPECT_EQ(NoticesAbout(next) - before, 22) << "21 members and the presenter";
}

TEST_F(DeskBugsTest, PresenterOfAComingMeetingGoesThroughThePreview) {
  const calendar::Id next = NextMeeting().meeting.id;
  const std::string m = MeetingPath(next);
  EXPECT_TRUE(Get(m, s_.cookie).Has("Preview the new presenter"));
  const std::string snapshot = Snapshot();
  const int64_t notices = NoticesAbout(next);
  Page preview = Submit(s_, m + "/presenters",
                        {{"name", "Ada Lovelace"},
                         {"organisation", "Analytical"},
                         {"topic", "Engines"},
                         {"email", "ada@example.org"}});
  ASSERT_EQ(preview.status, 200) << preview.body;
  EXPECT_TRUE(preview.Has("Check before sending"));
  EXPECT_EQ(Snapshot(), snapshot) << "a preview writes nothing";
  EXPECT_EQ(NoticesAbout(next), notices) << "and queues nothing";
  EXPECT_TRUE(preview.Has("Ada Lovelace (Analytical): Engines"));
  EXPECT_EQ(ToldCount(preview), 22) << preview.body;
  EXPECT_TRUE(preview.Has("Ada Lovelace &lt;ada@example.org&gt;"));
  EXPECT_TRUE(preview.Has(">Confirm and tell them</button>"));

  const Fields confirm = HiddenFields(preview, m + "/presenters");
  Page done = Post(m + "/presenters", confirm, s_.cookie);
  ASSERT_EQ(done.status, 303) << done.body;
  EXPECT_EQ(Presenters(next), 1);
  EXPECT_EQ(NoticesAbout(next) - notices, 22) << "the preview's count is what was queued";
  EXPECT_TRUE(Get(done.Header("Location"), s_.cookie)
                  .Has("Presenter added. The notices are on their way: 22 people will get an "
                       "email."));
  // The same confirm form again (a reload): its version is stale, nothing is added twice.
  Page again = Post(m + "/presenters", confirm, s_.cookie);
  EXPECT_EQ(again.status, 412);
  EXPECT_TRUE(again.Has("Someone changed this meanwhile"));
  EXPECT_EQ(Presenters(next), 1);

  // Removing one previews too.
  const std::string pid = std::to_string(Count("SELECT max(id) FROM presenters"));
  const std::string remove = m + "/presenters/" + pid + "/delete";
  Page rp = Submit(s_, remove, {});
  ASSERT_EQ(rp.status, 200) << rp.body;
  EXPECT_TRUE(rp.Has("Check before sending"));
  EXPECT_EQ(Presenters(next), 1);
  Page removed = Post(remove, HiddenFields(rp, remove), s_.cookie);
  ASSERT_EQ(removed.status, 303) << removed.body;
  EXPECT_EQ(Presenters(next), 0);
}

// ---- 5. previews and results that tell nobody ----

TEST_F(DeskBugsTest, AChangeThatTellsNobodySaysSoPlainly) {
  const MeetingView next = NextMeeting();
  const std::string m = MeetingPath(next.meeting.id);
  const std::string home = std::to_string(next.venue.id);
  const std::string guildhall = std::to_string(AddVenue("Guildhall"));
  auto preview = [&](const std::string& venue) {
    return Submit(s_, m + "/preview", {{"action", "venue"}, {"venue_id", venue}});
  };
  Page first = preview(guildhall);
  ASSERT_EQ(ToldCount(first), 21) << first.body;
  EXPECT_EQ(Occurrences(first.body, "21 people"), 1u) << "said once";
  EXPECT_TRUE(first.Has(">Confirm and tell them</button>"));
  Page done = Post(m + "/change", HiddenFields(first, m + "/change"), s_.cookie);
  ASSERT_EQ(done.status, 303) << done.body;
  EXPECT_TRUE(Get(done.Header("Location"), s_.cookie)
                  .Has("Saved. The notices are on their way: 21 people will get an email."));

  // Undone inside the window: the 21 waiting notices are withdrawn and nobody is told.
  Page undo = preview(home);
  ASSERT_EQ(undo.status, 200) << undo.body;
  EXPECT_EQ(ToldCount(undo), 0) << undo.body;
  EXPECT_FALSE(undo.Has("0 people"));
  EXPECT_FALSE(undo.Has("tell them")) << "nobody to tell";
  EXPECT_TRUE(undo.Has(">Confirm</button>"));
  EXPECT_FALSE(undo.Has("is withdrawn: this change undoes it"));
  EXPECT_TRUE(
      undo.Has("21 people get no email: the email about the earlier change had not gone "
               "out yet, and this change undoes it, so it will not be sent."))
      << undo.body;
  Page saved = Post(m + "/change", HiddenFields(undo, m + "/change"), s_.cookie);
  ASSERT_EQ(saved.status, 303) << saved.body;
  Page result = Get(saved.Header("Location"), s_.cookie);
  EXPECT_TRUE(result.Has("Saved. Nobody needed an email")) << result.body;
  EXPECT_FALSE(result.Has("on their way"));
}

TEST_F(DeskBugsTest, ASeriesChangeThatTellsNobodySaysSoToo) {
  auto all = ops().ListSeries(org_.id, kDemoSlug);
  ASSERT_TRUE(all.ok());
  calendar::Id id = 0;
  for (const SeriesSummary& s : *all)
    if (s.upcoming > 0) id = s.series.id;
  ASSERT_NE(id, 0);
  const std::string base = "/organise/series/" + std::to_string(id);
  auto preview = [&](const std::string& start) {
    return Submit(s_, base + "/preview",
                  {{"action", "change"},
                   {"from", "2027-05-17"},
                   {"venue_id", ""},
                   {"start_time", start},
                   {"duration_minutes", ""},
                   {"title", ""},
                   {"agenda", ""}});
  };
  Page first = preview("18:00");
  ASSERT_EQ(ToldCount(first), 21) << first.body;
  EXPECT_EQ(Occurrences(first.body, "21 people"), 1u);
  ASSERT_EQ(Post(base + "/change", HiddenFields(first, base + "/change"), s_.cookie).status, 303);
  Page undo = preview("10:30");
  ASSERT_EQ(undo.status, 200) << undo.body;
  EXPECT_EQ(ToldCount(undo), 0) << undo.body;
  EXPECT_FALSE(undo.Has("tell them"));
  EXPECT_TRUE(undo.Has(">Confirm</button>"));
  Page saved = Post(base + "/change", HiddenFields(undo, base + "/change"), s_.cookie);
  ASSERT_EQ(saved.status, 303) << saved.body;
  Page result = Get(saved.Header("Location"), s_.cookie);
  EXPECT_TRUE(result.Has("Nobody needed an email")) << result.body;
  EXPECT_FALSE(result.Has("The members are being told"));
}

// ---- 6. a new member ----

TEST_F(DeskBugsTest, ANewMembersPageSaysTheWelcomeWentWithTheirLinks) {
  Page added = Submit(s_, "/organise/groups/futures/members",
                      {{"name", "Grace Hopper"}, {"email", "grace@example.org"}});
  ASSERT_EQ(added.status, 200) << added.body;
  EXPECT_TRUE(
      added.Has("A welcome email with their personal page link and calendar link is on "
                "its way to grace@example.org"))
      << added.body;
  EXPECT_FALSE(added.Has("no longer work"));
  EXPECT_FALSE(added.Has("Send it to them"));
  EXPECT_EQ(Count("SELECT count(*) FROM outbox WHERE kind='welcome' AND "
                  "recipient='grace@example.org'"),
            1);
}

// ---- 2. calendar and page links ----

TEST_F(DeskBugsTest, TheMemberPageAlwaysShowsAWorkingCalendarLink) {
  const std::string token = PageToken("Ian Cooper");
  const std::string snapshot = Snapshot();
  Page p = Get("/m/" + token);
  ASSERT_EQ(p.status, 200) << p.body;
  const std::string https = FeedLink(p);
  ASSERT_FALSE(https.empty()) << p.body;
  EXPECT_TRUE(p.Has("webcal://convene.test" + FeedPath(https)));
  EXPECT_FALSE(p.Has("You already have a calendar link"));
  EXPECT_TRUE(p.Has("paste the https link above"));
  EXPECT_EQ(Snapshot(), snapshot) << "a GET writes nothing";
  Page feed = Get(FeedPath(https));
  EXPECT_EQ(feed.status, 200);
  EXPECT_NE(feed.body.find("BEGIN:VCALENDAR"), std::string::npos);
  EXPECT_NE(feed.body.find("Socitm Futures"), std::string::npos);
  EXPECT_EQ(FeedLink(Get("/m/" + token)), https) << "the same link on every visit";
}

TEST_F(DeskBugsTest, ANewCalendarLinkIsPostRedirectGetAndEndsEveryOldOne) {
  const std::string token = PageToken("Ian Cooper");
  Page p = Get("/m/" + token);
  const std::string old_link = FeedLink(p);
  ASSERT_FALSE(old_link.empty());
  // A calendar link stored by its hash (as the welcome email's, or one from the API).
  auto rotated = ops().RotateMemberLink(org_.id, MemberNamed("Ian Cooper").id, "feed", false);
  ASSERT_TRUE(rotated.ok());
  const std::string stored = "/feeds/members/" + rotated->feed_token + ".ics";
  ASSERT_EQ(Get(stored).status, 200);
  EXPECT_EQ(Get(FeedPath(old_link)).status, 404)
      << "the organiser's new feed link ended the page's one too";
  p = Get("/m/" + token);
  const std::string page_link = FeedLink(p);
  ASSERT_EQ(Get(FeedPath(page_link)).status, 200);

  Page post = Post("/m/" + token + "/feed-link", {{"csrf", Csrf(p)}});
  ASSERT_EQ(post.status, 303) << post.body;
  const std::string location = post.Header("Location");
  EXPECT_EQ(location.rfind("/m/" + token, 0), 0u) << location;
  const std::string tokens = Text("SELECT count(*) FROM tokens");
  Page shown = Get(location);
  ASSERT_EQ(shown.status, 200);
  EXPECT_EQ(Text("SELECT count(*) FROM tokens"), tokens) << "a reload issues nothing";
  const std::string fresh = FeedLink(shown);
  ASSERT_FALSE(fresh.empty());
  EXPECT_NE(fresh, page_link);
  EXPECT_TRUE(shown.Has("This is your new calendar link")) << shown.body;
  EXPECT_EQ(Get(FeedPath(fresh)).status, 200);
  EXPECT_EQ(Get(FeedPath(page_link)).status, 404) << "the page's old link stops working";
  EXPECT_EQ(Get(stored).status, 404) << "and so does the stored one";
  EXPECT_EQ(FeedLink(Get(location)), fresh) << "a reload shows the same new link";
}

TEST_F(DeskBugsTest, TheOrganiserSendsAPageLinkWithoutRevokingUnlessAsked) {
  const calendar::Id ian = MemberNamed("Ian Cooper").id;
  const std::string old_token = PageToken("Ian Cooper");
  ASSERT_EQ(Get("/m/" + old_token).status, 200);
  const std::string members = "/organise/groups/futures/members";
  EXPECT_TRUE(Get(members, s_.cookie).Has("Send their page link"));
  const std::string snapshot = Snapshot();

  Page sent = Submit(s_, "/organise/members/" + std::to_string(ian) + "/link", {});
  ASSERT_EQ(sent.status, 303) << sent.body;
  Page shown = Get(sent.Header("Location"), s_.cookie);
  const std::string link = PageLink(shown);
  ASSERT_FALSE(link.empty()) << shown.body;
  EXPECT_FALSE(shown.Has("no longer work")) << shown.body;
  EXPECT_TRUE(shown.Has("Their earlier page links still work"));
  EXPECT_EQ(Snapshot(), snapshot) << "nothing revoked, nothing issued";
  EXPECT_EQ(Get("/m/" + old_token).status, 200) << "the old link still works";
  EXPECT_EQ(Get(link).status, 200) << "and so does the one to send";

  Page revoked =
      Submit(s_, "/organise/members/" + std::to_string(ian) + "/link", {{"revoke", "1"}});
  ASSERT_EQ(revoked.status, 303) << revoked.body;
  Page after = Get(revoked.Header("Location"), s_.cookie);
  const std::string fresh = PageLink(after);
  ASSERT_FALSE(fresh.empty()) << after.body;
  EXPECT_NE(fresh, link);
  EXPECT_TRUE(after.Has("Their earlier page links no longer work"));
  EXPECT_EQ(Get("/m/" + old_token).status, 404);
  EXPECT_EQ(Get(link).status, 404);
  EXPECT_EQ(Get(fresh).status, 200);
}

// ---- 8. the outbox page ----

TEST_F(DeskBugsTest, TheOutboxListsEveryNoticeOneRowPerChangeFailuresFirst) {
  const calendar::Id guildhall = AddVenue("Guildhall");
  ASSERT_TRUE(ChangeNext(VenuePatch(guildhall)).ok());
  const calendar::Id meeting = NextMeeting().meeting.id;
  const std::string ian = MemberNamed("Ian Cooper").email;
  {
    // The first change's notices went, but the relay refused Ian's.
    auto tx = server_.app().db().Write();
    ASSERT_TRUE(tx->Exec("UPDATE outbox SET status='sent' WHERE status='queued'").ok());
    ASSERT_TRUE(tx->Exec("UPDATE outbox SET status='failed', last_error='550 gone' WHERE "
                         "kind='meeting_change' AND recipient='" +
                         ian + "' AND meeting_id=" + std::to_string(meeting))
                    .ok());
    ASSERT_TRUE(tx->Commit().ok());
  }
  server_.clock().Advance(1);
  ASSERT_TRUE(ChangeNext(VenuePatch(AddVenue("Mansion House"))).ok());
  ASSERT_TRUE(ChangeNext(VenuePatch(guildhall)).ok());  // undone inside the window
  ASSERT_EQ(Count("SELECT count(*) FROM outbox WHERE status='failed'"), 1);
  ASSERT_EQ(Count("SELECT count(*) FROM outbox WHERE status='superseded'"), 21);

  Page all = Get("/organise/outbox", s_.cookie);
  ASSERT_EQ(all.status, 200) << all.body;
  EXPECT_TRUE(all.Has("<span class=\"status-superseded\">")) << "All means all";
  EXPECT_EQ(Occurrences(all.body, "<tr class=\"recipient"),
            static_cast<size_t>(Count("SELECT count(*) FROM outbox")))
      << "every notice, each recipient in its change's list";
  // One row per change, saying how it went.
  EXPECT_EQ(
      Occurrences(all.body, "<details class=\"recipients\""),
      static_cast<size_t>(Count("SELECT count(*) FROM (SELECT DISTINCT kind, meeting_id, subject, "
                                "created_at FROM outbox) AS changes")));
  EXPECT_TRUE(all.Has("21 recipients: 20 sent, 1 failed")) << all.body;
  EXPECT_TRUE(all.Has("21 recipients: 21 superseded"));
  // The change with a failure comes first, flagged.
  const size_t first = all.body.find("<li class=\"notice");
  ASSERT_NE(first, std::string::npos);
  EXPECT_EQ(all.body.find("<li class=\"notice failed\">"), first) << all.body;
  const size_t failed_subject = all.body.find("Venue changed:", first);
  EXPECT_LT(failed_subject, all.body.find("<li class=\"notice", first + 1));

  Page only_failed = Get("/organise/outbox?status=failed", s_.cookie);
  EXPECT_EQ(Occurrences(only_failed.body, "<tr class=\"recipient"), 1u);
  EXPECT_TRUE(only_failed.Has("1 recipient: 1 failed"));
}

}  // namespace
}  // namespace convene::server
