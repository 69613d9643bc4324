#include "calendar/store/migrations.h"

#include <string>
#include <vector>

#include "calendar/store/db.h"
#include "calendar/store/pg.h"

namespace convene::calendar::store {
namespace {

// Written in SQLite's DDL; on PostgreSQL each runs through pg::TranslateDdl (pg.h), with the same
// numbers. (Migration 1 lists the tables in an order where each is created before any table
// whose foreign keys name it, as PostgreSQL needs; SQLite databases made from the earlier order
// hold the same schema.)
// Times: edit times are Unix seconds; meeting times are local wall-clock text 'YYYY-MM-DDTHH:MM'
// in the group's zone (sorts as text). Tokens are stored only as SHA-256 hex of the secret.
const std::vector<const char*>& Migrations() {
  static const std::vector<const char*> kMigrations = {
      // 1: the core model.
      R"sql(
CREATE TABLE organisers (
  id INTEGER PRIMARY KEY,
  email TEXT NOT NULL UNIQUE COLLATE NOCASE,
  name TEXT NOT NULL DEFAULT '',
  password_hash TEXT,
  created_at INTEGER NOT NULL
);
CREATE TABLE venues (
  id INTEGER PRIMARY KEY,
  owner_id INTEGER NOT NULL REFERENCES organisers(id),
  name TEXT NOT NULL,
  address TEXT NOT NULL,
  postcode TEXT NOT NULL DEFAULT '',
  capacity INTEGER,
  notes TEXT NOT NULL DEFAULT '',
  version INTEGER NOT NULL DEFAULT 1,
  updated_at INTEGER NOT NULL
);
CREATE TABLE groups (
  id INTEGER PRIMARY KEY,
  organiser_id INTEGER NOT NULL REFERENCES organisers(id),
  slug TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  timezone TEXT NOT NULL,
  quorum INTEGER,
  public INTEGER NOT NULL DEFAULT 1,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE TABLE members (
  id INTEGER PRIMARY KEY,
  group_id INTEGER NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  email TEXT NOT NULL COLLATE NOCASE,
  organisation TEXT NOT NULL DEFAULT '',
  role TEXT NOT NULL DEFAULT 'member' CHECK (role IN ('member','chair','organiser')),
  delivery TEXT NOT NULL DEFAULT 'feed' CHECK (delivery IN ('feed','invitations')),
  unsubscribed INTEGER NOT NULL DEFAULT 0,
  links_version INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  UNIQUE (group_id, email)
);
CREATE TABLE series (
  id INTEGER PRIMARY KEY,
  group_id INTEGER NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
  uid TEXT NOT NULL UNIQUE,
  title TEXT NOT NULL,
  venue_id INTEGER NOT NULL REFERENCES venues(id),
  start_minute INTEGER NOT NULL,
  duration_minutes INTEGER NOT NULL,
  rrule TEXT NOT NULL DEFAULT '',
  first_date TEXT NOT NULL,
  agenda TEXT NOT NULL DEFAULT '',
  sequence INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE TABLE meetings (
  id INTEGER PRIMARY KEY,
  series_id INTEGER NOT NULL REFERENCES series(id) ON DELETE CASCADE,
  group_id INTEGER NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
  uid TEXT NOT NULL,
  original_start TEXT NOT NULL,
  start TEXT NOT NULL,
  duration_minutes INTEGER NOT NULL,
  venue_id INTEGER NOT NULL REFERENCES venues(id),
  status TEXT NOT NULL DEFAULT 'scheduled' CHECK (status IN ('scheduled','cancelled')),
  sequence INTEGER NOT NULL DEFAULT 0,
  version INTEGER NOT NULL DEFAULT 1,
  notes TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  UNIQUE (series_id, original_start)
);
CREATE INDEX meetings_group_start ON meetings(group_id, start);
CREATE INDEX meetings_venue_start ON meetings(venue_id, start);
CREATE TABLE tokens (
  hash TEXT PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('api','session','feed','page','apology','unsubscribe')),
  organiser_id INTEGER REFERENCES organisers(id) ON DELETE CASCADE,
  member_id INTEGER REFERENCES members(id) ON DELETE CASCADE,
  meeting_id INTEGER REFERENCES meetings(id) ON DELETE CASCADE,
  created_at INTEGER NOT NULL,
  expires_at INTEGER,
  revoked_at INTEGER
);
CREATE INDEX tokens_member ON tokens(member_id, kind);
CREATE TABLE presenters (
  id INTEGER PRIMARY KEY,
  meeting_id INTEGER NOT NULL REFERENCES meetings(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  organisation TEXT NOT NULL DEFAULT '',
  email TEXT NOT NULL DEFAULT '',
  topic TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL
);
CREATE INDEX presenters_meeting ON presenters(meeting_id);
CREATE TABLE apologies (
  meeting_id INTEGER NOT NULL REFERENCES meetings(id) ON DELETE CASCADE,
  member_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
  reason TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  PRIMARY KEY (meeting_id, member_id)
);
CREATE TABLE attendance (
  meeting_id INTEGER NOT NULL REFERENCES meetings(id) ON DELETE CASCADE,
  member_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
  status TEXT NOT NULL CHECK (status IN ('present','absent')),
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (meeting_id, member_id)
);
CREATE TABLE meta (
  key TEXT PRIMARY KEY,
  value INTEGER NOT NULL
);
INSERT INTO meta(key, value) VALUES ('revision', 0), ('revision_at', 0);
CREATE TABLE secrets (
  name TEXT PRIMARY KEY,
  value BLOB NOT NULL
);
)sql",
      // 2: failed organiser logins, for throttling (ASVS V2.2.1). One row per failure, keyed
      // "email:<address>" and "addr:<peer address>"; rows older than the window are pruned.
      R"sql(
CREATE TABLE login_failures (
  key TEXT NOT NULL,
  at INTEGER NOT NULL
);
CREATE INDEX login_failures_key_at ON login_failures(key, at);
)sql",
      // 3: the notice outbox (notify/outbox.h). No foreign keys: a queued notice must outlive
      // the group, meeting or member it was about. `body` holds the RFC 5322 bytes.
      R"sql(
CREATE TABLE outbox (
  id INTEGER PRIMARY KEY,
  group_id INTEGER NOT NULL,
  meeting_id INTEGER NOT NULL DEFAULT 0,
  kind TEXT NOT NULL,
  coalesce_key TEXT,
  recipient TEXT NOT NULL,
  subject TEXT NOT NULL,
  message_id TEXT NOT NULL UNIQUE,
  envelope_from TEXT NOT NULL DEFAULT '',
  body BLOB NOT NULL,
  before_state TEXT NOT NULL DEFAULT '',
  after_state TEXT NOT NULL DEFAULT '',
  status TEXT NOT NULL DEFAULT 'queued'
    CHECK (status IN ('queued','sent','failed','superseded')),
  attempts INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  due_at INTEGER NOT NULL,
  next_attempt_at INTEGER NOT NULL,
  lease_until INTEGER,
  last_attempt_at INTEGER,
  sent_at INTEGER,
  last_error TEXT NOT NULL DEFAULT ''
);
CREATE INDEX outbox_due ON outbox(next_attempt_at) WHERE status = 'queued';
CREATE INDEX outbox_coalesce ON outbox(coalesce_key) WHERE coalesce_key IS NOT NULL;
CREATE INDEX outbox_group ON outbox(group_id, id);
CREATE INDEX outbox_meeting_kind ON outbox(meeting_id, kind);
)sql",
      // 4: members leave without being deleted, so past registers, apologies and minutes keep
      // them: `left_at` (Unix seconds) is set when the organiser removes them, NULL while they
      // belong. Rejoining the same group clears it (UNIQUE (group_id, email) still holds).
      R"sql(
ALTER TABLE members ADD COLUMN left_at INTEGER;
)sql",
      // 5: "forgot your password" links: SHA-256 of the emailed token, one hour to live, used
      // once (used_at). Requests are throttled through login_failures
      // ("reset-email:"/"reset-addr:").
      R"sql(
CREATE TABLE password_resets (
  hash TEXT PRIMARY KEY,
  organiser_id INTEGER NOT NULL REFERENCES organisers(id) ON DELETE CASCADE,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  used_at INTEGER
);
CREATE INDEX password_resets_organiser ON password_resets(organiser_id);
)sql",
      // 6: series changed "from this meeting on" (issue 10). Groups choose whose bank holidays
      // apply; a series keeps the time of its rule's slots apart from its standing start time,
      // and a version for If-Match; a meeting may carry its own title and agenda (NULL: the
      // series').
      R"sql(
ALTER TABLE groups ADD COLUMN bank_holiday_region TEXT NOT NULL DEFAULT 'england-and-wales'
  CHECK (bank_holiday_region IN ('england-and-wales','scotland','northern-ireland'));
ALTER TABLE series ADD COLUMN rule_start_minute INTEGER NOT NULL DEFAULT 0;
UPDATE series SET rule_start_minute = start_minute;
ALTER TABLE series ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE meetings ADD COLUMN title TEXT;
ALTER TABLE meetings ADD COLUMN agenda TEXT;
)sql",
      // 7: reminders (issue 11). `reminder_days` before a meeting (NULL or 0: none), each member
      // and the organiser's digest (member_id 0) get one reminder: the row is written in the same
      // transaction as the outbox row, so a crash never sends one twice.
      R"sql(
ALTER TABLE groups ADD COLUMN reminder_days INTEGER DEFAULT 7
  CHECK (reminder_days IS NULL OR reminder_days BETWEEN 0 AND 60);
CREATE TABLE reminders (
  meeting_id INTEGER NOT NULL REFERENCES meetings(id) ON DELETE CASCADE,
  member_id INTEGER NOT NULL,
  queued_at INTEGER NOT NULL,
  PRIMARY KEY (meeting_id, member_id)
);
CREATE INDEX meetings_start ON meetings(start);
)sql",
  };
  return kMigrations;
}

}  // namespace

int SchemaVersion() { return static_cast<int>(Migrations().size()); }

namespace {

// The schema version: SQLite's user_version; on PostgreSQL a one-row table, made (with the
// citext extension the emails need) by the first instance that starts on the database. Every
// step runs in a write transaction, which on PostgreSQL holds the writers' advisory lock, so
// instances starting together migrate one after the other.
Result<int> CurrentVersion(Tx& tx) {
  if (tx.postgres()) {
    RETURN_IF_ERROR(
        tx.Exec("CREATE EXTENSION IF NOT EXISTS citext;"
                " CREATE TABLE IF NOT EXISTS convene_schema (version BIGINT NOT NULL);"
                " INSERT INTO convene_schema(version) SELECT 0"
                " WHERE NOT EXISTS (SELECT 1 FROM convene_schema)"));
  }
  Stmt v = tx.Prepare(tx.postgres() ? "SELECT version FROM convene_schema" : "PRAGMA user_version");
  if (!v.Step()) return v.status().ok() ? Internal("no schema version") : v.status();
  return static_cast<int>(v.Int(0));
}

}  // namespace

Status Migrate(Db& db) {
  const auto& all = Migrations();
  for (;;) {
    ASSIGN_OR_RETURN(Tx tx, db.Write());
    ASSIGN_OR_RETURN(const int current, CurrentVersion(tx));
    if (current > static_cast<int>(all.size()))
      return Status(Code::kUnavailable, "database " + db.path() + " has schema version " +
                                            std::to_string(current) +
                                            ", newer than this convene (" +
                                            std::to_string(all.size()) + "); upgrade convene");
    if (current == static_cast<int>(all.size())) return Status::Ok();
    if (tx.postgres()) {
      RETURN_IF_ERROR(tx.Exec(pg::TranslateDdl(all[current])));
      RETURN_IF_ERROR(
          tx.Exec("UPDATE convene_schema SET version = " + std::to_string(current + 1)));
    } else {
      RETURN_IF_ERROR(tx.Exec(all[current]));
      RETURN_IF_ERROR(tx.Exec("PRAGMA user_version = " + std::to_string(current + 1)));
    }
    RETURN_IF_ERROR(tx.Commit());
  }
}

}  // namespace convene::calendar::store
