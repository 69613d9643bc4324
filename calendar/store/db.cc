#include "calendar/store/db.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <charconv>

#include "calendar/store/migrations.h"
#include "calendar/store/pg.h"

namespace convene::calendar::store {
namespace {
// Enough idle connections for every HTTP worker thread: opening one costs a file open, the
// WAL set-up and a schema parse, which under 32 concurrent clients pushed p99 to 200 ms.
constexpr size_t kMaxIdle = 96;
constexpr int kBusyTimeoutMs = 5000;
}  // namespace

Status FromSqlite(int rc, sqlite3* conn, std::string_view what) {
  if (rc == SQLITE_OK || rc == SQLITE_DONE || rc == SQLITE_ROW) return Status::Ok();
  const char* msg = conn ? sqlite3_errmsg(conn) : sqlite3_errstr(rc);
  spdlog::warn("sqlite: {} failed: {} ({})", what, msg, rc);
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_FULL:
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
      return Status(Code::kUnavailable, "the database is busy or out of space; try again");
    case SQLITE_CONSTRAINT:
      return Status(Code::kConflict, "that conflicts with something already stored");
    default:
      return Internal("database error");
  }
}

bool IsPostgresUri(std::string_view db) { return pg::IsUri(db); }

// ---- Conn and Stmt ----

Conn::~Conn() {
  for (auto& [sql, stmt] : idle) sqlite3_finalize(stmt);
  if (db) sqlite3_close_v2(db);
  delete pg;
}

Stmt::Stmt(Conn* conn, const char* sql) : conn_(conn) {
  if (conn->pg) {
    pg_ = std::make_unique<pg::Statement>(conn->pg, sql);
    status_ = pg_->status();
    return;
  }
  auto it = conn->idle.find(std::string_view(sql));
  if (it != conn->idle.end()) {
    stmt_ = it->second;
    conn->idle.erase(it);
    return;
  }
  int rc = sqlite3_prepare_v3(conn->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt_, nullptr);
  if (rc != SQLITE_OK) status_ = FromSqlite(rc, conn->db, "prepare");
}

Stmt::~Stmt() {
  if (!stmt_) return;
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  // Keep it for the next use of the same SQL, unless a twin is already waiting.
  if (!conn_->idle.emplace(std::string_view(sqlite3_sql(stmt_)), stmt_).second)
    sqlite3_finalize(stmt_);
}

Stmt& Stmt::Bind(int i, int64_t v) {
  if (pg_) pg_->Bind(i, std::to_string(v));
  if (stmt_) sqlite3_bind_int64(stmt_, i, v);
  return *this;
}

Stmt& Stmt::Bind(int i, std::string_view v) {
  if (pg_) pg_->Bind(i, std::string(v));
  if (stmt_) sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  return *this;
}

Stmt& Stmt::Bind(int i, std::optional<int> v) { return v ? Bind(i, *v) : BindNull(i); }

Stmt& Stmt::Bind(int i, std::optional<int64_t> v) { return v ? Bind(i, *v) : BindNull(i); }

Stmt& Stmt::Bind(int i, const std::optional<std::string>& v) {
  return v ? Bind(i, std::string_view(*v)) : BindNull(i);
}

Stmt& Stmt::BindNull(int i) {
  if (pg_) pg_->Bind(i, std::nullopt);
  if (stmt_) sqlite3_bind_null(stmt_, i);
  return *this;
}

bool Stmt::Step() {
  if (pg_) {
    if (!status_.ok()) return false;
    const bool row = pg_->Step();
    status_ = pg_->status();
    return row;
  }
  if (!stmt_ || !status_.ok()) return false;
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc != SQLITE_DONE) status_ = FromSqlite(rc, conn_->db, "step");
  return false;
}

Status Stmt::Run() {
  while (Step()) {
  }
  return status_;
}

int64_t Stmt::Int(int col) const {
  if (pg_) {
    const std::string_view v = pg_->Value(col);
    if (v == "t") return 1;  // a boolean
    if (v == "f") return 0;
    int64_t n = 0;
    // Numbers as PostgreSQL writes them; a numeric's fraction (sum, avg) is cut as SQLite does.
    std::from_chars(v.data(), v.data() + v.size(), n);
    return n;
  }
  return sqlite3_column_int64(stmt_, col);
}

std::string Stmt::Text(int col) const {
  if (pg_) return std::string(pg_->Value(col));
  const unsigned char* p = sqlite3_column_text(stmt_, col);
  return p ? std::string(reinterpret_cast<const char*>(p),
                         static_cast<size_t>(sqlite3_column_bytes(stmt_, col)))
           : std::string();
}

bool Stmt::IsNull(int col) const {
  if (pg_) return pg_->IsNull(col);
  return sqlite3_column_type(stmt_, col) == SQLITE_NULL;
}

std::optional<int> Stmt::OptInt(int col) const {
  if (IsNull(col)) return std::nullopt;
  return static_cast<int>(Int(col));
}

std::optional<std::string> Stmt::OptText(int col) const {
  if (IsNull(col)) return std::nullopt;
  return Text(col);
}

std::optional<int64_t> Stmt::OptInt64(int col) const {
  if (IsNull(col)) return std::nullopt;
  return Int(col);
}

// ---- Tx ----

Tx::Tx(Tx&& o) noexcept : db_(o.db_), conn_(o.conn_), done_(o.done_) {
  o.done_ = true;
  o.conn_ = nullptr;
}

Tx::~Tx() {
  if (!done_ && conn_) {
    if (conn_->pg) {
      (void)pg::Exec(*conn_->pg, "ROLLBACK", "rollback");
    } else {
      sqlite3_exec(conn_->db, "ROLLBACK", nullptr, nullptr, nullptr);
    }
  }
  if (conn_) db_->Release(conn_);
}

int64_t Tx::LastInsertId() const {
  if (!conn_->pg) return sqlite3_last_insert_rowid(conn_->db);
  // Every id column is an identity, whose sequence lastval() reads (this session's own value).
  pg::Statement s(conn_->pg, "SELECT lastval()");
  if (!s.Step()) return 0;
  int64_t n = 0;
  const std::string_view v = s.Value(0);
  std::from_chars(v.data(), v.data() + v.size(), n);
  return n;
}

int Tx::Changes() const {
  return conn_->pg ? static_cast<int>(conn_->pg->changes) : sqlite3_changes(conn_->db);
}

Status Tx::Commit() {
  if (done_) return Internal("transaction already finished");
  if (conn_->pg) {
    Status st = pg::Exec(*conn_->pg, "COMMIT", "commit");
    if (!st.ok()) (void)pg::Exec(*conn_->pg, "ROLLBACK", "rollback");
    done_ = true;
    return st;
  }
  int rc = sqlite3_exec(conn_->db, "COMMIT", nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) {
    Status st = FromSqlite(rc, conn_->db, "commit");
    sqlite3_exec(conn_->db, "ROLLBACK", nullptr, nullptr, nullptr);
    done_ = true;
    return st;
  }
  done_ = true;
  return Status::Ok();
}

Status Tx::Exec(const std::string& sql) {
  if (conn_->pg) return pg::Exec(*conn_->pg, sql, "exec");
  int rc = sqlite3_exec(conn_->db, sql.c_str(), nullptr, nullptr, nullptr);
  return FromSqlite(rc, conn_->db, "exec");
}

// ---- Db ----

Result<Conn*> Db::OpenConnection() {
  if (postgres_) {
    ASSIGN_OR_RETURN(pg::Connection * p, pg::Connect(uri_));
    Conn* c = new Conn();
    c->pg = p;
    return c;
  }
  sqlite3* conn = nullptr;
  int rc =
      sqlite3_open_v2(path_.c_str(), &conn,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = conn ? sqlite3_errmsg(conn) : sqlite3_errstr(rc);
    sqlite3_close(conn);
    return Status(Code::kUnavailable, "cannot open database " + path_ + ": " + msg);
  }
  sqlite3_busy_timeout(conn, kBusyTimeoutMs);
  const char* pragmas =
      "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"
      "PRAGMA trusted_schema=OFF;";
  char* err = nullptr;
  rc = sqlite3_exec(conn, pragmas, nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    std::string msg = err ? err : sqlite3_errstr(rc);
    sqlite3_free(err);
    sqlite3_close(conn);
    return Status(Code::kUnavailable, "cannot use database " + path_ + ": " + msg);
  }
  Conn* c = new Conn();
  c->db = conn;
  return c;
}

Result<std::unique_ptr<Db>> Db::Open(const std::string& path) {
  if (path.empty() || path == ":memory:")
    return InvalidArgument("db", "--db must name a file or a postgresql:// URI");
  std::unique_ptr<Db> db(pg::IsUri(path) ? new Db(pg::Redacted(path), path) : new Db(path, ""));
  ASSIGN_OR_RETURN(Conn * conn, db->OpenConnection());
  db->Release(conn);
  RETURN_IF_ERROR(Migrate(*db));
  return db;
}

Db::~Db() {
  std::lock_guard<std::mutex> lock(mu_);
  for (Conn* c : idle_) delete c;
}

void Db::DropIdle() {
  std::vector<Conn*> idle;
  {
    std::lock_guard<std::mutex> lock(mu_);
    idle.swap(idle_);
  }
  for (Conn* c : idle) delete c;
}

Result<Conn*> Db::Acquire() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!idle_.empty()) {
      Conn* c = idle_.back();
      idle_.pop_back();
      return c;
    }
  }
  return OpenConnection();
}

void Db::Release(Conn* conn) {
  // A PostgreSQL connection that broke (or was left in a transaction) is dropped: the next
  // transaction opens a new one, so the server reconnects once the database is back.
  if (conn->pg && !conn->pg->Healthy()) {
    delete conn;
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (idle_.size() < kMaxIdle) {
      idle_.push_back(conn);
      return;
    }
  }
  delete conn;
}

Result<Tx> Db::Begin(Mode mode) {
  const bool write = mode != Mode::kRead;
  ASSIGN_OR_RETURN(Conn * conn, Acquire());
  if (conn->pg) {
    // Writers queue on one transaction-scoped advisory lock (released at COMMIT or ROLLBACK);
    // row writers lock their rows only.
    const char* begin = mode == Mode::kWrite       ? "BEGIN ISOLATION LEVEL READ COMMITTED;"
                                                     " SELECT pg_advisory_xact_lock(7041965)"
                        : mode == Mode::kWriteRows ? "BEGIN ISOLATION LEVEL READ COMMITTED"
                                                   : "BEGIN ISOLATION LEVEL REPEATABLE READ";
    Status st = pg::Exec(*conn->pg, begin, "begin");
    if (!st.ok() && PQstatus(conn->pg->conn) != CONNECTION_OK) {
      // A pooled connection the server closed (it restarted, or ended idle sessions): the
      // others are likely gone too. Drop them all and begin once more on a new connection, so
      // a database that came back is used at once; nothing was done on the broken one.
      delete conn;
      DropIdle();
      ASSIGN_OR_RETURN(conn, OpenConnection());
      st = pg::Exec(*conn->pg, begin, "begin");
    }
    if (!st.ok()) {
      if (PQstatus(conn->pg->conn) == CONNECTION_OK)
        (void)pg::Exec(*conn->pg, "ROLLBACK", "rollback");
      Release(conn);
      return st;
    }
    return Tx(this, conn);
  }
  const char* sql = write ? "BEGIN IMMEDIATE" : "BEGIN";
  int rc = sqlite3_exec(conn->db, sql, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) {
    Status st = FromSqlite(rc, conn->db, sql);
    Release(conn);
    return st;
  }
  return Tx(this, conn);
}

Result<Tx> Db::Write() { return Begin(Mode::kWrite); }

Result<Tx> Db::WriteRows() { return Begin(Mode::kWriteRows); }

Result<Tx> Db::Read() { return Begin(Mode::kRead); }

Result<bool> Db::IntegrityOk() {
  ASSIGN_OR_RETURN(Tx tx, Read());
  if (postgres_) {
    Stmt s = tx.Prepare("SELECT 1");
    const bool ok = s.Step() && s.Int(0) == 1;
    RETURN_IF_ERROR(s.status());
    return ok;
  }
  Stmt s = tx.Prepare("PRAGMA integrity_check");
  bool ok = s.Step() && s.Text(0) == "ok";
  RETURN_IF_ERROR(s.status());
  return ok;
}

Status Db::Checkpoint() {
  if (postgres_) return Status::Ok();
  ASSIGN_OR_RETURN(Conn * conn, Acquire());
  int rc =
      sqlite3_wal_checkpoint_v2(conn->db, nullptr, SQLITE_CHECKPOINT_TRUNCATE, nullptr, nullptr);
  Status st = rc == SQLITE_BUSY ? Status::Ok() : FromSqlite(rc, conn->db, "checkpoint");
  Release(conn);
  return st;
}

Status BackupDatabase(const std::string& source, const std::string& dest) {
  if (pg::IsUri(source))
    return InvalidArgument("db",
                           "admin backup copies an SQLite file; back PostgreSQL up with its own "
                           "tools (pg_dump, or the base backups your database team runs)");
  if (::access(source.c_str(), R_OK) != 0)
    return Status(Code::kNotFound, "no database at " + source, "db");
  if (::access(dest.c_str(), F_OK) == 0)
    return InvalidArgument("to", dest + " already exists: name a new file");
  const std::string tmp = dest + ".tmp";
  ::unlink(tmp.c_str());
  sqlite3* src = nullptr;
  sqlite3* out = nullptr;
  auto close_both = [&] {
    if (src) sqlite3_close_v2(src);
    if (out) sqlite3_close_v2(out);
  };
  int rc = sqlite3_open_v2(source.c_str(), &src, SQLITE_OPEN_READONLY, nullptr);
  if (rc == SQLITE_OK)
    rc = sqlite3_open_v2(tmp.c_str(), &out, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  if (rc != SQLITE_OK) {
    Status st = FromSqlite(rc, src, "open for backup");
    close_both();
    ::unlink(tmp.c_str());
    return st;
  }
  sqlite3_busy_timeout(src, kBusyTimeoutMs);
  // One step copies every page under one read transaction: a snapshot. In WAL mode the writers
  // go on meanwhile.
  sqlite3_backup* b = sqlite3_backup_init(out, "main", src, "main");
  if (b == nullptr) {
    Status st = FromSqlite(sqlite3_errcode(out), out, "backup");
    close_both();
    ::unlink(tmp.c_str());
    return st;
  }
  for (int tries = 0; tries < 100; ++tries) {
    rc = sqlite3_backup_step(b, -1);
    if (rc != SQLITE_BUSY && rc != SQLITE_LOCKED) break;
    sqlite3_sleep(50);
  }
  const int finish = sqlite3_backup_finish(b);
  if (rc != SQLITE_DONE || finish != SQLITE_OK) {
    Status st = FromSqlite(rc != SQLITE_DONE ? rc : finish, out, "backup");
    close_both();
    ::unlink(tmp.c_str());
    return st;
  }
  // The copy stands alone: one file, no WAL beside it.
  sqlite3_exec(out, "PRAGMA journal_mode=DELETE", nullptr, nullptr, nullptr);
  sqlite3_stmt* check = nullptr;
  bool ok = false;
  if (sqlite3_prepare_v2(out, "PRAGMA integrity_check", -1, &check, nullptr) == SQLITE_OK &&
      sqlite3_step(check) == SQLITE_ROW)
    ok = std::string(reinterpret_cast<const char*>(sqlite3_column_text(check, 0))) == "ok";
  sqlite3_finalize(check);
  close_both();
  if (!ok) {
    ::unlink(tmp.c_str());
    return Internal("the backup copy failed its integrity check");
  }
  const int fd = ::open(tmp.c_str(), O_RDONLY);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
  if (::rename(tmp.c_str(), dest.c_str()) != 0) {
    ::unlink(tmp.c_str());
    return Status(Code::kUnavailable, "cannot write " + dest);
  }
  return Status::Ok();
}

}  // namespace convene::calendar::store
