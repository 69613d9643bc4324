// The database a test runs on: an SQLite file in the test's temp dir, or, when the environment
// names a PostgreSQL server in CONVENE_TEST_PG (its URI, or the file tests/support/postgres.sh
// wrote it to, as ctest's "postgres" tests give), a new, empty PostgreSQL database of its own,
// dropped afterwards. So one test binary runs its suite on either engine.
#pragma once

#include <libpq-fe.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <string>

namespace convene::testing {

class TestDatabase {
 public:
  explicit TestDatabase(std::string sqlite_file) : db_(std::move(sqlite_file)) {
    const char* server = std::getenv("CONVENE_TEST_PG");
    if (!server || !*server) return;
    static std::atomic<int> counter{0};
    name_ = "t" + std::to_string(::getpid()) + "_" + std::to_string(++counter);
    server_ = server;
    if (server_.rfind("postgres", 0) != 0) {  // a file holding the URI
      std::ifstream f(server_);
      std::getline(f, server_);
    }
    Admin("CREATE DATABASE " + name_);
    // The server's URI ends in /postgres: the same server, this test's database.
    db_ = server_.substr(0, server_.rfind('/') + 1) + name_;
  }
  ~TestDatabase() {
    if (!name_.empty()) Admin("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
  }
  TestDatabase(const TestDatabase&) = delete;
  TestDatabase& operator=(const TestDatabase&) = delete;

  // What --db takes: the file or the URI.
  const std::string& db() const { return db_; }
  bool postgres() const { return !name_.empty(); }
  // The error of making the database, if any.
  const std::string& error() const { return error_; }

 private:
  void Admin(const std::string& sql) {
    PGconn* c = PQconnectdb(server_.c_str());
    PGresult* r = PQexec(c, sql.c_str());
    if (PQresultStatus(r) != PGRES_COMMAND_OK) error_ = sql + ": " + PQerrorMessage(c);
    PQclear(r);
    PQfinish(c);
  }

  std::string db_, server_, name_, error_;
};

}  // namespace convene::testing
