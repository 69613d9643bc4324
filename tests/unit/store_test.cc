#include "calendar/store/store.h"

#include <gtest/gtest.h>

#include "calendar/store/db.h"
#include "calendar/store/migrations.h"
#include "tests/support/fakes.h"

namespace convene::calendar::store {
namespace {

using convene::testing::TempDir;

std::string Pragma(Db& db, const char* sql) {
  auto tx = db.Read();
  Stmt s = tx->Prepare(sql);
  return s.Step() ? s.Text(0) : "";
}

// A new database in a temp folder; `db` is null (and the test has failed) when it cannot be
// opened.
struct ScratchDb {
  ScratchDb() {
    auto opened = Db::Open(dir.File("a.db"));
    EXPECT_TRUE(opened.ok()) << opened.status().ToString();
    if (opened.ok()) db = std::move(opened).value();
  }
  TempDir dir;
  std::unique_ptr<Db> db;
};

// Inserts a venue of the organiser's, "Hall" at "1 Road".
Result<Venue> AddVenue(Tx& tx, Id owner) {
  Venue v;
  v.owner_id = owner;
  v.name = "Hall";
  v.address = "1 Road";
  v.updated_at = 1;
  return InsertVenue(tx, v);
}

// Inserts a group of the organiser's in Europe/London.
Result<Group> AddGroup(Tx& tx, Id organiser, const std::string& slug, const std::string& name,
                       int64_t created_at) {
  Group g;
  g.organiser_id = organiser;
  g.slug = slug;
  g.name = name;
  g.timezone = "Europe/London";
  g.created_at = created_at;
  return InsertGroup(tx, g);
}

TEST(Db, OpensWithDurableSettingsAndMigratesOnce) {
  TempDir dir;
  auto db = Db::Open(dir.File("a.db"));
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  EXPECT_EQ(Pragma(**db, "PRAGMA journal_mode"), "wal");
  EXPECT_EQ(Pragma(**db, "PRAGMA synchronous"), "2");  // FULL
  EXPECT_EQ(Pragma(**db, "PRAGMA foreign_keys"), "1");
  EXPECT_EQ(Pragma(**db, "PRAGMA user_version"), std::to_string(SchemaVersion()));
  EXPECT_TRUE(Migrate(**db).ok());  // idempotent
  db->reset();
  auto again = Db::Open(dir.File("a.db"));
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(*(*again)->IntegrityOk());
}

TEST(Db, RefusesANewerSchema) {
  TempDir dir;
  {
    auto db = Db::Open(dir.File("a.db"));
    ASSERT_TRUE(db.ok());
    auto tx = (*db)->Write();
    ASSERT_TRUE(tx->Exec("PRAGMA user_version = 999").ok());
    ASSERT_TRUE(tx->Commit().ok());
  }
  auto db = Db::Open(dir.File("a.db"));
  ASSERT_FALSE(db.ok());
  EXPECT_NE(db.status().message().find("newer"), std::string::npos);
}

TEST(Db, UncommittedTransactionRollsBack) {
  TempDir dir;
  auto db = Db::Open(dir.File("a.db"));
  ASSERT_TRUE(db.ok());
  {
    auto tx = (*db)->Write();
    ASSERT_TRUE(EnsureOrganiser(*tx, "a@example.org", "A", 1).ok());
    // no Commit: destroyed
  }
  auto tx = (*db)->Read();
  auto found = FindOrganiserByEmail(*tx, "a@example.org");
  ASSERT_TRUE(found.ok());
  EXPECT_FALSE(found->has_value());
}

TEST(Db, UnopenablePathIsUnavailableNotACrash) {
  auto db = Db::Open("/proc/definitely/not/here.db");
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.status().code(), Code::kUnavailable);
  EXPECT_FALSE(Db::Open(":memory:").ok());
}

TEST(Store, TokensAreFoundOnlyLiveAndByKind) {
  ScratchDb scratch;
  ASSERT_TRUE(scratch.db);
  auto tx = scratch.db->Write();
  auto o = EnsureOrganiser(*tx, "a@example.org", "A", 1);
  TokenRow row;
  row.kind = "api";
  row.organiser_id = o->id;
  row.created_at = 1;
  ASSERT_TRUE(InsertToken(*tx, "h1", row).ok());
  EXPECT_TRUE(FindToken(*tx, "h1", "api", 2)->has_value());
  EXPECT_FALSE(FindToken(*tx, "h1", "feed", 2)->has_value());
  ASSERT_TRUE(RevokeToken(*tx, "h1", 3).ok());
  EXPECT_FALSE(FindToken(*tx, "h1", "api", 4)->has_value());
  row.expires_at = 10;
  ASSERT_TRUE(InsertToken(*tx, "h2", row).ok());
  EXPECT_TRUE(FindToken(*tx, "h2", "api", 9)->has_value());
  EXPECT_FALSE(FindToken(*tx, "h2", "api", 10)->has_value());
}

TEST(Store, MeetingSequenceAndEditTimeNeverMoveBackwards) {
  ScratchDb scratch;
  ASSERT_TRUE(scratch.db);
  auto tx = scratch.db->Write();
  auto o = EnsureOrganiser(*tx, "a@example.org", "A", 1);
  auto venue = AddVenue(*tx, o->id);
  auto group = AddGroup(*tx, o->id, "wg", "WG", 1);
  Series s;
  s.group_id = group->id;
  s.uid = "u";
  s.title = "T";
  s.venue_id = venue->id;
  s.first_date = {2010, 3, 15};
  auto series = InsertSeries(*tx, s);
  Meeting m;
  m.series_id = series->id;
  m.group_id = group->id;
  m.uid = "u";
  m.original_start = m.start = {{2010, 3, 15}, 630};
  m.duration_minutes = 60;
  m.venue_id = venue->id;
  m.sequence = 5;
  m.updated_at = 100;
  auto meeting = InsertMeeting(*tx, m);
  ASSERT_TRUE(meeting.ok()) << meeting.status().ToString();
  Meeting older = *meeting;
  older.sequence = 2;
  older.updated_at = 50;
  older.start = {{2010, 3, 16}, 630};
  ASSERT_TRUE(UpdateMeeting(*tx, older).ok());
  auto back = GetMeeting(*tx, meeting->id);
  EXPECT_EQ(back->sequence, 5);
  EXPECT_EQ(back->updated_at, 100);
  EXPECT_EQ(back->version, 2);
  EXPECT_EQ(FormatLocal(back->start), "2010-03-16T10:30");
  EXPECT_EQ(FormatLocal(back->original_start), "2010-03-15T10:30");
  // Revision time is monotonic too.
  ASSERT_TRUE(BumpRevision(*tx, 200).ok());
  ASSERT_TRUE(BumpRevision(*tx, 150).ok());
  auto rev = GetRevision(*tx);
  EXPECT_EQ(rev->number, 2);
  EXPECT_EQ(rev->at, 200);
  // A meeting's (series, original start) is unique.
  EXPECT_EQ(InsertMeeting(*tx, m).status().code(), Code::kConflict);
}

TEST(Members, LeftMembersAreListedOnlyForTimesBeforeTheyLeft) {
  ScratchDb scratch;
  ASSERT_TRUE(scratch.db);
  auto tx = scratch.db->Write();
  ASSERT_TRUE(tx.ok());
  auto org = EnsureOrganiser(*tx, "o@example.org", "O", 1);
  ASSERT_TRUE(org.ok());
  auto group = AddGroup(*tx, org->id, "g", "G", 0);
  ASSERT_TRUE(group.ok());
  std::vector<Id> ids;
  for (const char* name : {"Ann", "Bob"}) {
    Member m;
    m.group_id = group->id;
    m.name = name;
    m.email = std::string(name) + "@example.org";
    auto inserted = InsertMember(*tx, m);
    ASSERT_TRUE(inserted.ok());
    ids.push_back(inserted->id);
  }
  ASSERT_TRUE(SetMemberLeft(*tx, ids[1], 1000).ok());
  EXPECT_EQ(GetMember(*tx, ids[1])->left_at, std::optional<int64_t>(1000));
  EXPECT_EQ(ListMembers(*tx, group->id)->size(), 1u);
  EXPECT_EQ(ListMembersAt(*tx, group->id, 999)->size(), 2u);
  EXPECT_EQ(ListMembersAt(*tx, group->id, 1000)->size(), 1u);
  EXPECT_TRUE(ListMembersByEmail(*tx, "bob@example.org")->empty());
  auto former = FindMemberByEmail(*tx, group->id, "BOB@example.org");
  ASSERT_TRUE(former.ok() && former->has_value());
  EXPECT_EQ((*former)->id, ids[1]);
  ASSERT_TRUE(SetMemberLeft(*tx, ids[1], std::nullopt).ok());
  EXPECT_EQ(ListMembers(*tx, group->id)->size(), 2u);
}

}  // namespace
}  // namespace convene::calendar::store
