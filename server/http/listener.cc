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
      if (held_.size() >= owner_.options_.max_waiting) DropOldest();
      epoll_event ev{};
      ev.events = EPOLLIN | EPOLLRDHUP;
      ev.data.fd = c->fd;
      if (::epoll_ctl(epoll_, EPOLL_CTL_ADD, c->fd, &ev) != 0) continue;  // closes it
      const int fd = c->fd;
      held_[fd] = std::move(c);
    }
    owner_.waiting_count_ = held_.size();
  }

  void DropOldest() {
    auto oldest = held_.end();
    for (auto it = held_.begin(); it != held_.end(); ++it)
      if (oldest == held_.end() || it->second->wait_start < oldest->second->wait_start) oldest = it;
    if (oldest != held_.end()) Release(oldest);
  }

  std::unique_ptr<Connection> Release(
      std::unordered_map<int, std::unique_ptr<Connection>>::iterator it) {
    ::epoll_ctl(epoll_, EPOLL_CTL_DEL, it->first, nullptr);
    std::unique_ptr<Connection> c = std::move(it->second);
    held_.erase(it);
    return c;
  }

  void OnReadable(int fd) {
    auto it = held_.find(fd);
    if (it == held_.end()) return;
    Connection& c = *it->second;
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
      owner_.Dispatch(Release(it));
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

  void Expire() {
    const auto now = SteadyClock::now();
    for (auto it = held_.begin(); it != held_.end();) {
      Connection& c = *it->second;
      if (now < c.deadline) {
        ++it;
        continue;
      }
      if (!c.lingering && c.buffered() > 0) SendFinal(c.fd, "HTTP/1.1 408 Request Timeout");
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
          OnReadable(events[i].data.fd);
        }
      }
      if (SteadyClock::now() >= next_sweep) {
        Expire();
        next_sweep = SteadyClock::now() + std::chrono::milliseconds(100);
      }
      owner_.waiting_count_ = held_.size();
    }
    held_.clear();  // closes every held connection
    std::lock_guard<std::mutex> lock(mu_);
    incoming_.clear();
    owner_.waiting_count_ = 0;
  }

  HttpServer& owner_;
  int epoll_ = -1;
  int wake_ = -1;
  std::thread thread_;
  std::mutex mu_;
  bool stopped_ = false;
  std::vector<std::unique_ptr<Connection>> incoming_;
  std::unordered_map<int, std::unique_ptr<Connection>> held_;  // room thread only
};

// ---- HttpServer -----------------------------------------------------------------------------

HttpServer::HttpServer(ListenerOptions options) : options_(options) {
  room_ = std::make_unique<WaitingRoom>(*this);
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
  room_->Stop();
  if (is_running()) stop();
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
    room_->Park(std::move(conn));
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
  ::shutdown(conn->fd, SHUT_WR);
  // Closing with unread bytes would send a reset, which can destroy the response before the
  // client reads it: let the waiting room drop what still comes for a moment first.
  if (unread_input || conn->buffered() > 0 || PollFor(conn->fd, POLLIN, 0)) {
    conn->lingering = true;
    conn->wait_start = SteadyClock::now();
    conn->deadline = conn->wait_start + std::chrono::seconds(1);
    conn->buf.clear();
    conn->pos = 0;
    room_->Park(std::move(conn));
  }
}

void HttpServer::Serve(std::unique_ptr<Connection> conn) {
  for (;;) {
    Connection& c = *conn;
    c.StartRequest(SteadyClock::now() + options_.body_timeout);
    const bool last = c.requests + 1 >= options_.keep_alive_max_count || stopping_;
    bool connection_closed = false;
    Stream strm(c, options_.write_timeout);
    t_serving = &c;
    const bool ok = process_request(strm, last, connection_closed,
                                    [&c](httplib::Request& req) { c.OnHead(req); });
    t_serving = nullptr;
    ++c.requests;
    const bool unread = c.BodyUnread();
    if (!ok || connection_closed || last || unread) {
      Close(std::move(conn), unread || !ok);
      return;
    }
    c.Compact();
    // The next request: wait a moment for it here, then park the connection.
    if (!AwaitHead(c)) return;  // the client closed: closes it
    if (c.HeadComplete()) continue;
    if (c.buffered() == 0) {  // waiting costs no more than the bytes waiting
      c.buf.clear();
      c.buf.shrink_to_fit();
      c.pos = c.head_scan = 0;
    }
    c.wait_start = SteadyClock::now();
    c.deadline = c.wait_start + (c.buffered() > 0 ? options_.head_timeout : options_.idle_timeout);
    room_->Park(std::move(conn));
    return;
  }
}

bool HttpServer::WillCloseAfterResponse() {
  return t_serving != nullptr && t_serving->BodyUnread();
}

}  // namespace convene::server
