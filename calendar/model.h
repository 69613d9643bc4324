// The domain model: plain structs with no behaviour, shared by every folder.
//
// Times of meetings are wall-clock times in the group's IANA zone (see civil.h). Edit times
// (`updated_at`, `created_at`) are Unix seconds from the injected clock. Ids are SQLite rowids.
// Values only: copy them freely between threads.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "calendar/civil.h"

namespace convene::calendar {

using Id = int64_t;

struct Organiser {
  Id id = 0;
  std::string email;
  std::string name;
};

struct Venue {
  Id id = 0;
  Id owner_id = 0;  // the organiser who created it; venues are shared read-only in feeds
  std::string name;
  std::string address;  // street lines, comma separated, as typed
  std::string postcode;
  std::optional<int> capacity;
  std::string notes;
  int64_t updated_at = 0;
  int64_t version = 1;  // ETag source
};

struct Group {
  Id id = 0;
  Id organiser_id = 0;
  std::string slug;  // [a-z0-9-]{2,40}
  std::string name;
  std::string timezone;  // IANA, e.g. Europe/London
  std::optional<int> quorum;
  bool is_public = true;
  // Whose bank holidays its meetings are warned about and can avoid (calendar/holidays.h):
  // "england-and-wales" (default), "scotland" or "northern-ireland".
  std::string bank_holiday_region = "england-and-wales";
  // Days before each meeting that members get a reminder; nullopt or 0: none.
  std::optional<int> reminder_days = 7;
  int64_t created_at = 0;
  int64_t updated_at = 0;
};

enum class Role { kMember, kChair, kOrganiser };
enum class Delivery { kFeed, kInvitations };
const char* RoleName(Role r);
const char* DeliveryName(Delivery d);

struct Member {
  Id id = 0;
  Id group_id = 0;
  std::string name;
  std::string email;
  std::string organisation;
  Role role = Role::kMember;
  Delivery delivery = Delivery::kFeed;
  bool unsubscribed = false;  // one-click unsubscribe stops notices, not the feed
  int64_t links_version = 0;  // bumped to revoke every apology link issued so far
  int64_t created_at = 0;
  // Set when the organiser removed them: no longer listed, told or counted from then on, but
  // still in the registers and minutes of meetings that started before.
  std::optional<int64_t> left_at;

  // True while they belong to the group at Unix time `t` (a meeting's start).
  bool MemberAt(int64_t t) const { return !left_at || *left_at > t; }
};

struct Series {
  Id id = 0;
  Id group_id = 0;
  std::string uid;    // random UUID, never changes: the feed's UID for a rule-based series
  std::string title;  // SUMMARY
  // The standing values: what meetings added to the series get. "This and following" changes
  // them (server/ops/series.cc); each meeting keeps its own copy.
  Id venue_id = 0;       // standing venue
  int start_minute = 0;  // standing local start, minutes after midnight
  int duration_minutes = 0;
  // The time of day of the rule's occurrences (DTSTART and every RECURRENCE-ID), fixed at
  // creation: a change of the standing start time moves the meetings, never the rule's slots.
  int rule_start_minute = 0;
  // Exactly one of these describes the dates: an RRULE (with COUNT or UNTIL) whose first
  // occurrence is `first_date`, or an explicit list of dates (each meeting then has its own UID).
  std::string rrule;
  CivilDate first_date;
  std::vector<CivilDate> dates;
  std::string agenda;
  int sequence = 0;     // of the master VEVENT: rises when EXDATEs or standing values change
  int64_t version = 1;  // rises on every write: the ETag
  int64_t created_at = 0;
  int64_t updated_at = 0;

  bool is_rule() const { return !rrule.empty(); }
};

enum class MeetingStatus { kScheduled, kCancelled };
const char* MeetingStatusName(MeetingStatus s);

struct Meeting {
  Id id = 0;
  Id series_id = 0;
  Id group_id = 0;
  // The UID this meeting appears under: the series UID for a rule-based series, its own
  // random UUID for an explicit date.
  std::string uid;
  // Where the rule (or the explicit list) put it: the RECURRENCE-ID. Never changes.
  LocalDateTime original_start;
  // Where it is now (differs from original_start once moved).
  LocalDateTime start;
  int duration_minutes = 0;
  Id venue_id = 0;
  MeetingStatus status = MeetingStatus::kScheduled;
  int sequence = 0;     // rises on every significant change, never falls
  int64_t version = 1;  // rises on every write: the ETag
  std::string notes;
  // Set when "this and following" gave the meetings from some date another title or agenda
  // than the meetings before it: this meeting's own. Unset: the series' (TitleOf, AgendaOf).
  std::optional<std::string> title;
  std::optional<std::string> agenda;
  int64_t created_at = 0;
  int64_t updated_at = 0;

  LocalDateTime end() const { return AddMinutes(start, duration_minutes); }
};

// What a meeting is called and its agenda: its own when set, else its series'.
inline const std::string& TitleOf(const Series& s, const Meeting& m) {
  return m.title ? *m.title : s.title;
}
inline const std::string& AgendaOf(const Series& s, const Meeting& m) {
  return m.agenda ? *m.agenda : s.agenda;
}

struct Presenter {
  Id id = 0;
  Id meeting_id = 0;
  std::string name;
  std::string organisation;
  std::string email;  // optional: presenters need not be members
  std::string topic;
  int64_t created_at = 0;
};

enum class Attendance { kExpected, kApologies, kPresent, kAbsent };
const char* AttendanceName(Attendance a);

struct Apology {
  Id meeting_id = 0;
  Id member_id = 0;
  std::string reason;
  int64_t created_at = 0;
};

}  // namespace convene::calendar
