// Worker: the one thread that takes due notices from the outbox and hands them to the Mailer.
//
// Loop: claim a few due rows (each leased for `lease_seconds`) -> send each -> mark it sent,
// retry it on the backoff schedule, or fail it -> repeat. It sleeps until the next row is due or
// `poll` passes, and wakes early on Wake() (the server calls it after every commit that queued
// notices). It never blocks a request thread: Wake() only signals.
//
// Failures (mailer.h): a transient one retries the row after first_retry, doubling up to
// max_retry, until `lifetime` after the row was queued, then the row fails; a permanent one fails
// the row at once. A relay-level failure (connect/TLS/421) also pauses ALL delivery to the relay
// (circuit breaker): relay_pause, doubling up to relay_pause_max; after the pause one row is
// tried, and only a success resumes full speed. An outage therefore costs a handful of
// connection attempts, not one per message (hardening.md 1.1, Postfix's "dead destination").
//
// Time: the clock is injected (Unix seconds) and every period is configurable, so tests run the
// schedule in seconds. Threads: Start/Wake/Stop from any thread; RunOnce only when not started.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>

#include "calendar/status.h"
#include "calendar/store/db.h"
#include "notify/mailer.h"
#include "notify/outbox.h"
#include "notify/sources.h"

namespace convene::notify {

struct RetryPolicy {
  int64_t first_retry_s = 60;       // after the first transient failure
  int64_t max_retry_s = 3600;       // the doubling stops here
  int64_t lifetime_s = 2 * 86400;   // after this (from queuing) a transient failure is final
  int64_t relay_pause_s = 30;       // breaker: first pause after a relay-level failure
  int64_t relay_pause_max_s = 600;  // ... doubling up to this
};

// Seconds to wait after the `failures`-th transient failure (1-based): first * 2^(failures-1),
// capped at max.
int64_t RetryDelay(const RetryPolicy& p, int failures);
// Seconds the relay stays paused after its `failures`-th consecutive relay-level failure.
int64_t RelayPause(const RetryPolicy& p, int failures);

struct WorkerOptions {
  RetryPolicy retry;
  int64_t lease_seconds = 300;  // longer than any one send (SmtpOptions::timeout_s)
  int claim_batch = 8;          // rows leased per claim: the most a crash can duplicate
  int64_t poll_s = 30;          // wake at least this often even without Wake()
};

struct WorkerStats {
  int64_t sends = 0;  // Mailer::Send calls
  int64_t sent = 0;
  int64_t retried = 0;
  int64_t failed = 0;
  int64_t relay_pauses = 0;
};

class Worker {
 public:
  Worker(calendar::store::Db& db, Mailer& mailer, Clock clock, WorkerOptions options);
  ~Worker();  // Stop()s
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  void Start();
  // Something was queued: look now (cheap; safe from any thread, including request threads).
  void Wake();
  // Asks the thread to finish the message in hand and joins it.
  void Stop();

  // One pass without the thread: claims and sends everything due now (bounded by `max_rows`),
  // honouring the relay pause. Returns how many rows were attempted. For tests and drivers.
  Result<int> RunOnce(int max_rows = 1 << 20);

  WorkerStats stats() const;
  // While the relay is paused, the Unix time it resumes; else nullopt.
  std::optional<int64_t> relay_paused_until() const;

 private:
  void Loop();
  // Attempts one claimed batch; returns rows attempted.
  Result<int> Pass(int max_rows);
  Status Handle(const ClaimedRow& row, const Status& sent);
  bool stopping() const;

  calendar::store::Db& db_;
  Mailer& mailer_;
  Clock clock_;
  WorkerOptions options_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool wake_ = false;
  bool stop_ = false;
  std::thread thread_;
  WorkerStats stats_;
  int relay_failures_ = 0;
  int64_t relay_resume_at_ = 0;
};

}  // namespace convene::notify
