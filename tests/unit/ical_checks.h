// Checks the calendar unit tests share: counting, parsing back with libical and collecting its
// X-LIC-ERROR properties, and the moved-meeting invitation the invitation tests start from.
// Test-only; header-only.
#pragma once

#include <libical/ical.h>

#include <string>

#include "calendar/ical.h"
#include "tests/unit/feed_fixtures.h"

namespace convene::calendar::testing {

inline int Count(const std::string& hay, const std::string& needle) {
  int n = 0;
  for (size_t p = hay.find(needle); p != std::string::npos; p = hay.find(needle, p + 1)) ++n;
  return n;
}

struct Parsed {
  icalcomponent* c = nullptr;
  explicit Parsed(const std::string& s) : c(icalparser_parse_string(s.c_str())) {}
  ~Parsed() {
    if (c) icalcomponent_free(c);
  }
};

inline int CountErrors(icalcomponent* c) {
  int n = icalcomponent_count_properties(c, ICAL_XLICERROR_PROPERTY);
  for (icalcomponent* s = icalcomponent_get_first_component(c, ICAL_ANY_COMPONENT); s;
       s = icalcomponent_get_next_component(c, ICAL_ANY_COMPONENT))
    n += CountErrors(s);
  return n;
}

inline std::string Errors(icalcomponent* c) {
  std::string out;
  for (icalproperty* p = icalcomponent_get_first_property(c, ICAL_XLICERROR_PROPERTY); p;
       p = icalcomponent_get_next_property(c, ICAL_XLICERROR_PROPERTY))
    out += std::string(icalproperty_get_xlicerror(p)) + "\n";
  for (icalcomponent* s = icalcomponent_get_first_component(c, ICAL_ANY_COMPONENT); s;
       s = icalcomponent_get_next_component(c, ICAL_ANY_COMPONENT))
    out += Errors(s);
  return out;
}

inline InvitationInput MovedInvitation() {
  FeedSeries fs = SeminarSeries();
  InvitationInput in;
  in.method = InvitationMethod::kRequest;
  in.series = fs.series;
  in.timezone = fs.timezone;
  in.group_name = "Futures Forum";
  in.meeting = fs.meetings[1];  // 11 March, moved to 1 April
  in.venue = ConwayHall();
  in.base_url = kBaseUrl;
  in.organiser = {"Futures Forum secretary", "secretary@example.org"};
  in.attendee = {"Ada Lovelace", "ada@example.org"};
  in.personal_text = "Send apologies: https://convene.example.org/apologies/Zm9vYmFyYmF6";
  in.dtstamp = kJan2010 + 50 * kDay + 3600;
  return in;
}

}  // namespace convene::calendar::testing
