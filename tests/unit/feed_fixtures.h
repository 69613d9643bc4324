// The scenarios behind the golden feeds in tests/testdata/feeds: fixed rows with fixed edit times,
// so every render is the same bytes. Dates were read off a printed 2010 calendar; UK clocks went
// forward on 28 March 2010 and back on 31 October 2010.
// Test-only; values, thread-safe.
#pragma once

#include <string>
#include <vector>

#include "calendar/ical.h"

namespace convene::calendar::testing {

constexpr int64_t kJan2010 = 1262304000;  // 2010-01-01T00:00:00Z
constexpr int64_t kDay = 86400;
constexpr const char* kBaseUrl = "https://convene.example.org";

inline Venue ConwayHall() {
  Venue v;
  v.id = 1;
  v.name = "Conway Hall";
  v.address = "25 Red Lion Square, Holborn, London";
  v.postcode = "WC1R 4RL";
  v.capacity = 120;
  v.updated_at = kJan2010;
  return v;
}

inline Venue FriendsHouse() {
  Venue v;
  v.id = 2;
  v.name = "Friends House";
  v.address = "173 Euston Road, London";
  v.postcode = "NW1 2BJ";
  v.updated_at = kJan2010 + 2 * kDay;
  return v;
}

inline Meeting MakeMeeting(Id id, Id series_id, const std::string& uid, CivilDate date, int minute,
                           int duration, Id venue_id) {
  Meeting m;
  m.id = id;
  m.series_id = series_id;
  m.group_id = 1;
  m.uid = uid;
  m.original_start = {date, minute};
  m.start = m.original_start;
  m.duration_minutes = duration;
  m.venue_id = venue_id;
  m.created_at = kJan2010 + 10 * kDay;
  m.updated_at = m.created_at;
  return m;
}

// The demo's explicit-date series: four Mondays of 2010 at 10:30 Europe/London, two hours.
inline FeedSeries MondaysSeries() {
  FeedSeries fs;
  fs.timezone = "Europe/London";
  Series& s = fs.series;
  s.id = 1;
  s.group_id = 1;
  s.uid = "5b0c1d1e-7a51-4c43-9d0e-0d7c6c1f0a01";
  s.title = "Futures Forum";
  s.venue_id = 1;
  s.start_minute = 10 * 60 + 30;
  s.duration_minutes = 120;
  s.dates = {{2010, 5, 17}, {2010, 7, 12}, {2010, 9, 13}, {2010, 11, 15}};
  s.first_date = s.dates.front();
  s.created_at = kJan2010 + 10 * kDay;
  s.updated_at = s.created_at;
  const char* uids[] = {
      "3f1c9a2e-6b1d-4c0e-8f2a-1b7e5d9c0a01", "3f1c9a2e-6b1d-4c0e-8f2a-1b7e5d9c0a02",
      "3f1c9a2e-6b1d-4c0e-8f2a-1b7e5d9c0a03", "3f1c9a2e-6b1d-4c0e-8f2a-1b7e5d9c0a04"};
  for (int i = 0; i < 4; ++i)
    fs.meetings.push_back(MakeMeeting(101 + i, 1, uids[i], s.dates[i], s.start_minute, 120, 1));
  fs.meetings[2].notes = "Annual report; the AGM follows at 12:30.";
  fs.meetings[2].updated_at = kJan2010 + 40 * kDay;
  return fs;
}

// A rule series across both 2010 clock changes: the second Thursday of each month, February to
// December 2010, 18:30 Europe/London, 90 minutes, with one meeting of each kind of change.
inline FeedSeries SeminarSeries() {
  FeedSeries fs;
  fs.timezone = "Europe/London";
  Series& s = fs.series;
  s.id = 2;
  s.group_id = 1;
  s.uid = "9d2f6c80-3b1e-4f7a-8c55-2e1b7d4a9c02";
  s.title = "Evening Seminar";
  s.venue_id = 1;
  s.start_minute = 18 * 60 + 30;
  s.duration_minutes = 90;
  s.rrule = "FREQ=MONTHLY;BYDAY=2TH;UNTIL=20101231";
  s.first_date = {2010, 2, 11};
  s.agenda = "Talks, then questions; the bar opens afterwards.";
  s.sequence = 1;  // raised when 11 November was cancelled (an EXDATE more)
  s.created_at = kJan2010 + 10 * kDay;
  s.updated_at = kJan2010 + 300 * kDay;
  const CivilDate dates[] = {{2010, 2, 11},  {2010, 3, 11},  {2010, 4, 8},  {2010, 5, 13},
                             {2010, 6, 10},  {2010, 7, 8},   {2010, 8, 12}, {2010, 9, 9},
                             {2010, 10, 14}, {2010, 11, 11}, {2010, 12, 9}};
  for (int i = 0; i < 11; ++i)
    fs.meetings.push_back(MakeMeeting(201 + i, 2, s.uid, dates[i], s.start_minute, 90, 1));
  // 11 March moved to Thursday 1 April, across the spring clock change.
  Meeting& moved = fs.meetings[1];
  moved.start = {{2010, 4, 1}, 18 * 60 + 30};
  moved.sequence = 1;
  moved.updated_at = kJan2010 + 50 * kDay;
  // 10 June at another venue.
  Meeting& revenued = fs.meetings[4];
  revenued.venue_id = 2;
  revenued.sequence = 1;
  revenued.updated_at = kJan2010 + 120 * kDay;
  // 9 September re-timed: 19:00 for an hour.
  Meeting& retimed = fs.meetings[7];
  retimed.start = {{2010, 9, 9}, 19 * 60};
  retimed.duration_minutes = 60;
  retimed.sequence = 2;
  retimed.updated_at = kJan2010 + 200 * kDay;
  // 14 October has notes.
  fs.meetings[8].notes = "Joint session with the Transport Group.";
  fs.meetings[8].updated_at = kJan2010 + 250 * kDay;
  // 11 November cancelled.
  Meeting& cancelled = fs.meetings[9];
  cancelled.status = MeetingStatus::kCancelled;
  cancelled.sequence = 1;
  cancelled.updated_at = kJan2010 + 300 * kDay;
  return fs;
}

inline std::vector<Presenter> SeminarPresenters() {
  Presenter a;
  a.id = 1;
  a.meeting_id = 204;
  a.name = "Ada Lovelace";
  a.organisation = "Analytical Society";
  a.topic = "Engines that weave algebra";
  a.created_at = kJan2010 + 60 * kDay;
  Presenter b;
  b.id = 2;
  b.meeting_id = 204;
  b.name = "Charles Babbage";
  b.topic = "Differences, engines";
  b.created_at = kJan2010 + 61 * kDay;
  return {a, b};
}

// A New York series from the example rule: every other month, third Monday, five times.
inline FeedSeries NewYorkSeries() {
  FeedSeries fs;
  fs.timezone = "America/New_York";
  Series& s = fs.series;
  s.id = 3;
  s.group_id = 2;
  s.uid = "c4e1a7b2-5d3f-4e6a-b7c8-3f2e1d0c9b03";
  s.title = "Harbour Board";
  s.venue_id = 3;
  s.start_minute = 10 * 60 + 30;
  s.duration_minutes = 60;
  s.rrule = "FREQ=MONTHLY;INTERVAL=2;BYDAY=3MO;COUNT=5";
  s.first_date = {2010, 1, 18};
  s.created_at = kJan2010 + 5 * kDay;
  s.updated_at = s.created_at;
  const CivilDate dates[] = {
      {2010, 1, 18}, {2010, 3, 15}, {2010, 5, 17}, {2010, 7, 19}, {2010, 9, 20}};
  for (int i = 0; i < 5; ++i)
    fs.meetings.push_back(MakeMeeting(301 + i, 3, s.uid, dates[i], s.start_minute, 60, 3));
  return fs;
}

inline Venue PierHall() {
  Venue v;
  v.id = 3;
  v.name = "Pier 17 Hall";
  v.address = "89 South Street, New York, NY";
  v.postcode = "10038";
  v.updated_at = kJan2010;
  return v;
}

// A Tokyo group's call held at Friends House (for the venue feed: two zones in one feed).
inline FeedSeries TokyoSeries() {
  FeedSeries fs;
  fs.timezone = "Asia/Tokyo";
  fs.group_name = "Tokyo Liaison";
  Series& s = fs.series;
  s.id = 4;
  s.group_id = 3;
  s.uid = "e7d6c5b4-a392-4817-8e6f-5d4c3b2a1904";
  s.title = "Liaison call";
  s.venue_id = 2;
  s.start_minute = 19 * 60;
  s.duration_minutes = 60;
  s.dates = {{2010, 6, 21}};
  s.first_date = s.dates.front();
  s.created_at = kJan2010 + 100 * kDay;
  s.updated_at = s.created_at;
  fs.meetings.push_back(
      MakeMeeting(401, 4, "f0e1d2c3-b4a5-4697-8877-665544332211", {2010, 6, 21}, 19 * 60, 60, 2));
  return fs;
}

inline FeedInput GroupFeed() {
  FeedInput in;
  in.calendar_name = "Futures Forum";
  in.timezone = "Europe/London";
  in.base_url = kBaseUrl;
  in.updated_at = kJan2010 + 10 * kDay;
  in.series = {MondaysSeries(), SeminarSeries()};
  in.venues = {{1, ConwayHall()}, {2, FriendsHouse()}};
  in.presenters[204] = SeminarPresenters();
  return in;
}

}  // namespace convene::calendar::testing
