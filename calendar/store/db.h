// Database access: a small connection pool, transactions and prepared statements, on SQLite (a
// file: the embedded default) or PostgreSQL (a postgresql:// URI: several instances sharing one
// database). The store's SQL is the same on both; pg.h says what is rewritten for PostgreSQL.
//
// SQLite:
// Every connection runs in WAL mode with synchronous=FULL, foreign keys on and a busy timeout
// (hardening.md 1.3). Write transactions always start with BEGIN IMMEDIATE, so a transaction that
// reads then writes never fails with SQLITE_BUSY_SNAPSHOT; read transactions use plain BEGIN.
// PostgreSQL: write transactions take one advisory lock, so writes are serialised across every
// instance exactly as SQLite serialises them within one (a read-check-write such as If-Match
// stays atomic); read transactions are REPEATABLE READ, one snapshot as in SQLite. A connection
// that broke is dropped from the pool, so the next transaction reconnects.
// A Tx that is destroyed without Commit() rolls back: a failed request leaves the database as
// it was. Result codes are converted to Status here (and in pg.cc) and nowhere else (busy, full,
// I/O errors, a lost connection -> kUnavailable, constraint violations -> kConflict, others ->
// kInternal).
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
namespace pg {
struct Connection;
class Statement;
}  // namespace pg

// One pooled connection with the statements it has prepared, kept for reuse: preparing costs
// more than running most of our queries. Used by one transaction (one thread) at a time.
struct Conn {
  sqlite3* db = nullptr;
  // Idle prepared statements by SQL text (the key views sqlite3_sql() of the statement).
  std::unordered_map<std::string_view, sqlite3_stmt*> idle;
  pg::Connection* pg = nullptr;  // instead of `db`, on PostgreSQL
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
  std::unique_ptr<pg::Statement> pg_;  // instead of stmt_, on PostgreSQL
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
  // The id given to the row the last INSERT added.
  int64_t LastInsertId() const;
  // The rows the last INSERT, UPDATE or DELETE changed.
  int Changes() const;
  bool postgres() const { return conn_->pg != nullptr; }

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

// One table of `admin copy`: the rows read and the rows the copy then holds.
struct TableCopy {
  std::string table;
  int64_t rows_from = 0, rows_to = 0;
};
// Copies every row of the SQLite database `from` (live: one read transaction, so the copy is the
// database as of one moment) into `to`, an empty PostgreSQL database at the same schema version:
// ids, token hashes, keys, the outbox, all of it, in one transaction; then checks each table's
// count and moves the id sequences past the copied ids. Nothing is kept unless all of it is.
Result<std::vector<TableCopy>> CopyDatabase(Db& from, Db& to);

// True for the --db values that name a PostgreSQL database (postgresql:// or postgres://).
bool IsPostgresUri(std::string_view db);

// Converts an SQLite result code (with the connection's message, for the log) to a Status.
Status FromSqlite(int rc, sqlite3* conn, std::string_view what);

class Db {
 public:
  // Opens (creating if missing) and migrates the database at `path`: an SQLite file, or a
  // postgresql:// URI (with no password in it: PGPASSWORD or ~/.pgpass). ":memory:" is not
  // allowed (the pool needs a shared file); tests use a temp file.
  static Result<std::unique_ptr<Db>> Open(const std::string& path);
  ~Db();

  // BEGIN IMMEDIATE: the one way to write.
  Result<Tx> Write();
  // A write that changes only rows it locks itself, row by row (the mail worker's claims and
  // marks of outbox rows): on PostgreSQL without the writers' advisory lock, so instances'
  // workers do not queue behind every other write (claims use FOR UPDATE SKIP LOCKED; a request
  // coalescing into a row locks it with FOR UPDATE: notify/outbox.cc). On SQLite the same as
  // Write().
  Result<Tx> WriteRows();
  // BEGIN (deferred): a consistent snapshot for reads.
  Result<Tx> Read();

  // The file, or the URI without any password.
  const std::string& path() const { return path_; }
  bool postgres() const { return postgres_; }
  // PRAGMA integrity_check == "ok" (PostgreSQL: the server answers).
  Result<bool> IntegrityOk();
  // wal_checkpoint(TRUNCATE): called on a timer so readers cannot starve the checkpoint
  // (nothing on PostgreSQL, which checkpoints itself).
  Status Checkpoint();

 private:
  friend class Tx;
  Db(std::string path, std::string uri)
      : path_(std::move(path)), uri_(std::move(uri)), postgres_(!uri_.empty()) {}
  enum class Mode { kRead, kWrite, kWriteRows };
  Result<Tx> Begin(Mode mode);
  Result<Conn*> Acquire();
  void Release(Conn* conn);
  // Closes every idle connection (PostgreSQL: after one was found broken).
  void DropIdle();
  Result<Conn*> OpenConnection();

  std::string path_;
  std::string uri_;  // PostgreSQL's connection URI, as given
  bool postgres_ = false;
  std::mutex mu_;
  std::vector<Conn*> idle_;
};

}  // namespace convene::calendar::store
