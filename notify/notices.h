// Notices: the entry points the server's operations call inside their write transaction.
//
// Each call composes one notice per recipient and writes it to the outbox in the caller's
// transaction, so notices commit (or roll back) with the change; nothing here talks to a relay.
// After the commit the caller wakes the Worker.
//
// Coalescing: a notice is due `delay_seconds` after the first edit. Until then, a later edit of
// the same meeting rewrites the recipient's queued row (same row, same Message-ID) to state the
// net change from the snapshot the recipient last heard of (kept in the row) to the newest one;
// when the edits cancel out, the row is superseded and nothing is sent. A row already attempted
// is never rewritten: a later edit queues a new notice from where that one left off.
//
// Recipients: members with an email who have not unsubscribed, plus presenters (members or not)
// with an email named before or after the change. A recipient whose address cannot be used is
// skipped with a warning in the log; it never fails the organiser's change.
//
// Threads: as for Tx. The RandomSource must be thread-safe (libsodium's is).
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "calendar/status.h"
#include "calendar/store/db.h"
#include "notify/change.h"
#include "notify/compose.h"
#include "notify/outbox.h"
#include "notify/sources.h"

namespace convene::notify {

struct NoticeOptions {
  std::string base_url;        // public origin for links, no trailing slash
  int64_t delay_seconds = 60;  // the coalescing window (--notice-delay)
  std::string bounce_domain;   // VERP return path domain; empty: the domain of the From
  RandomSource random;         // Message-IDs; empty: libsodium
};

// "<32 hex characters@domain>".
std::string NewMessageId(const RandomSource& random, const std::string& domain);

struct QueueCounts {
  int queued = 0;      // new rows
  int updated = 0;     // pending rows rewritten with the newer net change
  int superseded = 0;  // pending rows whose edits cancelled out
  int skipped = 0;     // recipients with unusable addresses
};

// Who hears of a meeting change, and how. Decided here once and followed by QueueMeetingChange,
// so the organiser's preview (server/ops/change_notices.h PlanChangeNotices) and the queued rows
// cannot disagree. Reads the outbox (pending rows of the coalescing window); writes nothing.
enum class PlannedAction {
  kQueue,     // a new notice
  kUpdate,    // the recipient's notice still waiting in its window is rewritten to the net change
  kWithdraw,  // the edits cancel out for the recipient: that waiting notice is superseded
};
struct PlannedNotice {
  Recipient to;  // member_id 0: a presenter who is not a member
  PlannedAction action = PlannedAction::kQueue;
  std::optional<PendingRow> pending;  // kUpdate and kWithdraw
  MeetingSnapshot before;             // what the recipient last heard of
};
struct MeetingChangePlan {
  std::vector<PlannedNotice> notices;   // one per address (members first), in queueing order
  std::vector<Recipient> unsubscribed;  // members not told: they unsubscribed
  std::vector<Recipient> no_address;    // members and presenters without an email
};
Result<MeetingChangePlan> PlanMeetingChange(calendar::store::Tx& tx, const MeetingChange& change,
                                            int64_t now);

// Follows PlanMeetingChange: composes and writes each planned notice (a recipient whose address
// turns out unusable is skipped and counted).
Result<QueueCounts> QueueMeetingChange(calendar::store::Tx& tx, const MeetingChange& change,
                                       const NoticeOptions& options, int64_t now);

// A series change: one notice per member (unsubscribed ones and those without an address are
// left out), coalesced per series and member in the same window as meeting changes; a change
// that undoes a waiting one withdraws it. Presenters are not told here (their meetings' own
// notices tell them).
struct SeriesChangePlan {
  struct Notice {
    Recipient to;
    PlannedAction action = PlannedAction::kQueue;
    std::optional<PendingRow> pending;
    std::vector<std::string> summary;             // every change folded in
    std::vector<SeriesChange::Touched> meetings;  // the net change
  };
  std::vector<Notice> notices;
  std::vector<Recipient> unsubscribed;
  std::vector<Recipient> no_address;
};
Result<SeriesChangePlan> PlanSeriesChange(calendar::store::Tx& tx, const SeriesChange& change,
                                          int64_t now);
Result<QueueCounts> QueueSeriesChange(calendar::store::Tx& tx, const SeriesChange& change,
                                      const NoticeOptions& options, int64_t now);

// One reminder to one member (kind "reminder"), due at once, never coalesced. The caller marks it
// sent in the same transaction (store::MarkReminder), so it is queued once.
Result<QueueCounts> QueueReminder(calendar::store::Tx& tx, const Reminder& reminder,
                                  const Recipient& to, const NoticeOptions& options, int64_t now);
// The organiser's digest (kind "reminder_digest"), due at once.
Result<QueueCounts> QueueReminderDigest(calendar::store::Tx& tx, const ReminderDigest& digest,
                                        const NoticeOptions& options, int64_t now);

// Tells the organiser of apologies (coalesced like meeting changes) and, once per meeting, when
// they push the forecast below the quorum (withdrawn within the window: not sent).
Result<QueueCounts> QueueApologies(calendar::store::Tx& tx, const ApologiesChange& change,
                                   const NoticeOptions& options, int64_t now);

// A member's calendar sync (kind "calendar_sync"): one notice per item, each with its iTIP part
// (an item whose object cannot be rendered is skipped with a warning: without it the notice has
// no point). Due after the coalescing window like change notices, and coalesced per UID and
// address: a sync of the same UID still waiting (a member who switched to invitations and back
// inside the window) is rewritten to the newer one. Nothing for an unsubscribed member or one
// without an address.
Result<QueueCounts> QueueCalendarSync(calendar::store::Tx& tx, const CalendarSync& sync,
                                      const NoticeOptions& options, int64_t now);

// Welcomes a new member with their links; due at once.
Result<QueueCounts> QueueWelcome(calendar::store::Tx& tx, const Welcome& welcome,
                                 const NoticeOptions& options, int64_t now);

// The "forgot your password" link to an organiser; due at once. Kept out of every group's
// outbox listing (group 0): it is the organiser's own business.
Result<QueueCounts> QueuePasswordReset(calendar::store::Tx& tx, const PasswordReset& reset,
                                       const NoticeOptions& options, int64_t now);

// The JSON form of a snapshot kept in outbox rows (before_state / after_state).
std::string SnapshotJson(const MeetingSnapshot& s);
Result<MeetingSnapshot> ParseSnapshotJson(const std::string& json);

}  // namespace convene::notify
