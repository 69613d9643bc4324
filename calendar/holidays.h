// UK bank holidays by region, as gov.uk lists them.
//
// Pure date arithmetic (no I/O, no tables to load, thread-safe): the fixed rules since 1978 for
// England and Wales, Scotland and Northern Ireland, the substitute days for fixed-date holidays
// that fall at a weekend, and the one-off changes announced so far (1981, 1995, 1999, 2002,
// 2011, 2012, 2020, 2022, 2023). Names are gov.uk's, with ASCII apostrophes.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "calendar/civil.h"

namespace convene::calendar {

enum class HolidayRegion { kEnglandAndWales, kScotland, kNorthernIreland };

// "england-and-wales" | "scotland" | "northern-ireland" (gov.uk's division names).
const char* HolidayRegionName(HolidayRegion r);
// The inverse of HolidayRegionName: exact, case-sensitive, no surrounding spaces.
std::optional<HolidayRegion> ParseHolidayRegion(std::string_view s);

// The name of the bank holiday on `d` in `region` as gov.uk lists it ("Easter Monday",
// "Christmas Day (substitute day)", "St Andrew's Day", ...), if it is one. Years 1978..2100;
// nullopt outside them.
std::optional<std::string> BankHoliday(HolidayRegion region, const CivilDate& d);

// Every bank holiday of the region in year y, ascending (for month views and tests); empty
// outside 1978..2100.
std::vector<std::pair<CivilDate, std::string>> BankHolidays(HolidayRegion region, int y);

}  // namespace convene::calendar
