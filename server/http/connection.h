// The insides of HttpServer (listener.h), shared by listener.cc only: one client connection
// (its socket and the bytes read but not yet consumed), the Stream through which cpp-httplib
// reads and writes a request on it, and the socket helpers both use. Not for other files.
// Threads: a Connection belongs to one thread at a time (a pool thread serving it, or the
// waiting room holding it).
#pragma once

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <string_view>

#include "server/http/listener.h"

namespace convene::server {

using SteadyClock = std::chrono::steady_clock;

namespace listener_detail {

inline constexpr size_t kReadChunk = 16 * 1024;

inline int MillisUntil(SteadyClock::time_point t) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(t - SteadyClock::now());
  return left.count() <= 0 ? 0 : static_cast<int>(std::min<int64_t>(left.count(), 60'000));
}

inline bool PollFor(int fd, short events, int timeout_ms) {
  pollfd p{fd, events, 0};
  for (;;) {
    const int n = ::poll(&p, 1, timeout_ms);
    if (n < 0 && errno == EINTR) continue;
    return n > 0;
  }
}

inline void Address(int fd, bool peer, std::string& ip, int& port) {
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  const int rc = peer ? ::getpeername(fd, reinterpret_cast<sockaddr*>(&addr), &len)
                      : ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  if (rc != 0) return;
  char host[NI_MAXHOST], serv[NI_MAXSERV];
  if (::getnameinfo(reinterpret_cast<sockaddr*>(&addr), len, host, sizeof host, serv, sizeof serv,
                    NI_NUMERICHOST | NI_NUMERICSERV) == 0) {
    ip = host;
    port = std::atoi(serv);
  }
}

// Best effort: a short fixed answer to a client we are about to drop.
inline void SendFinal(int fd, std::string_view status_line) {
  std::string msg(status_line);
  msg += "\r\nConnection: close\r\nContent-Length: 0\r\n\r\n";
  [[maybe_unused]] ssize_t n = ::send(fd, msg.data(), msg.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
}

}  // namespace listener_detail

using namespace listener_detail;  // NOLINT: the helpers of this pair of files

// ---- Connection -----------------------------------------------------------------------------

struct HttpServer::Connection {
  explicit Connection(int socket) : fd(socket) {
    Address(fd, true, remote_ip, remote_port);
    Address(fd, false, local_ip, local_port);
  }
  ~Connection() {
    if (fd >= 0) ::close(fd);
  }

  int fd;
  std::string remote_ip, local_ip;
  int remote_port = 0, local_port = 0;

  // Bytes received and not yet consumed: buf[pos, size()).
  std::string buf;
  size_t pos = 0;
  size_t head_scan = 0;  // buf offset before which no head end was found
  size_t requests = 0;

  // While in the waiting room.
  SteadyClock::time_point wait_start;
  SteadyClock::time_point deadline;
  bool lingering = false;  // closing: shut for writing, dropping what the client still sends

  // Responses the waiting room serves itself (listener.h): bytes not yet sent, out[out_pos, ...).
  std::string out;
  size_t out_pos = 0;
  bool writing = false;           // waiting for the socket to take the rest of `out`
  bool close_after_out = false;   // the connection ends once `out` is sent
  bool unread_after_out = false;  // ... and the client may still be sending: linger, then close

  // The request being served.
  SteadyClock::time_point read_deadline;
  size_t consumed = 0;   // bytes of this request consumed so far
  size_t head_len = 0;   // consumed when cpp-httplib finished the head
  int64_t declared = 0;  // Content-Length (0 when absent)
  bool must_close = false;

  size_t buffered() const { return buf.size() - pos; }

  void Compact() {
    if (pos == buf.size()) {
      buf.clear();
      pos = head_scan = 0;
    } else if (pos > 64 * 1024) {
      buf.erase(0, pos);
      head_scan -= std::min(head_scan, pos);
      pos = 0;
    }
  }

  // Closing after a response: shuts the socket for writing. True when the connection must
  // linger a moment (then it is marked so, for the waiting room), because closing with unread
  // bytes would send a reset that can destroy the response before the client reads it.
  bool StartClosing(bool unread_input) {
    ::shutdown(fd, SHUT_WR);
    if (!unread_input && buffered() == 0 && !PollFor(fd, POLLIN, 0)) return false;
    lingering = true;
    wait_start = SteadyClock::now();
    deadline = wait_start + std::chrono::seconds(1);
    buf.clear();
    pos = head_scan = 0;
    return true;
  }

  // Drops the empty lines a client may send between requests (RFC 9112 2.2).
  void SkipBlankLines() {
    while (buffered() >= 2 && buf[pos] == '\r' && buf[pos + 1] == '\n') pos += 2;
    while (buffered() >= 1 && buf[pos] == '\n') ++pos;
    head_scan = std::max(head_scan, pos);
  }

  bool HeadComplete() {
    SkipBlankLines();
    if (buffered() < 4) return false;
    const size_t from = std::max(pos, head_scan >= 3 ? head_scan - 3 : 0);
    if (buf.find("\r\n\r\n", from) != std::string::npos) return true;
    head_scan = buf.size();  // the next look starts where this one ended
    return false;
  }

  // Non-blocking read of whatever has arrived. Returns false on end of stream or error.
  bool ReadAvailable(size_t cap) {
    // Through a stack buffer, so a waiting connection holds only the bytes it has sent.
    char chunk[kReadChunk];
    for (;;) {
      if (buffered() >= cap) return true;
      const ssize_t n = ::recv(fd, chunk, sizeof chunk, MSG_DONTWAIT);
      if (n > 0) {
        buf.append(chunk, static_cast<size_t>(n));
        // Less than asked for: the socket had no more (saves a recv that would say so; what
        // arrives later wakes the room or is read by the next call).
        if (static_cast<size_t>(n) < sizeof chunk) return true;
        continue;
      }
      if (n == 0) return false;
      if (errno == EINTR) continue;
      return errno == EAGAIN || errno == EWOULDBLOCK;
    }
  }

  void StartRequest(SteadyClock::time_point body_deadline) {
    read_deadline = body_deadline;
    consumed = head_len = 0;
    declared = 0;
    must_close = false;
  }

  // Called by cpp-httplib once the head is parsed, before any handler runs.
  void OnHead(const httplib::Request& req) {
    head_len = consumed;
    const size_t lengths = req.get_header_value_count("Content-Length");
    if (req.has_header("Transfer-Encoding") || lengths > 1) must_close = true;
    if (lengths == 1) {
      const std::string v = req.get_header_value("Content-Length");
      if (v.empty() || v.size() > 18 || v.find_first_not_of("0123456789") != std::string::npos)
        must_close = true;
      else
        declared = std::stoll(v);
    }
  }

  bool BodyUnread() const {
    return must_close || static_cast<int64_t>(consumed - head_len) < declared;
  }
};

// ---- Stream: cpp-httplib reads and writes a request through this ------------------------------

class HttpServer::Stream : public httplib::Stream {
 public:
  // With `capture`, the response is appended there (the waiting room sends it without blocking).
  Stream(Connection& c, std::chrono::milliseconds write_timeout, std::string* capture = nullptr)
      : c_(c), write_timeout_ms_(static_cast<int>(write_timeout.count())), capture_(capture) {}

  bool is_readable() const override {
    return c_.buffered() > 0 || PollFor(c_.fd, POLLIN, MillisUntil(c_.read_deadline));
  }
  bool is_writable() const override {
    return capture_ != nullptr || PollFor(c_.fd, POLLOUT, write_timeout_ms_);
  }

  ssize_t read(char* ptr, size_t size) override {
    if (c_.buffered() == 0) {
      c_.Compact();
      for (;;) {
        if (!PollFor(c_.fd, POLLIN, MillisUntil(c_.read_deadline))) return -1;  // deadline
        if (size >= kReadChunk) {
          const ssize_t n = ::recv(c_.fd, ptr, size, MSG_DONTWAIT);
          if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
          if (n > 0) c_.consumed += static_cast<size_t>(n);
          return n;
        }
        if (!c_.ReadAvailable(kReadChunk) && c_.buffered() == 0) return 0;
        if (c_.buffered() > 0) break;
      }
    }
    const size_t n = std::min(size, c_.buffered());
    std::memcpy(ptr, c_.buf.data() + c_.pos, n);
    c_.pos += n;
    c_.consumed += n;
    return static_cast<ssize_t>(n);
  }

  ssize_t write(const char* ptr, size_t size) override {
    if (capture_ != nullptr) {
      capture_->append(ptr, size);
      return static_cast<ssize_t>(size);
    }
    size_t off = 0;
    while (off < size) {
      const ssize_t n = ::send(c_.fd, ptr + off, size - off, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n > 0) {
        off += static_cast<size_t>(n);
      } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
        if (!PollFor(c_.fd, POLLOUT, write_timeout_ms_)) return -1;
      } else {
        return -1;
      }
    }
    return static_cast<ssize_t>(size);
  }

  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    ip = c_.remote_ip;
    port = c_.remote_port;
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    ip = c_.local_ip;
    port = c_.local_port;
  }
  socket_t socket() const override { return c_.fd; }

 private:
  Connection& c_;
  int write_timeout_ms_;
  std::string* capture_;
};

}  // namespace convene::server
