// "Forgot your password" over real HTTP with the App's real outbox: the request page never says
// whether an account exists, the link goes out by email (read back from the outbox row, as a
// mail client would see it), works once, for an hour, replaces earlier links, is throttled, and a
// GET on it changes nothing.
#include "tests/http/pages_fixture.h"

namespace convene::server {
namespace {

class PasswordResetTest : public PagesTest {
 protected:
  PasswordResetTest() { record_changes_ = false; }

  // The forgot-password form's POST, as a browser sends it (cookie and form token from the GET).
  Page Ask(const std::string& email) {
    Page form = Get("/login/forgot");
    return Post("/login/forgot", {{"csrf", Csrf(form)}, {"email", email}},
                CookieOf(form, "convene_login"));
  }
  int64_t Resets() { return Count("SELECT count(*) FROM outbox WHERE kind='password_reset'"); }
  // The link in the latest reset email: its body decoded from quoted-printable.
  std::string LatestLink() {
    std::string body = Text(
        "SELECT CAST(body AS TEXT) FROM outbox WHERE kind='password_reset' ORDER BY id DESC "
        "LIMIT 1");
    for (size_t at; (at = body.find("=\r\n")) != std::string::npos;) body.erase(at, 3);
    for (size_t at; (at = body.find("=3D")) != std::string::npos;) body.replace(at, 3, "=");
    return Find(body, "http://convene\\.test(/login/reset/[A-Za-z0-9_-]{43})");
  }
};

TEST_F(PasswordResetTest, TheLinkComesByEmailWorksOnceAndLogsIn) {
  EXPECT_TRUE(Get("/login").Has("href=\"/login/forgot\""));
  Session before = Login();
  ASSERT_FALSE(before.cookie.empty());

  // An address with no account gets the same answer, and nothing is sent.
  Page nobody = Ask("nobody@example.org");
  ASSERT_EQ(nobody.status, 200) << nobody.body;
  EXPECT_TRUE(nobody.Has("If an organiser account uses that address"));
  EXPECT_EQ(Resets(), 0);
  Page sent = Ask("Secretary@Example.org");
  ASSERT_EQ(sent.status, 200);
  EXPECT_TRUE(sent.Has("If an organiser account uses that address"));
  EXPECT_EQ(Resets(), 1);
  EXPECT_EQ(Text("SELECT recipient || '/' || group_id FROM outbox WHERE kind='password_reset'"),
            std::string(kDemoOrganiser) + "/0");
  const std::string link = LatestLink();
  ASSERT_FALSE(link.empty());

  // Opening it (a mail scanner too) changes nothing.
  const std::string snapshot = Snapshot();
  Page form = Get(link);
  ASSERT_EQ(form.status, 200) << form.body;
  EXPECT_TRUE(form.Has(kDemoOrganiser));
  EXPECT_EQ(form.Header("Cache-Control"), "no-store");
  EXPECT_EQ(form.Header("Referrer-Policy"), "no-referrer");
  EXPECT_EQ(Get(link).status, 200);
  EXPECT_EQ(Snapshot(), snapshot);

  const std::string fresh = "a brand new long passphrase";
  EXPECT_EQ(Post(link, {{"password", fresh}, {"repeat", fresh}}).status, 403);
  Page differ = Post(link, {{"csrf", Csrf(form)}, {"password", fresh}, {"repeat", "other"}});
  EXPECT_EQ(differ.status, 400);
  EXPECT_TRUE(differ.Has("The two passwords differ"));
  Page weak = Post(link, {{"csrf", Csrf(form)}, {"password", "short"}, {"repeat", "short"}});
  EXPECT_EQ(weak.status, 400);
  EXPECT_TRUE(Login(kDemoOrganiser, kPassword).cookie.size() > 0) << "nothing changed yet";

  Page done = Post(link, {{"csrf", Csrf(form)}, {"password", fresh}, {"repeat", fresh}});
  ASSERT_EQ(done.status, 303) << done.body;
  EXPECT_EQ(done.Header("Location"), "/organise/account?changed=1");
  const std::string cookie = CookieOf(done, "convene_session");
  EXPECT_EQ(Get("/organise", cookie).status, 200) << "logged in by the reset";
  EXPECT_EQ(Get("/organise", before.cookie).status, 303) << "older sessions ended";
  EXPECT_TRUE(Login(kDemoOrganiser, kPassword).cookie.empty());
  EXPECT_FALSE(Login(kDemoOrganiser, fresh).cookie.empty());

  // Used: the link is dead, for GET and POST alike.
  Page used = Get(link);
  EXPECT_EQ(used.status, 404);
  EXPECT_TRUE(used.Has("This link does not work"));
  EXPECT_EQ(Post(link, {{"csrf", Csrf(form)}, {"password", fresh}, {"repeat", fresh}}).status, 404);
}

TEST_F(PasswordResetTest, ANewLinkReplacesTheOldOneAndLinksExpireAfterAnHour) {
  ASSERT_EQ(Ask(kDemoOrganiser).status, 200);
  const std::string first = LatestLink();
  ASSERT_EQ(Ask(kDemoOrganiser).status, 200);
  const std::string second = LatestLink();
  ASSERT_FALSE(second.empty());
  EXPECT_NE(first, second);
  EXPECT_EQ(Get(first).status, 404);
  EXPECT_EQ(Get(second).status, 200);
  server_.clock().Advance(3600);
  EXPECT_EQ(Get(second).status, 404) << "an hour later";
}

TEST_F(PasswordResetTest, RequestsAreThrottledWithoutSayingSo) {
  for (int i = 0; i < 5; ++i) {
    Page p = Ask(kDemoOrganiser);
    EXPECT_EQ(p.status, 200);
    EXPECT_TRUE(p.Has("If an organiser account uses that address"));
  }
  EXPECT_EQ(Resets(), 3) << "three emails per address in the window";
  Page bad = Ask("not an address");
  EXPECT_EQ(bad.status, 400);
  Page form = Get("/login/forgot");
  EXPECT_EQ(
      Post("/login/forgot", {{"email", kDemoOrganiser}}, CookieOf(form, "convene_login")).status,
      403)
      << "the form token is checked";
}

}  // namespace
}  // namespace convene::server
