#include "notify/compose.h"

#include <fmt/core.h>

#include <algorithm>
#include <cctype>

#include "calendar/words.h"
#include "notify/rfc5322.h"

namespace convene::notify {
namespace {

using calendar::MeetingStatus;

// Who a presenter is, across edits: the email when there is one, else the name.
std::string PresenterKey(const PresenterRef& p) {
  return p.email.empty() ? "name:" + p.name : "email:" + calendar::LowerAscii(p.email);
}

const PresenterRef* FindPresenter(const std::vector<PresenterRef>& list, const std::string& key) {
  for (const PresenterRef& p : list) {
    if (PresenterKey(p) == key) return &p;
  }
  return nullptr;
}

std::string FormatPresenter(const PresenterRef& p) {
  std::string s = p.name;
  if (!p.organisation.empty()) s += " (" + p.organisation + ")";
  if (!p.topic.empty()) s += ": " + p.topic;
  return s;
}

std::string Greeting(const std::string& name) {
  return name.empty() ? "Hello,\n\n" : "Dear " + name + ",\n\n";
}

std::string UnsubscribeUrl(const std::string& base_url, const std::string& token) {
  if (token.empty()) return {};
  for (char c : token) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_')) return {};
  }
  return base_url + "/unsubscribe/" + token;
}

// A message from the group's secretary to `to`, with the unsubscribe link of a member (a
// presenter who is no member has none).
Message ToMember(const Address& organiser, const Recipient& to, const ComposeEnv& env) {
  Message m;
  m.from = organiser;
  m.to = Address{to.name, to.email};
  m.date = env.now;
  m.message_id = env.message_id;
  if (to.member_id != 0) m.unsubscribe_url = UnsubscribeUrl(env.base_url, to.unsubscribe_token);
  return m;
}

void AppendLinks(std::string& out, const std::string& meeting_url, const Recipient& to) {
  out += "\n";
  if (!meeting_url.empty()) out += "Meeting page: " + meeting_url + "\n";
  if (!to.page_url.empty()) out += "Your page: " + to.page_url + "\n";
  if (!to.apology_url.empty()) out += "Send apologies: " + to.apology_url + "\n";
}

void AppendFooter(std::string& out, const GroupRef& g, const Recipient& to,
                  const std::string& unsubscribe_url) {
  out += "\n-- \n";
  out += g.organiser.name.empty() ? "The secretary" : g.organiser.name + ", secretary";
  out += " of " + g.name + ".\n";
  if (to.member_id != 0) {
    out += "You receive this as a member of " + g.name + ".";
    if (!unsubscribe_url.empty()) out += " To stop these notices: " + unsubscribe_url;
    out += "\n";
  } else {
    out += "You receive this because you are listed as a presenter.\n";
  }
}

struct PresenterDiff {
  std::vector<const PresenterRef*> added, removed;
  std::vector<std::pair<const PresenterRef*, const PresenterRef*>> changed;  // before, after
  bool empty() const { return added.empty() && removed.empty() && changed.empty(); }
};

PresenterDiff DiffPresenters(const std::vector<PresenterRef>& b,
                             const std::vector<PresenterRef>& a) {
  PresenterDiff d;
  for (const PresenterRef& p : a) {
    const PresenterRef* old = FindPresenter(b, PresenterKey(p));
    if (!old) {
      d.added.push_back(&p);
    } else if (!(*old == p)) {
      d.changed.emplace_back(old, &p);
    }
  }
  for (const PresenterRef& p : b) {
    if (!FindPresenter(a, PresenterKey(p))) d.removed.push_back(&p);
  }
  return d;
}

void AppendMeetingSummary(std::string& out, const MeetingSnapshot& m, const std::string& tz) {
  out += fmt::format("  When:  {}{}\n", FormatWhen(m.start, m.duration_minutes),
                     tz.empty() ? "" : " (" + tz + " time)");
  out += "  Where: " + FormatVenue(m.venue) + "\n";
  for (const PresenterRef& p : m.presenters) out += "  Presenting: " + FormatPresenter(p) + "\n";
  if (m.status == MeetingStatus::kCancelled) out += "  Status: CANCELLED\n";
}

// Every single-line field typed by people is flattened before it reaches the text: a title or a
// venue name with CR/LF must not start a line of its own ("Bcc: ..." or "." alone) in the body.
std::string Flat(const std::string& s) { return SanitizeHeaderText(s); }

void Flatten(VenueRef& v) {
  v.name = Flat(v.name);
  v.address = Flat(v.address);
  v.postcode = Flat(v.postcode);
}

void Flatten(MeetingSnapshot& m) {
  Flatten(m.venue);
  for (PresenterRef& p : m.presenters) {
    p.name = Flat(p.name);
    p.organisation = Flat(p.organisation);
    p.topic = Flat(p.topic);
  }
}

void Flatten(GroupRef& g) {
  g.name = Flat(g.name);
  g.timezone = Flat(g.timezone);
  g.organiser.name = Flat(g.organiser.name);
}

void Flatten(Recipient& r) {
  r.name = Flat(r.name);
  r.page_url = Flat(r.page_url);
  r.apology_url = Flat(r.apology_url);
  r.feed_url = Flat(r.feed_url);
}

}  // namespace

const char* ItipMethodName(ItipMethod m) { return m == ItipMethod::kCancel ? "CANCEL" : "REQUEST"; }

std::string FormatDay(const calendar::CivilDate& d) { return calendar::LongDate(d); }

std::string FormatWhen(const calendar::LocalDateTime& start, int duration_minutes) {
  std::string s = FormatDay(start.date) + ", ";
  if (duration_minutes <= 0) return s + calendar::FormatTimeOfDay(start.minute_of_day);
  s += calendar::TimeRange(start, duration_minutes);
  const calendar::LocalDateTime end = calendar::AddMinutes(start, duration_minutes);
  if (end.date != start.date) s += " on " + FormatDay(end.date);
  return s;
}

std::string FormatVenue(const VenueRef& v) {
  std::string s = v.name;
  for (const std::string* part : {&v.address, &v.postcode}) {
    if (part->empty()) continue;
    if (!s.empty()) s += ", ";
    s += *part;
  }
  return s.empty() ? "(no venue)" : s;
}

std::string MeetingPageUrl(const std::string& base_url, Id meeting_id) {
  return fmt::format("{}/meetings/{}", base_url, meeting_id);
}

std::string MapUrl(const VenueRef& v) {
  if (v.address.empty() && v.postcode.empty()) return {};
  std::string q = v.name;
  for (const std::string* part : {&v.address, &v.postcode})
    if (!part->empty()) q += (q.empty() ? "" : ", ") + *part;
  std::string enc;
  for (unsigned char c : q) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~')
      enc += static_cast<char>(c);
    else if (c == ' ')
      enc += '+';
    else
      enc += fmt::format("%{:02X}", c);
  }
  return "https://www.openstreetmap.org/search?query=" + enc;
}

Message ComposeReminder(const Reminder& raw, const Recipient& raw_to, const ComposeEnv& env) {
  GroupRef group = raw.group;
  Flatten(group);
  MeetingSnapshot m = raw.meeting;
  Flatten(m);
  Recipient to = raw_to;
  Flatten(to);
  const std::string title = Flat(raw.title);
  Message msg = ToMember(group.organiser, to, env);
  msg.subject = fmt::format("Reminder: {}, {}", title, FormatDay(m.start.date));
  std::string t = Greeting(to.name);
  t += fmt::format("This is a reminder of the meeting \"{}\" of {}.\n\n", title, group.name);
  AppendMeetingSummary(t, m, group.timezone);
  if (const std::string map = MapUrl(m.venue); !map.empty()) t += "  Map:   " + map + "\n";
  if (!raw.venue_notes.empty()) t += "  Getting in: " + Flat(raw.venue_notes) + "\n";
  if (!raw.agenda.empty()) t += "\nAgenda\n" + raw.agenda + "\n";
  if (!to.apology_url.empty())
    t += "\nIf you cannot come, please send your apologies: " + to.apology_url + "\n";
  Recipient links = to;
  links.apology_url.clear();  // said above, in its own sentence
  AppendLinks(t, MeetingPageUrl(env.base_url, raw.meeting_id), links);
  AppendFooter(t, group, to, msg.unsubscribe_url);
  msg.text = std::move(t);
  return msg;
}

Message ComposeReminderDigest(const ReminderDigest& raw, const ComposeEnv& env) {
  GroupRef group = raw.group;
  Flatten(group);
  MeetingSnapshot m = raw.meeting;
  Flatten(m);
  const std::string title = Flat(raw.title);
  const calendar::QuorumForecast& f = raw.forecast;
  std::string counts = fmt::format("{} expected, {} {}", f.expected, f.apologies,
                                   f.apologies == 1 ? "apology" : "apologies");
  if (f.required)
    counts += fmt::format(", quorum {}: {}", *f.required, f.at_risk() ? "at risk" : "met");
  Message msg;
  msg.from = group.organiser;
  msg.to = group.organiser;
  msg.date = env.now;
  msg.message_id = env.message_id;
  msg.subject = fmt::format("Reminders sent: {}, {} ({})", title, FormatDay(m.start.date), counts);
  std::string t = Greeting(group.organiser.name);
  t += fmt::format("The members of {} were reminded of \"{}\":\n\n", group.name, title);
  AppendMeetingSummary(t, m, group.timezone);
  t += "\n" + counts + ".\n";
  if (!raw.apologies.empty()) {
    t += "\nApologies\n";
    for (const ApologyRef& a : raw.apologies)
      t += "  " + Flat(a.name) + (a.reason.empty() ? "" : ": " + Flat(a.reason)) + "\n";
  }
  t += "\nMeeting page: " + MeetingPageUrl(env.base_url, raw.meeting_id) + "\n";
  msg.text = std::move(t);
  return msg;
}

Message ComposeSeriesChange(const SeriesChange& raw_change, const std::vector<std::string>& summary,
                            const std::vector<SeriesChange::Touched>& meetings,
                            const Recipient& raw_to, const ComposeEnv& env) {
  GroupRef group = raw_change.group;
  Flatten(group);
  Recipient to = raw_to;
  Flatten(to);
  Message m = ToMember(group.organiser, to, env);
  std::optional<calendar::CivilDate> first;
  for (const SeriesChange::Touched& t : meetings) {
    const calendar::CivilDate d =
        t.before ? std::min(t.before->start.date, t.after.start.date) : t.after.start.date;
    if (!first || d < *first) first = d;
  }
  // "Changed: Socitm Futures meetings from Monday 15 March 2027" (the group's name: a series
  // title such as "Futures meeting" reads badly before "meetings").
  m.subject = first ? fmt::format("Changed: {} meetings from {}", group.name, FormatDay(*first))
                    : fmt::format("Changed: {} meetings", group.name);
  std::string t = Greeting(to.name);
  for (const std::string& line : summary) t += Flat(line) + "\n";
  std::string changed, cancelled, added;
  for (const SeriesChange::Touched& x : meetings) {
    MeetingSnapshot a = x.after;
    Flatten(a);
    const std::string when = FormatWhen(a.start, a.duration_minutes);
    if (a.status == MeetingStatus::kCancelled) {
      if (!x.before || x.before->status == MeetingStatus::kCancelled) continue;
      cancelled += "  " + FormatWhen(x.before->start, x.before->duration_minutes) + "\n";
    } else if (!x.before || x.before->status == MeetingStatus::kCancelled) {
      added += "  " + when + ", at " + FormatVenue(a.venue) + "\n";
    } else {
      changed += "  " + when + ", at " + FormatVenue(a.venue) + "\n";
    }
  }
  if (!changed.empty()) t += "\nThe meetings this changes, as they now are:\n" + changed;
  if (!added.empty()) t += "\nNew meetings:\n" + added;
  if (!cancelled.empty()) t += "\nCancelled:\n" + cancelled;
  t += "\nYour calendar feed shows the change.\n";
  AppendLinks(t, "", to);
  AppendFooter(t, group, to, m.unsubscribe_url);
  m.text = std::move(t);
  return m;
}

Message ComposeMeetingChange(const MeetingChange& raw_change, const MeetingSnapshot& raw_before,
                             const Recipient& raw_to, const ComposeEnv& env) {
  MeetingChange change;  // the flattened copy of what the text needs (not the members list)
  change.group = raw_change.group;
  change.meeting_id = raw_change.meeting_id;
  change.series_title = Flat(raw_change.series_title);
  change.after = raw_change.after;
  change.series_venue = raw_change.series_venue;
  Flatten(change.group);
  Flatten(change.after);
  if (change.series_venue) Flatten(*change.series_venue);
  MeetingSnapshot before = raw_before;
  Flatten(before);
  Recipient to = raw_to;
  Flatten(to);
  const MeetingSnapshot& b = before;
  const MeetingSnapshot& a = change.after;
  const std::string& title = change.series_title;
  const bool cancelled =
      b.status == MeetingStatus::kScheduled && a.status == MeetingStatus::kCancelled;
  const bool reinstated =
      b.status == MeetingStatus::kCancelled && a.status == MeetingStatus::kScheduled;
  const bool date_changed = b.start.date != a.start.date;
  const bool time_changed = b.start != a.start || b.duration_minutes != a.duration_minutes;
  const bool venue_changed = !(b.venue == a.venue);
  const PresenterDiff pd = DiffPresenters(b.presenters, a.presenters);
  const std::string me =
      to.email.empty() ? std::string() : "email:" + calendar::LowerAscii(to.email);
  const PresenterRef* me_before = me.empty() ? nullptr : FindPresenter(b.presenters, me);
  const PresenterRef* me_after = me.empty() ? nullptr : FindPresenter(a.presenters, me);
  const bool you_added = me_after && !me_before;
  const bool you_removed = me_before && !me_after;

  Message m = ToMember(change.group.organiser, to, env);

  const std::string day_b = FormatDay(b.start.date), day_a = FormatDay(a.start.date);
  const int topics = (time_changed ? 1 : 0) + (venue_changed ? 1 : 0) + (pd.empty() ? 0 : 1);
  if (cancelled) {
    m.subject = fmt::format("Cancelled: {}, {}", title, day_b);
  } else if (reinstated) {
    m.subject = fmt::format("Reinstated: {}, {}", title, day_a);
  } else if (you_added) {
    m.subject = fmt::format("You are presenting: {}, {}", title, day_a);
  } else if (you_removed) {
    m.subject = fmt::format("No longer presenting: {}, {}", title, day_b);
  } else if (topics == 1 && venue_changed) {
    m.subject = fmt::format("Venue changed: {}, {}", title, day_a);
  } else if (topics == 1 && time_changed) {
    m.subject = date_changed ? fmt::format("Date changed: {}, now {}", title, day_a)
                             : fmt::format("Time changed: {}, {}", title, day_a);
  } else if (topics == 1) {
    m.subject = fmt::format("Presenters changed: {}, {}", title, day_a);
  } else {
    m.subject = fmt::format("Changed: {}, {}", title, day_a);
  }

  std::string t = Greeting(to.name);
  if (cancelled) {
    t += fmt::format("The meeting \"{}\" of {} on {} has been cancelled.\n", title,
                     change.group.name, FormatWhen(b.start, b.duration_minutes));
  } else {
    if (reinstated) {
      t += fmt::format("The meeting \"{}\" of {} on {} has been reinstated: it will take place.\n",
                       title, change.group.name, day_a);
    } else {
      t += fmt::format("The meeting \"{}\" of {} on {} has changed.\n", title, change.group.name,
                       day_b);
    }
    if (time_changed) {
      t += date_changed ? "\nDate and time\n" : "\nTime\n";
      t += "  Was: " + FormatWhen(b.start, b.duration_minutes) + "\n";
      t += "  Now: " + FormatWhen(a.start, a.duration_minutes) + "\n";
    }
    if (venue_changed) {
      t += "\nVenue\n";
      t += "  Was: " + FormatVenue(b.venue) + "\n";
      t += "  Now: " + FormatVenue(a.venue) + "\n";
      if (change.series_venue) {
        if (*change.series_venue == a.venue) {
          t += fmt::format("The venue will continue to be {} for the rest of the series.\n",
                           a.venue.name);
        } else {
          t += fmt::format("This change is for this meeting only; later meetings remain at {}.\n",
                           change.series_venue->name);
        }
      }
    }
    if (!pd.empty()) {
      t += "\nPresenters\n";
      for (const PresenterRef* p : pd.added) t += "  Added: " + FormatPresenter(*p) + "\n";
      for (const PresenterRef* p : pd.removed) t += "  Removed: " + FormatPresenter(*p) + "\n";
      for (const auto& [old, now] : pd.changed)
        t += "  Was: " + FormatPresenter(*old) + "\n  Now: " + FormatPresenter(*now) + "\n";
    }
    if (you_added) {
      t += "\nYou are now listed as presenting";
      t += me_after->topic.empty() ? std::string(".\n") : ": " + me_after->topic + ".\n";
    } else if (you_removed) {
      t += "\nYou are no longer listed as a presenter at this meeting.\n";
    }
  }
  t += "\nThe meeting as it now stands:\n";
  AppendMeetingSummary(t, a, change.group.timezone);
  if (a.status != MeetingStatus::kCancelled) {
    if (const std::string map = MapUrl(a.venue); !map.empty()) t += "  Map:   " + map + "\n";
    if (!raw_change.venue_notes.empty())
      t += "  Getting in: " + Flat(raw_change.venue_notes) + "\n";
  }
  AppendLinks(t, MeetingPageUrl(env.base_url, change.meeting_id), to);
  AppendFooter(t, change.group, to, m.unsubscribe_url);
  m.text = std::move(t);
  return m;
}

Message ComposeApologies(const ApologiesChange& raw_change,
                         const std::vector<ApologyRef>& raw_before, const ComposeEnv& env) {
  ApologiesChange change = raw_change;
  change.series_title = Flat(change.series_title);
  Flatten(change.group);
  Flatten(change.meeting);
  std::vector<ApologyRef> before = raw_before;
  for (auto* list : {&change.after, &before}) {
    for (ApologyRef& r : *list) {
      r.name = Flat(r.name);
      r.reason = Flat(r.reason);
    }
  }
  std::vector<const ApologyRef*> added, withdrawn;
  const auto has = [](const std::vector<ApologyRef>& list, const std::string& name) {
    return std::any_of(list.begin(), list.end(),
                       [&](const ApologyRef& r) { return r.name == name; });
  };
  for (const ApologyRef& r : change.after) {
    if (!has(before, r.name)) added.push_back(&r);
  }
  for (const ApologyRef& r : before) {
    if (!has(change.after, r.name)) withdrawn.push_back(&r);
  }
  const GroupRef& g = change.group;
  const std::string day = FormatDay(change.meeting.start.date);
  Message m;
  m.from = g.organiser;
  m.to = g.organiser;
  m.date = env.now;
  m.message_id = env.message_id;
  if (added.size() == 1 && withdrawn.empty()) {
    m.subject = fmt::format("Apologies from {}: {}, {}", added[0]->name, change.series_title, day);
  } else {
    m.subject = fmt::format("Apologies ({} new): {}, {}", added.size(), change.series_title, day);
  }
  std::string t = Greeting(g.organiser.name);
  t += fmt::format("For the meeting \"{}\" of {} on {}:\n", change.series_title, g.name,
                   FormatWhen(change.meeting.start, change.meeting.duration_minutes));
  if (!added.empty()) {
    t += "\nApologies received from\n";
    for (const ApologyRef* r : added)
      t += "  " + r->name + (r->reason.empty() ? std::string() : ": " + r->reason) + "\n";
  }
  if (!withdrawn.empty()) {
    t += "\nApologies withdrawn by\n";
    for (const ApologyRef* r : withdrawn) t += "  " + r->name + "\n";
  }
  const calendar::QuorumForecast& f = change.forecast_after;
  t += fmt::format("\nApologies so far: {} of {} members; {} expected", f.apologies, f.members,
                   f.expected);
  t += f.required ? fmt::format(" (quorum {}).\n", *f.required) : std::string(".\n");
  AppendLinks(t, MeetingPageUrl(env.base_url, change.meeting_id), Recipient{});
  t += "\n-- \nconvene, for " + g.name + ".\n";
  m.text = std::move(t);
  return m;
}

Message ComposeQuorumAtRisk(const ApologiesChange& raw_change, const ComposeEnv& env) {
  ApologiesChange change = raw_change;
  change.series_title = Flat(change.series_title);
  Flatten(change.group);
  Flatten(change.meeting);
  const GroupRef& g = change.group;
  const calendar::QuorumForecast& f = change.forecast_after;
  Message m;
  m.from = g.organiser;
  m.to = g.organiser;
  m.date = env.now;
  m.message_id = env.message_id;
  m.subject = fmt::format("Quorum at risk: {}, {}", change.series_title,
                          FormatDay(change.meeting.start.date));
  std::string t = Greeting(g.organiser.name);
  t += fmt::format(
      "With apologies from {} of {} members, {} are expected at \"{}\" on {}; the quorum is {}.\n",
      f.apologies, f.members, f.expected, change.series_title,
      FormatWhen(change.meeting.start, change.meeting.duration_minutes), f.required.value_or(0));
  t += "You may wish to postpone the meeting or find substitutes.\n";
  t += "You will not be told again about this meeting's quorum.\n";
  AppendLinks(t, MeetingPageUrl(env.base_url, change.meeting_id), Recipient{});
  t += "\n-- \nconvene, for " + g.name + ".\n";
  m.text = std::move(t);
  return m;
}

Message ComposeCalendarSync(const CalendarSync& raw, const CalendarSync::Item& item,
                            const ComposeEnv& env) {
  using Reason = CalendarSync::Reason;
  GroupRef group = raw.group;
  Flatten(group);
  Recipient to = raw.member;
  Flatten(to);
  to.apology_url = Flat(item.apology_url);
  const std::string title = Flat(item.title);
  Message m = ToMember(group.organiser, to, env);
  const size_t n = item.meetings.size();
  std::string when;
  if (n == 1) {
    when = FormatDay(item.meetings.front().start.date);
  } else if (n > 1) {
    when = fmt::format("{} meetings from {}", n, FormatDay(item.meetings.front().start.date));
  }
  if (raw.reason == Reason::kLeft) to.page_url.clear();  // their links no longer open
  const char* what = "Calendar invitation";
  if (raw.reason == Reason::kStop || raw.reason == Reason::kLeft) {
    what = "Removed from your calendar";
  } else if (raw.reason == Reason::kChanged) {
    what = item.cancel ? "Cancelled" : "Updated invitation";
  } else if (raw.reason == Reason::kVenue) {
    what = "Venue details changed";
  }
  m.subject = fmt::format("{}: {}{}", what, title, when.empty() ? "" : ", " + when);
  std::string t = Greeting(to.name);
  switch (raw.reason) {
    case Reason::kStart:
      t += fmt::format(
          "You chose calendar invitations for {}. This invitation puts \"{}\" in your "
          "calendar{}:\n\n",
          group.name, title, n > 1 ? ", with its meetings still to come" : "");
      break;
    case Reason::kNew:
      t += fmt::format("New in {}: this invitation puts \"{}\" in your calendar:\n\n", group.name,
                       title);
      break;
    case Reason::kChanged:
      t += item.cancel
               ? fmt::format("\"{}\" is cancelled; this takes it out of your calendar:\n\n", title)
               : fmt::format(
                     "This invitation updates \"{}\" in your calendar, as the email about the "
                     "change says:\n\n",
                     title);
      break;
    case Reason::kVenue:
      t += fmt::format(
          "The details of a venue of {} have changed. This invitation updates \"{}\" in your "
          "calendar with them:\n\n",
          group.name, title);
      break;
    case Reason::kStop:
      t += fmt::format(
          "You chose the calendar feed for {} instead of calendar invitations. This message "
          "takes \"{}\" out of your calendar, so that your calendar feed, which stays up to "
          "date by itself, is the one place it shows, not twice:\n\n",
          group.name, title);
      break;
    case Reason::kLeft:
      t += fmt::format(
          "This address no longer receives the calendar invitations of {}: you have left the "
          "group, or its secretary now writes to you at another address. This message takes "
          "\"{}\" out of this calendar:\n\n",
          group.name, title);
      break;
  }
  constexpr size_t kListed = 20;
  for (size_t i = 0; i < n && i < kListed; ++i) {
    MeetingSnapshot s = item.meetings[i];
    Flatten(s);
    t += "  " + FormatWhen(s.start, s.duration_minutes) + ", at " + FormatVenue(s.venue) + "\n";
  }
  if (n > kListed) t += fmt::format("  and {} more\n", n - kListed);
  if (raw.reason == Reason::kStart || raw.reason == Reason::kNew)
    t += "\nEvery change to them comes as an invitation that updates your calendar.\n";
  if (raw.reason == Reason::kStop)
    t += "\nIf you have not subscribed to your calendar feed yet, its link is on your page.\n";
  AppendLinks(t, item.meeting_id != 0 ? MeetingPageUrl(env.base_url, item.meeting_id) : "", to);
  if (raw.reason == Reason::kLeft) {
    m.unsubscribe_url.clear();
    t += "\n-- \n";
    t += group.organiser.name.empty() ? "The secretary" : group.organiser.name + ", secretary";
    t += " of " + group.name + ". This is the last message to this address about it.\n";
  } else {
    AppendFooter(t, group, to, m.unsubscribe_url);
  }
  m.text = std::move(t);
  return m;
}

Message ComposeWelcome(const Welcome& raw, const ComposeEnv& env) {
  Welcome w = raw;
  Flatten(w.group);
  Flatten(w.member);
  const GroupRef& g = w.group;
  const Recipient& to = w.member;
  Message m;
  m.from = g.organiser;
  m.to = Address{to.name, to.email};
  m.date = env.now;
  m.message_id = env.message_id;
  m.unsubscribe_url = UnsubscribeUrl(env.base_url, to.unsubscribe_token);
  m.subject = "Welcome to " + g.name;
  std::string t = Greeting(to.name);
  t += fmt::format("You have been added to {}{}.\n", g.name,
                   g.organiser.name.empty() ? "" : " by " + g.organiser.name + ", the secretary");
  if (!to.feed_url.empty()) {
    t += "\nYour calendar feed (subscribe to it in your calendar application; it stays up to "
         "date by itself):\n  " +
         to.feed_url + "\n";
  }
  if (!to.page_url.empty())
    t += "\nYour page, with every meeting (send apologies from there):\n  " + to.page_url + "\n";
  if (!to.apology_url.empty())
    t += "\nTo send apologies for a meeting:\n  " + to.apology_url + "\n";
  t += to.delivery == calendar::Delivery::kInvitations
           ? "\nYou chose calendar invitations: each meeting and every change to it comes as an "
             "invitation your calendar (Outlook, Google, Apple) adds or updates, with an email "
             "saying what changed.\n"
           : "\nThe secretary will advise of any changes by email, and the calendar feed above "
             "shows them by itself.\n";
  t += "\nHow to follow the meetings, your choice (change it on your page):\n"
       "  - Calendar feed: subscribe once to the link above; your calendar keeps every meeting "
       "up to date. Best for most people.\n"
       "  - Calendar invitations: each change arrives as an invitation to accept. Choose this if "
       "your calendar cannot subscribe to feeds (some work calendars cannot).\n";
  t += "These links are personal: please do not share them.\n";
  AppendFooter(t, g, to, m.unsubscribe_url);
  m.text = std::move(t);
  return m;
}

Message ComposePasswordReset(const PasswordReset& reset, const ComposeEnv& env) {
  Message m;
  m.from = Address{"convene", reset.organiser.email};
  m.to = reset.organiser;
  m.date = env.now;
  m.message_id = env.message_id;
  m.subject = "Set a new convene password";
  std::string t = Greeting(reset.organiser.name);
  t += "Someone (we hope you) asked for a new password for the convene organiser account " +
       reset.organiser.email + ".\n\nTo choose one, open this link within " +
       std::to_string(reset.valid_minutes) + " minutes; it works once:\n  " + reset.url + "\n";
  t += "\nIf you did not ask, ignore this email: your password stays as it is.\n";
  m.text = std::move(t);
  return m;
}

}  // namespace convene::notify
