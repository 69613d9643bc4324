// Test support: an injected clock and random source, a temp database, and a real server on a
// free loopback port. Header-only; each test owns its instances.
#pragma once

#include <httplib.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <thread>

#include "server/app/app.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_database.h"

namespace convene::testing {

// A clock that only moves when told to. Starts at 2026-01-05T09:00:00Z.
class FakeClock {
 public:
  int64_t now() const { return now_.load(); }
  void Advance(int64_t seconds) { now_ += seconds; }
  void Set(int64_t t) { now_ = t; }
  server::Clock AsClock() {
    return [this] { return now_.load(); };
  }

 private:
  std::atomic<int64_t> now_{1767603600};
};

// Deterministic bytes (tests that compare UIDs across runs); not for secrets in production.
inline server::RandomSource SeededRandom(uint32_t seed) {
  auto gen = std::make_shared<std::mt19937>(seed);
  return [gen](unsigned char* buf, size_t n) {
    for (size_t i = 0; i < n; ++i) buf[i] = static_cast<unsigned char>((*gen)() & 0xff);
  };
}

// A real App serving on 127.0.0.1:<free port> in a background thread.
class ServerFixture {
 public:
  explicit ServerFixture(server::Config config = {}) {
    if (!db_.error().empty()) {
      error_ = db_.error();
      return;
    }
    config.db = db_.db();
    if (config.spool.empty()) config.spool = dir_.File("spool");  // beside the SQLite file
    config.listen = "127.0.0.1:0";
    config.threads = 8;
    auto app = server::App::Create(config, clock_.AsClock(), server::SystemRandom());
    if (!app.ok()) {
      error_ = app.status().ToString();
      return;
    }
    app_ = std::move(app).value();
    if (Status st = app_->Bind(); !st.ok()) {
      error_ = st.ToString();
      return;
    }
    thread_ = std::thread([this] { app_->Run(); });
    for (int i = 0; i < 200 && !app_->http().is_running(); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ~ServerFixture() {
    if (app_) app_->Stop();
    if (thread_.joinable()) thread_.join();
  }
  const std::string& error() const { return error_; }
  server::App& app() { return *app_; }
  FakeClock& clock() { return clock_; }
  int port() const { return app_->port(); }
  httplib::Client Client() const {
    httplib::Client c("127.0.0.1", app_->port());
    c.set_read_timeout(10, 0);
    c.set_connection_timeout(5, 0);
    return c;
  }

 private:
  TempDir dir_;
  TestDatabase db_{dir_.File("convene.db")};  // after dir_, and outlives app_
  FakeClock clock_;
  std::unique_ptr<server::App> app_;
  std::thread thread_;
  std::string error_;
};

}  // namespace convene::testing
