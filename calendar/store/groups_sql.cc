// Groups and their members.
#include "calendar/store/store.h"

namespace convene::calendar::store {
namespace {

constexpr const char* kGroupCols =
    "SELECT id, organiser_id, slug, name, timezone, quorum, public, created_at, updated_at,"
    " bank_holiday_region, reminder_days FROM groups";

Group GroupRow(const Stmt& s) {
  Group g;
  g.id = s.Int(0);
  g.organiser_id = s.Int(1);
  g.slug = s.Text(2);
  g.name = s.Text(3);
  g.timezone = s.Text(4);
  g.quorum = s.OptInt(5);
  g.is_public = s.Int(6) != 0;
  g.created_at = s.Int(7);
  g.updated_at = s.Int(8);
  g.bank_holiday_region = s.Text(9);
  g.reminder_days = s.OptInt(10);
  return g;
}

constexpr const char* kMemberCols =
    "SELECT id, group_id, name, email, organisation, role, delivery, unsubscribed, created_at,"
    " links_version, left_at FROM members";

Member MemberRow(const Stmt& s) {
  Member m;
  m.id = s.Int(0);
  m.group_id = s.Int(1);
  m.name = s.Text(2);
  m.email = s.Text(3);
  m.organisation = s.Text(4);
  const std::string role = s.Text(5);
  m.role = role == "chair" ? Role::kChair : role == "organiser" ? Role::kOrganiser : Role::kMember;
  m.delivery = s.Text(6) == "invitations" ? Delivery::kInvitations : Delivery::kFeed;
  m.unsubscribed = s.Int(7) != 0;
  m.created_at = s.Int(8);
  m.links_version = s.Int(9);
  m.left_at = s.OptInt64(10);
  return m;
}

}  // namespace

Result<Group> InsertGroup(Tx& tx, Group g) {
  Stmt s = tx.Prepare(
      "INSERT INTO groups(organiser_id, slug, name, timezone, quorum, public, created_at, "
      "updated_at, bank_holiday_region, reminder_days)"
      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7, ?8, ?9)");
  s.BindAll(g.organiser_id, g.slug, g.name, g.timezone, g.quorum, g.is_public ? 1 : 0, g.created_at,
            g.bank_holiday_region, g.reminder_days);
  RETURN_IF_ERROR(s.Run());
  g.id = tx.LastInsertId();
  g.updated_at = g.created_at;
  return g;
}

Result<Group> GetGroup(Tx& tx, Id id) {
  Stmt s = tx.Prepare((std::string(kGroupCols) + " WHERE id=?1").c_str());
  s.BindAll(id);
  if (!s.Step()) return s.status().ok() ? NotFound("no such group") : s.status();
  return GroupRow(s);
}

Result<Group> GetGroupBySlug(Tx& tx, const std::string& slug) {
  Stmt s = tx.Prepare((std::string(kGroupCols) + " WHERE slug=?1").c_str());
  s.BindAll(slug);
  if (!s.Step()) return s.status().ok() ? NotFound("no such group") : s.status();
  return GroupRow(s);
}

Result<std::vector<Group>> ListGroups(Tx& tx, Id organiser_id) {
  Stmt s = tx.Prepare((std::string(kGroupCols) + " WHERE organiser_id=?1 ORDER BY name").c_str());
  s.BindAll(organiser_id);
  std::vector<Group> out;
  while (s.Step()) out.push_back(GroupRow(s));
  RETURN_IF_ERROR(s.status());
  return out;
}

Status TouchGroup(Tx& tx, Id group_id, int64_t now) {
  return tx.Prepare("UPDATE groups SET updated_at=max(updated_at, ?2) WHERE id=?1")
      .BindAll(group_id, now)
      .Run();
}

Status UpdateGroup(Tx& tx, const Group& g) {
  Stmt s = tx.Prepare(
      "UPDATE groups SET name=?2, timezone=?3, quorum=?4, public=?5,"
      " updated_at=max(updated_at, ?6), bank_holiday_region=?7, reminder_days=?8 WHERE id=?1");
  s.BindAll(g.id, g.name, g.timezone, g.quorum, g.is_public ? 1 : 0, g.updated_at,
            g.bank_holiday_region, g.reminder_days);
  return s.Run();
}

Result<Member> InsertMember(Tx& tx, Member m) {
  Stmt s = tx.Prepare(
      "INSERT INTO members(group_id, name, email, organisation, role, delivery, unsubscribed,"
      " created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
  s.BindAll(m.group_id, m.name, m.email, m.organisation, RoleName(m.role), DeliveryName(m.delivery),
            m.unsubscribed ? 1 : 0, m.created_at);
  RETURN_IF_ERROR(s.Run());
  m.id = tx.LastInsertId();
  return m;
}

// Every member row that `where` (after the column list) selects, with `args` bound to ?1, ?2...
template <typename... Args>
Result<std::vector<Member>> SelectMembers(Tx& tx, const std::string& where, const Args&... args) {
  Stmt s = tx.Prepare((kMemberCols + where).c_str());
  s.BindAll(args...);
  std::vector<Member> out;
  while (s.Step()) out.push_back(MemberRow(s));
  RETURN_IF_ERROR(s.status());
  return out;
}

Result<Member> GetMember(Tx& tx, Id id) {
  Stmt s = tx.Prepare((std::string(kMemberCols) + " WHERE id=?1").c_str());
  s.BindAll(id);
  if (!s.Step()) return s.status().ok() ? NotFound("no such member") : s.status();
  return MemberRow(s);
}

Result<std::vector<Member>> ListMembers(Tx& tx, Id group_id) {
  return SelectMembers(tx, " WHERE group_id=?1 AND left_at IS NULL ORDER BY lower(name), id",
                       group_id);
}

Result<std::vector<Member>> ListFormerMembers(Tx& tx, Id group_id) {
  return SelectMembers(tx, " WHERE group_id=?1 AND left_at IS NOT NULL ORDER BY left_at DESC, id",
                       group_id);
}

Result<std::vector<Member>> ListMembersAt(Tx& tx, Id group_id, int64_t at) {
  return SelectMembers(tx,
                       " WHERE group_id=?1 AND (left_at IS NULL OR left_at > ?2)"
                       " ORDER BY lower(name), id",
                       group_id, at);
}

Result<std::optional<Member>> FindMemberByEmail(Tx& tx, Id group_id, const std::string& email) {
  Stmt s =
      tx.Prepare((std::string(kMemberCols) + " WHERE group_id=?1 AND email=?2 LIMIT 1").c_str());
  s.BindAll(group_id, email);
  if (!s.Step()) {
    RETURN_IF_ERROR(s.status());
    return std::optional<Member>();
  }
  return std::optional<Member>(MemberRow(s));
}

Status SetMemberLeft(Tx& tx, Id id, std::optional<int64_t> left_at) {
  return tx.Prepare("UPDATE members SET left_at=?2 WHERE id=?1").BindAll(id, left_at).Run();
}

Result<std::vector<Member>> ListMembersByEmail(Tx& tx, const std::string& email) {
  // members.email is COLLATE NOCASE, so this matches as the UNIQUE(group_id, email) does.
  return SelectMembers(tx, " WHERE email=?1 AND left_at IS NULL ORDER BY group_id, id", email);
}

Status UpdateMember(Tx& tx, const Member& m) {
  Stmt s = tx.Prepare(
      "UPDATE members SET name=?2, email=?3, organisation=?4, role=?5, delivery=?6,"
      " unsubscribed=?7, links_version=?8 WHERE id=?1");
  s.BindAll(m.id, m.name, m.email, m.organisation, RoleName(m.role), DeliveryName(m.delivery),
            m.unsubscribed ? 1 : 0, m.links_version);
  return s.Run();
}

Status DeleteMember(Tx& tx, Id id) {
  return tx.Prepare("DELETE FROM members WHERE id=?1").BindAll(id).Run();
}

Status TouchGroupsMeetingAt(Tx& tx, Id venue_id, int64_t now) {
  return tx
      .Prepare(
          "UPDATE groups SET updated_at=max(updated_at, ?2) WHERE id IN"
          " (SELECT DISTINCT group_id FROM meetings WHERE venue_id=?1)")
      .BindAll(venue_id, now)
      .Run();
}

}  // namespace convene::calendar::store
