#include "server/ops/operations.h"

#include <gtest/gtest.h>

#include <set>

#include "server/app/demo.h"
#include "tests/support/fakes.h"
#include "tests/support/inputs.h"

namespace convene::server {
namespace {

using calendar::FormatLocal;
using calendar::MeetingStatus;
using convene::testing::DatedSeries;
using convene::testing::FakeClock;
using convene::testing::SeededRandom;
using convene::testing::SeriesAt;
using convene::testing::TempDir;

class OperationsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(InitCrypto());
    auto db = calendar::store::Db::Open(dir_.File("t.db"));
    ASSERT_TRUE(db.ok());
    db_ = std::move(db).value();
    ops_ = std::make_unique<Operations>(*db_, clock_.AsClock(), SeededRandom(7),
                                        "https://convene.test");
    org_ = ops_->EnsureOrganiser("sec@example.org", "Sec")->id;
    other_ = ops_->EnsureOrganiser("other@example.org", "Other")->id;
    VenueInput v;
    v.name = "Siemens, Hillgate House";
    v.address = "26 Old Bailey, London";
    v.postcode = "EC4M 7HS";
    venue_ = ops_->CreateVenue(org_, v)->id;
    v.name = "Guildhall";
    v.address = "Gresham Street, London";
    venue2_ = ops_->CreateVenue(org_, v)->id;
    GroupInput g{"futures", "Futures", "Europe/London", 3, true};
    ASSERT_TRUE(ops_->CreateGroup(org_, g).ok());
  }

  SeriesCreated Rule(const std::string& rrule, const std::string& first, int64_t venue = 0) {
    SeriesInput in = SeriesAt("Futures meeting", venue ? venue : venue_, "10:30", 150);
    in.rrule = rrule;
    in.first_date = first;
    auto s = ops_->CreateSeries(org_, "futures", in);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? *s : SeriesCreated{};
  }

  TempDir dir_;
  FakeClock clock_;
  std::unique_ptr<calendar::store::Db> db_;
  std::unique_ptr<Operations> ops_;
  Id org_ = 0, other_ = 0, venue_ = 0, venue2_ = 0;
};

TEST_F(OperationsTest, RuleSeriesIsMaterialisedOneMeetingPerDateUnderOneUid) {
  auto s = Rule("FREQ=MONTHLY;INTERVAL=2;BYDAY=3MO;COUNT=5", "2010-03-01");
  ASSERT_EQ(s.meetings.size(), 5u);
  const char* want[] = {"2010-03-15T10:30", "2010-05-17T10:30", "2010-07-19T10:30",
                        "2010-09-20T10:30", "2010-11-15T10:30"};
  for (size_t i = 0; i < 5; ++i) {
    EXPECT_EQ(FormatLocal(s.meetings[i].meeting.start), want[i]);
    EXPECT_EQ(s.meetings[i].meeting.uid, s.series.uid);
    EXPECT_EQ(s.meetings[i].meeting.sequence, 0);
  }
  EXPECT_EQ(s.series.uid.size(), 36u);
}

TEST_F(OperationsTest, UntilIsStoredInUtcAsTheLastInstance) {
  auto s = Rule("FREQ=WEEKLY;BYDAY=MO;UNTIL=20100705", "2010-06-01");
  ASSERT_EQ(s.meetings.size(), 5u);  // 7, 14, 21, 28 June, 5 July
  // 5 July 2010 10:30 BST is 09:30 UTC.
  EXPECT_NE(s.series.rrule.find("UNTIL=20100705T093000Z"), std::string::npos) << s.series.rrule;
}

TEST_F(OperationsTest, ExplicitDatesGetTheirOwnUids) {
  auto s =
      ops_->CreateSeries(org_, "futures",
                         DatedSeries("Futures meeting", venue_, "10:30", 150,
                                     {"2010-07-12", "2010-05-17", "2010-09-13", "2010-11-15"}));
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  std::set<std::string> uids;
  for (const auto& m : s->meetings) uids.insert(m.meeting.uid);
  EXPECT_EQ(uids.size(), 4u);
  EXPECT_EQ(uids.count(s->series.uid), 0u);
  EXPECT_EQ(FormatLocal(s->meetings.front().meeting.start), "2010-05-17T10:30");
  EXPECT_TRUE(s->series.rrule.empty());
}

TEST_F(OperationsTest, SeriesInputErrorsNameTheField) {
  SeriesInput in = SeriesAt("T", venue_, "25:00", 60);
  in.rrule = "FREQ=WEEKLY;COUNT=2";
  EXPECT_EQ(ops_->CreateSeries(org_, "futures", in).status().field(), "start_time");
  in.start_time = "01:30";  // does not exist on 28 March 2010 in London
  in.rrule = std::nullopt;
  in.dates = std::vector<std::string>{"2010-03-28"};
  EXPECT_EQ(ops_->CreateSeries(org_, "futures", in).status().field(), "start_time");
  in.start_time = "10:00";
  in.rrule = "FREQ=WEEKLY;COUNT=2";
  EXPECT_EQ(ops_->CreateSeries(org_, "futures", in).status().field(), "dates");
  in.rrule = std::nullopt;
  in.dates = std::vector<std::string>{"2010-02-30"};
  EXPECT_EQ(ops_->CreateSeries(org_, "futures", in).status().field(), "dates");
  in.dates = std::vector<std::string>{"2010-03-01"};
  in.venue_id = 999;
  EXPECT_EQ(ops_->CreateSeries(org_, "futures", in).status().field(), "venue_id");
}

TEST_F(OperationsTest, ChangesBumpSequenceKeepOriginalStartAndNeedIfMatch) {
  auto s = Rule("FREQ=MONTHLY;INTERVAL=2;BYDAY=3MO;COUNT=5", "2010-03-01");
  Id id = s.meetings[1].meeting.id;
  auto m = ops_->GetMeeting(org_, id);
  std::string etag = Operations::MeetingETag(m->meeting);

  MeetingPatch move;
  move.start = "2010-05-24T14:00";
  EXPECT_EQ(ops_->ChangeMeeting(org_, id, "", move).status().code(), Code::kPreconditionRequired);
  EXPECT_EQ(ops_->ChangeMeeting(org_, id, "\"m1-0\"", move).status().code(),
            Code::kPreconditionFailed);
  auto moved = ops_->ChangeMeeting(org_, id, etag, move);
  ASSERT_TRUE(moved.ok()) << moved.status().ToString();
  EXPECT_EQ(FormatLocal(moved->view.meeting.start), "2010-05-24T14:00");
  EXPECT_EQ(FormatLocal(moved->view.meeting.original_start), "2010-05-17T10:30");
  EXPECT_EQ(moved->view.meeting.sequence, 1);
  // The old ETag is now stale.
  EXPECT_EQ(ops_->ChangeMeeting(org_, id, etag, move).status().code(), Code::kPreconditionFailed);
  etag = Operations::MeetingETag(moved->view.meeting);

  MeetingPatch revenue;
  revenue.venue_id = venue2_;
  auto re = ops_->ChangeMeeting(org_, id, etag, revenue);
  ASSERT_TRUE(re.ok());
  EXPECT_EQ(re->view.venue.name, "Guildhall");
  EXPECT_EQ(re->view.meeting.sequence, 2);
  etag = Operations::MeetingETag(re->view.meeting);

  // Asking for what already is changes nothing.
  auto same = ops_->ChangeMeeting(org_, id, etag, revenue);
  ASSERT_TRUE(same.ok());
  EXPECT_FALSE(same->changed);
  EXPECT_EQ(same->view.meeting.sequence, 2);

  MeetingPatch cancel;
  cancel.status = "cancelled";
  auto c = ops_->ChangeMeeting(org_, id, etag, cancel);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->view.meeting.status, MeetingStatus::kCancelled);
  EXPECT_EQ(c->view.meeting.sequence, 3);
  EXPECT_EQ(c->view.series.sequence, 1);  // the master's EXDATE list changed
  MeetingPatch reinstate;
  reinstate.status = "scheduled";
  auto r = ops_->ChangeMeeting(org_, id, Operations::MeetingETag(c->view.meeting), reinstate);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->view.meeting.sequence, 4);
  EXPECT_EQ(r->view.series.sequence, 2);
}

TEST_F(OperationsTest, VenueClashIs409UnlessForcedAndAFailedChangeWritesNothing) {
  auto a = Rule("FREQ=WEEKLY;BYDAY=MO;COUNT=2", "2010-03-15");
  auto b = Rule("FREQ=WEEKLY;BYDAY=TU;COUNT=2", "2010-03-16");
  Id id = b.meetings[0].meeting.id;
  auto before = ops_->GetMeeting(org_, id)->meeting;
  MeetingPatch p;
  p.start = "2010-03-15T11:00";  // overlaps Monday 10:30-13:00
  auto clash = ops_->ChangeMeeting(org_, id, Operations::MeetingETag(before), p);
  ASSERT_FALSE(clash.ok());
  EXPECT_EQ(clash.status().code(), Code::kConflict);
  EXPECT_EQ(clash.status().error_code(), "venue_clash");
  auto after = ops_->GetMeeting(org_, id)->meeting;
  EXPECT_EQ(after.version, before.version);
  EXPECT_EQ(FormatLocal(after.start), "2010-03-16T10:30");
  p.force = true;
  auto forced = ops_->ChangeMeeting(org_, id, Operations::MeetingETag(before), p);
  ASSERT_TRUE(forced.ok());
  ASSERT_FALSE(forced->warnings.empty());
  EXPECT_EQ(forced->warnings[0].code, "venue_clash");
  // A series whose dates clash is refused as a whole: no half-created series.
  auto clashing = DatedSeries("Clash", venue_, "12:00", 60, {"2010-04-01", "2010-03-22"});
  EXPECT_EQ(ops_->CreateSeries(org_, "futures", clashing).status().error_code(), "venue_clash");
  EXPECT_EQ(ops_->ListMeetings(org_, "futures", "2010-04-01", "2010-04-01")->size(), 0u);
}

TEST_F(OperationsTest, BankHolidayWarning) {
  auto s = ops_->CreateSeries(org_, "futures",
                              DatedSeries("Easter", venue_, "10:00", 60, {"2010-04-05"}));
  ASSERT_TRUE(s.ok());
  ASSERT_EQ(s->warnings.size(), 1u);
  EXPECT_EQ(s->warnings[0].code, "bank_holiday");
}

TEST_F(OperationsTest, AWallTimeThatHappensTwiceIsAWarningAndOneInTheGapIsRefused) {
  // Europe/London, 31 October 2027: at 02:00 BST the clocks go back to 01:00 GMT, so 01:30
  // happens at 00:30 UTC (+01:00) and again at 01:30 UTC (+00:00). 28 March 2027: 01:00 GMT
  // jumps to 02:00 BST, so 01:30 never happens.
  SeriesInput in = DatedSeries("Night owls", venue_, "01:30", 30, {"2027-10-31", "2027-11-07"});
  auto s = ops_->CreateSeries(org_, "futures", in);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  ASSERT_EQ(s->warnings.size(), 1u) << "only the first date is ambiguous";
  EXPECT_EQ(s->warnings[0].code, "ambiguous_time");
  EXPECT_NE(s->warnings[0].message.find("Sunday 31 October 2027 at 01:30"), std::string::npos)
      << s->warnings[0].message;
  EXPECT_NE(s->warnings[0].message.find("first, +01:00, not the second, +00:00"), std::string::npos)
      << s->warnings[0].message;
  in.dates = std::vector<std::string>{"2027-03-28"};
  auto gap = ops_->CreateSeries(org_, "futures", in);
  EXPECT_EQ(gap.status().code(), Code::kInvalidArgument);
  // Moving a meeting into the repeated hour warns too.
  const MeetingView nov = s->meetings[1];
  MeetingPatch p;
  p.start = "2027-10-31T01:00";  // ends as the other begins: no clash
  auto moved = ops_->ChangeMeeting(org_, nov.meeting.id, Operations::MeetingETag(nov.meeting), p);
  ASSERT_TRUE(moved.ok()) << moved.status().ToString();
  ASSERT_EQ(moved->warnings.size(), 1u);
  EXPECT_EQ(moved->warnings[0].code, "ambiguous_time");
}

TEST_F(OperationsTest, AnotherOrganiserSeesNothing) {
  auto s = Rule("FREQ=WEEKLY;COUNT=1", "2010-03-15");
  Id id = s.meetings[0].meeting.id;
  EXPECT_EQ(ops_->GetGroup(other_, "futures").status().code(), Code::kNotFound);
  EXPECT_EQ(ops_->GetMeeting(other_, id).status().code(), Code::kNotFound);
  EXPECT_EQ(ops_->GetVenue(other_, venue_).status().code(), Code::kNotFound);
  EXPECT_EQ(ops_->ListMembers(other_, "futures").status().code(), Code::kNotFound);
  MeetingPatch p;
  p.status = "cancelled";
  EXPECT_EQ(ops_->ChangeMeeting(other_, id, "*", p).status().code(), Code::kNotFound);
  // Nor may another organiser book my venue for their own group.
  ASSERT_TRUE(
      ops_->CreateGroup(other_, GroupInput{"other", "Other", "Europe/London", {}, {}}).ok());
  EXPECT_EQ(
      ops_->CreateSeries(other_, "other", DatedSeries("Mine", venue_, "10:00", 60, {"2011-01-03"}))
          .status()
          .code(),
      Code::kNotFound);
}

TEST_F(OperationsTest, ApologiesAreIdempotentAndFeedTheQuorumForecast) {
  auto s = Rule("FREQ=WEEKLY;COUNT=1", "2010-03-15");
  Id id = s.meetings[0].meeting.id;
  std::vector<Id> members;
  for (const char* n : {"Ann", "Bob", "Cy"}) {
    auto m = ops_->AddMember(org_, "futures",
                             MemberInput{n, std::string(n) + "@example.org", {}, {}, {}});
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    EXPECT_EQ(m->feed_token.size(), 43u);
    EXPECT_NE(m->feed_token, m->page_token);
    members.push_back(m->member.id);
  }
  EXPECT_EQ(ops_->AddMember(org_, "futures", MemberInput{"Ann", "ANN@example.org", {}, {}, {}})
                .status()
                .code(),
            Code::kConflict);
  EXPECT_TRUE(*ops_->RecordApologies(org_, id, members[0], "Train strike"));
  EXPECT_FALSE(*ops_->RecordApologies(org_, id, members[0], "again"));
  auto a = ops_->Attendance(org_, id);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->quorum.members, 3);
  EXPECT_EQ(a->quorum.expected, 2);
  EXPECT_TRUE(a->quorum.at_risk());  // quorum 3, 2 expected
}

TEST_F(OperationsTest, ChangeHookRunsInsideTheTransaction) {
  auto s = Rule("FREQ=WEEKLY;COUNT=1", "2010-03-15");
  Id id = s.meetings[0].meeting.id;
  int calls = 0;
  ops_->set_change_hook([&](calendar::store::Tx&, const MeetingEvent& c, int64_t) {
    ++calls;
    EXPECT_EQ(c.kinds.front(), MeetingEvent::Kind::kCancelled);
    return Status(Code::kUnavailable, "mail queue full");
  });
  MeetingPatch p;
  p.status = "cancelled";
  auto r = ops_->ChangeMeeting(org_, id, "*", p);
  EXPECT_EQ(r.status().code(), Code::kUnavailable);
  EXPECT_EQ(calls, 1);
  // The hook failed, so the change did not happen either.
  EXPECT_EQ(ops_->GetMeeting(org_, id)->meeting.status, MeetingStatus::kScheduled);
}

TEST(Demo, FollowsTheSeedMinutes) {
  ASSERT_TRUE(InitCrypto());
  TempDir dir;
  FakeClock clock;
  auto db = calendar::store::Db::Open(dir.File("demo.db"));
  ASSERT_TRUE(db.ok());
  auto ops_ = std::make_unique<Operations>(**db, clock.AsClock(), SeededRandom(1), "http://x.test");
  auto r = LoadDemo(*ops_);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->loaded);
  EXPECT_FALSE(LoadDemo(*ops_)->loaded);  // idempotent
  auto sec = ops_->EnsureOrganiser(kDemoOrganiser, "");
  auto meetings = ops_->ListMeetings(sec->id, "futures", "2010-01-01", "2010-12-31");
  ASSERT_TRUE(meetings.ok());
  std::vector<std::string> starts;
  for (const auto& m : *meetings) starts.push_back(calendar::FormatDate(m.meeting.start.date));
  // The meeting of the minutes and the future dates they list, all Mondays.
  EXPECT_EQ(starts, (std::vector<std::string>{"2010-03-15", "2010-05-17", "2010-07-12",
                                              "2010-09-13", "2010-11-15"}));
  const auto& march = meetings->front();
  EXPECT_EQ(march.venue.postcode, "EC4M 7HS");
  EXPECT_EQ(march.presenters.size(), 4u);
  EXPECT_EQ(march.apologies, 4);
  auto att = ops_->Attendance(sec->id, march.meeting.id);
  int present = 0;
  for (const auto& row : att->members) present += row.status == calendar::Attendance::kPresent;
  EXPECT_EQ(present, 17);
  EXPECT_EQ(att->members.size(), 21u);
}

}  // namespace
}  // namespace convene::server
