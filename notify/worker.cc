#include "notify/worker.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <climits>

namespace convene::notify {

int64_t RetryDelay(const RetryPolicy& p, int failures) {
  int64_t d = std::max<int64_t>(1, p.first_retry_s);
  for (int i = 1; i < failures && d < p.max_retry_s; ++i) d *= 2;
  return std::min(d, std::max<int64_t>(1, p.max_retry_s));
}

int64_t RelayPause(const RetryPolicy& p, int failures) {
  int64_t d = std::max<int64_t>(1, p.relay_pause_s);
  for (int i = 1; i < failures && d < p.relay_pause_max_s; ++i) d *= 2;
  return std::min(d, std::max<int64_t>(1, p.relay_pause_max_s));
}

Worker::Worker(calendar::store::Db& db, Mailer& mailer, Clock clock, WorkerOptions options)
    : db_(db), mailer_(mailer), clock_(std::move(clock)), options_(options) {
  options_.claim_batch = std::max(1, options_.claim_batch);
  options_.lease_seconds = std::max<int64_t>(1, options_.lease_seconds);
  options_.poll_s = std::max<int64_t>(1, options_.poll_s);
}

Worker::~Worker() { Stop(); }

void Worker::Start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (thread_.joinable()) return;
  stop_ = false;
  thread_ = std::thread([this] { Loop(); });
}

void Worker::Wake() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    wake_ = true;
  }
  cv_.notify_one();
}

void Worker::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!thread_.joinable()) return;
    stop_ = true;
  }
  cv_.notify_one();
  mailer_.Interrupt();
  thread_.join();
}

bool Worker::stopping() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stop_;
}

WorkerStats Worker::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

std::optional<int64_t> Worker::relay_paused_until() const {
  std::lock_guard<std::mutex> lock(mu_);
  if (relay_resume_at_ > clock_()) return relay_resume_at_;
  return std::nullopt;
}

Result<int> Worker::RunOnce(int max_rows) { return Pass(max_rows); }

Result<int> Worker::Pass(int max_rows) {
  int attempted = 0;
  while (attempted < max_rows && !stopping()) {
    const int64_t now = clock_();
    int batch;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (relay_resume_at_ > now) break;
      // Half-open: after a pause, one message probes the relay before full speed.
      batch = relay_failures_ > 0 ? 1 : options_.claim_batch;
    }
    batch = std::min(batch, max_rows - attempted);
    std::vector<ClaimedRow> rows;
    {
      ASSIGN_OR_RETURN(calendar::store::Tx tx, db_.WriteRows());
      ASSIGN_OR_RETURN(rows, ClaimDue(tx, now, batch, options_.lease_seconds));
      RETURN_IF_ERROR(tx.Commit());
    }
    if (rows.empty()) break;
    for (size_t i = 0; i < rows.size(); ++i) {
      bool paused;
      {
        std::lock_guard<std::mutex> lock(mu_);
        paused = relay_resume_at_ > clock_() || stop_;
      }
      if (paused) {
        // Not attempted: give the rest back at once rather than waiting out their leases.
        ASSIGN_OR_RETURN(calendar::store::Tx tx, db_.WriteRows());
        for (size_t j = i; j < rows.size(); ++j) RETURN_IF_ERROR(Release(tx, rows[j].id));
        RETURN_IF_ERROR(tx.Commit());
        return attempted;
      }
      const ClaimedRow& row = rows[i];
      const Status st =
          mailer_.Send(Envelope{row.envelope_from, row.recipient, row.message_id}, row.body);
      ++attempted;
      RETURN_IF_ERROR(Handle(row, st));
    }
  }
  return attempted;
}

Status Worker::Handle(const ClaimedRow& row, const Status& st) {
  // The database work happens without mu_: Wake() from a request thread never waits on an fsync.
  const int64_t now = clock_();
  enum { kSent, kRetried, kFailed } outcome;
  {
    ASSIGN_OR_RETURN(calendar::store::Tx tx, db_.WriteRows());
    if (st.ok()) {
      RETURN_IF_ERROR(MarkSent(tx, row.id, now));
      outcome = kSent;
    } else if (IsTransient(st) && now < row.created_at + options_.retry.lifetime_s) {
      const int64_t deadline = row.created_at + options_.retry.lifetime_s;
      const int64_t next = std::min(now + RetryDelay(options_.retry, row.attempts), deadline);
      RETURN_IF_ERROR(Retry(tx, row.id, next, st.message()));
      outcome = kRetried;
      spdlog::warn("notice {} to {}: deferred (attempt {}), retry in {} s: {}", row.id,
                   row.recipient, row.attempts, next - now, st.message());
    } else {
      const std::string why =
          IsTransient(st) ? fmt::format("gave up after {} attempts: {}", row.attempts, st.message())
                          : st.message();
      RETURN_IF_ERROR(MarkFailed(tx, row.id, now, why));
      outcome = kFailed;
      spdlog::error("notice {} to {}: failed: {}", row.id, row.recipient, why);
    }
    RETURN_IF_ERROR(tx.Commit());
  }
  if (outcome == kSent) {
    spdlog::info("notice {} {} to {}: sent (attempt {})", row.id, row.message_id, row.recipient,
                 row.attempts);
  }
  std::lock_guard<std::mutex> lock(mu_);
  ++stats_.sends;
  if (outcome == kSent) ++stats_.sent;
  if (outcome == kRetried) ++stats_.retried;
  if (outcome == kFailed) ++stats_.failed;
  if (IsRelayDown(st)) {
    ++relay_failures_;
    relay_resume_at_ = now + RelayPause(options_.retry, relay_failures_);
    ++stats_.relay_pauses;
    spdlog::warn("relay {} paused for {} s: {}", mailer_.Describe(), relay_resume_at_ - now,
                 st.message());
  } else {
    // The relay answered (even if only to defer or drop this message), so it is up.
    relay_failures_ = 0;
    relay_resume_at_ = 0;
  }
  return Status::Ok();
}

void Worker::Loop() {
  spdlog::info("mail worker started: {}", mailer_.Describe());
  for (;;) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stop_) break;
      wake_ = false;
    }
    Result<int> r = Pass(INT_MAX);
    if (!r.ok()) spdlog::error("mail worker: {}", r.status().ToString());
    const int64_t now = clock_();
    int64_t next = now + options_.poll_s;
    if (r.ok()) {
      auto tx = db_.Read();
      if (tx.ok()) {
        auto at = NextClaimableAt(*tx);
        if (at.ok() && at->has_value()) next = std::min(next, **at);
      }
    } else {
      next = now + 1;  // the database hiccuped: look again soon, not in a tight loop
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (relay_resume_at_ > now) next = std::max(next, relay_resume_at_);
    }
    // Whole-second clock: sleep at least a moment, so a row due "now" is not a busy loop.
    const auto wait = std::chrono::milliseconds(std::max<int64_t>(50, (next - now) * 1000));
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, wait, [this] { return wake_ || stop_; });
  }
  spdlog::info("mail worker stopped");
}

}  // namespace convene::notify
