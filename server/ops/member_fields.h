// What adding members one by one (ops/groups.cc: AddMember, UpdateMember) and from a file
// (ops/desk.cc: ImportMembers) share, so the two check and write a member the same way.
// Internal to server/ops/ (handlers never include it). Both run inside the caller's transaction.
#pragma once

#include <cstdint>

#include "calendar/model.h"
#include "calendar/status.h"
#include "calendar/store/db.h"
#include "server/ops/operations.h"

namespace convene::server {

// Applies the fields present in `in` to `m`, each cleaned and checked (CleanText, CleanEmail,
// role member|chair|organiser, delivery feed|invitations); with `create`, name and email are
// required. The first bad field is the error, naming it. (ops/groups.cc)
Status ApplyMemberFields(const MemberPatch& in, calendar::Member* m, bool create);

// Writes `m` (checked, with group_id and created_at set) as a member of its group: a former
// member with the same email (any case) comes back in their own row, else a new row; issues the
// feed and page links (returned, shown once). The caller has checked that no current member has
// the email, and then touches the group, bumps the revision and calls the member hook (the
// welcome notice). (ops/groups.cc)
Result<MemberCreated> AdmitMember(calendar::store::Tx& tx, calendar::Member m, int64_t now,
                                  const RandomSource& random);

}  // namespace convene::server
