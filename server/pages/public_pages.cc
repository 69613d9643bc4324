// Public pages and the organiser's login and logout.
#include "server/api/api_handlers.h"
#include "server/http/links.h"
#include "server/http/responses.h"
#include "server/pages/page_handlers.h"

namespace convene::server::pages {

using nlohmann::json;

namespace {

json Meetings(const std::vector<MeetingView>& views) {
  json list = json::array();
  for (const MeetingView& v : views) list.push_back(MeetingModel(v));
  return list;
}

constexpr int64_t kLoginCookieSeconds = 3600;

// The anonymous forms (login, forgot password) share the login cookie's nonce as their CSRF
// secret: a new one when the browser has none.
std::string LoginNonce(const httplib::Request& req) {
  std::string nonce = CookieValue(req, kLoginCookie);
  return nonce.size() == 43 ? nonce : NewSecret(SystemRandom());
}

void SendLogin(App& app, const httplib::Request& req, httplib::Response& res, int status,
               const std::string& next, const std::string& email, const Status* error) {
  const std::string nonce = LoginNonce(req);
  json data = {{"csrf", app.ops().FormToken("login", nonce)},
               {"next", IsLocalPath(next) ? next : "/organise"},
               {"email", email},
               {"out", Form(req).Get("out") == "1"}};
  if (error) {
    std::string message = error->message();
    if (!message.empty()) message[0] = static_cast<char>(std::toupper(message[0]));
    data["error"] = message;
  }
  SendPage(res, status, "login.mustache", "Organiser login", data, Privacy::kPrivate);
  res.set_header("Set-Cookie", CookieHeader(kLoginCookie, nonce, kLoginCookieSeconds,
                                            app.config().secure_cookies()));
}

}  // namespace

void Home(App&, const httplib::Request&, httplib::Response& res) {
  SendPage(res, 200, "home.mustache", "Meetings", json::object(), Privacy::kPublic);
}

void GroupPage(App& app, const httplib::Request& req, httplib::Response& res) {
  auto page = app.ops().PublicGroup(req.matches[1]);
  if (!page.ok()) return SendErrorPage(res, page.status());
  const std::string feed = links::GroupFeed(app.config().base_url, page->group.slug);
  json data = {{"group",
                {{"name", page->group.name},
                 {"slug", page->group.slug},
                 {"timezone", page->group.timezone}}},
               {"meetings", Meetings(page->upcoming)},
               {"feed_url", feed},
               {"webcal", links::Webcal(feed)}};
  SendPage(res, 200, "group.mustache", page->group.name, data, Privacy::kPublic);
}

void MeetingPage(App& app, const httplib::Request& req, httplib::Response& res) {
  auto id = api::PathId(req, 1);
  if (!id.ok()) return SendErrorPage(res, id.status());
  auto v = app.ops().PublicMeeting(*id);
  if (!v.ok()) return SendErrorPage(res, v.status());
  SendPage(res, 200, "meeting.mustache", v->group.name + ", " + HumanDate(v->meeting.start.date),
           {{"meeting", MeetingModel(*v)}}, Privacy::kPublic);
}

void VenuePage(App& app, const httplib::Request& req, httplib::Response& res) {
  auto id = api::PathId(req, 1);
  if (!id.ok()) return SendErrorPage(res, id.status());
  auto page = app.ops().PublicVenue(*id);
  if (!page.ok()) return SendErrorPage(res, page.status());
  SendPage(res, 200, "venue.mustache", page->venue.name,
           {{"venue", VenueModel(page->venue)}, {"meetings", Meetings(page->upcoming)}},
           Privacy::kPublic);
}

Result<Viewer> SessionViewer(App& app, const httplib::Request& req) {
  const std::string token = CookieValue(req, kSessionCookie);
  ASSIGN_OR_RETURN(calendar::Organiser o, app.ops().AuthenticateSession(token));
  return Viewer{o, token, app.ops().FormToken("session", HashSecret(token))};
}

void LoginForm(App& app, const httplib::Request& req, httplib::Response& res) {
  SendLogin(app, req, res, 200, Form(req).Get("next"), "", nullptr);
}

void LoginSubmit(App& app, const httplib::Request& req, httplib::Response& res) {
  Form form(req);
  const std::string nonce = CookieValue(req, kLoginCookie);
  if (nonce.size() != 43 || !SecretsEqual(form.Get("csrf"), app.ops().FormToken("login", nonce)))
    return SendErrorPage(
        res, Status(Code::kPermissionDenied, "the login form had expired (or cookies are off)"),
        "/login");
  auto session =
      app.ops().Login(form.Get("email"), form.Get("password"), ClientAddress(req, app.config()));
  if (!session.ok()) {
    if (session.status().code() == Code::kUnauthenticated)
      return SendLogin(app, req, res, 401, form.Get("next"), form.Get("email").substr(0, 254),
                       &session.status());
    return SendErrorPage(res, session.status(), "/login");
  }
  // A new session on every login; the one the browser had (if any) ends.
  const std::string old = CookieValue(req, kSessionCookie);
  if (!old.empty()) (void)app.ops().Logout(old);
  const bool secure = app.config().secure_cookies();
  res.set_header("Set-Cookie", CookieHeader(kSessionCookie, session->token,
                                            session->expires_at - app.ops().Now(), secure));
  res.set_header("Set-Cookie", CookieHeader(kLoginCookie, "", 0, secure));
  const std::string next = form.Get("next");
  SeeOther(res, IsLocalPath(next) ? next : "/organise");
}

namespace {

void SendForgot(App& app, const httplib::Request& req, httplib::Response& res, bool sent) {
  const std::string nonce = LoginNonce(req);
  SendPage(res, 200, "forgot.mustache", "Forgot your password?",
           {{"csrf", app.ops().FormToken("forgot", nonce)}, {"sent", sent}}, Privacy::kPrivate);
  res.set_header("Set-Cookie", CookieHeader(kLoginCookie, nonce, kLoginCookieSeconds,
                                            app.config().secure_cookies()));
}

}  // namespace

void ForgotForm(App& app, const httplib::Request& req, httplib::Response& res) {
  SendForgot(app, req, res, false);
}

void ForgotSubmit(App& app, const httplib::Request& req, httplib::Response& res) {
  Form form(req);
  const std::string nonce = CookieValue(req, kLoginCookie);
  if (nonce.size() != 43 || !SecretsEqual(form.Get("csrf"), app.ops().FormToken("forgot", nonce)))
    return SendErrorPage(
        res, Status(Code::kPermissionDenied, "the form had expired (or cookies are off)"),
        "/login/forgot");
  if (Status st =
          app.ops().RequestPasswordReset(form.Get("email"), ClientAddress(req, app.config()));
      !st.ok())
    return SendErrorPage(res, st, "/login/forgot");
  SendForgot(app, req, res, true);
}

void ResetForm(App& app, const httplib::Request& req, httplib::Response& res) {
  const std::string token = req.matches[1];
  auto o = app.ops().PasswordResetLink(token);
  if (!o.ok()) return SendErrorPage(res, o.status(), "/login/forgot");
  SendPage(res, 200, "reset.mustache", "Choose a new password",
           {{"email", o->email}, {"token", token}, {"csrf", app.ops().FormToken("reset", token)}},
           Privacy::kPrivate);
}

void ResetSubmit(App& app, const httplib::Request& req, httplib::Response& res) {
  const std::string token = req.matches[1];
  const std::string back = links::PasswordReset("", token);
  Form form(req);
  if (!SecretsEqual(form.Get("csrf"), app.ops().FormToken("reset", token)))
    return SendErrorPage(res, Status(Code::kPermissionDenied, "the form had expired"), back);
  if (form.Get("password") != form.Get("repeat"))
    return SendErrorPage(res, InvalidArgument("repeat", "the two passwords differ"), back);
  auto session =
      app.ops().ResetPassword(token, form.Get("password"), ClientAddress(req, app.config()));
  if (!session.ok()) return SendErrorPage(res, session.status(), back);
  const bool secure = app.config().secure_cookies();
  res.set_header("Set-Cookie", CookieHeader(kSessionCookie, session->token,
                                            session->expires_at - app.ops().Now(), secure));
  SeeOther(res, "/organise/account?changed=1");
}

void Logout(App& app, const httplib::Request& req, httplib::Response& res) {
  auto viewer = SessionViewer(app, req);
  if (viewer.ok()) {
    if (!SecretsEqual(Form(req).Get("csrf"), viewer->csrf))
      return SendErrorPage(res, Status(Code::kPermissionDenied, "the logout form had expired"),
                           "/organise");
    if (Status st = app.ops().Logout(viewer->session_token); !st.ok())
      return SendErrorPage(res, st);
  }
  res.set_header("Set-Cookie", CookieHeader(kSessionCookie, "", 0, app.config().secure_cookies()));
  SeeOther(res, "/login?out=1");
}

}  // namespace convene::server::pages
