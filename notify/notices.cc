#include "notify/notices.h"

#include <fmt/core.h>
#include <sodium.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "notify/compose.h"
#include "notify/outbox.h"
#include "notify/rfc5322.h"

namespace convene::notify {
namespace {

using calendar::store::Tx;
using nlohmann::json;

json VenueJson(const VenueRef& v) {
  return json{{"name", v.name}, {"address", v.address}, {"postcode", v.postcode}};
}

VenueRef VenueFrom(const json& j) {
  return VenueRef{j.value("name", ""), j.value("address", ""), j.value("postcode", "")};
}

std::string ApologiesJson(const std::vector<ApologyRef>& list) {
  json a = json::array();
  for (const ApologyRef& r : list) a.push_back(json{{"name", r.name}, {"reason", r.reason}});
  return a.dump();
}

Result<std::vector<ApologyRef>> ParseApologiesJson(const std::string& text) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_array()) return Internal("bad apologies snapshot");
  std::vector<ApologyRef> out;
  for (const json& r : j) {
    if (!r.is_object()) return Internal("bad apologies snapshot");
    out.push_back(ApologyRef{r.value("name", ""), r.value("reason", "")});
  }
  return out;
}

// One composed notice for one recipient, written as a new row or over a pending one.
struct Draft {
  const NoticeOptions* options = nullptr;
  Id group_id = 0;
  Id meeting_id = 0;
  std::string kind;
  std::string coalesce_key;
  std::string before_state, after_state;
  int64_t due_at = 0;
};

Draft MakeDraft(const NoticeOptions& options, Id group_id, Id meeting_id, std::string kind,
                std::string coalesce_key) {
  Draft d;
  d.options = &options;
  d.group_id = group_id;
  d.meeting_id = meeting_id;
  d.kind = std::move(kind);
  d.coalesce_key = std::move(coalesce_key);
  return d;
}

Status Write(Tx& tx, const Draft& d, const Message& msg, const std::string& bytes,
             const std::optional<PendingRow>& pending, int64_t now, QueueCounts& counts) {
  if (pending) {
    RETURN_IF_ERROR(
        UpdatePending(tx, pending->id, SanitizeHeaderText(msg.subject), bytes, d.after_state, now));
    ++counts.updated;
    return Status::Ok();
  }
  NewOutboxRow row;
  row.group_id = d.group_id;
  row.meeting_id = d.meeting_id;
  row.kind = d.kind;
  row.coalesce_key = d.coalesce_key;
  row.recipient = msg.to.email;
  row.subject = SanitizeHeaderText(msg.subject);
  row.message_id = msg.message_id;
  row.bounce_domain =
      d.options->bounce_domain.empty() ? DomainOf(msg.from.email) : d.options->bounce_domain;
  row.body = bytes;
  row.before_state = d.before_state;
  row.after_state = d.after_state;
  row.due_at = d.due_at;
  RETURN_IF_ERROR(Enqueue(tx, row, now).status());
  ++counts.queued;
  return Status::Ok();
}

const RandomSource& RandomOf(const NoticeOptions& o) {
  static const RandomSource kSodium = SystemRandom();
  return o.random ? o.random : kSodium;
}

// Serialises `msg`; an unusable calendar part falls back to the plain notice, an unusable
// address skips the recipient (nullopt).
std::optional<std::string> Serialize(Message& msg, const char* what) {
  Result<std::string> bytes = SerializeRfc5322(msg);
  if (!bytes.ok() && msg.calendar) {
    spdlog::warn("{} notice: calendar part unusable ({}); sending the plain notice", what,
                 bytes.status().message());
    msg.calendar.reset();
    bytes = SerializeRfc5322(msg);
  }
  if (!bytes.ok()) {
    spdlog::warn("{} notice to <{}> skipped: {}", what, msg.to.email, bytes.status().message());
    return std::nullopt;
  }
  return std::move(bytes).value();
}

}  // namespace

std::string NewMessageId(const RandomSource& random, const std::string& domain) {
  unsigned char buf[16];
  random(buf, sizeof buf);
  std::string hex;
  for (unsigned char b : buf) hex += fmt::format("{:02x}", b);
  return "<" + hex + "@" + (domain.empty() ? std::string("convene.invalid") : domain) + ">";
}

std::string SnapshotJson(const MeetingSnapshot& s) {
  json p = json::array();
  for (const PresenterRef& r : s.presenters) {
    p.push_back(json{{"name", r.name},
                     {"organisation", r.organisation},
                     {"email", r.email},
                     {"topic", r.topic}});
  }
  return json{{"start", calendar::FormatLocal(s.start)},
              {"duration_minutes", s.duration_minutes},
              {"venue", VenueJson(s.venue)},
              {"status", calendar::MeetingStatusName(s.status)},
              {"presenters", p}}
      .dump();
}

Result<MeetingSnapshot> ParseSnapshotJson(const std::string& text) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Internal("bad meeting snapshot");
  MeetingSnapshot s;
  ASSIGN_OR_RETURN(s.start, calendar::ParseLocalDateTime(j.value("start", ""), "start"));
  s.duration_minutes = j.value("duration_minutes", 0);
  if (j.contains("venue") && j["venue"].is_object()) s.venue = VenueFrom(j["venue"]);
  s.status = j.value("status", "") == "cancelled" ? calendar::MeetingStatus::kCancelled
                                                  : calendar::MeetingStatus::kScheduled;
  if (j.contains("presenters") && j["presenters"].is_array()) {
    for (const json& r : j["presenters"]) {
      if (!r.is_object()) continue;
      s.presenters.push_back(PresenterRef{r.value("name", ""), r.value("organisation", ""),
                                          r.value("email", ""), r.value("topic", "")});
    }
  }
  return s;
}

Result<MeetingChangePlan> PlanMeetingChange(Tx& tx, const MeetingChange& change, int64_t now) {
  MeetingChangePlan plan;
  // Recipients, one per address: members first, then presenters who are not members.
  std::vector<std::pair<std::string, Recipient>> to;
  std::set<std::string> seen, unsubscribed;
  for (const Recipient& m : change.members) {
    if (m.email.empty()) {
      plan.no_address.push_back(m);
      continue;
    }
    const std::string key = calendar::LowerAscii(m.email);
    if (m.unsubscribed) {
      if (unsubscribed.insert(key).second) plan.unsubscribed.push_back(m);
      continue;
    }
    if (seen.insert(key).second) to.emplace_back(key, m);
  }
  for (const auto* list : {&change.before.presenters, &change.after.presenters}) {
    for (const PresenterRef& p : *list) {
      const std::string key = calendar::LowerAscii(p.email);
      Recipient r;
      r.name = p.name;
      r.email = p.email;
      if (key.empty()) {
        if (std::none_of(plan.no_address.begin(), plan.no_address.end(),
                         [&](const Recipient& x) { return x.member_id == 0 && x.name == p.name; }))
          plan.no_address.push_back(r);
        continue;
      }
      if (unsubscribed.count(key) || !seen.insert(key).second) continue;
      to.emplace_back(key, r);
    }
  }
  // The map this replaced sent in address order; keep that order (Message-IDs, tests).
  std::sort(to.begin(), to.end(), [](const auto& a, const auto& b) { return a.first < b.first; });

  for (auto& [key, r] : to) {
    PlannedNotice n;
    n.to = std::move(r);
    ASSIGN_OR_RETURN(
        n.pending, FindCoalescable(tx, fmt::format("meeting:{}:{}", change.meeting_id, key), now));
    n.before = change.before;
    if (n.pending) {
      Result<MeetingSnapshot> b = ParseSnapshotJson(n.pending->before_state);
      if (b.ok()) {
        n.before = std::move(b).value();
      } else {
        spdlog::warn("outbox row {}: unreadable snapshot; not coalescing", n.pending->id);
        n.pending.reset();
      }
    }
    if (n.before == change.after) {
      if (!n.pending) continue;  // nothing to tell, nothing waiting
      n.action = PlannedAction::kWithdraw;
    } else {
      n.action = n.pending ? PlannedAction::kUpdate : PlannedAction::kQueue;
    }
    plan.notices.push_back(std::move(n));
  }
  return plan;
}

Result<QueueCounts> QueueMeetingChange(Tx& tx, const MeetingChange& change,
                                       const NoticeOptions& options, int64_t now) {
  QueueCounts counts;
  ASSIGN_OR_RETURN(MeetingChangePlan plan, PlanMeetingChange(tx, change, now));
  const std::string after_state = SnapshotJson(change.after);
  for (const PlannedNotice& n : plan.notices) {
    const Recipient& r = n.to;
    if (n.action == PlannedAction::kWithdraw) {
      RETURN_IF_ERROR(Supersede(tx, n.pending->id, now));
      ++counts.superseded;
      continue;
    }
    Draft d =
        MakeDraft(options, change.group.id, change.meeting_id, kinds::kMeetingChange,
                  fmt::format("meeting:{}:{}", change.meeting_id, calendar::LowerAscii(r.email)));
    ComposeEnv env{options.base_url, now,
                   n.pending
                       ? n.pending->message_id
                       : NewMessageId(RandomOf(options), DomainOf(change.group.organiser.email))};
    Message msg = ComposeMeetingChange(change, n.before, r, env);
    if (r.member_id != 0 && r.delivery == calendar::Delivery::kInvitations &&
        change.render_invitation) {
      const ItipMethod method = change.after.status == calendar::MeetingStatus::kCancelled
                                    ? ItipMethod::kCancel
                                    : ItipMethod::kRequest;
      Result<std::string> ical = change.render_invitation(r, change.after, method);
      if (ical.ok()) {
        msg.calendar = CalendarPart{ItipMethodName(method), std::move(ical).value()};
      } else {
        spdlog::warn("meeting {}: no invitation for <{}>: {}", change.meeting_id, r.email,
                     ical.status().message());
      }
    }
    std::optional<std::string> bytes = Serialize(msg, "meeting change");
    if (!bytes) {
      ++counts.skipped;
      continue;
    }
    d.before_state = SnapshotJson(n.before);
    d.after_state = after_state;
    d.due_at = now + std::max<int64_t>(0, options.delay_seconds);
    RETURN_IF_ERROR(Write(tx, d, msg, *bytes, n.pending, now, counts));
  }
  return counts;
}

namespace {

// A series notice's state: the sentences told so far and each touched meeting's snapshot
// ({"meetings": {"<id>": snapshot or null}}: null when the meeting did not exist).
std::string SeriesStateJson(const std::vector<std::string>& summary,
                            const std::map<Id, std::optional<MeetingSnapshot>>& meetings) {
  json m = json::object();
  for (const auto& [id, snap] : meetings)
    m[std::to_string(id)] = snap ? json::parse(SnapshotJson(*snap)) : json(nullptr);
  return json{{"summary", summary}, {"meetings", m}}.dump();
}

bool ParseSeriesState(const std::string& text, std::vector<std::string>* summary,
                      std::map<Id, std::optional<MeetingSnapshot>>* meetings) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("meetings") || !j["meetings"].is_object())
    return false;
  if (j.contains("summary") && j["summary"].is_array())
    for (const json& s : j["summary"])
      if (s.is_string()) summary->push_back(s.get<std::string>());
  for (const auto& [key, v] : j["meetings"].items()) {
    const Id id = std::atoll(key.c_str());
    if (v.is_null()) {
      (*meetings)[id] = std::nullopt;
      continue;
    }
    auto snap = ParseSnapshotJson(v.dump());
    if (!snap.ok()) return false;
    (*meetings)[id] = std::move(snap).value();
  }
  return true;
}

std::string SeriesKey(Id series_id, const std::string& email) {
  return fmt::format("series:{}:{}", series_id, calendar::LowerAscii(email));
}

}  // namespace

Result<SeriesChangePlan> PlanSeriesChange(Tx& tx, const SeriesChange& change, int64_t now) {
  SeriesChangePlan plan;
  std::set<std::string> seen;
  std::map<Id, std::optional<MeetingSnapshot>> before_now;
  std::map<Id, MeetingSnapshot> after_now;
  for (const SeriesChange::Touched& t : change.meetings) {
    before_now[t.meeting_id] = t.before;
    after_now[t.meeting_id] = t.after;
  }
  for (const Recipient& m : change.members) {
    if (m.email.empty()) {
      plan.no_address.push_back(m);
      continue;
    }
    if (m.unsubscribed) {
      plan.unsubscribed.push_back(m);
      continue;
    }
    if (!seen.insert(calendar::LowerAscii(m.email)).second) continue;
    SeriesChangePlan::Notice n;
    n.to = m;
    ASSIGN_OR_RETURN(n.pending, FindCoalescable(tx, SeriesKey(change.series_id, m.email), now));
    std::map<Id, std::optional<MeetingSnapshot>> before = before_now;
    std::map<Id, MeetingSnapshot> after = after_now;
    if (n.pending) {
      std::vector<std::string> old_summary;
      std::map<Id, std::optional<MeetingSnapshot>> old_before;
      if (ParseSeriesState(n.pending->before_state, &old_summary, &old_before)) {
        // What the member last heard of wins for meetings the waiting notice covers; those it
        // covers that this change did not touch are as the waiting notice left them.
        for (auto& [id, snap] : old_before) before[id] = snap;
        std::vector<std::string> pending_summary;
        std::map<Id, std::optional<MeetingSnapshot>> pending_after;
        ParseSeriesState(n.pending->after_state, &pending_summary, &pending_after);
        for (const auto& [id, snap] : pending_after)
          if (!after_now.count(id) && snap) after[id] = *snap;
        n.summary = pending_summary;
      } else {
        spdlog::warn("outbox row {}: unreadable series state; not coalescing", n.pending->id);
        n.pending.reset();
      }
    }
    n.summary.insert(n.summary.end(), change.summary.begin(), change.summary.end());
    for (const auto& [id, a] : after) {
      const auto& b = before[id];
      if (b && *b == a) continue;
      if (!b && a.status == calendar::MeetingStatus::kCancelled) continue;
      n.meetings.push_back({id, b, a});
    }
    std::sort(n.meetings.begin(), n.meetings.end(),
              [](const SeriesChange::Touched& x, const SeriesChange::Touched& y) {
                return x.after.start < y.after.start;
              });
    if (n.meetings.empty()) {
      if (!n.pending) continue;
      n.action = PlannedAction::kWithdraw;
    } else {
      n.action = n.pending ? PlannedAction::kUpdate : PlannedAction::kQueue;
    }
    plan.notices.push_back(std::move(n));
  }
  return plan;
}

Result<QueueCounts> QueueSeriesChange(Tx& tx, const SeriesChange& change,
                                      const NoticeOptions& options, int64_t now) {
  QueueCounts counts;
  ASSIGN_OR_RETURN(SeriesChangePlan plan, PlanSeriesChange(tx, change, now));
  for (const SeriesChangePlan::Notice& n : plan.notices) {
    const Recipient& r = n.to;
    if (n.action == PlannedAction::kWithdraw) {
      RETURN_IF_ERROR(Supersede(tx, n.pending->id, now));
      ++counts.superseded;
      continue;
    }
    Draft d = MakeDraft(options, change.group.id, 0, kinds::kSeriesChange,
                        SeriesKey(change.series_id, r.email));
    ComposeEnv env{options.base_url, now,
                   n.pending
                       ? n.pending->message_id
                       : NewMessageId(RandomOf(options), DomainOf(change.group.organiser.email))};
    Message msg = ComposeSeriesChange(change, n.summary, n.meetings, r, env);
    if (r.delivery == calendar::Delivery::kInvitations && change.render_invitation) {
      Result<CalendarPart> part = change.render_invitation(r);
      if (part.ok()) {
        msg.calendar = std::move(part).value();
      } else {
        spdlog::warn("series {}: no invitation for <{}>: {}", change.series_id, r.email,
                     part.status().message());
      }
    }
    std::optional<std::string> bytes = Serialize(msg, "series change");
    if (!bytes) {
      ++counts.skipped;
      continue;
    }
    std::map<Id, std::optional<MeetingSnapshot>> before, after;
    for (const SeriesChange::Touched& t : n.meetings) {
      before[t.meeting_id] = t.before;
      after[t.meeting_id] = t.after;
    }
    // The "before" of a folded notice is what the member last heard of; the summary so far
    // travels with the "after".
    d.before_state = SeriesStateJson({}, before);
    d.after_state = SeriesStateJson(n.summary, after);
    d.due_at = now + std::max<int64_t>(0, options.delay_seconds);
    RETURN_IF_ERROR(Write(tx, d, msg, *bytes, n.pending, now, counts));
  }
  return counts;
}

namespace {

// One notice due at once, never coalesced (reminders and their digest).
Result<QueueCounts> QueueAtOnce(Tx& tx, const NoticeOptions& options, Id group_id, Id meeting_id,
                                const char* kind, Message msg, int64_t now) {
  QueueCounts counts;
  std::optional<std::string> bytes = Serialize(msg, kind);
  if (!bytes) {
    ++counts.skipped;
    return counts;
  }
  Draft d = MakeDraft(options, group_id, meeting_id, kind, "");
  d.due_at = now;
  RETURN_IF_ERROR(Write(tx, d, msg, *bytes, std::nullopt, now, counts));
  return counts;
}

}  // namespace

Result<QueueCounts> QueueReminder(Tx& tx, const Reminder& reminder, const Recipient& to,
                                  const NoticeOptions& options, int64_t now) {
  ComposeEnv env{options.base_url, now,
                 NewMessageId(RandomOf(options), DomainOf(reminder.group.organiser.email))};
  return QueueAtOnce(tx, options, reminder.group.id, reminder.meeting_id, kinds::kReminder,
                     ComposeReminder(reminder, to, env), now);
}

Result<QueueCounts> QueueReminderDigest(Tx& tx, const ReminderDigest& digest,
                                        const NoticeOptions& options, int64_t now) {
  ComposeEnv env{options.base_url, now,
                 NewMessageId(RandomOf(options), DomainOf(digest.group.organiser.email))};
  return QueueAtOnce(tx, options, digest.group.id, digest.meeting_id, kinds::kReminderDigest,
                     ComposeReminderDigest(digest, env), now);
}

Result<QueueCounts> QueueApologies(Tx& tx, const ApologiesChange& change,
                                   const NoticeOptions& options, int64_t now) {
  QueueCounts counts;
  const std::string organiser = calendar::LowerAscii(change.group.organiser.email);
  const std::string domain = DomainOf(organiser);
  const int64_t due = now + std::max<int64_t>(0, options.delay_seconds);

  {
    Draft d = MakeDraft(options, change.group.id, change.meeting_id, kinds::kApologies,
                        fmt::format("apologies:{}:{}", change.meeting_id, organiser));
    ASSIGN_OR_RETURN(std::optional<PendingRow> pending, FindCoalescable(tx, d.coalesce_key, now));
    std::vector<ApologyRef> before = change.before;
    if (pending) {
      auto b = ParseApologiesJson(pending->before_state);
      if (b.ok()) {
        before = std::move(b).value();
      } else {
        pending.reset();
      }
    }
    if (before == change.after) {
      if (pending) {
        RETURN_IF_ERROR(Supersede(tx, pending->id, now));
        ++counts.superseded;
      }
    } else {
      ComposeEnv env{options.base_url, now,
                     pending ? pending->message_id : NewMessageId(RandomOf(options), domain)};
      Message msg = ComposeApologies(change, before, env);
      if (std::optional<std::string> bytes = Serialize(msg, "apologies")) {
        d.before_state = ApologiesJson(before);
        d.after_state = ApologiesJson(change.after);
        d.due_at = due;
        RETURN_IF_ERROR(Write(tx, d, msg, *bytes, pending, now, counts));
      } else {
        ++counts.skipped;
      }
    }
  }

  // The quorum warning: once per meeting, when the forecast falls below the quorum. It waits
  // out the window like any notice, so an apology withdrawn at once sends no warning.
  const std::string qkey = fmt::format("quorum:{}", change.meeting_id);
  ASSIGN_OR_RETURN(std::optional<PendingRow> qpending, FindCoalescable(tx, qkey, now));
  if (!change.forecast_after.at_risk()) {
    if (qpending) {
      RETURN_IF_ERROR(Supersede(tx, qpending->id, now));
      ++counts.superseded;
    }
    return counts;
  }
  if (change.forecast_before.at_risk() || qpending) return counts;
  ASSIGN_OR_RETURN(bool warned, HasNotice(tx, change.meeting_id, kinds::kQuorumAtRisk));
  if (warned) return counts;
  ComposeEnv env{options.base_url, now, NewMessageId(RandomOf(options), domain)};
  Message msg = ComposeQuorumAtRisk(change, env);
  if (std::optional<std::string> bytes = Serialize(msg, "quorum")) {
    Draft d = MakeDraft(options, change.group.id, change.meeting_id, kinds::kQuorumAtRisk, qkey);
    d.due_at = due;
    RETURN_IF_ERROR(Write(tx, d, msg, *bytes, std::nullopt, now, counts));
  } else {
    ++counts.skipped;
  }
  return counts;
}

Result<QueueCounts> QueueCalendarSync(Tx& tx, const CalendarSync& sync,
                                      const NoticeOptions& options, int64_t now) {
  QueueCounts counts;
  const Recipient& r = sync.member;
  if (r.email.empty() || r.unsubscribed) return counts;
  for (const CalendarSync::Item& item : sync.items) {
    if (!item.render) continue;
    Result<CalendarPart> part = item.render(r);
    if (!part.ok()) {
      spdlog::warn("calendar sync of {} for <{}> skipped: {}", item.uid, r.email,
                   part.status().message());
      ++counts.skipped;
      continue;
    }
    Draft d = MakeDraft(options, sync.group.id, item.meeting_id, kinds::kCalendarSync,
                        fmt::format("sync:{}:{}", item.uid, calendar::LowerAscii(r.email)));
    ASSIGN_OR_RETURN(std::optional<PendingRow> pending, FindCoalescable(tx, d.coalesce_key, now));
    ComposeEnv env{options.base_url, now,
                   pending ? pending->message_id
                           : NewMessageId(RandomOf(options), DomainOf(sync.group.organiser.email))};
    Message msg = ComposeCalendarSync(sync, item, env);
    msg.calendar = std::move(part).value();
    std::optional<std::string> bytes = Serialize(msg, "calendar sync");
    if (!bytes || !msg.calendar) {
      ++counts.skipped;
      continue;
    }
    d.due_at = now + std::max<int64_t>(0, options.delay_seconds);
    RETURN_IF_ERROR(Write(tx, d, msg, *bytes, pending, now, counts));
  }
  return counts;
}

Result<QueueCounts> QueueWelcome(Tx& tx, const Welcome& welcome, const NoticeOptions& options,
                                 int64_t now) {
  QueueCounts counts;
  if (welcome.member.email.empty() || welcome.member.unsubscribed) return counts;
  ComposeEnv env{options.base_url, now,
                 NewMessageId(RandomOf(options), DomainOf(welcome.group.organiser.email))};
  Message msg = ComposeWelcome(welcome, env);
  std::optional<std::string> bytes = Serialize(msg, "welcome");
  if (!bytes) {
    ++counts.skipped;
    return counts;
  }
  Draft d = MakeDraft(options, welcome.group.id, 0, kinds::kWelcome, "");
  d.due_at = now;
  RETURN_IF_ERROR(Write(tx, d, msg, *bytes, std::nullopt, now, counts));
  return counts;
}

Result<QueueCounts> QueuePasswordReset(Tx& tx, const PasswordReset& reset,
                                       const NoticeOptions& options, int64_t now) {
  QueueCounts counts;
  ComposeEnv env{options.base_url, now,
                 NewMessageId(RandomOf(options), DomainOf(reset.organiser.email))};
  Message msg = ComposePasswordReset(reset, env);
  std::optional<std::string> bytes = Serialize(msg, "password reset");
  if (!bytes) {
    ++counts.skipped;
    return counts;
  }
  Draft d = MakeDraft(options, 0, 0, "password_reset", "");
  d.due_at = now;
  RETURN_IF_ERROR(Write(tx, d, msg, *bytes, std::nullopt, now, counts));
  return counts;
}

}  // namespace convene::notify
