// A real convene on loopback with the demo group loaded and the demo organiser's password set,
// plus the helpers the page tests share: form posts, cookies, CSRF tokens scraped from the
// pages as a browser would see them, row counts. Each test owns its fixture.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <regex>
#include <string>
#include <vector>

#include "server/app/demo.h"
#include "tests/support/fakes.h"

namespace convene::server {

inline constexpr const char* kPassword = "correct horse battery staple";

struct Page {
  int status = 0;
  std::string body;
  httplib::Headers headers;
  std::string Header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
  std::vector<std::string> Headers(const std::string& name) const {
    std::vector<std::string> out;
    auto [b, e] = headers.equal_range(name);
    for (auto it = b; it != e; ++it) out.push_back(it->second);
    return out;
  }
  bool Has(const std::string& text) const { return body.find(text) != std::string::npos; }
};

// The first capture of `pattern` in `text`, or empty.
inline std::string Find(const std::string& text, const std::string& pattern) {
  std::smatch m;
  std::regex re(pattern);
  return std::regex_search(text, m, re) ? m[1].str() : std::string();
}

inline std::string FormEncode(const std::vector<std::pair<std::string, std::string>>& fields) {
  std::string out;
  for (const auto& [k, v] : fields) {
    if (!out.empty()) out += '&';
    out += httplib::detail::encode_query_param(k) + "=" + httplib::detail::encode_query_param(v);
  }
  return out;
}

class PagesTest : public ::testing::Test {
 protected:
  explicit PagesTest(Config config = {}) : server_(Configure(config)) {}

  static Config Configure(Config c) {
    if (c.base_url == Config{}.base_url) c.base_url = "http://convene.test";
    return c;
  }

  void SetUp() override {
    ASSERT_TRUE(server_.error().empty()) << server_.error();
    auto demo = LoadDemo(ops());
    ASSERT_TRUE(demo.ok()) << demo.status().ToString();
    ASSERT_TRUE(ops().SetPassword(kDemoOrganiser, kPassword).ok());
    org_ = *ops().EnsureOrganiser(kDemoOrganiser, "");
    if (!record_changes_) return;  // the App's own hook queues the real notices
    ops().set_change_hook([this](calendar::store::Tx&, const MeetingEvent& c, int64_t) {
      std::lock_guard<std::mutex> lock(mu_);
      changes_.push_back(c);
      return Status::Ok();
    });
  }

  Operations& ops() { return server_.app().ops(); }

  Page Get(const std::string& path, const std::string& cookie = "") {
    auto c = server_.Client();
    httplib::Headers h;
    if (!cookie.empty()) h.emplace("Cookie", cookie);
    auto r = c.Get(path.c_str(), h);
    EXPECT_TRUE(r) << "GET " << path;
    if (!r) return {};
    return Page{r->status, r->body, r->headers};
  }
  Page Post(const std::string& path, const std::vector<std::pair<std::string, std::string>>& form,
            const std::string& cookie = "", httplib::Headers h = {}) {
    auto c = server_.Client();
    if (!cookie.empty()) h.emplace("Cookie", cookie);
    auto r = c.Post(path.c_str(), h, FormEncode(form), "application/x-www-form-urlencoded");
    EXPECT_TRUE(r) << "POST " << path;
    if (!r) return {};
    return Page{r->status, r->body, r->headers};
  }

  static std::string Csrf(const Page& p) {
    return Find(p.body, "name=\"csrf\" value=\"([A-Za-z0-9_-]+)\"");
  }
  // The hidden ETag of the edit form posting to `action`, unescaped as a browser sends it.
  static std::string FormETag(const Page& p, const std::string& action) {
    std::string v = Find(p.body, "action=\"" + action +
                                     "\">\\s*<input type=\"hidden\" name=\"csrf\" value=\"[^\"]*\">"
                                     "\\s*<input type=\"hidden\" name=\"etag\" value=\"([^\"]*)\"");
    for (size_t at; (at = v.find("&quot;")) != std::string::npos;) v.replace(at, 6, "\"");
    return v;
  }
  // "name=value" of a Set-Cookie header for `name`, or empty.
  static std::string CookieOf(const Page& p, const std::string& name) {
    for (const std::string& c : p.Headers("Set-Cookie"))
      if (c.rfind(name + "=", 0) == 0) return c.substr(0, c.find(';'));
    return {};
  }

  struct Session {
    std::string cookie;  // "convene_session=..."
    std::string csrf;
  };
  // Logs in through the login form as a browser does; empty cookie on failure.
  Session Login(const std::string& email = kDemoOrganiser, const std::string& password = kPassword,
                Page* result = nullptr) {
    Page form = Get("/login");
    const std::string login_cookie = CookieOf(form, "convene_login");
    Page r = Post("/login", {{"csrf", Csrf(form)}, {"email", email}, {"password", password}},
                  login_cookie);
    if (result) *result = r;
    Session s;
    s.cookie = CookieOf(r, "convene_session");
    if (!s.cookie.empty()) s.csrf = Csrf(Get("/organise", s.cookie));
    return s;
  }

  // Sends a form of the organiser's pages in the session `s`, with the session's form token.
  Page Submit(const Session& s, const std::string& path,
              std::vector<std::pair<std::string, std::string>> fields) {
    fields.insert(fields.begin(), {"csrf", s.csrf});
    return Post(path, fields, s.cookie);
  }

  int64_t Count(const std::string& sql) {
    auto tx = server_.app().db().Read();
    EXPECT_TRUE(tx.ok());
    auto s = tx->Prepare(sql.c_str());
    EXPECT_TRUE(s.Step()) << sql << ": " << s.status().ToString();
    return s.Int(0);
  }
  std::string Text(const std::string& sql) {
    auto tx = server_.app().db().Read();
    EXPECT_TRUE(tx.ok());
    auto s = tx->Prepare(sql.c_str());
    EXPECT_TRUE(s.Step()) << sql << ": " << s.status().ToString();
    return s.Text(0);
  }
  // Everything a stray GET must leave as it was.
  std::string Snapshot() {
    return Text(
        "SELECT (SELECT count(*) FROM apologies) || '/' || (SELECT coalesce(group_concat(reason, "
        "'|'), '')"
        " FROM apologies) || '/' || (SELECT count(*) FROM tokens) || '/' || (SELECT count(*)"
        " FROM tokens WHERE revoked_at IS NULL) || '/' || (SELECT coalesce(group_concat(delivery"
        " || unsubscribed || links_version), '') FROM members) || '/' || (SELECT value FROM meta "
        "WHERE"
        " key='revision') || '/' || (SELECT sum(version) FROM meetings) || '/' || (SELECT"
        " count(*) FROM attendance) || '/' || (SELECT count(*) FROM presenters) || '/' ||"
        " (SELECT count(*) FROM venues)");
  }

  calendar::Member MemberNamed(const std::string& name) {
    auto members = ops().ListMembers(org_.id, kDemoSlug);
    EXPECT_TRUE(members.ok());
    for (const auto& m : *members)
      if (m.name == name) return m;
    ADD_FAILURE() << "no member " << name;
    return {};
  }
  // A fresh personal page token for the member (the organiser's "new personal link").
  std::string PageToken(const std::string& name) {
    auto link = ops().NewMemberPageLink(org_.id, MemberNamed(name).id);
    EXPECT_TRUE(link.ok());
    return link.ok() ? link->page_token : "";
  }
  // The first upcoming meeting of the demo (18 January 2027, as the clock is in 2026).
  MeetingView NextMeeting() {
    auto upcoming = ops().UpcomingMeetings(org_.id, kDemoSlug);
    EXPECT_TRUE(upcoming.ok() && !upcoming->empty());
    return upcoming->front();
  }
  // The 15 March 2010 meeting of the seed minutes.
  calendar::Id MarchMeeting() {
    auto all = ops().ListMeetings(org_.id, kDemoSlug, "2010-03-15", "2010-03-15");
    EXPECT_TRUE(all.ok() && all->size() == 1);
    return all->front().meeting.id;
  }
  std::string ApologyTokenFor(const std::string& name, calendar::Id meeting) {
    calendar::Member m = MemberNamed(name);
    return ApologyToken(ops().link_key(), meeting, m.id, m.links_version);
  }
  // Revokes every link issued to the member so far: bumps their links_version.
  void RevokeLinksOf(const std::string& name) {
    auto tx = server_.app().db().Write();
    ASSERT_TRUE(tx->Prepare("UPDATE members SET links_version = links_version + 1 WHERE id=?1")
                    .BindAll(MemberNamed(name).id)
                    .Run()
                    .ok());
    ASSERT_TRUE(tx->Commit().ok());
  }
  size_t ChangeCount() {
    std::lock_guard<std::mutex> lock(mu_);
    return changes_.size();
  }
  std::vector<MeetingEvent> Changes() {
    std::lock_guard<std::mutex> lock(mu_);
    return changes_;
  }

  // true: changes are recorded (Changes()) instead of queueing notices. A fixture that needs the
  // real outbox rows sets it to false in its constructor.
  bool record_changes_ = true;
  testing::ServerFixture server_;
  calendar::Organiser org_;
  std::mutex mu_;
  std::vector<MeetingEvent> changes_;
};

// The pages with the App's real notices: changes queue outbox rows instead of being recorded.
class RealNoticesTest : public PagesTest {
 protected:
  RealNoticesTest() { record_changes_ = false; }

  // A new venue of the organiser's, in Gresham Street.
  calendar::Id AddVenue(const std::string& name) {
    VenueInput in;
    in.name = name;
    in.address = "Gresham Street, London";
    auto v = ops().CreateVenue(org_.id, in);
    EXPECT_TRUE(v.ok());
    return v.ok() ? v->id : 0;
  }
  // Changes the demo's next meeting as an organiser who has just read it.
  Status ChangeNext(const MeetingPatch& patch) {
    const MeetingView next = NextMeeting();
    return ops()
        .ChangeMeeting(org_.id, next.meeting.id, Operations::MeetingETag(next.meeting), patch)
        .status();
  }
  static MeetingPatch VenuePatch(calendar::Id venue) {
    MeetingPatch p;
    p.venue_id = venue;
    return p;
  }
};

}  // namespace convene::server
