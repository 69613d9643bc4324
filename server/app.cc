#include "server/app.h"

#include <spdlog/spdlog.h>

#include "server/http_util.h"

namespace convene::server {

App::App(Config config, std::unique_ptr<calendar::store::Db> db, Clock clock, RandomSource random)
    : config_(std::move(config)), db_(std::move(db)) {
  ops_ = std::make_unique<Operations>(*db_, std::move(clock), std::move(random), config_.base_url);
}

App::~App() {
  Stop();
  StopMaintenance();
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
  const int threads = c.threads;
  app->http_.new_task_queue = [threads] {
    return new httplib::ThreadPool(static_cast<size_t>(threads));
  };
  app->http_.set_tcp_nodelay(true);  // else small responses wait ~40 ms for a delayed ACK
  app->http_.set_keep_alive_max_count(static_cast<size_t>(c.keep_alive_max_count));
  app->http_.set_keep_alive_timeout(c.keep_alive_timeout_s);
  app->http_.set_read_timeout(c.read_timeout_s, 0);
  app->http_.set_write_timeout(c.write_timeout_s, 0);
  InstallGuards(app->http_, c);
  RegisterRoutes(*app);
  return app;
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
  return Status::Ok();
}

bool App::Run() {
  if (!maintenance_.joinable()) StartMaintenance();
  return http_.listen_after_bind();
}

void App::Stop() {
  if (http_.is_running()) http_.stop();
}

}  // namespace convene::server
