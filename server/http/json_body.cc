#include "server/http/json_body.h"

#include <cstring>

namespace convene::server {

Result<JsonBody> JsonBody::Parse(const std::string& body,
                                 std::initializer_list<const char*> allowed) {
  nlohmann::json j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return InvalidArgument("body", "the body is not valid JSON");
  if (!j.is_object()) return InvalidArgument("body", "the body must be a JSON object");
  for (auto it = j.begin(); it != j.end(); ++it) {
    bool known = false;
    for (const char* a : allowed) known = known || it.key() == a;
    if (!known) {
      std::string key = it.key().substr(0, 64);
      return InvalidArgument(key, "unknown field '" + key + "'");
    }
  }
  return JsonBody(std::move(j));
}

bool JsonBody::Has(const char* field) const { return j_.contains(field) && !j_[field].is_null(); }

bool JsonBody::IsNull(const char* field) const { return j_.contains(field) && j_[field].is_null(); }

Result<std::string> JsonBody::String(const char* field) const {
  if (!Has(field)) return InvalidArgument(Name(field), Name(field) + " is required");
  const auto& v = j_[field];
  if (!v.is_string()) return InvalidArgument(Name(field), Name(field) + " must be a string");
  return v.get<std::string>();
}

Result<std::optional<std::string>> JsonBody::OptString(const char* field) const {
  if (!Has(field)) return std::optional<std::string>();
  ASSIGN_OR_RETURN(std::string s, String(field));
  return std::optional<std::string>(std::move(s));
}

Result<int64_t> JsonBody::Int(const char* field, int64_t lo, int64_t hi) const {
  if (!Has(field)) return InvalidArgument(Name(field), Name(field) + " is required");
  const auto& v = j_[field];
  const std::string range =
      " must be a whole number from " + std::to_string(lo) + " to " + std::to_string(hi);
  if (!v.is_number_integer()) return InvalidArgument(Name(field), Name(field) + range);
  int64_t n = v.is_number_unsigned() && v.get<uint64_t>() > INT64_MAX ? hi + 1 : v.get<int64_t>();
  if (n < lo || n > hi) return InvalidArgument(Name(field), Name(field) + range);
  return n;
}

Result<std::optional<int64_t>> JsonBody::OptInt(const char* field, int64_t lo, int64_t hi) const {
  if (!Has(field)) return std::optional<int64_t>();
  ASSIGN_OR_RETURN(int64_t n, Int(field, lo, hi));
  return std::optional<int64_t>(n);
}

Result<std::optional<bool>> JsonBody::OptBool(const char* field) const {
  if (!Has(field)) return std::optional<bool>();
  const auto& v = j_[field];
  if (!v.is_boolean()) return InvalidArgument(Name(field), Name(field) + " must be true or false");
  return std::optional<bool>(v.get<bool>());
}

Result<std::optional<std::vector<std::string>>> JsonBody::OptStringList(const char* field,
                                                                        size_t max_items) const {
  if (!Has(field)) return std::optional<std::vector<std::string>>();
  const auto& v = j_[field];
  if (!v.is_array())
    return InvalidArgument(Name(field), Name(field) + " must be a list of strings");
  if (v.size() > max_items)
    return InvalidArgument(
        Name(field), Name(field) + " may have at most " + std::to_string(max_items) + " items");
  std::vector<std::string> out;
  for (const auto& e : v) {
    if (!e.is_string())
      return InvalidArgument(Name(field), Name(field) + " must be a list of strings");
    out.push_back(e.get<std::string>());
  }
  return std::optional<std::vector<std::string>>(std::move(out));
}

std::string JsonBody::Name(const char* field) const { return prefix_ + field; }

Result<std::optional<JsonBody>> JsonBody::OptObject(
    const char* field, std::initializer_list<const char*> allowed) const {
  if (!Has(field)) return std::optional<JsonBody>();
  const auto& v = j_[field];
  if (!v.is_object()) return InvalidArgument(Name(field), Name(field) + " must be an object");
  for (auto it = v.begin(); it != v.end(); ++it) {
    bool known = false;
    for (const char* a : allowed) known = known || it.key() == a;
    if (!known) {
      const std::string key = Name(field) + "." + it.key().substr(0, 64);
      return InvalidArgument(key, "unknown field '" + key + "'");
    }
  }
  JsonBody inner(v);
  inner.prefix_ = Name(field) + ".";
  return std::optional<JsonBody>(std::move(inner));
}

}  // namespace convene::server
