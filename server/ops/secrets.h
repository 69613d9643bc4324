// Secrets: API tokens, capability tokens (feed, page, apology, unsubscribe) and passwords.
//
// Every secret is 256 random bits from libsodium, written base64url (43 characters). Only its
// SHA-256 (hex) is stored and looked up, so a stolen database holds no usable token and the
// lookup does not compare secrets byte by byte. Passwords use Argon2id (crypto_pwhash_str,
// interactive limits). Nothing here logs a secret. Thread-safe after InitCrypto().
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "calendar/model.h"
#include "calendar/status.h"
#include "calendar/store/store.h"
#include "notify/sources.h"

namespace convene::server {

// Calls sodium_init(); false if libsodium cannot start (then nothing else here may be used).
bool InitCrypto();

// The random source, injectable for tests: fills `n` bytes.
using notify::RandomSource;
using notify::SystemRandom;

std::string NewSecret(const RandomSource& random);  // 43 chars of base64url
std::string HashSecret(const std::string& secret);  // 64 hex chars: Sha256Hex(secret)
std::string NewUuid(const RandomSource& random);    // RFC 4122 v4, for iCalendar UIDs
// The SHA-256 of `bytes` in lowercase hex, 64 chars (token hashes, feed ETags).
std::string Sha256Hex(std::string_view bytes);

// Issues a token of `kind` in `row` inside the caller's transaction; returns the secret, which
// must be shown once and never stored.
Result<std::string> IssueToken(calendar::store::Tx& tx, const RandomSource& random,
                               calendar::store::TokenRow row);

// The organiser holding this API token, or kUnauthenticated.
Result<calendar::Id> AuthenticateApiToken(calendar::store::Tx& tx, const std::string& token,
                                          int64_t now);

// Apology links: /apologies/{token} for one member and one meeting. The token is 32 bytes,
// base64url: the meeting id and member id (6 bytes each) and a 20-byte HMAC-SHA-256 (keyed by
// the server's link key, over both ids and the member's links_version). So links can be put in
// feeds and mails without storing one row per (member, meeting), the same link comes out every
// time (feeds stay byte-identical), and bumping links_version revokes all of a member's links.
struct ApologyRef {
  calendar::Id meeting_id = 0;
  calendar::Id member_id = 0;
};
// The link key (32 random bytes, hex), created on first use.
Result<std::string> LinkKey(calendar::store::Tx& tx, const RandomSource& random);
std::string ApologyToken(const std::string& link_key, calendar::Id meeting_id,
                         calendar::Id member_id, int64_t links_version);
// Decodes the ids; the caller then loads the member and checks with ApologyToken (constant time).
std::optional<ApologyRef> DecodeApologyToken(const std::string& token);
bool ApologyTokenValid(const std::string& link_key, const std::string& token,
                       const calendar::Member& member, calendar::Id meeting_id);

// One-click unsubscribe links (RFC 8058) in notices: /unsubscribe/{token}. Same layout as an
// apology token with meeting id 0, but the MAC covers "unsubscribe|...", so neither kind of
// token passes for the other. Bumping links_version revokes them too.
std::string UnsubscribeToken(const std::string& link_key, calendar::Id member_id,
                             int64_t links_version);
// The member id the token claims (check it with UnsubscribeTokenValid), or nullopt.
std::optional<calendar::Id> DecodeUnsubscribeToken(const std::string& token);
bool UnsubscribeTokenValid(const std::string& link_key, const std::string& token,
                           const calendar::Member& member);

// A member's page link in notices (reminders): /m/{token}. Same layout as an unsubscribe token,
// the MAC over "page|member|links_version|epoch", so the link is derived, never stored. `epoch`
// is store::TokenEpoch(member, "page"): a new or revoked page link from the organiser ends every
// derived one, without touching the member's apology and unsubscribe links.
std::string PageLinkToken(const std::string& link_key, calendar::Id member_id,
                          int64_t links_version, int64_t epoch);
bool PageLinkTokenValid(const std::string& link_key, const std::string& token,
                        const calendar::Member& member, int64_t epoch);

// A member's calendar link shown on their page: /feeds/members/{token}.ics. Same layout as a page
// link token, the MAC over "feed|member|links_version|epoch" with `epoch` =
// store::TokenEpoch(member, "feed"), so the page can show it on every visit although only hashes
// of issued tokens are stored. Any new or revoked feed link (the member's "new calendar link", the
// API's feed-token calls) raises the epoch and ends it; removing the member (links_version) too.
std::string FeedLinkToken(const std::string& link_key, calendar::Id member_id,
                          int64_t links_version, int64_t epoch);
bool FeedLinkTokenValid(const std::string& link_key, const std::string& token,
                        const calendar::Member& member, int64_t epoch);

// Reply addresses of invitations (iMIP REPLY, docs/api.md "Replies from calendars"):
// reply+<token>@<reply domain>. The token is 52 characters of lower-case base32 (RFC 4648
// alphabet, no padding) of the same 32-byte layout as an apology token (meeting id, member id,
// 20 bytes of HMAC-SHA-256 with the link key), the MAC covering "reply|meeting|member|
// links_version". Lower case because mail systems may fold the case of a local part; decoding
// folds it back. Meeting id 0: a whole-series invitation (the reply's RECURRENCE-ID decides the
// meeting). Bumping links_version revokes them with the member's other links.
struct ReplyRef {
  calendar::Id meeting_id = 0;  // 0: a whole series
  calendar::Id member_id = 0;
};
std::string ReplyToken(const std::string& link_key, calendar::Id meeting_id, calendar::Id member_id,
                       int64_t links_version);
// The ids the token claims (check them with ReplyTokenValid), or nullopt when it is not one.
std::optional<ReplyRef> DecodeReplyToken(std::string_view token);
bool ReplyTokenValid(const std::string& link_key, std::string_view token,
                     const calendar::Member& member, calendar::Id meeting_id);

// Argon2id. Passwords must be 12..128 characters (ASVS 2.1: no composition rules).
Status ValidatePassword(const std::string& password);
Result<std::string> HashPassword(const std::string& password);
bool VerifyPassword(const std::string& hash, const std::string& password);

// Constant-time comparison of two strings (CSRF tokens).
bool SecretsEqual(const std::string& a, const std::string& b);

// An anti-CSRF form token: base64url(HMAC-SHA-256(key, purpose "|" secret)), e.g. purpose
// "session" and the session token's hash, so the token needs no storage, differs per session and
// dies with it. Compare with SecretsEqual.
std::string FormToken(const std::string& key, const std::string& purpose,
                      const std::string& secret);

}  // namespace convene::server
