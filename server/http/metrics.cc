#include "server/http/metrics.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace convene::server {

namespace {

// Route 0 is "no route": refused before routing, or no pattern matched.
thread_local int t_route = 0;

size_t StatusIndex(int status) {
  for (size_t i = 0; i + 1 < Metrics::kStatuses.size(); ++i)
    if (Metrics::kStatuses[i] == status) return i;
  return Metrics::kStatuses.size() - 1;
}

std::string Escape(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

}  // namespace

std::string MetricLine(const std::string& name, const std::string& labels, double value) {
  std::string v = std::isinf(value) ? "+Inf" : fmt::format("{}", value);
  return name + (labels.empty() ? "" : "{" + labels + "}") + " " + v + "\n";
}

Metrics::Metrics() { Route("", "(none)"); }

int Metrics::Route(const std::string& method, const std::string& pattern) {
  series_.emplace_back();
  series_.back().method = method;
  series_.back().pattern = pattern;
  return static_cast<int>(series_.size() - 1);
}

void Metrics::SetCurrentRoute(int route) { t_route = route; }
void Metrics::StartRequest() { t_route = 0; }

void Metrics::Observe(int status, double seconds, bool gzip) {
  if (!enabled_) return;
  const int route = t_route >= 0 && static_cast<size_t>(t_route) < series_.size() ? t_route : 0;
  Series& s = series_[static_cast<size_t>(route)];
  s.by_status[StatusIndex(status)].fetch_add(1, std::memory_order_relaxed);
  size_t b = 0;
  while (b < kBuckets.size() && seconds > kBuckets[b]) ++b;
  s.buckets[b].fetch_add(1, std::memory_order_relaxed);
  s.micros.fetch_add(static_cast<uint64_t>(seconds * 1e6), std::memory_order_relaxed);
  if (gzip) s.gzip.fetch_add(1, std::memory_order_relaxed);
}

const std::string& Metrics::CurrentPattern() const {
  const int route = t_route >= 0 && static_cast<size_t>(t_route) < series_.size() ? t_route : 0;
  return series_[static_cast<size_t>(route)].pattern;
}

std::string Metrics::Render(const std::string& extra) const {
  std::string out;
  out += "# HELP convene_http_requests_total HTTP responses by route pattern and status.\n";
  out += "# TYPE convene_http_requests_total counter\n";
  for (const Series& s : series_) {
    const std::string route = "method=\"" + Escape(s.method) + "\",route=\"" + Escape(s.pattern);
    for (size_t i = 0; i < kStatuses.size(); ++i) {
      const uint64_t n = s.by_status[i].load(std::memory_order_relaxed);
      if (n == 0) continue;
      const std::string status = kStatuses[i] == 0 ? "other" : std::to_string(kStatuses[i]);
      out += MetricLine("convene_http_requests_total", route + "\",status=\"" + status + "\"",
                        static_cast<double>(n));
    }
  }
  out +=
      "# HELP convene_http_request_duration_seconds Time from the request head to the response.\n";
  out += "# TYPE convene_http_request_duration_seconds histogram\n";
  for (const Series& s : series_) {
    uint64_t count = 0;
    for (const auto& b : s.buckets) count += b.load(std::memory_order_relaxed);
    if (count == 0) continue;
    const std::string route = "method=\"" + Escape(s.method) + "\",route=\"" + Escape(s.pattern);
    uint64_t cumulative = 0;
    for (size_t b = 0; b <= kBuckets.size(); ++b) {
      cumulative += s.buckets[b].load(std::memory_order_relaxed);
      const std::string le = b < kBuckets.size() ? fmt::format("{}", kBuckets[b]) : "+Inf";
      out += MetricLine("convene_http_request_duration_seconds_bucket",
                        route + "\",le=\"" + le + "\"", static_cast<double>(cumulative));
    }
    out += MetricLine("convene_http_request_duration_seconds_sum", route + "\"",
                      static_cast<double>(s.micros.load(std::memory_order_relaxed)) / 1e6);
    out += MetricLine("convene_http_request_duration_seconds_count", route + "\"",
                      static_cast<double>(cumulative));
  }
  out += "# HELP convene_http_gzip_responses_total Responses sent gzip-compressed, by route.\n";
  out += "# TYPE convene_http_gzip_responses_total counter\n";
  for (const Series& s : series_) {
    const uint64_t n = s.gzip.load(std::memory_order_relaxed);
    if (n == 0) continue;
    out += MetricLine("convene_http_gzip_responses_total",
                      "method=\"" + Escape(s.method) + "\",route=\"" + Escape(s.pattern) + "\"",
                      static_cast<double>(n));
  }
  return out + extra;
}

}  // namespace convene::server
