#include "server/app/demo.h"

#include <cctype>

#include "calendar/store/store.h"

namespace convene::server {
namespace {

struct Person {
  const char* name;
  const char* organisation;
  const char* role;
};

// In attendance at the 15 March 2010 meeting (the minutes' order).
const Person kAttended[] = {
    {"Leonard Anderson", "Socitm Consulting", "member"},
    {"Mark Brett", "Socitm", "member"},
    {"Ian Cooper", "Hampshire CC", "member"},
    {"Paul Davidson", "Sedgemoor DC", "member"},
    {"Susan Douglas", "Independent Consultant", "member"},
    {"Glyn Evans", "Birmingham City Council", "chair"},
    {"Martin Ferguson", "Socitm", "member"},
    {"Martin Greenwood", "Socitm", "member"},
    {"Karl Grundy", "Socitm", "member"},
    {"Adrian Hancock", "Socitm", "member"},
    {"Chris Head", "Socitm", "member"},
    {"David Hopkins", "Milton Keynes/Siemens", "member"},
    {"Suzanne Horner", "Socitm", "organiser"},
    {"Sal Khan", "East Staffs BC", "member"},
    {"Doug Maclean", "Socitm", "member"},
    {"Simon Norbury", "Independent Consultant", "member"},
    {"Jacky Scobell", "Kent CC", "member"},
};

// Sent apologies for 15 March 2010.
const Person kApologies[] = {
    {"Caron Alexander", "DOE NI", "member"},
    {"David Bryant", "Hytec", "member"},
    {"Neil Moore", "Hants Fire & Rescue", "member"},
    {"Dylan Roberts", "Leeds City Council", "member"},
};

struct Talk {
  const char* name;
  const char* organisation;
  const char* topic;
};

// Presenting on 15 March 2010 (names as the minutes spell them).
const Talk kPresenters[] = {
    {"Chris Kastel", "E2BN", "PSN and the National Education Network (NEN)"},
    {"Phillp Pearce", "E2BN", "PSN and the National Education Network (NEN)"},
    {"Robert Prabucki", "JANET UK", "JANET: services for local authorities and PSN"},
    {"Kevin Sharp", "JANET UK", "JANET: services for local authorities and PSN"},
};

std::string EmailOf(const std::string& name) {
  std::string out;
  for (char c : name) {
    if (c == ' ')
      out += '.';
    else if (std::isalpha(static_cast<unsigned char>(c)))
      out += static_cast<char>(std::tolower(c));
  }
  return out + "@example.org";
}

}  // namespace

Result<DemoResult> LoadDemo(Operations& ops) {
  ASSIGN_OR_RETURN(calendar::Organiser org, ops.EnsureOrganiser(kDemoOrganiser, "Suzanne Horner"));
  {
    ASSIGN_OR_RETURN(calendar::store::Tx tx, ops.db().Read());
    if (calendar::store::GetGroupBySlug(tx, kDemoSlug).ok())
      return DemoResult{false, "a group 'futures' is already there; the demo was not loaded again"};
  }

  VenueInput venue;
  venue.name = "Siemens, Hillgate House";
  venue.address = "26 Old Bailey, London";
  venue.postcode = "EC4M 7HS";
  venue.capacity = 30;
  venue.notes = "The sponsor's offices. Ask for the Socitm Futures meeting at reception.";
  ASSIGN_OR_RETURN(calendar::Venue v, ops.CreateVenue(org.id, venue));

  GroupInput group;
  group.slug = kDemoSlug;
  group.name = "Socitm Futures";
  group.timezone = "Europe/London";
  group.quorum = 8;
  group.is_public = true;
  ASSIGN_OR_RETURN(calendar::Group g, ops.CreateGroup(org.id, group));

  std::vector<calendar::Member> attended, apologies;
  for (const auto& list :
       {std::pair{kAttended, std::size(kAttended)}, std::pair{kApologies, std::size(kApologies)}}) {
    for (size_t i = 0; i < list.second; ++i) {
      const Person& p = list.first[i];
      MemberInput in{p.name, EmailOf(p.name), std::string(p.organisation), std::string(p.role),
                     std::nullopt};
      ASSIGN_OR_RETURN(MemberCreated m, ops.AddMember(org.id, g.slug, in));
      (list.first == kAttended ? attended : apologies).push_back(m.member);
    }
  }

  SeriesInput series2010;
  series2010.title = "Socitm Futures meeting";
  series2010.venue_id = v.id;
  series2010.start_time = "10:30";
  series2010.duration_minutes = 150;
  // The dates the minutes give: not one simple rule (the gaps are 9, 8, 9 and 9 weeks).
  series2010.dates = std::vector<std::string>{"2010-03-15", "2010-05-17", "2010-07-12",
                                              "2010-09-13", "2010-11-15"};
  series2010.agenda =
      "Welcome and introductions; presentations; Government ICT strategy; priority policy areas; "
      "consultations; membership; minutes of the last meeting; future topics; dates of future "
      "meetings.";
  ASSIGN_OR_RETURN(SeriesCreated s2010, ops.CreateSeries(org.id, g.slug, series2010));
  const calendar::Id march = s2010.meetings.front().meeting.id;
  for (const Talk& t : kPresenters) {
    PresenterInput in{t.name, t.topic, std::string(t.organisation), std::nullopt};
    RETURN_IF_ERROR(ops.AddPresenter(org.id, march, in).status());
  }
  for (const calendar::Member& m : apologies)
    RETURN_IF_ERROR(ops.RecordApologies(org.id, march, m.id, "").status());
  for (const calendar::Member& m : attended)
    RETURN_IF_ERROR(ops.MarkAttendance(org.id, march, m.id, "present"));

  SeriesInput series2027;
  series2027.title = "Socitm Futures meeting";
  series2027.venue_id = v.id;
  series2027.start_time = "10:30";
  series2027.duration_minutes = 150;
  series2027.rrule = "FREQ=MONTHLY;INTERVAL=2;BYDAY=3MO;COUNT=6";
  series2027.first_date = "2027-01-01";
  ASSIGN_OR_RETURN(SeriesCreated s2027, ops.CreateSeries(org.id, g.slug, series2027));

  return DemoResult{true, "loaded the demo group 'futures': " +
                              std::to_string(attended.size() + apologies.size()) + " members, " +
                              std::to_string(s2010.meetings.size() + s2027.meetings.size()) +
                              " meetings at " + v.name};
}

}  // namespace convene::server
