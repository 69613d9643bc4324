// Organisers, tokens and the revision counter.
#include "calendar/store/store.h"

namespace convene::calendar::store {

Result<Revision> GetRevision(Tx& tx) {
  Stmt s = tx.Prepare(
      "SELECT (SELECT value FROM meta WHERE key='revision'),"
      " (SELECT value FROM meta WHERE key='revision_at')");
  if (!s.Step()) return s.status().ok() ? Internal("meta missing") : s.status();
  return Revision{s.Int(0), s.Int(1)};
}

Status BumpRevision(Tx& tx, int64_t now) {
  RETURN_IF_ERROR(tx.Prepare("UPDATE meta SET value = value + 1 WHERE key='revision'").Run());
  return tx.Prepare("UPDATE meta SET value = max(value, ?1) WHERE key='revision_at'")
      .BindAll(now)
      .Run();
}

Result<std::string> GetOrCreateSecret(Tx& tx, const std::string& name, const std::string& fresh) {
  RETURN_IF_ERROR(
      tx.Prepare("INSERT INTO secrets(name, value) VALUES (?1, ?2) ON CONFLICT DO NOTHING")
          .BindAll(name, fresh)
          .Run());
  Stmt s = tx.Prepare("SELECT value FROM secrets WHERE name=?1");
  s.BindAll(name);
  if (!s.Step()) return s.status().ok() ? Internal("secret missing") : s.status();
  return s.Text(0);
}

namespace {
Organiser OrganiserRow(const Stmt& s) { return Organiser{s.Int(0), s.Text(1), s.Text(2)}; }
}  // namespace

Result<Organiser> EnsureOrganiser(Tx& tx, const std::string& email, const std::string& name,
                                  int64_t now) {
  ASSIGN_OR_RETURN(auto found, FindOrganiserByEmail(tx, email));
  if (found) {
    if (!name.empty() && name != found->name) {
      RETURN_IF_ERROR(
          tx.Prepare("UPDATE organisers SET name=?1 WHERE id=?2").BindAll(name, found->id).Run());
      found->name = name;
    }
    return *found;
  }
  RETURN_IF_ERROR(tx.Prepare("INSERT INTO organisers(email, name, created_at) VALUES (?1, ?2, ?3)")
                      .BindAll(email, name, now)
                      .Run());
  return Organiser{tx.LastInsertId(), email, name};
}

Result<Organiser> GetOrganiser(Tx& tx, Id id) {
  Stmt s = tx.Prepare("SELECT id, email, name FROM organisers WHERE id=?1");
  s.BindAll(id);
  if (!s.Step()) return s.status().ok() ? NotFound("no such organiser") : s.status();
  return OrganiserRow(s);
}

Result<std::optional<Organiser>> FindOrganiserByEmail(Tx& tx, const std::string& email) {
  Stmt s = tx.Prepare("SELECT id, email, name FROM organisers WHERE email=?1");
  s.BindAll(email);
  if (!s.Step()) {
    RETURN_IF_ERROR(s.status());
    return std::optional<Organiser>();
  }
  return std::optional<Organiser>(OrganiserRow(s));
}

Status SetPasswordHash(Tx& tx, Id organiser_id, const std::string& hash) {
  return tx.Prepare("UPDATE organisers SET password_hash=?1 WHERE id=?2")
      .BindAll(hash, organiser_id)
      .Run();
}

Result<std::string> GetPasswordHash(Tx& tx, Id organiser_id) {
  Stmt s = tx.Prepare("SELECT coalesce(password_hash, '') FROM organisers WHERE id=?1");
  s.BindAll(organiser_id);
  if (!s.Step()) return s.status().ok() ? NotFound("no such organiser") : s.status();
  return s.Text(0);
}

Status InsertToken(Tx& tx, const std::string& hash, const TokenRow& r) {
  Stmt s = tx.Prepare(
      "INSERT INTO tokens(hash, kind, organiser_id, member_id, meeting_id, created_at, expires_at)"
      " VALUES (?1, ?2, nullif(?3, 0), nullif(?4, 0), nullif(?5, 0), ?6, nullif(?7, 0))");
  s.BindAll(hash, r.kind, r.organiser_id, r.member_id, r.meeting_id, r.created_at, r.expires_at);
  return s.Run();
}

Result<std::optional<TokenRow>> FindToken(Tx& tx, const std::string& hash, const std::string& kind,
                                          int64_t now) {
  Stmt s = tx.Prepare(
      "SELECT kind, coalesce(organiser_id,0), coalesce(member_id,0), coalesce(meeting_id,0),"
      " created_at, coalesce(expires_at,0) FROM tokens"
      " WHERE hash=?1 AND kind=?2 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > "
      "?3)");
  s.BindAll(hash, kind, now);
  if (!s.Step()) {
    RETURN_IF_ERROR(s.status());
    return std::optional<TokenRow>();
  }
  TokenRow r;
  r.kind = s.Text(0);
  r.organiser_id = s.Int(1);
  r.member_id = s.Int(2);
  r.meeting_id = s.Int(3);
  r.created_at = s.Int(4);
  r.expires_at = s.Int(5);
  return std::optional<TokenRow>(r);
}

Status RevokeToken(Tx& tx, const std::string& hash, int64_t now) {
  return tx.Prepare("UPDATE tokens SET revoked_at=?2 WHERE hash=?1 AND revoked_at IS NULL")
      .BindAll(hash, now)
      .Run();
}

Status RevokeMemberTokens(Tx& tx, Id member_id, const std::string& kind, int64_t now) {
  return tx
      .Prepare(
          "UPDATE tokens SET revoked_at=?3 WHERE member_id=?1 AND kind=?2 AND revoked_at IS NULL")
      .BindAll(member_id, kind, now)
      .Run();
}

}  // namespace convene::calendar::store
