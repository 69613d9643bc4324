// The organiser's notice pages with the App's real notices: the outbox page (/organise/outbox)
// and the change preview, whose "who will be told" must match the rows the change then queues.
#include "tests/http/pages_fixture.h"

namespace convene::server {
namespace {

class NoticePagesTest : public RealNoticesTest {
 protected:
  void MoveNextTo(calendar::Id venue) { ASSERT_TRUE(ChangeNext(VenuePatch(venue)).ok()); }
  void Sql(const std::string& sql) {
    auto tx = server_.app().db().Write();
    ASSERT_TRUE(tx.ok());
    ASSERT_TRUE(tx->Exec(sql).ok()) << sql;
    ASSERT_TRUE(tx->Commit().ok());
  }
  // The notices listed on an outbox page: one recipient row each, in its change's list.
  static int Rows(const Page& p) {
    int n = 0;
    for (size_t pos = 0; (pos = p.body.find("<tr class=\"recipient\">", pos)) != std::string::npos;
         ++pos)
      ++n;
    return n;
  }
  // Sends the preview page's confirm form as a browser would (its hidden fields, unescaped).
  Page Confirm(const Page& preview, const Session& s) {
    std::vector<std::pair<std::string, std::string>> fields;
    const size_t at = preview.body.find("/change\"");
    if (at == std::string::npos) return {};
    const std::string form = preview.body.substr(at);
    std::regex hidden("<input type=\"hidden\" name=\"([a-z_]+)\" value=\"([^\"]*)\">");
    for (auto it = std::sregex_iterator(form.begin(), form.end(), hidden);
         it != std::sregex_iterator(); ++it) {
      std::string value = (*it)[2];
      for (size_t p; (p = value.find("&quot;")) != std::string::npos;) value.replace(p, 6, "\"");
      fields.push_back({(*it)[1], value});
    }
    const std::string path = preview.body.substr(0, at);
    const std::string meeting = path.substr(path.rfind("/organise/meetings/"));
    return Post(meeting + "/change", fields, s.cookie);
  }
  int64_t RowsAbout(calendar::Id meeting) {
    return Count("SELECT count(*) FROM outbox WHERE kind='meeting_change' AND meeting_id=" +
                 std::to_string(meeting));
  }
};

TEST_F(NoticePagesTest, OutboxPageNeedsASessionAndIsLinkedFromTheDashboard) {
  Page anon = Get("/organise/outbox");
  EXPECT_EQ(anon.status, 303);
  EXPECT_EQ(anon.Header("Location"), "/login?next=/organise/outbox");
  Session s = Login();
  EXPECT_TRUE(Get("/organise", s.cookie).Has("href=\"/organise/outbox\""));
}

TEST_F(NoticePagesTest, OutboxPageListsTheNoticesWithLocalTimesAndFilters) {
  Session s = Login();
  MoveNextTo(AddVenue("Guildhall"));
  const std::string ian = MemberNamed("Ian Cooper").email;
  const calendar::Id meeting = NextMeeting().meeting.id;
  // One notice failed at the relay: its error is shown (escaped, like everything on the page).
  Sql("UPDATE outbox SET status='failed', attempts=3, last_error='550 5.1.1 <ian> & <b>gone</b>'"
      " WHERE recipient='" +
      ian + "' AND meeting_id=" + std::to_string(meeting));

  Page all = Get("/organise/outbox", s.cookie);
  ASSERT_EQ(all.status, 200) << all.body;
  EXPECT_EQ(all.Header("Cache-Control"), "no-store");
  EXPECT_EQ(all.Header("Referrer-Policy"), "no-referrer");
  for (const char* column : {"<th>To</th>", "<th>Status</th>", "<th>Attempts</th>",
                             "<th>Next attempt</th>", "<th>Last error</th>"})
    EXPECT_TRUE(all.Has(column)) << column;
  EXPECT_TRUE(all.Has("Venue changed: Socitm Futures meeting, Monday 18 January 2027"));
  // Due 60 s after the change at 09:00 UTC, which is 09:00 in London in January.
  EXPECT_TRUE(
      all.Has("<td data-label=\"Next attempt\" class=\"nowrap\">Mon 5 Jan 2026, 09:01</td>"))
      << all.body;
  EXPECT_TRUE(all.Has("550 5.1.1 &lt;ian&gt; &amp; &lt;b&gt;gone&lt;/b&gt;")) << all.body;
  EXPECT_FALSE(all.Has("<b>gone"));
  EXPECT_FALSE(all.Has("<span class=\"status-superseded\">")) << "none yet";
  const int total = Rows(all);
  EXPECT_GT(total, 20);

  Page failed = Get("/organise/outbox?status=failed", s.cookie);
  EXPECT_EQ(Rows(failed), 1);
  EXPECT_TRUE(failed.Has(ian));
  EXPECT_TRUE(failed.Has("<td data-label=\"Attempts\" class=\"nowrap\">3</td>"));
  EXPECT_TRUE(failed.Has("<strong aria-current=\"page\">failed</strong>"));

  Page queued = Get("/organise/outbox?status=queued", s.cookie);
  EXPECT_GE(Rows(queued), 20);
  EXPECT_FALSE(queued.Has("<span class=\"status-sent\">"));
  EXPECT_FALSE(queued.Has("<span class=\"status-failed\">"));

  // Undone inside the window: the change's notices are withdrawn, and listed as superseded.
  MoveNextTo(NextMeeting().series.venue_id);
  Page superseded = Get("/organise/outbox?status=superseded", s.cookie);
  EXPECT_GE(Rows(superseded), 20);
  EXPECT_FALSE(superseded.Has("<span class=\"status-queued\">"));
  Page after = Get("/organise/outbox", s.cookie);
  EXPECT_EQ(Rows(after), Count("SELECT count(*) FROM outbox")) << "All lists the superseded too";
  EXPECT_GE(Rows(after), total);
  EXPECT_TRUE(after.Has("<span class=\"status-superseded\">"));

  Page bad = Get("/organise/outbox?status=lost", s.cookie);
  EXPECT_EQ(bad.status, 400);
  EXPECT_TRUE(bad.Has("Status must be queued, sent, failed or superseded"));
}

TEST_F(NoticePagesTest, AnotherOrganiserSeesNoneOfTheOutbox) {
  MoveNextTo(AddVenue("Guildhall"));
  ASSERT_TRUE(ops().SetPassword("other@example.org", "another long password").ok());
  Session other = Login("other@example.org", "another long password");
  ASSERT_FALSE(other.cookie.empty());
  for (const char* filter : {"", "?status=queued", "?status=sent", "?status=superseded"}) {
    Page p = Get(std::string("/organise/outbox") + filter, other.cookie);
    EXPECT_EQ(p.status, 200) << filter;
    EXPECT_EQ(Rows(p), 0) << filter;
    EXPECT_TRUE(p.Has(std::string(filter).empty()
                          ? "No notices."
                          : "No notices with status " + std::string(filter).substr(8) + "."))
        << filter << p.body;
    EXPECT_FALSE(p.Has("@example.org</td>")) << filter;
    EXPECT_FALSE(p.Has("Socitm")) << filter;
  }
}

// The preview's count of people told, from the page ("21 people will get an email", or
// "Nobody will get an email").
int ToldCount(const Page& p) {
  if (p.Has("<p>Nobody will get an email")) return 0;
  const std::string n = Find(p.body, "<p>(\\d+) (?:people|person) will get an email");
  return n.empty() ? -1 : std::stoi(n);
}

TEST_F(NoticePagesTest, PreviewCountIsTheNumberOfNoticesTheChangeQueues) {
  Session s = Login();
  const MeetingView next = NextMeeting();
  const std::string m = "/organise/meetings/" + std::to_string(next.meeting.id);
  // Make the recipients interesting: a presenter who is not a member, one with no address, a
  // member who presents (told once), and a member who unsubscribed.
  const std::string glyn = MemberNamed("Glyn Evans").email;
  for (const PresenterInput& p :
       {PresenterInput{"Dr Ada", "Engines", std::nullopt, std::string("ada@example.net")},
        PresenterInput{"No Mail", "Silence", std::nullopt, std::nullopt},
        PresenterInput{"Glyn Evans", "Chairing", std::nullopt, glyn}})
    ASSERT_TRUE(ops().AddPresenter(org_.id, next.meeting.id, p).ok());
  ASSERT_TRUE(
      ops().Unsubscribe(UnsubscribeToken(ops().link_key(), MemberNamed("Ian Cooper").id, 0)).ok());
  server_.clock().Advance(120);  // the presenters' notices are no longer coalescable
  const int64_t rows_before = RowsAbout(next.meeting.id);

  const std::string venue = std::to_string(AddVenue("Guildhall"));
  Page preview =
      Post(m + "/preview", {{"csrf", s.csrf}, {"action", "venue"}, {"venue_id", venue}}, s.cookie);
  ASSERT_EQ(preview.status, 200) << preview.body;
  const int told = ToldCount(preview);
  EXPECT_EQ(told, 21 - 1 + 1) << "21 members less Ian, plus Dr Ada; Glyn once";
  EXPECT_TRUE(preview.Has("Dr Ada &lt;ada@example.net&gt;"));
  EXPECT_TRUE(preview.Has("unsubscribed from notices"));
  EXPECT_TRUE(preview.Has("Ian Cooper"));
  EXPECT_TRUE(preview.Has("presenter with no email address"));
  EXPECT_EQ(RowsAbout(next.meeting.id), rows_before) << "a preview queues nothing";

  Page done = Confirm(preview, s);
  ASSERT_EQ(done.status, 303) << done.body;
  EXPECT_EQ(RowsAbout(next.meeting.id) - rows_before, told);
  EXPECT_EQ(Count("SELECT count(DISTINCT recipient) FROM outbox WHERE kind='meeting_change' AND "
                  "status='queued' AND meeting_id=" +
                  std::to_string(next.meeting.id)),
            told);
}

TEST_F(NoticePagesTest, PreviewFollowsNoticesStillWaitingInTheirWindow) {
  Session s = Login();
  const MeetingView next = NextMeeting();
  const std::string m = "/organise/meetings/" + std::to_string(next.meeting.id);
  const std::string home = std::to_string(next.venue.id);
  const std::string guildhall = std::to_string(AddVenue("Guildhall"));
  auto queued = [&] {
    return Count(
        "SELECT count(*) FROM outbox WHERE kind='meeting_change' AND status='queued' AND "
        "meeting_id=" +
        std::to_string(next.meeting.id));
  };
  auto change = [&](const std::string& venue) {
    Page p = Post(m + "/preview", {{"csrf", s.csrf}, {"action", "venue"}, {"venue_id", venue}},
                  s.cookie);
    EXPECT_EQ(Confirm(p, s).status, 303) << p.body;
    return p;
  };
  Page first = change(guildhall);
  ASSERT_EQ(ToldCount(first), 21);
  EXPECT_EQ(queued(), 21);
  // Undone within the window: nobody is told, and the 21 waiting notices are withdrawn.
  Page undo = change(home);
  EXPECT_EQ(ToldCount(undo), 0) << undo.body;
  EXPECT_TRUE(undo.Has("21 people get no email: the email about the earlier change had not gone"));
  EXPECT_EQ(queued(), 0);
  // Once more, then a second edit in the same window: one email each, covering both.
  change(guildhall);
  Page again = Post(
      m + "/preview",
      {{"csrf", s.csrf}, {"action", "move"}, {"date", "2027-01-19"}, {"time", "14:00"}}, s.cookie);
  EXPECT_EQ(ToldCount(again), 21);
  EXPECT_TRUE(again.Has("one email with the earlier change still waiting to go"));
  EXPECT_EQ(queued(), 21);
}

TEST_F(NoticePagesTest, AMemberWhoseLastNoticeFailedIsFlaggedUntilOneIsDelivered) {
  Session s = Login();
  MoveNextTo(AddVenue("Guildhall"));
  const std::string ian = MemberNamed("Ian Cooper").email;
  const std::string members = "/organise/groups/futures/members";
  EXPECT_FALSE(Get(members, s.cookie).Has("class=\"warn small\""));
  EXPECT_FALSE(Get("/organise", s.cookie).Has("get no email"));

  // The relay refused Ian's notice for good (the address is stored in another case, too).
  Sql("UPDATE outbox SET status='failed', last_error='550 5.1.1 <ian> unknown'"
      " WHERE recipient='" +
      ian + "' AND kind='meeting_change'");
  Sql("UPDATE members SET email=upper(email) WHERE email='" + ian + "'");
  Page flagged = Get(members, s.cookie);
  ASSERT_EQ(flagged.status, 200);
  const size_t at = flagged.body.find("The last notice to");
  ASSERT_NE(at, std::string::npos) << flagged.body;
  EXPECT_EQ(flagged.body.find("The last notice to", at + 1), std::string::npos) << "only Ian";
  EXPECT_TRUE(flagged.Has("failed (550 5.1.1 &lt;ian&gt; unknown)"));
  EXPECT_GT(at, flagged.body.find("Ian Cooper"));
  EXPECT_TRUE(Get("/organise", s.cookie).Has("1 person gets no email: the last notice failed"));

  // A later notice to the same address got through: nothing to flag any more.
  Sql("UPDATE outbox SET status='sent' WHERE id=(SELECT max(id) FROM outbox WHERE recipient<>'" +
      ian + "')");
  EXPECT_TRUE(Get(members, s.cookie).Has("The last notice to")) << "another address's success";
  Sql("INSERT INTO outbox(group_id, kind, recipient, subject, message_id, body, status,"
      " created_at, updated_at, due_at, next_attempt_at) SELECT id, 'welcome', '" +
      ian + "', 's', 'later@test', 'b', 'sent', 0, 0, 0, 0 FROM groups WHERE slug='futures'");
  EXPECT_FALSE(Get(members, s.cookie).Has("The last notice to"));
  EXPECT_FALSE(Get("/organise", s.cookie).Has("get no email"));
}

}  // namespace
}  // namespace convene::server
