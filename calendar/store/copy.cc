// `convene admin copy`: a live SQLite database into an empty PostgreSQL one (db.h).
#include <string>
#include <vector>

#include "calendar/store/db.h"
#include "calendar/store/migrations.h"

namespace convene::calendar::store {
namespace {

// Every table, each after the tables its foreign keys name. `meta` is copied by value (the new
// database already has its rows).
constexpr const char* kTables[] = {
    "organisers", "venues",         "groups",     "members",         "series",
    "meetings",   "tokens",         "presenters", "apologies",       "attendance",
    "secrets",    "login_failures", "outbox",     "password_resets", "reminders",
};
// Tables whose `id` is an identity on PostgreSQL: its sequence continues after the copied ids.
constexpr const char* kIdentities[] = {"organisers", "venues",   "groups",     "members",
                                       "series",     "meetings", "presenters", "outbox"};

Result<int64_t> Count(Tx& tx, const std::string& table) {
  Stmt s = tx.Prepare(("SELECT count(*) FROM " + table).c_str());
  if (!s.Step()) return s.status().ok() ? Internal("no count") : s.status();
  return s.Int(0);
}

Result<std::vector<std::string>> Columns(Tx& sqlite, const std::string& table) {
  Stmt s =
      sqlite.Prepare(("SELECT name FROM pragma_table_info('" + table + "') ORDER BY cid").c_str());
  std::vector<std::string> out;
  while (s.Step()) out.push_back(s.Text(0));
  RETURN_IF_ERROR(s.status());
  if (out.empty()) return Internal("no table " + table);
  return out;
}

}  // namespace

Result<std::vector<TableCopy>> CopyDatabase(Db& from, Db& to) {
  if (from.postgres()) return InvalidArgument("from", "--from must be an SQLite database file");
  if (!to.postgres()) return InvalidArgument("to", "--to must be a postgresql:// URI");
  // One read transaction: the copy is the source as of one moment, while the server runs on.
  ASSIGN_OR_RETURN(Tx src, from.Read());
  ASSIGN_OR_RETURN(Tx dst, to.Write());
  for (const char* table : kTables) {
    ASSIGN_OR_RETURN(const int64_t there, Count(dst, table));
    if (there != 0)
      return InvalidArgument("to", to.path() + " is not empty (table " + std::string(table) +
                                       " has rows): copy into a new database");
  }
  std::vector<TableCopy> out;
  for (const char* table : kTables) {
    ASSIGN_OR_RETURN(const std::vector<std::string> cols, Columns(src, table));
    std::string names, marks;
    for (size_t i = 0; i < cols.size(); ++i) {
      names += (i ? ", " : "") + cols[i];
      marks += (i ? ", ?" : "?") + std::to_string(i + 1);
    }
    const std::string select = "SELECT " + names + " FROM " + table;
    const std::string insert =
        "INSERT INTO " + std::string(table) + "(" + names + ") VALUES (" + marks + ")";
    Stmt rows = src.Prepare(select.c_str());
    TableCopy t{table, 0, 0};
    while (rows.Step()) {
      Stmt put = dst.Prepare(insert.c_str());
      for (size_t i = 0; i < cols.size(); ++i) {
        const int col = static_cast<int>(i);
        if (rows.IsNull(col)) {
          put.BindNull(col + 1);
        } else {
          put.Bind(col + 1, rows.Text(col));  // integers as their decimal text
        }
      }
      RETURN_IF_ERROR(put.Run());
      ++t.rows_from;
    }
    RETURN_IF_ERROR(rows.status());
    ASSIGN_OR_RETURN(t.rows_to, Count(dst, table));
    if (t.rows_to != t.rows_from)
      return Internal("copied " + std::to_string(t.rows_from) + " rows of " + table + " but " +
                      std::to_string(t.rows_to) + " arrived; nothing was kept");
    out.push_back(std::move(t));
  }
  {
    Stmt meta = src.Prepare("SELECT key, value FROM meta");
    while (meta.Step()) {
      RETURN_IF_ERROR(dst.Prepare("UPDATE meta SET value = ?2 WHERE key = ?1")
                          .BindAll(meta.Text(0), meta.Int(1))
                          .Run());
    }
    RETURN_IF_ERROR(meta.status());
  }
  for (const char* table : kIdentities) {
    const std::string t(table);
    RETURN_IF_ERROR(dst.Exec("SELECT setval(pg_get_serial_sequence('" + t + "', 'id'), " +
                             "(SELECT coalesce(max(id), 0) + 1 FROM " + t + "), false)"));
  }
  RETURN_IF_ERROR(dst.Commit());
  return out;
}

}  // namespace convene::calendar::store
