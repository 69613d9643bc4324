// HttpServer: cpp-httplib's Server with its connection handling replaced; everything else
// (parsing, routing, handlers, writing responses) is cpp-httplib's own.
//
// Why (issue 8, hardening.md 1.5): cpp-httplib 0.11.4 gives each connection a pool thread from
// accept to close and has no whole-request deadline, so about 70 clients sending one header line
// every 2 s held every thread; and when a handler answers without reading the declared body
// (a pre-routing refusal, a GET with a body), the unread bytes are parsed as the next request of
// the keep-alive connection: request smuggling behind a proxy that reuses upstream connections.
//
// How:
//  - A connection holds a pool thread only while a complete request head is at hand. The
//    "waiting room" threads (ListenerOptions::rooms, each an epoll loop with its share of the
//    connections) hold every connection that is idle between requests or still
//    sending its head, at the cost of a file descriptor and its buffered bytes. A head must be
//    complete within head_timeout of the server starting to wait for it (else 408 and close); an
//    idle keep-alive connection is closed after idle_timeout; a head over max_head_bytes gets 431.
//  - The body is read by cpp-httplib on the pool thread through this connection's own buffer,
//    with a deadline of body_timeout for the whole body.
//  - Requests the application answers from memory (set_inline_filter: a cached feed, the health
//    check) are served by the waiting room itself, as an event loop serves them: no hand-off to a
//    pool thread, no thread woken per request, the response written without blocking (what does
//    not fit in the socket is kept and sent as the client reads, up to max_unsent_bytes a room;
//    past that, requests go to the pool again). A connection whose last request
//    was such a one goes back to the waiting room at once instead of lingering on its pool thread.
//    Only GET and HEAD heads without a body or Expect qualify; anything else goes to the pool.
//  - A response that leaves any declared body unread (or follows a Transfer-Encoding or a
//    duplicate Content-Length) says `Connection: close`, and the connection is closed after it:
//    shut for writing, the rest of the client's bytes read and dropped for a moment so the
//    response is not lost to a reset, then closed. Nothing after such a request is ever parsed.
//
// Thread-safety: handlers run on pool threads as before, and those the inline filter admits on a
// waiting room's thread too (any handler may run on several threads at once). Stop() may be called
// from any thread; call it (not httplib's stop()) so the waiting room closes its connections.
#pragma once

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

namespace convene::server {

struct ListenerOptions {
  size_t threads = 64;
  std::chrono::milliseconds head_timeout{10000};
  std::chrono::milliseconds idle_timeout{2000};
  std::chrono::milliseconds body_timeout{10000};
  std::chrono::milliseconds write_timeout{5000};
  size_t max_head_bytes = 64 * 1024;
  // Connections held by the waiting room at once; past it the longest-waiting is dropped.
  size_t max_waiting = 10000;
  // Requests served on one connection before it is closed.
  size_t keep_alive_max_count = 100;
  // How long a pool thread waits for the next request on a keep-alive connection before handing
  // the connection to the waiting room. Keeps back-to-back clients on the fast path.
  std::chrono::milliseconds linger{20};
  // Waiting rooms: threads that each hold (and serve from memory) their share of the waiting
  // connections, as nginx's workers do. Two let answers from memory use two cores.
  size_t rooms = 2;
  // Bytes of answers a waiting room holds for clients that do not read them yet (each is a copy
  // of the answer): past this, requests go to pool threads, which write from the feed's bytes.
  size_t max_unsent_bytes = 64u << 20;
};

class HttpServer : public httplib::Server {
 public:
  explicit HttpServer(ListenerOptions options);
  ~HttpServer() override;
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Stops accepting, closes every waiting connection, and makes listen_after_bind() return.
  void Stop();

  // For the response hook (post-routing), on the thread serving a request: whether the connection
  // will be closed after this response because some of the declared body was not read. The
  // response must then say `Connection: close`.
  static bool WillCloseAfterResponse();

  // Which requests the waiting room may serve itself (see above): called on the waiting room's
  // thread with the request line's method and target; true only when the handler will answer
  // from memory, without blocking (no database, no disk, no network). Set before listening.
  using InlineFilter = std::function<bool(std::string_view method, std::string_view target)>;
  void set_inline_filter(InlineFilter filter) { inline_filter_ = std::move(filter); }

  // Connections in the waiting room now (for metrics and tests).
  size_t waiting() const;

  struct Connection;  // one client connection: its socket and the bytes read but not consumed

 private:
  class Pool;
  class Stream;
  class WaitingRoom;

  bool process_and_close_socket(socket_t sock) override;

  // Runs requests on a connection whose next head is complete, on a pool thread; returns when
  // the connection is closed or handed back to the waiting room.
  void Serve(std::unique_ptr<Connection> conn);
  void Dispatch(std::unique_ptr<Connection> conn);
  void Park(std::unique_ptr<Connection> conn);  // to its waiting room
  void Close(std::unique_ptr<Connection> conn, bool unread_input);
  // Reads what the client sends for up to options_.linger, until its next head is complete (most
  // clients send a request at once). False when the client closed the connection.
  bool AwaitHead(Connection& conn);
  // Whether the inline filter admits a request line (empty: one with a body).
  bool Admits(std::string_view method, std::string_view target) const;
  // Whether the complete head at the front of conn's buffer may be served by the waiting room.
  bool Inlinable(const Connection& conn) const;
  // Runs the request whose head is at the front of conn's buffer, writing the response to the
  // socket or, with `capture`, appending it there. False when the connection must be closed
  // after it (conn.unread_after_out then says whether to linger over unread input).
  bool RunRequest(Connection& conn, std::string* capture);
  // RunRequest on the calling (waiting room) thread, the response appended to conn.out.
  bool RunInline(Connection& conn);

  ListenerOptions options_;
  InlineFilter inline_filter_;
  std::vector<std::unique_ptr<WaitingRoom>> rooms_;  // a connection's room: its fd modulo
  std::mutex pool_mu_;
  Pool* pool_ = nullptr;  // owned by cpp-httplib (new_task_queue), alive while listening
  std::atomic<bool> stopping_{false};
};

}  // namespace convene::server
