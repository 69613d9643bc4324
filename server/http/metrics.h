// Metrics: the counters behind GET /metrics (Prometheus text format 0.0.4, series convene_*).
//
// On the request path only relaxed atomic increments happen: the route table gives every route a
// number when it is registered (Route()), the route wrapper marks the request's route
// (SetCurrentRoute, thread-local), and the access log hook counts the response by route and
// status and adds its latency to the route's histogram (Observe). Everything else (the outbox by
// state, database size, memory, threads) is read when /metrics is scraped, by the caller of
// Render(). Thread-safe; routes are registered before serving.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <vector>

namespace convene::server {

class Metrics {
 public:
  // The statuses counted one by one; any other is counted as "other".
  static constexpr std::array<int, 26> kStatuses = {200, 201, 204, 206, 301, 302, 303, 304, 400,
                                                    401, 403, 404, 405, 408, 409, 411, 412, 413,
                                                    414, 415, 428, 429, 431, 500, 503, 0};
  // Latency histogram bucket bounds, seconds.
  static constexpr std::array<double, 12> kBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                      0.05,   0.1,   0.25,   0.5,   1.0,  5.0};

  Metrics();

  // A route's number, for SetCurrentRoute. Call before serving (not thread-safe with Observe).
  int Route(const std::string& method, const std::string& pattern);
  // The route of the request this thread is handling (the route wrapper calls it first).
  static void SetCurrentRoute(int route);
  // A new request on this thread: no route yet (refused before routing, or none matched).
  static void StartRequest();
  // Counts one response of this thread's current request.
  void Observe(int status, double seconds, bool gzip);
  // Off: Observe counts nothing (deploy/bench measures the difference).
  void set_enabled(bool on) { enabled_ = on; }
  // The pattern of this thread's current route ("(none)" before routing).
  const std::string& CurrentPattern() const;

  // The text of /metrics: the request series, then `extra` (gauges read at scrape time).
  std::string Render(const std::string& extra) const;

 private:
  struct Series {
    std::string method, pattern;
    std::array<std::atomic<uint64_t>, kStatuses.size()> by_status{};
    std::array<std::atomic<uint64_t>, kBuckets.size() + 1> buckets{};  // last: +Inf
    std::atomic<uint64_t> micros{0};
    std::atomic<uint64_t> gzip{0};
  };
  // Series never move once made (deque), so Observe needs no lock.
  std::deque<Series> series_;
  bool enabled_ = true;
};

// One line of the Prometheus text format, with the value formatted as Prometheus reads it.
std::string MetricLine(const std::string& name, const std::string& labels, double value);

}  // namespace convene::server
