// iMIP invitations (REQUEST, CANCEL): RFC 5546 restrictions, escaping of names, refused cases.
#include <gtest/gtest.h>
#include <libical/ical.h>

#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "calendar/civil.h"
#include "calendar/ical.h"
#include "calendar/ical_text.h"
#include "tests/support/ical_lines.h"
#include "tests/unit/feed_fixtures.h"
#include "tests/unit/ical_checks.h"

namespace convene::calendar {
namespace {

using namespace testing;  // NOLINT: the fixtures
using convene::testing::EventBlocks;
using convene::testing::Unfolded;

// Parses, then checks the iTIP restrictions of the object's METHOD (RFC 5546) as libical knows
// them; returns the X-LIC-ERROR texts (empty when it passes).
std::string RestrictionErrors(const std::string& ics) {
  Parsed p(ics);
  if (!p.c) return "unparsable";
  std::string parse_errors = Errors(p.c);
  if (!parse_errors.empty()) return "parse: " + parse_errors;
  const int ok = icalrestriction_check(p.c);
  std::string errors = Errors(p.c);
  if (!ok && errors.empty()) errors = "icalrestriction_check failed";
  return errors;
}

TEST(RenderInvitation, RequestForAMovedInstance) {
  auto r = RenderInvitation(MovedInvitation());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(RestrictionErrors(*r), "");
  const std::string& ics = *r;
  EXPECT_EQ(Count(ics, "METHOD:"), 1);
  EXPECT_NE(ics.find("\r\nMETHOD:REQUEST\r\n"), std::string::npos);
  EXPECT_EQ(Count(ics, "BEGIN:VEVENT"), 1);
  EXPECT_EQ(Count(ics, "BEGIN:VTIMEZONE"), 1);
  EXPECT_NE(ics.find("UID:9d2f6c80-3b1e-4f7a-8c55-2e1b7d4a9c02\r\n"), std::string::npos);
  EXPECT_NE(ics.find("RECURRENCE-ID;TZID=Europe/London:20100311T183000\r\n"), std::string::npos);
  EXPECT_NE(ics.find("DTSTART;TZID=Europe/London:20100401T183000\r\n"), std::string::npos);
  EXPECT_NE(ics.find("SEQUENCE:1\r\n"), std::string::npos);
  EXPECT_NE(ics.find("DTSTAMP:20100220T010000Z\r\n"), std::string::npos);
  EXPECT_NE(ics.find("ORGANIZER;CN=\"Futures Forum secretary\":mailto:secretary@example.org\r\n"),
            std::string::npos);
  const auto lines = Unfolded(ics);
  bool attendee = false;
  for (const std::string& l : lines)
    if (l.rfind("ATTENDEE", 0) == 0) {
      attendee = true;
      EXPECT_EQ(
          l,
          "ATTENDEE;CN=\"Ada Lovelace\";ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=FALSE:"
          "mailto:ada@example.org");
    }
  EXPECT_TRUE(attendee);
}

// The check above can fail: libical's restriction table does flag a REQUEST without ORGANIZER
// and a CANCEL without SEQUENCE.
TEST(RenderInvitation, RestrictionCheckIsNotVacuous) {
  auto r = RenderInvitation(MovedInvitation());
  ASSERT_TRUE(r.ok());
  std::string no_organizer = *r;
  const size_t at = no_organizer.find("ORGANIZER");
  no_organizer.erase(at, no_organizer.find("\r\n", at) + 2 - at);
  EXPECT_NE(RestrictionErrors(no_organizer), "");
  InvitationInput in = MovedInvitation();
  in.method = InvitationMethod::kCancel;
  auto c = RenderInvitation(in);
  ASSERT_TRUE(c.ok());
  std::string no_sequence = *c;
  const size_t seq = no_sequence.find("SEQUENCE:1\r\n");
  no_sequence.erase(seq, 12);
  EXPECT_NE(RestrictionErrors(no_sequence), "");
}

TEST(RenderInvitation, CancelPassesRestrictionsForInstanceAndWholeEvent) {
  InvitationInput in = MovedInvitation();
  in.method = InvitationMethod::kCancel;
  in.meeting = SeminarSeries().meetings[9];
  auto instance = RenderInvitation(in);
  ASSERT_TRUE(instance.ok());
  EXPECT_EQ(RestrictionErrors(*instance), "");
  EXPECT_NE(instance->find("\r\nMETHOD:CANCEL\r\n"), std::string::npos);
  EXPECT_NE(instance->find("RECURRENCE-ID;TZID=Europe/London:20101111T183000\r\n"),
            std::string::npos);
  EXPECT_NE(instance->find("STATUS:CANCELLED\r\n"), std::string::npos);
  EXPECT_NE(instance->find("SEQUENCE:1\r\n"), std::string::npos);

  in.series = MondaysSeries().series;
  in.meeting = MondaysSeries().meetings[0];  // SEQUENCE 0 is still written: CANCEL requires it
  auto whole = RenderInvitation(in);
  ASSERT_TRUE(whole.ok());
  EXPECT_EQ(RestrictionErrors(*whole), "");
  EXPECT_NE(whole->find("UID:3f1c9a2e-6b1d-4c0e-8f2a-1b7e5d9c0a01\r\n"), std::string::npos);
  EXPECT_EQ(whole->find("RECURRENCE-ID"), std::string::npos);
  EXPECT_NE(whole->find("SEQUENCE:0\r\n"), std::string::npos);
  EXPECT_NE(whole->find("STATUS:CANCELLED\r\n"), std::string::npos);
}

TEST(RenderInvitation, HostileNamesAreQuotedAndAddressesValidated) {
  InvitationInput in = MovedInvitation();
  in.attendee.name = "O'Brien, \"Ann\"\r\nATTENDEE:mailto:evil@example.org";
  in.organiser.name = "Sec; ^retary: x";
  auto r = RenderInvitation(in);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(RestrictionErrors(*r), "");
  EXPECT_EQ(Count(*r, "\r\nATTENDEE"), 1);
  Parsed p(*r);
  icalcomponent* ev = icalcomponent_get_first_component(p.c, ICAL_VEVENT_COMPONENT);
  icalproperty* att = icalcomponent_get_first_property(ev, ICAL_ATTENDEE_PROPERTY);
  ASSERT_NE(att, nullptr);
  EXPECT_STREQ(icalproperty_get_attendee(att), "mailto:ada@example.org");
  EXPECT_EQ(icalcomponent_get_next_property(ev, ICAL_ATTENDEE_PROPERTY), nullptr);

  for (const char* bad :
       {"ada@example.org\r\nBEGIN:VALARM", "ada@example.org>", "", "a b@example.org"}) {
    InvitationInput b = MovedInvitation();
    b.attendee.email = bad;
    EXPECT_EQ(RenderInvitation(b).status().field(), "attendee") << bad;
    b = MovedInvitation();
    b.organiser.email = bad;
    EXPECT_EQ(RenderInvitation(b).status().field(), "organiser") << bad;
  }
}

TEST(RenderInvitation, RequestForACancelledMeetingIsRefused) {
  InvitationInput in = MovedInvitation();
  in.meeting.status = MeetingStatus::kCancelled;
  EXPECT_EQ(RenderInvitation(in).status().code(), Code::kInvalidArgument);
}

}  // namespace
}  // namespace convene::calendar
