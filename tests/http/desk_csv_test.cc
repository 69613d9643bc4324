// Issue 12, the organiser's desk, CSV part: members imported from a file through the API (all or
// nothing, every bad row reported, dry runs, former members back) and through the members page
// (check, preview, confirm); attendance exported: attendance.csv over a scenario whose numbers
// are counted by hand, one meeting's register.csv, and the yearly attendance page.
#include <nlohmann/json.hpp>

#include "tests/http/pages_fixture.h"
#include "tests/support/api_fixture.h"

namespace convene::server {
namespace {

using nlohmann::json;
using testing::ApiFixture;

const std::string kBom = "\xEF\xBB\xBF";

int64_t CountRows(App& app, const std::string& sql) {
  auto tx = app.db().Read();
  EXPECT_TRUE(tx.ok());
  auto s = tx->Prepare(sql.c_str());
  EXPECT_TRUE(s.Step()) << sql << ": " << s.status().ToString();
  return s.Int(0);
}

// What a failed import must leave as it was: every member row and every notice.
std::string MembersAndOutbox(App& app) {
  auto tx = app.db().Read();
  EXPECT_TRUE(tx.ok());
  auto s = tx->Prepare(
      "SELECT (SELECT coalesce(group_concat(id || name || email || organisation || role || "
      "delivery || coalesce(CAST(left_at AS TEXT), ''), '|'), '') FROM members) || '/' || (SELECT "
      "count(*) "
      "FROM outbox) || '/' || (SELECT count(*) FROM tokens) || '/' || (SELECT value FROM meta "
      "WHERE key='revision')");
  EXPECT_TRUE(s.Step()) << s.status().ToString();
  return s.Text(0);
}

// ---------------------------------------------------------------- the API import

class DeskImportApiTest : public ApiFixture {
 protected:
  void SetUp() override {
    ApiFixture::SetUp();
    auto g = Post("/api/v1/groups",
                  {{"slug", "board"}, {"name", "The Board"}, {"timezone", "Europe/London"}});
    ASSERT_TRUE(g && g->status == 201) << (g ? g->body : "no answer");
  }
  httplib::Result Import(const std::string& csv, const std::string& query = "",
                         const std::string& token = "") {
    return server_.Client().Post(("/api/v1/groups/board/members/import" + query).c_str(),
                                 Auth(token), csv, "text/csv");
  }
  json Members(const std::string& query = "") {
    return Body(Get("/api/v1/groups/board/members" + query))["members"];
  }
  json MemberByEmail(const std::string& email) {
    for (const json& m : Members())
      if (m["email"] == email) return m;
    ADD_FAILURE() << "no member " << email;
    return json();
  }
  int64_t Welcomes(const std::string& email) {
    return CountRows(
        server_.app(),
        "SELECT count(*) FROM outbox WHERE kind='welcome' AND recipient='" + email + "'");
  }
  // The rows of a 400 as (line, field) pairs.
  static std::vector<std::pair<int, std::string>> Problems(const json& body) {
    std::vector<std::pair<int, std::string>> out;
    for (const json& r : body["rows"]) out.emplace_back(r["line"], r["field"]);
    return out;
  }
};

// A file as Excel's "CSV UTF-8" writes it: a byte order mark, CRLF, the header in its own case,
// quoted commas and doubled quotes, names that are not ASCII, empty optional cells.
const std::string kExcelFile = kBom +
                               "Name,EMAIL,Organisation,Role,Delivery\r\n"
                               "Ann Archer,ANN@example.org,Acme,member,feed\r\n"
                               "\"Bob Baker\",\"bob@example.org\",\"Builders, Ltd\",chair,\r\n"
                               "Zoë Ångström,zoe@example.org,\"Société \"\"Générale\"\"\",,"
                               "invitations\r\n"
                               "李小龍,li@example.org,,Organiser,feed\r\n";

TEST_F(DeskImportApiTest, AddsUpdatesAndLeavesUnchangedAfterADryRunThatStoresNothing) {
  ASSERT_EQ(Post("/api/v1/groups/board/members",
                 {{"name", "Ann Archer"}, {"email", "ann@example.org"}, {"organisation", "Acme"}})
                ->status,
            201);
  ASSERT_EQ(Post("/api/v1/groups/board/members",
                 {{"name", "Bob Baker"}, {"email", "bob@example.org"}, {"organisation", "Bob's"}})
                ->status,
            201);
  const std::string before = MembersAndOutbox(server_.app());

  auto dry = Import(kExcelFile, "?dry_run=1");
  ASSERT_TRUE(dry);
  ASSERT_EQ(dry->status, 200) << dry->body;
  json d = Body(dry);
  EXPECT_EQ(d["added"], 2);
  EXPECT_EQ(d["updated"], 1);
  EXPECT_EQ(d["unchanged"], 1);
  EXPECT_EQ(d["dry_run"], true);
  ASSERT_EQ(d["rows"].size(), 4u);
  EXPECT_EQ(d["rows"][0],
            json({{"line", 2}, {"email", "ANN@example.org"}, {"action", "unchanged"}}));
  EXPECT_EQ(d["rows"][1]["fields"], json({"organisation", "role"}));
  EXPECT_EQ(MembersAndOutbox(server_.app()), before) << "a dry run stores nothing";
  EXPECT_EQ(Welcomes("zoe@example.org"), 0);

  auto done = Import(kExcelFile);
  ASSERT_EQ(done->status, 200) << done->body;
  json r = Body(done);
  EXPECT_EQ(r["added"], 2);
  EXPECT_EQ(r["updated"], 1);
  EXPECT_EQ(r["unchanged"], 1);
  EXPECT_EQ(r["dry_run"], false);
  EXPECT_EQ(Members().size(), 4u);
  json zoe = MemberByEmail("zoe@example.org");
  EXPECT_EQ(zoe["name"], "Zoë Ångström");
  EXPECT_EQ(zoe["organisation"], "Société \"Générale\"");
  EXPECT_EQ(zoe["delivery"], "invitations");
  EXPECT_EQ(zoe["role"], "member");
  json li = MemberByEmail("li@example.org");
  EXPECT_EQ(li["name"], "李小龍");
  EXPECT_EQ(li["role"], "organiser") << "role and delivery in any case";
  json bob = MemberByEmail("bob@example.org");
  EXPECT_EQ(bob["organisation"], "Builders, Ltd");
  EXPECT_EQ(bob["role"], "chair");
  EXPECT_EQ(bob["delivery"], "feed") << "an empty delivery cell leaves it as it was";
  EXPECT_EQ(MemberByEmail("ann@example.org")["name"], "Ann Archer") << "the stored address kept";
  // New members get their welcome, as when added one by one; the others get nothing.
  EXPECT_EQ(Welcomes("zoe@example.org"), 1);
  EXPECT_EQ(Welcomes("li@example.org"), 1);
  EXPECT_EQ(Welcomes("bob@example.org"), 1) << "only the one from being added";

  // The same file again changes nothing.
  const std::string after = MembersAndOutbox(server_.app());
  json again = Body(Import(kExcelFile));
  EXPECT_EQ(again["added"], 0);
  EXPECT_EQ(again["updated"], 0);
  EXPECT_EQ(again["unchanged"], 4);
  EXPECT_EQ(Members().size(), 4u);
  EXPECT_EQ(Welcomes("zoe@example.org"), 1);
}

TEST_F(DeskImportApiTest, EveryBadRowIsReportedWithItsLineAndFieldAndNothingIsStored) {
  // Three bad rows among good ones; line 4's cell runs over two lines of the file, so the row
  // after it is on line 6.
  const std::string file =
      "name,email,organisation,role\n"
      "Ann Archer,ann@example.org,Acme,member\n"
      "Bad Email,not-an-email,,member\n"
      "Two Lines,two@example.org,\"Acme\n"
      "Ltd\",chair\n"
      "Carl Boss,carl@example.org,,boss\n"
      "Dee Dent,dee@example.org,,chair\n";
  const std::string before = MembersAndOutbox(server_.app());
  auto r = Import(file);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 400) << r->body;
  json b = Body(r);
  EXPECT_EQ(b["error"]["code"], "invalid_csv");
  EXPECT_EQ(b["error"]["field"], "email");
  EXPECT_NE(b["error"]["message"].get<std::string>().find("3 problems"), std::string::npos)
      << b.dump();
  EXPECT_EQ(Problems(b), (std::vector<std::pair<int, std::string>>{
                             {3, "email"}, {4, "organisation"}, {6, "role"}}))
      << b.dump();
  EXPECT_EQ(b["rows"][2]["message"], "role must be member, chair or organiser");
  EXPECT_EQ(MembersAndOutbox(server_.app()), before);
  EXPECT_TRUE(Members().empty()) << "not even the good rows";
  // A dry run answers the same.
  auto dry = Import(file, "?dry_run=1");
  EXPECT_EQ(dry->status, 400);
  EXPECT_EQ(Body(dry)["rows"], b["rows"]);
}

TEST_F(DeskImportApiTest, AnEmailTwiceInTheFileIsAnError) {
  auto r = Import(
      "name,email\n"
      "Ann Archer,ann@example.org\n"
      "Ann Again,ANN@Example.org\n");
  ASSERT_EQ(r->status, 400) << r->body;
  json b = Body(r);
  ASSERT_EQ(Problems(b), (std::vector<std::pair<int, std::string>>{{3, "email"}}));
  EXPECT_NE(b["rows"][0]["message"].get<std::string>().find("line 2"), std::string::npos);
  EXPECT_TRUE(Members().empty());
}

TEST_F(DeskImportApiTest, HeaderAndFileProblemsAreLineOne) {
  struct Case {
    const char* name;
    std::string file;
    std::string field;
  } cases[] = {
      {"no email column", "name,organisation\nAnn,Acme\n", "email"},
      {"unknown column", "name,email,organization\nAnn,ann@example.org,Acme\n", "organization"},
      {"column twice", "name,email,Email\n", "email"},
      {"empty file", "", ""},
      {"UTF-16", "\xFF\xFEn\0a\0", ""},
  };
  for (const Case& c : cases) {
    auto r = Import(c.file);
    ASSERT_TRUE(r) << c.name;
    EXPECT_EQ(r->status, 400) << c.name << ": " << r->body;
    json b = Body(r);
    ASSERT_FALSE(b["rows"].empty()) << c.name;
    EXPECT_EQ(b["rows"][0]["line"], 1) << c.name;
    EXPECT_EQ(b["rows"][0]["field"], c.field) << c.name << ": " << r->body;
  }
  // A header alone imports nothing, and says so with zeros.
  auto empty = Import("name,email\r\n");
  EXPECT_EQ(empty->status, 200);
  EXPECT_EQ(Body(empty)["added"], 0);
  // Rows with more cells than the header (an unquoted comma) are refused; fewer are padded.
  auto wide = Import("name,email\nCooper, Ian,ian@example.org\nAnn,ann@example.org\n");
  EXPECT_EQ(wide->status, 400);
  EXPECT_EQ(Problems(Body(wide)).size(), 2u) << wide->body;  // the name's cell is not an email
  EXPECT_EQ(Body(wide)["rows"][0]["line"], 2);
}

TEST_F(DeskImportApiTest, AFormerMemberComesBackAsTheSameMember) {
  auto added =
      Post("/api/v1/groups/board/members", {{"name", "Ann Archer"}, {"email", "ann@example.org"}});
  const int64_t id = Body(added)["id"];
  auto del = server_.Client().Delete(("/api/v1/groups/board/members/" + std::to_string(id)).c_str(),
                                     Auth());
  ASSERT_EQ(del->status, 204);
  ASSERT_EQ(Members("?former=1").size(), 1u);
  ASSERT_TRUE(Members().empty());

  json dry = Body(Import("name,email\nAnn Archer,Ann@example.org\n", "?dry_run=1"));
  EXPECT_EQ(dry["added"], 1);
  EXPECT_EQ(dry["rows"][0]["returning"], true);
  auto r = Import("name,email,role\nAnn Archer,Ann@example.org,chair\n");
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(Body(r)["added"], 1);
  json now = Members();
  ASSERT_EQ(now.size(), 1u);
  EXPECT_EQ(now[0]["id"], id) << "the same member, their history theirs";
  EXPECT_EQ(now[0]["role"], "chair");
  EXPECT_TRUE(Members("?former=1").empty());
  EXPECT_EQ(Welcomes("ann@example.org") + Welcomes("Ann@example.org"), 2)
      << "welcomed again, as when added back one by one";
}

TEST_F(DeskImportApiTest, LimitsAccessTypeAndSize) {
  const std::string file = "name,email\nAnn,ann@example.org\n";
  EXPECT_EQ(Import(file, "", other_token_)->status, 404) << "another organiser's group";
  EXPECT_EQ(server_.Client().Post("/api/v1/groups/board/members/import", file, "text/csv")->status,
            401);
  auto json_body = server_.Client().Post("/api/v1/groups/board/members/import", Auth(),
                                         R"({"name":"Ann"})", "application/json");
  EXPECT_EQ(json_body->status, 415);
  EXPECT_EQ(Import(file, "?dry_run=maybe")->status, 400);
  // JSON routes still refuse CSV.
  EXPECT_EQ(server_.Client().Post("/api/v1/groups/board/members", Auth(), file, "text/csv")->status,
            415);
  // At most 5,000 rows: the 5,001st is reported at its line, and nothing is stored.
  std::string big = "name,email\n";
  for (int i = 1; i <= 5001; ++i)
    big += "M" + std::to_string(i) + ",m" + std::to_string(i) + "@example.org\n";
  auto r = Import(big);
  ASSERT_EQ(r->status, 400) << r->body.substr(0, 300);
  EXPECT_EQ(Body(r)["rows"][0]["line"], 5002);
  EXPECT_TRUE(Members().empty());
  // Exactly 5,000 pass (as a dry run here, to keep the test quick).
  big.resize(big.rfind("M5001,"));
  auto ok = Import(big, "?dry_run=1");
  ASSERT_EQ(ok->status, 200) << ok->body.substr(0, 300);
  EXPECT_EQ(Body(ok)["added"], 5000);
}

// ---------------------------------------------------------------- attendance, counted by hand

// The scenario, in the group "board" (Europe/London) of the demo's organiser, with the clock
// moved to the dates named: meetings on 9 Dec 2024 (M0), 10 Feb (M1), 12 May (M2), 15 Sep (M3,
// cancelled) and 17 Nov 2025 (M4), and 16 Mar 2026 (M5, after the fixture's today, 5 Jan
// 2026). Members: Ann, Bob, Cat, Dan (removed 1 Jun 2025), Eve (removed 1 Dec 2024), Zoë.
//
//        M0      M1          M2                      M3 (cancelled)   M4
//   Ann  present present     present                 present          absent
//   Bob  -       present     absent                  -                apologies
//   Cat  -       apologies   apologies, but present  -                present
//   Dan  -       absent      present                 (gone)           (gone)
//   Zoë  -       -           -                       -                -
//
// 2025 (M1, M2, M4 held): Ann 3 meetings, 2 present, 0 apologies, 1 absent; Bob 3: 1, 1, 1;
// Cat 3: 2 (the register wins over apologies), 1, 0; Dan 2: 1, 0, 1; Zoë 3: 0, 0, 0 (not
// recorded); Eve left before any of them and is not listed.
class DeskAttendanceTest : public PagesTest {
 protected:
  void SetUp() override {
    PagesTest::SetUp();
    token_ = *ops().IssueApiToken(kDemoOrganiser, "");
    clock().Set(1730419200);  // 1 Nov 2024
    auto v =
        ApiPost("/api/v1/venues",
                {{"name", "Guildhall"}, {"address", "Gresham Street"}, {"postcode", "EC2V 7HH"}});
    ASSERT_EQ(v.status, 201) << v.body;
    ASSERT_EQ(ApiPost("/api/v1/groups",
                      {{"slug", "board"}, {"name", "The Board"}, {"timezone", "Europe/London"}})
                  .status,
              201);
    const std::vector<std::pair<std::string, std::string>> people = {
        {"Ann Archer", "Acme, Ltd"}, {"Bob Baker", "=HYPERLINK(\"http://evil.example\")"},
        {"Cat Cooper", ""},          {"Dan Dare", "+44 Club"},
        {"Eve Early", "Gone Ltd"},   {"Zoë Zimmer", ""}};
    for (const auto& [name, org] : people) {
      std::string email = name.substr(0, name.find(' ')) + "@example.org";
      if (name == "Zoë Zimmer") email = "zoe@example.org";
      json body = {{"name", name}, {"email", email}};
      if (!org.empty()) body["organisation"] = org;
      Reply m = ApiPost("/api/v1/groups/board/members", body);
      ASSERT_EQ(m.status, 201) << m.body;
      ids_[name.substr(0, 3)] = json::parse(m.body)["id"];
    }
    Reply s = ApiPost(
        "/api/v1/groups/board/series",
        {{"title", "Board meeting"},
         {"venue_id", json::parse(v.body)["id"]},
         {"start_time", "18:00"},
         {"duration_minutes", 90},
         {"dates",
          {"2024-12-09", "2025-02-10", "2025-05-12", "2025-09-15", "2025-11-17", "2026-03-16"}}});
    ASSERT_EQ(s.status, 201) << s.body;
    const json created = json::parse(s.body);
    for (const json& m : created["meetings"]) meetings_.push_back(m["id"]);
    ASSERT_EQ(meetings_.size(), 6u);

    clock().Set(1733011200);  // 1 Dec 2024: Eve leaves
    Remove("Eve");
    clock().Set(1735689600);  // 1 Jan 2025: M3 is cancelled; apologies sent ahead
    auto g = Api().Get(MeetingPath(3).c_str(), Bearer());
    ASSERT_EQ(g->status, 200);
    auto c = Api().Patch(
        MeetingPath(3).c_str(),
        {{"Authorization", "Bearer " + token_}, {"If-Match", g->get_header_value("ETag")}},
        R"({"status":"cancelled"})", "application/json");
    ASSERT_EQ(c->status, 200) << c->body;
    Apologies(1, "Cat");
    Apologies(2, "Cat");
    Apologies(4, "Bob");
    clock().Set(1748736000);  // 1 Jun 2025: Dan leaves
    Remove("Dan");
    clock().Set(1767603600);  // back to 5 Jan 2026: the registers are written up
    Mark(0, "Ann", "present");
    Mark(1, "Ann", "present");
    Mark(1, "Bob", "present");
    Mark(1, "Dan", "absent");
    Mark(2, "Ann", "present");
    Mark(2, "Bob", "absent");
    Mark(2, "Cat", "present");
    Mark(2, "Dan", "present");
    Mark(3, "Ann", "present");  // a cancelled meeting: never counted
    Mark(4, "Ann", "absent");
    Mark(4, "Cat", "present");
  }

  struct Reply {
    int status = 0;
    std::string body;
    httplib::Headers headers;
  };
  testing::FakeClock& clock() { return server_.clock(); }
  httplib::Client Api() { return server_.Client(); }
  httplib::Headers Bearer() const { return {{"Authorization", "Bearer " + token_}}; }
  static Reply ReplyOf(const httplib::Result& r) {
    EXPECT_TRUE(r);
    return r ? Reply{r->status, r->body, r->headers} : Reply{};
  }
  Reply ApiPost(const std::string& path, const json& body) {
    return ReplyOf(Api().Post(path.c_str(), Bearer(), body.dump(), "application/json"));
  }
  Reply ApiGet(const std::string& path) { return ReplyOf(Api().Get(path.c_str(), Bearer())); }
  std::string MeetingPath(int i) { return "/api/v1/meetings/" + std::to_string(meetings_[i]); }
  void Remove(const std::string& who) {
    auto r = Api().Delete(("/api/v1/groups/board/members/" + std::to_string(ids_[who])).c_str(),
                          Bearer());
    ASSERT_EQ(r->status, 204);
  }
  void Apologies(int meeting, const std::string& who) {
    Reply r = ApiPost(MeetingPath(meeting) + "/apologies",
                      {{"member_id", ids_[who]}, {"reason", "Away"}});
    ASSERT_EQ(r.status, 201) << r.body;
  }
  void Mark(int meeting, const std::string& who, const std::string& status) {
    auto r = Api().Put((MeetingPath(meeting) + "/attendance/" + std::to_string(ids_[who])).c_str(),
                       Bearer(), json({{"status", status}}).dump(), "application/json");
    ASSERT_TRUE(r);
    ASSERT_LT(r->status, 300) << who << " at M" << meeting << ": " << r->body;
  }

  std::string token_;
  std::map<std::string, int64_t> ids_;
  std::vector<int64_t> meetings_;
};

const std::string kAttendance2025 =
    kBom +
    "name,organisation,meetings,present,apologies,absent\r\n"
    "Ann Archer,\"Acme, Ltd\",3,2,0,1\r\n"
    "Bob Baker,\"'=HYPERLINK(\"\"http://evil.example\"\")\",3,1,1,1\r\n"
    "Cat Cooper,,3,2,1,0\r\n"
    "Dan Dare,'+44 Club,2,1,0,1\r\n"
    "Zoë Zimmer,,3,0,0,0\r\n";

TEST_F(DeskAttendanceTest, AttendanceCsvCountsTheMeetingsHeldInTheRange) {
  Reply r = ApiGet("/api/v1/groups/board/attendance.csv?from=2025-01-01&to=2025-12-31");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body, kAttendance2025);
  auto header = [&r](const std::string& name) {
    auto it = r.headers.find(name);
    return it == r.headers.end() ? std::string() : it->second;
  };
  EXPECT_EQ(header("Content-Type"), "text/csv; charset=utf-8");
  EXPECT_EQ(header("Content-Disposition"),
            "attachment; filename=\"board-attendance-from-2025-01-01-to-2025-12-31.csv\"");
  EXPECT_EQ(header("Cache-Control"), "no-store");

  // A range running into 2026 adds nothing: M5 has not been held yet.
  EXPECT_EQ(ApiGet("/api/v1/groups/board/attendance.csv?from=2025-01-01&to=2026-12-31").body,
            kAttendance2025);
  // 2024 holds M0 alone: Dan was a member then, Eve had left.
  EXPECT_EQ(ApiGet("/api/v1/groups/board/attendance.csv?from=2024-01-01&to=2024-12-31").body,
            kBom +
                "name,organisation,meetings,present,apologies,absent\r\n"
                "Ann Archer,\"Acme, Ltd\",1,1,0,0\r\n"
                "Bob Baker,\"'=HYPERLINK(\"\"http://evil.example\"\")\",1,0,0,0\r\n"
                "Cat Cooper,,1,0,0,0\r\n"
                "Dan Dare,'+44 Club,1,0,0,0\r\n"
                "Zoë Zimmer,,1,0,0,0\r\n");
  // Errors answer as the API's do.
  Reply bad = ApiGet("/api/v1/groups/board/attendance.csv?from=2025-13-01");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(json::parse(bad.body)["error"]["field"], "from");
  EXPECT_EQ(ApiGet("/api/v1/groups/board/attendance.csv?from=2025-02-01&to=2025-01-01").status,
            400);
  EXPECT_EQ(ReplyOf(Api().Get("/api/v1/groups/board/attendance.csv")).status, 401);
  const std::string other = *ops().IssueApiToken("other@example.org", "Other");
  EXPECT_EQ(ReplyOf(Api().Get("/api/v1/groups/board/attendance.csv",
                              {{"Authorization", "Bearer " + other}}))
                .status,
            404);
}

TEST_F(DeskAttendanceTest, YearlyPageShowsAttendedAndExpectedAndLinksTheCsv) {
  Session s = Login();
  Page p = Get("/organise/groups/board/attendance?year=2025", s.cookie);
  ASSERT_EQ(p.status, 200) << p.body;
  EXPECT_TRUE(p.Has("<h1>Attendance in 2025</h1>"));
  EXPECT_TRUE(p.Has("3 meetings held in 2025"));
  const auto row = [&p](const std::string& name) {
    const size_t at = p.body.find("<strong>" + name + "</strong>");
    return at == std::string::npos ? std::string()
                                   : p.body.substr(at, p.body.find("</tr>", at) - at);
  };
  const auto cell = [](const std::string& label, const std::string& v) {
    return "<td data-label=\"" + label + "\" class=\"nowrap\">" + v + "</td>";
  };
  const std::string ann = row("Ann Archer");
  EXPECT_NE(ann.find(cell("Expected", "3") + cell("Attended", "2") + cell("Apologies", "0") +
                     cell("Absent", "1") + cell("Not recorded", "0") + cell("Attendance", "67%")),
            std::string::npos)
      << ann;
  const std::string dan = row("Dan Dare");
  EXPECT_NE(dan.find("(former member)"), std::string::npos);
  EXPECT_NE(dan.find(cell("Expected", "2") + cell("Attended", "1")), std::string::npos) << dan;
  EXPECT_NE(row("Zoë Zimmer").find(cell("Not recorded", "3") + cell("Attendance", "0%")),
            std::string::npos);
  EXPECT_TRUE(row("Eve Early").empty());
  EXPECT_TRUE(p.Has("<th scope=\"col\">Expected</th>"));
  // Year navigation and the CSV link, which works with the page's session.
  EXPECT_TRUE(p.Has("href=\"/organise/groups/board/attendance?year=2024\""));
  EXPECT_TRUE(p.Has("href=\"/organise/groups/board/attendance?year=2026\""));
  const std::string csv = "/api/v1/groups/board/attendance.csv?from=2025-01-01&amp;to=2025-12-31";
  ASSERT_TRUE(p.Has("href=\"" + csv + "\"")) << p.body;
  Page download =
      Get("/api/v1/groups/board/attendance.csv?from=2025-01-01&to=2025-12-31", s.cookie);
  EXPECT_EQ(download.status, 200);
  EXPECT_EQ(download.body, kAttendance2025);

  Page y2024 = Get("/organise/groups/board/attendance?year=2024", s.cookie);
  EXPECT_TRUE(y2024.Has("1 meeting held in 2024"));
  EXPECT_NE(y2024.body.find(cell("Attended", "1") + cell("Apologies", "0")), std::string::npos);
  EXPECT_EQ(Get("/organise/groups/board/attendance?year=20x5", s.cookie).status, 400);
  // The group and members pages link to it; another organiser gets 404.
  EXPECT_TRUE(
      Get("/organise/groups/board", s.cookie).Has("href=\"/organise/groups/board/attendance\""));
  EXPECT_TRUE(Get("/organise/groups/board/members", s.cookie)
                  .Has("href=\"/organise/groups/board/attendance\""));
  ASSERT_TRUE(ops().SetPassword("other@example.org", "another long password").ok());
  Session other = Login("other@example.org", "another long password");
  EXPECT_EQ(Get("/organise/groups/board/attendance?year=2025", other.cookie).status, 404);
  EXPECT_EQ(Get("/organise/groups/board/attendance", "").status, 303) << "to the login page";
}

TEST_F(DeskAttendanceTest, RegisterCsvOfOneMeeting) {
  Session s = Login();
  const std::string path = "/organise/meetings/" + std::to_string(meetings_[2]);
  EXPECT_TRUE(Get(path + "/register", s.cookie).Has("href=\"" + path + "/register.csv\""));
  Page csv = Get(path + "/register.csv", s.cookie);
  ASSERT_EQ(csv.status, 200) << csv.body;
  EXPECT_EQ(csv.Header("Content-Type"), "text/csv; charset=utf-8");
  EXPECT_EQ(csv.Header("Content-Disposition"),
            "attachment; filename=\"board-register-2025-05-12.csv\"");
  // M2: Cat's apologies lost to the register (she came), Dan still listed (he left after it).
  EXPECT_EQ(csv.body, kBom +
                          "name,organisation,status,reason\r\n"
                          "Ann Archer,\"Acme, Ltd\",present,\r\n"
                          "Bob Baker,\"'=HYPERLINK(\"\"http://evil.example\"\")\",absent,\r\n"
                          "Cat Cooper,,present,\r\n"
                          "Dan Dare,'+44 Club,present,\r\n"
                          "Zoë Zimmer,,expected,\r\n");
  // M4: Bob's apologies with their reason.
  Page m4 = Get("/organise/meetings/" + std::to_string(meetings_[4]) + "/register.csv", s.cookie);
  EXPECT_NE(m4.body.find("\r\nBob Baker,\"'=HYPERLINK(\"\"http://evil.example\"\")\",apologies,"
                         "Away\r\n"),
            std::string::npos)
      << m4.body;
  ASSERT_TRUE(ops().SetPassword("other@example.org", "another long password").ok());
  Session other = Login("other@example.org", "another long password");
  EXPECT_EQ(Get(path + "/register.csv", other.cookie).status, 404);
}

// ---------------------------------------------------------------- the members page

class DeskImportPagesTest : public PagesTest {
 protected:
  Page Upload(const Session& s, const std::string& path, const std::string& csv,
              bool with_csrf = true) {
    httplib::MultipartFormDataItems items;
    if (with_csrf) items.push_back({"csrf", s.csrf, "", ""});
    items.push_back({"file", csv, "members.csv", "text/csv"});
    items.push_back({"csv", "", "", ""});
    httplib::Headers h = {{"Cookie", s.cookie}};
    auto r = server_.Client().Post(path.c_str(), h, items);
    EXPECT_TRUE(r);
    return r ? Page{r->status, r->body, r->headers} : Page{};
  }
  static std::string Unescape(std::string v) {
    for (const auto& [from, to] : std::vector<std::pair<std::string, std::string>>{
             {"&quot;", "\""}, {"&apos;", "'"}, {"&lt;", "<"}, {"&gt;", ">"}, {"&amp;", "&"}})
      for (size_t at; (at = v.find(from)) != std::string::npos;) v.replace(at, from.size(), to);
    return v;
  }
  static constexpr const char* kCheck = "/organise/groups/futures/members/import/check";
  static constexpr const char* kImport = "/organise/groups/futures/members/import";
};

TEST_F(DeskImportPagesTest, MembersPageOffersTheUploadAndARoleForANewMember) {
  Session s = Login();
  Page p = Get("/organise/groups/futures/members", s.cookie);
  ASSERT_EQ(p.status, 200);
  EXPECT_TRUE(p.Has("<form method=\"post\" action=\"" + std::string(kCheck) +
                    "\" enctype=\"multipart/form-data\">"));
  EXPECT_TRUE(
      p.Has("<label for=\"import-file\">CSV file</label><input id=\"import-file\" "
            "type=\"file\" name=\"file\""));
  EXPECT_TRUE(p.Has("<label for=\"import-text\">"));
  EXPECT_TRUE(p.Has("<textarea id=\"import-text\" name=\"csv\""));
  EXPECT_TRUE(p.Has("<select id=\"role\" name=\"role\">"));

  Page added = Submit(s, "/organise/groups/futures/members",
                      {{"name", "Grace Chair"}, {"email", "grace@example.org"}, {"role", "chair"}});
  ASSERT_EQ(added.status, 200) << added.body;
  EXPECT_EQ(MemberNamed("Grace Chair").role, calendar::Role::kChair);
}

TEST_F(DeskImportPagesTest, CheckShowsWhatEachRowWillDoThenImportStoresIt) {
  Session s = Login();
  const calendar::Member ian = MemberNamed("Ian Cooper");
  const calendar::Member sal = MemberNamed("Sal Khan");
  const std::string file = kBom + "name,email,organisation\r\n" + "Ian Cooper," + ian.email +
                           ",\"Hampshire CC, Planning\"\r\n" + "Sal Khan," + sal.email + "," +
                           sal.organisation + "\r\n" + "Zoë Ångström,zoe@example.org,\"Acme\"\r\n";
  const std::string before = Snapshot();
  const int64_t members = Count("SELECT count(*) FROM members");

  Page check = Upload(s, kCheck, file);
  ASSERT_EQ(check.status, 200) << check.body;
  EXPECT_TRUE(check.Has("1 to add, 1 to update, 1 unchanged."));
  EXPECT_TRUE(check.Has("<th scope=\"col\">What will happen</th>"));
  EXPECT_TRUE(check.Has("<td data-label=\"Line\" class=\"nowrap\">2</td>"));
  EXPECT_TRUE(check.Has("Updated: organisation"));
  EXPECT_TRUE(check.Has("<td data-label=\"Name\">Zoë Ångström</td>"));
  EXPECT_TRUE(check.Has("Unchanged"));
  EXPECT_TRUE(check.Has("<button type=\"submit\">Import 3 members</button>"));
  EXPECT_EQ(Snapshot(), before) << "checking stores nothing";
  EXPECT_EQ(Count("SELECT count(*) FROM members"), members);

  // Confirm: the checked text travels in the hidden field, as the browser sends it back.
  const std::string hidden = Unescape(Find(check.body, "name=\"csv\" value=\"([^\"]*)\""));
  ASSERT_FALSE(hidden.empty()) << check.body;
  Page done = Submit(s, kImport, {{"csv", hidden}});
  ASSERT_EQ(done.status, 303) << done.body;
  EXPECT_EQ(done.Header("Location"),
            "/organise/groups/futures/members?imported=1&added=1&updated=1&unchanged=1");
  EXPECT_TRUE(
      Get(done.Header("Location"), s.cookie).Has("Imported: 1 added, 1 updated, 1 unchanged."));
  EXPECT_EQ(Count("SELECT count(*) FROM members"), members + 1);
  EXPECT_EQ(MemberNamed("Zoë Ångström").organisation, "Acme");
  EXPECT_EQ(MemberNamed("Ian Cooper").organisation, "Hampshire CC, Planning");
  EXPECT_EQ(Count("SELECT count(*) FROM outbox WHERE kind='welcome' AND "
                  "recipient='zoe@example.org'"),
            1);

  // Pasted text (no file) is checked the same way.
  Page pasted = Submit(s, kCheck, {{"csv", "name,email\nNew Person,new@example.org\n"}});
  EXPECT_EQ(pasted.status, 200);
  EXPECT_TRUE(pasted.Has("1 to add, 0 to update, 0 unchanged."));
  EXPECT_TRUE(pasted.Has("Import 1 member<"));
}

TEST_F(DeskImportPagesTest, ErrorsShowBesideTheirFieldAndNothingCanBeImported) {
  Session s = Login();
  const std::string file =
      "name,email,role\n"
      "Good Person,good@example.org,member\n"
      "Bad <b>Email</b>,not-an-email,member\n"
      "Carl Boss,carl@example.org,boss\n";
  const std::string before = Snapshot();
  Page check = Upload(s, kCheck, file);
  ASSERT_EQ(check.status, 400) << check.body;
  EXPECT_TRUE(check.Has("role=\"alert\""));
  EXPECT_TRUE(check.Has("2 problems in the file (lines 3 and 4); nothing was imported."))
      << check.body;
  EXPECT_TRUE(
      check.Has("<td data-label=\"Email\">not-an-email<p class=\"err small\">Email must "
                "be an email address like name@example.org.</p></td>"))
      << check.body;
  EXPECT_TRUE(
      check.Has("<td data-label=\"Role\">boss<p class=\"err small\">Role must be member, "
                "chair or organiser.</p></td>"));
  EXPECT_TRUE(check.Has("Bad &lt;b&gt;Email&lt;/b&gt;")) << "escaped";
  EXPECT_FALSE(check.Has("<b>Email</b>"));
  EXPECT_FALSE(check.Has("action=\"" + std::string(kImport) + "\"")) << "no confirm form";
  EXPECT_TRUE(check.Has(">name,email,role\nGood Person,good@example.org,member\n"))
      << "the text comes back to be fixed";
  EXPECT_EQ(Snapshot(), before);
  // A confirm with bad text (a page kept open, say) stores nothing either.
  Page forced = Submit(s, kImport, {{"csv", file}});
  EXPECT_EQ(forced.status, 400);
  EXPECT_EQ(Snapshot(), before);
  EXPECT_EQ(Count("SELECT count(*) FROM members WHERE email='good@example.org'"), 0);
}

TEST_F(DeskImportPagesTest, FormTokenAndOwnerAreChecked) {
  Session s = Login();
  const std::string file = "name,email\nAnn,ann@example.org\n";
  EXPECT_EQ(Upload(s, kCheck, file, false).status, 403);
  EXPECT_EQ(Post(kImport, {{"csv", file}}, s.cookie).status, 403);
  EXPECT_EQ(Count("SELECT count(*) FROM members WHERE email='ann@example.org'"), 0);
  ASSERT_TRUE(ops().SetPassword("other@example.org", "another long password").ok());
  Session other = Login("other@example.org", "another long password");
  EXPECT_EQ(Upload(other, kCheck, file).status, 404);
  EXPECT_EQ(Submit(other, kImport, {{"csv", file}}).status, 404);
  EXPECT_EQ(Count("SELECT count(*) FROM members WHERE email='ann@example.org'"), 0);
}

}  // namespace
}  // namespace convene::server
