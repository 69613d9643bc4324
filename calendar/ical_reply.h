// Reading an iTIP REPLY (RFC 5546 3.2.3) that a member's calendar sent back to an invitation:
// the one place that parses iCalendar coming from outside (calendar/ical.h only writes it).
//
// The bytes come from anyone who can send mail, so the reader is small, strict and bounded, and
// does not hand them to libical: content lines are unfolded and split here (RFC 5545 3.1, 3.2),
// with limits on size, lines, line length, nesting and events, and anything unexpected is an
// InvalidArgument that says what (for one log line), never a crash. Exactly one VCALENDAR with
// exactly one METHOD, which must be REPLY. From each VEVENT only what a reply needs is kept: UID,
// RECURRENCE-ID, SEQUENCE, the ATTENDEEs with their PARTSTAT, and COMMENT. Whether the values
// are true (whose token, which member, which meeting) is the caller's business
// (server/ops/replies.h).
//
// Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "calendar/civil.h"
#include "calendar/status.h"

namespace convene::calendar {

// A RECURRENCE-ID as written: clients echo ours (TZID=Europe/London), or rewrite it in UTC, or
// under their own zone name (Outlook: "GMT Standard Time" with its own VTIMEZONE).
struct ReplyTime {
  LocalDateTime local;     // the wall clock written (UTC when `utc`)
  int seconds = 0;         // 0..60; meetings never start off the minute
  bool date_only = false;  // VALUE=DATE
  bool utc = false;        // the value ends in Z
  std::string tzid;        // the TZID parameter, empty when none
};

struct ReplyAttendee {
  std::string email;     // the CAL-ADDRESS without "mailto:", as written (compare with LowerAscii)
  std::string partstat;  // upper-case, e.g. ACCEPTED, DECLINED, TENTATIVE; empty when absent
};

struct ReplyEvent {
  std::string uid;
  std::optional<ReplyTime> recurrence_id;
  int sequence = 0;  // absent: 0 (RFC 5545 3.8.7.4)
  std::vector<ReplyAttendee> attendees;
  // COMMENT, unescaped (several are joined by a line break); any text at all: clean it before
  // storing or showing it.
  std::string comment;
};

struct ItipReply {
  std::vector<ReplyEvent> events;  // in the order written; at least one
};

struct ReplyLimits {
  size_t max_bytes = 256 * 1024;  // the whole object
  size_t max_lines = 4000;        // content lines after unfolding
  size_t max_line = 16 * 1024;    // one unfolded content line
  int max_depth = 4;              // VCALENDAR > VEVENT > VALARM ...
  size_t max_events = 20;         // VEVENTs
  size_t max_attendees = 50;      // per VEVENT
};

// Parses one iCalendar object holding a METHOD:REPLY. `text` must be UTF-8 (the MIME reader
// converts the charset first). InvalidArgument, saying what is wrong, for anything else: not
// UTF-8, a NUL, over a limit, not exactly one VCALENDAR, a METHOD other than REPLY, no VEVENT, a
// VEVENT without UID or ATTENDEE, an unreadable RECURRENCE-ID or SEQUENCE, unbalanced BEGIN/END.
Result<ItipReply> ParseItipReply(std::string_view text, const ReplyLimits& limits = {});

// True when `t` names the occurrence whose RECURRENCE-ID we wrote as `original` (wall clock in
// the IANA zone `tz`): the same instant when `t` is in UTC or under an IANA zone name; the same
// wall clock under any other zone name (a client's own name for ours) or none; the same day for
// a DATE.
bool SameOccurrence(const ReplyTime& t, const std::string& tz, const LocalDateTime& original);

}  // namespace convene::calendar
