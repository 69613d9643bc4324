#include "server/app/app.h"

#include <netinet/in.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <filesystem>
#include <fstream>

#include "notify/outbox.h"
#include "notify/smtp_mailer.h"
#include "notify/spool_mailer.h"
#include "server/feeds/feed_handlers.h"
#include "server/http/responses.h"
#include "server/ops/change_notices.h"
#include "server/ops/reminders.h"

namespace convene::server {

namespace {

ListenerOptions ListenerOptionsFrom(const Config& c) {
  ListenerOptions o;
  o.threads = static_cast<size_t>(c.threads);
  o.head_timeout = std::chrono::seconds(c.request_head_timeout_s);
  o.idle_timeout = std::chrono::seconds(c.keep_alive_timeout_s);
  o.body_timeout = std::chrono::seconds(c.request_body_timeout_s);
  o.write_timeout = std::chrono::seconds(c.write_timeout_s);
  o.keep_alive_max_count = static_cast<size_t>(c.keep_alive_max_count);
  return o;
}

}  // namespace

App::App(Config config, std::unique_ptr<calendar::store::Db> db, Clock clock, RandomSource random)
    : config_(std::move(config)), db_(std::move(db)), http_(ListenerOptionsFrom(config_)) {
  ops_ = std::make_unique<Operations>(*db_, clock, random, config_.base_url);
  feeds_ = std::make_unique<FeedService>(*db_, config_.base_url, config_.feed_refresh_minutes,
                                         clock, random);
  FeedService* feeds = feeds_.get();
  ops_->add_after_commit([feeds] { feeds->NoteWrite(); });
  // Cached public feeds and the health check are answered on the listener's event thread.
  http_.set_inline_filter([feeds](std::string_view method, std::string_view target) {
    if (method != "GET" && method != "HEAD") return false;
    return target == "/healthz" || feeds::AnsweredFromMemory(*feeds, target);
  });
  WireNotices(std::move(clock), std::move(random));
}

App::~App() {
  Stop();
  lmtp_.reset();
  worker_->Stop();
  StopMaintenance();
}

void App::WireNotices(Clock clock, RandomSource random) {
  const Config& c = config_;
  if (c.smtp.empty()) {
    mailer_ = std::make_unique<notify::SpoolMailer>(c.spool_dir());
  } else {
    mailer_ = std::make_unique<notify::SmtpMailer>(
        notify::SmtpOptionsFromEnvironment(c.smtp, c.smtp_starttls));
  }
  notify::WorkerOptions w;
  w.retry.first_retry_s = c.mail_first_retry;
  w.retry.max_retry_s = c.mail_max_retry;
  w.retry.lifetime_s = c.mail_lifetime;
  w.retry.relay_pause_s = c.mail_relay_pause;
  w.retry.relay_pause_max_s = c.mail_relay_pause_max;
  w.lease_seconds = c.mail_lease;
  // On a shared PostgreSQL database other instances queue notices this one is not woken for,
  // and take over the claims of an instance that died: look every few seconds.
  if (db_->postgres()) w.poll_s = 3;
  worker_ = std::make_unique<notify::Worker>(*db_, *mailer_, std::move(clock), w);

  NoticeContext ctx;
  ctx.base_url = c.base_url;
  ctx.delay_seconds = c.notice_delay;
  ctx.random = std::move(random);
  if (!c.lmtp.empty()) ctx.reply_domain = c.effective_reply_domain();
  notice_ctx_ = ctx;
  ops_->set_change_hook([ctx](calendar::store::Tx& tx, const MeetingEvent& change, int64_t now) {
    return QueueChangeNotices(tx, change, now, ctx);
  });
  ops_->set_series_hook([ctx](calendar::store::Tx& tx, const SeriesEvent& event, int64_t now) {
    return QueueSeriesNotices(tx, event, now, ctx);
  });
  ops_->set_member_hook([ctx](calendar::store::Tx& tx, const calendar::Group& g,
                              const MemberCreated& m,
                              int64_t now) { return QueueMemberWelcome(tx, g, m, now, ctx); });
  ops_->set_delivery_hook(
      [ctx](calendar::store::Tx& tx, const calendar::Group& g,
            const std::optional<calendar::Member>& before, const calendar::Member& after,
            int64_t now) { return QueueDeliveryNotices(tx, g, before, after, now, ctx); });
  ops_->set_venue_hook(
      [ctx](calendar::store::Tx& tx, const calendar::Venue& before, const calendar::Venue& after,
            int64_t now) { return QueueVenueNotices(tx, before, after, now, ctx); });
  ops_->set_reset_hook([ctx](calendar::store::Tx& tx, const calendar::Organiser& o,
                             const std::string& url,
                             int64_t now) { return QueueResetLink(tx, o, url, now, ctx); });
  notify::Worker* worker = worker_.get();
  ops_->add_after_commit([worker] { worker->Wake(); });
}

void App::StartMaintenance() {
  maintenance_ = std::thread([this] {
    std::unique_lock<std::mutex> lock(maintenance_mu_);
    // Every 30 s: the reminders that fell due (api.md: queued within 60 s); every 5 minutes: a
    // WAL checkpoint.
    for (int tick = 1; !stopping_; ++tick) {
      lock.unlock();
      for (int round = 0; round < 50; ++round) {  // bounded: 200 meetings a round
        auto r = QueueDueReminders(*db_, ops_->Now(), notice_ctx_);
        if (!r.ok()) {
          spdlog::warn("reminders: {}", r.status().ToString());
          break;
        }
        if (r->meetings == 0) break;
        worker_->Wake();
      }
      if (tick % 10 == 0) {
        if (Status st = db_->Checkpoint(); !st.ok()) spdlog::warn("checkpoint: {}", st.ToString());
      }
      lock.lock();
      if (maintenance_cv_.wait_for(lock, std::chrono::seconds(30), [this] { return stopping_; }))
        break;
    }
  });
}

void App::StopMaintenance() {
  {
    std::lock_guard<std::mutex> lock(maintenance_mu_);
    stopping_ = true;
  }
  maintenance_cv_.notify_all();
  if (maintenance_.joinable()) maintenance_.join();
}

Result<std::unique_ptr<App>> App::Create(Config config, Clock clock, RandomSource random) {
  RETURN_IF_ERROR(config.Validate());
  if (!InitCrypto()) return Internal("libsodium failed to initialise");
  ASSIGN_OR_RETURN(auto db, calendar::store::Db::Open(config.db));
  std::unique_ptr<App> app(
      new App(std::move(config), std::move(db), std::move(clock), std::move(random)));
  const Config& c = app->config_;
  RETURN_IF_ERROR(app->ops_->LoadKeys());
  LoginLimits limits;
  limits.failures_per_email = c.login_failures_per_email;
  limits.failures_per_address = c.login_failures_per_address;
  limits.window_seconds = c.login_window_seconds;
  limits.session_seconds = int64_t{c.session_hours} * 3600;
  app->ops_->set_login_limits(limits);
  app->http_.set_tcp_nodelay(true);  // else small responses wait ~40 ms for a delayed ACK
  app->metrics_.set_enabled(c.metrics);
  InstallGuards(app->http_, c, app->metrics_);
  RegisterRoutes(*app);
  if (!c.lmtp.empty()) {
    lmtp::LmtpOptions o;
    o.host = c.lmtp_host();
    o.port = c.lmtp_port();
    o.name = c.effective_reply_domain();
    app->replies_ = std::make_unique<lmtp::ReplyReceiver>(*app->ops_);
    app->lmtp_ = std::make_unique<lmtp::LmtpServer>(o, *app->replies_);
  }
  return app;
}

Result<Offline> OpenOffline(const std::string& db_path) {
  if (!InitCrypto()) return Internal("libsodium failed to initialise");
  Offline o;
  ASSIGN_OR_RETURN(o.db, calendar::store::Db::Open(db_path));
  o.ops = std::make_unique<Operations>(*o.db, SystemClock(), SystemRandom(), Config{}.base_url);
  RETURN_IF_ERROR(o.ops->LoadKeys());
  return o;
}

namespace {

// cpp-httplib 0.11.4 listens with a backlog of 5 and offers no setter. A burst of clients (16
// connecting at once in the http tests) overflowed it and one connection was reset. Linux lets
// listen() be called again to raise the backlog, so find our listening socket and do that.
void RaiseListenBacklog(int port) {
  for (int fd = 3; fd < 1024; ++fd) {
    int listening = 0;
    socklen_t len = sizeof listening;
    if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) != 0 || !listening) continue;
    sockaddr_storage addr{};
    socklen_t alen = sizeof addr;
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &alen) != 0) continue;
    int bound = 0;
    if (addr.ss_family == AF_INET) bound = ntohs(reinterpret_cast<sockaddr_in*>(&addr)->sin_port);
    if (addr.ss_family == AF_INET6)
      bound = ntohs(reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port);
    if (bound == port && ::listen(fd, 1024) == 0) return;
  }
  spdlog::warn("could not raise the listen backlog above cpp-httplib's 5");
}

}  // namespace

namespace {

// VmRSS (bytes) and Threads of this process, from /proc/self/status.
std::pair<int64_t, int64_t> ProcessRssAndThreads() {
  std::ifstream f("/proc/self/status");
  std::string line;
  int64_t rss = 0, threads = 0;
  while (std::getline(f, line)) {
    if (line.rfind("VmRSS:", 0) == 0) rss = std::atoll(line.c_str() + 6) * 1024;
    if (line.rfind("Threads:", 0) == 0) threads = std::atoll(line.c_str() + 8);
  }
  return {rss, threads};
}

int64_t FileSize(const std::string& path) {
  std::error_code ec;
  const auto n = std::filesystem::file_size(path, ec);
  return ec ? 0 : static_cast<int64_t>(n);
}

}  // namespace

std::string App::MetricsText() {
  std::string g;
  auto gauge = [&g](const char* name, const char* help, const char* type, double v,
                    const std::string& labels = "") {
    g += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
    g += MetricLine(name, labels, v);
  };
  const int64_t now = ops_->Now();
  auto counts = [&]() -> Result<notify::OutboxCounts> {
    ASSIGN_OR_RETURN(calendar::store::Tx tx, db_->Read());
    return notify::CountOutbox(tx, now);
  }();
  if (counts.ok()) {
    g += "# HELP convene_outbox_notices Notices in the outbox by state.\n";
    g += "# TYPE convene_outbox_notices gauge\n";
    for (auto [state, n] : {std::pair{"queued", counts->queued},
                            {"sent", counts->sent},
                            {"failed", counts->failed},
                            {"superseded", counts->superseded},
                            {"in_flight", counts->leased}})
      g += MetricLine("convene_outbox_notices", std::string("state=\"") + state + "\"",
                      static_cast<double>(n));
    gauge("convene_outbox_oldest_queued_age_seconds",
          "Age of the oldest notice still queued (0 when none is).", "gauge",
          counts->queued > 0 ? static_cast<double>(now - counts->oldest_queued_at) : 0.0);
  }
  const notify::WorkerStats w = worker_->stats();
  gauge("convene_mail_delivery_attempts_total", "Messages handed to the mail relay or spool.",
        "counter", static_cast<double>(w.sends));
  gauge("convene_mail_delivered_total", "Messages the relay accepted.", "counter",
        static_cast<double>(w.sent));
  gauge("convene_mail_deferred_total", "Attempts that failed for now and will be retried.",
        "counter", static_cast<double>(w.retried));
  gauge("convene_mail_failed_total", "Messages given up on (5xx, or past their lifetime).",
        "counter", static_cast<double>(w.failed));
  gauge("convene_mail_relay_pauses_total", "Times the relay was paused as unreachable.", "counter",
        static_cast<double>(w.relay_pauses));
  gauge("convene_feed_renders_total", "Feeds rendered (a new revision, or a first request).",
        "counter", static_cast<double>(feeds_->renders()));
  gauge("convene_feed_cache_hits_total", "Feeds answered with bytes rendered earlier.", "counter",
        static_cast<double>(feeds_->cache_hits()));
  gauge("convene_database_bytes", "Size of the SQLite database file and its WAL.", "gauge",
        static_cast<double>(FileSize(config_.db) + FileSize(config_.db + "-wal")));
  const auto [rss, threads] = ProcessRssAndThreads();
  gauge("convene_process_resident_memory_bytes", "Resident memory of this process.", "gauge",
        static_cast<double>(rss));
  gauge("convene_process_threads", "Threads of this process.", "gauge",
        static_cast<double>(threads));
  gauge("convene_http_waiting_connections",
        "Connections idle between requests or still sending their head.", "gauge",
        static_cast<double>(http_.waiting()));
  return metrics_.Render(g);
}

Status App::Bind() {
  const std::string host = config_.listen_host();
  const int port = config_.listen_port();
  if (port == 0) {
    port_ = http_.bind_to_any_port(host);
    if (port_ < 0) return Status(Code::kUnavailable, "cannot listen on " + host);
  } else {
    if (!http_.bind_to_port(host, port))
      return Status(Code::kUnavailable,
                    "cannot listen on " + config_.listen + " (in use, or not an address here?)");
    port_ = port;
  }
  RaiseListenBacklog(port_);
  if (lmtp_) RETURN_IF_ERROR(lmtp_->Bind());
  return Status::Ok();
}

bool App::Run() {
  if (!maintenance_.joinable()) StartMaintenance();
  worker_->Start();
  if (lmtp_) lmtp_->Start();
  return http_.listen_after_bind();
}

void App::Stop() {
  http_.Stop();
  if (lmtp_) lmtp_->Stop();
}

}  // namespace convene::server
