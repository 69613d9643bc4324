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
  std::string uid;       // random UUID, never changes: the feed's UID for a rule-based series
  std::string title;     // SUMMARY
  Id venue_id = 0;       // default venue
  int start_minute = 0;  // default local start, minutes after midnight
  int duration_minutes = 0;
  // Exactly one of these describes the dates: an RRULE (with COUNT or UNTIL) whose first
  // occurrence is `first_date`, or an explicit list of dates (each meeting then has its own UID).
  std::string rrule;
  CivilDate first_date;
  std::vector<CivilDate> dates;
  std::string agenda;
  int sequence = 0;  // of the master VEVENT: rises when EXDATEs change
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
  int64_t created_at = 0;
  int64_t updated_at = 0;

  LocalDateTime end() const { return AddMinutes(start, duration_minutes); }
};

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
