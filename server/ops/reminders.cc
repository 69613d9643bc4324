#include "server/ops/reminders.h"

#include <spdlog/spdlog.h>

#include <map>
#include <set>

#include "calendar/store/store.h"
#include "notify/notices.h"
#include "server/http/links.h"
#include "server/ops/secrets.h"

namespace convene::server {

using namespace calendar;  // NOLINT: the domain vocabulary
namespace st = calendar::store;

namespace {

// When the reminder of `m` falls due: `days` before, at the same wall-clock time (a time that
// does not exist that day, in the spring-forward gap, falls back to exactly days * 24 h).
Result<int64_t> DueAt(const Group& g, const Meeting& m, int days) {
  ASSIGN_OR_RETURN(int64_t start, ToUnix(g.timezone, m.start));
  auto due = ToUnix(g.timezone, LocalDateTime{AddDays(m.start.date, -days), m.start.minute_of_day});
  return due.ok() ? *due : start - int64_t{days} * 86400;
}

}  // namespace

Result<ReminderCounts> QueueDueReminders(st::Db& db, int64_t now, const NoticeContext& ctx,
                                         int max_meetings) {
  ReminderCounts out;
  ASSIGN_OR_RETURN(st::Tx tx, db.Write());
  // Every zone is within a day of UTC; reminders are at most 60 days ahead.
  const CivilDate today = CivilFromDays(now / 86400);
  ASSIGN_OR_RETURN(auto candidates,
                   st::ListScheduledBetween(tx, AddDays(today, -1), AddDays(today, 62)));
  std::map<Id, Group> groups;
  notify::NoticeOptions options;
  options.base_url = ctx.base_url;
  options.delay_seconds = 0;
  options.random = ctx.random;
  std::string key;
  for (const Meeting& m : candidates) {
    if (out.meetings >= max_meetings) break;
    auto git = groups.find(m.group_id);
    if (git == groups.end()) {
      ASSIGN_OR_RETURN(Group g, st::GetGroup(tx, m.group_id));
      git = groups.emplace(g.id, std::move(g)).first;
    }
    const Group& g = git->second;
    if (!g.reminder_days || *g.reminder_days <= 0) continue;
    auto start = ToUnix(g.timezone, m.start);
    if (!start.ok() || *start <= now) continue;  // started: no reminder
    ASSIGN_OR_RETURN(int64_t due, DueAt(g, m, *g.reminder_days));
    if (now < due) continue;

    ASSIGN_OR_RETURN(std::vector<Member> members, st::ListMembers(tx, g.id));
    ASSIGN_OR_RETURN(std::vector<Apology> apologies, st::ListApologies(tx, m.id));
    std::set<Id> apologised;
    for (const Apology& a : apologies) apologised.insert(a.member_id);
    ASSIGN_OR_RETURN(bool digest_new, st::MarkReminder(tx, m.id, 0, now));
    bool any = digest_new;

    ASSIGN_OR_RETURN(Series series, st::GetSeries(tx, m.series_id));
    ASSIGN_OR_RETURN(Venue venue, st::GetVenue(tx, m.venue_id));
    ASSIGN_OR_RETURN(Organiser organiser, st::GetOrganiser(tx, g.organiser_id));
    ASSIGN_OR_RETURN(std::vector<Presenter> presenters, st::ListPresenters(tx, m.id));
    notify::Reminder r;
    r.group = notify::GroupRef{g.id, g.name, g.timezone,
                               notify::Address{organiser.name, organiser.email}};
    r.meeting_id = m.id;
    r.title = TitleOf(series, m);
    r.meeting.start = m.start;
    r.meeting.duration_minutes = m.duration_minutes;
    r.meeting.venue = notify::VenueRef{venue.name, venue.address, venue.postcode};
    r.meeting.status = m.status;
    for (const Presenter& p : presenters)
      r.meeting.presenters.push_back({p.name, p.organisation, p.email, p.topic});
    r.venue_notes = venue.notes;
    r.agenda = AgendaOf(series, m);
    if (key.empty()) {
      ASSIGN_OR_RETURN(key, LinkKey(tx, ctx.random));
    }
    for (const Member& mem : members) {
      if (apologised.count(mem.id) || mem.unsubscribed || mem.email.empty()) continue;
      ASSIGN_OR_RETURN(bool fresh, st::MarkReminder(tx, m.id, mem.id, now));
      if (!fresh) continue;
      any = true;
      notify::Recipient to;
      to.member_id = mem.id;
      to.name = mem.name;
      to.email = mem.email;
      to.delivery = mem.delivery;
      to.apology_url =
          links::Apology(ctx.base_url, ApologyToken(key, m.id, mem.id, mem.links_version));
      ASSIGN_OR_RETURN(int64_t epoch, st::TokenEpoch(tx, mem.id, "page"));
      to.page_url =
          links::MemberPage(ctx.base_url, PageLinkToken(key, mem.id, mem.links_version, epoch));
      to.unsubscribe_token = UnsubscribeToken(key, mem.id, mem.links_version);
      ASSIGN_OR_RETURN(notify::QueueCounts q, notify::QueueReminder(tx, r, to, options, now));
      out.reminders += q.queued;
    }
    if (digest_new) {
      notify::ReminderDigest d;
      d.group = r.group;
      d.meeting_id = m.id;
      d.title = r.title;
      d.meeting = r.meeting;
      std::map<Id, const Member*> by_id;
      for (const Member& mem : members) by_id[mem.id] = &mem;
      for (const Apology& a : apologies) {
        auto it = by_id.find(a.member_id);
        if (it != by_id.end()) d.apologies.push_back({it->second->name, a.reason});
      }
      d.forecast = ForecastQuorum(static_cast<int>(members.size()),
                                  static_cast<int>(d.apologies.size()), g.quorum);
      ASSIGN_OR_RETURN(notify::QueueCounts q, notify::QueueReminderDigest(tx, d, options, now));
      out.digests += q.queued;
    }
    if (any) ++out.meetings;
  }
  if (out.meetings == 0) return out;  // nothing written: the transaction rolls back
  RETURN_IF_ERROR(tx.Commit());
  spdlog::info("reminders: {} for {} meetings, {} digests", out.reminders, out.meetings,
               out.digests);
  return out;
}

}  // namespace convene::server
