#include "server/http/listener.h"

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
#include <cctype>
#include <cerrno>
#include <cstring>
#include <string>
#include <string_view>

#include "server/http/connection.h"

namespace convene::server {

namespace {

// The connection whose request this pool thread is serving (for WillCloseAfterResponse).
thread_local const HttpServer::Connection* t_serving = nullptr;

}  // namespace

// ---- Pool: cpp-httplib's thread pool, and the moment it goes away ------------------------------

class HttpServer::Pool : public httplib::TaskQueue {
 public:
  Pool(HttpServer& owner, size_t threads) : owner_(owner), inner_(threads) {}
  void enqueue(std::function<void()> fn) override { inner_.enqueue(std::move(fn)); }
  void shutdown() override {
    {
      std::lock_guard<std::mutex> lock(owner_.pool_mu_);
      owner_.pool_ = nullptr;
    }
    inner_.shutdown();
  }

 private:
  HttpServer& owner_;
  httplib::ThreadPool inner_;
};

// ---- WaitingRoom: connections between requests, on one epoll thread ---------------------------

class HttpServer::WaitingRoom {
  using Held = std::unordered_map<int, std::unique_ptr<Connection>>;
  static constexpr int kMostServedHere = 16;  // requests in a row from one connection

 public:
  explicit WaitingRoom(HttpServer& owner) : owner_(owner) {
    epoll_ = ::epoll_create1(EPOLL_CLOEXEC);
    wake_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = wake_;
    ::epoll_ctl(epoll_, EPOLL_CTL_ADD, wake_, &ev);
    thread_ = std::thread([this] { Run(); });
  }
  ~WaitingRoom() {
    Stop();
    ::close(epoll_);
    ::close(wake_);
  }

  // Takes a connection whose next head is not complete (or, lingering, one being closed).
  void Park(std::unique_ptr<Connection> c) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopped_) return;  // closes it
      incoming_.push_back(std::move(c));
    }
    Wake();
  }

  size_t count() const { return count_.load(); }

  void Stop() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopped_) return;
      stopped_ = true;
    }
    Wake();
    if (thread_.joinable()) thread_.join();
  }

 private:
  void Wake() {
    const uint64_t one = 1;
    [[maybe_unused]] ssize_t n = ::write(wake_, &one, sizeof one);
  }

  void Admit() {
    std::vector<std::unique_ptr<Connection>> batch;
    {
      std::lock_guard<std::mutex> lock(mu_);
      batch.swap(incoming_);
    }
    for (auto& c : batch) {
      if (held_.size() >= std::max<size_t>(1, owner_.options_.max_waiting / owner_.rooms_.size()))
        DropOldest();
      epoll_event ev{};
      ev.events = EPOLLIN | EPOLLRDHUP;
      ev.data.fd = c->fd;
      if (::epoll_ctl(epoll_, EPOLL_CTL_ADD, c->fd, &ev) != 0) continue;  // closes it
      const int fd = c->fd;
      const bool ready = !c->lingering && c->HeadComplete();
      auto it = held_.insert_or_assign(fd, std::move(c)).first;
      // Parked with a complete head (its pool thread read it): nothing more may arrive to wake us.
      if (ready) ServeHere(it);
    }
    count_ = held_.size();
  }

  void DropOldest() {
    auto oldest = held_.end();
    for (auto it = held_.begin(); it != held_.end(); ++it)
      if (oldest == held_.end() || it->second->wait_start < oldest->second->wait_start) oldest = it;
    if (oldest != held_.end()) Release(oldest);
  }

  std::unique_ptr<Connection> Release(Held::iterator it) {
    ::epoll_ctl(epoll_, EPOLL_CTL_DEL, it->first, nullptr);
    if (it->second->writing) unsent_ -= it->second->out.size() - it->second->out_pos;
    std::unique_ptr<Connection> c = std::move(it->second);
    held_.erase(it);
    return c;
  }

  void OnEvent(int fd, uint32_t events) {
    auto it = held_.find(fd);
    if (it == held_.end()) return;
    Connection& c = *it->second;
    if (c.writing) {
      if ((events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) == 0) return;
      if (Flush(it)) ServeHere(it);
      return;
    }
    if (c.lingering) {
      char scratch[kReadChunk];
      for (;;) {
        const ssize_t n = ::recv(fd, scratch, sizeof scratch, MSG_DONTWAIT);
        if (n > 0) continue;
        if (n < 0 && errno == EINTR) continue;
        if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) Release(it);  // closes it
        return;
      }
    }
    const size_t cap = owner_.options_.max_head_bytes + 1;
    const bool was_idle = c.buffered() == 0;
    const bool open = c.ReadAvailable(cap);
    if (c.HeadComplete()) {
      ServeHere(it);
      return;
    }
    if (!open) {
      Release(it);
      return;
    }
    if (c.buffered() >= cap) {
      SendFinal(fd, "HTTP/1.1 431 Request Header Fields Too Large");
      Release(it);
      return;
    }
    // The first bytes of a head: from now the whole head is due within head_timeout.
    if (was_idle && c.buffered() > 0) c.deadline = c.wait_start + owner_.options_.head_timeout;
  }

  // A connection whose next head is complete: its requests are served here while the owner
  // answers them from memory (a few at most, so one pipelining client cannot hold the room);
  // the first other one goes to a pool thread with the connection.
  void ServeHere(Held::iterator it) {
    Connection& c = *it->second;
    for (int served = 0; c.HeadComplete(); ++served) {
      // Past max_unsent_bytes, answers wait for slow readers on pool threads (no copy here).
      if (served == kMostServedHere || unsent_ > owner_.options_.max_unsent_bytes ||
          !owner_.Inlinable(c)) {
        owner_.Dispatch(Release(it));
        return;
      }
      if (!owner_.RunInline(c)) c.close_after_out = true;
      if (!Flush(it)) return;  // closed, or waiting until the socket takes the rest
    }
    // Waiting for the next head again.
    c.wait_start = SteadyClock::now();
    c.deadline = c.wait_start +
                 (c.buffered() > 0 ? owner_.options_.head_timeout : owner_.options_.idle_timeout);
  }

  // Sends what the socket takes of c.out. True when all of it went and the connection stays
  // open, waiting for its next request; false when it was closed (or is lingering, being
  // closed) or still has bytes to send (then the room waits until the socket is writable).
  bool Flush(Held::iterator it) {
    Connection& c = *it->second;
    while (c.out_pos < c.out.size()) {
      const ssize_t n = ::send(c.fd, c.out.data() + c.out_pos, c.out.size() - c.out_pos,
                               MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n > 0) {
        c.out_pos += static_cast<size_t>(n);
        if (c.writing) {  // the client reads: its write timeout starts again
          unsent_ -= static_cast<size_t>(n);
          c.deadline = SteadyClock::now() + owner_.options_.write_timeout;
        }
      } else if (n < 0 && errno == EINTR) {
        continue;
      } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        if (!c.writing) {
          c.writing = true;
          unsent_ += c.out.size() - c.out_pos;
          Watch(c, EPOLLOUT);
          c.deadline = SteadyClock::now() + owner_.options_.write_timeout;
        }
        return false;
      } else {
        Release(it);  // the client is gone: closes it
        return false;
      }
    }
    c.out.clear();
    c.out_pos = 0;
    if (c.out.capacity() > 64 * 1024) c.out.shrink_to_fit();  // waiting holds no big buffer
    if (c.writing) {
      c.writing = false;
      Watch(c, EPOLLIN | EPOLLRDHUP);
    }
    if (!c.close_after_out) return true;
    // Closing, as HttpServer::Close: lingering here over unread input, or closed now.
    if (!c.StartClosing(c.unread_after_out)) Release(it);  // closes it
    return false;
  }

  void Watch(Connection& c, uint32_t events) {
    epoll_event ev{};
    ev.events = events;
    ev.data.fd = c.fd;
    ::epoll_ctl(epoll_, EPOLL_CTL_MOD, c.fd, &ev);
  }

  void Expire() {
    const auto now = SteadyClock::now();
    for (auto it = held_.begin(); it != held_.end();) {
      Connection& c = *it->second;
      if (now < c.deadline) {
        ++it;
        continue;
      }
      if (!c.lingering && !c.writing && c.buffered() > 0)
        SendFinal(c.fd, "HTTP/1.1 408 Request Timeout");
      auto next = std::next(it);
      Release(it);
      it = next;
    }
  }

  void Run() {
    // Signals are for the thread the program set aside for them (main.cc), not this one, which
    // may have been started before the program blocked them.
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, nullptr);
    epoll_event events[256];
    auto next_sweep = SteadyClock::now();
    for (;;) {
      const int n = ::epoll_wait(epoll_, events, 256, 50);
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (stopped_) break;
      }
      for (int i = 0; i < n; ++i) {
        if (events[i].data.fd == wake_) {
          uint64_t v;
          [[maybe_unused]] ssize_t r = ::read(wake_, &v, sizeof v);
          Admit();
        } else {
          OnEvent(events[i].data.fd, events[i].events);
        }
      }
      if (SteadyClock::now() >= next_sweep) {
        Expire();
        next_sweep = SteadyClock::now() + std::chrono::milliseconds(100);
      }
      count_ = held_.size();
    }
    held_.clear();  // closes every held connection
    std::lock_guard<std::mutex> lock(mu_);
    incoming_.clear();
    count_ = 0;
  }

  HttpServer& owner_;
  std::atomic<size_t> count_{0};
  size_t unsent_ = 0;  // sum of the unsent answers of the connections writing (room thread)
  int epoll_ = -1;
  int wake_ = -1;
  std::thread thread_;
  std::mutex mu_;
  bool stopped_ = false;
  std::vector<std::unique_ptr<Connection>> incoming_;
  Held held_;  // room thread only
};

// ---- HttpServer -----------------------------------------------------------------------------

HttpServer::HttpServer(ListenerOptions options) : options_(options) {
  for (size_t i = 0; i < std::max<size_t>(1, options_.rooms); ++i)
    rooms_.push_back(std::make_unique<WaitingRoom>(*this));
  new_task_queue = [this] {
    auto* pool = new Pool(*this, options_.threads);
    std::lock_guard<std::mutex> lock(pool_mu_);
    pool_ = pool;
    return pool;
  };
  set_keep_alive_max_count(options_.keep_alive_max_count);
}

HttpServer::~HttpServer() { Stop(); }

void HttpServer::Stop() {
  stopping_ = true;
  for (auto& room : rooms_) room->Stop();
  if (is_running()) stop();
}

void HttpServer::Park(std::unique_ptr<Connection> conn) {
  WaitingRoom& room = *rooms_[static_cast<size_t>(conn->fd) % rooms_.size()];
  room.Park(std::move(conn));
}

size_t HttpServer::waiting() const {
  size_t n = 0;
  for (const auto& room : rooms_) n += room->count();
  return n;
}

bool HttpServer::process_and_close_socket(socket_t sock) {
  auto conn = std::make_unique<Connection>(sock);
  const int flags = ::fcntl(sock, F_GETFL, 0);
  ::fcntl(sock, F_SETFL, flags | O_NONBLOCK);
  conn->wait_start = SteadyClock::now();
  conn->deadline = conn->wait_start + options_.head_timeout;
  if (stopping_) return true;  // closes it
  const bool open = AwaitHead(*conn);
  if (conn->HeadComplete()) {
    Serve(std::move(conn));
  } else if (open) {
    Park(std::move(conn));
  }
  return true;
}

bool HttpServer::AwaitHead(Connection& c) {
  const auto until = SteadyClock::now() + options_.linger;
  bool open = true;
  while (open && !c.HeadComplete() && c.buffered() <= options_.max_head_bytes &&
         PollFor(c.fd, POLLIN, MillisUntil(until)))
    open = c.ReadAvailable(options_.max_head_bytes + 1);
  return open;
}

void HttpServer::Dispatch(std::unique_ptr<Connection> conn) {
  std::lock_guard<std::mutex> lock(pool_mu_);
  if (pool_ == nullptr || stopping_) return;  // closes it
  Connection* raw = conn.release();
  pool_->enqueue([this, raw] { Serve(std::unique_ptr<Connection>(raw)); });
}

void HttpServer::Close(std::unique_ptr<Connection> conn, bool unread_input) {
  // The waiting room drops what the client still sends for a moment, then closes it.
  if (conn->StartClosing(unread_input)) Park(std::move(conn));
}

namespace {

bool IsHeaderNamed(std::string_view line, std::string_view name) {
  if (line.size() <= name.size() || line[name.size()] != ':') return false;
  for (size_t i = 0; i < name.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(line[i])) != name[i]) return false;
  return true;
}

// The method and target of the head at the front of `c`'s buffer (complete), or empty ones when
// the head carries a body or asks for one (Content-Length, Transfer-Encoding, Expect).
std::pair<std::string_view, std::string_view> BodilessRequestLine(const std::string& buf,
                                                                  size_t pos) {
  const size_t end = buf.find("\r\n\r\n", pos);
  if (end == std::string::npos) return {};
  const std::string_view head(buf.data() + pos, end + 2 - pos);
  size_t eol = head.find("\r\n");
  const std::string_view line = head.substr(0, eol);
  const size_t sp1 = line.find(' ');
  const size_t sp2 = line.find(' ', sp1 == std::string_view::npos ? sp1 : sp1 + 1);
  if (sp1 == std::string_view::npos || sp2 == std::string_view::npos) return {};
  for (size_t at = eol + 2; at < head.size();) {
    const size_t next = head.find("\r\n", at);
    const std::string_view h = head.substr(at, next - at);
    if (IsHeaderNamed(h, "content-length") || IsHeaderNamed(h, "transfer-encoding") ||
        IsHeaderNamed(h, "expect"))
      return {};
    at = next + 2;
  }
  return {line.substr(0, sp1), line.substr(sp1 + 1, sp2 - sp1 - 1)};
}

}  // namespace

bool HttpServer::Admits(std::string_view method, std::string_view target) const {
  return !method.empty() && inline_filter_ && !stopping_ && inline_filter_(method, target);
}

bool HttpServer::Inlinable(const Connection& c) const {
  const auto [method, target] = BodilessRequestLine(c.buf, c.pos);
  return Admits(method, target);
}

bool HttpServer::RunRequest(Connection& c, std::string* capture) {
  c.StartRequest(SteadyClock::now() + options_.body_timeout);
  const bool last = c.requests + 1 >= options_.keep_alive_max_count || stopping_;
  bool connection_closed = false;
  Stream strm(c, options_.write_timeout, capture);
  t_serving = &c;
  const bool ok = process_request(strm, last, connection_closed,
                                  [&c](httplib::Request& req) { c.OnHead(req); });
  t_serving = nullptr;
  ++c.requests;
  c.unread_after_out = c.BodyUnread() || !ok;
  if (!ok || connection_closed || last || c.BodyUnread()) return false;
  c.Compact();
  return true;
}

bool HttpServer::RunInline(Connection& c) { return RunRequest(c, &c.out); }

void HttpServer::Serve(std::unique_ptr<Connection> conn) {
  for (;;) {
    Connection& c = *conn;
    // The request line, to ask afterwards whether the room could answer the next such one.
    const auto [m, t] = BodilessRequestLine(c.buf, c.pos);
    const std::string method(m), target(t);
    if (!RunRequest(c, nullptr)) {
      const bool unread = c.unread_after_out;
      Close(std::move(conn), unread);
      return;
    }
    // The next request: wait a moment for it here, then park the connection. A client of
    // requests the room answers itself (a feed reader) goes back to the room at once.
    const bool room_serves = Admits(method, target);
    if (room_serves) {
      if (!c.HeadComplete() && !c.ReadAvailable(options_.max_head_bytes + 1) && !c.HeadComplete())
        return;  // the client closed: closes it
    } else if (!AwaitHead(c)) {
      return;  // the client closed: closes it
    }
    if (c.HeadComplete() && !room_serves) continue;
    if (c.buffered() == 0) {  // waiting costs no more than the bytes waiting
      c.buf.clear();
      c.buf.shrink_to_fit();
      c.pos = c.head_scan = 0;
    }
    c.wait_start = SteadyClock::now();
    c.deadline = c.wait_start + (c.buffered() > 0 ? options_.head_timeout : options_.idle_timeout);
    Park(std::move(conn));
    return;
  }
}

bool HttpServer::WillCloseAfterResponse() {
  return t_serving != nullptr && t_serving->BodyUnread();
}

}  // namespace convene::server
