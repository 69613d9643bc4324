#include "calendar/holidays.h"

#include <algorithm>

namespace convene::calendar {

namespace {

constexpr int kFirstYear = 1978;  // the Early May bank holiday began in 1978
constexpr int kLastYear = 2100;

CivilDate EasterSunday(int y) {
  // Anonymous Gregorian algorithm (Meeus/Jones/Butcher).
  int a = y % 19, b = y / 100, c = y % 100, d = b / 4, e = b % 4, f = (b + 8) / 25;
  int g = (b - f + 1) / 3, h = (19 * a + b - d - g + 15) % 30, i = c / 4, k = c % 4;
  int l = (32 + 2 * e + 2 * i - h - k) % 7, m = (a + 11 * h + 22 * l) / 451;
  int month = (h + l - 7 * m + 114) / 31, day = ((h + l - 7 * m + 114) % 31) + 1;
  return CivilDate{y, month, day};
}

// The n-th (1-based) weekday `wd` (0=Monday) of a month; n = -1 for the last.
CivilDate NthWeekday(int y, int month, int wd, int n) {
  if (n > 0) {
    CivilDate first{y, month, 1};
    int shift = (wd - Weekday(first) + 7) % 7;
    return AddDays(first, shift + 7 * (n - 1));
  }
  CivilDate last{y, month, DaysInMonth(y, month)};
  return AddDays(last, -((Weekday(last) - wd + 7) % 7));
}

bool IsWeekend(const CivilDate& d) { return Weekday(d) >= 5; }

enum Regions : unsigned { kEW = 1, kSC = 2, kNI = 4, kAll = kEW | kSC | kNI };

unsigned Bit(HolidayRegion r) {
  switch (r) {
    case HolidayRegion::kEnglandAndWales:
      return kEW;
    case HolidayRegion::kScotland:
      return kSC;
    case HolidayRegion::kNorthernIreland:
      return kNI;
  }
  return 0;
}

// Extra days proclaimed once, in the regions they applied to.
struct OneOff {
  CivilDate date;
  unsigned regions;
  const char* name;
};
constexpr OneOff kOneOffs[] = {
    {{1981, 7, 29}, kAll, "Royal Wedding"},
    {{1999, 12, 31}, kAll, "Millennium Eve"},
    {{2002, 6, 3}, kAll, "Queen's Golden Jubilee"},
    {{2011, 4, 29}, kAll, "Royal Wedding"},
    {{2012, 6, 5}, kAll, "Queen's Diamond Jubilee"},
    {{2022, 6, 3}, kAll, "Platinum Jubilee bank holiday"},
    {{2022, 9, 19}, kAll, "Bank Holiday for the State Funeral of Queen Elizabeth II"},
    {{2023, 5, 8}, kAll, "Bank holiday for the coronation of King Charles III"},
};

// Holidays on a fixed day of the year: when that day is a Saturday or Sunday (or already a
// holiday), the holiday moves to the next weekday that is not.
struct Fixed {
  int month;
  int day;
  unsigned regions;
  int since;
  const char* name;
};
constexpr Fixed kFixed[] = {
    {1, 1, kAll, kFirstYear, "New Year's Day"},
    {1, 2, kSC, kFirstYear, "2nd January"},
    {3, 17, kNI, kFirstYear, "St Patrick's Day"},
    {7, 12, kNI, kFirstYear, "Battle of the Boyne (Orangemen's Day)"},
    {11, 30, kSC, 2007, "St Andrew's Day"},  // St Andrew's Day Bank Holiday (Scotland) Act 2007
    {12, 25, kAll, kFirstYear, "Christmas Day"},
    {12, 26, kAll, kFirstYear, "Boxing Day"},
};

}  // namespace

const char* HolidayRegionName(HolidayRegion r) {
  switch (r) {
    case HolidayRegion::kEnglandAndWales:
      return "england-and-wales";
    case HolidayRegion::kScotland:
      return "scotland";
    case HolidayRegion::kNorthernIreland:
      return "northern-ireland";
  }
  return "";
}

std::optional<HolidayRegion> ParseHolidayRegion(std::string_view s) {
  for (HolidayRegion r :
       {HolidayRegion::kEnglandAndWales, HolidayRegion::kScotland, HolidayRegion::kNorthernIreland})
    if (s == HolidayRegionName(r)) return r;
  return std::nullopt;
}

std::vector<std::pair<CivilDate, std::string>> BankHolidays(HolidayRegion region, int y) {
  std::vector<std::pair<CivilDate, std::string>> out;
  if (y < kFirstYear || y > kLastYear) return out;
  const unsigned bit = Bit(region);
  auto taken = [&out](const CivilDate& d) {
    return std::any_of(out.begin(), out.end(), [&d](const auto& h) { return h.first == d; });
  };

  // Holidays whose date comes from a rule (or a proclamation) rather than the day of the year.
  for (const OneOff& o : kOneOffs)
    if (o.date.year == y && (o.regions & bit)) out.emplace_back(o.date, o.name);
  const CivilDate easter = EasterSunday(y);
  out.emplace_back(AddDays(easter, -2), "Good Friday");
  if (region != HolidayRegion::kScotland) out.emplace_back(AddDays(easter, 1), "Easter Monday");
  if (y == 1995 || y == 2020)  // moved to the Friday 8 May for the VE Day anniversaries
    out.emplace_back(CivilDate{y, 5, 8}, "Early May bank holiday (VE day)");
  else
    out.emplace_back(NthWeekday(y, 5, 0, 1), "Early May bank holiday");
  CivilDate spring = NthWeekday(y, 5, 0, -1);
  if (y == 2002) spring = {2002, 6, 4};  // beside the Golden Jubilee
  if (y == 2012) spring = {2012, 6, 4};  // beside the Diamond Jubilee
  if (y == 2022) spring = {2022, 6, 2};  // beside the Platinum Jubilee
  out.emplace_back(spring, "Spring bank holiday");
  out.emplace_back(region == HolidayRegion::kScotland ? NthWeekday(y, 8, 0, 1)    // first Monday
                                                      : NthWeekday(y, 8, 0, -1),  // last Monday
                   "Summer bank holiday");

  // Fixed-date holidays: those on a free weekday keep their date first, then the others take
  // the next free weekday in date order (so Christmas on a Sunday is observed on the Tuesday,
  // after Boxing Day on the Monday; likewise 1 and 2 January in Scotland).
  std::vector<const Fixed*> moved;
  for (const Fixed& f : kFixed) {
    if (!(f.regions & bit) || y < f.since) continue;
    const CivilDate d{y, f.month, f.day};
    if (IsWeekend(d) || taken(d))
      moved.push_back(&f);
    else
      out.emplace_back(d, f.name);
  }
  for (const Fixed* f : moved) {
    CivilDate d{y, f->month, f->day};
    while (IsWeekend(d) || taken(d)) d = AddDays(d, 1);
    out.emplace_back(d, std::string(f->name) + " (substitute day)");
  }

  std::sort(out.begin(), out.end());
  return out;
}

std::optional<std::string> BankHoliday(HolidayRegion region, const CivilDate& d) {
  for (auto& [date, name] : BankHolidays(region, d.year))
    if (date == d) return std::move(name);
  return std::nullopt;
}

}  // namespace convene::calendar
