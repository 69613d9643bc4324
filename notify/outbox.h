// The outbox: notices as rows of the `outbox` table (migration 2), the mail queue's only state.
//
// A row is written in the same transaction as the change it reports (notices.h), so a notice
// exists if and only if its change committed. Its life:
//   queued --claim (lease)--> send --250 to DATA--> sent
//          \--4xx / dropped--> queued again at next_attempt_at (Retry)
//          \--5xx or lifetime over--> failed
//   queued (never attempted, window open) --later edit undoes it--> superseded
// A row leaves `queued` only after the relay answered 250 to DATA (RFC 5321 6.1, hardening.md
// 1.1). A claim leases the row until `lease_until`; a process that dies mid-send leaves the lease
// to expire, and the next claim takes the row again with the same Message-ID, so duplicates are
// bounded by the rows leased at the crash. `attempts` counts claims.
//
// Every function runs inside the caller's transaction (Write() for changes); nothing here opens
// one. Rows carry group_id (no foreign keys: a queued notice outlives the group it was about).
// Threads: as for Tx.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "calendar/model.h"
#include "calendar/status.h"
#include "calendar/store/db.h"

namespace convene::notify {

// The kinds of notice (outbox.kind; GET /api/v1/outbox shows them, docs/api.md).
namespace kinds {
inline constexpr const char* kMeetingChange = "meeting_change";
inline constexpr const char* kSeriesChange = "series_change";
inline constexpr const char* kApologies = "apologies";
inline constexpr const char* kQuorumAtRisk = "quorum_at_risk";
inline constexpr const char* kWelcome = "welcome";
inline constexpr const char* kReminder = "reminder";
inline constexpr const char* kReminderDigest = "reminder_digest";
inline constexpr const char* kCalendarSync = "calendar_sync";
// A member's own notices: they stop when the member unsubscribes or leaves (SupersedeQueuedTo).
// The organiser's (apologies, quorum warnings, digests) do not.
inline constexpr std::array<const char*, 5> kMembersOwn = {kMeetingChange, kSeriesChange, kReminder,
                                                           kWelcome, kCalendarSync};
// The change notices, which wait in a coalescing window (CloseWindowsTo).
inline constexpr std::array<const char*, 2> kCoalesced = {kMeetingChange, kSeriesChange};
}  // namespace kinds

using calendar::Id;
using calendar::store::Tx;

enum class OutboxStatus { kQueued, kSent, kFailed, kSuperseded };
const char* OutboxStatusName(OutboxStatus s);  // "queued" | "sent" | "failed" | "superseded"
std::optional<OutboxStatus> ParseOutboxStatus(std::string_view s);

struct NewOutboxRow {
  Id group_id = 0;
  Id meeting_id = 0;  // 0: not about a meeting (welcome)
  // meeting_change | series_change | apologies | quorum_at_risk | welcome | reminder |
  // reminder_digest | calendar_sync | password_reset
  std::string kind;
  std::string coalesce_key;   // empty: never coalesced
  std::string recipient;      // addr-spec (RCPT TO)
  std::string subject;        // plain UTF-8, for the outbox listing
  std::string message_id;     // "<...>", unique
  std::string bounce_domain;  // envelope sender becomes bounces+<id>@bounce_domain
  std::string body;           // the RFC 5322 bytes
  std::string before_state;   // JSON snapshot the recipient last heard of (coalescing)
  std::string after_state;    // JSON snapshot the notice describes
  int64_t due_at = 0;         // first attempt; the coalescing window closes here
};
// Inserts a queued row; returns its id.
Result<int64_t> Enqueue(Tx& tx, const NewOutboxRow& row, int64_t now);

// A queued row that a later edit may still fold into: never attempted and due in the future.
struct PendingRow {
  int64_t id = 0;
  std::string message_id;
  std::string before_state;
  int64_t due_at = 0;
  std::string after_state;
};
Result<std::optional<PendingRow>> FindCoalescable(Tx& tx, const std::string& coalesce_key,
                                                  int64_t now);
// Replaces the content of a coalescable row (same id, Message-ID and due time).
Status UpdatePending(Tx& tx, int64_t id, const std::string& subject, const std::string& body,
                     const std::string& after_state, int64_t now);
// The edits in the window cancelled out: the row will never be sent.
Status Supersede(Tx& tx, int64_t id, int64_t now);
// The member's own notices (kinds::kMembersOwn) to
// `recipient` (any case) in the group that are still queued and not in flight (no live lease at
// `now`) will never be sent: the member unsubscribed or left. `reason` becomes the row's
// last_error. Returns how many rows it stopped.
Result<int> SupersedeQueuedTo(Tx& tx, Id group_id, const std::string& recipient,
                              const std::string& reason, int64_t now);
// The change notices (kinds::kCoalesced) to `recipient` (any case) in the group that
// still wait in their coalescing window become due at `now` and are no longer coalesced: the
// member's delivery changed, and the calendar objects queued for it describe the meetings as
// they are now, so a later edit that undid a waiting notice must tell them again rather than
// withdraw it. Returns how many rows it moved.
Result<int> CloseWindowsTo(Tx& tx, Id group_id, const std::string& recipient, int64_t now);
// True when a row of `kind` for the meeting exists and was not superseded (quorum warnings go
// out once).
Result<bool> HasNotice(Tx& tx, Id meeting_id, const std::string& kind);

// ---- the worker's side ----
struct ClaimedRow {
  int64_t id = 0;
  std::string message_id;
  std::string envelope_from;
  std::string recipient;
  std::string body;
  int attempts = 0;  // including this one
  int64_t created_at = 0;
};
// Leases up to `limit` due rows (queued, next_attempt_at <= now, no live lease) until
// now + lease_seconds, oldest due first, and counts the attempt.
Result<std::vector<ClaimedRow>> ClaimDue(Tx& tx, int64_t now, int limit, int64_t lease_seconds);
// The relay took it (250 to DATA).
Status MarkSent(Tx& tx, int64_t id, int64_t now);
// A transient failure: try again at `next_attempt_at`.
Status Retry(Tx& tx, int64_t id, int64_t next_attempt_at, const std::string& error);
// A permanent failure (5xx) or the lifetime ran out.
Status MarkFailed(Tx& tx, int64_t id, int64_t now, const std::string& error);
// Gives back a claimed row that was not attempted (the relay was paused); uncounts the claim.
Status Release(Tx& tx, int64_t id);
// The earliest time a queued row becomes claimable (due and unleased), or nullopt.
Result<std::optional<int64_t>> NextClaimableAt(Tx& tx);

// ---- listing: GET /api/v1/outbox ----
struct OutboxEntry {
  int64_t id = 0;
  Id group_id = 0;
  Id meeting_id = 0;
  std::string kind;
  std::string to;
  std::string subject;
  std::string status;  // queued | sent | failed | superseded
  int attempts = 0;
  std::optional<int64_t> next_attempt_at;  // queued rows only
  std::string last_error;                  // the relay's last answer, for failed/retrying rows
  int64_t created_at = 0;
  std::optional<int64_t> sent_at;
};
// Rows of the given groups (the caller's own), newest first; `status` filters when set.
Result<std::vector<OutboxEntry>> ListOutbox(Tx& tx, const std::vector<Id>& group_ids,
                                            std::optional<OutboxStatus> status, int limit = 500);

// The group's addresses whose latest failed notice has no later successful one: lower-cased
// address -> the relay's last answer. (A member whose mailbox is gone learns of nothing.)
Result<std::map<std::string, std::string>> FailingRecipients(Tx& tx, Id group_id);

struct OutboxCounts {
  int64_t queued = 0, sent = 0, failed = 0, superseded = 0;
  int64_t leased = 0;            // queued rows whose lease is live at `now`: in flight
  int64_t oldest_queued_at = 0;  // created_at of the oldest queued row; 0 when none is queued
};
Result<OutboxCounts> CountOutbox(Tx& tx, int64_t now);

}  // namespace convene::notify
