// An LMTP listener (RFC 2033): the MTA delivers mail for convene here, one reply per recipient
// after DATA. What the mail means is the handler's business (server/lmtp/reply_receiver.h);
// this is the protocol, with every resource bounded, because whoever can send mail to the
// domain can put bytes on this socket through the MTA:
//
// - at most `max_connections` at once (beyond: 421 and close), each on its own thread;
// - each command line at most `max_line_bytes` (500 5.5.2 beyond), at most
//   `max_commands` commands and `max_messages` messages per connection, and at most
//   `max_errors` bad commands (then 421 and close);
// - a message at most `max_message_bytes` after dot-unstuffing (552 5.3.4 per recipient; SIZE=
//   above it refused at MAIL), at most `max_recipients` per message (452 4.5.3 beyond);
// - `idle_timeout` without a byte, or a connection older than `session_timeout`: 421 and close;
//   a reply that cannot be written within `write_timeout` closes the connection.
//
// Commands: LHLO (PIPELINING, ENHANCEDSTATUSCODES, 8BITMIME, SIZE), MAIL FROM, RCPT TO, DATA
// (dot-stuffing undone; CRLF or bare LF accepted), RSET, NOOP, QUIT; HELO/EHLO answer 500
// (this is LMTP), VRFY 252, anything else 500.
//
// Threads: Start() runs an accept thread; each connection runs on a thread of its own, calling
// the handler from there (so the handler must be thread-safe). Stop() (any thread, idempotent)
// closes the listener, ends every connection at its next read or write, and waits for their
// threads.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "calendar/status.h"

namespace convene::server::lmtp {

struct LmtpOptions {
  std::string host = "127.0.0.1";
  int port = 0;                  // 0: any free port (tests)
  std::string name = "convene";  // in the greeting and LHLO answer
  size_t max_connections = 16;
  size_t max_message_bytes = 1 << 20;
  size_t max_recipients = 50;
  size_t max_line_bytes = 2048;  // RFC 5321 4.5.3.1.4 wants 512 for commands; MTAs add params
  size_t max_commands = 1000;
  size_t max_messages = 100;
  int max_errors = 10;
  std::chrono::milliseconds idle_timeout{std::chrono::seconds(60)};
  std::chrono::milliseconds session_timeout{std::chrono::minutes(10)};
  std::chrono::milliseconds write_timeout{std::chrono::seconds(10)};
};

// What the listener asks of its owner. Called on connection threads.
class LmtpHandler {
 public:
  virtual ~LmtpHandler() = default;
  // The reply to RCPT TO:<address> (the address without angle brackets), a whole reply line
  // without CRLF: "250 2.1.5 ...", "550 5.1.1 ...", "451 4.3.0 ...". Only 2xx adds the recipient.
  virtual std::string Recipient(const std::string& address) = 0;
  // After DATA: one reply line per recipient, in their order. `message` is the message as
  // received (dot-stuffing undone, line ends as sent), at most max_message_bytes.
  virtual std::vector<std::string> Deliver(const std::string& sender,
                                           const std::vector<std::string>& recipients,
                                           const std::string& message) = 0;
};

class LmtpServer {
 public:
  LmtpServer(LmtpOptions options, LmtpHandler& handler);
  ~LmtpServer();  // Stop()
  LmtpServer(const LmtpServer&) = delete;
  LmtpServer& operator=(const LmtpServer&) = delete;

  // Listens on host:port; kUnavailable when it cannot.
  Status Bind();
  int port() const { return port_; }
  void Start();
  void Stop();

  // Counters (tests, logs).
  size_t connections() const { return active_.load(); }
  size_t accepted() const { return accepted_.load(); }

 private:
  void AcceptLoop();
  void Serve(int fd);

  LmtpOptions options_;
  LmtpHandler& handler_;
  int listen_fd_ = -1;
  int wake_fd_ = -1;  // eventfd: wakes the accept loop on Stop()
  int port_ = 0;
  std::thread acceptor_;
  std::mutex mu_;
  std::condition_variable idle_cv_;
  std::set<int> open_fds_;  // connections, shut down by Stop()
  bool stopping_ = false;
  std::atomic<size_t> active_{0};
  std::atomic<size_t> accepted_{0};
};

}  // namespace convene::server::lmtp
