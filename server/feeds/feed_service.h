// The three iCalendar feeds (api.md "Feeds"): which rows make up each one, rendered with
// calendar/ical.h and kept in memory per (feed, revision).
//
// - /feeds/groups/{slug}.ics: a public group's series; a private or unknown group is NotFound.
// - /feeds/venues/{id}.ics: every meeting at the venue, of every public group. The URL needs no
//   secret, so private groups' meetings are left out (their organisers share the member feeds).
// - /feeds/members/{token}.ics: the token is a live "feed" capability token (only its SHA-256 is
//   stored, server/ops/secrets.h); the feed holds every group the member's email belongs to, with
//   the member's own state and an apology link per meeting.
//
// The store's revision counter is the cache key: every write bumps it, so a cached body is used
// only when nothing at all changed since it was rendered, and the rows and the revision are read
// in one snapshot. The body, its gzip (computed once) and both strong ETags are made together.
// Last-Modified only moves when a feed's bytes change, and then to the revision time, which never
// goes back, so it stays monotonic across deletions and restarts (ical-conformance.md H4).
//
// Memory: the cache holds at most kCacheBytes of bodies (plain and gzip), the least recently
// used dropped first; a dropped feed is rendered again when next asked for.
//
// Answering without the database: a feed checked against it less than kRecheckMs ago, with no
// write by this process since, is answered from memory. For a member feed that check is of its
// token too, so a link revoked through this server stops at once, and one revoked by another
// process (a second instance, the command line) within kRecheckMs. Such a feed is answered
// without blocking, so the listener may serve it on its event thread (InMemory).
//
// Threads: one FeedService serves every request thread; the cache is behind a mutex and entries
// are immutable once published (shared_ptr<const FeedBody>).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "calendar/status.h"
#include "calendar/store/db.h"
#include "server/ops/operations.h"
#include "server/ops/secrets.h"

namespace convene::server {

enum class FeedKind { kGroup, kVenue, kMember };

struct FeedRequest {
  FeedKind kind = FeedKind::kGroup;
  std::string key;              // the group slug, the venue id, or the member's feed token
  bool show_cancelled = false;  // ?cancelled=show
};

struct FeedBody {
  int64_t revision = -1;      // the store revision the bytes were rendered at
  std::string body;           // text/calendar, UTF-8, CRLF
  std::string etag;           // strong: "<first 32 hex of SHA-256(body)>"
  std::string gzip;           // body, gzip-encoded once
  std::string gzip_etag;      // strong ETag of the gzip bytes (another representation)
  int64_t last_modified = 0;  // Unix seconds
};

class FeedService {
 public:
  static constexpr size_t kCacheBytes = 24u << 20;  // bodies and their gzip

  // `random` is used once, if the apology-link key does not exist yet.
  // `cache_bytes`: the most bytes of bodies kept in memory (kCacheBytes unless a test says).
  FeedService(calendar::store::Db& db, std::string base_url, int refresh_minutes, Clock clock,
              RandomSource random, size_t cache_bytes = kCacheBytes);

  // The current feed. NotFound for an unknown or private group, an unknown venue, or a token
  // that is not a live feed token (all look the same to the caller). kUnavailable/kInternal
  // when the database fails.
  Result<std::shared_ptr<const FeedBody>> Get(const FeedRequest& request);

  // Whether Get(request) would answer from memory now, without the database (a feed checked
  // less than kRecheckMs ago, with no write in this process since). Cheap: a hash (member
  // feeds) and two lookups.
  bool InMemory(const FeedRequest& request) const;

  // How many renders happened (tests check that unchanged feeds come from the cache).
  int64_t renders() const;

  // This process committed a write: the next request of every feed checks the database again.
  // Feeds otherwise answer from memory without touching the database for up to kRecheckMs after
  // their last check, so a write by another process (the command line, another instance) shows
  // within that time; writes through this server's Operations show at once.
  void NoteWrite() { writes_.fetch_add(1, std::memory_order_acq_rel); }
  // Feeds answered from memory (for /metrics): the same revision's bytes, rendered earlier.
  int64_t cache_hits() const { return cache_hits_.load(std::memory_order_relaxed); }
  static constexpr int kRecheckMs = 1000;
  // Bytes of the bodies cached now (tests).
  size_t cached_bytes() const;

 private:
  Result<std::string> ApologyLinkKey();
  // Get without the in-memory shortcut: one read snapshot, then the per-revision cache. Sets
  // *cache_key to the entry the body is cached under.
  Result<std::shared_ptr<const FeedBody>> Load(const FeedRequest& request, std::string* cache_key);
  // Under mu_: the cached body under `key` (most recently used now), or null.
  std::shared_ptr<const FeedBody> Touch(const std::string& key);
  // Under mu_: caches `body` under `key`, then drops the least recently used beyond the limit.
  void Store(const std::string& key, std::shared_ptr<const FeedBody> body);
  // The key of a request's Checked entry: a member feed's by the SHA-256 of its token (no
  // secret-dependent comparison of the token itself).
  static std::string CheckedKey(const FeedRequest& request);

  calendar::store::Db& db_;
  const std::string base_url_;
  const int refresh_minutes_;
  Clock clock_;
  RandomSource random_;
  const size_t cache_limit_;

  // A request's feed as last checked against the database (the cache entry holding its bytes):
  // valid while no write happened in this process since (`writes`) and for kRecheckMs after
  // `checked`, and while the entry is cached.
  struct Checked {
    std::string cache_key;
    int64_t writes = 0;
    std::chrono::steady_clock::time_point checked;
  };
  // Under mu_: the Checked entry of `key` still valid at `now` with `writes`, or null.
  const Checked* FreshCheck(const std::string& key, int64_t writes,
                            std::chrono::steady_clock::time_point now) const;
  std::atomic<int64_t> writes_{0};
  std::atomic<int64_t> cache_hits_{0};

  struct Entry {
    std::shared_ptr<const FeedBody> body;
    std::list<std::string>::iterator used;  // its place in used_
  };
  mutable std::mutex mu_;
  std::map<std::string, Entry> cache_;  // "g:<id>", "v:<id>", "m:<member id>" (+ ":cancelled")
  std::list<std::string> used_;         // cache_ keys, most recently used first
  size_t cache_bytes_ = 0;
  std::map<std::string, Checked> checked_;  // by CheckedKey
  std::optional<std::string> link_key_;
  int64_t renders_ = 0;
};

// gzip (RFC 1952) of `data` with no timestamp, so the same bytes always give the same gzip.
std::string Gzip(const std::string& data);

}  // namespace convene::server
