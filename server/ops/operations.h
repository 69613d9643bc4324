// Use cases: everything an organiser or member can do, with no HTTP types.
//
// Each write validates its input, then loads, checks, writes, bumps the revision and (through
// the change hook) queues its notices in ONE `BEGIN IMMEDIATE` transaction, then commits and
// calls `after_commit` (which wakes the mail worker). A failed call leaves the database as it
// was. Access control lives here too: an organiser reaches only their own groups, venues and
// meetings; anything else answers NotFound, exactly as if it did not exist.
//
// Threads: an Operations object is shared by all request threads. Its setters and LoadKeys()
// run once at start-up, before the first request; after that it holds no mutable state.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "calendar/model.h"
#include "calendar/pattern.h"
#include "calendar/recurrence.h"
#include "calendar/rules.h"
#include "calendar/status.h"
#include "calendar/store/db.h"
#include "calendar/store/store.h"
#include "notify/outbox.h"
#include "server/ops/secrets.h"

namespace convene::server {

using calendar::Id;
using notify::Clock;
using notify::SystemClock;

struct Warning {
  std::string code;  // bank_holiday | capacity | venue_clash | ambiguous_time
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
  std::optional<std::string>
      bank_holiday_region{};               // england-and-wales | scotland | northern-ireland
  std::optional<int64_t> reminder_days{};  // 0..60 (default 7)
  bool no_reminders = false;               // reminder_days: null
};
// A change to a group's settings: only the fields present change. The time zone can change
// only while the group has no meetings (their stored wall times would mean other instants).
struct GroupPatch {
  std::optional<std::string> name, timezone;
  std::optional<int64_t> quorum;
  bool clear_quorum = false;
  std::optional<bool> is_public;
  std::optional<std::string> bank_holiday_region;
  std::optional<int64_t> reminder_days;
  bool clear_reminder_days = false;  // reminder_days: null (no reminders)
};
struct MemberInput {
  std::string name, email;
  std::optional<std::string> organisation, role, delivery;
};
// A change to a member's details: only the fields present change. Whether they unsubscribed is
// theirs alone to change (from their own page), so it is not here.
struct MemberPatch {
  std::optional<std::string> name, email, organisation, role, delivery;
};
// A new series: exactly one of `rrule`, `pattern` (the rule in words) and `dates`.
struct SeriesInput {
  std::string title;
  int64_t venue_id = 0;
  std::string start_time;  // HH:MM
  int64_t duration_minutes = 0;
  std::optional<std::string> rrule;
  std::optional<calendar::Pattern> pattern;
  std::optional<std::vector<std::string>> dates;
  std::optional<std::string> first_date;
  std::optional<std::string> agenda;
  // "bank_holidays" and/or "clashes": those dates are left out (and listed in `skipped`).
  std::vector<std::string> avoid;
  bool force = false;
};
// "This and following" (PATCH /series/{id}): the fields present change every scheduled meeting
// from `from` on; `until`/`count` make a rule series end elsewhere. `end_series` (DELETE) cancels
// every meeting still to come.
struct SeriesPatch {
  std::optional<std::string> from;  // YYYY-MM-DD
  std::optional<int64_t> venue_id;
  std::optional<std::string> start_time;  // HH:MM
  std::optional<int64_t> duration_minutes;
  std::optional<std::string> title, agenda;
  std::optional<std::string> until;  // YYYY-MM-DD
  std::optional<int64_t> count;
  bool end_series = false;
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
// A date of a new series left out by `avoid`.
struct SkippedDate {
  calendar::CivilDate date;
  std::string reason;  // bank_holiday | venue_clash
  std::string message;
};
struct SeriesCreated {
  calendar::Series series;
  std::vector<MeetingView> meetings;
  std::vector<Warning> warnings;
  std::vector<SkippedDate> skipped;
};
// What POST /series would make, stored nowhere: the meetings with their own warnings.
struct PlannedMeeting {
  calendar::LocalDateTime start;
  int duration_minutes = 0;
  std::vector<Warning> warnings;
};
struct SeriesPreview {
  calendar::Series series;  // as it would be stored (id 0); rrule empty for a list of dates
  std::string words;        // the rule in words ("Every other month on the 3rd Monday, 6 times")
  calendar::Venue venue;
  std::vector<PlannedMeeting> meetings;
  std::vector<SkippedDate> skipped;
  std::optional<Status> blocked;  // a venue clash: the create answers 409 unless "force"
};
// A series as the organiser's lists show it.
struct SeriesSummary {
  calendar::Series series;
  std::string words;  // the rule in words, or "Listed dates"
  calendar::Venue venue;
  int meetings = 0;                                          // scheduled meetings
  int upcoming = 0;                                          // scheduled meetings not yet started
  std::optional<calendar::LocalDateTime> first, last, next;  // of the scheduled meetings
};
// A meeting a series change left as it was, and why.
struct KeptMeeting {
  Id meeting_id = 0;
  calendar::LocalDateTime start;
  std::string field;   // venue_id | start_time | duration_minutes
  std::string reason;  // in words
};
// Who a committed change told, by the very plan its notices followed (change_notices.h): what the
// organiser's page says after "Confirm".
struct NoticeTally {
  int told = 0;          // people emailed about it (a waiting email of theirs may now cover it)
  int withdrawn = 0;     // waiting emails withdrawn, since this change undid what they told
  bool started = false;  // a presenter change to a meeting that has started: nobody is told
};
struct SeriesEditResult {
  SeriesSummary series;  // after the change
  std::vector<Id> changed, cancelled, added;
  std::vector<KeptMeeting> kept;
  std::vector<Warning> warnings;
  std::vector<std::string> summary;  // what changed, in words, one sentence each
  bool any = false;                  // false: the patch asked for what already was
  NoticeTally notices;               // ChangeSeries only
};
struct MeetingEditResult {
  MeetingView view;
  std::vector<Warning> warnings;
  bool changed = false;  // false: the patch asked for what already was
  NoticeTally notices;   // ChangeMeeting only
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
struct MeetingEvent {
  enum class Kind {
    kMoved,
    kVenueChanged,
    kRetimed,
    kCancelled,
    kReinstated,
    kPresenterAdded,
    kPresenterRemoved,
    kApologies,
    kNotes,
    kApologiesWithdrawn
  };
  std::vector<Kind> kinds;
  calendar::Meeting before;
  calendar::Meeting after;
  std::optional<calendar::Presenter> presenter;  // for presenter changes
  Id member_id = 0;                              // for apologies
};
// What a change to a series ("this and following", extend, shorten, end) or its creation did,
// for the notices: the series before and after and every meeting it touched (changed, added,
// cancelled).
struct SeriesEvent {
  calendar::Series before, after;
  calendar::CivilDate from;
  struct Touched {
    std::optional<calendar::Meeting> before;  // unset: added by the change
    calendar::Meeting after;
  };
  std::vector<Touched> meetings;
  std::vector<std::string> summary;  // SeriesEditResult::summary
  // The series was just created (CreateSeries: before == after, every meeting added): nobody
  // gets a change notice; members on calendar invitations get it in their calendar.
  bool created = false;
};
// Called inside the write transaction (so queued notices commit with the change).
using SeriesHook = std::function<Status(calendar::store::Tx&, const SeriesEvent&, int64_t now)>;
// Called inside the write transaction (so queued notices commit with the change).
using ChangeHook = std::function<Status(calendar::store::Tx&, const MeetingEvent&, int64_t now)>;
// Called inside AddMember's transaction with the member and its tokens (the welcome notice).
using MemberHook = std::function<Status(calendar::store::Tx&, const calendar::Group&,
                                        const MemberCreated&, int64_t now)>;
// Called inside the transaction of every write that may change where a member's calendar
// invitations go, after it is written: a member added (`before` unset, after the member hook)
// or brought back, their details changed by the organiser (one by one or from a file), their own
// notice choice, or notices turned back on (server/ops/change_notices.h QueueDeliveryNotices).
using DeliveryHook = std::function<Status(calendar::store::Tx&, const calendar::Group&,
                                          const std::optional<calendar::Member>& before,
                                          const calendar::Member& after, int64_t now)>;
// Called inside UpdateVenue's transaction with the venue before and after the edit.
using VenueHook = std::function<Status(calendar::store::Tx&, const calendar::Venue& before,
                                       const calendar::Venue& after, int64_t now)>;
// Called inside RequestPasswordReset's transaction with the organiser and the one-time link.
using ResetHook = std::function<Status(calendar::store::Tx&, const calendar::Organiser&,
                                       const std::string& url, int64_t now)>;

// ---- organiser sessions (ops/sessions.cc) ----
struct LoginLimits {
  int failures_per_email = 5;     // failed logins per email address in the window -> refused
  int failures_per_address = 20;  // per client address (a proxy in front shares one address)
  int64_t window_seconds = 15 * 60;
  int64_t session_seconds = 12 * 3600;  // absolute session lifetime
};
struct Session {
  std::string token;  // the cookie value: shown once, stored as its hash
  calendar::Organiser organiser;
  int64_t expires_at = 0;
};

// ---- the member's own pages, reached by capability links (ops/member_links.cc) ----
struct MemberMeeting {
  MeetingView view;
  std::string apology_token;  // for /apologies/{token}
  bool apologised = false;
  std::string reason;
  bool open = false;  // apologies can still be sent or withdrawn (scheduled, not yet started)
};
struct MemberHome {
  calendar::Member member;
  calendar::Group group;
  std::vector<MemberMeeting> upcoming;
  // The member's calendar link (secrets.h FeedLinkToken): the same on every visit, until the
  // member or the organiser asks for a new one.
  std::string feed_token;
};
struct ApologyPage {
  calendar::Member member;
  MemberMeeting meeting;
  bool changed = false;  // this call wrote something (a repeat POST does not)
};

// The one-click unsubscribe link of notices (RFC 8058): /unsubscribe/{token}.
struct UnsubscribePage {
  calendar::Member member;
  calendar::Group group;
  bool changed = false;  // this call changed the member's choice (a repeat does not)
};

// ---- public pages (ops/public.cc): public groups only ----
struct GroupPage {
  calendar::Group group;
  std::vector<MeetingView> upcoming;
};
struct VenuePage {
  calendar::Venue venue;
  std::vector<MeetingView> upcoming;  // meetings of public groups only
};
// ---- month views (ops/month.cc): a month's meetings for the calendar pages ----
struct MonthView {
  calendar::Group group;  // the group's view: its group
  calendar::Venue venue;  // the venue's view: its venue
  int year = 0, month = 0;
  std::string timezone;       // the zone of `today` (a venue's view: Operations::kVenueZone)
  calendar::CivilDate today;  // in `timezone`
  std::vector<MeetingView> meetings;  // starting in the month, cancelled ones too, by start
};

// ---- organiser pages (ops/organise.cc) ----
struct PreviewRecipient {
  std::string name;
  std::string email;
  std::string how;  // what they will get, in words
};
struct ChangePreview {
  MeetingView before;
  MeetingView after;
  std::string etag;  // of `before`: the confirm form sends it as If-Match
  bool changed = false;
  std::vector<Warning> warnings;
  std::optional<Status> blocked;  // e.g. a venue clash, which "force" may override
  std::vector<PreviewRecipient> told;
  std::vector<PreviewRecipient> not_told;
  // A presenter change to a meeting that has started: nobody is told (told and not_told empty).
  bool started = false;
};
struct MinutesPerson {
  std::string name;
  std::string organisation;
  std::string topic;  // presenters only
};
struct MinutesHeader {
  MeetingView meeting;
  std::string heading;  // MINUTES OF ... MEETING HELD ON MONDAY 15 MARCH 2010 AT PREMISES OF ...
  bool register_taken = false;  // false: "In attendance" lists the members expected
  std::vector<MinutesPerson> attendance, apologies, presenting;
};

// ---- the organiser's desk: members from a CSV file, attendance over a period (ops/desk.cc) ----
// One problem of an import: the line of the file (the header is line 1; a row written over
// several lines gives its first), the column it is about (name, email, organisation, role,
// delivery; empty when it is about the whole row or file) and what to fix, in words.
struct CsvIssue {
  int line = 0;
  std::string field;
  std::string message;
};
// One row of an imported file and what it does (or, in a dry run, would do).
struct ImportLine {
  int line = 0;
  MemberPatch cells;                 // as typed; a column the file does not have is absent
  std::string action;                // added | updated | unchanged | invalid
  bool returning = false;            // added: a former member comes back
  std::vector<std::string> changed;  // updated: the fields that change (name, organisation, ...)
  std::vector<CsvIssue> errors;      // invalid: every problem of the row
};
struct MemberImport {
  int added = 0, updated = 0, unchanged = 0;
  std::vector<ImportLine> lines;  // every row but the header and blank ones, in file order
  std::vector<CsvIssue> errors;   // every problem, by line: any at all and nothing is stored
  bool stored = false;            // written and committed (not a dry run, no problem)
};
inline constexpr int kMaxImportRows = 5000;
// One member's attendance at the meetings held in a period.
struct MemberAttendance {
  calendar::Member member;  // current or former (left_at set)
  int meetings = 0;         // the meetings held while they were a member: "expected"
  int present = 0, apologies = 0, absent = 0;  // the rest of `meetings` were not recorded
};
struct GroupAttendanceView {
  calendar::Group group;
  std::optional<calendar::CivilDate> from, to;
  int meetings = 0;  // meetings held: scheduled (not cancelled) and started, in [from, to]
  // Every current member, and each former one who was a member for one of those meetings, by
  // name.
  std::vector<MemberAttendance> members;
};

class Operations {
 public:
  Operations(calendar::store::Db& db, Clock clock, RandomSource random, std::string base_url);

  void set_change_hook(ChangeHook hook) { change_hook_ = std::move(hook); }
  void set_member_hook(MemberHook hook) { member_hook_ = std::move(hook); }
  void set_series_hook(SeriesHook hook) { series_hook_ = std::move(hook); }
  void set_delivery_hook(DeliveryHook hook) { delivery_hook_ = std::move(hook); }
  void set_venue_hook(VenueHook hook) { venue_hook_ = std::move(hook); }
  void set_reset_hook(ResetHook hook) { reset_hook_ = std::move(hook); }
  // Called after every committed write, in order of adding (wakes the mail worker, tells the
  // feed cache that data moved). Add before serving; not thread-safe against Commit.
  void add_after_commit(std::function<void()> f) { after_commit_.push_back(std::move(f)); }
  calendar::store::Db& db() { return db_; }
  int64_t Now() const { return clock_(); }
  const std::string& base_url() const { return base_url_; }

  // ---- organisers ----
  Result<calendar::Organiser> EnsureOrganiser(const std::string& email, const std::string& name);
  Result<std::string> IssueApiToken(const std::string& email, const std::string& name);
  Result<Id> Authenticate(const std::string& bearer_token);

  // Loads (creating on first use) the server keys: the apology link key and the form key.
  // Called once by App::Create before any request; the keys never change afterwards.
  Status LoadKeys();
  const std::string& link_key() const { return link_key_; }
  // The anti-CSRF token of a form bound to `secret` (a session token, a capability token).
  std::string FormToken(const std::string& purpose, const std::string& secret) const;

  // ---- organiser login (ops/sessions.cc) ----
  void set_login_limits(LoginLimits limits) { limits_ = limits; }
  // Sets the password (ValidatePassword) of the organiser, created if missing.
  Status SetPassword(const std::string& email, const std::string& password);
  // Checks the password and opens a new session. kRateLimited when the email or the client
  // address has too many recent failures (checked before the password, so guessing stops);
  // kUnauthenticated for a wrong email or password (the same message for both).
  Result<Session> Login(const std::string& email, const std::string& password,
                        const std::string& client_address);
  // The organiser of a live session, or kUnauthenticated.
  Result<calendar::Organiser> AuthenticateSession(const std::string& session_token);
  // Ends the session (idempotent).
  Status Logout(const std::string& session_token);
  // "Forgot your password": when `email` is an organiser's, a one-time link (valid 1 hour,
  // earlier ones withdrawn) goes to it through the reset hook. Always Ok, whether or not the
  // account exists or the request was throttled (3 per email, 10 per client address in the
  // login window), so the answer tells nothing about who has an account.
  Status RequestPasswordReset(const std::string& email, const std::string& client_address);
  // The organiser of a live reset link, or kNotFound "invalid_link" (GET: changes nothing).
  Result<calendar::Organiser> PasswordResetLink(const std::string& token);
  // Sets the new password through a live link, which then stops working; every session ends
  // and a new one is returned for this browser.
  Result<Session> ResetPassword(const std::string& token, const std::string& password,
                                const std::string& client_address);
  // A logged-in organiser's new password: the current one is checked as a login is (failures
  // count towards the same throttle; a wrong one is kInvalidArgument on "current"), every
  // session ends, and a new one is returned for the browser that asked.
  Result<Session> ChangePassword(Id organiser, const std::string& current, const std::string& fresh,
                                 const std::string& client_address);

  // ---- members, by their personal page link (ops/member_links.cc) ----
  // A page link belongs to one membership (one group): memberships are not joined by email,
  // since any organiser can add any address to their group and would otherwise gain a link into
  // that person's other groups. kNotFound for an unknown, replaced or revoked link.
  Result<MemberHome> MemberByPage(const std::string& page_token);
  // Replaces the member's calendar feed link: every earlier one (stored or derived) stops
  // working. Returns the new one, the derived token MemberByPage shows from now on.
  Result<std::string> NewFeedLink(const std::string& page_token);
  // choice: "feed" | "invitations" (and notices on) | "none" (unsubscribed from notices).
  // Through the delivery hook, a member who starts getting invitations is sent the group's
  // upcoming meetings as invitations, and one who goes back to the feed their cancellations.
  Status SetNotices(const std::string& page_token, const std::string& choice);
  // Apology links (secrets.h ApologyToken): kNotFound when invalid or revoked.
  Result<ApologyPage> ApologyByLink(const std::string& apology_token);
  // Records the member's apologies (idempotent: a repeat changes and sends nothing). Closed
  // (kConflict "apologies_closed") once the meeting has started or when it is cancelled.
  Result<ApologyPage> SendApologies(const std::string& apology_token, const std::string& reason);
  // Withdraws them, until the meeting starts (idempotent).
  Result<ApologyPage> WithdrawApologies(const std::string& apology_token);
  // Unsubscribe links (secrets.h UnsubscribeToken): the member and group, or kNotFound when the
  // link is invalid or revoked. Changes nothing (link scanners GET it).
  Result<UnsubscribePage> UnsubscribeByLink(const std::string& unsubscribe_token);
  // Stops the member's notices (not their feed): sets `unsubscribed` and supersedes their notices
  // still queued. Idempotent: a repeat changes nothing. Notices come back on through the member
  // page's choice (SetNotices "feed" or "invitations") or Resubscribe.
  Result<UnsubscribePage> Unsubscribe(const std::string& unsubscribe_token);
  // Undoes Unsubscribe from the same link (the page's "start the emails again"); idempotent.
  // Notices withdrawn meanwhile stay withdrawn; the next change is told again (a member on
  // invitations gets the group's upcoming meetings as invitations again: the delivery hook).
  Result<UnsubscribePage> Resubscribe(const std::string& unsubscribe_token);

  // ---- public pages (ops/public.cc): a private group answers kNotFound ----
  Result<GroupPage> PublicGroup(const std::string& slug);
  Result<MeetingView> PublicMeeting(Id meeting_id);
  Result<VenuePage> PublicVenue(Id venue_id);
  // Month views (ops/month.cc). `month` is "YYYY-MM" (years kFirstMonthYear to kLastMonthYear),
  // or empty for the current month in the group's zone; anything else is kInvalidArgument on
  // "month", checked after the group or venue is found (a private or unknown group is kNotFound
  // either way). A venue's view holds the meetings of public groups only, as its page does, and
  // takes "today" in kVenueZone (a venue has no zone of its own).
  static constexpr const char* kVenueZone = "Europe/London";
  static constexpr int kFirstMonthYear = 1970, kLastMonthYear = 2999;
  Result<MonthView> PublicGroupMonth(const std::string& slug, const std::string& month);
  Result<MonthView> PublicVenueMonth(Id venue_id, const std::string& month);
  // The organiser's own group, public or private.
  Result<MonthView> GroupMonth(Id organiser, const std::string& slug, const std::string& month);

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
  // Changes the group's name, quorum, visibility or (while it has no meetings) time zone.
  Result<calendar::Group> UpdateGroup(Id organiser, const std::string& slug,
                                      const std::string& if_match, const GroupPatch& patch);
  Result<MemberCreated> AddMember(Id organiser, const std::string& slug, const MemberInput& in);
  // The group's current members (removed ones are not listed).
  Result<std::vector<calendar::Member>> ListMembers(Id organiser, const std::string& slug);
  // Those removed from the group, most recent first (AddMember with their email brings one back).
  Result<std::vector<calendar::Member>> ListFormerMembers(Id organiser, const std::string& slug);
  // Removes the member without rewriting history: they leave the lists, the registers of
  // meetings not yet started (their apologies and marks there go), quorum counts and notices
  // (queued ones are superseded); every link of theirs stops working (page, feed, apology,
  // unsubscribe). Registers and minutes of meetings that started before still show them.
  // Idempotent. Adding the same email again brings the same member back with new links.
  // With `slug`, the member must belong to that group (404 otherwise).
  Result<calendar::Member> RemoveMember(Id organiser, Id member_id, const std::string& slug = "");
  // One current member of the group (404 for another group's or a removed member).
  Result<calendar::Member> GetMember(Id organiser, const std::string& slug, Id member_id);
  // Changes a current member's name, email, organisation, role or notice delivery. Notices
  // already queued keep the address they were queued for. The delivery hook hears of it.
  Result<calendar::Member> UpdateMember(Id organiser, const std::string& slug, Id member_id,
                                        const std::string& if_match, const MemberPatch& patch);

  // ---- series (ops/series.cc) ----
  Result<SeriesCreated> CreateSeries(Id organiser, const std::string& slug, const SeriesInput& in);
  // Exactly the meetings CreateSeries would make from `in`, with their warnings and the dates
  // `avoid` left out; a venue clash is reported in `blocked`, not as an error.
  Result<SeriesPreview> PreviewSeries(Id organiser, const std::string& slug, const SeriesInput& in);
  Result<std::vector<SeriesSummary>> ListSeries(Id organiser, const std::string& slug);
  Result<SeriesSummary> GetSeries(Id organiser, Id series_id);
  // "This and following", extend, shorten (PATCH), or end (patch.end_series: DELETE): one
  // transaction, one notice per member for the whole change.
  Result<SeriesEditResult> ChangeSeries(Id organiser, Id series_id, const std::string& if_match,
                                        const SeriesPatch& patch);
  // What ChangeSeries would do and who would be told what, without writing anything.
  struct SeriesChangePreview {
    SeriesSummary before;
    SeriesEditResult result;
    std::string etag;  // of `before`: the confirm form sends it as If-Match
    std::optional<Status> blocked;
    std::vector<PreviewRecipient> told, not_told;
  };
  Result<SeriesChangePreview> PreviewSeriesChange(Id organiser, Id series_id, SeriesPatch patch);
  static std::string SeriesETag(const calendar::Series& s);

  // ---- meetings ----
  // The date warnings (bank holiday, capacity, ambiguous time) of the series' scheduled meetings
  // as they stand: what the series page shows after creating it.
  Result<std::vector<Warning>> SeriesWarnings(Id organiser, Id series_id);
  Result<std::vector<MeetingView>> ListMeetings(Id organiser, const std::string& slug,
                                                const std::string& from, const std::string& to);
  Result<MeetingView> GetMeeting(Id organiser, Id meeting_id);
  Result<MeetingEditResult> ChangeMeeting(Id organiser, Id meeting_id, const std::string& if_match,
                                          const MeetingPatch& patch);
  // Presenters. Members and presenters are told (through the change hook) unless the meeting has
  // started: then the feeds change and nobody is emailed. `if_match` (the meeting's ETag; empty:
  // not checked, as the API does) keeps a confirm form from adding twice; `tally`, when given,
  // says who was told.
  Result<calendar::Presenter> AddPresenter(Id organiser, Id meeting_id, const PresenterInput& in,
                                           const std::string& if_match = "",
                                           NoticeTally* tally = nullptr);
  Status RemovePresenter(Id organiser, Id meeting_id, Id presenter_id,
                         const std::string& if_match = "", NoticeTally* tally = nullptr);

  // ---- apologies and the register ----
  // Records apologies on a member's behalf; true when new (a repeat changes nothing).
  Result<bool> RecordApologies(Id organiser, Id meeting_id, Id member_id,
                               const std::string& reason);
  Result<AttendanceView> Attendance(Id organiser, Id meeting_id);
  Status MarkAttendance(Id organiser, Id meeting_id, Id member_id, const std::string& status);
  // ---- the notice outbox ----
  // Notices of the organiser's groups, newest first; `status` is "" (every notice but the
  // superseded) or queued|sent|failed|superseded.
  // `with_superseded` keeps the superseded in the unfiltered list (the outbox page's "All").
  Result<std::vector<notify::OutboxEntry>> ListOutbox(Id organiser, const std::string& status,
                                                      bool with_superseded = false);

  Result<std::vector<calendar::Busy>> VenueBusy(Id organiser, Id venue_id, const std::string& from,
                                                const std::string& to);

  // ---- organiser pages (ops/organise.cc) ----
  // Members' addresses whose latest notice failed with nothing delivered since (address in lower
  // case -> the relay's answer): the members page flags them for the organiser to check.
  Result<std::map<std::string, std::string>> FailingAddresses(Id organiser,
                                                              const std::string& slug);
  // Meetings of the group from today (in its zone) on; only the first `limit` of them (the
  // dashboard shows three of each group's, and a view costs five queries).
  Result<std::vector<MeetingView>> UpcomingMeetings(Id organiser, const std::string& slug,
                                                    size_t limit = SIZE_MAX);
  // The organiser's dashboard: each of their groups with its next `upcoming` meetings, its
  // member count and how many of its members' addresses are failing (as FailingAddresses), all
  // read in one snapshot.
  struct DashboardGroup {
    calendar::Group group;
    std::vector<MeetingView> next;
    size_t members = 0;
    size_t members_failing = 0;
  };
  Result<std::vector<DashboardGroup>> Dashboard(Id organiser, size_t upcoming);
  // A new personal page link for the member (earlier ones stop working): the member and the
  // page token (shown once); feed_token stays empty.
  Result<MemberCreated> NewMemberPageLink(Id organiser, Id member_id);
  // The member's page link for the organiser to send them (secrets.h PageLinkToken, in
  // page_token): derived, so nothing is written and their earlier links keep working. The same
  // link until their page links are revoked (RotateMemberLink "page", revoke_only).
  Result<MemberCreated> PageLinkFor(Id organiser, Id member_id);
  // Revokes the member's live `kind` ("feed" or "page") tokens and, unless `revoke_only`,
  // issues a new one (returned in feed_token or page_token, shown once). A revoked feed URL
  // answers 404.
  Result<MemberCreated> RotateMemberLink(Id organiser, Id member_id, const std::string& kind,
                                         bool revoke_only);
  // What ChangeMeeting would do, and who would be told what, without writing anything.
  Result<ChangePreview> PreviewChange(Id organiser, Id meeting_id, MeetingPatch patch);
  // What AddPresenter or RemovePresenter would do, and who would be told what, without writing
  // anything (the same never-committed transaction as PreviewChange). `started`: nobody would be.
  Result<ChangePreview> PreviewAddPresenter(Id organiser, Id meeting_id, const PresenterInput& in);
  Result<ChangePreview> PreviewRemovePresenter(Id organiser, Id meeting_id, Id presenter_id);
  // The register in one go: `present` are present; every other member is absent, except those
  // who sent apologies (they stay "apologies").
  Status SetRegister(Id organiser, Id meeting_id, const std::vector<Id>& present);
  // The minutes header in the shape of the seed minutes (tests/testdata/seed/).
  Result<MinutesHeader> Minutes(Id organiser, Id meeting_id);

  // ---- the organiser's desk (ops/desk.cc) ----
  // Members from CSV text (docs/api.md, "Members: ... import and export"): a header row naming
  // name and email and, if it likes, organisation, role and delivery (any case, any order),
  // then one member per row, at most kMaxImportRows. Each row is checked as AddMember checks
  // one member (ApplyMemberFields) and matched by email (any case) with the group's members:
  // a current one is updated (only the columns the file has; the stored address is kept), a
  // former one comes back as AddMember brings them back, anyone else is added; each member
  // added gets their links and the welcome notice (the member hook). An email twice in the file
  // is an error. With any problem nothing is stored and `errors` lists every one (the result is
  // still Ok). Otherwise, unless `dry_run`, every row is written in ONE transaction. kNotFound
  // for another organiser's group.
  Result<MemberImport> ImportMembers(Id organiser, const std::string& slug, const std::string& csv,
                                     bool dry_run);
  // Each member's attendance at the group's meetings held with start dates in [from, to]
  // ("YYYY-MM-DD"; empty: no bound): scheduled meetings that have started (cancelled ones do not
  // count). A member counts for a meeting as its register does (ListMembersAt); present and
  // absent come from the register, apologies from apologies (the register wins, as in
  // Attendance). kInvalidArgument on "from" or "to".
  Result<GroupAttendanceView> GroupAttendance(Id organiser, const std::string& slug,
                                              const std::string& from, const std::string& to);

  // ETags of changeable objects (strong, quoted).
  static std::string MeetingETag(const calendar::Meeting& m);
  static std::string VenueETag(const calendar::Venue& v);
  // Groups and members carry no version column: their ETags hash the fields a PATCH can change.
  static std::string GroupETag(const calendar::Group& g);
  static std::string MemberETag(const calendar::Member& m);

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
  Result<calendar::Series> OwnedSeries(calendar::store::Tx& tx, Id organiser, Id series_id);
  Result<SeriesPreview> PlanSeries(calendar::store::Tx& tx, Id organiser, const std::string& slug,
                                   const SeriesInput& in, int64_t now);
  Result<SeriesSummary> Summarize(calendar::store::Tx& tx, const calendar::Series& s, int64_t now);
  Result<SeriesEditResult> ApplySeriesChange(calendar::store::Tx& tx, Id organiser, Id series_id,
                                             const std::string& if_match, const SeriesPatch& patch,
                                             int64_t now, SeriesEvent* event);
  // Validates the patch and writes it inside `tx` (no commit, no notices): the view after it and,
  // when something changed, what changed in *change. ChangeMeeting commits it; PreviewChange
  // rolls it back.
  Result<MeetingEditResult> ApplyChange(calendar::store::Tx& tx, Id organiser, Id meeting_id,
                                        const std::string& if_match, const MeetingPatch& patch,
                                        int64_t now, MeetingEvent* change);
  Status Commit(calendar::store::Tx& tx);
  Status Changed(calendar::store::Tx& tx, const MeetingEvent& change, int64_t now);
  // Who the change hook will tell of `change` (the plan of change_notices.h), read in its
  // transaction before it queues; empty when no hook is set.
  Result<NoticeTally> TallyNotices(calendar::store::Tx& tx, const MeetingEvent& change,
                                   int64_t now);
  // True once the meeting has started (its start, in its group's zone, is not after `now`).
  Result<bool> Started(calendar::store::Tx& tx, const calendar::Meeting& m, int64_t now);
  // A presenter added or removed inside `tx` (no commit, no notices): the event in *change.
  Result<calendar::Presenter> ApplyAddPresenter(calendar::store::Tx& tx, Id organiser,
                                                Id meeting_id, const std::string& if_match,
                                                const PresenterInput& in, int64_t now,
                                                MeetingEvent* change);
  Status ApplyRemovePresenter(calendar::store::Tx& tx, Id organiser, Id meeting_id,
                              const std::string& if_match, Id presenter_id, int64_t now,
                              MeetingEvent* change);
  // Shared by AddPresenter and RemovePresenter: tells of `change` unless the meeting started.
  Status PresenterChanged(calendar::store::Tx& tx, const MeetingEvent& change, int64_t now,
                          NoticeTally* tally);
  // Ends every link of `kind` ("feed" or "page") of the member: revokes the stored ones and
  // raises store::TokenEpoch, which ends the derived ones (secrets.h) even when none was stored.
  Status EndMemberLinks(calendar::store::Tx& tx, Id member_id, const std::string& kind,
                        int64_t now);
  // ChangePreview's presenter half: the change written in a transaction that is rolled back.
  Result<ChangePreview> PreviewPresenter(Id organiser, Id meeting_id, const PresenterInput* add,
                                         Id remove_id);
  // The member page link's member, or kNotFound.
  Result<calendar::Member> PageMember(calendar::store::Tx& tx, const std::string& page_token);
  // Loads the member and meeting of an apology link and checks its signature.
  Result<ApologyPage> LoadApology(calendar::store::Tx& tx, const std::string& apology_token);
  // Loads the member and group of an unsubscribe link and checks its signature.
  Result<UnsubscribePage> LoadUnsubscribe(calendar::store::Tx& tx, const std::string& token);
  Result<MemberMeeting> LoadMemberMeeting(calendar::store::Tx& tx, const calendar::Member& member,
                                          const calendar::Meeting& m);
  // True while the meeting is scheduled and has not started.
  Result<bool> Open(const MeetingView& v) const;

  calendar::store::Db& db_;
  Clock clock_;
  RandomSource random_;
  std::string base_url_;
  ChangeHook change_hook_;
  SeriesHook series_hook_;
  MemberHook member_hook_;
  DeliveryHook delivery_hook_;
  VenueHook venue_hook_;
  ResetHook reset_hook_;
  std::vector<std::function<void()>> after_commit_;
  LoginLimits limits_;
  std::string link_key_;
  std::string form_key_;
};

}  // namespace convene::server
