#include "server/lmtp/lmtp_server.h"

#include <arpa/inet.h>
#include <fmt/core.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>

namespace convene::server::lmtp {
namespace {

using Clock = std::chrono::steady_clock;

enum class Got { kLine, kTooLong, kTimeout, kSessionOver, kClosed };

// One connection's socket: buffered line reads with the idle and session deadlines.
class Conn {
 public:
  Conn(int fd, const LmtpOptions& o)
      : fd_(fd), o_(o), session_end_(Clock::now() + o.session_timeout) {}

  // The next line without its LF (and the CR before it). A line longer than `max` is consumed
  // through its LF and answered kTooLong; one that runs past `max + discard` bytes without an LF
  // closes the connection (kClosed).
  Got ReadLine(std::string& line, size_t max, size_t discard) {
    bool too_long = false;
    size_t dropped = 0;
    for (;;) {
      const size_t lf = buf_.find('\n', start_);
      if (lf != std::string::npos) {
        if (too_long || lf - start_ > max + 1) {
          start_ = lf + 1;
          return Got::kTooLong;
        }
        line.assign(buf_, start_, lf - start_);
        if (!line.empty() && line.back() == '\r') line.pop_back();
        start_ = lf + 1;
        Compact();
        return Got::kLine;
      }
      if (buf_.size() - start_ > max + 1) {
        too_long = true;
        dropped += buf_.size() - start_;
        buf_.clear();
        start_ = 0;
        if (dropped > max + discard) return Got::kClosed;
      }
      Got g = Fill();
      if (g != Got::kLine) return g;
    }
  }

  bool Write(const std::string& s) {
    size_t off = 0;
    const auto deadline = Clock::now() + o_.write_timeout;
    while (off < s.size()) {
      const ssize_t n = ::send(fd_, s.data() + off, s.size() - off, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n > 0) {
        off += static_cast<size_t>(n);
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
        if (left <= 0) return false;
        pollfd p{fd_, POLLOUT, 0};
        if (::poll(&p, 1, static_cast<int>(left)) <= 0) return false;
        continue;
      }
      return false;
    }
    return true;
  }

  bool Reply(const std::string& line) { return Write(line + "\r\n"); }

 private:
  Got Fill() {
    const auto now = Clock::now();
    if (now >= session_end_) return Got::kSessionOver;
    const auto idle = std::chrono::duration_cast<std::chrono::milliseconds>(o_.idle_timeout);
    const auto session = std::chrono::duration_cast<std::chrono::milliseconds>(session_end_ - now);
    const bool by_session = session < idle;
    pollfd p{fd_, POLLIN, 0};
    int r;
    do {
      r = ::poll(&p, 1, static_cast<int>(std::max<int64_t>(1, std::min(idle, session).count())));
    } while (r < 0 && errno == EINTR);
    if (r == 0) return by_session ? Got::kSessionOver : Got::kTimeout;
    if (r < 0) return Got::kClosed;
    char chunk[16384];
    ssize_t n;
    do {
      n = ::recv(fd_, chunk, sizeof chunk, MSG_DONTWAIT);
    } while (n < 0 && errno == EINTR);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return Got::kLine;  // try again
    if (n <= 0) return Got::kClosed;
    buf_.append(chunk, static_cast<size_t>(n));
    return Got::kLine;
  }

  void Compact() {
    if (start_ > 65536 && start_ * 2 > buf_.size()) {
      buf_.erase(0, start_);
      start_ = 0;
    }
  }

  int fd_;
  const LmtpOptions& o_;
  Clock::time_point session_end_;
  std::string buf_;
  size_t start_ = 0;
};

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

bool StartsWithNoCase(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && Upper(s.substr(0, prefix.size())) == prefix;
}

// "<path> params" after "MAIL FROM:" or "RCPT TO:": the address inside the angle brackets and
// the rest; false when there are no brackets or the address holds what no address holds.
bool ParsePath(std::string_view arg, std::string* address, std::string* params) {
  while (!arg.empty() && arg.front() == ' ') arg.remove_prefix(1);
  if (arg.empty() || arg.front() != '<') return false;
  const size_t close = arg.find('>');
  if (close == std::string_view::npos) return false;
  *address = std::string(arg.substr(1, close - 1));
  for (unsigned char c : *address)
    if (c <= 0x20 || c == 0x7F || c == '<') return false;
  *params = std::string(arg.substr(close + 1));
  return params->empty() || params->front() == ' ';
}

}  // namespace

LmtpServer::LmtpServer(LmtpOptions options, LmtpHandler& handler)
    : options_(std::move(options)), handler_(handler) {}

LmtpServer::~LmtpServer() {
  Stop();
  if (listen_fd_ >= 0) ::close(listen_fd_);
  if (wake_fd_ >= 0) ::close(wake_fd_);
}

Status LmtpServer::Bind() {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* res = nullptr;
  const std::string port = std::to_string(options_.port);
  std::string host = options_.host;
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  if (::getaddrinfo(host.c_str(), port.c_str(), &hints, &res) != 0 || !res)
    return Status(Code::kUnavailable, "--lmtp: cannot resolve " + options_.host);
  int fd = -1;
  for (addrinfo* a = res; a; a = a->ai_next) {
    fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(fd, a->ai_addr, a->ai_addrlen) == 0 && ::listen(fd, 64) == 0) break;
    ::close(fd);
    fd = -1;
  }
  ::freeaddrinfo(res);
  if (fd < 0)
    return Status(Code::kUnavailable,
                  fmt::format("cannot listen for LMTP on {}:{} (in use, or not an address here?)",
                              options_.host, options_.port));
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port
                                           : reinterpret_cast<sockaddr_in*>(&addr)->sin_port);
  listen_fd_ = fd;
  wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake_fd_ < 0) return Status(Code::kUnavailable, "eventfd failed");
  return Status::Ok();
}

void LmtpServer::Start() {
  if (listen_fd_ < 0 || acceptor_.joinable()) return;
  acceptor_ = std::thread([this] { AcceptLoop(); });
}

void LmtpServer::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ && !acceptor_.joinable() && active_ == 0) return;
    stopping_ = true;
    for (int fd : open_fds_) ::shutdown(fd, SHUT_RDWR);
  }
  if (wake_fd_ >= 0) {
    const uint64_t one = 1;
    [[maybe_unused]] ssize_t n = ::write(wake_fd_, &one, sizeof one);
  }
  if (acceptor_.joinable()) acceptor_.join();
  std::unique_lock<std::mutex> lock(mu_);
  idle_cv_.wait(lock, [this] { return active_ == 0; });
}

void LmtpServer::AcceptLoop() {
  for (;;) {
    pollfd p[2] = {{listen_fd_, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
    const int r = ::poll(p, 2, -1);
    if (r < 0 && errno == EINTR) continue;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_) return;
    }
    if (r < 0) {
      spdlog::error("lmtp: poll failed: {}", std::strerror(errno));
      return;
    }
    if (!(p[0].revents & POLLIN)) continue;
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EMFILE || errno == ENFILE) {
        spdlog::warn("lmtp: out of file descriptors; pausing accept");
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
      continue;
    }
    ++accepted_;
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ || active_ >= options_.max_connections) {
      const std::string busy =
          "421 4.3.2 " + options_.name + " too many connections, try later\r\n";
      [[maybe_unused]] ssize_t n =
          ::send(fd, busy.data(), busy.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      ::close(fd);
      spdlog::warn("lmtp: connection refused: {} already open", options_.max_connections);
      continue;
    }
    ++active_;
    open_fds_.insert(fd);
    std::thread([this, fd] {
      Serve(fd);
      std::lock_guard<std::mutex> done(mu_);
      open_fds_.erase(fd);
      ::close(fd);
      --active_;
      idle_cv_.notify_all();
    }).detach();
  }
}

void LmtpServer::Serve(int fd) {
  const LmtpOptions& o = options_;
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  Conn c(fd, o);
  if (!c.Reply("220 " + o.name + " LMTP ready")) return;
  bool greeted = false, in_mail = false;
  std::string sender;
  std::vector<std::string> recipients;
  size_t commands = 0, messages = 0;
  int errors = 0;
  auto reset = [&] {
    in_mail = false;
    sender.clear();
    recipients.clear();
  };
  auto error = [&](const std::string& reply) {
    if (++errors >= o.max_errors) {
      c.Reply("421 4.7.0 " + o.name + " too many errors, closing");
      return false;
    }
    return c.Reply(reply);
  };
  std::string line;
  for (;;) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_) {
        c.Reply("421 4.3.2 " + o.name + " shutting down");
        return;
      }
    }
    const Got got = c.ReadLine(line, o.max_line_bytes, 64 * 1024);
    if (got == Got::kTimeout) {
      c.Reply("421 4.4.2 " + o.name + " idle too long, closing");
      return;
    }
    if (got == Got::kSessionOver) {
      c.Reply("421 4.4.2 " + o.name + " connection open too long, closing");
      return;
    }
    if (got == Got::kClosed) return;
    if (got == Got::kTooLong) {
      if (!error("500 5.5.2 line too long")) return;
      continue;
    }
    if (++commands > o.max_commands) {
      c.Reply("421 4.7.0 " + o.name + " too many commands, closing");
      return;
    }
    const size_t sp = line.find(' ');
    const std::string verb = Upper(line.substr(0, sp));
    const std::string_view arg =
        sp == std::string::npos ? std::string_view() : std::string_view(line).substr(sp + 1);
    bool ok = true;
    if (verb == "LHLO") {
      if (arg.empty()) {
        ok = error("501 5.5.4 LHLO needs a host name");
        if (!ok) return;
        continue;
      }
      greeted = true;
      reset();
      ok = c.Write(fmt::format(
          "250-{}\r\n250-PIPELINING\r\n250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250 SIZE {}\r\n",
          o.name, o.max_message_bytes));
    } else if (verb == "HELO" || verb == "EHLO") {
      ok = error("500 5.5.1 this is LMTP: say LHLO");
    } else if (verb == "MAIL") {
      std::string address, params;
      if (!greeted) {
        ok = error("503 5.5.1 LHLO first");
      } else if (in_mail) {
        ok = error("503 5.5.1 MAIL already given (RSET first)");
      } else if (messages >= o.max_messages) {
        c.Reply("421 4.7.0 " + o.name + " too many messages on one connection, reconnect");
        return;
      } else if (!StartsWithNoCase(arg, "FROM:") || !ParsePath(arg.substr(5), &address, &params) ||
                 address.size() > 320) {
        ok = error("501 5.5.4 MAIL FROM:<address> expected");
      } else {
        bool too_big = false;
        size_t i = 0;
        while (i < params.size()) {
          const size_t j = std::min(params.find(' ', i), params.size());
          const std::string p = Upper(params.substr(i, j - i));
          if (p.rfind("SIZE=", 0) == 0) {
            const std::string n = p.substr(5);
            too_big =
                n.empty() || n.size() > 15 ||
                !std::all_of(n.begin(), n.end(), [](char d) { return d >= '0' && d <= '9'; }) ||
                std::stoull(n) > o.max_message_bytes;
          }
          i = j + 1;
        }
        if (too_big) {
          ok = c.Reply("552 5.3.4 message too big for " + o.name);
        } else {
          in_mail = true;
          sender = address;
          recipients.clear();
          ok = c.Reply("250 2.1.0 OK");
        }
      }
    } else if (verb == "RCPT") {
      std::string address, params;
      if (!in_mail) {
        ok = error("503 5.5.1 MAIL first");
      } else if (!StartsWithNoCase(arg, "TO:") || !ParsePath(arg.substr(3), &address, &params) ||
                 address.empty() || address.size() > 320) {
        ok = error("501 5.1.3 RCPT TO:<address> expected");
      } else if (recipients.size() >= o.max_recipients) {
        ok = c.Reply("452 4.5.3 too many recipients");
      } else {
        const std::string reply = handler_.Recipient(address);
        if (reply.rfind("2", 0) == 0) recipients.push_back(address);
        ok = c.Reply(reply);
      }
    } else if (verb == "DATA") {
      if (!in_mail || recipients.empty()) {
        ok = error(in_mail ? "503 5.5.1 no valid recipients" : "503 5.5.1 MAIL first");
        if (!ok) return;
        continue;
      }
      if (!c.Reply("354 go ahead, end with <CRLF>.<CRLF>")) return;
      std::string message;
      bool oversize = false;
      for (;;) {
        const Got g = c.ReadLine(line, o.max_message_bytes, 16 * o.max_message_bytes);
        if (g == Got::kTooLong) {
          oversize = true;
          continue;
        }
        if (g == Got::kTimeout || g == Got::kSessionOver) {
          c.Reply("421 4.4.2 " + o.name + " timeout in DATA, closing");
          return;
        }
        if (g != Got::kLine) return;  // closed mid-message: nothing delivered
        if (line == ".") break;
        if (oversize) continue;
        const size_t skip = !line.empty() && line.front() == '.' ? 1 : 0;
        if (message.size() + line.size() + 2 > o.max_message_bytes) {
          oversize = true;
          message.clear();
          message.shrink_to_fit();
          continue;
        }
        message.append(line, skip, std::string::npos);
        message += "\r\n";
      }
      ++messages;
      std::string replies;
      if (oversize) {
        for (size_t k = 0; k < recipients.size(); ++k)
          replies += "552 5.3.4 message too big for " + o.name + "\r\n";
        spdlog::info("lmtp: message over {} bytes refused (552)", o.max_message_bytes);
      } else {
        std::vector<std::string> answers = handler_.Deliver(sender, recipients, message);
        for (size_t k = 0; k < recipients.size(); ++k)
          replies += (k < answers.size() ? answers[k] : "451 4.3.0 no answer") + "\r\n";
      }
      reset();
      ok = c.Write(replies);
    } else if (verb == "RSET") {
      reset();
      ok = c.Reply("250 2.0.0 OK");
    } else if (verb == "NOOP") {
      ok = c.Reply("250 2.0.0 OK");
    } else if (verb == "QUIT") {
      c.Reply("221 2.0.0 " + o.name + " closing");
      return;
    } else if (verb == "VRFY") {
      ok = c.Reply("252 2.5.0 cannot verify, send it and see");
    } else {
      ok = error("500 5.5.2 unknown command");
    }
    if (!ok) return;
  }
}

}  // namespace convene::server::lmtp
