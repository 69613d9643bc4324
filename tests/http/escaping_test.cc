// Hostile text in every field a person types shows as text on every page that shows it, and the
// embedded templates all parse.
#include "server/http/responses.h"
#include "server/pages/render.h"
#include "server/pages/templates/templates.h"
#include "tests/http/pages_fixture.h"

namespace convene::server {
namespace {

const std::string kEvil = "<script>alert(1)</script>\"'&";
const std::string kShown = "&lt;script&gt;alert(1)&lt;/script&gt;&quot;&apos;&amp;";

TEST(Templates, EveryEmbeddedTemplateParsesAndRenders) {
  ASSERT_GE(templates::Names().size(), 19u);
  for (std::string_view name : templates::Names()) {
    if (name == "style.css") continue;
    auto out = pages::Render(std::string(name), nlohmann::json::object());
    EXPECT_TRUE(out.ok()) << name << ": " << out.status().message();
  }
  EXPECT_FALSE(pages::Render("missing.mustache", {}).ok());
}

TEST(Templates, VariablesAreEscapedByDefault) {
  auto out = pages::Render("error.mustache", {{"title", kEvil}, {"message", kEvil}});
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->find("<script>"), std::string::npos);
  EXPECT_NE(out->find(kShown), std::string::npos) << *out;
}

TEST(ErrorPages, InternalErrorsAreAPlainHtmlPageWithoutDetails) {
  httplib::Response res;
  pages::SendErrorPage(res, Internal("sqlite said: disk I/O error at /var/lib/x.db"));
  EXPECT_EQ(res.status, 500);
  EXPECT_EQ(res.get_header_value("Content-Type"), "text/html; charset=utf-8");
  EXPECT_NE(res.body.find("Something went wrong"), std::string::npos);
  EXPECT_EQ(res.body.find("sqlite"), std::string::npos);
  EXPECT_EQ(res.get_header_value("Cache-Control"), "no-store");
}

TEST(ErrorPages, EveryStatusHasATitledPage) {
  for (Code code : {Code::kInvalidArgument, Code::kUnauthenticated, Code::kPermissionDenied,
                    Code::kNotFound, Code::kConflict, Code::kPreconditionFailed, Code::kTooLarge,
                    Code::kRateLimited, Code::kUnavailable, Code::kInternal}) {
    httplib::Response res;
    pages::SendErrorPage(res, Status(code, "why"));
    EXPECT_EQ(res.status, HttpStatus(code));
    EXPECT_NE(res.body.find("<h1>"), std::string::npos) << res.status;
    EXPECT_NE(res.body.find("Error " + std::to_string(res.status)), std::string::npos);
  }
}

class EscapingTest : public PagesTest {};

TEST_F(EscapingTest, HostileTextInEveryTypedFieldIsShownAsText) {
  Session s = Login();
  ASSERT_FALSE(s.cookie.empty());
  // Venue, group, series, member and presenter fields, each typed by a person.
  VenueInput v;
  v.name = "Venue " + kEvil;
  v.address = "Address " + kEvil;
  v.postcode = "<b>PC</b>";
  v.notes = "Notes " + kEvil;
  auto venue = ops().CreateVenue(org_.id, v);
  ASSERT_TRUE(venue.ok()) << venue.status().message();
  GroupInput g{"evil", "Group " + kEvil, "Europe/London", 2, true};
  ASSERT_TRUE(ops().CreateGroup(org_.id, g).ok());
  SeriesInput si;
  si.title = "Title " + kEvil;
  si.venue_id = venue->id;
  si.start_time = "10:00";
  si.duration_minutes = 60;
  si.dates = std::vector<std::string>{"2027-03-03"};
  si.agenda = "Agenda " + kEvil;
  auto series = ops().CreateSeries(org_.id, "evil", si);
  ASSERT_TRUE(series.ok()) << series.status().message();
  const calendar::Id meeting = series->meetings[0].meeting.id;
  MemberInput mi{"Member " + kEvil, "evil@example.org", "Org " + kEvil, std::nullopt, std::nullopt};
  auto member = ops().AddMember(org_.id, "evil", mi);
  ASSERT_TRUE(member.ok()) << member.status().message();
  PresenterInput pi{"Presenter " + kEvil, "Topic " + kEvil, "POrg " + kEvil, std::nullopt};
  ASSERT_TRUE(ops().AddPresenter(org_.id, meeting, pi).ok());
  const std::string apology =
      ApologyToken(ops().link_key(), meeting, member->member.id, member->member.links_version);
  // The reason, typed by the member into the apology form.
  Page sent = Post("/apologies/" + apology,
                   {{"csrf", ops().FormToken("apology", apology)}, {"reason", "Reason " + kEvil}});
  ASSERT_EQ(sent.status, 303) << sent.body;

  const std::string m = std::to_string(meeting);
  const std::vector<std::pair<std::string, std::vector<std::string>>> pages = {
      {"/groups/evil", {"Group ", "Title ", "Venue ", "Address ", "Presenter ", "POrg "}},
      {"/meetings/" + m,
       {"Group ", "Title ", "Venue ", "Address ", "Notes ", "Presenter ", "Topic ", "POrg ",
        "Agenda "}},
      {"/venues/" + std::to_string(venue->id), {"Venue ", "Address ", "Notes ", "Group "}},
      {"/m/" + member->page_token, {"Member ", "Group ", "Venue ", "Title ", "Reason "}},
      {"/apologies/" + apology, {"Group ", "Venue ", "Reason ", "Presenter "}},
      {"/unsubscribe/" +
           UnsubscribeToken(ops().link_key(), member->member.id, member->member.links_version),
       {"Member ", "Group "}},
      {"/organise", {"Group ", "Venue "}},
      {"/organise/outbox", {"Welcome to Group "}},
      {"/organise/venues", {"Venue ", "Address "}},
      {"/organise/groups/evil", {"Group ", "Venue "}},
      {"/organise/groups/evil/members", {"Group ", "Member ", "Org "}},
      {"/organise/meetings/" + m, {"Group ", "Venue ", "Presenter ", "Topic ", "POrg "}},
      {"/organise/meetings/" + m + "/register", {"Member ", "Org ", "Reason "}},
      {"/organise/meetings/" + m + "/minutes",
       {"MINUTES OF GROUP &lt;SCRIPT&gt;ALERT(1)&lt;/SCRIPT&gt;", "Member ", "Presenter "}},
  };
  for (const auto& [path, labels] : pages) {
    Page p = Get(path, s.cookie);
    ASSERT_EQ(p.status, 200) << path << "\n" << p.body;
    EXPECT_EQ(p.body.find("<script"), std::string::npos) << path;
    EXPECT_EQ(p.body.find("<b>PC"), std::string::npos) << path;
    for (const std::string& label : labels) {
      // The minutes heading is in capitals, so it is checked as it is.
      const std::string want = label.back() == ' ' ? label + kShown : label;
      EXPECT_NE(p.body.find(want), std::string::npos) << path << " should show " << label;
    }
  }
  // The preview page shows the venue names too.
  Page preview = Post("/organise/meetings/" + m + "/preview",
                      {{"csrf", s.csrf}, {"action", "venue"}, {"venue_id", "1"}}, s.cookie);
  ASSERT_EQ(preview.status, 200);
  EXPECT_EQ(preview.body.find("<script"), std::string::npos);
  EXPECT_NE(preview.body.find("Venue " + kShown), std::string::npos);
  EXPECT_NE(preview.body.find("Member " + kShown), std::string::npos);
  // The markdown escapes markup characters.
  Page md = Get("/meetings/" + m + "/minutes.md", s.cookie);
  EXPECT_EQ(md.body.find("<script>"), std::string::npos) << md.body;
  EXPECT_NE(md.body.find("\\<script\\>"), std::string::npos) << md.body;
}

TEST_F(EscapingTest, HostileLoginEmailIsEscapedOnTheRetryForm) {
  Page r;
  Login("\"><script>alert(1)</script>@example.org", "a wrong password here", &r);
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.body.find("<script>"), std::string::npos);
  EXPECT_NE(r.body.find("&quot;&gt;&lt;script&gt;"), std::string::npos);
}

}  // namespace
}  // namespace convene::server
