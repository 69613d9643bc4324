// One-click unsubscribe (RFC 8058) over real HTTP, with the App's real notices: the confirm page
// (a GET changes nothing), the mail client's cookie-less POST, idempotence, bad and revoked links,
// what an unsubscribed member still gets (their feed) and no longer gets (any notice), and the
// member page's way back.
#include "tests/http/pages_fixture.h"

namespace convene::server {
namespace {

class UnsubscribeTest : public RealNoticesTest {
 protected:
  std::string UnsubscribeTokenFor(const std::string& name) {
    calendar::Member m = MemberNamed(name);
    return UnsubscribeToken(ops().link_key(), m.id, m.links_version);
  }
  // A POST as a mail client sends it: no cookie, no form token.
  Page OneClick(const std::string& token, bool multipart = false) {
    auto c = server_.Client();
    const std::string path = "/unsubscribe/" + token;
    const httplib::MultipartFormDataItems items = {{"List-Unsubscribe", "One-Click", "", ""}};
    auto r = multipart ? c.Post(path.c_str(), items)
                       : c.Post(path.c_str(), "List-Unsubscribe=One-Click",
                                "application/x-www-form-urlencoded");
    EXPECT_TRUE(r) << "POST " << path;
    if (!r) return {};
    return Page{r->status, r->body, r->headers};
  }
  // Notices about the next meeting (queued or on their way, not withdrawn) to the address. (The
  // demo's own presenters queued notices about a 2010 meeting.)
  int64_t NoticesTo(const std::string& email, const std::string& status = "") {
    return Count("SELECT count(*) FROM outbox WHERE kind='meeting_change' AND meeting_id=" +
                 std::to_string(NextMeeting().meeting.id) + " AND recipient='" + email + "' AND " +
                 (status.empty() ? "status!='superseded'" : "status='" + status + "'"));
  }
};

MeetingPatch StartPatch(const std::string& start) {
  MeetingPatch p;
  p.start = start;
  return p;
}
MeetingPatch StatusPatch(const std::string& status) {
  MeetingPatch p;
  p.status = status;
  return p;
}

void ExpectPrivateHeaders(const Page& p) {
  EXPECT_EQ(p.Header("Content-Type"), "text/html; charset=utf-8");
  EXPECT_EQ(p.Header("Cache-Control"), "no-store");
  EXPECT_EQ(p.Header("Referrer-Policy"), "no-referrer");
}

TEST_F(UnsubscribeTest, GetShowsAConfirmPageAndChangesNothing) {
  const std::string token = UnsubscribeTokenFor("Ian Cooper");
  const std::string before = Snapshot();
  Page p = Get("/unsubscribe/" + token);
  ASSERT_EQ(p.status, 200) << p.body;
  ExpectPrivateHeaders(p);
  EXPECT_TRUE(p.Has("Stop email notices?"));
  EXPECT_TRUE(p.Has("ian.cooper@example.org"));
  EXPECT_TRUE(p.Has("<form method=\"post\" action=\"/unsubscribe/" + token + "\">"));
  EXPECT_TRUE(server_.Client().Head(("/unsubscribe/" + token).c_str()));
  EXPECT_EQ(Snapshot(), before);
  EXPECT_FALSE(MemberNamed("Ian Cooper").unsubscribed);
}

TEST_F(UnsubscribeTest, OneClickPostUnsubscribesOnceWithoutCookiesOrFormToken) {
  const std::string token = UnsubscribeTokenFor("Ian Cooper");
  Page p = OneClick(token);
  ASSERT_EQ(p.status, 200) << p.body;
  ExpectPrivateHeaders(p);
  EXPECT_TRUE(p.Has("You are unsubscribed"));
  EXPECT_TRUE(p.Has("Your calendar link keeps working"));
  EXPECT_TRUE(MemberNamed("Ian Cooper").unsubscribed);
  EXPECT_FALSE(MemberNamed("Sal Khan").unsubscribed);

  // Again, as multipart/form-data (RFC 8058 allows either): nothing more changes.
  const std::string after_first = Snapshot();
  Page again = OneClick(token, /*multipart=*/true);
  EXPECT_EQ(again.status, 200);
  EXPECT_TRUE(again.Has("You are unsubscribed"));
  EXPECT_EQ(Snapshot(), after_first);
  // The confirm page now says so, and offers the way back instead of the button.
  Page shown = Get("/unsubscribe/" + token);
  EXPECT_TRUE(shown.Has("you are already unsubscribed"));
  EXPECT_FALSE(shown.Has("action=\"/unsubscribe/" + token + "\""));
  EXPECT_TRUE(shown.Has("action=\"/unsubscribe/" + token + "/resubscribe\""));
}

TEST_F(UnsubscribeTest, TheSameLinkStartsTheEmailsAgainWithItsFormToken) {
  const std::string token = UnsubscribeTokenFor("Ian Cooper");
  ASSERT_EQ(OneClick(token).status, 200);
  ASSERT_TRUE(MemberNamed("Ian Cooper").unsubscribed);
  const std::string resubscribe = "/unsubscribe/" + token + "/resubscribe";

  // Without the page's form token (another site's form, a scanner): 403, nothing changes.
  const std::string before = Snapshot();
  EXPECT_EQ(Post(resubscribe, {}).status, 403);
  EXPECT_EQ(Post(resubscribe, {{"csrf", "forged"}}).status, 403);
  EXPECT_EQ(Get(resubscribe).status, 404) << "only a POST does it";
  EXPECT_EQ(Snapshot(), before);
  EXPECT_TRUE(MemberNamed("Ian Cooper").unsubscribed);

  Page shown = Get("/unsubscribe/" + token);
  const std::string csrf = Csrf(shown);
  ASSERT_FALSE(csrf.empty()) << shown.body;
  Page on = Post(resubscribe, {{"csrf", csrf}});
  ASSERT_EQ(on.status, 200) << on.body;
  ExpectPrivateHeaders(on);
  EXPECT_TRUE(on.Has("Email notices are on again"));
  EXPECT_FALSE(MemberNamed("Ian Cooper").unsubscribed);
  EXPECT_EQ(Post(resubscribe, {{"csrf", csrf}}).status, 200) << "a repeat changes nothing";
  EXPECT_FALSE(MemberNamed("Ian Cooper").unsubscribed);

  // The next change is emailed to them again.
  ASSERT_TRUE(ChangeNext(VenuePatch(AddVenue("Guildhall"))).ok());
  EXPECT_EQ(NoticesTo(MemberNamed("Ian Cooper").email), 1);

  // A removed member's link is dead for this too.
  ASSERT_TRUE(ops().RemoveMember(org_.id, MemberNamed("Ian Cooper").id).ok());
  EXPECT_EQ(Post(resubscribe, {{"csrf", csrf}}).status, 404);
}

TEST_F(UnsubscribeTest, TheConfirmPagesOwnFormWorksToo) {
  const std::string token = UnsubscribeTokenFor("Ian Cooper");
  Page form = Get("/unsubscribe/" + token);
  const std::string field = Find(form.body, "<input type=\"hidden\" name=\"([^\"]+)\"");
  const std::string value =
      Find(form.body, "<input type=\"hidden\" name=\"[^\"]+\" value=\"([^\"]+)\"");
  ASSERT_EQ(field + "=" + value, "List-Unsubscribe=One-Click");
  Page p = Post("/unsubscribe/" + token, {{field, value}});
  EXPECT_EQ(p.status, 200);
  EXPECT_TRUE(MemberNamed("Ian Cooper").unsubscribed);
}

TEST_F(UnsubscribeTest, BadOrRevokedLinksAre404AndChangeNothing) {
  const std::string token = UnsubscribeTokenFor("Ian Cooper");
  std::string tampered = token;
  tampered[30] = tampered[30] == 'A' ? 'B' : 'A';
  // An apology link of the same member is no unsubscribe link.
  const std::string apology = ApologyTokenFor("Ian Cooper", NextMeeting().meeting.id);
  const std::string before = Snapshot();
  for (const std::string& t : {tampered, apology, std::string(43, 'A')}) {
    Page g = Get("/unsubscribe/" + t);
    EXPECT_EQ(g.status, 404) << t;
    EXPECT_TRUE(g.Has("This link does not work"));
    ExpectPrivateHeaders(g);
    EXPECT_EQ(OneClick(t).status, 404) << t;
  }
  EXPECT_EQ(Get("/unsubscribe/short").status, 404);
  EXPECT_EQ(Snapshot(), before);
  ASSERT_NO_FATAL_FAILURE(RevokeLinksOf("Ian Cooper"));
  EXPECT_EQ(Get("/unsubscribe/" + token).status, 404);
  EXPECT_EQ(OneClick(token).status, 404);
  EXPECT_FALSE(MemberNamed("Ian Cooper").unsubscribed);
}

TEST_F(UnsubscribeTest, NoNoticeOfAnyKindReachesAnUnsubscribedMemberButTheFeedWorks) {
  const std::string ian = MemberNamed("Ian Cooper").email;
  const std::string sal = MemberNamed("Sal Khan").email;
  // Ian has his calendar feed before he unsubscribes.
  const std::string page = PageToken("Ian Cooper");
  auto feed = ops().NewFeedLink(page);
  ASSERT_TRUE(feed.ok());
  ASSERT_EQ(OneClick(UnsubscribeTokenFor("Ian Cooper")).status, 200);

  const calendar::Id venue = AddVenue("Guildhall");
  const MeetingView next = NextMeeting();
  struct Step {
    const char* name;
    std::function<Status()> run;
  };
  const std::vector<Step> steps = {
      {"venue", [&] { return ChangeNext(VenuePatch(venue)); }},
      {"retimed", [&] { return ChangeNext(StartPatch("2027-01-18T14:00")); }},
      {"moved", [&] { return ChangeNext(StartPatch("2027-01-19T14:00")); }},
      {"cancelled", [&] { return ChangeNext(StatusPatch("cancelled")); }},
      {"reinstated", [&] { return ChangeNext(StatusPatch("scheduled")); }},
      {"presenter added (Ian himself presents)",
       [&] {
         return ops()
             .AddPresenter(org_.id, next.meeting.id, {"Ian Cooper", "Shared services", {}, ian})
             .status();
       }},
      {"presenter removed",
       [&] {
         auto v = ops().GetMeeting(org_.id, next.meeting.id);
         if (!v.ok()) return v.status();
         return ops().RemovePresenter(org_.id, next.meeting.id, v->presenters.back().id);
       }},
  };
  for (const Step& s : steps) {
    const int64_t sal_before = NoticesTo(sal);
    ASSERT_TRUE(s.run().ok()) << s.name;
    EXPECT_EQ(NoticesTo(ian), 0) << s.name;
    EXPECT_EQ(NoticesTo(sal), sal_before + 1) << s.name << ": the others still hear of it";
    server_.clock().Advance(120);  // past the coalescing window: the next step queues anew
  }
  Page f = Get("/feeds/members/" + *feed + ".ics");
  EXPECT_EQ(f.status, 200);
  EXPECT_NE(f.body.find("BEGIN:VEVENT"), std::string::npos);
}

TEST_F(UnsubscribeTest, NoticesStillQueuedForTheMemberAreWithdrawn) {
  const std::string ian = MemberNamed("Ian Cooper").email;
  const std::string sal = MemberNamed("Sal Khan").email;
  ASSERT_TRUE(ChangeNext(VenuePatch(AddVenue("Guildhall"))).ok());
  ASSERT_EQ(NoticesTo(ian), 1);
  ASSERT_EQ(OneClick(UnsubscribeTokenFor("Ian Cooper")).status, 200);
  EXPECT_EQ(NoticesTo(ian), 0);
  EXPECT_EQ(NoticesTo(ian, "superseded"), 1);
  EXPECT_EQ(Text("SELECT last_error FROM outbox WHERE status='superseded' AND recipient='" + ian +
                 "' AND meeting_id=" + std::to_string(NextMeeting().meeting.id)),
            "unsubscribed");
  EXPECT_EQ(NoticesTo(sal), 1);
}

TEST_F(UnsubscribeTest, TheMemberPageTurnsNoticesBackOn) {
  const std::string ian = MemberNamed("Ian Cooper").email;
  ASSERT_EQ(OneClick(UnsubscribeTokenFor("Ian Cooper")).status, 200);
  const std::string page = PageToken("Ian Cooper");
  Page home = Get("/m/" + page);
  EXPECT_TRUE(home.Has("value=\"none\" checked"));
  EXPECT_TRUE(home.Has("You are unsubscribed"));
  Page r = Post("/m/" + page + "/notices", {{"csrf", Csrf(home)}, {"choice", "feed"}});
  EXPECT_EQ(r.status, 303);
  EXPECT_FALSE(MemberNamed("Ian Cooper").unsubscribed);
  EXPECT_FALSE(Get("/m/" + page).Has("You are unsubscribed"));
  ASSERT_TRUE(ChangeNext(VenuePatch(AddVenue("Guildhall"))).ok());
  EXPECT_EQ(NoticesTo(ian), 1);
}

}  // namespace
}  // namespace convene::server
