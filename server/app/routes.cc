// Every URL of convene -> its handler: the map of the API, the feeds, the pages, /metrics and
// /healthz. Every route is counted in /metrics under its pattern (Add).
#include <spdlog/spdlog.h>

#include <memory>

#include "server/api/api_handlers.h"
#include "server/api/csv_handlers.h"
#include "server/app/app.h"
#include "server/feeds/feed_handlers.h"
#include "server/http/responses.h"
#include "server/pages/page_handlers.h"

namespace convene::server {
namespace {

enum class Method { kGet, kPost, kPatch, kPut, kDelete };

struct ApiRoute {
  Method method;
  const char* pattern;
  api::Handler handler;
};

// Organiser API: every route needs a Bearer token, or a page session cookie plus its form token
// in X-CSRF-Token (docs/api.md Conventions).
const ApiRoute kApiRoutes[] = {
    {Method::kPost, R"(/api/v1/venues)", api::CreateVenue},
    {Method::kGet, R"(/api/v1/venues)", api::ListVenues},
    {Method::kGet, R"(/api/v1/venues/(\d+))", api::GetVenue},
    {Method::kPatch, R"(/api/v1/venues/(\d+))", api::PatchVenue},
    {Method::kGet, R"(/api/v1/venues/(\d+)/freebusy)", api::VenueFreeBusy},
    {Method::kPost, R"(/api/v1/groups)", api::CreateGroup},
    {Method::kGet, R"(/api/v1/groups)", api::ListGroups},
    {Method::kGet, R"(/api/v1/groups/([a-z0-9-]{1,40}))", api::GetGroup},
    {Method::kPatch, R"(/api/v1/groups/([a-z0-9-]{1,40}))", api::PatchGroup},
    {Method::kPost, R"(/api/v1/groups/([a-z0-9-]{1,40})/members)", api::AddMember},
    {Method::kGet, R"(/api/v1/groups/([a-z0-9-]{1,40})/members)", api::ListMembers},
    {Method::kGet, R"(/api/v1/groups/([a-z0-9-]{1,40})/members/(\d+))", api::GetMember},
    {Method::kPatch, R"(/api/v1/groups/([a-z0-9-]{1,40})/members/(\d+))", api::PatchMember},
    {Method::kDelete, R"(/api/v1/groups/([a-z0-9-]{1,40})/members/(\d+))", api::RemoveMember},
    {Method::kPost, R"(/api/v1/groups/([a-z0-9-]{1,40})/members/import)", api::ImportMembers},
    {Method::kPost, R"(/api/v1/groups/([a-z0-9-]{1,40})/series)", api::CreateSeries},
    {Method::kGet, R"(/api/v1/groups/([a-z0-9-]{1,40})/series)", api::ListSeries},
    {Method::kPost, R"(/api/v1/groups/([a-z0-9-]{1,40})/series/preview)", api::PreviewSeries},
    {Method::kGet, R"(/api/v1/series/(\d+))", api::GetSeries},
    {Method::kPatch, R"(/api/v1/series/(\d+))", api::PatchSeries},
    {Method::kDelete, R"(/api/v1/series/(\d+))", api::DeleteSeries},
    {Method::kGet, R"(/api/v1/groups/([a-z0-9-]{1,40})/meetings)", api::ListMeetings},
    {Method::kGet, R"(/api/v1/meetings/(\d+))", api::GetMeeting},
    {Method::kPatch, R"(/api/v1/meetings/(\d+))", api::PatchMeeting},
    {Method::kPost, R"(/api/v1/meetings/(\d+)/presenters)", api::AddPresenter},
    {Method::kDelete, R"(/api/v1/meetings/(\d+)/presenters/(\d+))", api::RemovePresenter},
    {Method::kPost, R"(/api/v1/meetings/(\d+)/apologies)", api::RecordApologies},
    {Method::kGet, R"(/api/v1/meetings/(\d+)/attendance)", api::GetAttendance},
    {Method::kPut, R"(/api/v1/meetings/(\d+)/attendance/(\d+))", api::PutAttendance},
    {Method::kPost, R"(/api/v1/members/(\d+)/(feed|page)-token)", api::RotateMemberLink},
    {Method::kDelete, R"(/api/v1/members/(\d+)/(feed|page)-token)", api::RevokeMemberLink},
    {Method::kGet, R"(/api/v1/outbox)", api::ListOutbox},
};

// Capability tokens in paths: 43 characters of base64url.
#define TOKEN "([A-Za-z0-9_-]{43})"
#define SLUG "([a-z0-9-]{1,40})"

// Pages anyone may open (the capability in a member's path is checked by the handler).
struct PageRoute {
  Method method;
  const char* pattern;
  pages::PageHandler handler;
};
const PageRoute kPageRoutes[] = {
    {Method::kGet, R"(/)", pages::Home},
    {Method::kGet, "/groups/" SLUG, pages::GroupPage},
    {Method::kGet, R"(/meetings/(\d+))", pages::MeetingPage},
    {Method::kGet, R"(/venues/(\d+))", pages::VenuePage},
    {Method::kGet, "/groups/" SLUG "/calendar", pages::GroupCalendar},
    {Method::kGet, R"(/venues/(\d+)/calendar)", pages::VenueCalendar},
    {Method::kGet, R"(/login)", pages::LoginForm},
    {Method::kPost, R"(/login)", pages::LoginSubmit},
    {Method::kPost, R"(/logout)", pages::Logout},
    {Method::kGet, R"(/login/forgot)", pages::ForgotForm},
    {Method::kPost, R"(/login/forgot)", pages::ForgotSubmit},
    {Method::kGet, "/login/reset/" TOKEN, pages::ResetForm},
    {Method::kPost, "/login/reset/" TOKEN, pages::ResetSubmit},
    {Method::kGet, "/m/" TOKEN, pages::MemberHome},
    {Method::kPost, "/m/" TOKEN "/feed-link", pages::MemberFeedLink},
    {Method::kPost, "/m/" TOKEN "/notices", pages::MemberNotices},
    {Method::kGet, "/apologies/" TOKEN, pages::ApologyForm},
    {Method::kPost, "/apologies/" TOKEN, pages::ApologySend},
    {Method::kPost, "/apologies/" TOKEN "/withdraw", pages::ApologyWithdraw},
    {Method::kGet, "/unsubscribe/" TOKEN, pages::UnsubscribeForm},
    {Method::kPost, "/unsubscribe/" TOKEN, pages::UnsubscribeSend},
    {Method::kPost, "/unsubscribe/" TOKEN "/resubscribe", pages::ResubscribeSend},
};

// Organiser pages: a session cookie; every POST also needs the session's form token.
struct OrganiserRoute {
  Method method;
  const char* pattern;
  pages::OrganiserHandler handler;
};
const OrganiserRoute kOrganiserRoutes[] = {
    {Method::kGet, R"(/organise)", pages::Dashboard},
    {Method::kPost, R"(/organise/groups)", pages::CreateGroup},
    {Method::kGet, R"(/organise/account)", pages::Account},
    {Method::kPost, R"(/organise/account/password)", pages::ChangePassword},
    {Method::kGet, R"(/organise/outbox)", pages::Outbox},
    {Method::kGet, R"(/organise/venues)", pages::Venues},
    {Method::kPost, R"(/organise/venues)", pages::CreateVenue},
    {Method::kPost, R"(/organise/venues/(\d+))", pages::EditVenue},
    {Method::kGet, "/organise/groups/" SLUG, pages::OrganiseGroup},
    {Method::kGet, "/organise/groups/" SLUG "/calendar", pages::OrganiseGroupCalendar},
    {Method::kPost, "/organise/groups/" SLUG "/series", pages::CreateSeries},
    {Method::kPost, "/organise/groups/" SLUG "/series/preview", pages::PreviewNewSeries},
    {Method::kPost, R"(/organise/series/(\d+)/preview)", pages::PreviewSeriesChange},
    {Method::kPost, R"(/organise/series/(\d+)/change)", pages::ConfirmSeriesChange},
    {Method::kPost, R"(/organise/series/(\d+)/end)", pages::EndSeries},
    {Method::kPost, "/organise/groups/" SLUG "/settings", pages::SaveGroupSettings},
    {Method::kGet, "/organise/groups/" SLUG "/members", pages::Members},
    {Method::kPost, "/organise/groups/" SLUG "/members", pages::AddMember},
    {Method::kPost, "/organise/groups/" SLUG R"(/members/(\d+))", pages::EditMember},
    {Method::kPost, R"(/organise/members/(\d+)/link)", pages::MemberLink},
    {Method::kPost, R"(/organise/members/(\d+)/remove)", pages::RemoveMember},
    {Method::kPost, "/organise/groups/" SLUG "/members/import/check", pages::CheckMemberImport},
    {Method::kPost, "/organise/groups/" SLUG "/members/import", pages::ConfirmMemberImport},
    {Method::kGet, "/organise/groups/" SLUG "/attendance", pages::AttendanceYear},
    {Method::kGet, R"(/organise/meetings/(\d+)/register\.csv)", pages::RegisterCsv},
    {Method::kGet, R"(/organise/meetings/(\d+))", pages::OrganiseMeeting},
    {Method::kPost, R"(/organise/meetings/(\d+)/preview)", pages::PreviewChange},
    {Method::kPost, R"(/organise/meetings/(\d+)/change)", pages::ConfirmChange},
    {Method::kPost, R"(/organise/meetings/(\d+)/presenters)", pages::AddPresenter},
    {Method::kPost, R"(/organise/meetings/(\d+)/presenters/(\d+)/delete)", pages::RemovePresenter},
    {Method::kGet, R"(/organise/meetings/(\d+)/register)", pages::Register},
    {Method::kPost, R"(/organise/meetings/(\d+)/register)", pages::SaveRegister},
    {Method::kPost, R"(/organise/meetings/(\d+)/apologies)", pages::RecordApologies},
    {Method::kGet, R"(/organise/meetings/(\d+)/minutes)", pages::MinutesPage},
};

#undef TOKEN
#undef SLUG

// The organiser of an API request: a Bearer token, else a page session whose form token comes
// in X-CSRF-Token (403 when it is missing or wrong).
Result<calendar::Id> ApiOrganiser(App& app, const httplib::Request& req) {
  const std::string bearer = BearerToken(req);
  if (!bearer.empty() || !req.has_header("Cookie")) return app.ops().Authenticate(bearer);
  auto viewer = pages::SessionViewer(app, req);
  if (!viewer.ok()) return app.ops().Authenticate(bearer);
  if (!SecretsEqual(req.get_header_value("X-CSRF-Token"), viewer->csrf))
    return Status(Code::kPermissionDenied,
                  "a session needs its form token in X-CSRF-Token (or use a Bearer token)");
  return viewer->organiser.id;
}

// Feeds (api.md "Feeds and pages"): no Bearer token. Group and venue feeds are public; the member
// feed's secret is its path. A GET route answers HEAD too (cpp-httplib), which H7 asks for.
struct FeedRoute {
  const char* pattern;
  FeedKind kind;
};
const FeedRoute kFeedRoutes[] = {
    {R"(/feeds/groups/([a-z0-9-]{1,40})\.ics)", FeedKind::kGroup},
    {R"(/feeds/venues/(\d{1,18})\.ics)", FeedKind::kVenue},
    {R"(/feeds/members/([A-Za-z0-9_-]{20,128})\.ics)", FeedKind::kMember},
};

const char* MethodName(Method m) {
  switch (m) {
    case Method::kGet:
      return "GET";
    case Method::kPost:
      return "POST";
    case Method::kPatch:
      return "PATCH";
    case Method::kPut:
      return "PUT";
    case Method::kDelete:
      return "DELETE";
  }
  return "";
}

// Registers the route, counted in /metrics under its pattern.
void Add(App& app, Method m, const char* pattern, httplib::Server::Handler inner) {
  httplib::Server& http = app.http();
  const int route = app.metrics().Route(MethodName(m), pattern);
  httplib::Server::Handler h = [route, inner = std::move(inner)](const httplib::Request& req,
                                                                 httplib::Response& res) {
    Metrics::SetCurrentRoute(route);
    inner(req, res);
  };
  switch (m) {
    case Method::kGet:
      http.Get(pattern, std::move(h));
      break;
    case Method::kPost:
      http.Post(pattern, std::move(h));
      break;
    case Method::kPatch:
      http.Patch(pattern, std::move(h));
      break;
    case Method::kPut:
      http.Put(pattern, std::move(h));
      break;
    case Method::kDelete:
      http.Delete(pattern, std::move(h));
      break;
  }
}

}  // namespace

// /metrics: with --metrics-token, only to `Authorization: Bearer <token>`; without, only to
// clients on this machine (the real client's address: behind a trusted proxy, its X-Real-IP).
bool MetricsAllowed(App& app, const httplib::Request& req) {
  const std::string& token = app.config().metrics_token;
  if (!token.empty()) return SecretsEqual(BearerToken(req), token);
  return IsLoopback(ClientAddress(req, app.config()));
}

void RegisterRoutes(App& app) {
  // First: cpp-httplib tries the patterns in order, and these are most of the requests.
  for (const FeedRoute& r : kFeedRoutes) {
    const FeedKind kind = r.kind;
    Add(app, Method::kGet, r.pattern,
        [&app, kind](const httplib::Request& req, httplib::Response& res) {
          feeds::Serve(
              app.feeds(), kind, [&app] { return app.ops().Now(); }, req, res);
        });
  }

  Add(app, Method::kGet, "/healthz", [](const httplib::Request&, httplib::Response& res) {
    SendJson(res, 200, {{"status", "ok"}});
  });

  for (const ApiRoute& r : kApiRoutes) {
    api::Handler h = r.handler;
    Add(app, r.method, r.pattern, [&app, h](const httplib::Request& req, httplib::Response& res) {
      auto organiser = ApiOrganiser(app, req);
      if (!organiser.ok()) {
        SendError(res, organiser.status());
        return;
      }
      h(app, *organiser, req, res);
    });
  }

  for (const PageRoute& r : kPageRoutes) {
    pages::PageHandler h = r.handler;
    Add(app, r.method, r.pattern,
        [&app, h](const httplib::Request& req, httplib::Response& res) { h(app, req, res); });
  }
  for (const OrganiserRoute& r : kOrganiserRoutes) {
    pages::OrganiserHandler h = r.handler;
    const bool post = r.method == Method::kPost;
    Add(app, r.method, r.pattern,
        [&app, h, post](const httplib::Request& req, httplib::Response& res) {
          auto viewer = pages::SessionViewer(app, req);
          if (!viewer.ok()) {
            if (!post) return pages::SeeOther(res, "/login?next=" + pages::UrlEncode(req.path));
            return pages::SendErrorPage(res, viewer.status());
          }
          const pages::ViewerScope scope(*viewer);  // error pages keep the organiser's bar
          if (post && !SecretsEqual(pages::Form(req).Get("csrf"), viewer->csrf))
            return pages::SendErrorPage(
                res, Status(Code::kPermissionDenied, "the form had expired"), req.path);
          h(app, *viewer, req, res);
        });
  }
  // The minutes header as markdown: a page session or a Bearer token.
  Add(app, Method::kGet, R"(/meetings/(\d+)/minutes\.md)",
      [&app](const httplib::Request& req, httplib::Response& res) {
        auto viewer = pages::SessionViewer(app, req);
        if (viewer.ok()) return pages::MinutesMarkdown(app, viewer->organiser.id, req, res);
        auto organiser = app.ops().Authenticate(BearerToken(req));
        if (!organiser.ok()) return pages::SendErrorPage(res, organiser.status());
        pages::MinutesMarkdown(app, *organiser, req, res);
      });

  // Attendance as CSV: a Bearer token, or a page session (the attendance page links to it; a GET
  // changes nothing, so no X-CSRF-Token), as for minutes.md.
  Add(app, Method::kGet, R"(/api/v1/groups/([a-z0-9-]{1,40})/attendance\.csv)",
      [&app](const httplib::Request& req, httplib::Response& res) {
        const std::string bearer = BearerToken(req);
        if (bearer.empty())
          if (auto viewer = pages::SessionViewer(app, req); viewer.ok())
            return api::AttendanceCsv(app, viewer->organiser.id, req, res);
        auto organiser = app.ops().Authenticate(bearer);
        if (!organiser.ok()) return SendError(res, organiser.status());
        api::AttendanceCsv(app, *organiser, req, res);
      });

  // Browsers ask for it on every first visit: nothing, cheaply, and cached.
  Add(app, Method::kGet, "/favicon.ico", [](const httplib::Request&, httplib::Response& res) {
    res.status = 204;
    res.set_header("Cache-Control", "public, max-age=86400");
  });
  Add(app, Method::kGet, "/metrics", [&app](const httplib::Request& req, httplib::Response& res) {
    if (!MetricsAllowed(app, req))
      return SendError(res, Status(Code::kPermissionDenied,
                                   "metrics are for this machine, or for --metrics-token"));
    res.set_content(app.MetricsText(), "text/plain; version=0.0.4; charset=utf-8");
  });
}

}  // namespace convene::server
