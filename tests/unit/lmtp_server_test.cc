// The LMTP listener (server/lmtp/lmtp_server.h) on a free loopback port with a fake handler: the
// RFC 2033 dialogue, one reply per recipient after DATA, dot-stuffing, and every bound.
#include "server/lmtp/lmtp_server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <mutex>
#include <string>
#include <vector>

namespace convene::server::lmtp {
namespace {

class FakeHandler : public LmtpHandler {
 public:
  std::string Recipient(const std::string& address) override {
    return address.rfind("ok", 0) == 0 ? "250 2.1.5 OK" : "550 5.1.1 no";
  }
  std::vector<std::string> Deliver(const std::string& sender,
                                   const std::vector<std::string>& recipients,
                                   const std::string& message) override {
    std::lock_guard<std::mutex> lock(mu);
    messages.push_back(message);
    std::vector<std::string> out;
    for (const std::string& r : recipients) out.push_back("250 2.0.0 " + r);
    return out;
  }
  std::mutex mu;
  std::vector<std::string> messages;
};

// A blocking client with a deadline on every read.
class Client {
 public:
  explicit Client(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  }
  ~Client() { ::close(fd_); }
  bool connected() const { return connected_; }
  void Send(const std::string& s) {
    size_t off = 0;
    while (off < s.size()) {
      ssize_t n = ::send(fd_, s.data() + off, s.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return;
      off += static_cast<size_t>(n);
    }
  }
  // One reply (a multi-line one whole), or "" on timeout/close.
  std::string Reply(int timeout_ms = 5000) {
    std::string out;
    for (;;) {
      std::string line = Line(timeout_ms);
      if (line.empty()) return out;
      out += line;
      if (line.size() < 4 || line[3] != '-') return out;
    }
  }
  bool Closed(int timeout_ms = 5000) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) <= 0) return false;
    char c;
    return ::recv(fd_, &c, 1, MSG_PEEK) == 0;
  }

 private:
  std::string Line(int timeout_ms) {
    for (;;) {
      size_t lf = buf_.find('\n');
      if (lf != std::string::npos) {
        std::string line = buf_.substr(0, lf + 1);
        buf_.erase(0, lf + 1);
        return line;
      }
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, timeout_ms) <= 0) return "";
      char chunk[4096];
      ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
      if (n <= 0) return "";
      buf_.append(chunk, static_cast<size_t>(n));
    }
  }
  int fd_ = -1;
  bool connected_ = false;
  std::string buf_;
};

class LmtpServerTest : public ::testing::Test {
 protected:
  void Start(LmtpOptions o = {}) {
    o.host = "127.0.0.1";
    o.port = 0;
    o.name = "reply.test";
    server_ = std::make_unique<LmtpServer>(o, handler_);
    ASSERT_TRUE(server_->Bind().ok());
    server_->Start();
  }
  void TearDown() override {
    if (server_) server_->Stop();
  }
  std::unique_ptr<Client> Greeted() {
    auto c = std::make_unique<Client>(server_->port());
    EXPECT_TRUE(c->connected());
    EXPECT_EQ(c->Reply().substr(0, 4), "220 ");
    c->Send("LHLO mta.test\r\n");
    const std::string ehlo = c->Reply();
    EXPECT_NE(ehlo.find("250-PIPELINING"), std::string::npos) << ehlo;
    EXPECT_NE(ehlo.find("250 SIZE "), std::string::npos) << ehlo;
    return c;
  }
  FakeHandler handler_;
  std::unique_ptr<LmtpServer> server_;
};

TEST_F(LmtpServerTest, OneReplyPerRecipientAfterDataWithDotsUnstuffed) {
  Start();
  auto c = Greeted();
  c->Send("MAIL FROM:<bob@example.org> BODY=8BITMIME SIZE=100\r\n");
  EXPECT_EQ(c->Reply(), "250 2.1.0 OK\r\n");
  c->Send("RCPT TO:<ok1@r.test>\r\n");
  EXPECT_EQ(c->Reply(), "250 2.1.5 OK\r\n");
  c->Send("RCPT TO:<bad@r.test>\r\n");
  EXPECT_EQ(c->Reply(), "550 5.1.1 no\r\n");
  c->Send("RCPT TO:<ok2@r.test>\r\n");
  EXPECT_EQ(c->Reply(), "250 2.1.5 OK\r\n");
  c->Send("DATA\r\n");
  EXPECT_EQ(c->Reply().substr(0, 4), "354 ");
  c->Send("Subject: x\r\n\r\n..leading dot\r\nbare lf\n.\r\n");
  EXPECT_EQ(c->Reply(), "250 2.0.0 ok1@r.test\r\n");
  EXPECT_EQ(c->Reply(), "250 2.0.0 ok2@r.test\r\n");
  ASSERT_EQ(handler_.messages.size(), 1u);
  EXPECT_EQ(handler_.messages[0], "Subject: x\r\n\r\n.leading dot\r\nbare lf\r\n");
  c->Send("NOOP\r\nRSET\r\nQUIT\r\n");  // pipelined
  EXPECT_EQ(c->Reply(), "250 2.0.0 OK\r\n");
  EXPECT_EQ(c->Reply(), "250 2.0.0 OK\r\n");
  EXPECT_EQ(c->Reply().substr(0, 4), "221 ");
  EXPECT_TRUE(c->Closed());
}

TEST_F(LmtpServerTest, RefusesBadSequencesAndHelo) {
  Start();
  Client c(server_->port());
  c.Reply();
  c.Send("HELO x\r\n");
  EXPECT_EQ(c.Reply().substr(0, 4), "500 ");
  c.Send("MAIL FROM:<a@b>\r\n");
  EXPECT_EQ(c.Reply().substr(0, 4), "503 ");
  c.Send("LHLO x\r\n");
  c.Reply();
  c.Send("RCPT TO:<ok@r>\r\n");
  EXPECT_EQ(c.Reply().substr(0, 4), "503 ");
  c.Send("MAIL FROM:<>\r\n");
  EXPECT_EQ(c.Reply().substr(0, 4), "250 ");
  c.Send("DATA\r\n");
  EXPECT_EQ(c.Reply().substr(0, 4), "503 ") << "no recipient";
  c.Send("RCPT TO:ok@r\r\n");
  EXPECT_EQ(c.Reply().substr(0, 4), "501 ");
  c.Send("BDAT 10\r\n");
  EXPECT_EQ(c.Reply().substr(0, 4), "500 ");
  c.Send("MAIL FROM:<a@b> SIZE=99999999999\r\n");
  EXPECT_EQ(c.Reply().substr(0, 4), "503 ") << "MAIL already given";
  c.Send("RSET\r\nMAIL FROM:<a@b> SIZE=99999999999\r\n");
  c.Reply();
  EXPECT_EQ(c.Reply().substr(0, 4), "552 ");
}

TEST_F(LmtpServerTest, OversizedMessagesGet552PerRecipientAndTheConnectionGoesOn) {
  LmtpOptions o;
  o.max_message_bytes = 1000;
  Start(o);
  auto c = Greeted();
  c->Send("MAIL FROM:<a@b>\r\nRCPT TO:<ok1@r>\r\nRCPT TO:<ok2@r>\r\nDATA\r\n");
  for (int i = 0; i < 3; ++i) c->Reply();
  EXPECT_EQ(c->Reply().substr(0, 4), "354 ");
  std::string big;
  for (int i = 0; i < 100; ++i) big += std::string(50, 'x') + "\r\n";
  big += std::string(3000, 'y') + "\r\n";  // one line longer than the limit, too
  c->Send(big + ".\r\n");
  EXPECT_EQ(c->Reply().substr(0, 10), "552 5.3.4 ");
  EXPECT_EQ(c->Reply().substr(0, 10), "552 5.3.4 ");
  EXPECT_TRUE(handler_.messages.empty());
  c->Send("NOOP\r\n");
  EXPECT_EQ(c->Reply(), "250 2.0.0 OK\r\n");
}

TEST_F(LmtpServerTest, LongLinesTooManyRecipientsAndTooManyErrors) {
  LmtpOptions o;
  o.max_recipients = 2;
  o.max_errors = 3;
  Start(o);
  auto c = Greeted();
  c->Send("NOOP " + std::string(5000, 'a') + "\r\n");
  EXPECT_EQ(c->Reply().substr(0, 4), "500 ");
  c->Send("MAIL FROM:<a@b>\r\nRCPT TO:<ok1@r>\r\nRCPT TO:<ok2@r>\r\nRCPT TO:<ok3@r>\r\n");
  c->Reply();
  c->Reply();
  c->Reply();
  EXPECT_EQ(c->Reply().substr(0, 4), "452 ");
  c->Send("XXXX\r\nYYYY\r\n");
  EXPECT_EQ(c->Reply().substr(0, 4), "500 ");
  EXPECT_EQ(c->Reply().substr(0, 4), "421 ");
  EXPECT_TRUE(c->Closed());
}

TEST_F(LmtpServerTest, IdleConnectionsAreClosedAndConnectionsAreBounded) {
  LmtpOptions o;
  o.idle_timeout = std::chrono::milliseconds(300);
  o.max_connections = 2;
  Start(o);
  Client a(server_->port()), b(server_->port());
  EXPECT_EQ(a.Reply().substr(0, 4), "220 ");
  EXPECT_EQ(b.Reply().substr(0, 4), "220 ");
  Client third(server_->port());
  EXPECT_EQ(third.Reply().substr(0, 4), "421 ");
  EXPECT_EQ(a.Reply(3000).substr(0, 10), "421 4.4.2 ");
  EXPECT_TRUE(a.Closed());
  EXPECT_EQ(b.Reply(3000).substr(0, 10), "421 4.4.2 ");
  EXPECT_TRUE(b.Closed());
  Client later(server_->port());
  EXPECT_EQ(later.Reply().substr(0, 4), "220 ") << "slots come back";
}

TEST_F(LmtpServerTest, StopEndsOpenConnections) {
  Start();
  auto c = Greeted();
  c->Send("MAIL FROM:<a@b>\r\n");
  c->Reply();
  server_->Stop();
  EXPECT_TRUE(c->Closed());
  EXPECT_EQ(server_->connections(), 0u);
}

}  // namespace
}  // namespace convene::server::lmtp
