#include "server/app/app.h"

#include <netinet/in.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include "notify/smtp_mailer.h"
#include "notify/spool_mailer.h"
#include "server/http/responses.h"
#include "server/ops/change_notices.h"

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
  WireNotices(std::move(clock), std::move(random));
}

App::~App() {
  Stop();
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
  worker_ = std::make_unique<notify::Worker>(*db_, *mailer_, std::move(clock), w);

  NoticeContext ctx;
  ctx.base_url = c.base_url;
  ctx.delay_seconds = c.notice_delay;
  ctx.random = std::move(random);
  ops_->set_change_hook([ctx](calendar::store::Tx& tx, const MeetingEvent& change, int64_t now) {
    return QueueChangeNotices(tx, change, now, ctx);
  });
  ops_->set_member_hook([ctx](calendar::store::Tx& tx, const calendar::Group& g,
                              const MemberCreated& m,
                              int64_t now) { return QueueMemberWelcome(tx, g, m, now, ctx); });
  ops_->set_reset_hook([ctx](calendar::store::Tx& tx, const calendar::Organiser& o,
                             const std::string& url,
                             int64_t now) { return QueueResetLink(tx, o, url, now, ctx); });
  notify::Worker* worker = worker_.get();
  ops_->add_after_commit([worker] { worker->Wake(); });
}

void App::StartMaintenance() {
  maintenance_ = std::thread([this] {
    std::unique_lock<std::mutex> lock(maintenance_mu_);
    while (!stopping_) {
      if (maintenance_cv_.wait_for(lock, std::chrono::minutes(5), [this] { return stopping_; }))
        break;
      lock.unlock();
      if (Status st = db_->Checkpoint(); !st.ok()) spdlog::warn("checkpoint: {}", st.ToString());
      lock.lock();
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
  InstallGuards(app->http_, c);
  RegisterRoutes(*app);
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
  return Status::Ok();
}

bool App::Run() {
  if (!maintenance_.joinable()) StartMaintenance();
  worker_->Start();
  return http_.listen_after_bind();
}

void App::Stop() { http_.Stop(); }

}  // namespace convene::server
