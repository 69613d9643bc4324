#include "server/ops/change_notices.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <functional>
#include <map>
#include <set>
#include <tuple>

#include "calendar/ical.h"
#include "calendar/store/store.h"
#include "notify/notices.h"
#include "server/http/links.h"
#include "server/ops/replies.h"

namespace convene::server {
namespace {

using namespace calendar;  // NOLINT: the domain vocabulary
namespace st = calendar::store;
using Kind = MeetingEvent::Kind;

bool Has(const MeetingEvent& c, Kind k) {
  return std::find(c.kinds.begin(), c.kinds.end(), k) != c.kinds.end();
}

notify::NoticeOptions Options(const NoticeContext& ctx) {
  notify::NoticeOptions o;
  o.base_url = ctx.base_url;
  o.delay_seconds = ctx.delay_seconds;
  o.random = ctx.random;
  return o;
}

Result<notify::GroupRef> GroupRefOf(st::Tx& tx, const Group& g) {
  ASSIGN_OR_RETURN(Organiser o, st::GetOrganiser(tx, g.organiser_id));
  return notify::GroupRef{g.id, g.name, g.timezone, notify::Address{o.name, o.email}};
}

Result<notify::VenueRef> VenueRefOf(st::Tx& tx, Id venue_id) {
  ASSIGN_OR_RETURN(Venue v, st::GetVenue(tx, venue_id));
  return notify::VenueRef{v.name, v.address, v.postcode};
}

notify::PresenterRef PresenterRefOf(const Presenter& p) {
  return notify::PresenterRef{p.name, p.organisation, p.email, p.topic};
}

Result<notify::MeetingSnapshot> Snapshot(st::Tx& tx, const Meeting& m,
                                         const std::vector<Presenter>& presenters) {
  notify::MeetingSnapshot s;
  s.start = m.start;
  s.duration_minutes = m.duration_minutes;
  ASSIGN_OR_RETURN(s.venue, VenueRefOf(tx, m.venue_id));
  s.status = m.status;
  for (const Presenter& p : presenters) s.presenters.push_back(PresenterRefOf(p));
  return s;
}

// Every member as a recipient, with their signed apology and unsubscribe links.
Result<std::vector<notify::Recipient>> Recipients(st::Tx& tx, const NoticeContext& ctx,
                                                  const std::vector<Member>& members, Id meeting_id,
                                                  bool apology_links) {
  ASSIGN_OR_RETURN(std::string key, LinkKey(tx, ctx.random));
  std::vector<notify::Recipient> out;
  for (const Member& m : members) {
    notify::Recipient r;
    r.member_id = m.id;
    r.name = m.name;
    r.email = m.email;
    r.delivery = m.delivery;
    r.unsubscribed = m.unsubscribed;
    if (apology_links)
      r.apology_url =
          links::Apology(ctx.base_url, ApologyToken(key, meeting_id, m.id, m.links_version));
    r.unsubscribe_token = UnsubscribeToken(key, m.id, m.links_version);
    // Their page (derived, never stored; a new page link from the organiser ends it).
    ASSIGN_OR_RETURN(int64_t epoch, st::TokenEpoch(tx, m.id, "page"));
    r.page_url = links::MemberPage(ctx.base_url, PageLinkToken(key, m.id, m.links_version, epoch));
    out.push_back(std::move(r));
  }
  return out;
}

// Each member's reply address for `meeting_id` (0: a whole series) when replies are read
// (--lmtp); none otherwise.
Result<std::map<Id, std::string>> ReplyAddresses(st::Tx& tx, const NoticeContext& ctx,
                                                 const std::vector<Member>& members,
                                                 Id meeting_id) {
  std::map<Id, std::string> out;
  if (ctx.reply_domain.empty()) return out;
  ASSIGN_OR_RETURN(std::string key, LinkKey(tx, ctx.random));
  for (const Member& m : members)
    if (m.delivery == Delivery::kInvitations)
      out[m.id] = ReplyAddress(key, m, meeting_id, ctx.reply_domain);
  return out;
}

// One meeting as an iTIP object for a member on invitations (calendar/ical.h RenderInvitation):
// the meeting as it now is, under the feed's UID, with the member's apology link (M1-M9).
// `reply_to`: each member's reply address for the meeting (ReplyAddresses).
notify::InvitationRenderer MeetingInvitation(
    const Series& series, const Group& g, const Meeting& meeting, const std::optional<Venue>& venue,
    const std::vector<Presenter>& presenters, const notify::Address& organiser, int64_t now,
    const NoticeContext& ctx, std::map<Id, std::string> reply_to) {
  return
      [series, g, meeting, venue, presenters, organiser, now, base = ctx.base_url,
       reply_to = std::move(reply_to)](const notify::Recipient& to, const notify::MeetingSnapshot&,
                                       notify::ItipMethod method) {
        InvitationInput in;
        in.method = method == notify::ItipMethod::kCancel ? InvitationMethod::kCancel
                                                          : InvitationMethod::kRequest;
        in.series = series;
        in.timezone = g.timezone;
        in.group_name = g.name;
        in.meeting = meeting;
        in.venue = venue;
        in.presenters = presenters;
        in.base_url = base;
        in.organiser = Person{organiser.name, organiser.email};
        in.attendee = Person{to.name, to.email};
        if (!to.apology_url.empty()) in.personal_text = "Send apologies: " + to.apology_url;
        if (auto it = reply_to.find(to.member_id); it != reply_to.end())
          in.reply_address = it->second;
        in.dtstamp = now;
        return RenderInvitation(in);
      };
}

// A whole rule series as its feed has it (every meeting row, their venues and presenters), for
// RenderSeriesInvitation; the attendee is filled in per member.
Result<SeriesInvitationInput> SeriesInvitationOf(st::Tx& tx, const NoticeContext& ctx,
                                                 const Group& g, const notify::Address& organiser,
                                                 const Series& series, int64_t now) {
  SeriesInvitationInput in;
  in.series.series = series;
  in.series.timezone = g.timezone;
  in.series.group_name = g.name;
  ASSIGN_OR_RETURN(in.series.meetings, st::ListSeriesMeetings(tx, series.id));
  for (const Meeting& m : in.series.meetings) {
    if (!in.venues.count(m.venue_id)) {
      ASSIGN_OR_RETURN(Venue v, st::GetVenue(tx, m.venue_id));
      in.venues[v.id] = v;
    }
    ASSIGN_OR_RETURN(auto ps, st::ListPresenters(tx, m.id));
    if (!ps.empty()) in.presenters[m.id] = std::move(ps);
  }
  if (!in.venues.count(series.venue_id)) {
    ASSIGN_OR_RETURN(Venue v, st::GetVenue(tx, series.venue_id));
    in.venues[v.id] = v;
  }
  in.base_url = ctx.base_url;
  in.organiser = Person{organiser.name, organiser.email};
  in.dtstamp = now;
  return in;
}

// The whole series for one member: `in` with them as ATTENDEE and their reply address for the
// series (meeting 0).
std::function<Result<notify::CalendarPart>(const notify::Recipient&)> SeriesInvitationFor(
    SeriesInvitationInput in, std::map<Id, std::string> reply_to) {
  return [in = std::move(in), reply_to = std::move(reply_to)](
             const notify::Recipient& to) -> Result<notify::CalendarPart> {
    SeriesInvitationInput mine = in;
    mine.attendee = Person{to.name, to.email};
    if (auto it = reply_to.find(to.member_id); it != reply_to.end())
      mine.reply_address = it->second;
    ASSIGN_OR_RETURN(calendar::SeriesInvitation inv, RenderSeriesInvitation(mine));
    return notify::CalendarPart{inv.method, std::move(inv.ical)};
  };
}

// The notify/ input of a meeting change, read from the change's own transaction.
Result<notify::MeetingChange> BuildMeetingChange(st::Tx& tx, const MeetingEvent& change,
                                                 int64_t now, const NoticeContext& ctx) {
  const Meeting& before = change.before;
  const Meeting& after = change.after;
  ASSIGN_OR_RETURN(Group g, st::GetGroup(tx, after.group_id));
  ASSIGN_OR_RETURN(Series series, st::GetSeries(tx, after.series_id));
  // The presenter lists on either side: the store holds the "after" list now.
  ASSIGN_OR_RETURN(std::vector<Presenter> now_list, st::ListPresenters(tx, after.id));
  std::vector<Presenter> before_list = now_list;
  if (change.presenter && Has(change, Kind::kPresenterAdded)) {
    std::erase_if(before_list, [&](const Presenter& p) { return p.id == change.presenter->id; });
  }
  if (change.presenter && Has(change, Kind::kPresenterRemoved)) {
    before_list.push_back(*change.presenter);
    std::sort(before_list.begin(), before_list.end(),
              [](const Presenter& a, const Presenter& b) { return a.id < b.id; });
  }

  notify::MeetingChange c;
  ASSIGN_OR_RETURN(c.group, GroupRefOf(tx, g));
  c.meeting_id = after.id;
  c.series_title = TitleOf(series, after);
  ASSIGN_OR_RETURN(c.before, Snapshot(tx, before, before_list));
  ASSIGN_OR_RETURN(c.after, Snapshot(tx, after, now_list));
  {
    // "The venue will continue to be X": where the next meeting of the series is. Looked up on
    // every change, not only venue changes: a later edit in the window rewrites the notice, and
    // the net change may still be a venue change.
    ASSIGN_OR_RETURN(std::vector<Meeting> all, st::ListSeriesMeetings(tx, series.id));
    for (const Meeting& m : all) {
      if (m.id == after.id || m.original_start <= after.original_start ||
          m.status == MeetingStatus::kCancelled)
        continue;
      ASSIGN_OR_RETURN(notify::VenueRef v, VenueRefOf(tx, m.venue_id));
      c.series_venue = v;
      break;
    }
  }
  ASSIGN_OR_RETURN(std::vector<Member> members, st::ListMembers(tx, g.id));
  ASSIGN_OR_RETURN(
      c.members, Recipients(tx, ctx, members, after.id, after.status == MeetingStatus::kScheduled));
  // The iMIP object for members who chose invitations: the meeting as it now is, from the
  // feed's UID, with the member's apology link (ical-conformance M1-M9).
  std::optional<Venue> venue;
  if (auto v = st::GetVenue(tx, after.venue_id); v.ok()) venue = *v;
  if (venue) c.venue_notes = venue->notes;
  ASSIGN_OR_RETURN(auto reply_to, ReplyAddresses(tx, ctx, members, after.id));
  c.render_invitation = MeetingInvitation(series, g, after, venue, now_list, c.group.organiser, now,
                                          ctx, std::move(reply_to));
  return c;
}

Status MeetingNotices(st::Tx& tx, const MeetingEvent& change, int64_t now,
                      const NoticeContext& ctx) {
  ASSIGN_OR_RETURN(notify::MeetingChange c, BuildMeetingChange(tx, change, now, ctx));
  ASSIGN_OR_RETURN(notify::QueueCounts q, notify::QueueMeetingChange(tx, c, Options(ctx), now));
  spdlog::debug("meeting {}: notices queued {} updated {} superseded {} skipped {}",
                change.after.id, q.queued, q.updated, q.superseded, q.skipped);
  return Status::Ok();
}

Status ApologyNotices(st::Tx& tx, const MeetingEvent& change, int64_t now,
                      const NoticeContext& ctx) {
  const Meeting& m = change.after;
  ASSIGN_OR_RETURN(Group g, st::GetGroup(tx, m.group_id));
  ASSIGN_OR_RETURN(Series series, st::GetSeries(tx, m.series_id));
  // The members the meeting counts (those removed before it started do not).
  ASSIGN_OR_RETURN(int64_t start, ToUnix(g.timezone, m.start));
  ASSIGN_OR_RETURN(std::vector<Member> members, st::ListMembersAt(tx, g.id, start));
  ASSIGN_OR_RETURN(std::vector<Apology> apologies, st::ListApologies(tx, m.id));
  std::map<Id, const Member*> by_id;
  for (const Member& mem : members) by_id[mem.id] = &mem;

  notify::ApologiesChange c;
  ASSIGN_OR_RETURN(c.group, GroupRefOf(tx, g));
  c.meeting_id = m.id;
  c.series_title = TitleOf(series, m);
  ASSIGN_OR_RETURN(std::vector<Presenter> presenters, st::ListPresenters(tx, m.id));
  ASSIGN_OR_RETURN(c.meeting, Snapshot(tx, m, presenters));
  for (const Apology& a : apologies) {
    auto it = by_id.find(a.member_id);
    notify::ApologyRef r{
        it == by_id.end() ? "member " + std::to_string(a.member_id) : it->second->name, a.reason};
    c.after.push_back(r);
    if (a.member_id != change.member_id) c.before.push_back(r);
  }
  if (Has(change, Kind::kApologiesWithdrawn)) {
    // The member took their apologies back: before the change they were listed (the reason
    // is gone with the row), and a notice of them still waiting in its window is withdrawn.
    c.before = c.after;
    auto it = by_id.find(change.member_id);
    c.before.push_back(notify::ApologyRef{
        it == by_id.end() ? "member " + std::to_string(change.member_id) : it->second->name, ""});
  }
  const int n = static_cast<int>(members.size());
  c.forecast_before = ForecastQuorum(n, static_cast<int>(c.before.size()), g.quorum);
  c.forecast_after = ForecastQuorum(n, static_cast<int>(c.after.size()), g.quorum);
  return notify::QueueApologies(tx, c, Options(ctx), now).status();
}

// True when the change tells members and presenters (not only the organiser, or no one).
bool TellsMembers(const MeetingEvent& change) {
  static constexpr Kind kMeetingKinds[] = {
      Kind::kMoved,      Kind::kVenueChanged,   Kind::kRetimed,         Kind::kCancelled,
      Kind::kReinstated, Kind::kPresenterAdded, Kind::kPresenterRemoved};
  return std::any_of(std::begin(kMeetingKinds), std::end(kMeetingKinds),
                     [&](Kind k) { return Has(change, k); });
}

// The notify/ input of a series change, read from the change's own transaction.
Result<notify::SeriesChange> BuildSeriesChange(st::Tx& tx, const SeriesEvent& ev, int64_t now,
                                               const NoticeContext& ctx) {
  ASSIGN_OR_RETURN(Group g, st::GetGroup(tx, ev.after.group_id));
  notify::SeriesChange c;
  ASSIGN_OR_RETURN(c.group, GroupRefOf(tx, g));
  c.series_id = ev.after.id;
  c.series_title = ev.before.title;
  c.summary = ev.summary;
  for (const SeriesEvent::Touched& t : ev.meetings) {
    ASSIGN_OR_RETURN(std::vector<Presenter> presenters, st::ListPresenters(tx, t.after.id));
    notify::SeriesChange::Touched x;
    x.meeting_id = t.after.id;
    if (t.before) {
      ASSIGN_OR_RETURN(notify::MeetingSnapshot b, Snapshot(tx, *t.before, presenters));
      x.before = b;
    }
    ASSIGN_OR_RETURN(x.after, Snapshot(tx, t.after, presenters));
    c.meetings.push_back(std::move(x));
  }
  ASSIGN_OR_RETURN(std::vector<Member> members, st::ListMembers(tx, g.id));
  ASSIGN_OR_RETURN(c.members, Recipients(tx, ctx, members, 0, false));
  if (ev.after.is_rule()) {
    // The whole series as the feed has it, for members on invitations.
    ASSIGN_OR_RETURN(SeriesInvitationInput in,
                     SeriesInvitationOf(tx, ctx, g, c.group.organiser, ev.after, now));
    ASSIGN_OR_RETURN(auto reply_to, ReplyAddresses(tx, ctx, members, 0));
    c.render_invitation = SeriesInvitationFor(std::move(in), std::move(reply_to));
  }
  return c;
}

// True while the member's calendar gets invitations from convene.
bool GetsInvitations(const Member& m) {
  return m.delivery == Delivery::kInvitations && !m.unsubscribed && !m.left_at && !m.email.empty();
}

// A rule series as one item of a member's calendar sync: the whole series (REQUEST), or its
// whole UID cancelled. `upcoming`: its scheduled meetings still to come, by start.
Result<notify::CalendarSync::Item> SeriesItem(st::Tx& tx, const NoticeContext& ctx, const Group& g,
                                              const notify::GroupRef& group, const Series& s,
                                              const std::vector<Meeting>& upcoming,
                                              const Member& member, bool cancel, int64_t now) {
  notify::CalendarSync::Item item;
  item.uid = s.uid;
  item.title = s.title;
  item.cancel = cancel;
  for (const Meeting& m : upcoming) {
    ASSIGN_OR_RETURN(auto ps, st::ListPresenters(tx, m.id));
    ASSIGN_OR_RETURN(notify::MeetingSnapshot snap, Snapshot(tx, m, ps));
    item.meetings.push_back(std::move(snap));
  }
  ASSIGN_OR_RETURN(SeriesInvitationInput in,
                   SeriesInvitationOf(tx, ctx, g, group.organiser, s, now));
  in.cancel = cancel;
  ASSIGN_OR_RETURN(auto reply_to, ReplyAddresses(tx, ctx, {member}, 0));
  item.render = SeriesInvitationFor(std::move(in), std::move(reply_to));
  return item;
}

// A single meeting (of a series of listed dates: its own UID) as one item of a member's calendar
// sync: REQUEST with the member's apology link, or CANCEL.
Result<notify::CalendarSync::Item> MeetingItem(st::Tx& tx, const NoticeContext& ctx, const Group& g,
                                               const notify::GroupRef& group, const Series& s,
                                               const Meeting& m, const Member& member, bool cancel,
                                               int64_t now) {
  notify::CalendarSync::Item item;
  item.uid = m.uid;
  item.meeting_id = m.id;
  item.title = TitleOf(s, m);
  item.cancel = cancel;
  ASSIGN_OR_RETURN(auto ps, st::ListPresenters(tx, m.id));
  ASSIGN_OR_RETURN(notify::MeetingSnapshot snap, Snapshot(tx, m, ps));
  item.meetings.push_back(snap);
  if (!cancel) {
    ASSIGN_OR_RETURN(std::string key, LinkKey(tx, ctx.random));
    item.apology_url =
        links::Apology(ctx.base_url, ApologyToken(key, m.id, member.id, member.links_version));
  }
  std::optional<Venue> venue;
  if (auto v = st::GetVenue(tx, m.venue_id); v.ok()) venue = *v;
  ASSIGN_OR_RETURN(auto reply_to, ReplyAddresses(tx, ctx, {member}, m.id));
  const notify::ItipMethod method =
      cancel ? notify::ItipMethod::kCancel : notify::ItipMethod::kRequest;
  item.render = [render = MeetingInvitation(s, g, m, venue, ps, group.organiser, now, ctx,
                                            std::move(reply_to)),
                 snap, method, apology = item.apology_url](
                    const notify::Recipient& to) -> Result<notify::CalendarPart> {
    notify::Recipient mine = to;
    mine.apology_url = apology;
    ASSIGN_OR_RETURN(std::string ical, render(mine, snap, method));
    return notify::CalendarPart{notify::ItipMethodName(method), std::move(ical)};
  };
  return item;
}

// The sync's member, with their page and unsubscribe links.
Result<notify::CalendarSync> SyncFor(st::Tx& tx, const NoticeContext& ctx, const Group& g,
                                     const Member& member, notify::CalendarSync::Reason reason) {
  notify::CalendarSync c;
  c.reason = reason;
  ASSIGN_OR_RETURN(c.group, GroupRefOf(tx, g));
  ASSIGN_OR_RETURN(std::vector<notify::Recipient> to, Recipients(tx, ctx, {member}, 0, false));
  c.member = to.front();
  return c;
}

// The scheduled meetings of `s` that have not started by `now`, by start.
Result<std::vector<Meeting>> Upcoming(st::Tx& tx, const Group& g, const Series& s, int64_t now) {
  ASSIGN_OR_RETURN(std::vector<Meeting> meetings, st::ListSeriesMeetings(tx, s.id));
  std::sort(meetings.begin(), meetings.end(), [](const Meeting& a, const Meeting& b) {
    return std::tie(a.start, a.id) < std::tie(b.start, b.id);
  });
  std::vector<Meeting> upcoming;
  for (const Meeting& m : meetings) {
    if (m.status != MeetingStatus::kScheduled) continue;
    ASSIGN_OR_RETURN(int64_t start, ToUnix(g.timezone, m.start));
    if (start > now) upcoming.push_back(m);
  }
  return upcoming;
}

// The objects of series `s` for a member's calendar sync, from its meetings still to come
// (`upcoming`): a rule series whole, as one item appended to `series_items`; a series of listed
// dates as one item per meeting (only those `keep` accepts), appended to `meeting_items`.
Status AppendSeriesItems(st::Tx& tx, const NoticeContext& ctx, const Group& g,
                         const notify::GroupRef& group, const Series& s,
                         const std::vector<Meeting>& upcoming, const Member& member, bool cancel,
                         int64_t now, std::vector<notify::CalendarSync::Item>* series_items,
                         std::vector<notify::CalendarSync::Item>* meeting_items,
                         const std::function<bool(const Meeting&)>& keep = nullptr) {
  if (s.is_rule()) {
    ASSIGN_OR_RETURN(auto item, SeriesItem(tx, ctx, g, group, s, upcoming, member, cancel, now));
    series_items->push_back(std::move(item));
    return Status::Ok();
  }
  for (const Meeting& m : upcoming) {
    if (keep && !keep(m)) continue;
    ASSIGN_OR_RETURN(auto item, MeetingItem(tx, ctx, g, group, s, m, member, cancel, now));
    meeting_items->push_back(std::move(item));
  }
  return Status::Ok();
}

// The whole picture of a member's calendar (kStart, kStop) or of one new series (kNew, with
// `only`): every series with scheduled meetings still to come, a rule series whole under its UID,
// a series of listed dates as one item per meeting still to come; read from the transaction of
// the write that calls for it.
Result<notify::CalendarSync> BuildCalendarSync(st::Tx& tx, const Group& g, const Member& member,
                                               notify::CalendarSync::Reason reason, int64_t now,
                                               const NoticeContext& ctx,
                                               std::optional<Id> only = std::nullopt) {
  ASSIGN_OR_RETURN(notify::CalendarSync c, SyncFor(tx, ctx, g, member, reason));
  const bool cancel = reason == notify::CalendarSync::Reason::kStop ||
                      reason == notify::CalendarSync::Reason::kLeft;
  ASSIGN_OR_RETURN(std::vector<Series> all, st::ListSeries(tx, g.id));
  std::sort(all.begin(), all.end(), [](const Series& a, const Series& b) { return a.id < b.id; });
  std::vector<notify::CalendarSync::Item> singles;
  for (const Series& s : all) {
    if (only && s.id != *only) continue;
    ASSIGN_OR_RETURN(std::vector<Meeting> upcoming, Upcoming(tx, g, s, now));
    if (upcoming.empty()) continue;
    RETURN_IF_ERROR(AppendSeriesItems(tx, ctx, g, c.group, s, upcoming, member, cancel, now,
                                      &c.items, &singles));
  }
  std::stable_sort(singles.begin(), singles.end(),
                   [](const notify::CalendarSync::Item& a, const notify::CalendarSync::Item& b) {
                     return a.meetings.front().start < b.meetings.front().start;
                   });
  for (auto& item : singles) c.items.push_back(std::move(item));
  return c;
}

Status QueueSync(st::Tx& tx, const notify::CalendarSync& sync, int64_t now,
                 const NoticeContext& ctx) {
  ASSIGN_OR_RETURN(notify::QueueCounts q, notify::QueueCalendarSync(tx, sync, Options(ctx), now));
  spdlog::debug("member {}: calendar sync queued {} updated {} skipped {}", sync.member.member_id,
                q.queued, q.updated, q.skipped);
  return Status::Ok();
}

// A series was created, or a series of listed dates changed: members on invitations get each
// object it added or changed (a series of listed dates has no UID of its own, so the series
// change's notice carries none and each meeting travels apart).
Status SeriesSyncs(st::Tx& tx, const SeriesEvent& ev, int64_t now, const NoticeContext& ctx) {
  if (!ev.created && ev.after.is_rule()) return Status::Ok();  // the notice carries the series
  ASSIGN_OR_RETURN(Group g, st::GetGroup(tx, ev.after.group_id));
  ASSIGN_OR_RETURN(std::vector<Member> members, st::ListMembers(tx, g.id));
  for (const Member& member : members) {
    if (!GetsInvitations(member)) continue;
    if (ev.created) {
      ASSIGN_OR_RETURN(notify::CalendarSync sync,
                       BuildCalendarSync(tx, g, member, notify::CalendarSync::Reason::kNew, now,
                                         ctx, ev.after.id));
      RETURN_IF_ERROR(QueueSync(tx, sync, now, ctx));
      continue;
    }
    ASSIGN_OR_RETURN(notify::CalendarSync sync,
                     SyncFor(tx, ctx, g, member, notify::CalendarSync::Reason::kChanged));
    for (const SeriesEvent::Touched& t : ev.meetings) {
      const Meeting& m = t.after;
      const bool cancelled = m.status == MeetingStatus::kCancelled;
      // A cancelled meeting their calendar never held (added by the change, or cancelled
      // already) needs nothing; a meeting that has started is history.
      if (cancelled && (!t.before || t.before->status == MeetingStatus::kCancelled)) continue;
      ASSIGN_OR_RETURN(int64_t start, ToUnix(g.timezone, m.start));
      if (start <= now) continue;
      ASSIGN_OR_RETURN(auto item,
                       MeetingItem(tx, ctx, g, sync.group, ev.after, m, member, cancelled, now));
      sync.items.push_back(std::move(item));
    }
    RETURN_IF_ERROR(QueueSync(tx, sync, now, ctx));
  }
  return Status::Ok();
}

}  // namespace

Status QueueSeriesNotices(st::Tx& tx, const SeriesEvent& event, int64_t now,
                          const NoticeContext& ctx) {
  if (!event.created) {
    ASSIGN_OR_RETURN(notify::SeriesChange c, BuildSeriesChange(tx, event, now, ctx));
    ASSIGN_OR_RETURN(notify::QueueCounts q, notify::QueueSeriesChange(tx, c, Options(ctx), now));
    spdlog::debug("series {}: notices queued {} updated {} superseded {} skipped {}",
                  event.after.id, q.queued, q.updated, q.superseded, q.skipped);
  }
  return SeriesSyncs(tx, event, now, ctx);
}

Result<notify::SeriesChangePlan> PlanSeriesNotices(st::Tx& tx, const SeriesEvent& event,
                                                   int64_t now, const NoticeContext& ctx) {
  if (event.created) return notify::SeriesChangePlan{};
  ASSIGN_OR_RETURN(notify::SeriesChange c, BuildSeriesChange(tx, event, now, ctx));
  return notify::PlanSeriesChange(tx, c, now);
}

Result<notify::MeetingChangePlan> PlanChangeNotices(st::Tx& tx, const MeetingEvent& change,
                                                    int64_t now, const NoticeContext& ctx) {
  if (!TellsMembers(change)) return notify::MeetingChangePlan{};
  ASSIGN_OR_RETURN(notify::MeetingChange c, BuildMeetingChange(tx, change, now, ctx));
  return notify::PlanMeetingChange(tx, c, now);
}

Status QueueChangeNotices(st::Tx& tx, const MeetingEvent& change, int64_t now,
                          const NoticeContext& ctx) {
  if (TellsMembers(change)) RETURN_IF_ERROR(MeetingNotices(tx, change, now, ctx));
  if (Has(change, Kind::kApologies) || Has(change, Kind::kApologiesWithdrawn))
    RETURN_IF_ERROR(ApologyNotices(tx, change, now, ctx));
  return Status::Ok();
}

Status QueueMemberWelcome(st::Tx& tx, const Group& group, const MemberCreated& created, int64_t now,
                          const NoticeContext& ctx) {
  notify::Welcome w;
  ASSIGN_OR_RETURN(w.group, GroupRefOf(tx, group));
  const Member& m = created.member;
  w.member.member_id = m.id;
  w.member.name = m.name;
  w.member.email = m.email;
  w.member.delivery = m.delivery;
  w.member.unsubscribed = m.unsubscribed;
  if (!created.feed_token.empty())
    w.member.feed_url = links::MemberFeed(ctx.base_url, created.feed_token);
  if (!created.page_token.empty())
    w.member.page_url = links::MemberPage(ctx.base_url, created.page_token);
  ASSIGN_OR_RETURN(std::string key, LinkKey(tx, ctx.random));
  w.member.unsubscribe_token = UnsubscribeToken(key, m.id, m.links_version);
  return notify::QueueWelcome(tx, w, Options(ctx), now).status();
}

Status QueueDeliveryNotices(st::Tx& tx, const Group& group, const std::optional<Member>& before,
                            const Member& after, int64_t now, const NoticeContext& ctx) {
  const bool was = before && GetsInvitations(*before);
  const bool same_address = before && LowerAscii(before->email) == LowerAscii(after.email);
  if (was && (!same_address || after.left_at)) {
    // The calendar at their old address (or of a member removed) is emptied: a feed they no
    // longer have is empty too. Notices still waiting for that address go first.
    RETURN_IF_ERROR(notify::CloseWindowsTo(tx, group.id, before->email, now).status());
    ASSIGN_OR_RETURN(
        notify::CalendarSync sync,
        BuildCalendarSync(tx, group, *before, notify::CalendarSync::Reason::kLeft, now, ctx));
    RETURN_IF_ERROR(QueueSync(tx, sync, now, ctx));
  }
  notify::CalendarSync::Reason reason;
  if (GetsInvitations(after) && !(was && same_address)) {
    reason = notify::CalendarSync::Reason::kStart;
  } else if (was && same_address && after.delivery == Delivery::kFeed && !after.unsubscribed &&
             !after.left_at) {
    reason = notify::CalendarSync::Reason::kStop;
  } else {
    return Status::Ok();  // nothing moves between their calendar and their feed
  }
  // Change notices still waiting for them were written for the delivery they had: they go now,
  // before the sync, and a later edit that undoes one tells them again (notify/outbox.h).
  RETURN_IF_ERROR(notify::CloseWindowsTo(tx, group.id, after.email, now).status());
  ASSIGN_OR_RETURN(notify::CalendarSync sync,
                   BuildCalendarSync(tx, group, after, reason, now, ctx));
  return QueueSync(tx, sync, now, ctx);
}

Status QueueVenueNotices(st::Tx& tx, const Venue& before, const Venue& after, int64_t now,
                         const NoticeContext& ctx) {
  if (before.name == after.name && before.address == after.address &&
      before.postcode == after.postcode)
    return Status::Ok();  // LOCATION is the same: capacity and notes are not in the objects
  // The series with a scheduled meeting there still to come, by group.
  ASSIGN_OR_RETURN(std::vector<Meeting> there,
                   st::ListVenueMeetings(tx, after.id, std::nullopt, std::nullopt));
  std::map<Id, Group> groups;
  std::map<Id, Series> series;
  std::map<Id, std::set<Id>> touched;  // group id -> series ids
  std::set<Id> meetings_there;
  for (const Meeting& m : there) {
    if (m.status != MeetingStatus::kScheduled) continue;
    if (!series.count(m.series_id)) {
      ASSIGN_OR_RETURN(Series s, st::GetSeries(tx, m.series_id));
      series.emplace(s.id, s);
    }
    const Series& s = series.at(m.series_id);
    if (!groups.count(s.group_id)) {
      ASSIGN_OR_RETURN(Group g, st::GetGroup(tx, s.group_id));
      groups.emplace(g.id, g);
    }
    ASSIGN_OR_RETURN(int64_t start, ToUnix(groups.at(s.group_id).timezone, m.start));
    if (start <= now) continue;
    touched[s.group_id].insert(s.id);
    meetings_there.insert(m.id);
  }
  for (const auto& [group_id, series_ids] : touched) {
    const Group& g = groups.at(group_id);
    std::map<Id, std::vector<Meeting>> upcoming;  // read once, for every member
    for (Id sid : series_ids) {
      ASSIGN_OR_RETURN(upcoming[sid], Upcoming(tx, g, series.at(sid), now));
    }
    const auto there = [&](const Meeting& m) { return meetings_there.count(m.id) > 0; };
    ASSIGN_OR_RETURN(std::vector<Member> members, st::ListMembers(tx, g.id));
    for (const Member& member : members) {
      if (!GetsInvitations(member)) continue;
      ASSIGN_OR_RETURN(notify::CalendarSync sync,
                       SyncFor(tx, ctx, g, member, notify::CalendarSync::Reason::kVenue));
      for (Id sid : series_ids) {
        RETURN_IF_ERROR(AppendSeriesItems(tx, ctx, g, sync.group, series.at(sid), upcoming[sid],
                                          member, false, now, &sync.items, &sync.items, there));
      }
      RETURN_IF_ERROR(QueueSync(tx, sync, now, ctx));
    }
  }
  return Status::Ok();
}

Status QueueResetLink(st::Tx& tx, const Organiser& organiser, const std::string& url, int64_t now,
                      const NoticeContext& ctx) {
  notify::PasswordReset r;
  r.organiser = notify::Address{organiser.name, organiser.email};
  r.url = url;
  return notify::QueuePasswordReset(tx, r, Options(ctx), now).status();
}

}  // namespace convene::server
