#include "calendar/store/store.h"

namespace convene::calendar::store {
namespace {

constexpr const char* kCols =
    "SELECT id, owner_id, name, address, postcode, capacity, notes, version, updated_at FROM "
    "venues";

Venue Row(const Stmt& s) {
  Venue v;
  v.id = s.Int(0);
  v.owner_id = s.Int(1);
  v.name = s.Text(2);
  v.address = s.Text(3);
  v.postcode = s.Text(4);
  v.capacity = s.OptInt(5);
  v.notes = s.Text(6);
  v.version = s.Int(7);
  v.updated_at = s.Int(8);
  return v;
}

}  // namespace

Result<Venue> InsertVenue(Tx& tx, Venue v) {
  Stmt s = tx.Prepare(
      "INSERT INTO venues(owner_id, name, address, postcode, capacity, notes, version, updated_at)"
      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, 1, ?7)");
  s.BindAll(v.owner_id, v.name, v.address, v.postcode, v.capacity, v.notes, v.updated_at);
  RETURN_IF_ERROR(s.Run());
  v.id = tx.LastInsertId();
  v.version = 1;
  return v;
}

Result<Venue> GetVenue(Tx& tx, Id id) {
  Stmt s = tx.Prepare((std::string(kCols) + " WHERE id=?1").c_str());
  s.BindAll(id);
  if (!s.Step()) return s.status().ok() ? NotFound("no such venue") : s.status();
  return Row(s);
}

Result<std::vector<Venue>> ListVenues(Tx& tx, Id owner_id) {
  Stmt s = tx.Prepare((std::string(kCols) + " WHERE owner_id=?1 ORDER BY name, id").c_str());
  s.BindAll(owner_id);
  std::vector<Venue> out;
  while (s.Step()) out.push_back(Row(s));
  RETURN_IF_ERROR(s.status());
  return out;
}

Status UpdateVenue(Tx& tx, const Venue& v) {
  Stmt s = tx.Prepare(
      "UPDATE venues SET name=?2, address=?3, postcode=?4, capacity=?5, notes=?6,"
      " version=version+1, updated_at=max(updated_at, ?7) WHERE id=?1");
  s.BindAll(v.id, v.name, v.address, v.postcode, v.capacity, v.notes, v.updated_at);
  return s.Run();
}

}  // namespace convene::calendar::store
