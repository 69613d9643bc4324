// Numbered schema migrations, applied at start-up in one transaction each.
//
// PRAGMA user_version holds the number of the last migration applied. Migrations are append-only:
// never edit one that has shipped, add the next number. A database from a newer convene (higher
// user_version than this binary knows) is refused rather than written to.
#pragma once

#include "calendar/status.h"

namespace convene::calendar::store {

class Db;

// Applies every migration above the database's user_version. Idempotent.
Status Migrate(Db& db);

// The number of migrations this binary knows.
int SchemaVersion();

}  // namespace convene::calendar::store
