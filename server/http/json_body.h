// Reading request bodies: strict JSON objects, one typed accessor per field.
//
// Unknown fields are rejected (400 naming the field), so a typo such as "venueid" never passes
// silently. Every error names the field and says what it must be. Not thread-safe per instance.
#pragma once

#include <initializer_list>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "calendar/status.h"

namespace convene::server {

class JsonBody {
 public:
  // Parses `body` as a JSON object whose keys are all in `allowed`.
  static Result<JsonBody> Parse(const std::string& body,
                                std::initializer_list<const char*> allowed);

  bool Has(const char* field) const;     // present and not null
  bool IsNull(const char* field) const;  // present as null (a PATCH clearing an optional field)
  // Strings are returned raw; callers clean them with calendar::CleanText/CleanEmail.
  Result<std::string> String(const char* field) const;  // required
  Result<std::optional<std::string>> OptString(const char* field) const;
  Result<std::optional<int64_t>> OptInt(const char* field, int64_t lo, int64_t hi) const;
  Result<int64_t> Int(const char* field, int64_t lo, int64_t hi) const;
  Result<std::optional<bool>> OptBool(const char* field) const;
  Result<std::optional<std::vector<std::string>>> OptStringList(const char* field,
                                                                size_t max_items) const;
  // A nested object whose keys are all in `allowed`; its errors name "field.key".
  Result<std::optional<JsonBody>> OptObject(const char* field,
                                            std::initializer_list<const char*> allowed) const;

 private:
  explicit JsonBody(nlohmann::json j) : j_(std::move(j)) {}
  std::string Name(const char* field) const;  // prefix_ + field
  nlohmann::json j_;
  std::string prefix_;  // "pattern." inside a nested object
};

}  // namespace convene::server
