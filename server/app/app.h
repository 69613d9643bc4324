// App: one running convene, wiring Config -> Db (migrated) -> Operations -> HTTP server, and the
// mail worker (notify/) that delivers the notices operations queue.
//
// main.cc and the HTTP tests both build an App, so tests exercise exactly what ships. Start-up
// order: Create() opens and migrates the database; Bind() takes the port; Run() starts the mail
// worker and serves until Stop() (from any thread). Operations and Db are thread-safe; the App
// outlives every request. Every commit of an operation wakes the mail worker.
#pragma once

#include <httplib.h>

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "calendar/store/db.h"
#include "notify/mailer.h"
#include "notify/worker.h"
#include "server/app/config.h"
#include "server/feeds/feed_service.h"
#include "server/http/listener.h"
#include "server/http/metrics.h"
#include "server/lmtp/lmtp_server.h"
#include "server/lmtp/reply_receiver.h"
#include "server/ops/change_notices.h"
#include "server/ops/operations.h"

namespace convene::server {

class App {
 public:
  static Result<std::unique_ptr<App>> Create(Config config, Clock clock = SystemClock(),
                                             RandomSource random = SystemRandom());
  ~App();

  // Binds to config.listen (port 0 picks a free port), and to config.lmtp when set.
  Status Bind();
  int port() const { return port_; }
  // The LMTP listener's port (replies from calendars), or 0 without --lmtp.
  int lmtp_port() const { return lmtp_ ? lmtp_->port() : 0; }
  // Serves until Stop(); returns false if the server failed.
  bool Run();
  void Stop();

  const Config& config() const { return config_; }
  calendar::store::Db& db() { return *db_; }
  Operations& ops() { return *ops_; }
  notify::Worker& mail_worker() { return *worker_; }
  HttpServer& http() { return http_; }
  Metrics& metrics() { return metrics_; }
  FeedService& feeds() { return *feeds_; }
  // The text of GET /metrics: the request series and the gauges read now.
  std::string MetricsText();

 private:
  App(Config config, std::unique_ptr<calendar::store::Db> db, Clock clock, RandomSource random);

  // Housekeeping thread: checkpoints the WAL every few minutes so long-lived readers cannot
  // make it grow without bound (hardening.md 1.3).
  void StartMaintenance();
  void StopMaintenance();

  // The notices' transport and the thread that drives it; both created by Create().
  void WireNotices(Clock clock, RandomSource random);

  Config config_;
  std::unique_ptr<calendar::store::Db> db_;
  std::unique_ptr<notify::Mailer> mailer_;
  std::unique_ptr<notify::Worker> worker_;
  NoticeContext notice_ctx_;  // links, delay and randomness of every notice (reminders too)
  std::thread maintenance_;
  std::mutex maintenance_mu_;
  std::condition_variable maintenance_cv_;
  bool stopping_ = false;
  std::unique_ptr<Operations> ops_;
  std::unique_ptr<FeedService> feeds_;  // one feed cache for the App's life
  Metrics metrics_;
  HttpServer http_;
  int port_ = 0;
  // Replies from calendars (--lmtp): the handler, and the listener that calls it (stopped first).
  std::unique_ptr<lmtp::ReplyReceiver> replies_;
  std::unique_ptr<lmtp::LmtpServer> lmtp_;
};

// The database and its operations alone, for the command line's admin and demo commands: no
// HTTP server, no mail worker, no spool folder, and no notice hooks, so nothing they do queues
// mail (the demo's people are at example.org).
struct Offline {
  std::unique_ptr<calendar::store::Db> db;
  std::unique_ptr<Operations> ops;  // refers to *db; declared after it, so destroyed first
};
Result<Offline> OpenOffline(const std::string& db_path);

// routes.cc: every URL -> handler, in one table.
void RegisterRoutes(App& app);

}  // namespace convene::server
