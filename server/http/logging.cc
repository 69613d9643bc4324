#include "server/http/logging.h"

#include <fcntl.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>

namespace convene::server::logging {

namespace {

// The fields of the access-log line being written on this thread (JSON format only).
thread_local const nlohmann::json* t_fields = nullptr;

std::string IsoTime(spdlog::log_clock::time_point t) {
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  const std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ms % 1000));
  return buf;
}

// A sink that writes to stderr or to a file it can reopen, as text or JSON lines.
class Sink : public spdlog::sinks::base_sink<std::mutex> {
 public:
  Sink(std::string path, Format format) : path_(std::move(path)), format_(format) {}
  Format format() const { return format_; }
  ~Sink() override {
    if (file_ != nullptr && file_ != stderr) std::fclose(file_);
  }

  Status Open() {
    std::lock_guard<std::mutex> lock(mutex_);
    return OpenLocked();
  }
  void Reopen() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (path_.empty()) return;
    if (file_ != nullptr) std::fclose(file_);
    file_ = nullptr;
    (void)OpenLocked();
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    if (file_ == nullptr) return;
    if (format_ == Format::kJson) {
      nlohmann::json line = {
          {"time", IsoTime(msg.time)},
          {"level", std::string(spdlog::level::to_string_view(msg.level).data(),
                                spdlog::level::to_string_view(msg.level).size())},
          {"msg", std::string(msg.payload.data(), msg.payload.size())}};
      if (t_fields != nullptr)
        for (const auto& [k, v] : t_fields->items()) line[k] = v;
      const std::string text =
          line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
      std::fwrite(text.data(), 1, text.size(), file_);
    } else {
      spdlog::memory_buf_t buf;
      formatter_->format(msg, buf);
      std::fwrite(buf.data(), 1, buf.size(), file_);
    }
    std::fflush(file_);
  }
  void flush_() override {
    if (file_ != nullptr) std::fflush(file_);
  }

 private:
  Status OpenLocked() {
    if (path_.empty()) {
      file_ = stderr;
      return Status::Ok();
    }
    const int fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    if (fd < 0) return Status(Code::kUnavailable, "cannot open the log file " + path_);
    file_ = ::fdopen(fd, "a");
    if (file_ == nullptr) return Status(Code::kUnavailable, "cannot open the log file " + path_);
    return Status::Ok();
  }

  const std::string path_;
  const Format format_;
  std::FILE* file_ = nullptr;
};

std::shared_ptr<Sink>& TheSink() {
  static std::shared_ptr<Sink> sink;
  return sink;
}

}  // namespace

Result<Format> ParseFormat(const std::string& name) {
  if (name == "text") return Format::kText;
  if (name == "json") return Format::kJson;
  return InvalidArgument("log-format", "--log-format must be text or json");
}

Status Setup(const std::string& path, Format format) {
  auto sink = std::make_shared<Sink>(path, format);
  RETURN_IF_ERROR(sink->Open());
  sink->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
  TheSink() = sink;
  spdlog::set_default_logger(std::make_shared<spdlog::logger>("convene", sink));
  return Status::Ok();
}

void Reopen() {
  if (TheSink()) TheSink()->Reopen();
}

void Request(const std::string& method, const std::string& path, const std::string& route,
             int status, double ms) {
  // Text lines need no fields object: build it (one allocation per request) only for JSON.
  if (!TheSink() || TheSink()->format() != Format::kJson) {
    spdlog::info("{} {} {} {:.1f}ms", method, path, status, ms);
    return;
  }
  const nlohmann::json fields = {{"method", method},
                                 {"path", path},
                                 {"route", route},
                                 {"status", status},
                                 {"ms", static_cast<int64_t>(ms * 10) / 10.0}};
  t_fields = &fields;
  spdlog::info("{} {} {} {:.1f}ms", method, path, status, ms);
  t_fields = nullptr;
}

}  // namespace convene::server::logging
