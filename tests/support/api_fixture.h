// A real server and the JSON API as an organiser's program calls it: a Bearer token and JSON
// bodies. The HTTP test suites of the API, the feeds and the outbox derive from it.
#pragma once

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "tests/support/fakes.h"

namespace convene::testing {

class ApiFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server_.error().empty()) << server_.error();
    token_ = *server_.app().ops().IssueApiToken("sec@example.org", "The Secretary");
    other_token_ = *server_.app().ops().IssueApiToken("other@example.org", "Other");
  }

  // `token` empty: the secretary's.
  httplib::Headers Auth(const std::string& token = "") const {
    return {{"Authorization", "Bearer " + (token.empty() ? token_ : token)}};
  }
  httplib::Result Get(const std::string& path, const std::string& token = "") {
    return server_.Client().Get(path.c_str(), Auth(token));
  }
  httplib::Result Post(const std::string& path, const nlohmann::json& body,
                       const std::string& token = "") {
    return server_.Client().Post(path.c_str(), Auth(token), body.dump(), "application/json");
  }
  // `if_match` empty: no If-Match header at all.
  httplib::Result Patch(const std::string& path, const nlohmann::json& body,
                        const std::string& if_match) {
    auto h = Auth();
    if (!if_match.empty()) h.emplace("If-Match", if_match);
    return server_.Client().Patch(path.c_str(), h, body.dump(), "application/json");
  }
  // A PATCH with the ETag of a GET just before, for tests about the change, not If-Match.
  httplib::Result PatchCurrent(const std::string& path, const nlohmann::json& body) {
    auto g = Get(path);
    return Patch(path, body, g ? g->get_header_value("ETag") : "");
  }
  httplib::Result PatchMeeting(int64_t meeting, const nlohmann::json& body) {
    return PatchCurrent("/api/v1/meetings/" + std::to_string(meeting), body);
  }
  // The scenario most suites start from: "every other third Monday" from March 2010, five times,
  // 10:30 for 150 minutes at `venue`, in the group `slug` (Europe/London).
  httplib::Result PostRuleSeries(const std::string& slug, int64_t venue) {
    return Post("/api/v1/groups/" + slug + "/series",
                {{"title", "Futures meeting"},
                 {"venue_id", venue},
                 {"start_time", "10:30"},
                 {"duration_minutes", 150},
                 {"rrule", "FREQ=MONTHLY;INTERVAL=2;BYDAY=3MO;COUNT=5"},
                 {"first_date", "2010-03-01"}});
  }
  static nlohmann::json Body(const httplib::Result& r) {
    return r ? nlohmann::json::parse(r->body, nullptr, false) : nlohmann::json();
  }

  ServerFixture server_;
  std::string token_, other_token_;
};

}  // namespace convene::testing
