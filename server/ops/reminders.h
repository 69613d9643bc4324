// Reminders before meetings (issue 11): `reminder_days` before each scheduled meeting, at the
// wall-clock time it starts, every member who has not sent apologies gets one reminder, and the
// organiser one digest ("12 expected, 3 apologies, quorum 5: at risk").
//
// A background job, not a use case: App's maintenance thread calls QueueDueReminders every 30 s.
// Each reminder's outbox row and its mark (table `reminders`) are written in one transaction, so
// a reminder is queued once even if the process dies at any point; cancelled or started meetings
// get none; a meeting created, moved or reinstated inside the window gets its reminders at the
// next run. Threads: call from one thread at a time (the maintenance thread).
#pragma once

#include <cstdint>

#include "calendar/status.h"
#include "calendar/store/db.h"
#include "server/ops/change_notices.h"

namespace convene::server {

struct ReminderCounts {
  int meetings = 0;   // meetings whose reminders fell due in this run
  int reminders = 0;  // member reminders queued
  int digests = 0;    // organiser digests queued
};

// Queues every reminder due at `now` and not queued before, in one transaction (at most
// `max_meetings` meetings per call; the rest wait for the next).
Result<ReminderCounts> QueueDueReminders(calendar::store::Db& db, int64_t now,
                                         const NoticeContext& ctx, int max_meetings = 200);

}  // namespace convene::server
