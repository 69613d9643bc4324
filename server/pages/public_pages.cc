// Public pages and the organiser's login and logout.
#include "calendar/words.h"
#include "server/api/api_handlers.h"
#include "server/http/links.h"
#include "server/http/responses.h"
#include "server/pages/page_handlers.h"

namespace convene::server::pages {

using nlohmann::json;

namespace {

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

// HandlePage (render.h) for the POST of an anonymous form: login (`purpose` "login") or forgot
// password ("forgot"). Its form token, bound to the login cookie's nonce, must be the form's, else
// kPermissionDenied saying `expired`; then `body(form)`. Every error page goes back to `form_path`.
template <typename F>
void HandleNonceForm(App& app, const httplib::Request& req, httplib::Response& res,
                     const char* purpose, const char* form_path, const char* expired, F&& body) {
  HandlePage(res, [&](std::string& back) -> Status {
    back = form_path;
    const Form form(req);
    const std::string nonce = CookieValue(req, kLoginCookie);
    if (nonce.size() != 43 || !SecretsEqual(form.Get("csrf"), app.ops().FormToken(purpose, nonce)))
      return Status(Code::kPermissionDenied, expired);
    return body(form);
  });
}

}  // namespace

void Home(App&, const httplib::Request&, httplib::Response& res) {
  SendPage(res, 200, "home.mustache", "Meetings", json::object(), Privacy::kPublic);
}

void GroupPage(App& app, const httplib::Request& req, httplib::Response& res) {
  HandlePage(res, [&](std::string&) -> Status {
    ASSIGN_OR_RETURN(auto page, app.ops().PublicGroup(req.matches[1]));
    const std::string feed = links::GroupFeed(app.config().base_url, page.group.slug);
    json data = {
        {"group",
         {{"name", page.group.name}, {"slug", page.group.slug}, {"timezone", page.group.timezone}}},
        {"meetings", MeetingModels(page.upcoming)},
        {"feed_url", feed},
        {"webcal", links::Webcal(feed)}};
    SendPage(res, 200, "group.mustache", page.group.name, data, Privacy::kPublic);
    return Status::Ok();
  });
}

void MeetingPage(App& app, const httplib::Request& req, httplib::Response& res) {
  HandlePage(res, [&](std::string&) -> Status {
    ASSIGN_OR_RETURN(calendar::Id id, api::PathId(req, 1));
    ASSIGN_OR_RETURN(MeetingView v, app.ops().PublicMeeting(id));
    SendPage(res, 200, "meeting.mustache",
             v.group.name + ", " + calendar::LongDate(v.meeting.start.date),
             {{"meeting", MeetingModel(v)}}, Privacy::kPublic);
    return Status::Ok();
  });
}

void VenuePage(App& app, const httplib::Request& req, httplib::Response& res) {
  HandlePage(res, [&](std::string&) -> Status {
    ASSIGN_OR_RETURN(calendar::Id id, api::PathId(req, 1));
    ASSIGN_OR_RETURN(auto page, app.ops().PublicVenue(id));
    SendPage(res, 200, "venue.mustache", page.venue.name,
             {{"venue", VenueModel(page.venue)}, {"meetings", MeetingModels(page.upcoming)}},
             Privacy::kPublic);
    return Status::Ok();
  });
}

Result<Viewer> SessionViewer(App& app, const httplib::Request& req) {
  const std::string token = CookieValue(req, kSessionCookie);
  ASSIGN_OR_RETURN(calendar::Organiser o, app.ops().AuthenticateSession(token));
  return Viewer{o, token, app.ops().FormToken("session", HashSecret(token))};
}

std::string SessionCookie(App& app, const Session& session) {
  return CookieHeader(kSessionCookie, session.token, session.expires_at - app.ops().Now(),
                      app.config().secure_cookies());
}

void LoginForm(App& app, const httplib::Request& req, httplib::Response& res) {
  SendLogin(app, req, res, 200, Form(req).Get("next"), "", nullptr);
}

void LoginSubmit(App& app, const httplib::Request& req, httplib::Response& res) {
  auto login = [&](const Form& form) -> Status {
    auto session =
        app.ops().Login(form.Get("email"), form.Get("password"), ClientAddress(req, app.config()));
    if (session.status().code() == Code::kUnauthenticated) {  // the form again, saying why
      SendLogin(app, req, res, 401, form.Get("next"), form.Get("email").substr(0, 254),
                &session.status());
      return Status::Ok();
    }
    RETURN_IF_ERROR(session.status());
    // A new session on every login; the one the browser had (if any) ends.
    const std::string old = CookieValue(req, kSessionCookie);
    if (!old.empty()) (void)app.ops().Logout(old);
    res.set_header("Set-Cookie", SessionCookie(app, *session));
    res.set_header("Set-Cookie", CookieHeader(kLoginCookie, "", 0, app.config().secure_cookies()));
    const std::string next = form.Get("next");
    SeeOther(res, IsLocalPath(next) ? next : "/organise");
    return Status::Ok();
  };
  HandleNonceForm(app, req, res, "login", "/login",
                  "the login form had expired (or cookies are off)", login);
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
  auto request_reset = [&](const Form& form) -> Status {
    RETURN_IF_ERROR(
        app.ops().RequestPasswordReset(form.Get("email"), ClientAddress(req, app.config())));
    SendForgot(app, req, res, true);
    return Status::Ok();
  };
  HandleNonceForm(app, req, res, "forgot", "/login/forgot",
                  "the form had expired (or cookies are off)", request_reset);
}

void ResetForm(App& app, const httplib::Request& req, httplib::Response& res) {
  HandlePage(res, [&](std::string& back) -> Status {
    back = "/login/forgot";
    const std::string token = req.matches[1];
    ASSIGN_OR_RETURN(calendar::Organiser o, app.ops().PasswordResetLink(token));
    SendPage(res, 200, "reset.mustache", "Choose a new password",
             {{"email", o.email}, {"token", token}, {"csrf", app.ops().FormToken("reset", token)}},
             Privacy::kPrivate);
    return Status::Ok();
  });
}

void ResetSubmit(App& app, const httplib::Request& req, httplib::Response& res) {
  HandlePage(res, [&](std::string& back) -> Status {
    const std::string token = req.matches[1];
    back = links::PasswordReset("", token);
    const Form form(req);
    if (!SecretsEqual(form.Get("csrf"), app.ops().FormToken("reset", token)))
      return Status(Code::kPermissionDenied, "the form had expired");
    if (form.Get("password") != form.Get("repeat"))
      return InvalidArgument("repeat", "the two passwords differ");
    ASSIGN_OR_RETURN(Session session, app.ops().ResetPassword(token, form.Get("password"),
                                                              ClientAddress(req, app.config())));
    res.set_header("Set-Cookie", SessionCookie(app, session));
    SeeOther(res, "/organise/account?changed=1");
    return Status::Ok();
  });
}

void Logout(App& app, const httplib::Request& req, httplib::Response& res) {
  HandlePage(res, [&](std::string& back) -> Status {
    auto viewer = SessionViewer(app, req);
    if (viewer.ok()) {
      if (!SecretsEqual(Form(req).Get("csrf"), viewer->csrf)) {
        back = "/organise";
        return Status(Code::kPermissionDenied, "the logout form had expired");
      }
      RETURN_IF_ERROR(app.ops().Logout(viewer->session_token));
    }
    res.set_header("Set-Cookie",
                   CookieHeader(kSessionCookie, "", 0, app.config().secure_cookies()));
    SeeOther(res, "/login?out=1");
    return Status::Ok();
  });
}

}  // namespace convene::server::pages
