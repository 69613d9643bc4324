// The inputs of every notice: what changed, for whom, with which links.
//
// The server's operations build these inside their write transaction from the rows they just
// changed (notify/ never reads the domain tables itself) and hand them to notify/notices.h.
// Plain values; copy freely between threads.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "calendar/civil.h"
#include "calendar/model.h"
#include "calendar/rules.h"
#include "calendar/status.h"
#include "notify/message.h"

namespace convene::notify {

using calendar::Id;

struct VenueRef {
  std::string name;
  std::string address;
  std::string postcode;
  bool operator==(const VenueRef&) const = default;
};

struct PresenterRef {
  std::string name;
  std::string organisation;
  std::string email;  // may be empty: presenters need not have one
  std::string topic;
  bool operator==(const PresenterRef&) const = default;
};

// What a member is told about one meeting. Two snapshots that compare equal mean "nothing to
// tell" (an edit undone inside the coalescing window sends nothing).
struct MeetingSnapshot {
  calendar::LocalDateTime start;  // wall clock in the group's zone
  int duration_minutes = 0;
  VenueRef venue;
  calendar::MeetingStatus status = calendar::MeetingStatus::kScheduled;
  std::vector<PresenterRef> presenters;
  bool operator==(const MeetingSnapshot&) const = default;
};

struct GroupRef {
  Id id = 0;
  std::string name;
  std::string timezone;  // IANA, e.g. Europe/London
  Address organiser;     // the From of every notice of the group (RFC 6047 2.2: = ORGANIZER)
};

struct Recipient {
  Id member_id = 0;  // 0: a presenter who is not a member
  std::string name;
  std::string email;
  calendar::Delivery delivery = calendar::Delivery::kFeed;
  bool unsubscribed = false;  // true: no notices at all (the feed keeps working)
  // Personal capability links, each optional (empty: not mentioned).
  std::string page_url;
  std::string apology_url;
  std::string feed_url;
  // RFC 8058 token: gives `List-Unsubscribe: <{base_url}/unsubscribe/{token}>`. Empty: none.
  std::string unsubscribe_token;
};

enum class ItipMethod { kRequest, kCancel };
const char* ItipMethodName(ItipMethod m);  // "REQUEST" | "CANCEL"

// Renders the VCALENDAR of an iMIP notice for one recipient (calendar/ical.h RenderInvitation):
// exactly one METHOD line equal to `method`, CRLF line ends. Called inside the transaction.
using InvitationRenderer = std::function<Result<std::string>(
    const Recipient& to, const MeetingSnapshot& after, ItipMethod method)>;

// A meeting was moved, re-venued, cancelled, reinstated, or its presenters changed.
struct MeetingChange {
  GroupRef group;
  Id meeting_id = 0;
  std::string series_title;
  MeetingSnapshot before;
  MeetingSnapshot after;
  // Where the rest of the series meets after this change, when the series has later meetings:
  // equal to after.venue gives "the venue will continue to be X"; anything else says the change
  // is for this meeting only.
  std::optional<VenueRef> series_venue;
  // How to get into the venue of `after` (the venue's notes), told with the map link.
  std::string venue_notes;
  // Every member of the group (the unsubscribed and those without email are skipped here).
  // Presenters in before/after with an email are told too, members or not.
  std::vector<Recipient> members;
  // Optional: members who chose `invitations` get a text/calendar part when set.
  InvitationRenderer render_invitation;
};

// A series changed from a date on ("this and following", extended, shortened or ended): ONE
// notice per member for the whole change.
struct SeriesChange {
  GroupRef group;
  Id series_id = 0;
  std::string series_title;          // the series' title before the change
  std::vector<std::string> summary;  // what changed, in words, one sentence each
  // The meetings the change touched, as they were (nullopt: added by the change) and are now.
  struct Touched {
    Id meeting_id = 0;
    std::optional<MeetingSnapshot> before;
    MeetingSnapshot after;
  };
  std::vector<Touched> meetings;  // by start
  std::vector<Recipient> members;
  // Optional: members who chose `invitations` get the whole series as one iTIP object
  // (calendar/ical.h RenderSeriesInvitation).
  std::function<Result<CalendarPart>(const Recipient& to)> render_invitation;
};

// A member's calendar kept equal to their personal feed, one UID at a time (docs/ical.md,
// "Invitations that add up"). Each item is one iTIP object in its own notice:
// - kStart: the member starts receiving calendar invitations (joins on them, switches to them,
//   turns notices back on, or their address changes). Their calendar holds nothing of the group
//   yet, and a later REQUEST for one meeting of a series would be an orphan there, so every
//   series with meetings still to come is sent whole (master and overrides, as a series change
//   sends it) and every single meeting still to come on its own.
// - kStop: they go back to the feed: each of those is cancelled, so their calendar does not keep
//   copies that nothing updates beside the feed's.
// - kNew: a series was created: members on invitations get it as for kStart.
// - kChanged: a series of listed dates changed (its meetings are single meetings, each its own
//   UID): each meeting the change touched, as it now is, or cancelled.
struct CalendarSync {
  // kStart: they chose invitations (or joined on them); kStop: they chose the feed instead;
  // kNew: a series was created; kChanged: meetings of a series of listed dates changed;
  // kLeft: this address gets no more invitations (the member was removed, or the secretary now
  // writes to them at another address), so everything convene put in its calendar comes out;
  // kVenue: the venue's details (name, address, postcode) changed, and these objects show them.
  enum class Reason { kStart, kStop, kNew, kChanged, kLeft, kVenue };
  GroupRef group;
  Recipient member;  // page_url and unsubscribe_token are the links shown
  Reason reason = Reason::kStart;
  struct Item {
    std::string uid;      // the series' UID (a rule series) or the meeting's (a single meeting)
    Id meeting_id = 0;    // a single meeting; 0: a whole rule series
    std::string title;    // the series' (or the meeting's) title
    bool cancel = false;  // METHOD:CANCEL (else REQUEST)
    // The meetings the object brings: a series' scheduled meetings still to come, or the one
    // meeting (as it was planned, when cancelled), by start.
    std::vector<MeetingSnapshot> meetings;
    std::string apology_url;  // a single meeting still to come: the member's apology link
    // The iTIP object, for the member.
    std::function<Result<CalendarPart>(const Recipient& to)> render;
  };
  std::vector<Item> items;  // rule series by id, then single meetings by start
};

// A meeting is `reminder_days` away: each member who has not sent apologies is reminded.
struct Reminder {
  GroupRef group;
  Id meeting_id = 0;
  std::string title;
  MeetingSnapshot meeting;  // when, where, who presents
  std::string venue_notes;  // how to get in ("Ask for the Futures meeting at reception")
  std::string agenda;
};

struct ApologyRef {
  std::string name;
  std::string reason;
  bool operator==(const ApologyRef&) const = default;
};

// Apologies for a meeting were recorded (or withdrawn); the organiser is told.
struct ApologiesChange {
  GroupRef group;
  Id meeting_id = 0;
  std::string series_title;
  MeetingSnapshot meeting;
  std::vector<ApologyRef> before;  // every apology for the meeting before the change
  std::vector<ApologyRef> after;   // ... and after it
  calendar::QuorumForecast forecast_before;
  calendar::QuorumForecast forecast_after;
};

// The organiser's digest sent with the reminders: who is expected, apologies, the quorum.
struct ReminderDigest {
  GroupRef group;
  Id meeting_id = 0;
  std::string title;
  MeetingSnapshot meeting;
  std::vector<ApologyRef> apologies;
  calendar::QuorumForecast forecast;
};

// A member joined a group.
struct Welcome {
  GroupRef group;
  Recipient member;  // feed_url, page_url and apology_url are the links shown
};

}  // namespace convene::notify
