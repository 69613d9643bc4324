// The organiser's desk: members imported from a CSV file (all or nothing), and each member's
// attendance over a period (the yearly page and attendance.csv).
#include <algorithm>
#include <map>
#include <set>

#include "calendar/csv.h"
#include "calendar/store/store.h"
#include "server/ops/common.h"
#include "server/ops/member_fields.h"
#include "server/ops/operations.h"

namespace convene::server {

using namespace calendar;  // NOLINT: the domain vocabulary
namespace st = calendar::store;

namespace {

// The columns of an import, in the order the documentation gives them.
enum Column { kName, kEmail, kOrganisation, kRole, kDelivery, kColumnCount };
constexpr const char* kColumnNames[kColumnCount] = {"name", "email", "organisation", "role",
                                                    "delivery"};
constexpr const char* kHeaderHelp =
    "the first row names the columns: name,email,organisation,role,delivery";

std::string Trim(std::string_view s) {
  const size_t b = s.find_first_not_of(" \t");
  if (b == std::string_view::npos) return {};
  return std::string(s.substr(b, s.find_last_not_of(" \t") - b + 1));
}

// A header cell as the error names it: at most 40 bytes, cut at a character boundary.
std::string Shown(const std::string& s) {
  size_t n = std::min<size_t>(s.size(), 40);
  while (n < s.size() && n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return s.substr(0, n);
}

// The column of each header cell (-1: a cell with no name, whose column is ignored); the
// header's problems go to `errors`.
std::vector<int> ReadHeader(const CsvRecord& header, std::vector<CsvIssue>* errors) {
  std::vector<int> columns;
  bool seen[kColumnCount] = {};
  for (const std::string& cell : header.cells) {
    const std::string name = LowerAscii(Trim(cell));
    int column = -1;
    for (int c = 0; c < kColumnCount; ++c)
      if (name == kColumnNames[c]) column = c;
    if (column < 0 && !name.empty()) {
      errors->push_back({1, Shown(name),
                         "unknown column \"" + Shown(name) + "\": " + kHeaderHelp +
                             " (organisation, role and delivery may be left out)"});
    } else if (column >= 0 && seen[column]) {
      errors->push_back({1, name, "the column \"" + name + "\" is named twice"});
      column = -1;
    } else if (column >= 0) {
      seen[column] = true;
    }
    columns.push_back(column);
  }
  if (!header.error.empty()) errors->push_back({1, "", header.error});
  for (int c : {kName, kEmail})
    if (!seen[c])
      errors->push_back(
          {1, kColumnNames[c],
           std::string("the file has no \"") + kColumnNames[c] + "\" column: " + kHeaderHelp});
  return columns;
}

// The cells of one row as typed, by column. Role and delivery are compared in lower case, and
// spaces around an email, role or delivery (a spreadsheet's stray ones) are dropped; names and
// organisations are trimmed by CleanText itself.
MemberPatch CellsOf(const CsvRecord& rec, const std::vector<int>& columns) {
  MemberPatch p;
  p.name = "";
  p.email = "";
  for (size_t i = 0; i < columns.size(); ++i) {
    const std::string cell = i < rec.cells.size() ? rec.cells[i] : "";
    switch (columns[i]) {
      case kName:
        p.name = cell;
        break;
      case kEmail:
        p.email = Trim(cell);
        break;
      case kOrganisation:
        p.organisation = cell;
        break;
      case kRole:
        p.role = LowerAscii(Trim(cell));
        break;
      case kDelivery:
        p.delivery = LowerAscii(Trim(cell));
        break;
      default:
        break;
    }
  }
  return p;
}

// The patch a row applies: an empty role or delivery leaves it as it is (a new member: member,
// feed); an empty organisation clears it.
MemberPatch Applied(MemberPatch p) {
  if (p.role && p.role->empty()) p.role.reset();
  if (p.delivery && p.delivery->empty()) p.delivery.reset();
  return p;
}

// Every problem of the row's cells: each field is checked on its own by the rules of adding a
// member (ApplyMemberFields), so the organiser sees them all at once.
void CheckCells(int line, const MemberPatch& applied, std::vector<CsvIssue>* out) {
  const auto check = [&](const MemberPatch& one) {
    Member scratch;
    Status st = ApplyMemberFields(one, &scratch, false);
    if (!st.ok()) out->push_back({line, st.field(), st.message()});
  };
  MemberPatch one;
  one.name = applied.name;
  check(one);
  one = {};
  one.email = applied.email;
  check(one);
  if (applied.organisation) {
    one = {};
    one.organisation = applied.organisation;
    check(one);
  }
  if (applied.role) {
    one = {};
    one.role = applied.role;
    check(one);
  }
  if (applied.delivery) {
    one = {};
    one.delivery = applied.delivery;
    check(one);
  }
}

// The fields that differ between a member and the same member after a row.
std::vector<std::string> Differences(const Member& a, const Member& b) {
  std::vector<std::string> out;
  if (a.name != b.name) out.push_back("name");
  if (a.organisation != b.organisation) out.push_back("organisation");
  if (a.role != b.role) out.push_back("role");
  if (a.delivery != b.delivery) out.push_back("delivery");
  return out;
}

}  // namespace

Result<MemberImport> Operations::ImportMembers(Id organiser, const std::string& slug,
                                               const std::string& csv, bool dry_run) {
  const int64_t now = clock_();
  ASSIGN_OR_RETURN(st::Tx tx, dry_run ? db_.Read() : db_.Write());
  ASSIGN_OR_RETURN(Group g, OwnedGroup(tx, organiser, slug));
  MemberImport out;
  if (csv.starts_with("\xFF\xFE") || csv.starts_with("\xFE\xFF")) {
    out.errors.push_back(
        {1, "", "the file is UTF-16 text: save it as \"CSV UTF-8\" and try again"});
    return out;
  }
  const std::vector<CsvRecord> records = ReadCsv(csv);
  if (records.empty()) {
    out.errors.push_back({1, "", std::string("the file is empty: ") + kHeaderHelp});
    return out;
  }
  const std::vector<int> columns = ReadHeader(records.front(), &out.errors);
  if (!out.errors.empty()) return out;  // without a header, no row can be read

  // The group's members, current and former, by email in lower case.
  std::map<std::string, Member> current, former;
  ASSIGN_OR_RETURN(auto listed, st::ListMembers(tx, g.id));
  for (Member& m : listed) current.emplace(LowerAscii(m.email), std::move(m));
  ASSIGN_OR_RETURN(auto left, st::ListFormerMembers(tx, g.id));
  for (Member& m : left) former.emplace(LowerAscii(m.email), std::move(m));

  struct Planned {
    Member member;  // as it will be written
    bool add = false;
    std::optional<Member> before;  // an update: the member as they were
  };
  std::vector<Planned> plan;
  std::map<std::string, int> first_line;  // email in lower case -> the line it first came on
  int rows = 0;
  for (size_t r = 1; r < records.size(); ++r) {
    const CsvRecord& rec = records[r];
    const bool blank =
        rec.error.empty() && std::all_of(rec.cells.begin(), rec.cells.end(),
                                         [](const std::string& c) { return Trim(c).empty(); });
    if (blank) continue;
    if (++rows > kMaxImportRows) {
      out.errors.push_back({rec.line, "",
                            "at most " + std::to_string(kMaxImportRows) +
                                " members in one file: split it and import each part"});
      break;
    }
    ImportLine line;
    line.line = rec.line;
    line.cells = CellsOf(rec, columns);
    if (!rec.error.empty()) {
      const bool named = rec.error_cell < columns.size() && columns[rec.error_cell] >= 0;
      line.errors.push_back(
          {rec.line, named ? kColumnNames[columns[rec.error_cell]] : "", rec.error});
    }
    for (size_t i = 0; i < rec.cells.size(); ++i) {
      if ((i >= columns.size() || columns[i] < 0) && !Trim(rec.cells[i]).empty()) {
        line.errors.push_back({rec.line, "",
                               i >= columns.size()
                                   ? "the row has " + std::to_string(rec.cells.size()) +
                                         " cells and the header " + std::to_string(columns.size()) +
                                         ": a cell holding a comma must be in double quotes"
                                   : "a value in a column the header gives no name"});
        break;
      }
    }
    const MemberPatch applied = Applied(line.cells);
    CheckCells(rec.line, applied, &line.errors);
    std::string key;  // the email in lower case, when it is one
    if (auto email = CleanEmail(*applied.email, "email"); email.ok()) {
      key = LowerAscii(*email);
      if (auto [it, fresh] = first_line.emplace(key, rec.line); !fresh)
        line.errors.push_back(
            {rec.line, "email",
             *email + " is also on line " + std::to_string(it->second) + ": each member once"});
    }
    if (line.errors.empty()) {
      Member m;
      RETURN_IF_ERROR(ApplyMemberFields(applied, &m, true));  // checked above: cannot fail
      if (auto found = current.find(key); found != current.end()) {
        MemberPatch change = applied;
        change.email.reset();  // matched by it: the stored address is kept
        Member after = found->second;
        RETURN_IF_ERROR(ApplyMemberFields(change, &after, false));
        line.changed = Differences(found->second, after);
        line.action = line.changed.empty() ? "unchanged" : "updated";
        if (!line.changed.empty()) plan.push_back({after, false, found->second});
      } else {
        line.action = "added";
        line.returning = former.count(key) > 0;
        m.group_id = g.id;
        m.created_at = now;
        plan.push_back({m, true, std::nullopt});
      }
    }
    if (!line.errors.empty()) {
      line.action = "invalid";
      out.errors.insert(out.errors.end(), line.errors.begin(), line.errors.end());
    } else if (line.action == "added") {
      ++out.added;
    } else if (line.action == "updated") {
      ++out.updated;
    } else {
      ++out.unchanged;
    }
    out.lines.push_back(std::move(line));
  }
  if (!out.errors.empty() || dry_run) return out;

  std::vector<MemberCreated> created;
  for (const Planned& p : plan) {
    if (p.add) {
      ASSIGN_OR_RETURN(MemberCreated c, AdmitMember(tx, p.member, now, random_));
      created.push_back(std::move(c));
    } else {
      RETURN_IF_ERROR(st::UpdateMember(tx, p.member));
    }
  }
  if (!plan.empty()) {
    RETURN_IF_ERROR(st::TouchGroup(tx, g.id, now));
    RETURN_IF_ERROR(st::BumpRevision(tx, now));
  }
  if (member_hook_)
    for (const MemberCreated& c : created) RETURN_IF_ERROR(member_hook_(tx, g, c, now));
  if (delivery_hook_) {
    for (const MemberCreated& c : created)
      RETURN_IF_ERROR(delivery_hook_(tx, g, std::nullopt, c.member, now));
    for (const Planned& p : plan)
      if (!p.add) RETURN_IF_ERROR(delivery_hook_(tx, g, p.before, p.member, now));
  }
  RETURN_IF_ERROR(Commit(tx));
  out.stored = true;
  return out;
}

Result<GroupAttendanceView> Operations::GroupAttendance(Id organiser, const std::string& slug,
                                                        const std::string& from,
                                                        const std::string& to) {
  GroupAttendanceView out;
  ASSIGN_OR_RETURN(out.from, OptDate(from, "from"));
  ASSIGN_OR_RETURN(out.to, OptDate(to, "to"));
  if (out.from && out.to && *out.to < *out.from)
    return InvalidArgument("to", "to must be the same day as from or later");
  const int64_t now = clock_();
  ASSIGN_OR_RETURN(st::Tx tx, db_.Read());
  ASSIGN_OR_RETURN(out.group, OwnedGroup(tx, organiser, slug));
  const Group& g = out.group;
  std::map<Id, MemberAttendance> rows;
  ASSIGN_OR_RETURN(auto current, st::ListMembers(tx, g.id));
  ASSIGN_OR_RETURN(auto former, st::ListFormerMembers(tx, g.id));
  for (const auto* list : {&current, &former})
    for (const Member& m : *list) rows[m.id].member = m;
  ASSIGN_OR_RETURN(auto meetings, st::ListGroupMeetings(tx, g.id, out.from, out.to));
  for (const Meeting& m : meetings) {
    if (m.status != MeetingStatus::kScheduled) continue;
    ASSIGN_OR_RETURN(int64_t start, ToUnix(g.timezone, m.start));
    if (start > now) continue;  // not held yet
    ++out.meetings;
    ASSIGN_OR_RETURN(auto members, st::ListMembersAt(tx, g.id, start));
    ASSIGN_OR_RETURN(auto apologies, st::ListApologies(tx, m.id));
    ASSIGN_OR_RETURN(auto marked, st::ListAttendance(tx, m.id));
    std::set<Id> sent;
    for (const Apology& a : apologies) sent.insert(a.member_id);
    const std::map<Id, calendar::Attendance> on_the_day(marked.begin(), marked.end());
    for (const Member& mem : members) {
      MemberAttendance& row = rows[mem.id];
      if (row.member.id == 0) row.member = mem;
      ++row.meetings;
      // The register on the day wins over apologies sent before it.
      if (auto it = on_the_day.find(mem.id); it != on_the_day.end()) {
        if (it->second == calendar::Attendance::kPresent) ++row.present;
        if (it->second == calendar::Attendance::kAbsent) ++row.absent;
      } else if (sent.count(mem.id)) {
        ++row.apologies;
      }
    }
  }
  for (auto& [id, row] : rows)
    if (!row.member.left_at || row.meetings > 0) out.members.push_back(std::move(row));
  std::sort(out.members.begin(), out.members.end(),
            [](const MemberAttendance& a, const MemberAttendance& b) {
              const std::string x = LowerAscii(a.member.name), y = LowerAscii(b.member.name);
              return x != y ? x < y : a.member.id < b.member.id;
            });
  return out;
}

}  // namespace convene::server
