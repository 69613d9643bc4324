// The member's pages: /m/{page token} (meetings, calendar link, notices),
// /apologies/{apology token} and /unsubscribe/{unsubscribe token}. GET only shows; each POST
// carries a form token bound to the link, except the one-click unsubscribe POST (RFC 8058: the
// mail client sends no cookies and no form token; the signed link is the capability).
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
  return j;
}

void SendMemberHome(App& app, httplib::Response& res, const std::string& token,
                    const server::MemberHome& h, const json& extra) {
  json meetings = json::array();
  for (const MemberMeeting& mm : h.upcoming) meetings.push_back(MemberMeetingModel(mm));
  const calendar::Member& m = h.member;
  json data = {
      {"member", {{"name", m.name}}},
      {"group", {{"name", h.group.name}}},
      {"meetings", meetings},
      {"token", token},
      {"csrf", app.ops().FormToken("member", token)},
      {"has_feed", h.live_feed_links > 0},
      {"choice_feed", !m.unsubscribed && m.delivery == calendar::Delivery::kFeed},
      {"choice_invitations", !m.unsubscribed && m.delivery == calendar::Delivery::kInvitations},
      {"choice_none", m.unsubscribed}};
  data.update(extra);
  SendPage(res, 200, "member.mustache", h.group.name + ": your meetings", data, Privacy::kPrivate);
}

bool FormTokenOk(App& app, const httplib::Request& req, const char* purpose,
                 const std::string& capability) {
  return SecretsEqual(Form(req).Get("csrf"), app.ops().FormToken(purpose, capability));
}

const Status kExpiredForm(Code::kPermissionDenied, "the form had expired");

}  // namespace

void MemberHome(App& app, const httplib::Request& req, httplib::Response& res) {
  const std::string token = req.matches[1];
  auto h = app.ops().MemberByPage(token);
  if (!h.ok()) return SendErrorPage(res, h.status());
  json extra = json::object();
  if (Form(req).Get("saved") == "1") extra["notice"] = "Your choice is saved.";
  SendMemberHome(app, res, token, *h, extra);
}

void MemberFeedLink(App& app, const httplib::Request& req, httplib::Response& res) {
  const std::string token = req.matches[1];
  if (!FormTokenOk(app, req, "member", token))
    return SendErrorPage(res, kExpiredForm, "/m/" + token);
  auto feed = app.ops().NewFeedLink(token);
  if (!feed.ok()) return SendErrorPage(res, feed.status());
  auto h = app.ops().MemberByPage(token);
  if (!h.ok()) return SendErrorPage(res, h.status());
  const std::string url = links::MemberFeed(app.config().base_url, *feed);
  SendMemberHome(app, res, token, *h, {{"feed", {{"https", url}, {"webcal", links::Webcal(url)}}}});
}

void MemberNotices(App& app, const httplib::Request& req, httplib::Response& res) {
  const std::string token = req.matches[1];
  if (!FormTokenOk(app, req, "member", token))
    return SendErrorPage(res, kExpiredForm, "/m/" + token);
  if (Status st = app.ops().SetNotices(token, Form(req).Get("choice")); !st.ok())
    return SendErrorPage(res, st, "/m/" + token);
  SeeOther(res, "/m/" + token + "?saved=1");
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
  if (!mm.open)
    data["closed"] = mm.view.meeting.status == calendar::MeetingStatus::kCancelled
                         ? "This meeting has been cancelled: no apologies are needed."
                         : "This meeting has started, so apologies can no longer be sent or "
                           "withdrawn online. Please tell the organiser.";
  SendPage(res, 200, "apology.mustache", "Apologies for " + HumanDate(mm.view.meeting.start.date),
           data, Privacy::kPrivate);
}

}  // namespace

void ApologyForm(App& app, const httplib::Request& req, httplib::Response& res) {
  const std::string token = req.matches[1];
  auto page = app.ops().ApologyByLink(token);
  if (!page.ok()) return SendErrorPage(res, page.status());
  SendApologyPage(app, req, res, token, *page);
}

void ApologySend(App& app, const httplib::Request& req, httplib::Response& res) {
  const std::string token = req.matches[1];
  if (!FormTokenOk(app, req, "apology", token))
    return SendErrorPage(res, kExpiredForm, "/apologies/" + token);
  auto page = app.ops().SendApologies(token, Form(req).Get("reason"));
  if (!page.ok()) return SendErrorPage(res, page.status(), "/apologies/" + token);
  SeeOther(res, "/apologies/" + token + (page->changed ? "?done=sent" : ""));
}

void ApologyWithdraw(App& app, const httplib::Request& req, httplib::Response& res) {
  const std::string token = req.matches[1];
  if (!FormTokenOk(app, req, "apology", token))
    return SendErrorPage(res, kExpiredForm, "/apologies/" + token);
  auto page = app.ops().WithdrawApologies(token);
  if (!page.ok()) return SendErrorPage(res, page.status(), "/apologies/" + token);
  SeeOther(res, "/apologies/" + token + (page->changed ? "?done=withdrawn" : ""));
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
  const std::string token = req.matches[1];
  auto page = app.ops().UnsubscribeByLink(token);
  if (!page.ok()) return SendErrorPage(res, page.status());
  SendUnsubscribePage(app, res, token, *page, "");
}

void UnsubscribeSend(App& app, const httplib::Request& req, httplib::Response& res) {
  // Any body: `List-Unsubscribe=One-Click` urlencoded or multipart from a mail client, or the
  // confirm page's form. The answer is a page, not a redirect: mail clients expect a 2xx.
  const std::string token = req.matches[1];
  auto page = app.ops().Unsubscribe(token);
  if (!page.ok()) return SendErrorPage(res, page.status());
  SendUnsubscribePage(app, res, token, *page, "unsubscribed");
}

void ResubscribeSend(App& app, const httplib::Request& req, httplib::Response& res) {
  // Unlike the one-click POST, this one comes only from the page's own form: it carries the
  // form token, so another site cannot turn a member's emails back on.
  const std::string token = req.matches[1];
  if (!FormTokenOk(app, req, "unsubscribe", token))
    return SendErrorPage(res, kExpiredForm, "/unsubscribe/" + token);
  auto page = app.ops().Resubscribe(token);
  if (!page.ok()) return SendErrorPage(res, page.status());
  SendUnsubscribePage(app, res, token, *page, "resubscribed");
}

}  // namespace convene::server::pages
