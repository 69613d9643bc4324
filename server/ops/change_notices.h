// Notices of use cases: turns what an operation changed (a MeetingEvent, a new member) into
// notify/ inputs, read from the operation's own transaction, and queues them in it, so every
// notice commits or rolls back with its change (architecture.md flow B). The mail itself leaves
// later through notify::Worker, woken after the commit.
//
// Links in notices: the meeting page, the member's apology link for that meeting (signed, see
// secrets.h) and the one-click unsubscribe link; the welcome also carries the feed and page links,
// which exist in clear only while the member is being created.
//
// Threads: the functions hold no state; they run on request threads inside their Tx.
#pragma once

#include <optional>
#include <string>

#include "calendar/store/db.h"
#include "notify/change.h"
#include "notify/notices.h"
#include "server/ops/operations.h"
#include "server/ops/secrets.h"

namespace convene::server {

struct NoticeContext {
  std::string base_url;
  int64_t delay_seconds = 60;  // --notice-delay
  RandomSource random;
  // Replies from calendars (--lmtp): invitations name reply+<token>@reply_domain as ORGANIZER
  // and From, with RSVP=TRUE (server/ops/replies.h). Empty: the organiser's own address,
  // RSVP=FALSE.
  std::string reply_domain;
};

// The ChangeHook: notices to members and presenters for meeting changes, to the organiser for
// apologies (and the quorum warning). Notes-only changes send nothing. Members who chose
// `invitations` also get the iMIP object of calendar/ical.h (REQUEST, or CANCEL when the meeting
// is cancelled) as the text/calendar part.
Status QueueChangeNotices(calendar::store::Tx& tx, const MeetingEvent& change, int64_t now,
                          const NoticeContext& ctx);

// Who QueueChangeNotices would tell what about this change: notify::PlanMeetingChange on the
// very inputs QueueChangeNotices builds, read inside `tx` after the change is written and before
// it commits (or, for the organiser's preview, rolls back). So the preview's recipients are the
// queued rows' recipients by construction. An empty plan for changes that tell no member (notes
// only, apologies: those go to the organiser).
Result<notify::MeetingChangePlan> PlanChangeNotices(calendar::store::Tx& tx,
                                                    const MeetingEvent& change, int64_t now,
                                                    const NoticeContext& ctx);

// The SeriesHook: ONE notice per member for a whole series change (notify::QueueSeriesChange),
// with the whole series as one REQUEST (or CANCEL) for members on invitations.
Status QueueSeriesNotices(calendar::store::Tx& tx, const SeriesEvent& event, int64_t now,
                          const NoticeContext& ctx);
// Who QueueSeriesNotices would tell what: the same plan, read inside the change's transaction.
Result<notify::SeriesChangePlan> PlanSeriesNotices(calendar::store::Tx& tx,
                                                   const SeriesEvent& event, int64_t now,
                                                   const NoticeContext& ctx);

// The MemberHook: the welcome with the member's feed and page links.
Status QueueMemberWelcome(calendar::store::Tx& tx, const calendar::Group& group,
                          const MemberCreated& created, int64_t now, const NoticeContext& ctx);
// The DeliveryHook: a member added (`before` unset) or changed. When their address starts
// receiving calendar invitations (they joined or switched to them, turned notices back on, or
// changed address while on them), every series and single meeting of the group still to come
// as a METHOD:REQUEST (notify::QueueCalendarSync), so that later one-meeting invitations update
// objects their calendar holds; when they switch from invitations to the feed, a METHOD:CANCEL
// of each, so their calendar drops the copies the feed also shows. Their change notices still
// waiting in the coalescing window go out at once (notify::CloseWindowsTo).
Status QueueDeliveryNotices(calendar::store::Tx& tx, const calendar::Group& group,
                            const std::optional<calendar::Member>& before,
                            const calendar::Member& after, int64_t now, const NoticeContext& ctx);
// The VenueHook: when a venue's name, address or postcode changes (the LOCATION of its
// meetings), each member on invitations of a group meeting there later gets the objects holding
// those meetings again (a rule series whole, a single meeting alone), so their calendar shows
// what their feed now does. Members on the feed see it there; nobody else is sent anything.
Status QueueVenueNotices(calendar::store::Tx& tx, const calendar::Venue& before,
                         const calendar::Venue& after, int64_t now, const NoticeContext& ctx);
// The "forgot your password" link to the organiser.
Status QueueResetLink(calendar::store::Tx& tx, const calendar::Organiser& organiser,
                      const std::string& url, int64_t now, const NoticeContext& ctx);

}  // namespace convene::server
