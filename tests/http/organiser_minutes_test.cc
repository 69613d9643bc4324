// The organiser's records and limits: the register, the minutes header (page and markdown), the
// API through a session cookie, login throttling, and Secure cookies behind https.
#include <fstream>
#include <sstream>

#include "tests/http/pages_fixture.h"

namespace convene::server {
namespace {

TEST_F(PagesTest, RegisterShowsApologiesWithReasonsAndTheQuorumAndMarksPresence) {
  Session s = Login();
  const MeetingView next = NextMeeting();
  for (const char* name : {"Ian Cooper", "Sal Khan"}) {
    const std::string t = ApologyTokenFor(name, next.meeting.id);
    Post("/apologies/" + t,
         {{"csrf", ops().FormToken("apology", t)}, {"reason", std::string("Away: ") + name}});
  }
  const std::string r = "/organise/meetings/" + std::to_string(next.meeting.id) + "/register";
  Page reg = Get(r, s.cookie);
  ASSERT_EQ(reg.status, 200) << reg.body;
  EXPECT_TRUE(reg.Has("21 members · apologies from 2 · 19 expected · quorum 8"));
  EXPECT_TRUE(reg.Has("<strong>Ian Cooper</strong>, Hampshire CC: “Away: Ian Cooper”"));
  EXPECT_TRUE(reg.Has("“Away: Sal Khan”"));
  const calendar::Id glyn = MemberNamed("Glyn Evans").id, mark = MemberNamed("Mark Brett").id;
  Page saved = Post(
      r, {{"csrf", s.csrf}, {"present", std::to_string(glyn)}, {"present", std::to_string(mark)}},
      s.cookie);
  ASSERT_EQ(saved.status, 303) << saved.body;
  auto a = *ops().Attendance(org_.id, next.meeting.id);
  int present = 0, absent = 0, apologies = 0;
  for (const auto& row : a.members) {
    present += row.status == calendar::Attendance::kPresent;
    absent += row.status == calendar::Attendance::kAbsent;
    apologies += row.status == calendar::Attendance::kApologies;
  }
  EXPECT_EQ(present, 2);
  EXPECT_EQ(apologies, 2);
  EXPECT_EQ(absent, 17);
  Page again = Get(r + "?done=1", s.cookie);
  EXPECT_TRUE(again.Has("The register is saved."));
  EXPECT_TRUE(again.Has("value=\"" + std::to_string(glyn) + "\" checked"));
  EXPECT_EQ(Post(r, {{"csrf", s.csrf}, {"present", "999999"}}, s.cookie).status, 404);
}

// ---- the minutes header against the seed minutes ----

struct Person {
  std::string name, organisation;
  bool operator==(const Person&) const = default;
};
using Sections = std::map<std::string, std::vector<Person>>;

std::string Trim(const std::string& s) {
  const size_t b = s.find_first_not_of(" \t\r\xc2\xa0");
  if (b == std::string::npos) return {};
  return s.substr(b, s.find_last_not_of(" \t\r") - b + 1);
}

// The seed's "In Attendance:", "Apologies:" and "Presenting:" sections: names and organisations
// alternate, on their own lines or side by side separated by a run of spaces.
Sections ParseSeed(const std::string& text, std::string* heading) {
  std::istringstream in(text);
  std::string line, section;
  std::vector<std::string> chunks;
  Sections out;
  auto flush = [&] {
    for (size_t i = 0; i + 1 < chunks.size(); i += 2)
      out[section].push_back({chunks[i], chunks[i + 1]});
    if (chunks.size() % 2) out[section].push_back({chunks.back(), ""});
    chunks.clear();
  };
  while (std::getline(in, line)) {
    const std::string t = Trim(line);
    if (t.rfind("MINUTES OF", 0) == 0) {
      std::string next;
      std::getline(in, next);
      *heading = t + " " + Trim(next);
      continue;
    }
    if (t == "In Attendance:" || t == "Apologies:" || t == "Presenting:") {
      if (!section.empty()) flush();
      section = t == "In Attendance:" ? "In attendance:" : t;
      continue;
    }
    if (t.rfind("1. ", 0) == 0) break;
    if (section.empty() || t.empty()) continue;
    size_t pos = 0;
    while (pos < t.size()) {
      size_t gap = t.find("  ", pos);
      std::string chunk =
          Trim(t.substr(pos, gap == std::string::npos ? std::string::npos : gap - pos));
      if (!chunk.empty()) chunks.push_back(chunk);
      if (gap == std::string::npos) break;
      pos = t.find_first_not_of(' ', gap);
      if (pos == std::string::npos) break;
    }
  }
  flush();
  return out;
}

// Our markdown: "# HEADING", "## Section:", "- Name — Organisation".
Sections ParseMarkdown(const std::string& md, std::string* heading) {
  std::istringstream in(md);
  std::string line, section;
  Sections out;
  while (std::getline(in, line)) {
    if (line.rfind("# ", 0) == 0) *heading = line.substr(2);
    if (line.rfind("## ", 0) == 0) section = line.substr(3);
    if (line.rfind("- ", 0) == 0 && !section.empty()) {
      const std::string item = line.substr(2);
      const size_t dash = item.find(" — ");
      out[section].push_back(dash == std::string::npos
                                 ? Person{item, ""}
                                 : Person{item.substr(0, dash), item.substr(dash + 5)});
    }
  }
  return out;
}

// Letters and digits only, single spaces: "SIEMENS, HILLGATE HOUSE" == "SIEMENS HILLGATE HOUSE".
std::string Words(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (std::isalnum(static_cast<unsigned char>(c))) {
      out += c;
    } else if (!out.empty() && out.back() != ' ') {
      out += ' ';
    }
  }
  return Trim(out);
}

TEST_F(PagesTest, MinutesHeaderOfTheDemoMeetingCarriesTheSeedsPeople) {
  std::ifstream f(CONVENE_SEED_MINUTES);
  ASSERT_TRUE(f) << "cannot read " << CONVENE_SEED_MINUTES;
  std::stringstream buf;
  buf << f.rdbuf();
  std::string seed_heading;
  const Sections seed = ParseSeed(buf.str(), &seed_heading);
  ASSERT_EQ(seed.at("In attendance:").size(), 17u);
  ASSERT_EQ(seed.at("Apologies:").size(), 4u);
  ASSERT_EQ(seed.at("Presenting:").size(), 4u);

  Session s = Login();
  const std::string id = std::to_string(MarchMeeting());
  Page md = Get("/meetings/" + id + "/minutes.md", s.cookie);
  ASSERT_EQ(md.status, 200) << md.body;
  EXPECT_EQ(md.Header("Content-Type"), "text/markdown; charset=utf-8");
  EXPECT_EQ(md.Header("Cache-Control"), "no-store");
  std::string heading;
  const Sections ours = ParseMarkdown(md.body, &heading);
  EXPECT_EQ(Words(heading), Words(seed_heading));
  for (const char* section : {"In attendance:", "Apologies:", "Presenting:"}) {
    ASSERT_TRUE(ours.count(section)) << section << "\n" << md.body;
    EXPECT_EQ(ours.at(section), seed.at(section)) << section;
  }

  Page html = Get("/organise/meetings/" + id + "/minutes", s.cookie);
  ASSERT_EQ(html.status, 200);
  EXPECT_TRUE(html.Has(seed_heading.substr(0, 40)));
  for (const auto& [section, people] : seed)
    for (const Person& p : people) EXPECT_TRUE(html.Has(p.name)) << p.name;

  // A Bearer token works for the markdown too.
  auto token = ops().IssueApiToken(kDemoOrganiser, "");
  auto c = server_.Client();
  auto r =
      c.Get(("/meetings/" + id + "/minutes.md").c_str(), {{"Authorization", "Bearer " + *token}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, md.body);
}

TEST_F(PagesTest, MinutesBeforeTheRegisterListTheMembersExpected) {
  Session s = Login();
  const MeetingView next = NextMeeting();
  const std::string t = ApologyTokenFor("Ian Cooper", next.meeting.id);
  Post("/apologies/" + t, {{"csrf", ops().FormToken("apology", t)}});
  Page md = Get("/meetings/" + std::to_string(next.meeting.id) + "/minutes.md", s.cookie);
  std::string heading;
  Sections ours = ParseMarkdown(md.body, &heading);
  EXPECT_EQ(ours["In attendance:"].size(), 20u);
  EXPECT_EQ(ours["Apologies:"], (std::vector<Person>{{"Ian Cooper", "Hampshire CC"}}));
  EXPECT_TRUE(md.Has("register has not been taken"));
  EXPECT_EQ(Words(heading),
            "MINUTES OF SOCITM FUTURES MEETING HELD ON MONDAY 18 JANUARY 2027 AT PREMISES OF "
            "SIEMENS HILLGATE HOUSE 26 OLD BAILEY LONDON EC4M 7HS");
}

// ---- the JSON API with a page session ----

TEST_F(PagesTest, ApiAcceptsASessionCookieWithItsCsrfHeader) {
  Session s = Login();
  auto c = server_.Client();
  auto ok = c.Get("/api/v1/groups", {{"Cookie", s.cookie}, {"X-CSRF-Token", s.csrf}});
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200) << ok->body;
  EXPECT_NE(ok->body.find("futures"), std::string::npos);
  auto missing = c.Get("/api/v1/groups", {{"Cookie", s.cookie}});
  EXPECT_EQ(missing->status, 403);
  EXPECT_EQ(missing->get_header_value("Content-Type"), "application/json");
  auto wrong = c.Get("/api/v1/groups", {{"Cookie", s.cookie}, {"X-CSRF-Token", "x"}});
  EXPECT_EQ(wrong->status, 403);
  // A write: PATCH with the session and its token.
  const MeetingView next = NextMeeting();
  const std::string path = "/api/v1/meetings/" + std::to_string(next.meeting.id);
  auto forged = c.Patch(path.c_str(),
                        {{"Cookie", s.cookie}, {"If-Match", Operations::MeetingETag(next.meeting)}},
                        R"({"notes": "forged"})", "application/json");
  EXPECT_EQ(forged->status, 403);
  EXPECT_EQ(ops().GetMeeting(org_.id, next.meeting.id)->meeting.notes, "");
  auto patched = c.Patch(path.c_str(),
                         {{"Cookie", s.cookie},
                          {"X-CSRF-Token", s.csrf},
                          {"If-Match", Operations::MeetingETag(next.meeting)}},
                         R"({"notes": "bring lunch"})", "application/json");
  EXPECT_EQ(patched->status, 200) << patched->body;
  EXPECT_EQ(ops().GetMeeting(org_.id, next.meeting.id)->meeting.notes, "bring lunch");
  auto none = c.Get("/api/v1/groups", {{"Cookie", "convene_session=" + std::string(43, 'A')}});
  EXPECT_EQ(none->status, 401);
}

// ---- throttling, with small limits ----

class ThrottleTest : public PagesTest {
 protected:
  static Config Limits() {
    Config c;
    c.login_failures_per_email = 5;
    c.login_failures_per_address = 8;
    return c;
  }
  ThrottleTest() : PagesTest(Limits()) {}
};

TEST_F(ThrottleTest, FiveFailuresPerEmailIn15MinutesGive429) {
  Page r;
  for (int i = 0; i < 5; ++i) {
    Login(kDemoOrganiser, "wrong password " + std::to_string(i), &r);
    EXPECT_EQ(r.status, 401) << i;
  }
  Session blocked = Login(kDemoOrganiser, kPassword, &r);
  EXPECT_EQ(r.status, 429);
  EXPECT_TRUE(r.Has("Too many attempts"));
  EXPECT_EQ(r.Header("Content-Type"), "text/html; charset=utf-8");
  EXPECT_FALSE(r.Header("Retry-After").empty());
  EXPECT_TRUE(blocked.cookie.empty()) << "even the right password waits";
  // Case does not dodge the limit.
  Login("SECRETARY@example.org", kPassword, &r);
  EXPECT_EQ(r.status, 429);
  server_.clock().Advance(15 * 60 + 1);
  Session s = Login(kDemoOrganiser, kPassword, &r);
  EXPECT_EQ(r.status, 303);
  EXPECT_FALSE(s.cookie.empty());
}

TEST_F(ThrottleTest, FailuresPerClientAddressAcrossEmailsGive429) {
  Page r;
  for (int i = 0; i < 8; ++i) {
    Login("guess" + std::to_string(i) + "@example.org", "some password here", &r);
    EXPECT_EQ(r.status, 401) << i;
  }
  // A spoofed address header changes nothing: the TCP peer counts.
  Page form = Get("/login");
  Page spoofed =
      Post("/login", {{"csrf", Csrf(form)}, {"email", kDemoOrganiser}, {"password", kPassword}},
           CookieOf(form, "convene_login"),
           {{"X-Forwarded-For", "203.0.113.9"}, {"REMOTE_ADDR", "203.0.113.9"}});
  EXPECT_EQ(spoofed.status, 429);
}

class HttpsCookieTest : public PagesTest {
 protected:
  static Config Https() {
    Config c;
    c.base_url = "https://meetings.example.org";
    return c;
  }
  HttpsCookieTest() : PagesTest(Https()) {}
};

TEST_F(HttpsCookieTest, SessionCookieIsSecureWhenBaseUrlIsHttps) {
  Page r;
  Login(kDemoOrganiser, kPassword, &r);
  ASSERT_EQ(r.status, 303);
  bool secure = false;
  for (const std::string& c : r.Headers("Set-Cookie"))
    if (c.rfind("convene_session=", 0) == 0) secure = c.find("; Secure") != std::string::npos;
  EXPECT_TRUE(secure);
}

}  // namespace
}  // namespace convene::server
