// Composition: (change, snapshots, recipient, links) -> Message. Pure: no I/O, no clock, no
// randomness (the Date and the Message-ID come in through ComposeEnv), so every notice is exact
// in tests. Each notice says what changed from what to what, and links to the meeting page
// (`{base_url}/meetings/{id}`) and the recipient's own page and apology link when given.
//
// The iMIP part is not composed here: notices.cc attaches the VCALENDAR that
// calendar/ical.h renders. Text is plain UTF-8; rfc5322.h makes it safe for the wire.
// Thread-safe.
#pragma once

#include <string>
#include <vector>

#include "notify/change.h"
#include "notify/message.h"

namespace convene::notify {

struct ComposeEnv {
  std::string base_url;    // public origin, no trailing slash
  int64_t now = 0;         // Unix seconds: the Date header
  std::string message_id;  // "<...@...>"
};

// "Monday 12 July 2010, 10:30 to 12:00".
std::string FormatWhen(const calendar::LocalDateTime& start, int duration_minutes);
// "Monday 12 July 2010".
std::string FormatDay(const calendar::CivilDate& d);
// "Old Hall, 1 High Street, AB1 2CD" (empty parts left out).
std::string FormatVenue(const VenueRef& v);
std::string MeetingPageUrl(const std::string& base_url, Id meeting_id);

// The net change from `before` (the snapshot the recipient last heard of: the first edit's, when
// several coalesce) to `change.after`, for one recipient (a member, or a presenter named in
// either snapshot). Callers skip recipients for whom before == after.
Message ComposeMeetingChange(const MeetingChange& change, const MeetingSnapshot& before,
                             const Recipient& to, const ComposeEnv& env);

// The whole of a series change for one member: the summary sentences, then every meeting it
// touched as it now is (cancelled and added ones named so). `meetings` are the net changes
// (after coalescing); `summary` the sentences of every change folded in.
Message ComposeSeriesChange(const SeriesChange& change, const std::vector<std::string>& summary,
                            const std::vector<SeriesChange::Touched>& meetings, const Recipient& to,
                            const ComposeEnv& env);

// A map search for the venue (OpenStreetMap), for notices: "" when the venue has no address.
std::string MapUrl(const VenueRef& v);

// To one member, `reminder_days` before the meeting: when, where (address, map link, access
// notes), presenters, agenda, the apology link and their page.
Message ComposeReminder(const Reminder& reminder, const Recipient& to, const ComposeEnv& env);
// To the organiser at the same time: "12 expected, 3 apologies, quorum 5: at risk".
Message ComposeReminderDigest(const ReminderDigest& digest, const ComposeEnv& env);

// To the organiser: apologies added (and withdrawn) between `before` and change.after.
Message ComposeApologies(const ApologiesChange& change, const std::vector<ApologyRef>& before,
                         const ComposeEnv& env);

// To the organiser, once per meeting: the forecast fell below the quorum.
Message ComposeQuorumAtRisk(const ApologiesChange& change, const ComposeEnv& env);

// One object of a member's calendar sync: the invitation that puts a series or a single meeting
// in their calendar (kStart, kNew), updates or cancels a single meeting (kChanged), or the
// cancellation that takes it out again since their feed shows it (kStop), with the meetings it
// brings. The iTIP part is attached by notices.cc.
Message ComposeCalendarSync(const CalendarSync& sync, const CalendarSync::Item& item,
                            const ComposeEnv& env);

// To a new member: the feed link, the member page and the apology link.
Message ComposeWelcome(const Welcome& welcome, const ComposeEnv& env);

// An organiser asked for a new password: the one-time link, and what to do if they did not ask.
struct PasswordReset {
  Address organiser;
  std::string url;  // {base_url}/login/reset/{token}
  int valid_minutes = 60;
};
Message ComposePasswordReset(const PasswordReset& reset, const ComposeEnv& env);

}  // namespace convene::notify
