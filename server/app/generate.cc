#include "server/app/generate.h"

#include <algorithm>
#include <ctime>
#include <random>
#include <unordered_map>
#include <utility>
#include <vector>

#include "calendar/recurrence.h"
#include "calendar/store/store.h"
#include "server/ops/secrets.h"

namespace convene::server {
namespace {

using namespace calendar;  // NOLINT: the domain vocabulary
namespace st = calendar::store;

constexpr int kYears = 10;
constexpr const char* kZone = "Europe/London";

// std::mt19937_64 with explicit arithmetic: the standard fixes the engine's output, not what
// std::uniform_int_distribution makes of it, so no distribution class is used.
class Rng {
 public:
  explicit Rng(uint64_t seed) : gen_(seed) {}
  // 0..n-1 for n >= 1 (the modulo bias is below 2^-40 for every n used here).
  int Below(int64_t n) { return static_cast<int>(gen_() % static_cast<uint64_t>(n)); }
  int Between(int lo, int hi) { return lo + Below(hi - lo + 1); }
  bool PerMille(int p) { return Below(1000) < p; }
  // An index drawn with the given (cumulative) integer weights.
  size_t Weighted(const std::vector<int64_t>& cumulative) {
    const int64_t x = static_cast<int64_t>(gen_() % static_cast<uint64_t>(cumulative.back()));
    return static_cast<size_t>(std::upper_bound(cumulative.begin(), cumulative.end(), x) -
                               cumulative.begin());
  }
  // Bytes for NewUuid.
  RandomSource Source() {
    return [this](unsigned char* out, size_t n) {
      uint64_t word = 0;
      for (size_t i = 0; i < n; ++i) {
        if (i % 8 == 0) word = gen_();
        out[i] = static_cast<unsigned char>(word >> (8 * (i % 8)));
      }
    };
  }

 private:
  std::mt19937_64 gen_;
};

std::vector<int64_t> Cumulative(const std::vector<int64_t>& weights) {
  std::vector<int64_t> out;
  int64_t sum = 0;
  for (int64_t w : weights) out.push_back(sum += w);
  return out;
}

const char* const kFirstNames[] = {
    "Aaron",  "Abigail",  "Adam",    "Aisha",   "Alan",    "Alice",    "Amir",     "Amy",
    "Andrew", "Angela",   "Anna",    "Arjun",   "Barbara", "Ben",      "Beth",     "Bilal",
    "Brian",  "Carl",     "Carol",   "Catrin",  "Chloe",   "Chris",    "Claire",   "Colin",
    "Dafydd", "Daniel",   "David",   "Deborah", "Declan",  "Diane",    "Dylan",    "Eilidh",
    "Elaine", "Eleanor",  "Emma",    "Eric",    "Fatima",  "Fiona",    "Frank",    "Gareth",
    "Gemma",  "George",   "Grace",   "Hannah",  "Harry",   "Helen",    "Ian",      "Imran",
    "Isla",   "Jack",     "James",   "Jane",    "Jasmine", "Jennifer", "John",     "Joseph",
    "Julie",  "Karen",    "Kate",    "Kevin",   "Laura",   "Leon",     "Lily",     "Linda",
    "Lucy",   "Mark",     "Martin",  "Mary",    "Megan",   "Michael",  "Mohammed", "Nadia",
    "Neil",   "Nicola",   "Niamh",   "Oliver",  "Olivia",  "Owen",     "Patrick",  "Paul",
    "Priya",  "Rachel",   "Rhys",    "Richard", "Robert",  "Ruth",     "Sally",    "Samuel",
    "Sarah",  "Sean",     "Simon",   "Sophie",  "Stephen", "Susan",    "Thomas",   "Tom",
    "Usha",   "Victoria", "William", "Zara",
};
const char* const kSurnames[] = {
    "Abbott",  "Ahmed",    "Ali",       "Allen",    "Anderson",  "Bailey",   "Baker",    "Begum",
    "Bell",    "Bennett",  "Brown",     "Campbell", "Carter",    "Chapman",  "Chen",     "Clarke",
    "Collins", "Cook",     "Cooper",    "Cox",      "Davies",    "Dixon",    "Doherty",  "Edwards",
    "Ellis",   "Evans",    "Fisher",    "Fletcher", "Foster",    "Fraser",   "Gill",     "Graham",
    "Gray",    "Green",    "Griffiths", "Hall",     "Harris",    "Harrison", "Hughes",   "Hussain",
    "Jackson", "James",    "Johnson",   "Jones",    "Kaur",      "Kelly",    "Khan",     "King",
    "Knight",  "Lee",      "Lewis",     "Lloyd",    "MacDonald", "Marshall", "Martin",   "Mason",
    "Mills",   "Mitchell", "Moore",     "Morgan",   "Morris",    "Murphy",   "Murray",   "Nguyen",
    "O'Brien", "Owen",     "Palmer",    "Parker",   "Patel",     "Pearce",   "Phillips", "Price",
    "Reid",    "Richards", "Roberts",   "Robinson", "Rogers",    "Ross",     "Russell",  "Scott",
    "Shah",    "Simpson",  "Singh",     "Smith",    "Stewart",   "Taylor",   "Thomas",   "Thompson",
    "Turner",  "Walker",   "Ward",      "Watson",   "White",     "Williams", "Wilson",   "Wood",
    "Wright",  "Yates",    "Young",     "Zhang",
};
constexpr int kNames = 100;  // of each list: 10,000 different names
static_assert(std::size(kFirstNames) == kNames && std::size(kSurnames) == kNames);

const char* const kOrganisations[] = {
    "Finance",
    "Estates",
    "Legal Services",
    "Digital",
    "Human Resources",
    "Communications",
    "Procurement",
    "Audit",
    "Policy",
    "Research",
    "Customer Care",
    "Facilities",
    "Planning",
    "Housing",
    "Transport",
    "Public Health",
    "Education",
    "Libraries",
    "Parks",
    "Waste Services",
    "Licensing",
    "Revenues",
    "Benefits",
    "Building Control",
    "Trading Standards",
    "Environmental Health",
    "Social Care",
    "Youth Services",
    "Archives",
    "Registrars",
};
const char* const kTopics[] = {
    "Finance",     "Audit",     "Digital",   "Estates",   "Health and Safety",
    "Procurement", "Standards", "Pensions",  "Planning",  "Housing",
    "Transport",   "Climate",   "Equality",  "Risk",      "Data",
    "Libraries",   "Parks",     "Licensing", "Workforce", "Research",
    "Archives",    "Museums",   "Schools",   "Waste",     "Tourism",
};
const char* const kKinds[] = {"Committee", "Working Group", "Panel", "Board", "Forum"};
const char* const kPlaces[] = {
    "Aldgate",       "Barbican",   "Bishopsgate",  "Blackfriars", "Bloomsbury",
    "Borough",       "Camden",     "Canary Wharf", "Chancery",    "Clerkenwell",
    "Covent Garden", "Finsbury",   "Holborn",      "Islington",   "King's Cross",
    "Lambeth",       "Marylebone", "Moorgate",     "Paddington",  "Shoreditch",
    "Southwark",     "Temple",     "Vauxhall",     "Waterloo",    "Westminster",
};
const char* const kBuildings[] = {"House", "Conference Centre"};
const char* const kStreets[] = {"High Street",  "Church Lane",   "Station Road", "Victoria Street",
                                "Market Place", "Bridge Street", "Mill Lane",    "Queen Street"};
const char* const kTalks[] = {
    "The budget for next year",     "Annual report",
    "Progress on the action plan",  "Risks and mitigations",
    "A new case management system", "Survey results",
    "Lessons from the pilot",       "Consultation response",
    "Staffing and recruitment",     "The estates strategy",
    "Data protection update",       "Partnership working",
};
const char* const kReasons[] = {"On leave", "Clash with another meeting", "Unwell", "Travelling",
                                "Training course"};

std::string Lower(std::string s) {
  std::string out;
  for (char c : s) {
    if (c >= 'A' && c <= 'Z')
      out += static_cast<char>(c - 'A' + 'a');
    else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
      out += c;
    else if (c == ' ')
      out += '-';
  }
  return out;
}

struct Person {
  std::string name, email;
};

// Person i: a name from a fixed shuffle of the 10,000 combinations; beyond them the same names
// come round again with a number in the address.
class People {
 public:
  explicit People(Rng& rng) {
    for (int i = 0; i < kNames * kNames; ++i) order_.push_back(i);
    for (int i = static_cast<int>(order_.size()) - 1; i > 0; --i)
      std::swap(order_[i], order_[rng.Below(i + 1)]);
  }
  Person Get(int i) const {
    const int combo = order_[i % order_.size()];
    const std::string first = kFirstNames[combo / kNames], last = kSurnames[combo % kNames];
    std::string email = Lower(first) + "." + Lower(last);
    if (i >= static_cast<int>(order_.size()))
      email += "." + std::to_string(i / static_cast<int>(order_.size()));
    return Person{first + " " + last, email + "@example.org"};
  }

 private:
  std::vector<int> order_;
};

enum class Freq { kWeekly, kFortnightly, kMonthly, kBimonthly, kQuarterly, kListed };

struct Spec {
  enum Kind { kLarge, kMeetings, kMembers } kind = kLarge;
  int n = 0;
};

Result<Spec> ParseSize(const std::string& size) {
  if (size == "large") return Spec{Spec::kLarge, 0};
  for (auto [prefix, kind] :
       {std::pair{"meetings:", Spec::kMeetings}, std::pair{"members:", Spec::kMembers}}) {
    const std::string p = prefix;
    if (size.rfind(p, 0) != 0) continue;
    const std::string digits = size.substr(p.size());
    if (digits.empty() || digits.size() > 6 ||
        digits.find_first_not_of("0123456789") != std::string::npos)
      break;
    const int n = std::stoi(digits);
    if (n < 1 || n > 100000) break;
    return Spec{kind, n};
  }
  return InvalidArgument("size",
                         "size must be small, large, meetings:N or members:N (N from 1 to 100000)");
}

// Unix seconds of midnight UTC starting a date.
int64_t Midnight(const CivilDate& d) { return DaysFromCivil(d) * 86400; }

// Everything one generation writes with: the transaction, the random stream, the venues and
// which of their hours are taken.
class Writer {
 public:
  Writer(st::Tx& tx, Rng& rng, int first_year) : tx_(tx), rng_(rng), first_year_(first_year) {
    created_ = Midnight(CivilDate{first_year, 1, 1}) - 30 * 86400;
    nominal_now_ = Midnight(CivilDate{first_year + kYears / 2, 1, 1});
  }

  GeneratedCounts& counts() { return counts_; }
  int64_t created() const { return created_; }
  int64_t nominal_now() const { return nominal_now_; }
  int first_year() const { return first_year_; }
  const std::vector<Venue>& venues() const { return venues_; }

  Status Organiser() {
    ASSIGN_OR_RETURN(calendar::Organiser o,
                     st::EnsureOrganiser(tx_, kGeneratedOrganiser, "Suzanne Horner", created_));
    organiser_ = o.id;
    return Status::Ok();
  }

  // `count` venues; venue 0 is the great hall (for the largest group). Popularity falls gently
  // with the index (weight 1000 / (index + 10)), so one venue is clearly the busiest.
  Status Venues(int count) {
    std::vector<int64_t> weights;
    for (int i = 0; i < count; ++i) {
      Venue v;
      v.owner_id = organiser_;
      const int places = static_cast<int>(std::size(kPlaces));
      if (i == 0) {
        v.name = "Great Hall";
        v.capacity = 2500;
      } else {
        v.name = std::string(kPlaces[i % places]) + " " +
                 kBuildings[(i / places) % std::size(kBuildings)];
        if (i >= places * static_cast<int>(std::size(kBuildings)))
          v.name += " " + std::to_string(i / (places * std::size(kBuildings)) + 1);
        v.capacity = 20 + 20 * rng_.Below(15);
      }
      v.address = std::to_string(rng_.Between(1, 250)) + " " +
                  kStreets[rng_.Below(std::size(kStreets))] + ", London";
      v.postcode = "EC" + std::to_string(rng_.Between(1, 4)) + "A " +
                   std::to_string(rng_.Between(1, 9)) + "BB";
      if (rng_.PerMille(500)) v.notes = "Ask at reception; step-free entrance at the side.";
      v.updated_at = created_;
      ASSIGN_OR_RETURN(v, st::InsertVenue(tx_, v));
      venues_.push_back(v);
      weights.push_back(1000 / (i + 10));
    }
    venue_weights_ = Cumulative(weights);
    counts_.venues += count;
    return Status::Ok();
  }

  Result<Group> AddGroup(const std::string& slug, const std::string& name, bool is_public,
                         std::optional<int> quorum, std::optional<int> reminder_days) {
    Group g;
    g.organiser_id = organiser_;
    g.slug = slug;
    g.name = name;
    g.timezone = kZone;
    g.quorum = quorum;
    g.is_public = is_public;
    g.reminder_days = reminder_days;
    g.created_at = created_;
    ASSIGN_OR_RETURN(g, st::InsertGroup(tx_, g));
    ++counts_.groups;
    return g;
  }

  // The people `who` (indices into `people`) as the group's members, the first the chair;
  // `former` more (from `extra`) who have left.
  Result<std::vector<Member>> AddMembers(const Group& g, const People& people,
                                         const std::vector<int>& who,
                                         const std::vector<int>& former) {
    std::vector<Member> out;
    for (size_t i = 0; i < who.size() + former.size(); ++i) {
      const bool left = i >= who.size();
      const Person p = people.Get(left ? former[i - who.size()] : who[i]);
      Member m;
      m.group_id = g.id;
      m.name = p.name;
      m.email = p.email;
      m.organisation = kOrganisations[rng_.Below(std::size(kOrganisations))];
      m.role = i == 0 ? Role::kChair : i == 1 ? Role::kOrganiser : Role::kMember;
      m.delivery = rng_.PerMille(100) ? Delivery::kInvitations : Delivery::kFeed;
      m.unsubscribed = rng_.PerMille(20);
      m.created_at = created_;
      ASSIGN_OR_RETURN(m, st::InsertMember(tx_, m));
      if (left) {
        const int64_t at = created_ + 86400 * (1 + rng_.Below(365 * kYears / 2));
        RETURN_IF_ERROR(st::SetMemberLeft(tx_, m.id, at));
        ++counts_.former_members;
      } else {
        out.push_back(m);
        ++counts_.members;
      }
    }
    return out;
  }

  // One series on `dates` (a rule's, with its rrule, or listed dates when rrule is empty), at
  // the preferred venue and time when they are free on every date, else at another venue or
  // time that is; then its meetings, with the moves, cancellations, changes of venue,
  // presenters and apologies of ten years.
  Status AddSeries(const Group& g, const std::vector<Member>& members, const std::string& title,
                   const std::string& agenda, std::string rrule,
                   const std::vector<CivilDate>& dates, size_t venue, int start_minute,
                   int duration) {
    Place(dates, duration, &venue, &start_minute);
    Series s;
    s.group_id = g.id;
    s.uid = NewUuid(rng_.Source());
    s.title = title;
    s.agenda = agenda;
    s.venue_id = venues_[venue].id;
    s.start_minute = s.rule_start_minute = start_minute;
    s.duration_minutes = duration;
    s.first_date = dates.front();
    s.created_at = s.updated_at = created_;
    if (!rrule.empty() && rrule.find("UNTIL=") != std::string::npos) {
      ASSIGN_OR_RETURN(int64_t last, ToUnix(g.timezone, LocalDateTime{dates.back(), start_minute}));
      rrule = WithUtcUntil(rrule, FormatIcalUtc(last));
    }
    s.rrule = rrule;
    ASSIGN_OR_RETURN(s, st::InsertSeries(tx_, s));
    ++counts_.series;
    if (s.is_rule()) ++counts_.rule_series;

    for (const CivilDate& d : dates) {
      Meeting m;
      m.series_id = s.id;
      m.group_id = g.id;
      m.uid = s.is_rule() ? s.uid : NewUuid(rng_.Source());
      m.original_start = m.start = LocalDateTime{d, start_minute};
      m.duration_minutes = duration;
      m.venue_id = s.venue_id;
      m.created_at = m.updated_at = created_;
      const int change = rng_.Below(1000);
      if (change < 20) {
        m.status = MeetingStatus::kCancelled;
        m.sequence = 1;
        ++counts_.cancelled;
      } else if (change < 50) {
        // Moved: a few days either way, sometimes an hour later or earlier, where it is free.
        int shift = rng_.Between(1, 6) * (rng_.Below(2) ? 1 : -1);
        int minute = start_minute + (rng_.Below(2) ? 0 : (rng_.Below(2) ? 60 : -60));
        minute = std::clamp(minute, 8 * 60, 19 * 60);
        const LocalDateTime to{AddDays(d, shift), minute};
        if (Free(m.venue_id, to.date, minute, duration)) {
          m.start = to;
          m.sequence = 1;
          Book(m.venue_id, to.date, minute, duration);
          ++counts_.moved;
        }
      } else if (change < 70) {
        // At another venue for once.
        for (int attempt = 0; attempt < 10; ++attempt) {
          const size_t other = rng_.Weighted(venue_weights_);
          if (venues_[other].id == m.venue_id) continue;
          if (!Free(venues_[other].id, d, start_minute, duration)) continue;
          m.venue_id = venues_[other].id;
          m.sequence = 1;
          Book(m.venue_id, d, start_minute, duration);
          ++counts_.revenued;
          break;
        }
      }
      if (m.sequence > 0) m.updated_at = EditTime(m);
      ASSIGN_OR_RETURN(m, st::InsertMeeting(tx_, m));
      ++counts_.meetings;

      if (rng_.PerMille(150)) {
        const int talks = rng_.Between(1, 3);
        for (int t = 0; t < talks; ++t) {
          Presenter p;
          p.meeting_id = m.id;
          p.name =
              std::string(kFirstNames[rng_.Below(kNames)]) + " " + kSurnames[rng_.Below(kNames)];
          p.organisation = kOrganisations[rng_.Below(std::size(kOrganisations))];
          p.topic = kTalks[rng_.Below(std::size(kTalks))];
          p.created_at = EditTime(m);
          RETURN_IF_ERROR(st::InsertPresenter(tx_, p).status());
          ++counts_.presenters;
        }
      }
      if (m.status == MeetingStatus::kCancelled || members.empty()) continue;
      // Apologies from up to a tenth of the members (on average a twentieth), each a different
      // member: the first k of a running shuffle of the member indices.
      const int k = rng_.Below(static_cast<int64_t>(members.size() / 10) + 2);
      if (pick_.size() != members.size()) {
        pick_.resize(members.size());
        for (size_t i = 0; i < pick_.size(); ++i) pick_[i] = i;
      }
      for (int i = 0; i < k && i < static_cast<int>(pick_.size()); ++i) {
        std::swap(pick_[i], pick_[i + rng_.Below(static_cast<int64_t>(pick_.size()) - i)]);
        Apology a;
        a.meeting_id = m.id;
        a.member_id = members[pick_[i]].id;
        if (rng_.PerMille(300)) a.reason = kReasons[rng_.Below(std::size(kReasons))];
        a.created_at = EditTime(m);
        RETURN_IF_ERROR(st::InsertApology(tx_, a).status());
        ++counts_.apologies;
      }
    }
    return Status::Ok();
  }

  // A rule (without its end) from 1 January of `year` for `years` years: the series' dates.
  Result<std::pair<std::string, std::vector<CivilDate>>> RuleDates(const std::string& rule,
                                                                   int year, int years) {
    const CivilDate last{year + years - 1, 12, 31};
    char until[40];
    std::snprintf(until, sizeof until, ";UNTIL=%04d%02d%02d", last.year, last.month, last.day);
    ASSIGN_OR_RETURN(Expansion x, ExpandRule(rule + until, CivilDate{year, 1, 1}));
    return std::pair{x.rrule, x.dates};
  }

  size_t PickVenue() { return rng_.Weighted(venue_weights_); }

 private:
  // A changed meeting's edit time: a week before it, but not after the data's "now" and not
  // before it was made.
  int64_t EditTime(const Meeting& m) const {
    return std::max(created_, std::min(nominal_now_, Midnight(m.start.date) - 7 * 86400));
  }

  static int64_t Key(Id venue, const CivilDate& d) { return venue * 1000000 + DaysFromCivil(d); }
  bool Free(Id venue, const CivilDate& d, int start, int duration) const {
    auto it = busy_.find(Key(venue, d));
    if (it == busy_.end()) return true;
    for (auto [a, b] : it->second)
      if (start < b && a < start + duration) return false;
    return true;
  }
  void Book(Id venue, const CivilDate& d, int start, int duration) {
    busy_[Key(venue, d)].emplace_back(start, start + duration);
  }
  // Chooses where and when a series meets: the preferred venue and time if free on every date,
  // else up to 60 other tries (other venues, later other times); the last try is taken anyway.
  void Place(const std::vector<CivilDate>& dates, int duration, size_t* venue, int* start) {
    size_t v = *venue;
    int t = *start;
    for (int attempt = 0; attempt < 60; ++attempt) {
      if (attempt > 0) v = rng_.Weighted(venue_weights_);
      if (attempt >= 30) t = 8 * 60 + 30 * rng_.Below(21);
      bool free = true;
      for (const CivilDate& d : dates)
        if (!Free(venues_[v].id, d, t, duration)) {
          free = false;
          break;
        }
      if (free) break;
    }
    for (const CivilDate& d : dates) Book(venues_[v].id, d, t, duration);
    *venue = v;
    *start = t;
  }

  st::Tx& tx_;
  Rng& rng_;
  int first_year_;
  int64_t created_ = 0, nominal_now_ = 0;
  Id organiser_ = 0;
  std::vector<Venue> venues_;
  std::vector<int64_t> venue_weights_;
  std::unordered_map<int64_t, std::vector<std::pair<int, int>>> busy_;
  std::vector<size_t> pick_;
  GeneratedCounts counts_;
};

const char* const kDays[] = {"MO", "TU", "WE", "TH", "FR"};

std::string RuleOf(Freq f, Rng& rng) {
  const std::string day = kDays[rng.Below(5)];
  const std::string nth = std::to_string(rng.Between(1, 4));
  switch (f) {
    case Freq::kWeekly:
      return "FREQ=WEEKLY;BYDAY=" + day;
    case Freq::kFortnightly:
      return "FREQ=WEEKLY;INTERVAL=2;BYDAY=" + day;
    case Freq::kMonthly:
      return "FREQ=MONTHLY;BYDAY=" + nth + day;
    case Freq::kBimonthly:
      return "FREQ=MONTHLY;INTERVAL=2;BYDAY=" + nth + day;
    case Freq::kQuarterly:
      return "FREQ=MONTHLY;INTERVAL=3;BYDAY=" + nth + day;
    case Freq::kListed:
      break;
  }
  return "";
}

// 4 to 8 weekdays of `year`, for a series of listed dates.
std::vector<CivilDate> ListedDates(Rng& rng, int year) {
  std::vector<CivilDate> out;
  const int want = rng.Between(4, 8);
  for (int tries = 0; tries < 100 && static_cast<int>(out.size()) < want; ++tries) {
    const CivilDate d = AddDays(CivilDate{year, 1, 1}, rng.Below(365));
    if (Weekday(d) == 0 || Weekday(d) == 6) continue;
    if (std::find(out.begin(), out.end(), d) == out.end()) out.push_back(d);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string Agenda(const std::string& topic) {
  return "Apologies; minutes of the last meeting; matters arising; " + topic +
         " report; any other business.";
}

// large: the organisation of issue 15.
Status GenerateLarge(Writer& w, Rng& rng) {
  constexpr int kGroups = 500, kMembers = 10000, kLargest = 2000, kPeople = 6000;
  constexpr int kSmallest = 4;
  RETURN_IF_ERROR(w.Venues(50));
  const People people(rng);

  // Group sizes: the largest, then the rest of the members over 499 groups, each at least 4,
  // the others handed out one by one with uneven weights (a few big groups, many small).
  std::vector<int> sizes(kGroups, kSmallest);
  sizes[0] = kLargest;
  {
    std::vector<int64_t> weights(kGroups, 0);
    for (int i = 1; i < kGroups; ++i) {
      const int r = rng.Below(100);
      weights[i] = 1 + r * r / 100;
    }
    const auto cumulative = Cumulative(weights);
    for (int left = kMembers - kLargest - kSmallest * (kGroups - 1); left > 0; --left)
      ++sizes[rng.Weighted(cumulative)];
  }

  for (int gi = 0; gi < kGroups; ++gi) {
    std::string slug, name, topic;
    if (gi == 0) {
      slug = kLargestGroupSlug;
      name = "All Staff";
      topic = "Chief executive's";
    } else {
      topic = kTopics[(gi - 1) % std::size(kTopics)];
      const std::string kind = kKinds[((gi - 1) / std::size(kTopics)) % std::size(kKinds)];
      const int round = (gi - 1) / static_cast<int>(std::size(kTopics) * std::size(kKinds)) + 1;
      name = topic + " " + kind + (round > 1 ? " " + std::to_string(round) : "");
      slug = Lower(name);
    }
    const bool is_public = gi == 0 || rng.PerMille(850);
    std::optional<int> quorum;
    if (gi > 0 && sizes[gi] >= 6 && rng.PerMille(600)) quorum = sizes[gi] / 3;
    // Every group reminds its members the day before: a day's reminders fall due at a time.
    ASSIGN_OR_RETURN(Group g, w.AddGroup(slug, name, is_public, quorum, 1));

    // Members: the largest group is people 0..1999; every other group draws its own from all
    // 6,000, so many people belong to several groups. About 2% more have left.
    std::vector<int> who, former;
    if (gi == 0) {
      for (int i = 0; i < kLargest; ++i) who.push_back(i);
    } else {
      std::vector<char> taken(kPeople, 0);
      const int leavers = rng.PerMille(300) ? rng.Between(1, 2) : 0;
      for (int i = 0; i < sizes[gi] + leavers; ++i) {
        int p = rng.Below(kPeople);
        for (int step = 0; taken[p] && step < kPeople; ++step) p = (p + 1) % kPeople;
        taken[p] = 1;
        (i < sizes[gi] ? who : former).push_back(p);
      }
    }
    ASSIGN_OR_RETURN(std::vector<Member> members, w.AddMembers(g, people, who, former));

    const std::string title = name + " meeting";
    if (gi == 0) {
      ASSIGN_OR_RETURN(auto rule, w.RuleDates("FREQ=MONTHLY;BYDAY=1TH", w.first_year(), kYears));
      RETURN_IF_ERROR(
          w.AddSeries(g, members, title, Agenda(topic), rule.first, rule.second, 0, 10 * 60, 90));
      continue;
    }
    // How often: weekly 5%, fortnightly 15%, monthly 45%, every two months 20%, quarterly 10%,
    // listed dates 5%; set up a year at a time, or for 2, 5 or 10 years at once.
    const int f = rng.Below(100);
    const Freq freq = f < 5    ? Freq::kWeekly
                      : f < 20 ? Freq::kFortnightly
                      : f < 65 ? Freq::kMonthly
                      : f < 85 ? Freq::kBimonthly
                      : f < 95 ? Freq::kQuarterly
                               : Freq::kListed;
    const int c = rng.Below(100);
    int chunk = c < 35 ? 1 : c < 50 ? 2 : c < 70 ? 5 : 10;
    if (freq == Freq::kWeekly) chunk = std::min(chunk, 5);  // at most 500 meetings a series
    if (freq == Freq::kListed) chunk = 1;
    const size_t venue = w.PickVenue();
    const int start = 8 * 60 + 30 * rng.Below(21);
    const int duration = 60 + 30 * rng.Below(5);
    const std::string rule = RuleOf(freq, rng);
    for (int year = w.first_year(); year < w.first_year() + kYears; year += chunk) {
      if (freq == Freq::kListed) {
        RETURN_IF_ERROR(w.AddSeries(g, members, title, Agenda(topic), "", ListedDates(rng, year),
                                    venue, start, duration));
        continue;
      }
      ASSIGN_OR_RETURN(auto dates, w.RuleDates(rule, year, chunk));
      RETURN_IF_ERROR(w.AddSeries(g, members, title, Agenda(topic), dates.first, dates.second,
                                  venue, start, duration));
    }
  }
  return Status::Ok();
}

// meetings:N: one group of 20 members with N meetings in weekly series of 100 (the last one
// shorter), their starts spread evenly over the ten years, at 5 venues.
Status GenerateMeetings(Writer& w, Rng& rng, int n) {
  RETURN_IF_ERROR(w.Venues(5));
  const People people(rng);
  ASSIGN_OR_RETURN(Group g, w.AddGroup(kScaleGroupSlug, "Scale " + std::to_string(n) + " meetings",
                                       true, 7, std::nullopt));
  std::vector<int> who;
  for (int i = 0; i < 20; ++i) who.push_back(i);
  ASSIGN_OR_RETURN(std::vector<Member> members, w.AddMembers(g, people, who, {}));
  const int series = (n + 99) / 100;
  for (int k = 0; k < series; ++k) {
    const int count = std::min(100, n - k * 100);
    // Series k starts in the middle of the k-th of `series` equal parts of the first 420 weeks.
    const CivilDate first =
        AddDays(CivilDate{w.first_year(), 1, 1}, 7 * ((2 * k + 1) * 420 / (2 * series)));
    const std::string rule =
        std::string("FREQ=WEEKLY;BYDAY=") + kDays[k % 5] + ";COUNT=" + std::to_string(count);
    ASSIGN_OR_RETURN(Expansion x, ExpandRule(rule, first));
    RETURN_IF_ERROR(w.AddSeries(g, members, "Scale meeting " + std::to_string(k + 1),
                                Agenda("Scale"), x.rrule, x.dates, k % 5,
                                9 * 60 + 60 * ((k / 5) % 9), 60));
  }
  return Status::Ok();
}

// members:N: one group of N members meeting monthly (second Tuesday) for the ten years.
Status GenerateMembers(Writer& w, Rng& rng, int n) {
  RETURN_IF_ERROR(w.Venues(2));
  const People people(rng);
  ASSIGN_OR_RETURN(Group g, w.AddGroup(kScaleGroupSlug, "Scale " + std::to_string(n) + " members",
                                       true, std::nullopt, std::nullopt));
  std::vector<int> who;
  for (int i = 0; i < n; ++i) who.push_back(i);
  ASSIGN_OR_RETURN(std::vector<Member> members, w.AddMembers(g, people, who, {}));
  ASSIGN_OR_RETURN(auto rule, w.RuleDates("FREQ=MONTHLY;BYDAY=2TU", w.first_year(), kYears));
  return w.AddSeries(g, members, "Scale meeting", Agenda("Scale"), rule.first, rule.second, 0,
                     10 * 60, 120);
}

}  // namespace

Status ValidateGeneratedSize(const std::string& size) { return ParseSize(size).status(); }

Result<Generated> GenerateOrganisation(st::Db& db, const GenerateOptions& options) {
  ASSIGN_OR_RETURN(const Spec spec, ParseSize(options.size));
  int first_year = options.first_year;
  if (first_year == 0) first_year = CivilFromDays(std::time(nullptr) / 86400).year - kYears / 2;
  if (first_year < 1980 || first_year > 2900)
    return InvalidArgument("first_year", "the first year must be from 1980 to 2900");

  ASSIGN_OR_RETURN(st::Tx tx, db.Write());
  {
    st::Stmt s = tx.Prepare("SELECT count(*) FROM groups");
    if (!s.Step()) return s.status().ok() ? Internal("no count") : s.status();
    if (s.Int(0) > 0)
      return Status(Code::kConflict,
                    "the database already has groups; generate into a new database file");
  }
  Rng rng(options.seed);
  Writer w(tx, rng, first_year);
  RETURN_IF_ERROR(w.Organiser());
  switch (spec.kind) {
    case Spec::kLarge:
      RETURN_IF_ERROR(GenerateLarge(w, rng));
      break;
    case Spec::kMeetings:
      RETURN_IF_ERROR(GenerateMeetings(w, rng, spec.n));
      break;
    case Spec::kMembers:
      RETURN_IF_ERROR(GenerateMembers(w, rng, spec.n));
      break;
  }
  RETURN_IF_ERROR(st::BumpRevision(tx, w.nominal_now()));
  RETURN_IF_ERROR(tx.Commit());

  Generated out;
  out.counts = w.counts();
  out.first_year = first_year;
  const GeneratedCounts& c = out.counts;
  out.message = "generated '" + options.size + "' (seed " + std::to_string(options.seed) + ", " +
                std::to_string(first_year) + " to " + std::to_string(first_year + kYears - 1) +
                "): " + std::to_string(c.venues) + " venues, " + std::to_string(c.groups) +
                " groups, " + std::to_string(c.members) + " members (and " +
                std::to_string(c.former_members) + " former), " + std::to_string(c.series) +
                " series (" + std::to_string(c.rule_series) + " by rule), " +
                std::to_string(c.meetings) + " meetings (" + std::to_string(c.moved) + " moved, " +
                std::to_string(c.cancelled) + " cancelled, " + std::to_string(c.revenued) +
                " at another venue), " + std::to_string(c.presenters) + " presenters, " +
                std::to_string(c.apologies) + " apologies; organiser " + kGeneratedOrganiser;
  return out;
}

}  // namespace convene::server
