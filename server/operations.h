// Use cases: everything an organiser or member can do, with no HTTP types.
//
// Each write validates its input, then loads, checks, writes, bumps the revision and (through
// the change hook) queues its notices in ONE `BEGIN IMMEDIATE` transaction, then commits and
// calls `after_commit` (which wakes the mail worker). A failed call leaves the database as it
// was. Access control lives here too: an organiser reaches only their own groups, venues and
// meetings; anything else answers NotFound, exactly as if it did not exist.
//
// Threads: an Operations object is shared by all request threads; it holds no mutable state.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "calendar/model.h"
#include "calendar/recurrence.h"
#include "calendar/rules.h"
#include "calendar/status.h"
#include "calendar/store/db.h"
#include "calendar/store/store.h"
#include "notify/outbox.h"
#include "server/auth.h"

namespace convene::server {

using calendar::Id;
using Clock = std::function<int64_t()>;  // Unix seconds
Clock SystemClock();

struct Warning {
  std::string code;  // bank_holiday | capacity | venue_clash
  std::string message;
};

// ---- inputs: raw values as the caller received them; Operations validates them ----
struct VenueInput {
  std::optional<std::string> name, address, postcode, notes;
  std::optional<int64_t> capacity;
  bool clear_capacity = false;
};
struct GroupInput {
  std::string slug, name, timezone;
  std::optional<int64_t> quorum;
  std::optional<bool> is_public;
};
struct MemberInput {
  std::string name, email;
  std::optional<std::string> organisation, role, delivery;
};
struct SeriesInput {
  std::string title;
  int64_t venue_id = 0;
  std::string start_time;  // HH:MM
  int64_t duration_minutes = 0;
  std::optional<std::string> rrule;
  std::optional<std::vector<std::string>> dates;
  std::optional<std::string> first_date;
  std::optional<std::string> agenda;
  bool force = false;
};
struct MeetingPatch {
  std::optional<int64_t> venue_id;
  std::optional<std::string> start;  // YYYY-MM-DDTHH:MM local
  std::optional<int64_t> duration_minutes;
  std::optional<std::string> status;  // cancelled | scheduled
  std::optional<std::string> notes;
  bool force = false;
};
struct PresenterInput {
  std::string name, topic;
  std::optional<std::string> organisation, email;
};

// ---- outputs ----
struct MeetingView {
  calendar::Meeting meeting;
  calendar::Series series;
  calendar::Group group;
  calendar::Venue venue;
  std::vector<calendar::Presenter> presenters;
  int apologies = 0;
};
struct SeriesCreated {
  calendar::Series series;
  std::vector<MeetingView> meetings;
  std::vector<Warning> warnings;
};
struct MeetingChanged {
  MeetingView view;
  std::vector<Warning> warnings;
  bool changed = false;  // false: the patch asked for what already was
};
struct MemberCreated {
  calendar::Member member;
  std::string feed_token;  // shown once
  std::string page_token;  // shown once
};
struct AttendanceRow {
  calendar::Member member;
  calendar::Attendance status = calendar::Attendance::kExpected;
  std::string reason;
};
struct AttendanceView {
  MeetingView meeting;
  std::vector<AttendanceRow> members;
  calendar::QuorumForecast quorum;
};

// What a write changed, for the notices (notify/) and the feed caches. One per meeting touched.
struct MeetingChange {
  enum class Kind {
    kMoved,
    kVenueChanged,
    kRetimed,
    kCancelled,
    kReinstated,
    kPresenterAdded,
    kPresenterRemoved,
    kApologies,
    kNotes
  };
  std::vector<Kind> kinds;
  calendar::Meeting before;
  calendar::Meeting after;
  std::optional<calendar::Presenter> presenter;  // for presenter changes
  Id member_id = 0;                              // for apologies
};
// Called inside the write transaction (so queued notices commit with the change).
using ChangeHook = std::function<Status(calendar::store::Tx&, const MeetingChange&, int64_t now)>;
// Called inside AddMember's transaction with the member and its tokens (the welcome notice).
using MemberHook = std::function<Status(calendar::store::Tx&, const calendar::Group&,
                                        const MemberCreated&, int64_t now)>;

class Operations {
 public:
  Operations(calendar::store::Db& db, Clock clock, RandomSource random, std::string base_url);

  void set_change_hook(ChangeHook hook) { change_hook_ = std::move(hook); }
  void set_member_hook(MemberHook hook) { member_hook_ = std::move(hook); }
  void set_after_commit(std::function<void()> f) { after_commit_ = std::move(f); }
  calendar::store::Db& db() { return db_; }
  int64_t Now() const { return clock_(); }
  const std::string& base_url() const { return base_url_; }

  // ---- organisers ----
  Result<calendar::Organiser> EnsureOrganiser(const std::string& email, const std::string& name);
  Result<std::string> IssueApiToken(const std::string& email, const std::string& name);
  Result<Id> Authenticate(const std::string& bearer_token);

  // ---- venues ----
  Result<calendar::Venue> CreateVenue(Id organiser, const VenueInput& in);
  Result<std::vector<calendar::Venue>> ListVenues(Id organiser);
  Result<calendar::Venue> GetVenue(Id organiser, Id venue_id);
  Result<calendar::Venue> UpdateVenue(Id organiser, Id venue_id, const std::string& if_match,
                                      const VenueInput& in);

  // ---- groups and members ----
  Result<calendar::Group> CreateGroup(Id organiser, const GroupInput& in);
  Result<calendar::Group> GetGroup(Id organiser, const std::string& slug);
  Result<std::vector<calendar::Group>> ListGroups(Id organiser);
  Result<MemberCreated> AddMember(Id organiser, const std::string& slug, const MemberInput& in);
  Result<std::vector<calendar::Member>> ListMembers(Id organiser, const std::string& slug);

  // ---- series and meetings ----
  Result<SeriesCreated> CreateSeries(Id organiser, const std::string& slug, const SeriesInput& in);
  Result<std::vector<MeetingView>> ListMeetings(Id organiser, const std::string& slug,
                                                const std::string& from, const std::string& to);
  Result<MeetingView> GetMeeting(Id organiser, Id meeting_id);
  Result<MeetingChanged> ChangeMeeting(Id organiser, Id meeting_id, const std::string& if_match,
                                       const MeetingPatch& patch);
  Result<calendar::Presenter> AddPresenter(Id organiser, Id meeting_id, const PresenterInput& in);
  Status RemovePresenter(Id organiser, Id meeting_id, Id presenter_id);

  // ---- apologies and the register ----
  // Records apologies on a member's behalf; true when new (a repeat changes nothing).
  Result<bool> RecordApologies(Id organiser, Id meeting_id, Id member_id,
                               const std::string& reason);
  Result<AttendanceView> Attendance(Id organiser, Id meeting_id);
  Status MarkAttendance(Id organiser, Id meeting_id, Id member_id, const std::string& status);
  // ---- the notice outbox ----
  // Notices of the organiser's groups, newest first; `status` is "" or queued|sent|failed.
  Result<std::vector<notify::OutboxEntry>> ListOutbox(Id organiser, const std::string& status);

  Result<std::vector<calendar::Busy>> VenueBusy(Id organiser, Id venue_id, const std::string& from,
                                                const std::string& to);

  // ETags of changeable objects (strong, quoted).
  static std::string MeetingETag(const calendar::Meeting& m);
  static std::string VenueETag(const calendar::Venue& v);

  // Loads the full view of a meeting inside an open transaction (no access check).
  static Result<MeetingView> LoadView(calendar::store::Tx& tx, const calendar::Meeting& m);

 private:
  Result<calendar::Group> OwnedGroup(calendar::store::Tx& tx, Id organiser,
                                     const std::string& slug);
  Result<calendar::Meeting> OwnedMeeting(calendar::store::Tx& tx, Id organiser, Id meeting_id);
  Result<calendar::Venue> OwnedVenue(calendar::store::Tx& tx, Id organiser, Id venue_id);
  Result<std::optional<calendar::Busy>> Clash(calendar::store::Tx& tx, const calendar::Group& g,
                                              Id venue_id, const calendar::LocalDateTime& start,
                                              int duration, Id self);
  Status Commit(calendar::store::Tx& tx);
  Status Changed(calendar::store::Tx& tx, const MeetingChange& change, int64_t now);

  calendar::store::Db& db_;
  Clock clock_;
  RandomSource random_;
  std::string base_url_;
  ChangeHook change_hook_;
  MemberHook member_hook_;
  std::function<void()> after_commit_;
};

}  // namespace convene::server
