// Replies from calendars, below the socket: reply tokens, the MIME reader, the iTIP REPLY
// reader, the reason cleaner, the invitation's ORGANIZER/From, and ApplyReply through the real
// operations on a temp database (server/ops/replies.h).
#include <gtest/gtest.h>

#include <string>

#include "calendar/ical.h"
#include "calendar/ical_reply.h"
#include "notify/rfc5322.h"
#include "server/lmtp/mime.h"
#include "server/ops/operations.h"
#include "server/ops/replies.h"
#include "server/ops/secrets.h"
#include "tests/support/fakes.h"
#include "tests/support/inputs.h"

namespace convene::server {
namespace {

using calendar::ItipReply;
using calendar::ParseItipReply;
using calendar::ReplyTime;
using calendar::SameOccurrence;
using lmtp::FindCalendarParts;

const std::string kKey(64, 'k');

calendar::Member MemberWith(Id id, int64_t links_version) {
  calendar::Member m;
  m.id = id;
  m.links_version = links_version;
  return m;
}

// ---------------------------------------------------------------- tokens

TEST(ReplyToken, RoundTripsAndIsLowerCaseBase32OfFiftyTwo) {
  const std::string t = ReplyToken(kKey, 42, 7, 3);
  ASSERT_EQ(t.size(), 52u);
  for (char c : t) EXPECT_TRUE((c >= 'a' && c <= 'z') || (c >= '2' && c <= '7')) << t;
  auto ref = DecodeReplyToken(t);
  ASSERT_TRUE(ref);
  EXPECT_EQ(ref->meeting_id, 42);
  EXPECT_EQ(ref->member_id, 7);
  EXPECT_TRUE(ReplyTokenValid(kKey, t, MemberWith(7, 3), 42));
  // A mail system that upper-cases the local part changes nothing.
  std::string upper = t;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_TRUE(ReplyTokenValid(kKey, upper, MemberWith(7, 3), 42));
  EXPECT_EQ(ReplyToken(kKey, 42, 7, 3), t) << "the same address every time";
}

TEST(ReplyToken, RefusesForgeriesRevocationAndOtherKinds) {
  const std::string t = ReplyToken(kKey, 42, 7, 3);
  EXPECT_FALSE(ReplyTokenValid(kKey, t, MemberWith(7, 4), 42)) << "links_version bumped";
  EXPECT_FALSE(ReplyTokenValid(kKey, t, MemberWith(8, 3), 42)) << "another member";
  EXPECT_FALSE(ReplyTokenValid(kKey, t, MemberWith(7, 3), 43)) << "another meeting";
  EXPECT_FALSE(ReplyTokenValid(std::string(64, 'x'), t, MemberWith(7, 3), 42)) << "another key";
  std::string flipped = t;
  flipped[30] = flipped[30] == 'a' ? 'b' : 'a';
  EXPECT_FALSE(ReplyTokenValid(kKey, flipped, MemberWith(7, 3), 42));
  // The same ids under an apology token's MAC are no reply token.
  EXPECT_FALSE(DecodeReplyToken(ApologyToken(kKey, 42, 7, 3)));
  for (const char* bad : {"", "abc", "0000000000000000000000000000000000000000000000000000",
                          "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaz"})
    EXPECT_FALSE(DecodeReplyToken(bad)) << bad;
}

TEST(ReplyTokenOf, ReadsOnlyReplyAddresses) {
  EXPECT_EQ(ReplyTokenOf("reply+abc@x.org").value_or("?"), "abc");
  EXPECT_EQ(ReplyTokenOf("<REPLY+abc@x.org>").value_or("?"), "abc");
  EXPECT_FALSE(ReplyTokenOf("reply@x.org"));
  EXPECT_FALSE(ReplyTokenOf("reply+@x.org"));
  EXPECT_FALSE(ReplyTokenOf("replies+abc@x.org"));
  EXPECT_FALSE(ReplyTokenOf("reply+abc"));
  EXPECT_FALSE(ReplyTokenOf(std::string(400, 'a')));
}

// ---------------------------------------------------------------- iTIP REPLY

// As Outlook writes it: its own zone name, folded lines, an escaped COMMENT.
const char kOutlookReply[] =
    "BEGIN:VCALENDAR\r\nMETHOD:REPLY\r\nPRODID:Microsoft Exchange Server 2010\r\nVERSION:2.0\r\n"
    "BEGIN:VTIMEZONE\r\nTZID:GMT Standard Time\r\nBEGIN:STANDARD\r\nDTSTART:16010101T020000\r\n"
    "TZOFFSETFROM:+0100\r\nTZOFFSETTO:+0000\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n"
    "BEGIN:VEVENT\r\nATTENDEE;PARTSTAT=DECLINED;CN=\"Bob, B\":mailto:Bob@Example.ORG\r\n"
    "COMMENT;LANGUAGE=en-GB:Sorry\\, I am away\\nback on the 20th\r\n"
    "UID:abc-123\r\nRECURRENCE-ID;TZID=GMT Standard Time:20270426T103000\r\n"
    "SEQUENCE:2\r\nDTSTAMP:20270101T120000Z\r\nSUMMARY;LANGUAGE=en-GB:Declined: Fu\r\n tures\r\n"
    "BEGIN:VALARM\r\nACTION:DISPLAY\r\nATTENDEE:mailto:nobody@example.org\r\nEND:VALARM\r\n"
    "END:VEVENT\r\nEND:VCALENDAR\r\n";

TEST(ParseItipReply, ReadsWhatOutlookSends) {
  auto r = ParseItipReply(kOutlookReply);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->events.size(), 1u);
  const calendar::ReplyEvent& e = r->events[0];
  EXPECT_EQ(e.uid, "abc-123");
  EXPECT_EQ(e.sequence, 2);
  ASSERT_EQ(e.attendees.size(), 1u) << "the VALARM's ATTENDEE is not the replier";
  EXPECT_EQ(e.attendees[0].email, "Bob@Example.ORG");
  EXPECT_EQ(e.attendees[0].partstat, "DECLINED");
  EXPECT_EQ(e.comment, "Sorry, I am away\nback on the 20th");
  ASSERT_TRUE(e.recurrence_id);
  EXPECT_EQ(e.recurrence_id->tzid, "GMT Standard Time");
  EXPECT_EQ(calendar::FormatLocal(e.recurrence_id->local), "2027-04-26T10:30");
}

TEST(ParseItipReply, RefusesWhatIsNotOneReply) {
  const std::string ev =
      "BEGIN:VEVENT\r\nUID:u\r\nATTENDEE;PARTSTAT=DECLINED:mailto:a@b.org\r\nEND:VEVENT\r\n";
  const std::string ok = "BEGIN:VCALENDAR\r\nMETHOD:REPLY\r\n" + ev + "END:VCALENDAR\r\n";
  ASSERT_TRUE(ParseItipReply(ok).ok());
  struct Case {
    const char* name;
    std::string text;
  } cases[] = {
      {"empty", ""},
      {"request", "BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\n" + ev + "END:VCALENDAR\r\n"},
      {"no method", "BEGIN:VCALENDAR\r\n" + ev + "END:VCALENDAR\r\n"},
      {"two methods",
       "BEGIN:VCALENDAR\r\nMETHOD:REPLY\r\nMETHOD:REPLY\r\n" + ev + "END:VCALENDAR\r\n"},
      {"two calendars", ok + ok},
      {"no vevent", "BEGIN:VCALENDAR\r\nMETHOD:REPLY\r\nEND:VCALENDAR\r\n"},
      {"unclosed", "BEGIN:VCALENDAR\r\nMETHOD:REPLY\r\n" + ev},
      {"crossed", "BEGIN:VCALENDAR\r\nMETHOD:REPLY\r\nBEGIN:VEVENT\r\nEND:VCALENDAR\r\n"},
      {"no uid",
       "BEGIN:VCALENDAR\r\nMETHOD:REPLY\r\nBEGIN:VEVENT\r\nATTENDEE:mailto:a@b.org\r\n"
       "END:VEVENT\r\nEND:VCALENDAR\r\n"},
      {"no attendee",
       "BEGIN:VCALENDAR\r\nMETHOD:REPLY\r\nBEGIN:VEVENT\r\nUID:u\r\nEND:VEVENT\r\n"
       "END:VCALENDAR\r\n"},
      {"bad sequence",
       "BEGIN:VCALENDAR\r\nMETHOD:REPLY\r\nBEGIN:VEVENT\r\nUID:u\r\nSEQUENCE:-1\r\n"
       "ATTENDEE:mailto:a@b.org\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"},
      {"bad rid",
       "BEGIN:VCALENDAR\r\nMETHOD:REPLY\r\nBEGIN:VEVENT\r\nUID:u\r\n"
       "RECURRENCE-ID:20271345T100000\r\nATTENDEE:mailto:a@b.org\r\nEND:VEVENT\r\n"
       "END:VCALENDAR\r\n"},
      {"nul", "BEGIN:VCALENDAR\r\nMETHOD:REPLY\r\n" + ev + std::string("X:\0\r\n", 5) +
                  "END:VCALENDAR\r\n"},
      {"not utf-8", "BEGIN:VCALENDAR\r\nMETHOD:REPLY\r\nX:\xff\xfe\r\n" + ev + "END:VCALENDAR\r\n"},
      {"no colon", "BEGIN:VCALENDAR\r\nMETHOD:REPLY\r\nGARBAGE\r\n" + ev + "END:VCALENDAR\r\n"},
      {"unclosed quote",
       "BEGIN:VCALENDAR\r\nMETHOD:REPLY\r\nX;A=\"b:c\r\n" + ev + "END:VCALENDAR\r\n"},
      {"too deep",
       "BEGIN:VCALENDAR\r\nMETHOD:REPLY\r\nBEGIN:A\r\nBEGIN:B\r\nBEGIN:C\r\nBEGIN:D\r\n"
       "END:D\r\nEND:C\r\nEND:B\r\nEND:A\r\n" +
           ev + "END:VCALENDAR\r\n"},
      {"too large", "BEGIN:VCALENDAR\r\nMETHOD:REPLY\r\nX:" + std::string(300000, 'a') + "\r\n" +
                        ev + "END:VCALENDAR\r\n"},
      {"after end", ok + "X:y\r\n"},
  };
  for (const Case& c : cases) {
    auto r = ParseItipReply(c.text);
    EXPECT_FALSE(r.ok()) << c.name;
  }
  std::string many = "BEGIN:VCALENDAR\r\nMETHOD:REPLY\r\n";
  for (int i = 0; i < 25; ++i) many += ev;
  EXPECT_FALSE(ParseItipReply(many + "END:VCALENDAR\r\n").ok()) << "too many VEVENTs";
}

TEST(SameOccurrence, MatchesByInstantOrWallClock) {
  const calendar::LocalDateTime original{{2027, 4, 26}, 10 * 60 + 30};  // 09:30Z (BST)
  auto at = [](const char* tzid, int h, int m, bool utc = false) {
    ReplyTime t;
    t.local = {{2027, 4, 26}, h * 60 + m};
    t.tzid = tzid;
    t.utc = utc;
    return t;
  };
  const std::string tz = "Europe/London";
  EXPECT_TRUE(SameOccurrence(at("Europe/London", 10, 30), tz, original));
  EXPECT_TRUE(SameOccurrence(at("", 9, 30, true), tz, original));
  EXPECT_TRUE(SameOccurrence(at("Europe/Paris", 11, 30), tz, original));
  EXPECT_TRUE(SameOccurrence(at("GMT Standard Time", 10, 30), tz, original));
  EXPECT_TRUE(SameOccurrence(at("", 10, 30), tz, original)) << "floating: the wall clock";
  EXPECT_FALSE(SameOccurrence(at("", 10, 30, true), tz, original));
  EXPECT_FALSE(SameOccurrence(at("Europe/London", 11, 30), tz, original));
  EXPECT_FALSE(SameOccurrence(at("GMT Standard Time", 9, 30), tz, original));
  ReplyTime day = at("", 0, 0);
  day.date_only = true;
  EXPECT_TRUE(SameOccurrence(day, tz, original));
}

// ---------------------------------------------------------------- MIME

std::string Alternative(const std::string& cal_headers, const std::string& cal_body) {
  return "From: Bob <bob@example.org>\r\nTo: reply+x@r.org\r\nSubject: Declined\r\n"
         "MIME-Version: 1.0\r\nContent-Type: multipart/alternative;\r\n boundary=\"b1\"\r\n\r\n"
         "preamble\r\n--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nNo.\r\n--b1\r\n" +
         cal_headers + "\r\n" + cal_body + "\r\n--b1--\r\nepilogue\r\n";
}

TEST(FindCalendarParts, DecodesBase64AndQuotedPrintable) {
  const std::string ics = "BEGIN:VCALENDAR\r\nMETHOD:REPLY\r\nEND:VCALENDAR\r\n";
  auto b64 = FindCalendarParts(
      Alternative("Content-Type: text/calendar; charset=\"UTF-8\"; method=REPLY\r\n"
                  "Content-Transfer-Encoding: base64\r\n",
                  "QkVHSU46VkNBTEVOREFSDQpNRVRIT0Q6UkVQTFkNCkVORDpWQ0FMRU5EQVINCg=="));
  ASSERT_TRUE(b64.ok()) << b64.status().ToString();
  ASSERT_EQ(b64->size(), 1u);
  EXPECT_EQ((*b64)[0].text, ics);
  EXPECT_EQ((*b64)[0].method, "REPLY");
  auto qp = FindCalendarParts(
      Alternative("Content-Type: text/calendar; method=reply\r\nContent-Transfer-Encoding: "
                  "quoted-printable\r\n",
                  "BEGIN:VCALENDAR=0D=0AMETHOD:REP=\r\nLY=0D=0AEND:VCALENDAR=0D=0A"));
  ASSERT_TRUE(qp.ok());
  ASSERT_EQ(qp->size(), 1u);
  EXPECT_EQ((*qp)[0].text, ics);
}

TEST(FindCalendarParts, ConvertsLatin1AndRefusesUnknownCharsets) {
  auto latin = FindCalendarParts(Alternative(
      "Content-Type: text/calendar; charset=ISO-8859-1\r\nContent-Transfer-Encoding: 8bit\r\n",
      "COMMENT:caf\xe9"));
  ASSERT_TRUE(latin.ok());
  EXPECT_EQ((*latin)[0].text, "COMMENT:caf\xc3\xa9");
  EXPECT_FALSE(
      FindCalendarParts(Alternative("Content-Type: text/calendar; charset=koi8-r\r\n", "X")).ok());
  EXPECT_FALSE(
      FindCalendarParts(Alternative("Content-Type: text/calendar; charset=utf-8\r\n", "caf\xe9"))
          .ok())
      << "declared UTF-8, but is not";
  EXPECT_FALSE(
      FindCalendarParts(
          Alternative("Content-Type: text/calendar\r\nContent-Transfer-Encoding: x-uuencode\r\n",
                      "X"))
          .ok());
}

TEST(FindCalendarParts, FindsGooglesNestedPartsAndSkipsForwardedMail) {
  const std::string msg =
      "Subject: x\r\nContent-Type: multipart/mixed; boundary=outer\r\n\r\n--outer\r\n"
      "Content-Type: multipart/alternative; boundary=inner\r\n\r\n--inner\r\n"
      "Content-Type: text/plain\r\n\r\nhi\r\n--inner\r\n"
      "Content-Type: text/calendar; method=REPLY\r\n\r\nA\r\n--inner--\r\n--outer\r\n"
      "Content-Type: application/ics; name=invite.ics\r\nContent-Disposition: "
      "attachment\r\n\r\nB\r\n"
      "--outer\r\nContent-Type: message/rfc822\r\n\r\nContent-Type: text/calendar\r\n\r\nC\r\n"
      "--outer--\r\n";
  auto parts = FindCalendarParts(msg);
  ASSERT_TRUE(parts.ok()) << parts.status().ToString();
  ASSERT_EQ(parts->size(), 2u);
  EXPECT_EQ((*parts)[0].text, "A");
  EXPECT_EQ((*parts)[1].text, "B");
  EXPECT_EQ((*parts)[1].content_type, "application/ics");
}

TEST(FindCalendarParts, RefusesBrokenStructure) {
  EXPECT_FALSE(FindCalendarParts("Subject: no body separator").ok());
  EXPECT_FALSE(FindCalendarParts("Content-Type: multipart/mixed\r\n\r\nx\r\n").ok());
  EXPECT_FALSE(FindCalendarParts("Content-Type: multipart/mixed; boundary=q\r\n\r\nx\r\n").ok());
  EXPECT_FALSE(
      FindCalendarParts("Content-Type: text/plain\r\nContent-Type: text/calendar\r\n\r\nx").ok());
  std::string deep = "Content-Type: multipart/mixed; boundary=b\r\n\r\n";
  for (int i = 0; i < 8; ++i) deep += "--b\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n";
  EXPECT_FALSE(FindCalendarParts(deep).ok());
  std::string wide = "Content-Type: multipart/mixed; boundary=b\r\n\r\n";
  for (int i = 0; i < 100; ++i) wide += "--b\r\n\r\nx\r\n";
  EXPECT_FALSE(FindCalendarParts(wide + "--b--\r\n").ok());
  auto none = FindCalendarParts("Subject: hi\r\n\r\nplain text\r\n");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

TEST(MimeDecoders, AreTolerantAndBounded) {
  EXPECT_EQ(lmtp::DecodeBase64("aGVs\r\nbG8=\r\n"), "hello");
  EXPECT_EQ(lmtp::DecodeBase64("a!G@V#s$b%G&8"), "hello");
  EXPECT_EQ(lmtp::DecodeQuotedPrintable("a=3Db=\r\nc=ZZ="), "a=bc=ZZ");
  auto euro = lmtp::ToUtf8("\x80", "windows-1252");
  ASSERT_TRUE(euro.ok());
  EXPECT_EQ(*euro, "\xe2\x82\xac");
  EXPECT_FALSE(lmtp::ToUtf8("\x81", "windows-1252").ok());
}

// ---------------------------------------------------------------- the reason

TEST(ReasonFromComment, CleansAndCuts) {
  EXPECT_EQ(ReasonFromComment("  Away\r\n\r\n\r\nsorry \t\x01 "), "Away\n\nsorry");
  EXPECT_EQ(ReasonFromComment("a\u202Eb\u200Bc"), "abc");
  EXPECT_EQ(ReasonFromComment("\x85"), "");
  std::string long_text;
  for (int i = 0; i < 200; ++i) long_text += "word ";
  const std::string cut = ReasonFromComment(long_text);
  EXPECT_LE(cut.size(), 500u + 2);
  EXPECT_GT(cut.size(), 400u);
  EXPECT_EQ(cut.substr(cut.size() - 3), "\u2026");
  EXPECT_EQ(cut.substr(cut.size() - 7, 4), "word");
}

// ---------------------------------------------------------------- the invitation

TEST(Invitation, NamesTheReplyAddressAsOrganizerAndFrom) {
  calendar::InvitationInput in;
  in.series.title = "Futures";
  in.series.uid = "u-1";
  in.series.rrule = "FREQ=MONTHLY;COUNT=2";
  in.timezone = "Europe/London";
  in.meeting.id = 5;
  in.meeting.uid = "u-1";
  in.meeting.start = in.meeting.original_start = {{2027, 4, 26}, 630};
  in.meeting.duration_minutes = 60;
  in.base_url = "https://meetings.example.org";
  in.organiser = {"The Secretary", "sec@example.org"};
  in.attendee = {"Bob", "bob@example.org"};
  auto plain = calendar::RenderInvitation(in);
  ASSERT_TRUE(plain.ok());
  EXPECT_NE(plain->find("ORGANIZER;CN=\"The Secretary\":mailto:sec@example.org"),
            std::string::npos);
  EXPECT_NE(plain->find("RSVP=FALSE"), std::string::npos);
  in.reply_address = "reply+abc@meetings.example.org";
  auto ask = calendar::RenderInvitation(in);
  ASSERT_TRUE(ask.ok());
  std::string unfolded = *ask;
  for (size_t p; (p = unfolded.find("\r\n ")) != std::string::npos;) unfolded.erase(p, 3);
  EXPECT_NE(unfolded.find("ORGANIZER;CN=\"The Secretary\":mailto:reply+abc@meetings.example.org"),
            std::string::npos)
      << unfolded;
  EXPECT_NE(unfolded.find("RSVP=TRUE"), std::string::npos);

  notify::Message m;
  m.from = {"The Secretary", "sec@example.org"};
  m.to = {"Bob", "bob@example.org"};
  m.subject = "Changed";
  m.message_id = "<1@example.org>";
  m.text = "hi";
  m.calendar = notify::CalendarPart{"REQUEST", *ask};
  auto bytes = notify::SerializeRfc5322(m);
  ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
  EXPECT_NE(bytes->find("From: \"The Secretary\" <reply+abc@meetings.example.org>\r\n"),
            std::string::npos)
      << *bytes;
  EXPECT_NE(bytes->find("Reply-To: \"The Secretary\" <sec@example.org>\r\n"), std::string::npos);
  m.calendar = notify::CalendarPart{"REQUEST", *plain};
  bytes = notify::SerializeRfc5322(m);
  ASSERT_TRUE(bytes.ok());
  EXPECT_NE(bytes->find("From: \"The Secretary\" <sec@example.org>\r\n"), std::string::npos);
  EXPECT_EQ(bytes->find("Reply-To:"), std::string::npos);
}

// ---------------------------------------------------------------- ApplyReply

class ApplyReplyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(InitCrypto());
    auto db = calendar::store::Db::Open(dir_.File("t.db"));
    ASSERT_TRUE(db.ok());
    db_ = std::move(db).value();
    ops_ = std::make_unique<Operations>(*db_, clock_.AsClock(), testing::SeededRandom(7),
                                        "https://convene.test");
    ASSERT_TRUE(ops_->LoadKeys().ok());
    auto org = ops_->EnsureOrganiser("sec@example.org", "Sec");
    ASSERT_TRUE(org.ok()) << org.status().ToString();
    org_ = org->id;
    VenueInput v;
    v.name = "Hall";
    v.address = "1 High Street, London";
    auto venue = ops_->CreateVenue(org_, v);
    ASSERT_TRUE(venue.ok()) << venue.status().ToString();
    GroupInput g;
    g.slug = "futures";
    g.name = "Futures";
    g.timezone = "Europe/London";
    auto group = ops_->CreateGroup(org_, g);
    ASSERT_TRUE(group.ok()) << group.status().ToString();
    auto bob = ops_->AddMember(org_, "futures", MemberInput{"Bob", "bob@example.org", {}, {}, {}});
    ASSERT_TRUE(bob.ok()) << bob.status().ToString();
    bob_ = bob->member;
    auto ann = ops_->AddMember(org_, "futures", MemberInput{"Ann", "ann@example.org", {}, {}, {}});
    ASSERT_TRUE(ann.ok()) << ann.status().ToString();
    ann_ = ann->member;
    SeriesInput in = testing::SeriesAt("Futures meeting", venue->id, "10:30", 60);
    in.rrule = "FREQ=MONTHLY;BYDAY=-1MO;COUNT=3";
    in.first_date = "2026-03-01";  // 30 March, 27 April, 25 May 2026
    auto s = ops_->CreateSeries(org_, "futures", in);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    series_ = *s;
  }

  const calendar::Meeting& Meeting(int i) const { return series_.meetings[i].meeting; }

  std::string Reply(const std::string& partstat, const std::string& email, const std::string& rid,
                    int sequence = 0, const std::string& comment = "") {
    return "BEGIN:VCALENDAR\r\nMETHOD:REPLY\r\nBEGIN:VEVENT\r\nUID:" + series_.series.uid + "\r\n" +
           (rid.empty() ? "" : "RECURRENCE-ID;TZID=Europe/London:" + rid + "\r\n") +
           "SEQUENCE:" + std::to_string(sequence) + "\r\nATTENDEE;PARTSTAT=" + partstat +
           ":mailto:" + email + "\r\n" + (comment.empty() ? "" : "COMMENT:" + comment + "\r\n") +
           "END:VEVENT\r\nEND:VCALENDAR\r\n";
  }

  Result<ReplyOutcome> Apply(const std::string& token, const std::string& ics) {
    auto r = ParseItipReply(ics);
    if (!r.ok()) return r.status();
    return ApplyReply(*ops_, token, *r);
  }

  std::vector<calendar::Apology> Apologies(Id meeting) {
    auto tx = db_->Read();
    return *calendar::store::ListApologies(*tx, meeting);
  }

  testing::TempDir dir_;
  testing::FakeClock clock_;
  std::unique_ptr<calendar::store::Db> db_;
  std::unique_ptr<Operations> ops_;
  Id org_ = 0;
  calendar::Member bob_, ann_;
  SeriesCreated series_;
};

TEST_F(ApplyReplyTest, DeclineRecordsApologiesWithTheCommentAndAcceptWithdrawsThem) {
  const std::string token = ReplyToken(ops_->link_key(), Meeting(1).id, bob_.id, 0);
  ASSERT_TRUE(CheckReplyToken(*ops_, token).ok());
  auto r = Apply(token,
                 Reply("DECLINED", "BOB@example.org", "20260427T103000", 0, "On holiday\\, sorry"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->recorded, 1) << (r->ignored.empty() ? "" : r->ignored[0]);
  auto a = Apologies(Meeting(1).id);
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].member_id, bob_.id);
  EXPECT_EQ(a[0].reason, "On holiday, sorry");
  EXPECT_TRUE(Apologies(Meeting(0).id).empty());
  // Again: nothing more.
  r = Apply(token, Reply("DECLINED", "bob@example.org", "20260427T103000"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->recorded, 0);
  // TENTATIVE changes nothing; ACCEPTED withdraws.
  r = Apply(token, Reply("TENTATIVE", "bob@example.org", "20260427T103000"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(Apologies(Meeting(1).id).size(), 1u);
  r = Apply(token, Reply("ACCEPTED", "bob@example.org", "20260427T103000"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->withdrawn, 1);
  EXPECT_TRUE(Apologies(Meeting(1).id).empty());
}

TEST_F(ApplyReplyTest, IgnoresAnotherMembersTokenAnotherMeetingAndOlderSequences) {
  const std::string anns = ReplyToken(ops_->link_key(), Meeting(1).id, ann_.id, 0);
  // Ann's token, Bob's ATTENDEE: the token does not belong to the attendee.
  auto r = Apply(anns, Reply("DECLINED", "bob@example.org", "20260427T103000"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->recorded, 0);
  // Bob's token for meeting 1, a VEVENT of meeting 2.
  const std::string bobs = ReplyToken(ops_->link_key(), Meeting(1).id, bob_.id, 0);
  r = Apply(bobs, Reply("DECLINED", "bob@example.org", "20260525T103000"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->recorded, 0);
  // An older SEQUENCE than the meeting's (moved since: SEQUENCE 1).
  MeetingPatch patch;
  patch.start = "2026-04-28T10:30";
  auto moved = ops_->ChangeMeeting(org_, Meeting(1).id, Operations::MeetingETag(Meeting(1)), patch);
  ASSERT_TRUE(moved.ok()) << moved.status().ToString();
  r = Apply(bobs, Reply("DECLINED", "bob@example.org", "20260427T103000", 0));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->recorded, 0);
  ASSERT_FALSE(r->ignored.empty());
  EXPECT_NE(r->ignored[0].find("SEQUENCE"), std::string::npos) << r->ignored[0];
  r = Apply(bobs, Reply("DECLINED", "bob@example.org", "20260427T103000", 1));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->recorded, 1);
  for (int i = 0; i < 3; ++i)
    for (const auto& a : Apologies(Meeting(i).id)) EXPECT_NE(a.member_id, ann_.id);
}

TEST_F(ApplyReplyTest, ForgedAndRevokedTokensAreUnknown) {
  std::string token = ReplyToken(ops_->link_key(), Meeting(1).id, bob_.id, 0);
  token[10] = token[10] == 'a' ? 'b' : 'a';
  EXPECT_EQ(CheckReplyToken(*ops_, token).code(), Code::kNotFound);
  EXPECT_EQ(Apply(token, Reply("DECLINED", "bob@example.org", "20260427T103000")).status().code(),
            Code::kNotFound);
  EXPECT_EQ(CheckReplyToken(*ops_, "nonsense").code(), Code::kNotFound);
  // A removed member's tokens stop working.
  const std::string anns = ReplyToken(ops_->link_key(), Meeting(1).id, ann_.id, 0);
  ASSERT_TRUE(CheckReplyToken(*ops_, anns).ok());
  ASSERT_TRUE(ops_->RemoveMember(org_, ann_.id).ok());
  EXPECT_EQ(CheckReplyToken(*ops_, anns).code(), Code::kNotFound);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(Apologies(Meeting(i).id).empty());
}

TEST_F(ApplyReplyTest, AWholeSeriesTokenFollowsTheRecurrenceIdOrTheWholeSeries) {
  const std::string token = ReplyToken(ops_->link_key(), 0, bob_.id, 0);
  ASSERT_TRUE(CheckReplyToken(*ops_, token).ok());
  auto r = Apply(token, Reply("DECLINED", "bob@example.org", "20260525T103000"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->recorded, 1);
  EXPECT_EQ(Apologies(Meeting(2).id).size(), 1u);
  r = Apply(token, Reply("DECLINED", "bob@example.org", ""));  // the master: every meeting
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->recorded, 2);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(Apologies(Meeting(i).id).size(), 1u) << i;
}

TEST_F(ApplyReplyTest, StartedAndCancelledMeetingsAreClosed) {
  const std::string token = ReplyToken(ops_->link_key(), Meeting(0).id, bob_.id, 0);
  clock_.Set(1774866600 + 3600);  // 30 March 2026 11:30 BST: the first meeting has started
  auto r = Apply(token, Reply("DECLINED", "bob@example.org", "20260330T103000"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->recorded, 0);
  EXPECT_TRUE(Apologies(Meeting(0).id).empty());
  MeetingPatch cancel;
  cancel.status = "cancelled";
  ASSERT_TRUE(
      ops_->ChangeMeeting(org_, Meeting(2).id, Operations::MeetingETag(Meeting(2)), cancel).ok());
  const std::string t2 = ReplyToken(ops_->link_key(), Meeting(2).id, bob_.id, 0);
  r = Apply(t2, Reply("DECLINED", "bob@example.org", "20260525T103000", 5));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->recorded, 0);
  EXPECT_TRUE(Apologies(Meeting(2).id).empty());
}

}  // namespace
}  // namespace convene::server
