// The member's pages: /m/{page token} (meetings, calendar link, notices),
// /apologies/{apology token} and /unsubscribe/{unsubscribe token}. GET only shows; each POST
// carries a form token bound to the link, except the one-click unsubscribe POST (RFC 8058: the
// mail client sends no cookies and no form token; the signed link is the capability).
#include "calendar/words.h"
#include "server/http/links.h"
#include "server/pages/page_handlers.h"

namespace convene::server::pages {

using nlohmann::json;

namespace {

json MemberMeetingModel(const MemberMeeting& mm) {
  // mm_*: the member's own state, shown inside the meeting's card (_meeting.mustache).
  json j = MeetingModel(mm.view);
  j["mm_apologised"] = mm.apologised;
  j["mm_open"] = mm.open;
  j["mm_token"] = mm.apology_token;
  if (!mm.reason.empty()) j["mm_reason"] = mm.reason;
  j["mm_reason_stop"] = EndsSentence(mm.reason);
  return j;
}

void SendMemberHome(App& app, httplib::Response& res, const std::string& token,
                    const server::MemberHome& h, const json& extra) {
  json meetings = json::array();
  for (const MemberMeeting& mm : h.upcoming) meetings.push_back(MemberMeetingModel(mm));
  const calendar::Member& m = h.member;
  const std::string feed = links::MemberFeed(app.config().base_url, h.feed_token);
  json data = {
      {"member", {{"name", m.name}}},
      {"group", {{"name", h.group.name}}},
      {"meetings", meetings},
      {"token", token},
      {"csrf", app.ops().FormToken("member", token)},
      {"feed", {{"https", feed}, {"webcal", links::Webcal(feed)}}},
      {"choice_feed", !m.unsubscribed && m.delivery == calendar::Delivery::kFeed},
      {"choice_invitations", !m.unsubscribed && m.delivery == calendar::Delivery::kInvitations},
      {"choice_none", m.unsubscribed}};
  data.update(extra);
  SendPage(res, 200, "member.mustache", h.group.name + ": your meetings", data, Privacy::kPrivate);
}

// HandlePage (render.h) for a member's page: `body(token, back)`, `[&](const std::string& token,
// std::string& back) -> Status`, with the link's token (the path's capture).
template <typename F>
void HandleLink(const httplib::Request& req, httplib::Response& res, F&& body) {
  HandlePage(res, [&](std::string& back) -> Status {
    const std::string token = req.matches[1];
    return body(token, back);
  });
}

// HandleLink for the POST of a form on a member's page (`page`: its URL, from links.h). The form
// token, bound to the link's token for `purpose`, must be the one the page showed: else "the form
// had expired", with a way back to the page. Past that, `back` is left to `body`: an error of a
// link that no longer works has no page to go back to.
template <typename F>
void HandleLinkForm(App& app, const httplib::Request& req, httplib::Response& res,
                    const char* purpose,
                    std::string (*page)(const std::string&, const std::string&), F&& body) {
  HandleLink(req, res, [&](const std::string& token, std::string& back) -> Status {
    if (!SecretsEqual(Form(req).Get("csrf"), app.ops().FormToken(purpose, token))) {
      back = page("", token);
      return Status(Code::kPermissionDenied, "the form had expired");
    }
    return body(token, back);
  });
}

}  // namespace

void MemberHome(App& app, const httplib::Request& req, httplib::Response& res) {
  HandleLink(req, res, [&](const std::string& token, std::string&) -> Status {
    ASSIGN_OR_RETURN(auto h, app.ops().MemberByPage(token));
    json extra = json::object();
    const Form q(req);
    if (q.Get("saved") == "1") extra["notice"] = "Your choice is saved.";
    if (q.Get("calendar") == "new") extra["feed_new"] = true;
    SendMemberHome(app, res, token, h, extra);
    return Status::Ok();
  });
}

// A new calendar link, then back to the page (POST/redirect/GET: a reload shows the page again
// and issues nothing), which shows it as every later visit will.
void MemberFeedLink(App& app, const httplib::Request& req, httplib::Response& res) {
  auto issue = [&](const std::string& token, std::string& back) -> Status {
    back = links::MemberPage("", token);
    RETURN_IF_ERROR(app.ops().NewFeedLink(token).status());
    SeeOther(res, back + "?calendar=new");
    return Status::Ok();
  };
  HandleLinkForm(app, req, res, "member", links::MemberPage, issue);
}

void MemberNotices(App& app, const httplib::Request& req, httplib::Response& res) {
  auto save = [&](const std::string& token, std::string& back) -> Status {
    back = links::MemberPage("", token);
    RETURN_IF_ERROR(app.ops().SetNotices(token, Form(req).Get("choice")));
    SeeOther(res, back + "?saved=1");
    return Status::Ok();
  };
  HandleLinkForm(app, req, res, "member", links::MemberPage, save);
}

namespace {

void SendApologyPage(App& app, const httplib::Request& req, httplib::Response& res,
                     const std::string& token, const ApologyPage& page) {
  const MemberMeeting& mm = page.meeting;
  const std::string done = Form(req).Get("done");
  json data = {{"member", {{"name", page.member.name}}},
               {"group", {{"name", mm.view.group.name}}},
               {"meeting", MeetingModel(mm.view)},
               {"apologised", mm.apologised},
               {"open", mm.open},
               {"token", token},
               {"csrf", app.ops().FormToken("apology", token)},
               {"done_sent", done == "sent" && mm.apologised},
               {"done_withdrawn", done == "withdrawn" && !mm.apologised}};
  if (!mm.reason.empty()) data["reason"] = mm.reason;
  data["reason_stop"] = EndsSentence(mm.reason);
  if (!mm.open)
    data["closed"] = mm.view.meeting.status == calendar::MeetingStatus::kCancelled
                         ? "This meeting has been cancelled: no apologies are needed."
                         : "This meeting has started, so apologies can no longer be sent or "
                           "withdrawn online. Please tell the organiser.";
  SendPage(res, 200, "apology.mustache",
           "Apologies for " + calendar::LongDate(mm.view.meeting.start.date), data,
           Privacy::kPrivate);
}

// POST /apologies/{token}[/withdraw]: `apply` (the use case, given the token) sends or withdraws
// them; back to the page, with `?done=` what changed (nothing said when nothing changed).
template <typename F>
void ApologyPost(App& app, const httplib::Request& req, httplib::Response& res, const char* done,
                 F&& apply) {
  auto record = [&](const std::string& token, std::string& back) -> Status {
    back = links::Apology("", token);
    ASSIGN_OR_RETURN(ApologyPage page, apply(token));
    SeeOther(res, back + (page.changed ? std::string("?done=") + done : ""));
    return Status::Ok();
  };
  HandleLinkForm(app, req, res, "apology", links::Apology, record);
}

}  // namespace

void ApologyForm(App& app, const httplib::Request& req, httplib::Response& res) {
  HandleLink(req, res, [&](const std::string& token, std::string&) -> Status {
    ASSIGN_OR_RETURN(ApologyPage page, app.ops().ApologyByLink(token));
    SendApologyPage(app, req, res, token, page);
    return Status::Ok();
  });
}

void ApologySend(App& app, const httplib::Request& req, httplib::Response& res) {
  ApologyPost(app, req, res, "sent", [&](const std::string& token) {
    return app.ops().SendApologies(token, Form(req).Get("reason"));
  });
}

void ApologyWithdraw(App& app, const httplib::Request& req, httplib::Response& res) {
  ApologyPost(app, req, res, "withdrawn",
              [&](const std::string& token) { return app.ops().WithdrawApologies(token); });
}

namespace {

// `done`: "" (the confirm page), "unsubscribed" or "resubscribed" (what the POST just did).
void SendUnsubscribePage(App& app, httplib::Response& res, const std::string& token,
                         const UnsubscribePage& page, const std::string& done) {
  json data = {{"member", {{"name", page.member.name}, {"email", page.member.email}}},
               {"group", {{"name", page.group.name}}},
               {"token", token},
               {"csrf", app.ops().FormToken("unsubscribe", token)},
               {"done", done == "unsubscribed"},
               {"resubscribed", done == "resubscribed"},
               {"unsubscribed", page.member.unsubscribed}};
  const std::string title = done == "unsubscribed"   ? "Unsubscribed"
                            : done == "resubscribed" ? "Email notices are on again"
                                                     : "Stop email notices from " + page.group.name;
  SendPage(res, 200, "unsubscribe.mustache", title, data, Privacy::kPrivate);
}

}  // namespace

void UnsubscribeForm(App& app, const httplib::Request& req, httplib::Response& res) {
  HandleLink(req, res, [&](const std::string& token, std::string&) -> Status {
    ASSIGN_OR_RETURN(UnsubscribePage page, app.ops().UnsubscribeByLink(token));
    SendUnsubscribePage(app, res, token, page, "");
    return Status::Ok();
  });
}

void UnsubscribeSend(App& app, const httplib::Request& req, httplib::Response& res) {
  // Any body: `List-Unsubscribe=One-Click` urlencoded or multipart from a mail client, or the
  // confirm page's form. The answer is a page, not a redirect: mail clients expect a 2xx.
  HandleLink(req, res, [&](const std::string& token, std::string&) -> Status {
    ASSIGN_OR_RETURN(UnsubscribePage page, app.ops().Unsubscribe(token));
    SendUnsubscribePage(app, res, token, page, "unsubscribed");
    return Status::Ok();
  });
}

void ResubscribeSend(App& app, const httplib::Request& req, httplib::Response& res) {
  // Unlike the one-click POST, this one comes only from the page's own form: it carries the
  // form token, so another site cannot turn a member's emails back on.
  auto resubscribe = [&](const std::string& token, std::string&) -> Status {
    ASSIGN_OR_RETURN(UnsubscribePage page, app.ops().Resubscribe(token));
    SendUnsubscribePage(app, res, token, page, "resubscribed");
    return Status::Ok();
  };
  HandleLinkForm(app, req, res, "unsubscribe", links::Unsubscribe, resubscribe);
}

}  // namespace convene::server::pages
