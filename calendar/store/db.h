// SQLite access: a small connection pool, transactions and prepared statements.
//
// Every connection runs in WAL mode with synchronous=FULL, foreign keys on and a busy timeout
// (hardening.md 1.3). Write transactions always start with BEGIN IMMEDIATE, so a transaction that
// reads then writes never fails with SQLITE_BUSY_SNAPSHOT; read transactions use plain BEGIN.
// A Tx that is destroyed without Commit() rolls back: a failed request leaves the database as
// it was. SQLite result codes are converted to Status here and nowhere else (BUSY/FULL/IOERR ->
// kUnavailable, constraint violations -> kConflict, others -> kInternal).
//
// Threads: Db is thread-safe; a Tx (and its Stmts) belongs to the thread that opened it.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "calendar/status.h"

namespace convene::calendar::store {

class Db;

// One pooled connection with the statements it has prepared, kept for reuse: preparing costs
// more than running most of our queries. Used by one transaction (one thread) at a time.
struct Conn {
  sqlite3* db = nullptr;
  // Idle prepared statements by SQL text (the key views sqlite3_sql() of the statement).
  std::unordered_map<std::string_view, sqlite3_stmt*> idle;
  ~Conn();
};

// A prepared statement bound to one connection. Bind parameters are 1-based, as in SQLite.
class Stmt {
 public:
  Stmt(Conn* conn, const char* sql);
  ~Stmt();
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  const Status& prepare_status() const { return status_; }
  Stmt& Bind(int i, int64_t v);
  Stmt& Bind(int i, int v) { return Bind(i, static_cast<int64_t>(v)); }
  Stmt& Bind(int i, std::string_view v);
  Stmt& Bind(int i, const char* v) { return Bind(i, std::string_view(v)); }
  Stmt& Bind(int i, const std::string& v) { return Bind(i, std::string_view(v)); }
  Stmt& Bind(int i, std::optional<int> v);
  Stmt& Bind(int i, std::optional<int64_t> v);
  Stmt& Bind(int i, const std::optional<std::string>& v);
  Stmt& BindNull(int i);
  // Binds every argument in order from parameter 1.
  template <typename... Args>
  Stmt& BindAll(const Args&... args) {
    int i = 1;
    (Bind(i++, args), ...);
    return *this;
  }

  // Steps once: true with a row, false when done; errors land in status().
  bool Step();
  // Runs to completion (INSERT/UPDATE/DELETE); returns the Status.
  Status Run();
  const Status& status() const { return status_; }

  int64_t Int(int col) const;
  std::string Text(int col) const;
  bool IsNull(int col) const;
  std::optional<int> OptInt(int col) const;
  std::optional<int64_t> OptInt64(int col) const;
  std::optional<std::string> OptText(int col) const;

 private:
  Conn* conn_;
  sqlite3_stmt* stmt_ = nullptr;
  Status status_;
};

// One transaction on one pooled connection.
class Tx {
 public:
  ~Tx();
  Tx(Tx&&) noexcept;
  Tx(const Tx&) = delete;
  Tx& operator=(const Tx&) = delete;

  Status Commit();
  // Runs SQL without results (DDL, PRAGMA).
  Status Exec(const std::string& sql);
  Stmt Prepare(const char* sql) { return Stmt(conn_, sql); }
  int64_t LastInsertId() const { return sqlite3_last_insert_rowid(conn_->db); }
  int Changes() const { return sqlite3_changes(conn_->db); }

 private:
  friend class Db;
  Tx(Db* db, Conn* conn) : db_(db), conn_(conn) {}
  Db* db_;
  Conn* conn_;
  bool done_ = false;
};

// A consistent copy of the live database at `source` (WAL and all, while other processes write)
// written to `dest` through SQLite's online backup API: into `dest`.tmp, checked with
// integrity_check, synced, then renamed, so `dest` is either absent or a whole good copy. Refuses
// a `dest` that exists. The copy is the database as of one moment during the call: every write
// committed before the call began is in it.
Status BackupDatabase(const std::string& source, const std::string& dest);

// Converts an SQLite result code (with the connection's message, for the log) to a Status.
Status FromSqlite(int rc, sqlite3* conn, std::string_view what);

class Db {
 public:
  // Opens (creating if missing) and migrates the database at `path`. ":memory:" is not allowed
  // (the pool needs a shared file); tests use a temp file.
  static Result<std::unique_ptr<Db>> Open(const std::string& path);
  ~Db();

  // BEGIN IMMEDIATE: the one way to write.
  Result<Tx> Write();
  // BEGIN (deferred): a consistent snapshot for reads.
  Result<Tx> Read();

  const std::string& path() const { return path_; }
  // PRAGMA integrity_check == "ok".
  Result<bool> IntegrityOk();
  // wal_checkpoint(TRUNCATE): called on a timer so readers cannot starve the checkpoint.
  Status Checkpoint();

 private:
  friend class Tx;
  explicit Db(std::string path) : path_(std::move(path)) {}
  Result<Tx> Begin(bool write);
  Result<Conn*> Acquire();
  void Release(Conn* conn);
  Result<Conn*> OpenConnection();

  std::string path_;
  std::mutex mu_;
  std::vector<Conn*> idle_;
};

}  // namespace convene::calendar::store
