// Public pages and the member's pages (/m/{token}, /apologies/{token}) over real HTTP: what they
// show, their headers, the forms and what a link scanner's GETs must not change.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sodium.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tests/http/pages_fixture.h"
#include "tests/support/inputs.h"

namespace convene::server {
namespace {

// The CSP's style hash must be the SHA-256 of the page's one inline <style>.
std::string StyleHashOf(const std::string& body) {
  const size_t open = body.find("<style>");
  const size_t close = body.find("</style>");
  if (open == std::string::npos || close == std::string::npos) return {};
  const std::string css = body.substr(open + 7, close - open - 7);
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(css.data()), css.size());
  char out[sodium_base64_ENCODED_LEN(sizeof digest, sodium_base64_VARIANT_ORIGINAL)];
  sodium_bin2base64(out, sizeof out, digest, sizeof digest, sodium_base64_VARIANT_ORIGINAL);
  return out;
}

void ExpectPageHeaders(const Page& p, bool private_page) {
  EXPECT_EQ(p.Header("Content-Type"), "text/html; charset=utf-8");
  const std::string csp = p.Header("Content-Security-Policy");
  EXPECT_NE(csp.find("default-src 'none'"), std::string::npos) << csp;
  EXPECT_NE(csp.find("frame-ancestors 'none'"), std::string::npos) << csp;
  EXPECT_EQ(csp.find("script-src"), std::string::npos) << csp;
  EXPECT_EQ(csp.find("unsafe-inline"), std::string::npos) << csp;
  EXPECT_NE(csp.find("style-src 'sha256-" + StyleHashOf(p.body) + "'"), std::string::npos) << csp;
  EXPECT_EQ(p.Headers("X-Content-Type-Options"), std::vector<std::string>{"nosniff"});
  EXPECT_EQ(p.Header("Referrer-Policy"), "no-referrer");
  EXPECT_EQ(p.Header("Cache-Control"), private_page ? "no-store" : "no-cache");
  EXPECT_EQ(p.body.find("<script"), std::string::npos);
}

TEST_F(PagesTest, GroupPageListsUpcomingMeetingsWithVenueAndMap) {
  Page p = Get("/groups/futures");
  ASSERT_EQ(p.status, 200) << p.body;
  ExpectPageHeaders(p, false);
  EXPECT_TRUE(p.Has("<h1>Socitm Futures</h1>"));
  EXPECT_TRUE(p.Has("Monday 18 January 2027"));
  EXPECT_FALSE(p.Has("15 March 2010")) << "past meetings are not upcoming";
  EXPECT_TRUE(p.Has("Siemens, Hillgate House"));
  EXPECT_TRUE(p.Has(
      "https://www.openstreetmap.org/search?query=26%20Old%20Bailey%2C%20London%20EC4M%207HS"));
  EXPECT_TRUE(p.Has("webcal://convene.test/feeds/groups/futures.ics"));
}

TEST_F(PagesTest, MeetingPageShowsPresentersAndTheApologiesCount) {
  Page p = Get("/meetings/" + std::to_string(MarchMeeting()));
  ASSERT_EQ(p.status, 200) << p.body;
  ExpectPageHeaders(p, false);
  EXPECT_TRUE(p.Has("Monday 15 March 2010"));
  EXPECT_TRUE(p.Has("10:30 to 13:00"));
  for (const char* name : {"Chris Kastel", "Phillp Pearce", "Robert Prabucki", "Kevin Sharp"})
    EXPECT_TRUE(p.Has(name)) << name;
  EXPECT_TRUE(p.Has("Apologies received: <strong>4</strong>"));
  EXPECT_TRUE(p.Has("openstreetmap.org/search?query="));
}

// A private group, "Secret Club", with one "Hidden gathering" on 20 January 2027 at `venue`.
SeriesCreated AddHiddenGathering(Operations& ops, calendar::Id org, calendar::Id venue) {
  GroupInput g{"secret-club", "Secret Club", "Europe/London", std::nullopt, false};
  EXPECT_TRUE(ops.CreateGroup(org, g).ok());
  auto created = ops.CreateSeries(
      org, "secret-club",
      testing::DatedSeries("Hidden gathering", venue, "18:00", 60, {"2027-01-20"}));
  EXPECT_TRUE(created.ok()) << created.status().ToString();
  return created.ok() ? *created : SeriesCreated{};
}

TEST_F(PagesTest, VenuePageShowsAddressAndOnlyPublicGroupsMeetings) {
  ASSERT_EQ(AddHiddenGathering(ops(), org_.id, NextMeeting().venue.id).meetings.size(), 1u);

  Page p = Get("/venues/" + std::to_string(NextMeeting().venue.id));
  ASSERT_EQ(p.status, 200);
  ExpectPageHeaders(p, false);
  EXPECT_TRUE(p.Has("26 Old Bailey, London"));
  EXPECT_TRUE(p.Has("EC4M 7HS"));
  EXPECT_TRUE(p.Has("Monday 18 January 2027"));
  EXPECT_FALSE(p.Has("Hidden gathering"));
  EXPECT_FALSE(p.Has("Secret Club"));
}

TEST_F(PagesTest, PrivateGroupShowsNothingToThePublic) {
  const SeriesCreated created = AddHiddenGathering(ops(), org_.id, NextMeeting().venue.id);
  ASSERT_EQ(created.meetings.size(), 1u);
  for (const std::string& path : {std::string("/groups/secret-club"),
                                  "/meetings/" + std::to_string(created.meetings[0].meeting.id)}) {
    Page p = Get(path);
    EXPECT_EQ(p.status, 404) << path;
    ExpectPageHeaders(p, true);
    EXPECT_TRUE(p.Has("<h1>Not found</h1>")) << p.body;
    EXPECT_FALSE(p.Has("Secret Club"));
    EXPECT_FALSE(p.Has("Hidden gathering"));
  }
}

TEST_F(PagesTest, UnknownPagesAreHtmlNotJson) {
  for (const char* path : {"/nowhere", "/groups/nope", "/meetings/999999", "/venues/424242",
                           "/meetings/99999999999999999999", "/m/short"}) {
    Page p = Get(path);
    EXPECT_EQ(p.status, 404) << path;
    EXPECT_EQ(p.Header("Content-Type"), "text/html; charset=utf-8") << path;
    EXPECT_EQ(p.body.find("{\"error\""), std::string::npos) << path;
    EXPECT_TRUE(p.Has("<h1>")) << path;
  }
  // An oversized body is refused before it is read, with an HTML page too.
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(server_.port()));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  const std::string head = "POST /apologies/" + std::string(43, 'A') +
                           " HTTP/1.1\r\nHost: x\r\nContent-Type: "
                           "application/x-www-form-urlencoded\r\nContent-Length: 2097152\r\n\r\n";
  ASSERT_EQ(send(fd, head.data(), head.size(), 0), static_cast<ssize_t>(head.size()));
  std::string reply;
  char buf[4096];
  for (ssize_t n; (n = recv(fd, buf, sizeof buf, 0)) > 0;) reply.append(buf, n);
  close(fd);
  EXPECT_EQ(reply.rfind("HTTP/1.1 413", 0), 0u) << reply.substr(0, 200);
  EXPECT_NE(reply.find("Content-Type: text/html; charset=utf-8"), std::string::npos);
}

TEST_F(PagesTest, MemberPageShowsMeetingsApologyLinksCalendarAndNotices) {
  const std::string token = PageToken("Ian Cooper");
  Page p = Get("/m/" + token);
  ASSERT_EQ(p.status, 200) << p.body;
  ExpectPageHeaders(p, true);
  EXPECT_TRUE(p.Has("Hello Ian Cooper"));
  EXPECT_TRUE(p.Has("Monday 18 January 2027"));
  EXPECT_TRUE(p.Has("openstreetmap.org/search?query="));
  EXPECT_TRUE(p.Has("/apologies/" + ApologyTokenFor("Ian Cooper", NextMeeting().meeting.id)));
  EXPECT_TRUE(p.Has("Send apologies for Monday 18 January 2027"));
  EXPECT_TRUE(p.Has("action=\"/m/" + token + "/feed-link\""));
  EXPECT_TRUE(p.Has("Google Calendar"));
  EXPECT_TRUE(p.Has("Outlook"));
  EXPECT_TRUE(p.Has("Apple Calendar"));
  EXPECT_TRUE(p.Has("value=\"feed\" checked"));
}

TEST_F(PagesTest, ReplacedOrUnknownPageLinkShowsAnErrorPage) {
  const std::string old_token = PageToken("Ian Cooper");
  const std::string new_token = PageToken("Ian Cooper");
  EXPECT_EQ(Get("/m/" + new_token).status, 200);
  Page p = Get("/m/" + old_token);
  EXPECT_EQ(p.status, 404);
  EXPECT_TRUE(p.Has("This link does not work"));
  EXPECT_EQ(Get("/m/" + std::string(43, 'Z')).status, 404);
}

TEST_F(PagesTest, CalendarLinkIsShownOnThePageAndANewOneReplacesTheOld) {
  const std::string token = PageToken("Ian Cooper");
  const calendar::Id id = MemberNamed("Ian Cooper").id;
  auto live = [&] {
    return Count(
        "SELECT count(*) FROM tokens WHERE kind='feed' AND revoked_at IS NULL AND "
        "member_id=" +
        std::to_string(id));
  };
  ASSERT_EQ(live(), 1) << "AddMember issued one";
  Page home = Get("/m/" + token);
  const std::string feed1 =
      Find(home.body, "http://convene\\.test/feeds/members/([A-Za-z0-9_-]{43})\\.ics");
  ASSERT_FALSE(feed1.empty()) << home.body;
  EXPECT_TRUE(home.Has("webcal://convene.test/feeds/members/" + feed1 + ".ics"));
  // The link works in a calendar app, though it is stored nowhere (secrets.h FeedLinkToken).
  EXPECT_EQ(Count("SELECT count(*) FROM tokens WHERE hash='" + HashSecret(feed1) + "'"), 0);
  Page feed = Get("/feeds/members/" + feed1 + ".ics");
  EXPECT_EQ(feed.status, 200);
  EXPECT_NE(feed.body.find("BEGIN:VCALENDAR"), std::string::npos);
  EXPECT_TRUE(Get("/m/" + token).Has(feed1)) << "shown on every visit";

  Page first = Post("/m/" + token + "/feed-link", {{"csrf", Csrf(home)}});
  ASSERT_EQ(first.status, 303) << first.body;
  EXPECT_EQ(first.Header("Location"), "/m/" + token + "?calendar=new");
  EXPECT_EQ(live(), 0) << "the stored one (the welcome email's) is revoked";
  Page shown = Get(first.Header("Location"));
  ExpectPageHeaders(shown, true);
  const std::string feed2 =
      Find(shown.body, "http://convene\\.test/feeds/members/([A-Za-z0-9_-]{43})\\.ics");
  ASSERT_FALSE(feed2.empty());
  EXPECT_NE(feed1, feed2);
  EXPECT_EQ(Get("/feeds/members/" + feed1 + ".ics").status, 404) << "the old link stops working";
  EXPECT_EQ(Get("/feeds/members/" + feed2 + ".ics").status, 200);
}

TEST_F(PagesTest, NoticePreferenceChangesByPost) {
  const std::string token = PageToken("Ian Cooper");
  const std::string csrf = Csrf(Get("/m/" + token));
  Page r = Post("/m/" + token + "/notices", {{"csrf", csrf}, {"choice", "invitations"}});
  EXPECT_EQ(r.status, 303);
  EXPECT_EQ(r.Header("Location"), "/m/" + token + "?saved=1");
  EXPECT_EQ(MemberNamed("Ian Cooper").delivery, calendar::Delivery::kInvitations);
  Page shown = Get(r.Header("Location"));
  EXPECT_TRUE(shown.Has("Your choice is saved."));
  EXPECT_TRUE(shown.Has("value=\"invitations\" checked"));
  Post("/m/" + token + "/notices", {{"csrf", csrf}, {"choice", "none"}});
  EXPECT_TRUE(MemberNamed("Ian Cooper").unsubscribed);
  Post("/m/" + token + "/notices", {{"csrf", csrf}, {"choice", "feed"}});
  EXPECT_FALSE(MemberNamed("Ian Cooper").unsubscribed);
  EXPECT_EQ(MemberNamed("Ian Cooper").delivery, calendar::Delivery::kFeed);
  Page bad = Post("/m/" + token + "/notices", {{"csrf", csrf}, {"choice", "pigeons"}});
  EXPECT_EQ(bad.status, 400);
  EXPECT_TRUE(bad.Has("Choose feed, invitations or none"));
}

TEST_F(PagesTest, ApologiesAreSentOnceByPostAndShownOnTheMemberPage) {
  const calendar::Id meeting = NextMeeting().meeting.id;
  const std::string token = ApologyTokenFor("Ian Cooper", meeting);
  const std::string before = Snapshot();
  Page form = Get("/apologies/" + token);
  ASSERT_EQ(form.status, 200) << form.body;
  ExpectPageHeaders(form, true);
  EXPECT_TRUE(form.Has("tells the organiser"));
  EXPECT_TRUE(form.Has("name=\"reason\""));
  EXPECT_EQ(Snapshot(), before) << "GET changes nothing";

  Page sent = Post("/apologies/" + token, {{"csrf", Csrf(form)}, {"reason", "At a conference"}});
  EXPECT_EQ(sent.status, 303);
  EXPECT_EQ(sent.Header("Location"), "/apologies/" + token + "?done=sent");
  EXPECT_EQ(Count("SELECT count(*) FROM apologies WHERE meeting_id=" + std::to_string(meeting)), 1);
  ASSERT_EQ(ChangeCount(), 1u);
  EXPECT_EQ(Changes()[0].kinds, std::vector{MeetingEvent::Kind::kApologies});
  EXPECT_EQ(Changes()[0].member_id, MemberNamed("Ian Cooper").id);

  // A second POST (double click, a resent form) changes and sends nothing.
  const std::string after_first = Snapshot();
  Page again = Post("/apologies/" + token, {{"csrf", Csrf(form)}, {"reason", "Something else"}});
  EXPECT_EQ(again.status, 303);
  EXPECT_EQ(again.Header("Location"), "/apologies/" + token);
  EXPECT_EQ(Snapshot(), after_first);
  EXPECT_EQ(ChangeCount(), 1u);

  Page thanks = Get("/apologies/" + token + "?done=sent");
  EXPECT_TRUE(thanks.Has("Your apologies are recorded"));
  EXPECT_TRUE(thanks.Has("At a conference"));
  Page home = Get("/m/" + PageToken("Ian Cooper"));
  EXPECT_TRUE(home.Has("You have sent apologies for Monday 18 January 2027: “At a conference”"));
  EXPECT_TRUE(Get("/meetings/" + std::to_string(meeting)).Has("Apologies received: <strong>1<"));
}

TEST_F(PagesTest, ApologiesCanBeWithdrawnUntilTheMeetingStarts) {
  const MeetingView next = NextMeeting();
  const std::string token = ApologyTokenFor("Ian Cooper", next.meeting.id);
  const std::string csrf = Csrf(Get("/apologies/" + token));
  Post("/apologies/" + token, {{"csrf", csrf}, {"reason", "ill"}});
  Page w = Post("/apologies/" + token + "/withdraw", {{"csrf", csrf}});
  EXPECT_EQ(w.status, 303);
  EXPECT_EQ(w.Header("Location"), "/apologies/" + token + "?done=withdrawn");
  EXPECT_EQ(
      Count("SELECT count(*) FROM apologies WHERE meeting_id=" + std::to_string(next.meeting.id)),
      0);
  ASSERT_EQ(ChangeCount(), 2u);
  EXPECT_EQ(Changes()[1].kinds, std::vector{MeetingEvent::Kind::kApologiesWithdrawn});
  Post("/apologies/" + token, {{"csrf", csrf}, {"reason", "ill again"}});

  // 18 January 2027 10:30 in London is 10:30 UTC; one minute later the meeting has started.
  server_.clock().Set(1800268260);
  const std::string before = Snapshot();
  Page closed = Post("/apologies/" + token + "/withdraw", {{"csrf", csrf}});
  EXPECT_EQ(closed.status, 409);
  EXPECT_TRUE(closed.Has("Apologies are closed"));
  EXPECT_EQ(Snapshot(), before);
  Page shown = Get("/apologies/" + token);
  EXPECT_EQ(shown.status, 200);
  EXPECT_TRUE(shown.Has("This meeting has started"));
  EXPECT_FALSE(shown.Has("action=\"/apologies/"));
  const std::string other = ApologyTokenFor("Sal Khan", next.meeting.id);
  Page late = Post("/apologies/" + other, {{"csrf", ops().FormToken("apology", other)}});
  EXPECT_EQ(late.status, 409);
  EXPECT_EQ(Snapshot(), before);
}

TEST_F(PagesTest, CancelledMeetingTakesNoApologies) {
  const MeetingView next = NextMeeting();
  MeetingPatch cancel;
  cancel.status = "cancelled";
  ASSERT_TRUE(
      ops()
          .ChangeMeeting(org_.id, next.meeting.id, Operations::MeetingETag(next.meeting), cancel)
          .ok());
  const std::string token = ApologyTokenFor("Ian Cooper", next.meeting.id);
  Page p = Get("/apologies/" + token);
  EXPECT_TRUE(p.Has("This meeting has been cancelled"));
  EXPECT_FALSE(p.Has("<form")) << "no form to send";
  Page r = Post("/apologies/" + token, {{"csrf", ops().FormToken("apology", token)}});
  EXPECT_EQ(r.status, 409);
  EXPECT_TRUE(r.Has("cancelled"));
}

TEST_F(PagesTest, TamperedOrRevokedApologyLinksShowAnErrorPage) {
  const calendar::Id meeting = NextMeeting().meeting.id;
  std::string token = ApologyTokenFor("Ian Cooper", meeting);
  std::string tampered = token;
  tampered[30] = tampered[30] == 'A' ? 'B' : 'A';
  Page bad = Get("/apologies/" + tampered);
  EXPECT_EQ(bad.status, 404);
  EXPECT_TRUE(bad.Has("This link does not work"));
  // Another member's id with this signature: still refused.
  EXPECT_EQ(Get("/apologies/" +
                ApologyToken(ops().link_key(), meeting, MemberNamed("Sal Khan").id, 0) + "x")
                .status,
            404);
  // Revoking: bump the member's links_version.
  ASSERT_EQ(Get("/apologies/" + token).status, 200);
  ASSERT_NO_FATAL_FAILURE(RevokeLinksOf("Ian Cooper"));
  EXPECT_EQ(Get("/apologies/" + token).status, 404);
  EXPECT_EQ(Post("/apologies/" + token, {{"csrf", ops().FormToken("apology", token)}}).status, 404);
}

TEST_F(PagesTest, LinkScannerGetsChangeNothing) {
  const std::string page = PageToken("Ian Cooper");
  const calendar::Id meeting = NextMeeting().meeting.id;
  const std::string apology = ApologyTokenFor("Ian Cooper", meeting);
  // One apology already there, so a GET on the withdraw URL has something it could undo.
  Post("/apologies/" + apology, {{"csrf", ops().FormToken("apology", apology)}, {"reason", "x"}});
  const std::string other = ApologyTokenFor("Sal Khan", meeting);
  const std::string before = Snapshot();
  const size_t changes = ChangeCount();
  for (const std::string& path :
       {"/m/" + page, "/m/" + page + "/feed-link", "/m/" + page + "/notices",
        "/m/" + page + "?choice=none", "/apologies/" + apology,
        "/apologies/" + apology + "/withdraw", "/apologies/" + other,
        "/apologies/" + other + "?reason=scanner", "/apologies/" + other + "?done=sent",
        "/unsubscribe/" + UnsubscribeToken(ops().link_key(), MemberNamed("Ian Cooper").id, 0),
        "/unsubscribe/" + UnsubscribeToken(ops().link_key(), MemberNamed("Ian Cooper").id, 0) +
            "?List-Unsubscribe=One-Click"}) {
    Page p = Get(path);
    EXPECT_TRUE(p.status == 200 || p.status == 404) << path << " " << p.status;
    auto c = server_.Client();
    auto head = c.Head(path.c_str());
    ASSERT_TRUE(head) << path;
  }
  EXPECT_EQ(Snapshot(), before);
  EXPECT_EQ(ChangeCount(), changes);
}

TEST_F(PagesTest, MemberFormsWithoutTheirFormTokenAre403AndChangeNothing) {
  const std::string page = PageToken("Ian Cooper");
  const std::string apology = ApologyTokenFor("Ian Cooper", NextMeeting().meeting.id);
  const std::string before = Snapshot();
  const std::string wrong = ops().FormToken("member", PageToken("Sal Khan"));
  const std::string snapshot_after_new_link = Snapshot();
  for (const std::string& csrf : {std::string(), wrong, std::string(43, 'A')}) {
    std::vector<std::pair<std::string, std::string>> fields = {{"reason", "forged"},
                                                               {"choice", "none"}};
    if (!csrf.empty()) fields.push_back({"csrf", csrf});
    for (const std::string& path : {"/apologies/" + apology, "/apologies/" + apology + "/withdraw",
                                    "/m/" + page + "/feed-link", "/m/" + page + "/notices"}) {
      Page p = Post(path, fields);
      EXPECT_EQ(p.status, 403) << path;
      EXPECT_TRUE(p.Has("This form has expired")) << path;
    }
  }
  // The member-page token is not accepted on the apology form (tokens are bound to their purpose).
  Page cross = Post("/apologies/" + apology, {{"csrf", ops().FormToken("member", apology)}});
  EXPECT_EQ(cross.status, 403);
  EXPECT_EQ(Snapshot(), snapshot_after_new_link);
  EXPECT_NE(before, snapshot_after_new_link) << "Sal Khan's new link was issued";
  EXPECT_EQ(ChangeCount(), 0u);
}

}  // namespace
}  // namespace convene::server
