// The scenarios behind the golden feeds in tests/testdata/feeds: fixed rows with fixed edit times,
// so every render is the same bytes. Dates were read off a printed 2010 calendar; UK clocks went
// forward on 28 March 2010 and back on 31 October 2010.
// Test-only; values, thread-safe.
#pragma once

#include <string>
#include <vector>

#include "calendar/ical.h"

namespace convene::calendar::testing {

// Designated initializers name just the fields a scenario sets, the rest keeping their defaults;
// GCC's -Wextra would have every field listed.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

constexpr int64_t kJan2010 = 1262304000;  // 2010-01-01T00:00:00Z
constexpr int64_t kDay = 86400;
constexpr const char* kBaseUrl = "https://convene.example.org";

inline Venue ConwayHall() {
  return {.id = 1,
          .name = "Conway Hall",
          .address = "25 Red Lion Square, Holborn, London",
          .postcode = "WC1R 4RL",
          .capacity = 120,
          .updated_at = kJan2010};
}

inline Venue FriendsHouse() {
  return {.id = 2,
          .name = "Friends House",
          .address = "173 Euston Road, London",
          .postcode = "NW1 2BJ",
          .updated_at = kJan2010 + 2 * kDay};
}

inline Venue PierHall() {
  return {.id = 3,
          .name = "Pier 17 Hall",
          .address = "89 South Street, New York, NY",
          .postcode = "10038",
          .updated_at = kJan2010};
}

// What every scenario series sets: who and what, its zone, and where and when by default. The
// callers set its dates and edit times.
inline FeedSeries NewSeries(Id id, Id group_id, const std::string& uid, const std::string& title,
                            const std::string& timezone, Id venue_id, int start_minute,
                            int duration_minutes) {
  return {.series = {.id = id,
                     .group_id = group_id,
                     .uid = uid,
                     .title = title,
                     .venue_id = venue_id,
                     .start_minute = start_minute,
                     .duration_minutes = duration_minutes,
                     .rule_start_minute = start_minute},
          .timezone = timezone};
}

// Adds a meeting per date as creating the series does: ids from `first_id`, each at the series'
// venue, local start and length, under its own UID from `uids` (explicit dates) or, when `uids`
// is empty, under the series' UID (a rule). Every scenario's meetings were created on 11 January.
inline void AddMeetings(FeedSeries& fs, Id first_id, const std::vector<CivilDate>& dates,
                        const std::vector<std::string>& uids = {}) {
  const Series& s = fs.series;
  for (size_t i = 0; i < dates.size(); ++i) {
    Meeting m;
    m.id = first_id + static_cast<Id>(i);
    m.series_id = s.id;
    m.group_id = 1;
    m.uid = uids.empty() ? s.uid : uids[i];
    m.original_start = {dates[i], s.start_minute};
    m.start = m.original_start;
    m.duration_minutes = s.duration_minutes;
    m.venue_id = s.venue_id;
    m.created_at = kJan2010 + 10 * kDay;
    m.updated_at = m.created_at;
    fs.meetings.push_back(m);
  }
}

// An edit of `m` that raised its SEQUENCE to `sequence`, made `days` after 1 January 2010.
inline Meeting& Edited(Meeting& m, int sequence, int days) {
  m.sequence = sequence;
  m.updated_at = kJan2010 + days * kDay;
  return m;
}

// The demo's explicit-date series: four Mondays of 2010 at 10:30 Europe/London, two hours.
inline FeedSeries MondaysSeries() {
  FeedSeries fs = NewSeries(1, 1, "5b0c1d1e-7a51-4c43-9d0e-0d7c6c1f0a01", "Futures Forum",
                            "Europe/London", /*venue_id=*/1, 10 * 60 + 30, 120);
  Series& s = fs.series;
  s.dates = {{2010, 5, 17}, {2010, 7, 12}, {2010, 9, 13}, {2010, 11, 15}};
  s.first_date = s.dates.front();
  s.created_at = s.updated_at = kJan2010 + 10 * kDay;
  AddMeetings(fs, 101, s.dates,
              {"3f1c9a2e-6b1d-4c0e-8f2a-1b7e5d9c0a01", "3f1c9a2e-6b1d-4c0e-8f2a-1b7e5d9c0a02",
               "3f1c9a2e-6b1d-4c0e-8f2a-1b7e5d9c0a03", "3f1c9a2e-6b1d-4c0e-8f2a-1b7e5d9c0a04"});
  fs.meetings[2].notes = "Annual report; the AGM follows at 12:30.";
  fs.meetings[2].updated_at = kJan2010 + 40 * kDay;
  return fs;
}

// A rule series across both 2010 clock changes: the second Thursday of each month, February to
// December 2010, 18:30 Europe/London, 90 minutes, with one meeting of each kind of change.
inline FeedSeries SeminarSeries() {
  FeedSeries fs = NewSeries(2, 1, "9d2f6c80-3b1e-4f7a-8c55-2e1b7d4a9c02", "Evening Seminar",
                            "Europe/London", /*venue_id=*/1, 18 * 60 + 30, 90);
  Series& s = fs.series;
  s.rrule = "FREQ=MONTHLY;BYDAY=2TH;UNTIL=20101231";
  s.first_date = {2010, 2, 11};
  s.agenda = "Talks, then questions; the bar opens afterwards.";
  s.sequence = 1;  // raised when 11 November was cancelled (an EXDATE more)
  s.created_at = kJan2010 + 10 * kDay;
  s.updated_at = kJan2010 + 300 * kDay;
  const std::vector<CivilDate> dates = {
      {2010, 2, 11}, {2010, 3, 11}, {2010, 4, 8},   {2010, 5, 13},  {2010, 6, 10}, {2010, 7, 8},
      {2010, 8, 12}, {2010, 9, 9},  {2010, 10, 14}, {2010, 11, 11}, {2010, 12, 9}};
  AddMeetings(fs, 201, dates);
  // 11 March moved to Thursday 1 April, across the spring clock change.
  Edited(fs.meetings[1], 1, 50).start = {{2010, 4, 1}, 18 * 60 + 30};
  // 10 June at another venue.
  Edited(fs.meetings[4], 1, 120).venue_id = 2;
  // 9 September re-timed: 19:00 for an hour.
  Meeting& retimed = Edited(fs.meetings[7], 2, 200);
  retimed.start = {{2010, 9, 9}, 19 * 60};
  retimed.duration_minutes = 60;
  // 14 October has notes.
  fs.meetings[8].notes = "Joint session with the Transport Group.";
  fs.meetings[8].updated_at = kJan2010 + 250 * kDay;
  // 11 November cancelled.
  Edited(fs.meetings[9], 1, 300).status = MeetingStatus::kCancelled;
  return fs;
}

inline std::vector<Presenter> SeminarPresenters() {
  return {{.id = 1,
           .meeting_id = 204,
           .name = "Ada Lovelace",
           .organisation = "Analytical Society",
           .topic = "Engines that weave algebra",
           .created_at = kJan2010 + 60 * kDay},
          {.id = 2,
           .meeting_id = 204,
           .name = "Charles Babbage",
           .topic = "Differences, engines",
           .created_at = kJan2010 + 61 * kDay}};
}

// A New York series from the example rule: every other month, third Monday, five times.
inline FeedSeries NewYorkSeries() {
  FeedSeries fs = NewSeries(3, 2, "c4e1a7b2-5d3f-4e6a-b7c8-3f2e1d0c9b03", "Harbour Board",
                            "America/New_York", /*venue_id=*/3, 10 * 60 + 30, 60);
  fs.series.rrule = "FREQ=MONTHLY;INTERVAL=2;BYDAY=3MO;COUNT=5";
  fs.series.first_date = {2010, 1, 18};
  fs.series.created_at = fs.series.updated_at = kJan2010 + 5 * kDay;
  AddMeetings(fs, 301, {{2010, 1, 18}, {2010, 3, 15}, {2010, 5, 17}, {2010, 7, 19}, {2010, 9, 20}});
  return fs;
}

// A Tokyo group's call held at Friends House (for the venue feed: two zones in one feed).
inline FeedSeries TokyoSeries() {
  FeedSeries fs = NewSeries(4, 3, "e7d6c5b4-a392-4817-8e6f-5d4c3b2a1904", "Liaison call",
                            "Asia/Tokyo", /*venue_id=*/2, 19 * 60, 60);
  fs.group_name = "Tokyo Liaison";
  fs.series.dates = {{2010, 6, 21}};
  fs.series.first_date = fs.series.dates.front();
  fs.series.created_at = fs.series.updated_at = kJan2010 + 100 * kDay;
  AddMeetings(fs, 401, fs.series.dates, {"f0e1d2c3-b4a5-4697-8877-665544332211"});
  return fs;
}

inline FeedInput GroupFeed() {
  return {.calendar_name = "Futures Forum",
          .timezone = "Europe/London",
          .base_url = kBaseUrl,
          .updated_at = kJan2010 + 10 * kDay,
          .series = {MondaysSeries(), SeminarSeries()},
          .venues = {{1, ConwayHall()}, {2, FriendsHouse()}},
          .presenters = {{204, SeminarPresenters()}}};
}

#pragma GCC diagnostic pop

}  // namespace convene::calendar::testing
