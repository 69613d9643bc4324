#include "calendar/names.h"

#include <cctype>
#include <utility>

namespace convene::calendar {
namespace {

std::string Upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

std::string Surname(const std::string& name) {
  const size_t end = name.find_last_not_of(' ');
  if (end == std::string::npos) return name;
  const size_t sp = name.find_last_of(' ', end);
  return sp == std::string::npos ? name.substr(0, end + 1) : name.substr(sp + 1, end - sp);
}

bool BySurname(const std::string& a, const std::string& b) {
  return std::pair(Upper(Surname(a)), Upper(a)) < std::pair(Upper(Surname(b)), Upper(b));
}

}  // namespace convene::calendar
