// The organiser's pages over real HTTP: login and sessions, CSRF on every form, the dashboard,
// change previews, presenters, members, groups, venues and series (organiser_minutes_test.cc: the
// register, the minutes header, the API with a session, throttling, https cookies).
#include <fstream>
#include <sstream>

#include "tests/http/pages_fixture.h"

namespace convene::server {
namespace {

TEST_F(PagesTest, LoginOpensANewSessionWithASafeCookie) {
  Page r;
  Session s = Login(kDemoOrganiser, kPassword, &r);
  ASSERT_EQ(r.status, 303) << r.body;
  EXPECT_EQ(r.Header("Location"), "/organise");
  std::string set_cookie;
  for (const std::string& c : r.Headers("Set-Cookie"))
    if (c.rfind("convene_session=", 0) == 0) set_cookie = c;
  EXPECT_NE(set_cookie.find("HttpOnly"), std::string::npos) << set_cookie;
  EXPECT_NE(set_cookie.find("SameSite=Lax"), std::string::npos) << set_cookie;
  EXPECT_NE(set_cookie.find("Path=/"), std::string::npos) << set_cookie;
  EXPECT_EQ(set_cookie.find("Secure"), std::string::npos) << "base_url is http";
  ASSERT_FALSE(s.csrf.empty());
  Session again = Login();
  EXPECT_NE(again.cookie, s.cookie) << "a new session on every login";
  EXPECT_EQ(Count("SELECT count(*) FROM tokens WHERE kind='session' AND revoked_at IS NULL"), 2);
  // The session token is stored as its hash only.
  const std::string token = s.cookie.substr(s.cookie.find('=') + 1);
  EXPECT_EQ(Count("SELECT count(*) FROM tokens WHERE hash='" + token + "'"), 0);
  EXPECT_EQ(Count("SELECT count(*) FROM tokens WHERE hash='" + HashSecret(token) + "'"), 1);
  Page dash = Get("/organise", s.cookie);
  EXPECT_EQ(dash.status, 200);
  EXPECT_EQ(dash.Header("Cache-Control"), "no-store");
  EXPECT_EQ(dash.Header("Referrer-Policy"), "no-referrer");
  EXPECT_TRUE(dash.Has("Socitm Futures"));
}

// The dashboard: each group's next three meetings (from today), each with its date, times,
// venue and apologies count, linked to its organiser page.
TEST_F(PagesTest, TheDashboardListsEachGroupsNextThreeMeetings) {
  Session s = Login(kDemoOrganiser, kPassword);
  auto upcoming = ops().UpcomingMeetings(org_.id, kDemoSlug);
  ASSERT_TRUE(upcoming.ok());
  ASSERT_GE(upcoming->size(), 4u);
  Page dash = Get("/organise", s.cookie);
  ASSERT_EQ(dash.status, 200);
  for (size_t i = 0; i < upcoming->size(); ++i) {
    const calendar::Meeting& m = (*upcoming)[i].meeting;
    EXPECT_EQ(dash.Has("<a href=\"/organise/meetings/" + std::to_string(m.id) + "\">"), i < 3)
        << "meeting " << i << " of those to come";
  }
  // The demo's series of 2027 (the clock is in 2026): the 3rd Monday of every other month from
  // January, 10:30 for two and a half hours.
  EXPECT_TRUE(dash.Has("Monday 18 January 2027</a>, 10:30 to 13:00 at ")) << dash.body;
  EXPECT_TRUE(dash.Has("Monday 15 March 2027</a>, 10:30 to 13:00 at "));
  EXPECT_TRUE(dash.Has("Monday 17 May 2027</a>, 10:30 to 13:00 at "));
  EXPECT_FALSE(dash.Has("Monday 19 July 2027"));
  EXPECT_TRUE(dash.Has(" · apologies: 0</p>"));
}

TEST_F(PagesTest, WrongPasswordShowsTheFormAgainWith401) {
  Page r;
  Session s = Login(kDemoOrganiser, "not the password at all", &r);
  EXPECT_EQ(r.status, 401);
  EXPECT_TRUE(s.cookie.empty());
  EXPECT_TRUE(r.Has("That email and password do not match"));
  EXPECT_TRUE(r.Has("value=\"secretary@example.org\""));
  Session unknown = Login("nobody@example.org", kPassword, &r);
  EXPECT_EQ(r.status, 401);
  EXPECT_TRUE(r.Has("That email and password do not match"));
  EXPECT_EQ(Count("SELECT count(*) FROM tokens WHERE kind='session'"), 0);
}

TEST_F(PagesTest, LoginFormNeedsItsFormToken) {
  Page form = Get("/login");
  const std::string cookie = CookieOf(form, "convene_login");
  ASSERT_FALSE(cookie.empty());
  const std::vector<std::pair<std::string, std::string>> creds = {{"email", kDemoOrganiser},
                                                                  {"password", kPassword}};
  auto with = [&](const std::string& csrf) {
    auto f = creds;
    if (!csrf.empty()) f.push_back({"csrf", csrf});
    return f;
  };
  EXPECT_EQ(Post("/login", with(""), cookie).status, 403);
  EXPECT_EQ(Post("/login", with(std::string(43, 'x')), cookie).status, 403);
  EXPECT_EQ(Post("/login", with(Csrf(form))).status, 403) << "token without its cookie";
  EXPECT_EQ(Count("SELECT count(*) FROM tokens WHERE kind='session'"), 0);
  EXPECT_EQ(Count("SELECT count(*) FROM login_failures"), 0) << "refused before any check";
  EXPECT_EQ(Post("/login", with(Csrf(form)), cookie).status, 303);
}

TEST_F(PagesTest, LogoutEndsTheSession) {
  Session s = Login();
  ASSERT_EQ(Get("/organise", s.cookie).status, 200);
  EXPECT_EQ(Post("/logout", {{"csrf", "wrong"}}, s.cookie).status, 403);
  EXPECT_EQ(Get("/organise", s.cookie).status, 200) << "a forged logout does nothing";
  Page out = Post("/logout", {{"csrf", s.csrf}}, s.cookie);
  EXPECT_EQ(out.status, 303);
  EXPECT_EQ(out.Header("Location"), "/login?out=1");
  EXPECT_EQ(CookieOf(out, "convene_session"), "convene_session=");
  Page after = Get("/organise", s.cookie);
  EXPECT_EQ(after.status, 303);
  // (cpp-httplib's client percent-decodes header values: the server sent next=%2Forganise.)
  EXPECT_EQ(after.Header("Location"), "/login?next=/organise");
  auto c = server_.Client();
  auto api = c.Get("/api/v1/groups", {{"Cookie", s.cookie}, {"X-CSRF-Token", s.csrf}});
  ASSERT_TRUE(api);
  EXPECT_EQ(api->status, 401);
}

TEST_F(PagesTest, OrganiserPagesNeedASession) {
  const std::string id = std::to_string(NextMeeting().meeting.id);
  for (const std::string& path :
       {std::string("/organise"), std::string("/organise/venues"), std::string("/organise/account"),
        std::string("/organise/groups/futures"), std::string("/organise/groups/futures/members"),
        "/organise/meetings/" + id, "/organise/meetings/" + id + "/register",
        "/organise/meetings/" + id + "/minutes"}) {
    Page p = Get(path);
    EXPECT_EQ(p.status, 303) << path;
    EXPECT_EQ(p.Header("Location"), "/login?next=" + path);
  }
  Page p = Post("/organise/meetings/" + id + "/preview", {{"action", "cancel"}});
  EXPECT_EQ(p.status, 401);
  EXPECT_TRUE(p.Has("Please log in"));
  Page md = Get("/meetings/" + std::to_string(MarchMeeting()) + "/minutes.md");
  EXPECT_EQ(md.status, 401);
  EXPECT_EQ(md.Header("Content-Type"), "text/html; charset=utf-8");
}

TEST_F(PagesTest, LoginRedirectsOnlyToLocalPaths) {
  for (const auto& [next, want] :
       std::vector<std::pair<std::string, std::string>>{{"/organise/venues", "/organise/venues"},
                                                        {"//evil.example/", "/organise"},
                                                        {"https://evil.example/", "/organise"},
                                                        {"/\\evil.example", "/organise"}}) {
    Page form = Get("/login?next=" + httplib::detail::encode_query_param(next));
    Page r = Post(
        "/login",
        {{"csrf", Csrf(form)}, {"email", kDemoOrganiser}, {"password", kPassword}, {"next", next}},
        CookieOf(form, "convene_login"));
    EXPECT_EQ(r.status, 303);
    EXPECT_EQ(r.Header("Location"), want) << next;
  }
}

TEST_F(PagesTest, ForeignOrganiserSeesNotFound) {
  ASSERT_TRUE(ops().SetPassword("other@example.org", "another long password").ok());
  Session other = Login("other@example.org", "another long password");
  ASSERT_FALSE(other.cookie.empty());
  const std::string id = std::to_string(NextMeeting().meeting.id);
  EXPECT_EQ(Get("/organise/meetings/" + id, other.cookie).status, 404);
  EXPECT_EQ(Get("/organise/groups/futures", other.cookie).status, 404);
  EXPECT_EQ(Get("/organise/meetings/" + id + "/register", other.cookie).status, 404);
  EXPECT_EQ(Get("/meetings/" + id + "/minutes.md", other.cookie).status, 404);
  const std::string before = Snapshot();
  EXPECT_EQ(Post("/organise/meetings/" + id + "/change",
                 {{"csrf", other.csrf}, {"action", "cancel"}, {"etag", "*"}}, other.cookie)
                .status,
            404);
  EXPECT_EQ(Post("/organise/members/" + std::to_string(MemberNamed("Ian Cooper").id) + "/link",
                 {{"csrf", other.csrf}}, other.cookie)
                .status,
            404);
  EXPECT_EQ(Snapshot(), before);
}

TEST_F(PagesTest, OrganiserFormsWithoutTheSessionFormTokenAre403AndChangeNothing) {
  Session s = Login();
  Session second = Login();
  const MeetingView next = NextMeeting();
  const std::string m = "/organise/meetings/" + std::to_string(next.meeting.id);
  const std::string etag = Operations::MeetingETag(next.meeting);
  const std::vector<std::pair<std::string, std::vector<std::pair<std::string, std::string>>>>
      forms = {
          {m + "/change", {{"action", "cancel"}, {"etag", etag}}},
          {m + "/preview", {{"action", "cancel"}}},
          {m + "/presenters", {{"name", "X"}, {"topic", "Y"}}},
          {m + "/presenters/1/delete", {}},
          {m + "/register", {{"present", std::to_string(MemberNamed("Ian Cooper").id)}}},
          {"/organise/venues", {{"name", "V"}, {"address", "A"}}},
          {"/organise/groups/futures/members", {{"name", "N"}, {"email", "n@example.org"}}},
          {"/organise/groups/futures/series",
           {{"title", "T"},
            {"venue_id", "1"},
            {"start_time", "10:00"},
            {"duration_minutes", "60"},
            {"dates", "2027-12-01"}}},
          {"/organise/members/" + std::to_string(MemberNamed("Ian Cooper").id) + "/link", {}},
          {"/organise/members/" + std::to_string(MemberNamed("Ian Cooper").id) + "/remove", {}},
          {m + "/apologies", {{"member_id", std::to_string(MemberNamed("Ian Cooper").id)}}},
      };
  const std::string before = Snapshot();
  for (const auto& [path, fields] : forms) {
    for (const std::string& csrf : {std::string(), std::string("nope"), second.csrf}) {
      auto f = fields;
      if (!csrf.empty()) f.push_back({"csrf", csrf});
      Page p = Post(path, f, s.cookie);
      EXPECT_EQ(p.status, 403) << path << " csrf=" << csrf;
      EXPECT_TRUE(p.Has("This form has expired")) << path;
    }
  }
  EXPECT_EQ(Snapshot(), before);
  EXPECT_EQ(ChangeCount(), 0u);
}

TEST_F(PagesTest, MoveToAnotherVenueGoesThroughAPreview) {
  Session s = Login();
  Page add = Submit(
      s, "/organise/venues",
      {{"name", "Guildhall"}, {"address", "Gresham Street, London"}, {"postcode", "EC2V 7HH"}});
  ASSERT_EQ(add.status, 303) << add.body;
  const calendar::Id guildhall = Count("SELECT id FROM venues WHERE name='Guildhall'");
  const MeetingView next = NextMeeting();
  const std::string m = "/organise/meetings/" + std::to_string(next.meeting.id);
  Page page = Get(m, s.cookie);
  ASSERT_EQ(page.status, 200);
  EXPECT_TRUE(page.Has("<option value=\"" + std::to_string(guildhall) + "\">Guildhall</option>"));

  const std::string before = Snapshot();
  Page preview = Post(
      m + "/preview",
      {{"csrf", s.csrf}, {"action", "venue"}, {"venue_id", std::to_string(guildhall)}}, s.cookie);
  ASSERT_EQ(preview.status, 200) << preview.body;
  EXPECT_EQ(Snapshot(), before) << "a preview writes nothing";
  EXPECT_EQ(ChangeCount(), 0u) << "and queues no notice";
  EXPECT_TRUE(preview.Has("Siemens, Hillgate House, 26 Old Bailey, London EC4M 7HS"));
  EXPECT_TRUE(preview.Has("Guildhall, Gresham Street, London EC2V 7HH"));
  EXPECT_TRUE(preview.Has("21 people will get an email"));
  EXPECT_TRUE(preview.Has("ian.cooper@example.org"));
  EXPECT_EQ(Find(preview.body, "name=\"etag\" value=\"([^\"]+)\""),
            "&quot;m" + std::to_string(next.meeting.id) + "-" +
                std::to_string(next.meeting.version) + "&quot;");

  // The confirm form carries the same fields back.
  std::vector<std::pair<std::string, std::string>> confirm = {{"csrf", s.csrf}};
  std::regex hidden("<input type=\"hidden\" name=\"([a-z_]+)\" value=\"([^\"]*)\">");
  const std::string form_html = preview.body.substr(preview.body.find("/change\""));
  for (auto it = std::sregex_iterator(form_html.begin(), form_html.end(), hidden);
       it != std::sregex_iterator(); ++it) {
    std::string value = (*it)[2];
    for (size_t p; (p = value.find("&quot;")) != std::string::npos;) value.replace(p, 6, "\"");
    if ((*it)[1] != "csrf") confirm.push_back({(*it)[1], value});
  }
  Page done = Post(m + "/change", confirm, s.cookie);
  ASSERT_EQ(done.status, 303) << done.body;
  EXPECT_EQ(done.Header("Location"), m + "?done=changed&told=21&withdrawn=0");
  EXPECT_EQ(NextMeeting().venue.name, "Guildhall");
  ASSERT_EQ(ChangeCount(), 1u);
  EXPECT_EQ(Changes()[0].kinds, std::vector{MeetingEvent::Kind::kVenueChanged});
  EXPECT_TRUE(Get(done.Header("Location"), s.cookie)
                  .Has("Saved. The notices are on their way: 21 people will get an email."));

  // Sending the same confirm form again: its ETag is stale now.
  Page stale = Post(m + "/change", confirm, s.cookie);
  EXPECT_EQ(stale.status, 412);
  EXPECT_TRUE(stale.Has("Someone changed this meanwhile"));
  EXPECT_EQ(ChangeCount(), 1u);
}

TEST_F(PagesTest, MoveCancelAndReinstateFromThePages) {
  Session s = Login();
  MeetingView next = NextMeeting();
  const std::string m = "/organise/meetings/" + std::to_string(next.meeting.id);
  Page preview = Submit(
      s, m + "/preview",
      {{"action", "move"}, {"date", "2027-01-25"}, {"time", "14:00"}, {"duration_minutes", "90"}});
  ASSERT_EQ(preview.status, 200) << preview.body;
  EXPECT_TRUE(preview.Has("Monday 18 January 2027, 10:30 to 13:00"));
  EXPECT_TRUE(preview.Has("Monday 25 January 2027, 14:00 to 15:30"));
  Page moved = Post(m + "/change",
                    {{"csrf", s.csrf},
                     {"action", "move"},
                     {"date", "2027-01-25"},
                     {"time", "14:00"},
                     {"duration_minutes", "90"},
                     {"etag", Operations::MeetingETag(next.meeting)}},
                    s.cookie);
  ASSERT_EQ(moved.status, 303) << moved.body;
  next = *ops().GetMeeting(org_.id, next.meeting.id);
  EXPECT_EQ(calendar::FormatLocal(next.meeting.start), "2027-01-25T14:00");
  EXPECT_EQ(next.meeting.duration_minutes, 90);

  Page cancel_preview = Post(m + "/preview", {{"csrf", s.csrf}, {"action", "cancel"}}, s.cookie);
  EXPECT_TRUE(cancel_preview.Has("cancelled"));
  Post(m + "/change",
       {{"csrf", s.csrf}, {"action", "cancel"}, {"etag", Operations::MeetingETag(next.meeting)}},
       s.cookie);
  next = *ops().GetMeeting(org_.id, next.meeting.id);
  EXPECT_EQ(next.meeting.status, calendar::MeetingStatus::kCancelled);
  EXPECT_TRUE(Get(m, s.cookie).Has("Preview reinstating it"));
  Post(m + "/change",
       {{"csrf", s.csrf}, {"action", "reinstate"}, {"etag", Operations::MeetingETag(next.meeting)}},
       s.cookie);
  EXPECT_EQ(ops().GetMeeting(org_.id, next.meeting.id)->meeting.status,
            calendar::MeetingStatus::kScheduled);
  ASSERT_EQ(ChangeCount(), 3u);
  EXPECT_EQ(Changes()[1].kinds, std::vector{MeetingEvent::Kind::kCancelled});
  EXPECT_EQ(Changes()[2].kinds, std::vector{MeetingEvent::Kind::kReinstated});

  Page nothing = Post(m + "/preview", {{"csrf", s.csrf}, {"action", "reinstate"}}, s.cookie);
  EXPECT_TRUE(nothing.Has("Nothing would change"));
  Page bad = Post(m + "/preview",
                  {{"csrf", s.csrf}, {"action", "move"}, {"date", "2027-02-30"}, {"time", "10:00"}},
                  s.cookie);
  EXPECT_EQ(bad.status, 400);
  EXPECT_TRUE(bad.Has("href=\"" + m + "\"")) << "a way back";
}

TEST_F(PagesTest, PreviewShowsAVenueClashAndBookAnyway) {
  Session s = Login();
  auto upcoming = *ops().UpcomingMeetings(org_.id, kDemoSlug);
  ASSERT_GE(upcoming.size(), 2u);
  const std::string m = "/organise/meetings/" + std::to_string(upcoming[1].meeting.id);
  // Move the second meeting onto the first one's slot at the same venue.
  Page p = Post(m + "/preview",
                {{"csrf", s.csrf}, {"action", "move"}, {"date", "2027-01-18"}, {"time", "11:00"}},
                s.cookie);
  ASSERT_EQ(p.status, 200) << p.body;
  EXPECT_TRUE(p.Has("The venue is booked then by meeting"));
  EXPECT_TRUE(p.Has("name=\"force\" value=\"1\""));
  EXPECT_TRUE(p.Has("Book anyway and tell them"));
}

TEST_F(PagesTest, PresentersAreAddedAndRemoved) {
  Session s = Login();
  const MeetingView next = NextMeeting();
  const std::string m = "/organise/meetings/" + std::to_string(next.meeting.id);
  // A meeting still to come: first the preview, then its confirm form (desk_bugs_test.cc).
  Page preview = Submit(s, m + "/presenters",
                        {{"name", "Ada Lovelace"},
                         {"organisation", "Analytical"},
                         {"topic", "Engines"},
                         {"email", "ada@example.org"}});
  ASSERT_EQ(preview.status, 200) << preview.body;
  EXPECT_EQ(ChangeCount(), 0u);
  Page add = Submit(s, m + "/presenters",
                    {{"confirm", "1"},
                     {"etag", Operations::MeetingETag(next.meeting)},
                     {"name", "Ada Lovelace"},
                     {"organisation", "Analytical"},
                     {"topic", "Engines"},
                     {"email", "ada@example.org"}});
  ASSERT_EQ(add.status, 303) << add.body;
  Page page = Get(add.Header("Location"), s.cookie);
  EXPECT_TRUE(page.Has("Presenter added."));
  EXPECT_TRUE(page.Has("Ada Lovelace"));
  EXPECT_TRUE(Get("/meetings/" + std::to_string(next.meeting.id)).Has("Ada Lovelace"));
  const std::string pid = Find(page.body, "/presenters/(\\d+)/delete");
  ASSERT_FALSE(pid.empty());
  EXPECT_EQ(Post(m + "/presenters/" + pid + "/delete", {{"csrf", s.csrf}}, s.cookie).status, 200)
      << "the preview";
  EXPECT_EQ(
      Post(m + "/presenters/" + pid + "/delete",
           {{"csrf", s.csrf},
            {"confirm", "1"},
            {"etag", Operations::MeetingETag(ops().GetMeeting(org_.id, next.meeting.id)->meeting)}},
           s.cookie)
          .status,
      303);
  EXPECT_FALSE(Get(m, s.cookie).Has("Ada Lovelace"));
  Page bad = Post(m + "/presenters", {{"csrf", s.csrf}, {"name", "No Topic"}}, s.cookie);
  EXPECT_EQ(bad.status, 400);
  ASSERT_EQ(ChangeCount(), 2u);
  EXPECT_EQ(Changes()[0].kinds, std::vector{MeetingEvent::Kind::kPresenterAdded});
  EXPECT_EQ(Changes()[1].kinds, std::vector{MeetingEvent::Kind::kPresenterRemoved});
}

TEST_F(PagesTest, MembersAreAddedAndTheirPageLinkIsShownToSend) {
  Session s = Login();
  Page list = Get("/organise/groups/futures/members", s.cookie);
  ASSERT_EQ(list.status, 200);
  EXPECT_TRUE(list.Has("caron.alexander@example.org"));
  Page added = Submit(s, "/organise/groups/futures/members",
                      {{"name", "Grace Hopper"},
                       {"email", "grace@example.org"},
                       {"organisation", "Navy"},
                       {"delivery", "invitations"}});
  ASSERT_EQ(added.status, 200) << added.body;
  EXPECT_TRUE(added.Has("Grace Hopper is added."));
  EXPECT_FALSE(added.Has("http://convene.test/m/")) << "the welcome email took their links";

  const std::string id = std::to_string(MemberNamed("Grace Hopper").id);
  Page sent = Post("/organise/members/" + id + "/link", {{"csrf", s.csrf}}, s.cookie);
  ASSERT_EQ(sent.status, 303);
  const std::string link = Find(Get(sent.Header("Location"), s.cookie).body,
                                "http://convene\\.test/m/([A-Za-z0-9_-]{43})");
  ASSERT_FALSE(link.empty());
  EXPECT_TRUE(Get("/m/" + link).Has("Hello Grace Hopper"));
  EXPECT_FALSE(Get("/organise/groups/futures/members", s.cookie).Has(link)) << "asked for only";

  Page fresh =
      Post("/organise/members/" + id + "/link", {{"csrf", s.csrf}, {"revoke", "1"}}, s.cookie);
  ASSERT_EQ(fresh.status, 303);
  const std::string link2 = Find(Get(fresh.Header("Location"), s.cookie).body,
                                 "http://convene\\.test/m/([A-Za-z0-9_-]{43})");
  ASSERT_FALSE(link2.empty());
  EXPECT_NE(link, link2);
  EXPECT_EQ(Get("/m/" + link).status, 404) << "the old link stops working";
  EXPECT_EQ(Get("/m/" + link2).status, 200);
  Page dup = Post("/organise/groups/futures/members",
                  {{"csrf", s.csrf}, {"name", "Grace"}, {"email", "grace@example.org"}}, s.cookie);
  EXPECT_EQ(dup.status, 409);
}

TEST_F(PagesTest, OrganiserChangesTheirPasswordAndOtherSessionsEnd) {
  Session s = Login();
  Session elsewhere = Login();  // another browser
  ASSERT_FALSE(elsewhere.cookie.empty());
  Page account = Get("/organise/account", s.cookie);
  ASSERT_EQ(account.status, 200);
  EXPECT_TRUE(account.Has(kDemoOrganiser));
  EXPECT_EQ(account.Header("Cache-Control"), "no-store");
  const std::string path = "/organise/account/password";
  const std::string fresh = "a much longer new passphrase";
  const std::string before = Snapshot();
  EXPECT_EQ(
      Post(path, {{"current", kPassword}, {"password", fresh}, {"repeat", fresh}}, s.cookie).status,
      403)
      << "the session's form token is needed";
  Page wrong = Post(
      path,
      {{"csrf", s.csrf}, {"current", "not my password"}, {"password", fresh}, {"repeat", fresh}},
      s.cookie);
  EXPECT_EQ(wrong.status, 400);
  EXPECT_TRUE(wrong.Has("Your current password is not right"));
  Page differ =
      Post(path,
           {{"csrf", s.csrf}, {"current", kPassword}, {"password", fresh}, {"repeat", fresh + "!"}},
           s.cookie);
  EXPECT_EQ(differ.status, 400);
  EXPECT_TRUE(differ.Has("The two new passwords differ"));
  Page short_one = Post(
      path, {{"csrf", s.csrf}, {"current", kPassword}, {"password", "short"}, {"repeat", "short"}},
      s.cookie);
  EXPECT_EQ(short_one.status, 400);
  EXPECT_TRUE(short_one.Has("at least 12 characters"));
  EXPECT_EQ(Count("SELECT count(*) FROM tokens WHERE kind='session' AND revoked_at IS NULL"), 2)
      << "refusals change no session";

  Page changed =
      Post(path, {{"csrf", s.csrf}, {"current", kPassword}, {"password", fresh}, {"repeat", fresh}},
           s.cookie);
  ASSERT_EQ(changed.status, 303) << changed.body;
  EXPECT_EQ(changed.Header("Location"), "/organise/account?changed=1");
  const std::string cookie = CookieOf(changed, "convene_session");
  ASSERT_FALSE(cookie.empty()) << "this browser stays logged in";
  EXPECT_TRUE(Get("/organise/account?changed=1", cookie).Has("Password changed."));
  EXPECT_EQ(Get("/organise", s.cookie).status, 303) << "the old session ended";
  EXPECT_EQ(Get("/organise", elsewhere.cookie).status, 303) << "so did the other browser's";
  EXPECT_EQ(Get("/organise", cookie).status, 200);
  EXPECT_TRUE(Login(kDemoOrganiser, kPassword).cookie.empty()) << "the old password is gone";
  EXPECT_FALSE(Login(kDemoOrganiser, fresh).cookie.empty());
  EXPECT_NE(Snapshot(), before);
}

TEST_F(PagesTest, GroupsAreCreatedFromTheDashboard) {
  Session s = Login();
  Page dash = Get("/organise", s.cookie);
  ASSERT_TRUE(dash.Has("action=\"/organise/groups\"")) << dash.body;
  const std::string before = Snapshot();
  EXPECT_EQ(
      Post("/organise/groups", {{"name", "X"}, {"slug", "x-x"}, {"timezone", "UTC"}}, s.cookie)
          .status,
      403);
  struct Bad {
    std::string slug, timezone, quorum;
    int status;
    const char* says;
  } cases[] = {{"Working Party", "Europe/London", "", 400,
                "The short name for the web address must be 2 to 40 lower-case letters"},
               {"futures", "Europe/London", "", 409, "is taken"},
               {"working-party", "Europe/Lndon", "", 400, "The time zone must be the name of one"},
               {"working-party", "Europe/London", "none", 400, "The quorum must be a number"}};
  for (const Bad& b : cases) {
    Page r = Post("/organise/groups",
                  {{"csrf", s.csrf},
                   {"name", "Working Party"},
                   {"slug", b.slug},
                   {"timezone", b.timezone},
                   {"quorum", b.quorum}},
                  s.cookie);
    EXPECT_EQ(r.status, b.status) << b.slug << " " << b.timezone;
    EXPECT_TRUE(r.Has(b.says)) << b.says << "\n" << r.body;
  }
  EXPECT_EQ(Snapshot(), before);

  Page made = Post("/organise/groups",
                   {{"csrf", s.csrf},
                    {"name", "Working Party"},
                    {"slug", "working-party"},
                    {"timezone", "Europe/Dublin"},
                    {"quorum", "4"}},  // "public" unticked
                   s.cookie);
  ASSERT_EQ(made.status, 303) << made.body;
  EXPECT_EQ(made.Header("Location"), "/organise/groups/working-party?new=1");
  EXPECT_TRUE(Get(made.Header("Location"), s.cookie).Has("Group created."));
  auto g = ops().GetGroup(org_.id, "working-party");
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(g->name, "Working Party");
  EXPECT_EQ(g->timezone, "Europe/Dublin");
  EXPECT_EQ(g->quorum, 4);
  EXPECT_FALSE(g->is_public);
  EXPECT_TRUE(Get("/organise", s.cookie).Has("Working Party"));
}

TEST_F(PagesTest, GroupSettingsAreSavedFromTheGroupPage) {
  Session s = Login();
  const std::string path = "/organise/groups/futures";
  Page page = Get(path, s.cookie);
  ASSERT_EQ(page.status, 200);
  const std::string etag = FormETag(page, path + "/settings");
  ASSERT_FALSE(etag.empty()) << page.body;
  EXPECT_EQ(Post(path + "/settings", {{"etag", etag}, {"name", "X"}}, s.cookie).status, 403);
  Page bad = Post(path + "/settings",
                  {{"csrf", s.csrf}, {"etag", etag}, {"name", "X"}, {"quorum", "many"}}, s.cookie);
  EXPECT_EQ(bad.status, 400);
  EXPECT_TRUE(bad.Has("The quorum must be a number"));

  Page saved = Post(path + "/settings",
                    {{"csrf", s.csrf},
                     {"etag", etag},
                     {"name", "Socitm Futures Group"},
                     {"quorum", "9"}},  // "public" unticked
                    s.cookie);
  ASSERT_EQ(saved.status, 303) << saved.body;
  EXPECT_EQ(saved.Header("Location"), path + "?saved=1");
  EXPECT_TRUE(Get(path + "?saved=1", s.cookie).Has("Group settings saved."));
  auto g = ops().GetGroup(org_.id, "futures");
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(g->name, "Socitm Futures Group");
  EXPECT_EQ(g->quorum, 9);
  EXPECT_FALSE(g->is_public);
  EXPECT_EQ(Get("/groups/futures").status, 404) << "a private group shows nothing";
  EXPECT_EQ(Get("/feeds/groups/futures.ics").status, 404);

  // The page that showed the old settings cannot overwrite the new ones.
  const std::string before = Snapshot();
  Page stale = Post(path + "/settings",
                    {{"csrf", s.csrf}, {"etag", etag}, {"name", "Old"}, {"public", "1"}}, s.cookie);
  EXPECT_EQ(stale.status, 412);
  EXPECT_TRUE(stale.Has("Someone changed this meanwhile"));
  EXPECT_EQ(Snapshot(), before);

  Page again = Get(path, s.cookie);
  Page open = Post(path + "/settings",
                   {{"csrf", s.csrf},
                    {"etag", FormETag(again, path + "/settings")},
                    {"name", "Socitm Futures Group"},
                    {"quorum", ""},
                    {"public", "1"}},
                   s.cookie);
  ASSERT_EQ(open.status, 303) << open.body;
  EXPECT_FALSE(ops().GetGroup(org_.id, "futures")->quorum.has_value());
  EXPECT_TRUE(Get("/groups/futures").Has("Socitm Futures Group"));
}

TEST_F(PagesTest, VenuesAreEditedFromTheVenuesPage) {
  Session s = Login();
  auto venues = ops().ListVenues(org_.id);
  ASSERT_TRUE(venues.ok() && !venues->empty());
  const calendar::Venue v = venues->front();
  const std::string action = "/organise/venues/" + std::to_string(v.id);
  Page page = Get("/organise/venues", s.cookie);
  const std::string etag = FormETag(page, action);
  ASSERT_FALSE(etag.empty()) << page.body;
  EXPECT_TRUE(page.Has("value=\"" + v.postcode + "\""));

  Page saved = Post(action,
                    {{"csrf", s.csrf},
                     {"etag", etag},
                     {"name", "Siemens, Hillgate House (4th floor)"},
                     {"address", v.address},
                     {"postcode", v.postcode},
                     {"capacity", ""},
                     {"notes", "Ask at reception"}},
                    s.cookie);
  ASSERT_EQ(saved.status, 303) << saved.body;
  EXPECT_TRUE(Get("/organise/venues?saved=1", s.cookie).Has("Venue saved."));
  auto after = ops().GetVenue(org_.id, v.id);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->name, "Siemens, Hillgate House (4th floor)");
  EXPECT_EQ(after->notes, "Ask at reception");
  EXPECT_FALSE(after->capacity.has_value());
  EXPECT_TRUE(Get("/venues/" + std::to_string(v.id)).Has("Hillgate House (4th floor)"));

  const std::string before = Snapshot();
  Page stale = Post(action,
                    {{"csrf", s.csrf},
                     {"etag", etag},
                     {"name", "Somewhere else"},
                     {"address", v.address},
                     {"postcode", v.postcode}},
                    s.cookie);
  EXPECT_EQ(stale.status, 412);
  Page empty = Post(action,
                    {{"csrf", s.csrf},
                     {"etag", FormETag(Get("/organise/venues", s.cookie), action)},
                     {"name", ""},
                     {"address", v.address}},
                    s.cookie);
  EXPECT_EQ(empty.status, 400);
  EXPECT_EQ(Snapshot(), before);
}

TEST_F(PagesTest, MemberDetailsAreEditedFromTheMembersPage) {
  Session s = Login();
  const calendar::Member ian = MemberNamed("Ian Cooper");
  const std::string list = "/organise/groups/futures/members";
  const std::string action = list + "/" + std::to_string(ian.id);
  Page page = Get(list, s.cookie);
  const std::string etag = FormETag(page, action);
  ASSERT_FALSE(etag.empty()) << page.body;

  // Another member's address is refused, and nothing changes.
  const std::string before = Snapshot();
  Page taken = Post(action,
                    {{"csrf", s.csrf},
                     {"etag", etag},
                     {"name", ian.name},
                     {"email", MemberNamed("Sal Khan").email}},
                    s.cookie);
  EXPECT_EQ(taken.status, 409);
  EXPECT_TRUE(taken.Has("is already a member"));
  EXPECT_EQ(Snapshot(), before);

  Page saved = Post(action,
                    {{"csrf", s.csrf},
                     {"etag", etag},
                     {"name", "Ian Cooper"},
                     {"email", "ian.cooper@hants.example.org"},
                     {"organisation", ""},
                     {"role", "chair"},
                     {"delivery", "invitations"}},
                    s.cookie);
  ASSERT_EQ(saved.status, 303) << saved.body;
  EXPECT_EQ(saved.Header("Location"), list + "?saved=1");
  const calendar::Member after = MemberNamed("Ian Cooper");
  EXPECT_EQ(after.email, "ian.cooper@hants.example.org");
  EXPECT_EQ(after.organisation, "");
  EXPECT_EQ(after.role, calendar::Role::kChair);
  EXPECT_EQ(after.delivery, calendar::Delivery::kInvitations);
  Page shown = Get(list + "?saved=1", s.cookie);
  EXPECT_TRUE(shown.Has("details saved"));
  EXPECT_TRUE(shown.Has("ian.cooper@hants.example.org"));
  // The selects show what is stored.
  EXPECT_TRUE(shown.Has("<option value=\"invitations\" selected>"));
  EXPECT_EQ(Post(action, {{"csrf", s.csrf}, {"etag", etag}, {"name", "Stale"}}, s.cookie).status,
            412);
  // Another group's path does not reach the member.
  EXPECT_EQ(Post("/organise/groups/nope/members/" + std::to_string(ian.id),
                 {{"csrf", s.csrf}, {"etag", FormETag(shown, action)}, {"name", "X"}}, s.cookie)
                .status,
            404);
}

TEST_F(PagesTest, SeriesAreCreatedFromTheGroupPage) {
  Session s = Login();
  const std::string venue = std::to_string(NextMeeting().venue.id);
  // The group page's new-series form: `title` at the demo's venue, 14:00 for an hour, and then
  // the `rest` (the dates, one a line, and an agenda).
  auto new_series = [&](const std::string& title,
                        std::vector<std::pair<std::string, std::string>> rest) {
    rest.insert(rest.begin(), {{"title", title},
                               {"venue_id", venue},
                               {"start_time", "14:00"},
                               {"duration_minutes", "60"}});
    return Submit(s, "/organise/groups/futures/series", rest);
  };
  Page r = new_series("Extra meeting", {{"dates", "2027-02-01\n2027-02-08"},
                                        {"agenda", "1. Minutes\n2. Cloud strategy"}});
  ASSERT_EQ(r.status, 303) << r.body;
  auto made = ops().ListMeetings(org_.id, "futures", "2027-02-01", "2027-02-08");
  ASSERT_TRUE(made.ok());
  ASSERT_EQ(made->size(), 2u);
  EXPECT_EQ(made->front().series.agenda, "1. Minutes\n2. Cloud strategy");
  Page g = Get(r.Header("Location"), s.cookie);
  EXPECT_TRUE(g.Has("Meetings created."));
  EXPECT_FALSE(g.Has("Check:")) << "ordinary Mondays: nothing to check";
  EXPECT_TRUE(g.Has("Monday 1 February 2027"));
  EXPECT_TRUE(g.Has("Monday 8 February 2027"));
  // Easter Monday 2027 is 29 March (Easter Sunday is 28 March): the page says so after the
  // redirect, as the API does in its answer.
  Page easter = new_series("Holiday meeting", {{"dates", "2027-03-29"}});
  ASSERT_EQ(easter.status, 303) << easter.body;
  Page warned = Get(easter.Header("Location"), s.cookie);
  EXPECT_TRUE(warned.Has(
      "Check: Monday 29 March 2027 is a bank holiday (Easter Monday in England and Wales)."))
      << warned.body;
  Page all = Get("/organise/groups/futures?all=1", s.cookie);
  EXPECT_TRUE(all.Has("Monday 15 March 2010"));
  Page bad = new_series("No dates", {});
  EXPECT_EQ(bad.status, 400);
}

}  // namespace
}  // namespace convene::server
