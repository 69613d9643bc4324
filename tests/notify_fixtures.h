// Shared inputs for the notify tests and the e2e driver: a sample group, meeting change and
// members, a hand-made iMIP VCALENDAR (calendar/ical.h renders the real one), and a temp folder.
// Test code only; not thread-safe.
#pragma once

#include <fmt/core.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "notify/change.h"
#include "tests/support/temp_dir.h"

namespace convene::notify::testing {

inline GroupRef SampleGroup() {
  return GroupRef{7, "Futures Group", "Europe/London",
                  Address{"The Secretary", "secretary@example.org"}};
}

inline MeetingSnapshot SampleMeeting() {
  MeetingSnapshot s;
  s.start = calendar::LocalDateTime{calendar::CivilDate{2010, 7, 12}, 10 * 60 + 30};
  s.duration_minutes = 90;
  s.venue = VenueRef{"Old Hall", "1 High Street", "AB1 2CD"};
  return s;
}

inline Recipient SampleMember(int i, calendar::Delivery delivery = calendar::Delivery::kFeed) {
  Recipient r;
  r.member_id = 100 + i;
  r.name = fmt::format("Member {}", i);
  r.email = fmt::format("m{}@example.org", i);
  r.delivery = delivery;
  r.page_url = fmt::format("https://convene.example/m/page{}", i);
  r.apology_url = fmt::format("https://convene.example/apologies/tok{}", i);
  r.unsubscribe_token = fmt::format("unsub{}abcdefghijklmnop", i);
  return r;
}

// A venue change of meeting 42 (Old Hall -> New Hall) for `members`.
inline MeetingChange SampleVenueChange(std::vector<Recipient> members) {
  MeetingChange c;
  c.group = SampleGroup();
  c.meeting_id = 42;
  c.series_title = "Monthly meeting";
  c.before = SampleMeeting();
  c.after = SampleMeeting();
  c.after.venue = VenueRef{"New Hall", "2 Low Street", "XY1 2ZZ"};
  c.series_venue = c.after.venue;
  c.members = std::move(members);
  return c;
}

// A small valid iMIP object by hand: one VEVENT, METHOD = method, CRLF, one non-ASCII SUMMARY.
inline std::string HandMadeInvitation(const std::string& method, const std::string& attendee) {
  std::string s =
      "BEGIN:VCALENDAR\r\n"
      "VERSION:2.0\r\n"
      "PRODID:-//convene//notify tests//EN\r\n"
      "METHOD:" +
      method +
      "\r\n"
      "BEGIN:VEVENT\r\n"
      "UID:4f1d2c3b-0000-4000-8000-000000000042\r\n"
      "DTSTAMP:20100701T090000Z\r\n"
      "DTSTART:20100712T093000Z\r\n"
      "DTEND:20100712T110000Z\r\n"
      "SEQUENCE:1\r\n"
      "SUMMARY:Monthly meeting at the Caf\xc3\xa9\r\n"
      "ORGANIZER;CN=The Secretary:mailto:secretary@example.org\r\n"
      "ATTENDEE;RSVP=FALSE:mailto:" +
      attendee + "\r\n" + (method == "CANCEL" ? "STATUS:CANCELLED\r\n" : "") +
      "END:VEVENT\r\n"
      "END:VCALENDAR\r\n";
  return s;
}

inline InvitationRenderer HandMadeRenderer() {
  return [](const Recipient& to, const MeetingSnapshot&, ItipMethod m) -> Result<std::string> {
    return HandMadeInvitation(ItipMethodName(m), to.email);
  };
}

// A fresh folder under $TMPDIR, removed with the object.
struct TempDir : convene::testing::TempDir {
  TempDir() : convene::testing::TempDir("convene-notify") {}
};

}  // namespace convene::notify::testing
