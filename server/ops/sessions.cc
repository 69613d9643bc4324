// Organiser passwords, login sessions with throttling, server keys and form tokens.
#include <sodium.h>

#include <semaphore>

#include "server/http/links.h"
#include "server/ops/operations.h"

namespace convene::server {

using namespace calendar;  // NOLINT: the domain vocabulary
namespace st = calendar::store;

namespace {

// Argon2id (interactive) needs 64 MiB and ~0.1 s per check: at most two at once, so a burst of
// logins cannot take the memory of every worker thread.
std::counting_semaphore<2> g_password_checks(2);

struct PasswordCheckSlot {
  PasswordCheckSlot() { g_password_checks.acquire(); }
  ~PasswordCheckSlot() { g_password_checks.release(); }
};

// A hash to verify against when the email is unknown, so both failures cost the same time.
const std::string& DummyHash() {
  static const std::string hash = [] {
    auto h = HashPassword("convene-dummy-password-for-timing");
    return h.ok() ? *h : std::string();
  }();
  return hash;
}

}  // namespace

Status Operations::LoadKeys() {
  ASSIGN_OR_RETURN(st::Tx tx, db_.Write());
  ASSIGN_OR_RETURN(link_key_, LinkKey(tx, random_));
  unsigned char raw[32];
  random_(raw, sizeof raw);
  char hex[65];
  sodium_bin2hex(hex, sizeof hex, raw, sizeof raw);
  ASSIGN_OR_RETURN(form_key_, st::GetOrCreateSecret(tx, "form_key", hex));
  return tx.Commit();
}

std::string Operations::FormToken(const std::string& purpose, const std::string& secret) const {
  return server::FormToken(form_key_, purpose, secret);
}

Status Operations::SetPassword(const std::string& email_in, const std::string& password) {
  ASSIGN_OR_RETURN(std::string email, CleanEmail(email_in, "organiser"));
  RETURN_IF_ERROR(ValidatePassword(password));
  std::string hash;
  {
    PasswordCheckSlot slot;
    ASSIGN_OR_RETURN(hash, HashPassword(password));
  }
  ASSIGN_OR_RETURN(st::Tx tx, db_.Write());
  ASSIGN_OR_RETURN(Organiser o, st::EnsureOrganiser(tx, email, "", clock_()));
  RETURN_IF_ERROR(st::SetPasswordHash(tx, o.id, hash));
  RETURN_IF_ERROR(
      st::RevokeOrganiserSessions(tx, o.id, clock_()));  // a new password ends every session
  return tx.Commit();
}

Result<Session> Operations::Login(const std::string& email_in, const std::string& password,
                                  const std::string& client_address) {
  const Status denied(Code::kUnauthenticated, "that email and password do not match");
  const Status throttled(Code::kRateLimited,
                         "too many failed logins; wait 15 minutes and try again");
  if (email_in.size() > 254 || password.size() > 1024) return denied;
  // Two limits (issue 8): failures for this email from this address, and failures of any kind
  // from this address. The first is keyed by both, so failures from one address never lock the
  // organiser out when they log in from another; the address is the real client's (a trusted
  // proxy's X-Real-IP), so visitors behind nginx are not one address. Guessing one password
  // from many addresses meets Argon2id and a 12-character minimum instead.
  const std::string addr = client_address.substr(0, 64);
  const std::string email_key = "email:" + calendar::LowerAscii(email_in) + " from " + addr;
  const std::string addr_key = "addr:" + addr;
  const int64_t now = clock_();
  const int64_t since = now - limits_.window_seconds;
  {
    // Count and reserve in one write transaction: parallel attempts are serialised here, so 60
    // at once get no more password checks than the limit allows. The reservation is recorded
    // as a failure now and taken back below if the password is right.
    ASSIGN_OR_RETURN(st::Tx tx, db_.Write());
    ASSIGN_OR_RETURN(int by_email, st::CountLoginFailures(tx, email_key, since));
    ASSIGN_OR_RETURN(int by_addr, st::CountLoginFailures(tx, addr_key, since));
    if (by_email >= limits_.failures_per_email || by_addr >= limits_.failures_per_address)
      return throttled;
    RETURN_IF_ERROR(st::RecordLoginFailure(tx, email_key, now, since));
    RETURN_IF_ERROR(st::RecordLoginFailure(tx, addr_key, now, since));
    RETURN_IF_ERROR(tx.Commit());
  }
  std::optional<Organiser> organiser;
  std::string hash;
  auto email = CleanEmail(email_in, "email");
  if (email.ok()) {
    ASSIGN_OR_RETURN(st::Tx tx, db_.Read());
    ASSIGN_OR_RETURN(organiser, st::FindOrganiserByEmail(tx, *email));
    if (organiser) {
      ASSIGN_OR_RETURN(hash, st::GetPasswordHash(tx, organiser->id));
    }
  }
  bool good = false;
  {
    PasswordCheckSlot slot;
    good = VerifyPassword(hash.empty() ? DummyHash() : hash, password) && !hash.empty();
  }
  if (!good) return denied;  // the reservation above stays as the failure
  ASSIGN_OR_RETURN(st::Tx tx, db_.Write());
  if (crypto_pwhash_str_needs_rehash(hash.c_str(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                                     crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
    PasswordCheckSlot slot;
    auto fresh = HashPassword(password);
    if (fresh.ok()) RETURN_IF_ERROR(st::SetPasswordHash(tx, organiser->id, *fresh));
  }
  RETURN_IF_ERROR(st::ClearLoginFailures(tx, email_key));
  RETURN_IF_ERROR(st::ForgetLoginFailure(tx, addr_key, now));
  st::TokenRow row;
  row.kind = "session";
  row.organiser_id = organiser->id;
  row.created_at = now;
  row.expires_at = now + limits_.session_seconds;
  Session out;
  ASSIGN_OR_RETURN(out.token, IssueToken(tx, random_, row));
  RETURN_IF_ERROR(tx.Commit());
  out.organiser = *organiser;
  out.expires_at = row.expires_at;
  return out;
}

Result<Session> Operations::ChangePassword(Id organiser, const std::string& current,
                                           const std::string& fresh,
                                           const std::string& client_address) {
  Organiser o;
  {
    ASSIGN_OR_RETURN(st::Tx tx, db_.Read());
    ASSIGN_OR_RETURN(o, st::GetOrganiser(tx, organiser));
  }
  RETURN_IF_ERROR(ValidatePassword(fresh));
  auto checked = Login(o.email, current, client_address);
  if (!checked.ok())
    return checked.status().code() == Code::kUnauthenticated
               ? InvalidArgument("current", "your current password is not right")
               : checked.status();
  RETURN_IF_ERROR(SetPassword(o.email, fresh));  // ends every session, the check's too
  return Login(o.email, fresh, client_address);
}

namespace {

constexpr int64_t kResetSeconds = 3600;

Status ResetLinkInvalid() {
  return Status(Code::kNotFound,
                "this password link does not work: it was used, replaced by a newer one, or is "
                "over an hour old. Ask for a new one from the login page.",
                "", "invalid_link");
}

}  // namespace

Status Operations::RequestPasswordReset(const std::string& email_in,
                                        const std::string& client_address) {
  auto email = CleanEmail(email_in, "email");
  if (!email.ok()) return email.status();  // a typo the person can see and fix
  const int64_t now = clock_();
  const int64_t since = now - limits_.window_seconds;
  const std::string email_key = "reset-email:" + LowerAscii(*email);
  const std::string addr_key = "reset-addr:" + client_address.substr(0, 64);
  ASSIGN_OR_RETURN(st::Tx tx, db_.Write());
  ASSIGN_OR_RETURN(int by_email, st::CountLoginFailures(tx, email_key, since));
  ASSIGN_OR_RETURN(int by_addr, st::CountLoginFailures(tx, addr_key, since));
  RETURN_IF_ERROR(st::RecordLoginFailure(tx, email_key, now, since));
  RETURN_IF_ERROR(st::RecordLoginFailure(tx, addr_key, now, since));
  ASSIGN_OR_RETURN(std::optional<Organiser> o, st::FindOrganiserByEmail(tx, *email));
  if (o && reset_hook_ && by_email < 3 && by_addr < 10) {
    RETURN_IF_ERROR(st::EndPasswordResets(tx, o->id, now));
    const std::string token = NewSecret(random_);
    RETURN_IF_ERROR(
        st::InsertPasswordReset(tx, HashSecret(token), o->id, now, now + kResetSeconds));
    RETURN_IF_ERROR(reset_hook_(tx, *o, links::PasswordReset(base_url_, token), now));
  }
  return Commit(tx);
}

Result<Organiser> Operations::PasswordResetLink(const std::string& token) {
  if (token.size() != 43) return ResetLinkInvalid();
  ASSIGN_OR_RETURN(st::Tx tx, db_.Read());
  ASSIGN_OR_RETURN(std::optional<Id> id, st::FindPasswordReset(tx, HashSecret(token), clock_()));
  if (!id) return ResetLinkInvalid();
  return st::GetOrganiser(tx, *id);
}

Result<Session> Operations::ResetPassword(const std::string& token, const std::string& password,
                                          const std::string& client_address) {
  ASSIGN_OR_RETURN(Organiser o, PasswordResetLink(token));
  RETURN_IF_ERROR(ValidatePassword(password));
  std::string hash;
  {
    PasswordCheckSlot slot;
    ASSIGN_OR_RETURN(hash, HashPassword(password));
  }
  {
    // The link is checked again inside the write: of two tabs racing with one link, one wins.
    const int64_t now = clock_();
    ASSIGN_OR_RETURN(st::Tx tx, db_.Write());
    ASSIGN_OR_RETURN(std::optional<Id> id, st::FindPasswordReset(tx, HashSecret(token), now));
    if (!id || *id != o.id) return ResetLinkInvalid();
    RETURN_IF_ERROR(st::SetPasswordHash(tx, o.id, hash));
    RETURN_IF_ERROR(st::RevokeOrganiserSessions(tx, o.id, now));
    RETURN_IF_ERROR(st::EndPasswordResets(tx, o.id, now));
    RETURN_IF_ERROR(st::ClearLoginFailures(tx, "email:" + LowerAscii(o.email)));
    RETURN_IF_ERROR(Commit(tx));
  }
  return Login(o.email, password, client_address);
}

Result<Organiser> Operations::AuthenticateSession(const std::string& session_token) {
  const Status denied(Code::kUnauthenticated, "please log in");
  if (session_token.size() != 43) return denied;
  ASSIGN_OR_RETURN(st::Tx tx, db_.Read());
  ASSIGN_OR_RETURN(auto row, st::FindToken(tx, HashSecret(session_token), "session", clock_()));
  if (!row) return denied;
  return st::GetOrganiser(tx, row->organiser_id);
}

Status Operations::Logout(const std::string& session_token) {
  if (session_token.size() != 43) return Status::Ok();
  ASSIGN_OR_RETURN(st::Tx tx, db_.Write());
  ASSIGN_OR_RETURN(auto row, st::FindToken(tx, HashSecret(session_token), "session", clock_()));
  if (!row) return Status::Ok();
  RETURN_IF_ERROR(st::RevokeToken(tx, HashSecret(session_token), clock_()));
  return tx.Commit();
}

}  // namespace convene::server
