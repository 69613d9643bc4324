#include "server/ops/replies.h"

#include <fmt/core.h>

#include <algorithm>

#include "calendar/rules.h"
#include "calendar/store/store.h"
#include "server/ops/secrets.h"

namespace convene::server {

using namespace calendar;  // NOLINT: the domain vocabulary
namespace st = calendar::store;

namespace {

constexpr size_t kMaxTargets = 100;
constexpr size_t kMaxReasonChars = 500;

const Status& UnknownRecipient() {
  static const Status kUnknown(Code::kNotFound, "no such reply address", "", "invalid_link");
  return kUnknown;
}

// The token's member, checked: current, and the token signed for them and `meeting_id`.
Result<Member> TokenMember(st::Tx& tx, const std::string& link_key, std::string_view token,
                           const ReplyRef& ref) {
  auto member = st::GetMember(tx, ref.member_id);
  if (!member.ok())
    return member.status().code() == Code::kNotFound ? UnknownRecipient() : member.status();
  if (member->left_at || !ReplyTokenValid(link_key, token, *member, ref.meeting_id))
    return UnknownRecipient();
  return member;
}

// One meeting a reply acts on, and the VEVENT that says how.
struct Target {
  Meeting meeting;
  const ReplyEvent* event = nullptr;
  int current_sequence = 0;  // what the reply's SEQUENCE must not be below
};

// Code points of valid UTF-8 (the reply parser checked it).
}  // namespace

std::string ReplyAddress(const std::string& link_key, const Member& member, Id meeting_id,
                         const std::string& domain) {
  return "reply+" + ReplyToken(link_key, meeting_id, member.id, member.links_version) + "@" +
         domain;
}

std::optional<std::string> ReplyTokenOf(std::string_view address) {
  if (address.size() > 320) return std::nullopt;
  if (address.size() >= 2 && address.front() == '<' && address.back() == '>')
    address = address.substr(1, address.size() - 2);
  const size_t at = address.rfind('@');
  if (at == std::string_view::npos || at + 1 == address.size()) return std::nullopt;
  std::string_view local = address.substr(0, at);
  if (local.size() < 7) return std::nullopt;
  std::string prefix(local.substr(0, 6));
  for (char& c : prefix) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (prefix != "reply+") return std::nullopt;
  return std::string(local.substr(6));
}

Status CheckReplyToken(Operations& ops, std::string_view token) {
  auto ref = DecodeReplyToken(token);
  if (!ref) return UnknownRecipient();
  ASSIGN_OR_RETURN(st::Tx tx, ops.db().Read());
  ASSIGN_OR_RETURN(Member member, TokenMember(tx, ops.link_key(), token, *ref));
  if (ref->meeting_id != 0) {
    auto m = st::GetMeeting(tx, ref->meeting_id);
    if (!m.ok()) return m.status().code() == Code::kNotFound ? UnknownRecipient() : m.status();
    if (m->group_id != member.group_id) return UnknownRecipient();
  }
  return Status::Ok();
}

std::string ReasonFromComment(const std::string& comment) {
  if (!IsValidUtf8(comment)) return "";
  std::string clean;
  size_t i = 0;
  while (i < comment.size()) {
    uint32_t cp = 0;
    i += NextCodePoint(comment, i, &cp);
    if (cp == '\r') {
      if (i < comment.size() && comment[i] == '\n') continue;  // CRLF: the LF follows
      cp = '\n';
    }
    if (cp == 0x2028 || cp == 0x2029 || cp == 0x85) cp = '\n';
    if (cp == '\n') {
      clean += '\n';
      continue;
    }
    if (cp == '\t' || cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F)) {
      clean += ' ';
      continue;
    }
    if ((cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0x200B ||
        cp == 0x2060 || cp == 0xFEFF)
      continue;
    AppendUtf8(clean, cp);
  }
  // Trailing spaces off each line, at most one blank line in a row, none at either end.
  std::string lines;
  int newlines = 0;
  size_t start = 0;
  while (start <= clean.size()) {
    size_t eol = clean.find('\n', start);
    if (eol == std::string::npos) eol = clean.size();
    std::string line = clean.substr(start, eol - start);
    while (!line.empty() && line.back() == ' ') line.pop_back();
    size_t lead = line.find_first_not_of(' ');
    if (lead == std::string::npos) {
      ++newlines;
    } else {
      if (!lines.empty()) lines += newlines > 0 ? "\n\n" : "\n";
      lines += line;
      newlines = 0;
    }
    start = eol + 1;
  }
  // Cut near kMaxReasonChars characters, at a space when one is close.
  size_t chars = 0;
  uint32_t skip = 0;
  for (size_t pos = 0; pos < lines.size(); pos += NextCodePoint(lines, pos, &skip)) ++chars;
  if (chars > kMaxReasonChars) {
    size_t pos = 0, last_space = std::string::npos;
    for (size_t n = 0; n + 1 < kMaxReasonChars; ++n) {
      if (lines[pos] == ' ' || lines[pos] == '\n') last_space = pos;
      pos += NextCodePoint(lines, pos, &skip);
    }
    const size_t end = last_space != std::string::npos && pos - last_space < 80 ? last_space : pos;
    lines.resize(end);
    while (!lines.empty() && (lines.back() == ' ' || lines.back() == '\n')) lines.pop_back();
    lines += "\u2026";
  }
  auto ok = CleanText(lines, "reason", kMaxReasonChars, false, true);
  return ok.ok() ? *ok : std::string();
}

Result<ReplyOutcome> ApplyReply(Operations& ops, std::string_view token, const ItipReply& reply) {
  auto ref = DecodeReplyToken(token);
  if (!ref) return UnknownRecipient();
  ReplyOutcome out;
  Member member;
  std::vector<Target> targets;
  {
    ASSIGN_OR_RETURN(st::Tx tx, ops.db().Read());
    ASSIGN_OR_RETURN(member, TokenMember(tx, ops.link_key(), token, *ref));
    ASSIGN_OR_RETURN(Group group, st::GetGroup(tx, member.group_id));
    if (ref->meeting_id != 0) {
      // An invitation to one meeting: only its VEVENT counts.
      auto m = st::GetMeeting(tx, ref->meeting_id);
      if (!m.ok()) return m.status().code() == Code::kNotFound ? UnknownRecipient() : m.status();
      if (m->group_id != member.group_id) return UnknownRecipient();
      ASSIGN_OR_RETURN(Series series, st::GetSeries(tx, m->series_id));
      const std::string& uid = series.is_rule() ? series.uid : m->uid;
      for (const ReplyEvent& e : reply.events) {
        if (e.uid != uid) continue;
        const bool same = e.recurrence_id
                              ? SameOccurrence(*e.recurrence_id, group.timezone, m->original_start)
                              : !series.is_rule();
        if (!same) continue;
        targets.push_back({*m, &e, m->sequence});
        break;
      }
      if (targets.empty()) out.ignored.push_back("no VEVENT of the token's meeting");
    } else {
      // A whole-series invitation: each VEVENT's UID and RECURRENCE-ID say which meeting; a
      // VEVENT of the rule series without RECURRENCE-ID answers for the whole series.
      ASSIGN_OR_RETURN(std::vector<Series> all_series, st::ListSeries(tx, group.id));
      for (const ReplyEvent& e : reply.events) {
        const Series* series = nullptr;
        for (const Series& s : all_series)
          if (s.is_rule() && s.uid == e.uid) series = &s;
        const size_t before = targets.size();
        if (series) {
          ASSIGN_OR_RETURN(std::vector<Meeting> meetings, st::ListSeriesMeetings(tx, series->id));
          for (const Meeting& m : meetings) {
            if (targets.size() >= kMaxTargets) break;
            if (e.recurrence_id) {
              if (SameOccurrence(*e.recurrence_id, group.timezone, m.original_start)) {
                targets.push_back({m, &e, m.sequence});
                break;
              }
            } else if (m.status == MeetingStatus::kScheduled) {
              // The whole series: the meetings still to come.
              auto start = ToUnix(group.timezone, m.start);
              if (start.ok() && *start > ops.Now()) targets.push_back({m, &e, series->sequence});
            }
          }
        } else if (!e.recurrence_id) {
          ASSIGN_OR_RETURN(std::vector<Meeting> meetings,
                           st::ListGroupMeetings(tx, group.id, std::nullopt, std::nullopt));
          for (const Meeting& m : meetings)
            if (m.uid == e.uid && targets.size() < kMaxTargets) {
              ASSIGN_OR_RETURN(Series s, st::GetSeries(tx, m.series_id));
              if (!s.is_rule()) targets.push_back({m, &e, m.sequence});
              break;
            }
        }
        if (targets.size() == before) out.ignored.push_back("a VEVENT of no meeting of the group");
      }
    }
  }

  const std::string member_email = LowerAscii(member.email);
  for (const Target& t : targets) {
    const std::string where = fmt::format("meeting {}", t.meeting.id);
    const ReplyAttendee* me = nullptr;
    for (const ReplyAttendee& a : t.event->attendees)
      if (!member_email.empty() && LowerAscii(a.email) == member_email) me = &a;
    if (!me) {
      out.ignored.push_back(where + ": the ATTENDEE is not the token's member");
      continue;
    }
    if (t.event->sequence < t.current_sequence) {
      out.ignored.push_back(fmt::format("{}: SEQUENCE {} is older than {}", where,
                                        t.event->sequence, t.current_sequence));
      continue;
    }
    if (me->partstat != "DECLINED" && me->partstat != "ACCEPTED") {
      // Named in the log only when it is a word (it is the sender's text).
      std::string name = me->partstat.substr(0, 20);
      if (name.empty() || !std::all_of(name.begin(), name.end(),
                                       [](char c) { return (c >= 'A' && c <= 'Z') || c == '-'; }))
        name = "(none or unreadable)";
      out.ignored.push_back(where + ": PARTSTAT " + name + " changes nothing");
      continue;
    }
    const std::string apology =
        ApologyToken(ops.link_key(), t.meeting.id, member.id, member.links_version);
    const bool decline = me->partstat == "DECLINED";
    Result<ApologyPage> page = decline
                                   ? ops.SendApologies(apology, ReasonFromComment(t.event->comment))
                                   : ops.WithdrawApologies(apology);
    if (!page.ok()) {
      if (page.status().code() == Code::kConflict || page.status().code() == Code::kNotFound) {
        out.ignored.push_back(where + ": " +
                              (page.status().code() == Code::kConflict
                                   ? "closed (started or cancelled)"
                                   : "no longer the member's"));
        continue;
      }
      return page.status();  // transient: the MTA tries again
    }
    if (!page->changed) {
      out.ignored.push_back(where +
                            (decline ? ": apologies already sent" : ": no apologies to withdraw"));
    } else if (decline) {
      ++out.recorded;
    } else {
      ++out.withdrawn;
    }
  }
  return out;
}

}  // namespace convene::server
