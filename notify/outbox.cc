#include "notify/outbox.h"

#include <fmt/core.h>

#include <algorithm>

namespace convene::notify {

using calendar::store::Stmt;

const char* OutboxStatusName(OutboxStatus s) {
  switch (s) {
    case OutboxStatus::kQueued:
      return "queued";
    case OutboxStatus::kSent:
      return "sent";
    case OutboxStatus::kFailed:
      return "failed";
    case OutboxStatus::kSuperseded:
      return "superseded";
  }
  return "queued";
}

std::optional<OutboxStatus> ParseOutboxStatus(std::string_view s) {
  for (OutboxStatus v : {OutboxStatus::kQueued, OutboxStatus::kSent, OutboxStatus::kFailed,
                         OutboxStatus::kSuperseded}) {
    if (s == OutboxStatusName(v)) return v;
  }
  return std::nullopt;
}

Result<int64_t> Enqueue(Tx& tx, const NewOutboxRow& r, int64_t now) {
  Stmt s = tx.Prepare(
      "INSERT INTO outbox(group_id, meeting_id, kind, coalesce_key, recipient, subject, message_id,"
      " body, before_state, after_state, status, attempts, created_at, updated_at, due_at,"
      " next_attempt_at)"
      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 'queued', 0, ?11, ?11, ?12, ?12)");
  s.BindAll(r.group_id, r.meeting_id, r.kind, r.coalesce_key, r.recipient, r.subject, r.message_id,
            r.body, r.before_state, r.after_state, now, r.due_at);
  if (r.coalesce_key.empty()) s.BindNull(4);
  RETURN_IF_ERROR(s.Run());
  const int64_t id = tx.LastInsertId();
  // VERP (one return path per notice): a bounce names the row it is about.
  Stmt u = tx.Prepare("UPDATE outbox SET envelope_from = ?2 WHERE id = ?1");
  u.BindAll(id, fmt::format("bounces+{}@{}", id, r.bounce_domain));
  RETURN_IF_ERROR(u.Run());
  return id;
}

Result<std::optional<PendingRow>> FindCoalescable(Tx& tx, const std::string& key, int64_t now) {
  // On PostgreSQL the row is locked until this write commits, so a worker's claim skips it
  // (SKIP LOCKED); one that claimed it first makes this find none, and a new row is written.
  const std::string sql =
      std::string(
          "SELECT id, message_id, before_state, due_at, after_state FROM outbox"
          " WHERE coalesce_key = ?1 AND status = 'queued' AND attempts = 0 AND lease_until IS NULL"
          " AND due_at > ?2 ORDER BY id DESC LIMIT 1") +
      (tx.postgres() ? " FOR UPDATE" : "");
  Stmt s = tx.Prepare(sql.c_str());
  s.BindAll(key, now);
  if (!s.Step()) {
    RETURN_IF_ERROR(s.status());
    return std::optional<PendingRow>();
  }
  return std::optional<PendingRow>(PendingRow{s.Int(0), s.Text(1), s.Text(2), s.Int(3), s.Text(4)});
}

Status UpdatePending(Tx& tx, int64_t id, const std::string& subject, const std::string& body,
                     const std::string& after_state, int64_t now) {
  Stmt s = tx.Prepare(
      "UPDATE outbox SET subject = ?2, body = ?3, after_state = ?4, updated_at = ?5"
      " WHERE id = ?1 AND status = 'queued' AND attempts = 0");
  s.BindAll(id, subject, body, after_state, now);
  RETURN_IF_ERROR(s.Run());
  return tx.Changes() == 1 ? Status::Ok() : Internal("outbox row is no longer pending");
}

Status Supersede(Tx& tx, int64_t id, int64_t now) {
  Stmt s = tx.Prepare(
      "UPDATE outbox SET status = 'superseded', coalesce_key = NULL, updated_at = ?2,"
      " last_error = 'no net change' WHERE id = ?1 AND status = 'queued' AND attempts = 0");
  s.BindAll(id, now);
  return s.Run();
}

namespace {

// 'a', 'b', ... for an IN list of kinds (constants of this file's header, never user input).
template <size_t N>
std::string SqlList(const std::array<const char*, N>& kinds) {
  std::string out;
  for (const char* k : kinds) out += std::string(out.empty() ? "" : ", ") + "'" + k + "'";
  return out;
}

}  // namespace

Result<int> SupersedeQueuedTo(Tx& tx, Id group_id, const std::string& recipient,
                              const std::string& reason, int64_t now) {
  const std::string sql =
      "UPDATE outbox SET status = 'superseded', coalesce_key = NULL, updated_at = ?4,"
      " last_error = ?3 WHERE group_id = ?1 AND lower(recipient) = lower(?2)"
      " AND status = 'queued' AND kind IN (" +
      SqlList(kinds::kMembersOwn) + ") AND (lease_until IS NULL OR lease_until <= ?4)";
  Stmt s = tx.Prepare(sql.c_str());
  s.BindAll(group_id, recipient, reason.substr(0, 500), now);
  RETURN_IF_ERROR(s.Run());
  return tx.Changes();
}

Result<int> CloseWindowsTo(Tx& tx, Id group_id, const std::string& recipient, int64_t now) {
  const std::string sql =
      "UPDATE outbox SET due_at = ?3, next_attempt_at = ?3, coalesce_key = NULL, updated_at = ?3"
      " WHERE group_id = ?1 AND lower(recipient) = lower(?2) AND status = 'queued'"
      " AND attempts = 0 AND lease_until IS NULL AND due_at > ?3 AND kind IN (" +
      SqlList(kinds::kCoalesced) + ")";
  Stmt s = tx.Prepare(sql.c_str());
  s.BindAll(group_id, recipient, now);
  RETURN_IF_ERROR(s.Run());
  return tx.Changes();
}

Result<bool> HasNotice(Tx& tx, Id meeting_id, const std::string& kind) {
  Stmt s = tx.Prepare(
      "SELECT 1 FROM outbox WHERE meeting_id = ?1 AND kind = ?2 AND status != 'superseded' LIMIT "
      "1");
  s.BindAll(meeting_id, kind);
  const bool found = s.Step();
  RETURN_IF_ERROR(s.status());
  return found;
}

Result<std::vector<ClaimedRow>> ClaimDue(Tx& tx, int64_t now, int limit, int64_t lease_seconds) {
  std::vector<int64_t> ids;
  {
    // On PostgreSQL (a WriteRows transaction, no writers' lock): rows another instance is
    // claiming, or a request is coalescing into, are skipped, not waited for.
    const std::string sql =
        std::string(
            "SELECT id FROM outbox WHERE status = 'queued' AND next_attempt_at <= ?1"
            " AND (lease_until IS NULL OR lease_until <= ?1) ORDER BY next_attempt_at, id"
            " LIMIT ?2") +
        (tx.postgres() ? " FOR UPDATE SKIP LOCKED" : "");
    Stmt s = tx.Prepare(sql.c_str());
    s.BindAll(now, limit);
    while (s.Step()) ids.push_back(s.Int(0));
    RETURN_IF_ERROR(s.status());
  }
  std::vector<ClaimedRow> rows;
  for (int64_t id : ids) {
    Stmt u = tx.Prepare(
        "UPDATE outbox SET lease_until = ?2, attempts = attempts + 1, last_attempt_at = ?3,"
        " coalesce_key = NULL, updated_at = ?3 WHERE id = ?1"
        " RETURNING message_id, envelope_from, recipient, body, attempts, created_at");
    u.BindAll(id, now + lease_seconds, now);
    if (!u.Step()) {
      RETURN_IF_ERROR(u.status());
      continue;
    }
    rows.push_back(ClaimedRow{id, u.Text(0), u.Text(1), u.Text(2), u.Text(3),
                              static_cast<int>(u.Int(4)), u.Int(5)});
    while (u.Step()) {
    }
    RETURN_IF_ERROR(u.status());
  }
  return rows;
}

Result<std::map<std::string, std::string>> FailingRecipients(Tx& tx, Id group_id) {
  Stmt s = tx.Prepare(
      "SELECT lower(o.recipient), o.last_error FROM outbox o"
      " WHERE o.group_id = ?1 AND o.status = 'failed' AND NOT EXISTS ("
      "   SELECT 1 FROM outbox later WHERE later.group_id = o.group_id AND later.id > o.id"
      "   AND later.status = 'sent' AND lower(later.recipient) = lower(o.recipient))"
      " ORDER BY o.id");
  s.BindAll(group_id);
  std::map<std::string, std::string> out;
  while (s.Step()) out[s.Text(0)] = s.Text(1);  // ordered by id: the latest failure wins
  RETURN_IF_ERROR(s.status());
  return out;
}

Status MarkSent(Tx& tx, int64_t id, int64_t now) {
  Stmt s = tx.Prepare(
      "UPDATE outbox SET status = 'sent', sent_at = ?2, lease_until = NULL, updated_at = ?2,"
      " last_error = '' WHERE id = ?1 AND status = 'queued'");
  s.BindAll(id, now);
  return s.Run();
}

Status Retry(Tx& tx, int64_t id, int64_t next_attempt_at, const std::string& error) {
  Stmt s = tx.Prepare(
      "UPDATE outbox SET next_attempt_at = ?2, lease_until = NULL, last_error = ?3"
      " WHERE id = ?1 AND status = 'queued'");
  s.BindAll(id, next_attempt_at, error.substr(0, 500));
  return s.Run();
}

Status MarkFailed(Tx& tx, int64_t id, int64_t now, const std::string& error) {
  Stmt s = tx.Prepare(
      "UPDATE outbox SET status = 'failed', lease_until = NULL, last_error = ?3, updated_at = ?2"
      " WHERE id = ?1 AND status = 'queued'");
  s.BindAll(id, now, error.substr(0, 500));
  return s.Run();
}

Status Release(Tx& tx, int64_t id) {
  Stmt s = tx.Prepare(
      "UPDATE outbox SET lease_until = NULL, attempts = max(attempts - 1, 0)"
      " WHERE id = ?1 AND status = 'queued'");
  s.BindAll(id);
  return s.Run();
}

Result<std::optional<int64_t>> NextClaimableAt(Tx& tx) {
  Stmt s = tx.Prepare(
      "SELECT min(max(next_attempt_at, coalesce(lease_until, 0))) FROM outbox"
      " WHERE status = 'queued'");
  if (!s.Step()) {
    RETURN_IF_ERROR(s.status());
    return std::optional<int64_t>();
  }
  if (s.IsNull(0)) return std::optional<int64_t>();
  return std::optional<int64_t>(s.Int(0));
}

Result<std::vector<OutboxEntry>> ListOutbox(Tx& tx, const std::vector<Id>& group_ids,
                                            std::optional<OutboxStatus> status, int limit) {
  std::vector<OutboxEntry> out;
  // One parameterised query per group keeps the SQL static; organisers have few groups.
  for (Id g : group_ids) {
    Stmt s = tx.Prepare(
        "SELECT id, group_id, meeting_id, kind, recipient, subject, status, attempts,"
        " next_attempt_at, last_error, created_at, sent_at FROM outbox"
        " WHERE group_id = ?1 AND (?2 = '' OR status = ?2) ORDER BY id DESC LIMIT ?3");
    s.BindAll(g, status ? std::string(OutboxStatusName(*status)) : std::string(), limit);
    while (s.Step()) {
      OutboxEntry e;
      e.id = s.Int(0);
      e.group_id = s.Int(1);
      e.meeting_id = s.Int(2);
      e.kind = s.Text(3);
      e.to = s.Text(4);
      e.subject = s.Text(5);
      e.status = s.Text(6);
      e.attempts = static_cast<int>(s.Int(7));
      if (e.status == "queued") e.next_attempt_at = s.Int(8);
      e.last_error = s.Text(9);
      e.created_at = s.Int(10);
      if (!s.IsNull(11)) e.sent_at = s.Int(11);
      out.push_back(std::move(e));
    }
    RETURN_IF_ERROR(s.status());
  }
  std::sort(out.begin(), out.end(),
            [](const OutboxEntry& a, const OutboxEntry& b) { return a.id > b.id; });
  if (out.size() > static_cast<size_t>(limit)) out.resize(static_cast<size_t>(limit));
  return out;
}

Result<OutboxCounts> CountOutbox(Tx& tx, int64_t now) {
  Stmt s = tx.Prepare(
      "SELECT count(*) FILTER (WHERE status = 'queued'), count(*) FILTER (WHERE status = 'sent'),"
      " count(*) FILTER (WHERE status = 'failed'), count(*) FILTER (WHERE status = 'superseded'),"
      " count(*) FILTER (WHERE status = 'queued' AND lease_until > ?1),"
      " coalesce(min(CASE WHEN status = 'queued' THEN created_at END), 0) FROM outbox");
  s.BindAll(now);
  if (!s.Step()) return s.status().ok() ? Internal("no counts") : s.status();
  return OutboxCounts{s.Int(0), s.Int(1), s.Int(2), s.Int(3), s.Int(4), s.Int(5)};
}

}  // namespace convene::notify
