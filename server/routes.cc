// Every URL of convene -> its handler: the map of the API. Page and outbox routes are added
// below as their modules land.
#include <spdlog/spdlog.h>

#include <memory>

#include "server/api_handlers.h"
#include "server/app.h"
#include "server/feed_handlers.h"
#include "server/http_util.h"

namespace convene::server {
namespace {

enum class Method { kGet, kPost, kPatch, kPut, kDelete };

struct ApiRoute {
  Method method;
  const char* pattern;
  api::Handler handler;
};

// Organiser API: every route needs a Bearer token (or, once pages land, a session + CSRF).
const ApiRoute kApiRoutes[] = {
    {Method::kPost, R"(/api/v1/venues)", api::CreateVenue},
    {Method::kGet, R"(/api/v1/venues)", api::ListVenues},
    {Method::kGet, R"(/api/v1/venues/(\d+))", api::GetVenue},
    {Method::kPatch, R"(/api/v1/venues/(\d+))", api::PatchVenue},
    {Method::kGet, R"(/api/v1/venues/(\d+)/freebusy)", api::VenueFreeBusy},
    {Method::kPost, R"(/api/v1/groups)", api::CreateGroup},
    {Method::kGet, R"(/api/v1/groups)", api::ListGroups},
    {Method::kGet, R"(/api/v1/groups/([a-z0-9-]{1,40}))", api::GetGroup},
    {Method::kPost, R"(/api/v1/groups/([a-z0-9-]{1,40})/members)", api::AddMember},
    {Method::kGet, R"(/api/v1/groups/([a-z0-9-]{1,40})/members)", api::ListMembers},
    {Method::kPost, R"(/api/v1/groups/([a-z0-9-]{1,40})/series)", api::CreateSeries},
    {Method::kGet, R"(/api/v1/groups/([a-z0-9-]{1,40})/meetings)", api::ListMeetings},
    {Method::kGet, R"(/api/v1/meetings/(\d+))", api::GetMeeting},
    {Method::kPatch, R"(/api/v1/meetings/(\d+))", api::PatchMeeting},
    {Method::kPost, R"(/api/v1/meetings/(\d+)/presenters)", api::AddPresenter},
    {Method::kDelete, R"(/api/v1/meetings/(\d+)/presenters/(\d+))", api::RemovePresenter},
    {Method::kPost, R"(/api/v1/meetings/(\d+)/apologies)", api::RecordApologies},
    {Method::kGet, R"(/api/v1/meetings/(\d+)/attendance)", api::GetAttendance},
    {Method::kPut, R"(/api/v1/meetings/(\d+)/attendance/(\d+))", api::PutAttendance},
    {Method::kGet, R"(/api/v1/outbox)", api::ListOutbox},
};

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

void Add(httplib::Server& http, Method m, const char* pattern, httplib::Server::Handler h) {
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

void RegisterRoutes(App& app) {
  httplib::Server& http = app.http();
  for (const ApiRoute& r : kApiRoutes) {
    api::Handler h = r.handler;
    Add(http, r.method, r.pattern, [&app, h](const httplib::Request& req, httplib::Response& res) {
      auto organiser = app.ops().Authenticate(BearerToken(req));
      if (!organiser.ok()) {
        SendError(res, organiser.status());
        return;
      }
      h(app, *organiser, req, res);
    });
  }

  // One feed cache for the App's life; the route lambdas own it.
  auto feed_service = std::make_shared<FeedService>(
      app.db(), app.config().base_url, app.config().feed_refresh_minutes,
      [&app] { return app.ops().Now(); }, SystemRandom());
  for (const FeedRoute& r : kFeedRoutes) {
    const FeedKind kind = r.kind;
    http.Get(r.pattern,
             [&app, feed_service, kind](const httplib::Request& req, httplib::Response& res) {
               feeds::Serve(
                   *feed_service, kind, [&app] { return app.ops().Now(); }, req, res);
             });
  }

  http.Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    SendJson(res, 200, {{"status", "ok"}});
  });
}

}  // namespace convene::server
