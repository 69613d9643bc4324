#include "server/ops/secrets.h"

#include <sodium.h>

#include <cstdio>

namespace convene::server {

bool InitCrypto() { return sodium_init() >= 0; }

std::string NewSecret(const RandomSource& random) {
  unsigned char raw[32];
  random(raw, sizeof raw);
  char out[sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
  sodium_bin2base64(out, sizeof out, raw, sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  sodium_memzero(raw, sizeof raw);
  return out;
}

std::string Sha256Hex(std::string_view bytes) {
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
  char hex[crypto_hash_sha256_BYTES * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
  return hex;
}

std::string HashSecret(const std::string& secret) { return Sha256Hex(secret); }

std::string NewUuid(const RandomSource& random) {
  unsigned char b[16];
  random(b, sizeof b);
  b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);
  b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);
  char out[37];
  std::snprintf(out, sizeof out,
                "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
                b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
                b[15]);
  return out;
}

Result<std::string> IssueToken(calendar::store::Tx& tx, const RandomSource& random,
                               calendar::store::TokenRow row) {
  std::string secret = NewSecret(random);
  RETURN_IF_ERROR(calendar::store::InsertToken(tx, HashSecret(secret), row));
  return secret;
}

Result<calendar::Id> AuthenticateApiToken(calendar::store::Tx& tx, const std::string& token,
                                          int64_t now) {
  const Status denied(Code::kUnauthenticated,
                      "a valid API token is required (Authorization: Bearer ...)");
  if (token.size() != 43) return denied;
  ASSIGN_OR_RETURN(auto row, calendar::store::FindToken(tx, HashSecret(token), "api", now));
  if (!row) return denied;
  return row->organiser_id;
}

Result<std::string> LinkKey(calendar::store::Tx& tx, const RandomSource& random) {
  unsigned char raw[32];
  random(raw, sizeof raw);
  char hex[65];
  sodium_bin2hex(hex, sizeof hex, raw, sizeof raw);
  return calendar::store::GetOrCreateSecret(tx, "link_key", hex);
}

namespace {
void PutId(unsigned char* out, calendar::Id id) {
  for (int i = 5; i >= 0; --i) {
    out[i] = static_cast<unsigned char>(id & 0xff);
    id >>= 8;
  }
}
calendar::Id GetId(const unsigned char* in) {
  calendar::Id id = 0;
  for (int i = 0; i < 6; ++i) id = (id << 8) | in[i];
  return id;
}
}  // namespace

namespace {
// ids (6 + 6 bytes) + the first 20 bytes of HMAC-SHA-256(link key, msg).
void LinkBytes(unsigned char (&raw)[32], const std::string& link_key, calendar::Id meeting_id,
               calendar::Id member_id, const std::string& msg) {
  PutId(raw, meeting_id);
  PutId(raw + 6, member_id);
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_state st;
  crypto_auth_hmacsha256_init(&st, reinterpret_cast<const unsigned char*>(link_key.data()),
                              link_key.size());
  crypto_auth_hmacsha256_update(&st, reinterpret_cast<const unsigned char*>(msg.data()),
                                msg.size());
  crypto_auth_hmacsha256_final(&st, mac);
  std::copy(mac, mac + 20, raw + 12);
}

// LinkBytes, base64url.
std::string LinkToken(const std::string& link_key, calendar::Id meeting_id, calendar::Id member_id,
                      const std::string& msg) {
  unsigned char raw[32];
  LinkBytes(raw, link_key, meeting_id, member_id, msg);
  char out[sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
  sodium_bin2base64(out, sizeof out, raw, sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  return out;
}
}  // namespace

std::string ApologyToken(const std::string& link_key, calendar::Id meeting_id,
                         calendar::Id member_id, int64_t links_version) {
  return LinkToken(link_key, meeting_id, member_id,
                   "apology|" + std::to_string(meeting_id) + "|" + std::to_string(member_id) + "|" +
                       std::to_string(links_version));
}

std::string UnsubscribeToken(const std::string& link_key, calendar::Id member_id,
                             int64_t links_version) {
  return LinkToken(
      link_key, 0, member_id,
      "unsubscribe|" + std::to_string(member_id) + "|" + std::to_string(links_version));
}

std::optional<calendar::Id> DecodeUnsubscribeToken(const std::string& token) {
  auto ref = DecodeApologyToken(token);
  if (!ref || ref->meeting_id != 0) return std::nullopt;
  return ref->member_id;
}

bool UnsubscribeTokenValid(const std::string& link_key, const std::string& token,
                           const calendar::Member& member) {
  auto id = DecodeUnsubscribeToken(token);
  if (!id || *id != member.id) return false;
  return SecretsEqual(token, UnsubscribeToken(link_key, member.id, member.links_version));
}

std::string PageLinkToken(const std::string& link_key, calendar::Id member_id,
                          int64_t links_version, int64_t epoch) {
  return LinkToken(link_key, 0, member_id,
                   "page|" + std::to_string(member_id) + "|" + std::to_string(links_version) + "|" +
                       std::to_string(epoch));
}

bool PageLinkTokenValid(const std::string& link_key, const std::string& token,
                        const calendar::Member& member, int64_t epoch) {
  auto id = DecodeUnsubscribeToken(token);  // the same layout: meeting 0, the member
  if (!id || *id != member.id) return false;
  return SecretsEqual(token, PageLinkToken(link_key, member.id, member.links_version, epoch));
}

std::string FeedLinkToken(const std::string& link_key, calendar::Id member_id,
                          int64_t links_version, int64_t epoch) {
  return LinkToken(link_key, 0, member_id,
                   "feed|" + std::to_string(member_id) + "|" + std::to_string(links_version) + "|" +
                       std::to_string(epoch));
}

bool FeedLinkTokenValid(const std::string& link_key, const std::string& token,
                        const calendar::Member& member, int64_t epoch) {
  auto id = DecodeUnsubscribeToken(token);  // the same layout: meeting 0, the member
  if (!id || *id != member.id) return false;
  return SecretsEqual(token, FeedLinkToken(link_key, member.id, member.links_version, epoch));
}

std::optional<ApologyRef> DecodeApologyToken(const std::string& token) {
  if (token.size() != 43) return std::nullopt;
  unsigned char raw[32];
  size_t len = 0;
  if (sodium_base642bin(raw, sizeof raw, token.data(), token.size(), nullptr, &len, nullptr,
                        sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
      len != 32)
    return std::nullopt;
  return ApologyRef{GetId(raw), GetId(raw + 6)};
}

bool ApologyTokenValid(const std::string& link_key, const std::string& token,
                       const calendar::Member& member, calendar::Id meeting_id) {
  auto ref = DecodeApologyToken(token);
  if (!ref || ref->member_id != member.id || ref->meeting_id != meeting_id) return false;
  return SecretsEqual(token, ApologyToken(link_key, meeting_id, member.id, member.links_version));
}

namespace {
constexpr char kBase32[] = "abcdefghijklmnopqrstuvwxyz234567";
constexpr size_t kReplyTokenChars = 52;  // 32 bytes in base32, no padding

std::string Base32(const unsigned char* raw, size_t n) {
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (size_t i = 0; i < n; ++i) {
    acc = (acc << 8) | raw[i];
    bits += 8;
    while (bits >= 5) {
      out += kBase32[(acc >> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += kBase32[(acc << (5 - bits)) & 31];
  return out;
}

// Decodes exactly `n` bytes from lower- or upper-case base32; false on any other character or
// length, or non-zero padding bits (so each token has one spelling, up to case).
bool FromBase32(std::string_view text, unsigned char* raw, size_t n) {
  if (text.size() != (n * 8 + 4) / 5) return false;
  uint32_t acc = 0;
  int bits = 0;
  size_t out = 0;
  for (char c : text) {
    int v;
    if (c >= 'a' && c <= 'z')
      v = c - 'a';
    else if (c >= 'A' && c <= 'Z')
      v = c - 'A';
    else if (c >= '2' && c <= '7')
      v = c - '2' + 26;
    else
      return false;
    acc = (acc << 5) | static_cast<uint32_t>(v);
    bits += 5;
    if (bits >= 8) {
      if (out == n) return false;
      raw[out++] = static_cast<unsigned char>((acc >> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return out == n && (acc & ((1u << bits) - 1)) == 0;
}

std::string LowerToken(std::string_view token) {
  std::string s(token);
  for (char& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}
}  // namespace

std::string ReplyToken(const std::string& link_key, calendar::Id meeting_id, calendar::Id member_id,
                       int64_t links_version) {
  unsigned char raw[32];
  LinkBytes(raw, link_key, meeting_id, member_id,
            "reply|" + std::to_string(meeting_id) + "|" + std::to_string(member_id) + "|" +
                std::to_string(links_version));
  return Base32(raw, sizeof raw);
}

std::optional<ReplyRef> DecodeReplyToken(std::string_view token) {
  if (token.size() != kReplyTokenChars) return std::nullopt;
  unsigned char raw[32];
  if (!FromBase32(token, raw, sizeof raw)) return std::nullopt;
  const calendar::Id member = GetId(raw + 6);
  if (member == 0) return std::nullopt;
  return ReplyRef{GetId(raw), member};
}

bool ReplyTokenValid(const std::string& link_key, std::string_view token,
                     const calendar::Member& member, calendar::Id meeting_id) {
  auto ref = DecodeReplyToken(token);
  if (!ref || ref->member_id != member.id || ref->meeting_id != meeting_id) return false;
  return SecretsEqual(LowerToken(token),
                      ReplyToken(link_key, meeting_id, member.id, member.links_version));
}

Status ValidatePassword(const std::string& password) {
  size_t chars = 0;
  for (unsigned char c : password)
    if ((c >> 6) != 2) ++chars;
  if (chars < 12) return InvalidArgument("password", "password must be at least 12 characters");
  if (chars > 128) return InvalidArgument("password", "password must be at most 128 characters");
  return Status::Ok();
}

Result<std::string> HashPassword(const std::string& password) {
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str(out, password.data(), password.size(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                        crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
    return Status(Code::kUnavailable, "out of memory while hashing the password");
  return std::string(out);
}

bool VerifyPassword(const std::string& hash, const std::string& password) {
  if (hash.empty()) return false;
  return crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size()) == 0;
}

bool SecretsEqual(const std::string& a, const std::string& b) {
  if (a.size() != b.size() || a.empty()) return false;
  return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string FormToken(const std::string& key, const std::string& purpose,
                      const std::string& secret) {
  const std::string msg = purpose + "|" + secret;
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_state st;
  crypto_auth_hmacsha256_init(&st, reinterpret_cast<const unsigned char*>(key.data()), key.size());
  crypto_auth_hmacsha256_update(&st, reinterpret_cast<const unsigned char*>(msg.data()),
                                msg.size());
  crypto_auth_hmacsha256_final(&st, mac);
  char out[sodium_base64_ENCODED_LEN(sizeof mac, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
  sodium_bin2base64(out, sizeof out, mac, sizeof mac, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  return out;
}

}  // namespace convene::server
