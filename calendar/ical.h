// iCalendar rendering: the subscription feeds (group, venue, member) and the one-meeting iMIP
// objects the notify module mails. The only code that turns the model into iCalendar; the bytes
// must satisfy docs ical-conformance.md F1-F18 and M1-M8.
//
// How a series becomes VEVENTs (ical-conformance.md F11, F14-F17):
// - A rule series is ONE master VEVENT (UID = Series::uid, DTSTART = the first occurrence, the
//   RRULE with UNTIL rewritten to the UTC instant of the last occurrence) plus one RECURRENCE-ID
//   override per meeting shown. Every shown meeting gets an override, not only the moved ones,
//   because each meeting carries what the master cannot: its page link (F18), its presenters and
//   notes, and in a member feed the member's own state and apology link. The master's
//   DESCRIPTION therefore holds only the series agenda and never claims presenters.
// - Meetings left out of a feed leave as EXDATEs on the master (F16): cancelled ones (unless
//   show_cancelled), meetings at other venues in a venue feed, and occurrences of the rule that
//   have no meeting row. The master keeps its DTSTART even when that first occurrence is
//   excluded, so the UID's master never changes shape.
// - An explicit-date series has no master: each meeting is its own VEVENT under Meeting::uid.
//   No RDATE is ever written.
// - There is no METHOD in a feed (F6): a subscription is not a scheduling message, and this keeps
//   organisers' addresses out of public feeds. DTSTAMP therefore equals LAST-MODIFIED (F12), both
//   the latest stored edit time behind the VEVENT, so two renders of the same rows are identical.
// - SEQUENCE: the master carries Series::sequence (operations bump it when its EXDATEs change);
//   in a venue feed, where EXDATEs also follow meetings moving between venues, it carries the
//   highest sequence of the series and its meetings, which still never falls. Overrides and
//   explicit-date events carry Meeting::sequence.
// - Every TZID is a plain IANA name with its own VTIMEZONE (F7, F8), built from the system tz
//   database for the years the feed spans: 1970-based RRULE observances when the zone's rules are
//   regular over the span, one dated observance per change otherwise, a single STANDARD for
//   zones without changes.
//
// Pure functions of their input, no I/O, no clock: thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "calendar/model.h"
#include "calendar/status.h"

namespace convene::calendar {

// One series as a feed shows it.
struct FeedSeries {
  Series series;
  std::string timezone;    // the group's IANA zone: every time of the series is in it
  std::string group_name;  // when not empty (venue and member feeds) SUMMARY is "group: title"
  // EVERY meeting row of the series, cancelled ones and ones at other venues included: a rule
  // series' master and EXDATEs depend on all of them. Any order.
  std::vector<Meeting> meetings;
};

// The subscribing member's own state for one meeting (member feed only).
struct PersonalState {
  bool sent_apologies = false;
  std::string apology_text;  // e.g. "Send apologies: https://.../apologies/<token>"; plain text
  int64_t updated_at = 0;    // when the state last changed (the apology's created_at), or 0
};

struct FeedInput {
  std::string calendar_name;  // X-WR-CALNAME and NAME
  // The feed's own zone (a group feed: the group's). Its VTIMEZONE is written even when no event
  // uses it, so an empty feed still holds one component. May be empty.
  std::string timezone;
  std::string base_url;          // absolute http(s) origin, e.g. "https://convene.example.org"
  int refresh_minutes = 60;      // REFRESH-INTERVAL and X-PUBLISHED-TTL
  bool show_cancelled = false;   // ?cancelled=show: STATUS:CANCELLED events instead of EXDATEs
  std::optional<Id> only_venue;  // a venue feed: meetings elsewhere are left out
  bool personal = false;   // a member feed: DESCRIPTION states "You are expected" or apologies
  int64_t updated_at = 0;  // edit time of the calendar itself (e.g. the group's name)
  std::vector<FeedSeries> series;
  std::map<Id, Venue> venues;                       // by Venue::id
  std::map<Id, std::vector<Presenter>> presenters;  // by Meeting::id
  std::map<Id, PersonalState> personal_state;       // by Meeting::id
};

struct RenderedFeed {
  std::string body;           // the iCalendar object, CRLF lines
  int64_t last_modified = 0;  // the latest stored edit time behind the bytes (Unix seconds)
  // Rows that contradict their series and were left out (e.g. a meeting whose original start is
  // not an occurrence of the rule): for the log, never for the subscriber.
  std::vector<std::string> warnings;
};

// Renders a feed. Fails only when nothing sensible can be written: InvalidArgument when base_url
// is not a safe http(s) URL, a time zone is unknown, or refresh_minutes is outside 1..10080.
// Bad rows inside a series become warnings and are left out.
Result<RenderedFeed> RenderFeed(const FeedInput& in);

// The VTIMEZONE of `tz` covering local years first_year..last_year (at most 60), as folded CRLF
// lines. Exposed for tests and for the notify module's objects.
Result<std::string> RenderVtimezone(const std::string& tz, int first_year, int last_year);

// A venue's busy times as a VFREEBUSY (RFC 5545 3.6.4, METHOD:PUBLISH) in UTC periods, for
// GET /api/v1/venues/{id}/freebusy with Accept: text/calendar. Only generated values go in.
struct BusyPeriod {
  int64_t start_utc = 0;
  int64_t end_utc = 0;
};
std::string RenderFreeBusy(Id venue_id, int64_t dtstamp, const std::vector<BusyPeriod>& busy);

enum class InvitationMethod { kRequest, kCancel };

struct Person {
  std::string name;
  std::string email;
};

// One meeting instance as an iTIP object (RFC 5546) for iMIP (RFC 6047).
struct InvitationInput {
  InvitationMethod method = InvitationMethod::kRequest;
  Series series;         // the meeting's series: its UID (rule series), title and agenda
  std::string timezone;  // the group's zone
  std::string group_name;
  Meeting meeting;             // the instance as it is now (start, venue, status, sequence)
  std::optional<Venue> venue;  // Meeting::venue_id's venue
  std::vector<Presenter> presenters;
  std::string base_url;
  Person organiser;  // ORGANIZER: the mailbox that sends the notice
  Person attendee;   // ATTENDEE: the recipient
  // Replies read by convene (--lmtp, server/ops/replies.h): when set, the ORGANIZER's address
  // is this (CN stays the organiser's name) and the ATTENDEE asks for a reply (RSVP=TRUE).
  // Empty: the organiser's own address and RSVP=FALSE, promising no reply is read.
  std::string reply_address;
  std::string personal_text;  // e.g. the apology link line; plain text, may be empty
  int64_t dtstamp = 0;        // when the message is created (Unix seconds)
};

// A whole rule series as one iTIP object for a member on invitations, after a change to the
// series ("this and following", extend, shorten, end): METHOD:REQUEST with the master and one
// override per scheduled meeting, exactly as the feed has them (EXDATEs for the rest), each
// VEVENT carrying ORGANIZER and ATTENDEE and DTSTAMP = `dtstamp`; or, when no meeting of the
// series is left, METHOD:CANCEL of the whole UID. Replaces what the member's calendar holds for
// the UID, so it equals the feed afterwards. With `cancel`, METHOD:CANCEL of the whole UID
// whatever is left: the attendee stops receiving invitations (they chose the feed), so their
// calendar drops its copy rather than keep one the feed also shows and nothing updates.
struct SeriesInvitationInput {
  FeedSeries series;  // every meeting row of the series
  std::map<Id, Venue> venues;
  std::map<Id, std::vector<Presenter>> presenters;
  std::string base_url;
  Person organiser;
  Person attendee;
  std::string reply_address;  // as InvitationInput::reply_address
  int64_t dtstamp = 0;
  bool cancel = false;  // METHOD:CANCEL of the whole UID even while meetings are left
};
struct SeriesInvitation {
  std::string method;  // REQUEST | CANCEL
  std::string ical;
};
Result<SeriesInvitation> RenderSeriesInvitation(const SeriesInvitationInput& in);

// A VCALENDAR with METHOD:REQUEST or METHOD:CANCEL, the VTIMEZONE and one VEVENT: UID = the
// feed's UID (the series UID plus RECURRENCE-ID = original start for a rule series' meeting,
// Meeting::uid otherwise), SEQUENCE = Meeting::sequence, ORGANIZER and ATTENDEE (RSVP=FALSE, or
// TRUE with a reply_address),
// DTSTAMP = `dtstamp`. A CANCEL carries STATUS:CANCELLED. InvalidArgument when an address or
// base_url is unsafe, the zone is unknown, or a REQUEST is asked for a cancelled meeting.
Result<std::string> RenderInvitation(const InvitationInput& in);

}  // namespace convene::calendar
