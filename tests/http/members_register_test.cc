// The organiser's register and members pages with the App's real notices: apologies recorded on
// a member's behalf, and removing a member without rewriting history (migration 4, left_at).
#include <nlohmann/json.hpp>

#include "tests/http/pages_fixture.h"

namespace convene::server {
namespace {

class MembersRegisterTest : public PagesTest {
 protected:
  MembersRegisterTest() { record_changes_ = false; }

  std::string RegisterPath(calendar::Id meeting) {
    return "/organise/meetings/" + std::to_string(meeting) + "/register";
  }
  std::string ApologiesPath(calendar::Id meeting) {
    return "/organise/meetings/" + std::to_string(meeting) + "/apologies";
  }
  int64_t ApologiesFor(calendar::Id meeting, calendar::Id member) {
    return Count("SELECT count(*) FROM apologies WHERE meeting_id=" + std::to_string(meeting) +
                 " AND member_id=" + std::to_string(member));
  }
  // Notices about a meeting to one address that are still going out.
  int64_t NoticesTo(const std::string& email, calendar::Id meeting) {
    return Count(
        "SELECT count(*) FROM outbox WHERE kind='meeting_change' AND status='queued'"
        " AND recipient='" +
        email + "' AND meeting_id=" + std::to_string(meeting));
  }
};

TEST_F(MembersRegisterTest, OrganiserRecordsApologiesOnAMembersBehalfFromTheRegister) {
  Session s = Login();
  const calendar::Id meeting = NextMeeting().meeting.id;
  const calendar::Member ian = MemberNamed("Ian Cooper");
  Page reg = Get(RegisterPath(meeting), s.cookie);
  ASSERT_EQ(reg.status, 200);
  EXPECT_TRUE(reg.Has("<form method=\"post\" action=\"" + ApologiesPath(meeting) + "\">"));
  EXPECT_TRUE(reg.Has("name=\"member_id\" value=\"" + std::to_string(ian.id) + "\""));
  EXPECT_TRUE(reg.Has("Record apologies for Ian Cooper"));

  Page r =
      Post(ApologiesPath(meeting),
           {{"csrf", s.csrf}, {"member_id", std::to_string(ian.id)}, {"reason", "Phoned: ill"}},
           s.cookie);
  ASSERT_EQ(r.status, 303) << r.body;
  EXPECT_EQ(r.Header("Location"), RegisterPath(meeting) + "?done=apologies");
  EXPECT_EQ(ApologiesFor(meeting, ian.id), 1);
  EXPECT_EQ(Text("SELECT reason FROM apologies WHERE member_id=" + std::to_string(ian.id) +
                 " AND meeting_id=" + std::to_string(meeting)),
            "Phoned: ill");
  // Through Operations::RecordApologies: the organiser's apologies notice is queued too.
  EXPECT_EQ(Count("SELECT count(*) FROM outbox WHERE kind='apologies' AND meeting_id=" +
                  std::to_string(meeting)),
            1);
  Page after = Get(r.Header("Location"), s.cookie);
  EXPECT_TRUE(after.Has("Apologies recorded."));
  EXPECT_TRUE(after.Has("<strong>Ian Cooper</strong>, Hampshire CC: “Phoned: ill”"));
  EXPECT_TRUE(after.Has("apologies from 1"));
  EXPECT_FALSE(after.Has("Record apologies for Ian Cooper")) << "no second form for him";
  EXPECT_TRUE(after.Has("Record apologies for Sal Khan"));

  // A repeat changes nothing; a member of no group of theirs, or no member, is 404.
  const std::string before = Snapshot();
  Page again =
      Post(ApologiesPath(meeting),
           {{"csrf", s.csrf}, {"member_id", std::to_string(ian.id)}, {"reason", "x"}}, s.cookie);
  EXPECT_EQ(again.Header("Location"), RegisterPath(meeting) + "?done=already");
  EXPECT_EQ(Snapshot(), before);
  EXPECT_EQ(
      Post(ApologiesPath(meeting), {{"csrf", s.csrf}, {"member_id", "999999"}}, s.cookie).status,
      404);
  EXPECT_EQ(Post(ApologiesPath(meeting), {{"csrf", s.csrf}, {"member_id", "x"}}, s.cookie).status,
            400);
  // Without the session's form token, or as another organiser: nothing.
  const std::string sal = std::to_string(MemberNamed("Sal Khan").id);
  EXPECT_EQ(Post(ApologiesPath(meeting), {{"member_id", sal}}, s.cookie).status, 403);
  ASSERT_TRUE(ops().SetPassword("other@example.org", "another long password").ok());
  Session other = Login("other@example.org", "another long password");
  const std::string with_session = Snapshot();
  EXPECT_EQ(
      Post(ApologiesPath(meeting), {{"csrf", other.csrf}, {"member_id", sal}}, other.cookie).status,
      404);
  EXPECT_EQ(Snapshot(), with_session);
}

TEST_F(MembersRegisterTest, RemovedMemberLeavesListsRegistersQuorumNoticesAndLinks) {
  Session s = Login();
  const MeetingView next = NextMeeting();
  const calendar::Id march = MarchMeeting();
  const calendar::Member ian = MemberNamed("Ian Cooper");
  // Everything Ian holds: his page, feed, apology and unsubscribe links; apologies for the next
  // meeting (sent himself).
  const std::string page = PageToken("Ian Cooper");
  auto feed = ops().NewFeedLink(page);
  ASSERT_TRUE(feed.ok());
  const std::string apology = ApologyTokenFor("Ian Cooper", next.meeting.id);
  const std::string unsubscribe = UnsubscribeToken(ops().link_key(), ian.id, ian.links_version);
  ASSERT_TRUE(ops().SendApologies(apology, "Away").ok());
  ASSERT_EQ(Get("/feeds/members/" + *feed + ".ics").status, 200);
  ASSERT_TRUE(Get(RegisterPath(next.meeting.id), s.cookie).Has("21 members · apologies from 1"));

  Page members = Get("/organise/groups/futures/members", s.cookie);
  const std::string remove = "/organise/members/" + std::to_string(ian.id) + "/remove";
  ASSERT_TRUE(members.Has("action=\"" + remove + "\"")) << members.body;
  Page r = Post(remove, {{"csrf", s.csrf}}, s.cookie);
  ASSERT_EQ(r.status, 303) << r.body;
  EXPECT_EQ(r.Header("Location"), "/organise/groups/futures/members?removed=1");
  Page listed = Get(r.Header("Location"), s.cookie);
  EXPECT_TRUE(listed.Has("Removed from the group."));
  // He is listed only among the former members now.
  const size_t former = listed.body.find("Former members");
  ASSERT_NE(former, std::string::npos);
  EXPECT_GT(listed.body.find("Ian Cooper"), former);
  EXPECT_TRUE(Get("/organise", s.cookie).Has("20 members"));

  // Every link of his stops working.
  EXPECT_EQ(Get("/m/" + page).status, 404);
  EXPECT_EQ(Get("/feeds/members/" + *feed + ".ics").status, 404);
  EXPECT_EQ(Get("/apologies/" + apology).status, 404);
  EXPECT_EQ(Get("/unsubscribe/" + unsubscribe).status, 404);
  EXPECT_EQ(Post("/unsubscribe/" + unsubscribe, {{"List-Unsubscribe", "One-Click"}}).status, 404);

  // The next meeting's register and quorum count 20, and his apologies there are gone ...
  Page reg = Get(RegisterPath(next.meeting.id), s.cookie);
  EXPECT_TRUE(reg.Has("20 members · apologies from 0 · 20 expected")) << reg.body;
  EXPECT_FALSE(reg.Has("Ian Cooper"));
  EXPECT_EQ(ApologiesFor(next.meeting.id, ian.id), 0);
  EXPECT_TRUE(Get("/meetings/" + std::to_string(next.meeting.id))
                  .Has("Apologies received: <strong>0</strong>"));
  EXPECT_EQ(Post(ApologiesPath(next.meeting.id),
                 {{"csrf", s.csrf}, {"member_id", std::to_string(ian.id)}}, s.cookie)
                .status,
            404);
  // ... but March 2010's register and minutes keep him: history is not rewritten.
  Page minutes = Get("/organise/meetings/" + std::to_string(march) + "/minutes", s.cookie);
  EXPECT_TRUE(minutes.Has("Ian Cooper")) << minutes.body;
  EXPECT_TRUE(Get(RegisterPath(march), s.cookie).Has("21 members"));
  auto header = ops().Minutes(org_.id, march);
  ASSERT_TRUE(header.ok());
  EXPECT_EQ(header->attendance.size(), 17u);

  // No notice reaches him; the others still get theirs.
  MeetingPatch p;
  p.start = "2027-01-18T14:00";
  ASSERT_TRUE(ops()
                  .ChangeMeeting(org_.id, next.meeting.id,
                                 Operations::MeetingETag(NextMeeting().meeting), p)
                  .ok());
  EXPECT_EQ(NoticesTo(ian.email, next.meeting.id), 0);
  EXPECT_EQ(NoticesTo(MemberNamed("Sal Khan").email, next.meeting.id), 1);

  // A repeat is harmless; another organiser cannot; a removed member gets no new link.
  const std::string before = Snapshot();
  EXPECT_EQ(Post(remove, {{"csrf", s.csrf}}, s.cookie).status, 303);
  EXPECT_EQ(
      Post("/organise/members/" + std::to_string(ian.id) + "/link", {{"csrf", s.csrf}}, s.cookie)
          .status,
      404);
  EXPECT_EQ(Snapshot(), before);
  ASSERT_TRUE(ops().SetPassword("other@example.org", "another long password").ok());
  Session other = Login("other@example.org", "another long password");
  const std::string sal_remove =
      "/organise/members/" + std::to_string(MemberNamed("Sal Khan").id) + "/remove";
  EXPECT_EQ(Post(sal_remove, {{"csrf", other.csrf}}, other.cookie).status, 404);
  EXPECT_EQ(Post(sal_remove, {}, s.cookie).status, 403) << "the form token is checked";
  EXPECT_FALSE(MemberNamed("Sal Khan").left_at.has_value());
}

TEST_F(MembersRegisterTest, ARemovedMemberCanBeAddedAgainWithNewLinks) {
  Session s = Login();
  const calendar::Member ian = MemberNamed("Ian Cooper");
  const std::string old_page = PageToken("Ian Cooper");
  ASSERT_TRUE(ops().RemoveMember(org_.id, ian.id).ok());
  Page added = Submit(s, "/organise/groups/futures/members",
                      {{"name", "Ian Cooper"},
                       {"email", "Ian.Cooper@example.org"},
                       {"organisation", "Hampshire CC"}});
  ASSERT_EQ(added.status, 200) << added.body;
  EXPECT_TRUE(added.Has("Ian Cooper is added.")) << "the welcome email takes their new links";
  auto link = ops().PageLinkFor(org_.id, ian.id);  // as "Send their page link" shows it
  ASSERT_TRUE(link.ok());
  const std::string page = link->page_token;
  EXPECT_EQ(MemberNamed("Ian Cooper").id, ian.id) << "the same member, history and all";
  EXPECT_EQ(Get("/m/" + page).status, 200);
  EXPECT_EQ(Get("/m/" + old_page).status, 404) << "old links stay dead";
  auto header = ops().Minutes(org_.id, MarchMeeting());
  ASSERT_TRUE(header.ok());
  int ians = 0;
  for (const MinutesPerson& p : header->attendance) ians += p.name == "Ian Cooper";
  EXPECT_EQ(ians, 1);
}

TEST_F(MembersRegisterTest, FormerMembersAreListedAndAddedBackFromTheMembersPage) {
  Session s = Login();
  const std::string list = "/organise/groups/futures/members";
  EXPECT_FALSE(Get(list, s.cookie).Has("Former members")) << "none yet";
  const calendar::Member ian = MemberNamed("Ian Cooper");
  ASSERT_EQ(
      Post("/organise/members/" + std::to_string(ian.id) + "/remove", {{"csrf", s.csrf}}, s.cookie)
          .status,
      303);
  Page page = Get(list, s.cookie);
  ASSERT_TRUE(page.Has("Former members")) << page.body;
  const size_t former = page.body.find("Former members");
  EXPECT_NE(page.body.find("Ian Cooper", former), std::string::npos);
  EXPECT_NE(page.body.find("aria-label=\"Add Ian Cooper back\"", former), std::string::npos);
  // The removal date is shown in the group's own calendar (the fake clock: 5 January 2026).
  EXPECT_NE(page.body.find("removed Monday 5 January 2026", former), std::string::npos);

  // The "Add back" form carries what the add form needs; sent, Ian is back with a new link.
  auto field = [&](const char* name) {
    return Find(page.body.substr(former), std::string("name=\"") + name + "\" value=\"([^\"]*)\"");
  };
  ASSERT_EQ(field("email"), ian.email);
  Page back = Post(list,
                   {{"csrf", s.csrf},
                    {"name", field("name")},
                    {"email", field("email")},
                    {"organisation", field("organisation")}},
                   s.cookie);
  ASSERT_EQ(back.status, 200) << back.body;
  EXPECT_TRUE(back.Has("Ian Cooper is added.</strong> A welcome email with their personal page"))
      << back.body;
  const calendar::Member again = MemberNamed("Ian Cooper");
  EXPECT_EQ(again.id, ian.id);
  EXPECT_FALSE(again.left_at.has_value());
  EXPECT_EQ(again.organisation, ian.organisation);
  EXPECT_FALSE(Get(list, s.cookie).Has("Former members"));
}

TEST_F(MembersRegisterTest, ApiListsFormerMembersWhenAsked) {
  const std::string token = *ops().IssueApiToken(kDemoOrganiser, "");
  const calendar::Member ian = MemberNamed("Ian Cooper");
  ASSERT_TRUE(ops().RemoveMember(org_.id, ian.id).ok());
  auto get = [&](const std::string& path) {
    auto r = server_.Client().Get(path.c_str(), {{"Authorization", "Bearer " + token}});
    return std::make_pair(r ? r->status : 0,
                          r ? nlohmann::json::parse(r->body, nullptr, false) : nlohmann::json());
  };
  auto [st, current] = get("/api/v1/groups/futures/members");
  ASSERT_EQ(st, 200);
  EXPECT_EQ(current["members"].size(), 20u);
  for (const auto& m : current["members"]) EXPECT_FALSE(m.contains("left_at"));
  auto [st2, former] = get("/api/v1/groups/futures/members?former=1");
  ASSERT_EQ(st2, 200);
  ASSERT_EQ(former["members"].size(), 1u);
  EXPECT_EQ(former["members"][0]["name"], "Ian Cooper");
  EXPECT_EQ(former["members"][0]["left_at"], "2026-01-05T09:00:00Z");
  auto [st3, bad] = get("/api/v1/groups/futures/members?former=maybe");
  EXPECT_EQ(st3, 400);
  EXPECT_EQ(bad["error"]["field"], "former");
}

}  // namespace
}  // namespace convene::server
