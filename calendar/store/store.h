// The store: every SQL statement of the domain model, behind plain functions on a Tx.
//
// Each function does one query; transactions are the caller's (server/ops/ opens one per
// use case). Not-found reads return NotFound; writes that break a UNIQUE/FOREIGN KEY return
// kConflict (see db.h). Nothing here knows HTTP, mail or the clock: times are parameters.
// Threads: as for Tx (one thread per transaction).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "calendar/model.h"
#include "calendar/store/db.h"

namespace convene::calendar::store {

// ---- meta: the revision counter that invalidates every cached feed ----
struct Revision {
  int64_t number = 0;
  int64_t at = 0;  // monotonic: never moves backwards, even if the clock does
};
Result<Revision> GetRevision(Tx& tx);
// Increments the counter; `at` becomes max(at, now). Every write use case calls it once.
Status BumpRevision(Tx& tx, int64_t now);

// ---- server secrets (e.g. the key that signs apology links) ----
// The named secret, created from `fresh` (used only if none is stored yet) on first use.
Result<std::string> GetOrCreateSecret(Tx& tx, const std::string& name, const std::string& fresh);

// ---- organisers ----
Result<Organiser> EnsureOrganiser(Tx& tx, const std::string& email, const std::string& name,
                                  int64_t now);
Result<Organiser> GetOrganiser(Tx& tx, Id id);
Result<std::optional<Organiser>> FindOrganiserByEmail(Tx& tx, const std::string& email);
Status SetPasswordHash(Tx& tx, Id organiser_id, const std::string& hash);
Result<std::string> GetPasswordHash(Tx& tx, Id organiser_id);  // empty when none set

// ---- capability and API tokens (only the SHA-256 hex of the secret is stored) ----
struct TokenRow {
  std::string kind;
  Id organiser_id = 0;
  Id member_id = 0;
  Id meeting_id = 0;
  int64_t created_at = 0;
  int64_t expires_at = 0;  // 0: never
  int64_t revoked_at = 0;  // 0: live
};
Status InsertToken(Tx& tx, const std::string& hash, const TokenRow& row);
// The live (unrevoked, unexpired at `now`) token of that kind, or nullopt.
Result<std::optional<TokenRow>> FindToken(Tx& tx, const std::string& hash, const std::string& kind,
                                          int64_t now);
Status RevokeToken(Tx& tx, const std::string& hash, int64_t now);
// Revokes every live token of `kind` held by the member.
Status RevokeMemberTokens(Tx& tx, Id member_id, const std::string& kind, int64_t now);

// ---- organiser sessions and login throttling (sessions_sql.cc) ----
// Failures recorded under `key` at or after `since`.
Result<int> CountLoginFailures(Tx& tx, const std::string& key, int64_t since);
// Records one failure and prunes every row older than `prune_before`.
Status RecordLoginFailure(Tx& tx, const std::string& key, int64_t now, int64_t prune_before);
Status ClearLoginFailures(Tx& tx, const std::string& key);
// Ends every live session of the organiser (a new password).
Status RevokeOrganiserSessions(Tx& tx, Id organiser_id, int64_t now);
// Moves updated_at (never back) of every group with a meeting at the venue: their feeds show it.
// (groups_sql.cc)
Status TouchGroupsMeetingAt(Tx& tx, Id venue_id, int64_t now);
// Takes back one failure recorded under `key` at `at` (a login's reservation, when it succeeded).
Status ForgetLoginFailure(Tx& tx, const std::string& key, int64_t at);
// Password reset links (migration 5): stored by the SHA-256 of the emailed token.
Status InsertPasswordReset(Tx& tx, const std::string& hash, Id organiser_id, int64_t now,
                           int64_t expires_at);
// The organiser of an unused, unexpired reset link, or nullopt.
Result<std::optional<Id>> FindPasswordReset(Tx& tx, const std::string& hash, int64_t now);
// Marks every open reset link of the organiser used (after a reset, or before a new link).
Status EndPasswordResets(Tx& tx, Id organiser_id, int64_t now);
// Rises every time a token of `kind` is issued to the member or revoked (derived page links in
// notices are signed over it, so a new or revoked page link ends them too).
Result<int64_t> TokenEpoch(Tx& tx, Id member_id, const std::string& kind);
// The live tokens of `kind` held by the member (the feed links a member page offers to replace).
Result<int> CountMemberTokens(Tx& tx, Id member_id, const std::string& kind, int64_t now);

// ---- venues ----
Result<Venue> InsertVenue(Tx& tx, Venue v);
Result<Venue> GetVenue(Tx& tx, Id id);
Result<std::vector<Venue>> ListVenues(Tx& tx, Id owner_id);
// Writes every field, bumps version and updated_at.
Status UpdateVenue(Tx& tx, const Venue& v);

// ---- groups and members ----
Result<Group> InsertGroup(Tx& tx, Group g);
Result<Group> GetGroup(Tx& tx, Id id);
Result<Group> GetGroupBySlug(Tx& tx, const std::string& slug);
Result<std::vector<Group>> ListGroups(Tx& tx, Id organiser_id);
// Marks the group changed at `now` (never backwards): the group feed's Last-Modified.
Status TouchGroup(Tx& tx, Id group_id, int64_t now);
Status UpdateGroup(Tx& tx, const Group& g);

Result<Member> InsertMember(Tx& tx, Member m);
// Any member, also one who has left (check Member::left_at).
Result<Member> GetMember(Tx& tx, Id id);
// The group's current members (left_at unset), by name.
Result<std::vector<Member>> ListMembers(Tx& tx, Id group_id);
// Those the organiser removed, most recently removed first.
Result<std::vector<Member>> ListFormerMembers(Tx& tx, Id group_id);
// The members the group had at Unix time `at` (a meeting's start): current ones and those who
// left after it. (Joining is not dated: a member added later counts for earlier meetings too.)
Result<std::vector<Member>> ListMembersAt(Tx& tx, Id group_id, int64_t at);
// The group's membership row for `email` (any case), current or former, or nullopt.
Result<std::optional<Member>> FindMemberByEmail(Tx& tx, Id group_id, const std::string& email);
// Sets (removal) or clears (rejoining) left_at.
Status SetMemberLeft(Tx& tx, Id id, std::optional<int64_t> left_at);
// Every current membership of one person (same email, any case) across groups: the member feed.
Result<std::vector<Member>> ListMembersByEmail(Tx& tx, const std::string& email);
Status UpdateMember(Tx& tx, const Member& m);
Status DeleteMember(Tx& tx, Id id);

// ---- series and meetings ----
Result<Series> InsertSeries(Tx& tx, Series s);
Result<Series> GetSeries(Tx& tx, Id id);
Result<std::vector<Series>> ListSeries(Tx& tx, Id group_id);
Status UpdateSeries(Tx& tx, const Series& s);

Result<Meeting> InsertMeeting(Tx& tx, Meeting m);
Result<Meeting> GetMeeting(Tx& tx, Id id);
// Writes the mutable fields; sequence and updated_at never move backwards; bumps version.
Status UpdateMeeting(Tx& tx, const Meeting& m);
// Meetings of the group whose effective start date lies in [from, to] (either may be nullopt),
// ordered by start; only the first `limit` when it is set.
Result<std::vector<Meeting>> ListGroupMeetings(Tx& tx, Id group_id, std::optional<CivilDate> from,
                                               std::optional<CivilDate> to,
                                               std::optional<int> limit = std::nullopt);
Result<std::vector<Meeting>> ListSeriesMeetings(Tx& tx, Id series_id);
Result<std::vector<Meeting>> ListVenueMeetings(Tx& tx, Id venue_id, std::optional<CivilDate> from,
                                               std::optional<CivilDate> to);

// Scheduled meetings of every group whose start date lies in [from, to], by start.
Result<std::vector<Meeting>> ListScheduledBetween(Tx& tx, CivilDate from, CivilDate to);
// Marks the reminder of (meeting, member) queued (member 0: the organiser's digest); false when
// it already was (a reminder never goes twice).
Result<bool> MarkReminder(Tx& tx, Id meeting_id, Id member_id, int64_t now);

// ---- presenters, apologies, the register ----
Result<Presenter> InsertPresenter(Tx& tx, Presenter p);
Result<std::vector<Presenter>> ListPresenters(Tx& tx, Id meeting_id);
Result<Presenter> GetPresenter(Tx& tx, Id id);
Status DeletePresenter(Tx& tx, Id id);

// Inserts or leaves as is; returns true when a new row was written.
Result<bool> InsertApology(Tx& tx, const Apology& a);
// Returns true when a row was removed.
Result<bool> DeleteApology(Tx& tx, Id meeting_id, Id member_id);
Result<std::vector<Apology>> ListApologies(Tx& tx, Id meeting_id);

Status SetAttendance(Tx& tx, Id meeting_id, Id member_id, Attendance status, int64_t now);
// (member_id, present|absent) as marked on the day.
Result<std::vector<std::pair<Id, Attendance>>> ListAttendance(Tx& tx, Id meeting_id);
// Forgets the register entry (the member is then expected, or has apologies).
Status ClearAttendance(Tx& tx, Id meeting_id, Id member_id);

}  // namespace convene::calendar::store
