// The listener's waiting rooms serving requests themselves (server/http/listener.h): requests
// the inline filter admits are answered on a room thread, in order, without blocking on a slow
// reader; anything else, and anything with a body, goes to a pool thread as before.
#include "server/http/listener.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace convene::server {
namespace {

using Clock = std::chrono::steady_clock;

// A listening server on loopback: /fast/N is admitted by the inline filter and answers its own
// path; /pool/N is not; /big answers kBigBytes from memory (admitted). Each handler records the
// thread it ran on.
class ListenerTest : public ::testing::Test {
 protected:
  static constexpr size_t kBigBytes = 8 * 1024 * 1024;

  virtual ListenerOptions Options() {
    ListenerOptions o;
    o.keep_alive_max_count = 40;
    return o;
  }
  virtual size_t BigBytes() { return kBigBytes; }

  void SetUp() override {
    server_ = std::make_unique<HttpServer>(Options());
    big_.assign(BigBytes(), 'x');
    for (size_t i = 0; i < big_.size(); i += 4096)
      big_[i] = static_cast<char>('a' + (i / 4096) % 26);
    server_->set_inline_filter([](std::string_view method, std::string_view target) {
      return method == "GET" && (target.starts_with("/fast/") || target == "/big");
    });
    auto record = [this](const httplib::Request& req, httplib::Response& res) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        threads_.push_back(std::this_thread::get_id());
        paths_.push_back(req.path);
      }
      res.set_content("answer " + req.path, "text/plain");
    };
    // As the application does (server/http/responses.cc).
    server_->set_post_routing_handler([](const httplib::Request&, httplib::Response& res) {
      if (HttpServer::WillCloseAfterResponse()) res.set_header("Connection", "close");
    });
    server_->Get(R"(/fast/\d+)", record);
    server_->Get(R"(/pool/\d+)", record);
    server_->Get("/smuggled", record);
    server_->Get("/big", [this](const httplib::Request&, httplib::Response& res) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        threads_.push_back(std::this_thread::get_id());
        paths_.push_back("/big");
      }
      res.set_content_provider(big_.size(), "application/octet-stream",
                               [this](size_t offset, size_t length, httplib::DataSink& sink) {
                                 return sink.write(big_.data() + offset, length);
                               });
    });
    port_ = server_->bind_to_any_port("127.0.0.1");
    ASSERT_GT(port_, 0);
    thread_ = std::thread([this] { server_->listen_after_bind(); });
    for (int i = 0; i < 200 && !server_->is_running(); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }

  void TearDown() override {
    server_->Stop();
    if (thread_.joinable()) thread_.join();
  }

  int Connect() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port_));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    timeval tv{5, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return fd;
  }

  static void Send(int fd, const std::string& bytes) {
    ASSERT_EQ(::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(bytes.size()));
  }

  static std::string Get(const std::string& path) {
    return "GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n";
  }

  // Reads one response (Content-Length framed); its body in *body. False on close or timeout.
  static bool ReadResponse(int fd, std::string& pending, std::string* head, std::string* body) {
    for (;;) {
      const size_t end = pending.find("\r\n\r\n");
      if (end != std::string::npos) {
        const std::string h = pending.substr(0, end + 4);
        size_t length = 0;
        const size_t cl = h.find("Content-Length: ");
        if (cl != std::string::npos) length = std::stoul(h.substr(cl + 16));
        if (pending.size() >= end + 4 + length) {
          if (head) *head = h;
          if (body) *body = pending.substr(end + 4, length);
          pending.erase(0, end + 4 + length);
          return true;
        }
      }
      char chunk[65536];
      const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
      if (n <= 0) return false;
      pending.append(chunk, static_cast<size_t>(n));
    }
  }

  static bool ClosedByServer(int fd) {
    char c;
    return ::recv(fd, &c, 1, 0) == 0;
  }

  std::vector<std::thread::id> Threads() {
    std::lock_guard<std::mutex> lock(mu_);
    return threads_;
  }
  std::vector<std::string> Paths() {
    std::lock_guard<std::mutex> lock(mu_);
    return paths_;
  }

  std::unique_ptr<HttpServer> server_;
  std::thread thread_;
  int port_ = 0;
  std::string big_;
  std::mutex mu_;
  std::vector<std::thread::id> threads_;
  std::vector<std::string> paths_;
};

TEST_F(ListenerTest, AdmittedRequestsAreServedByTheRoomInOrderOnOneKeepAliveConnection) {
  const int fd = Connect();
  std::string pending;
  for (int i = 0; i < 30; ++i) {
    Send(fd, Get("/fast/" + std::to_string(i)));
    std::string body;
    ASSERT_TRUE(ReadResponse(fd, pending, nullptr, &body)) << i;
    EXPECT_EQ(body, "answer /fast/" + std::to_string(i));
  }
  ::close(fd);
  const auto threads = Threads();
  ASSERT_EQ(threads.size(), 30u);
  // The first request of a connection is a pool thread's; the rest are the connection's room's:
  // one thread for all of them, not the first's.
  const std::set<std::thread::id> later(threads.begin() + 1, threads.end());
  EXPECT_EQ(later.size(), 1u);
  EXPECT_EQ(later.count(threads[0]), 0u);
}

TEST_F(ListenerTest, PipelinedRequestsMixingRoomAndPoolAreAnsweredInOrder) {
  const int fd = Connect();
  std::string pending;
  Send(fd, Get("/fast/1"));  // served on a pool thread; the connection then goes to the room
  ASSERT_TRUE(ReadResponse(fd, pending, nullptr, nullptr));
  Send(fd, Get("/fast/2") + Get("/fast/3") + Get("/pool/4") + Get("/fast/5") + Get("/pool/6"));
  for (const char* want : {"/fast/2", "/fast/3", "/pool/4", "/fast/5", "/pool/6"}) {
    std::string body;
    ASSERT_TRUE(ReadResponse(fd, pending, nullptr, &body)) << want;
    EXPECT_EQ(body, std::string("answer ") + want);
  }
  ::close(fd);
  EXPECT_EQ(Paths(), (std::vector<std::string>{"/fast/1", "/fast/2", "/fast/3", "/pool/4",
                                               "/fast/5", "/pool/6"}));
}

TEST_F(ListenerTest, ASlowReaderOfABigAnswerDoesNotHoldUpOthers) {
  const int slow = Connect();
  std::string slow_pending;
  Send(slow, Get("/fast/0"));
  ASSERT_TRUE(ReadResponse(slow, slow_pending, nullptr, nullptr));
  Send(slow, Get("/big"));  // 8 MiB, served by the room; this client does not read yet
  std::this_thread::sleep_for(std::chrono::milliseconds(200));

  // Other clients (several connections, so every room is asked) are answered meanwhile.
  for (int i = 0; i < 6; ++i) {
    const int other = Connect();
    std::string pending;
    const auto start = Clock::now();
    for (int k = 0; k < 3; ++k) {
      Send(other, Get("/fast/" + std::to_string(100 + k)));
      std::string body;
      ASSERT_TRUE(ReadResponse(other, pending, nullptr, &body));
      EXPECT_EQ(body, "answer /fast/" + std::to_string(100 + k));
    }
    EXPECT_LT(Clock::now() - start, std::chrono::seconds(2));
    ::close(other);
  }

  // The slow client gets every byte of its answer, intact, and the connection lives on.
  std::string body;
  ASSERT_TRUE(ReadResponse(slow, slow_pending, nullptr, &body));
  EXPECT_EQ(body.size(), kBigBytes);
  EXPECT_TRUE(body == big_);
  Send(slow, Get("/fast/7"));
  ASSERT_TRUE(ReadResponse(slow, slow_pending, nullptr, &body));
  EXPECT_EQ(body, "answer /fast/7");
  ::close(slow);
}

TEST_F(ListenerTest, ARequestWithABodyIsNotServedByTheRoomAndNothingInItsBodyIsParsed) {
  const int fd = Connect();
  std::string pending;
  Send(fd, Get("/fast/1"));
  ASSERT_TRUE(ReadResponse(fd, pending, nullptr, nullptr));
  // A GET whose declared body hides a request: answered, then the connection is closed.
  const std::string hidden = "GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n";
  Send(fd, "GET /fast/2 HTTP/1.1\r\nHost: x\r\nContent-Length: " +
               std::to_string(hidden.size() + 20) + "\r\n\r\n" + hidden);
  std::string head, body;
  ASSERT_TRUE(ReadResponse(fd, pending, &head, &body));
  EXPECT_EQ(body, "answer /fast/2");
  EXPECT_NE(head.find("Connection: close"), std::string::npos) << head;
  EXPECT_TRUE(ClosedByServer(fd));
  ::close(fd);
  for (const std::string& p : Paths()) EXPECT_NE(p, "/smuggled");
}

TEST_F(ListenerTest, TheRoomClosesAConnectionAfterItsLastKeepAliveRequest) {
  const int fd = Connect();
  std::string pending;
  int answered = 0;
  for (int i = 0; i < 40; ++i) {
    Send(fd, Get("/fast/" + std::to_string(i)));
    std::string head;
    if (!ReadResponse(fd, pending, &head, nullptr)) break;
    ++answered;
    if (i == 39) {
      EXPECT_NE(head.find("Connection: close"), std::string::npos) << head;
    }
  }
  EXPECT_EQ(answered, 40);
  EXPECT_TRUE(ClosedByServer(fd));
  ::close(fd);
}

// One room, holding at most 1 MiB of answers its clients have not read: while a slow reader
// holds 32 MiB unsent, other requests are served by pool threads; once it reads, by the room.
class ListenerUnsentTest : public ListenerTest {
 protected:
  ListenerOptions Options() override {
    ListenerOptions o = ListenerTest::Options();
    o.rooms = 1;
    o.max_unsent_bytes = 1u << 20;
    return o;
  }
  size_t BigBytes() override { return 32u << 20; }  // more than loopback's socket buffers

  std::thread::id ThreadOf(int fd, std::string& pending, const std::string& path) {
    Send(fd, Get(path));
    std::string body;
    EXPECT_TRUE(ReadResponse(fd, pending, nullptr, &body)) << path;
    const auto threads = Threads();
    const auto paths = Paths();
    for (size_t i = paths.size(); i-- > 0;)
      if (paths[i] == path) return threads[i];
    ADD_FAILURE() << path << " was not served";
    return {};
  }
};

TEST_F(ListenerUnsentTest, PastTheUnsentLimitRequestsGoToThePoolUntilTheSlowReaderReads) {
  const int control = Connect(), slow = Connect();
  std::string cp, sp;
  ThreadOf(control, cp, "/fast/1");  // a pool thread; then the connection is the room's
  const std::thread::id room = ThreadOf(control, cp, "/fast/2");
  EXPECT_EQ(ThreadOf(control, cp, "/fast/3"), room);
  ThreadOf(slow, sp, "/fast/4");
  Send(slow, Get("/big"));  // served by the room; not read yet
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const std::thread::id pool = ThreadOf(control, cp, "/fast/5");
  EXPECT_NE(pool, room) << "with 32 MiB unsent, a pool thread answers";
  // Once the slow reader has its answer, nothing is unsent: the room answers again.
  std::string body;
  ASSERT_TRUE(ReadResponse(slow, sp, nullptr, &body));
  EXPECT_TRUE(body == big_);
  EXPECT_EQ(ThreadOf(control, cp, "/fast/6"), room) << "nothing unsent: the room again";
  EXPECT_EQ(ThreadOf(slow, sp, "/fast/7"), room);
  ::close(control);
  ::close(slow);
}

}  // namespace
}  // namespace convene::server
