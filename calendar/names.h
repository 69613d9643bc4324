// People's names in the order lists of people take: by surname, as minutes list those present.
// The members page and the minutes share it, so the two lists read in the same order.
//
// Pure functions of their arguments; thread-safe.
#pragma once

#include <string>

namespace convene::calendar {

// The surname of a full name: its last word ("Jacky Scobell" -> "Scobell"); the whole name when
// it is one word.
std::string Surname(const std::string& name);
// True when `a` comes before `b`: by surname, then by the whole name, ASCII letters compared
// without case ("de Souza" sorts with "Souza" under S).
bool BySurname(const std::string& a, const std::string& b);

}  // namespace convene::calendar
