// Login throttling rows and member token counts.
#include "calendar/store/store.h"

namespace convene::calendar::store {

Result<int> CountLoginFailures(Tx& tx, const std::string& key, int64_t since) {
  Stmt s = tx.Prepare("SELECT count(*) FROM login_failures WHERE key=?1 AND at >= ?2");
  s.BindAll(key, since);
  if (!s.Step()) return s.status().ok() ? Internal("count failed") : s.status();
  return static_cast<int>(s.Int(0));
}

Status RecordLoginFailure(Tx& tx, const std::string& key, int64_t now, int64_t prune_before) {
  RETURN_IF_ERROR(
      tx.Prepare("DELETE FROM login_failures WHERE at < ?1").BindAll(prune_before).Run());
  return tx.Prepare("INSERT INTO login_failures(key, at) VALUES (?1, ?2)").BindAll(key, now).Run();
}

Status ClearLoginFailures(Tx& tx, const std::string& key) {
  return tx.Prepare("DELETE FROM login_failures WHERE key=?1").BindAll(key).Run();
}

Status ForgetLoginFailure(Tx& tx, const std::string& key, int64_t at) {
  return tx
      .Prepare(
          "DELETE FROM login_failures WHERE rowid = (SELECT rowid FROM login_failures"
          " WHERE key=?1 AND at=?2 LIMIT 1)")
      .BindAll(key, at)
      .Run();
}

Status InsertPasswordReset(Tx& tx, const std::string& hash, Id organiser_id, int64_t now,
                           int64_t expires_at) {
  return tx
      .Prepare(
          "INSERT INTO password_resets(hash, organiser_id, created_at, expires_at)"
          " VALUES (?1, ?2, ?3, ?4)")
      .BindAll(hash, organiser_id, now, expires_at)
      .Run();
}

Result<std::optional<Id>> FindPasswordReset(Tx& tx, const std::string& hash, int64_t now) {
  Stmt s = tx.Prepare(
      "SELECT organiser_id FROM password_resets WHERE hash=?1 AND used_at IS NULL"
      " AND expires_at > ?2");
  s.BindAll(hash, now);
  if (!s.Step()) {
    RETURN_IF_ERROR(s.status());
    return std::optional<Id>();
  }
  return std::optional<Id>(s.Int(0));
}

Status EndPasswordResets(Tx& tx, Id organiser_id, int64_t now) {
  return tx
      .Prepare("UPDATE password_resets SET used_at=?2 WHERE organiser_id=?1 AND used_at IS NULL")
      .BindAll(organiser_id, now)
      .Run();
}

Result<int> CountMemberTokens(Tx& tx, Id member_id, const std::string& kind, int64_t now) {
  Stmt s = tx.Prepare(
      "SELECT count(*) FROM tokens WHERE member_id=?1 AND kind=?2 AND revoked_at IS NULL"
      " AND (expires_at IS NULL OR expires_at > ?3)");
  s.BindAll(member_id, kind, now);
  if (!s.Step()) return s.status().ok() ? Internal("count failed") : s.status();
  return static_cast<int>(s.Int(0));
}

Result<int64_t> TokenEpoch(Tx& tx, Id member_id, const std::string& kind) {
  Stmt s =
      tx.Prepare("SELECT count(*) + count(revoked_at) FROM tokens WHERE member_id=?1 AND kind=?2");
  s.BindAll(member_id, kind);
  if (!s.Step()) return s.status().ok() ? Internal("count failed") : s.status();
  return s.Int(0);
}

Status RevokeOrganiserSessions(Tx& tx, Id organiser_id, int64_t now) {
  return tx
      .Prepare(
          "UPDATE tokens SET revoked_at=?2 WHERE organiser_id=?1 AND kind='session' AND"
          " revoked_at IS NULL")
      .BindAll(organiser_id, now)
      .Run();
}

}  // namespace convene::calendar::store
