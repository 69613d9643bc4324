#include "server/feeds/feed_service.h"

#include <spdlog/spdlog.h>
#include <zlib.h>

#include <iterator>
#include <set>
#include <vector>

#include "calendar/ical.h"
#include "calendar/store/store.h"
#include "server/http/links.h"
#include "server/ops/secrets.h"

namespace convene::server {
namespace {

namespace st = calendar::store;
using calendar::FeedInput;
using calendar::FeedSeries;
using calendar::Group;
using calendar::Meeting;
using calendar::MeetingStatus;
using calendar::Series;

// Entries in checked_ (small: two keys and a time); past it the map starts again.
constexpr size_t kMaxChecked = 20000;

Status NoSuchFeed() { return NotFound("no such feed"); }

// 128 bits of the hash are plenty to tell two versions of one feed apart.
std::string StrongETag(const std::string& bytes) {
  return "\"" + Sha256Hex(bytes).substr(0, 32) + "\"";
}

// Collects the rows of a FeedInput inside one read transaction.
class Loader {
 public:
  Loader(st::Tx& tx, FeedInput* in) : tx_(tx), in_(in) {}

  // Adds one series with every one of its meetings and their presenters.
  Status AddSeries(const Series& s, const Group& g, bool name_group) {
    FeedSeries fs;
    fs.series = s;
    fs.timezone = g.timezone;
    if (name_group) fs.group_name = g.name;
    ASSIGN_OR_RETURN(fs.meetings, st::ListSeriesMeetings(tx_, s.id));
    venue_ids_.insert(s.venue_id);
    for (const Meeting& m : fs.meetings) {
      venue_ids_.insert(m.venue_id);
      ASSIGN_OR_RETURN(auto presenters, st::ListPresenters(tx_, m.id));
      if (!presenters.empty()) in_->presenters[m.id] = std::move(presenters);
    }
    in_->series.push_back(std::move(fs));
    return Status::Ok();
  }

  Status AddGroup(const Group& g, bool name_group) {
    ASSIGN_OR_RETURN(auto series, st::ListSeries(tx_, g.id));
    for (const Series& s : series) RETURN_IF_ERROR(AddSeries(s, g, name_group));
    return Status::Ok();
  }

  Status AddVenues() {
    for (calendar::Id id : venue_ids_) {
      ASSIGN_OR_RETURN(calendar::Venue v, st::GetVenue(tx_, id));
      in_->venues[id] = std::move(v);
    }
    return Status::Ok();
  }

 private:
  st::Tx& tx_;
  FeedInput* in_;
  std::set<calendar::Id> venue_ids_;
};

// Result<T> of a lookup whose NotFound must not tell the caller anything.
template <typename T>
Result<T> OrNoSuchFeed(Result<T> r) {
  if (!r.ok() && r.status().code() == Code::kNotFound) return NoSuchFeed();
  return r;
}

}  // namespace

std::string Gzip(const std::string& data) {
  z_stream z{};
  // windowBits 15 + 16: a gzip wrapper; its header has no name and mtime 0 (deterministic).
  if (deflateInit2(&z, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    return {};
  std::string out(deflateBound(&z, data.size()) + 32, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return rc == Z_STREAM_END ? out : std::string();
}

FeedService::FeedService(st::Db& db, std::string base_url, int refresh_minutes, Clock clock,
                         RandomSource random, size_t cache_bytes)
    : db_(db),
      base_url_(std::move(base_url)),
      refresh_minutes_(refresh_minutes),
      clock_(std::move(clock)),
      random_(std::move(random)),
      cache_limit_(cache_bytes) {}

int64_t FeedService::renders() const {
  std::lock_guard<std::mutex> lock(mu_);
  return renders_;
}

Result<std::string> FeedService::ApologyLinkKey() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (link_key_) return *link_key_;
  }
  // Created on first use, by whichever of the feed or the mail code asks first.
  ASSIGN_OR_RETURN(st::Tx tx, db_.Write());
  ASSIGN_OR_RETURN(std::string key, LinkKey(tx, random_));
  RETURN_IF_ERROR(tx.Commit());
  std::lock_guard<std::mutex> lock(mu_);
  link_key_ = key;
  return key;
}

std::string FeedService::CheckedKey(const FeedRequest& request) {
  return std::to_string(static_cast<int>(request.kind)) + ":" +
         (request.kind == FeedKind::kMember ? HashSecret(request.key) : request.key) +
         (request.show_cancelled ? ":cancelled" : "");
}

std::shared_ptr<const FeedBody> FeedService::Touch(const std::string& key) {
  auto it = cache_.find(key);
  if (it == cache_.end()) return nullptr;
  used_.splice(used_.begin(), used_, it->second.used);
  return it->second.body;
}

void FeedService::Store(const std::string& key, std::shared_ptr<const FeedBody> body) {
  auto size = [](const FeedBody& b) { return b.body.size() + b.gzip.size(); };
  auto it = cache_.find(key);
  if (it != cache_.end()) {
    cache_bytes_ -= size(*it->second.body);
    used_.splice(used_.begin(), used_, it->second.used);
    it->second.body = std::move(body);
  } else {
    used_.push_front(key);
    it = cache_.emplace(key, Entry{std::move(body), used_.begin()}).first;
  }
  cache_bytes_ += size(*it->second.body);
  // The newest entry stays even when it alone is over the limit: it is being served.
  while (cache_bytes_ > cache_limit_ && used_.size() > 1) {
    auto last = cache_.find(used_.back());
    cache_bytes_ -= size(*last->second.body);
    cache_.erase(last);
    used_.pop_back();
  }
}

size_t FeedService::cached_bytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return cache_bytes_;
}

const FeedService::Checked* FeedService::FreshCheck(
    const std::string& key, int64_t writes, std::chrono::steady_clock::time_point now) const {
  auto it = checked_.find(key);
  if (it == checked_.end() || it->second.writes != writes ||
      now - it->second.checked >= std::chrono::milliseconds(kRecheckMs))
    return nullptr;
  return &it->second;
}

bool FeedService::InMemory(const FeedRequest& request) const {
  if (request.kind == FeedKind::kMember && (request.key.size() < 20 || request.key.size() > 128))
    return false;
  const std::string key = CheckedKey(request);
  const int64_t writes = writes_.load(std::memory_order_acquire);
  std::lock_guard<std::mutex> lock(mu_);
  const Checked* check = FreshCheck(key, writes, std::chrono::steady_clock::now());
  return check != nullptr && cache_.count(check->cache_key) > 0;
}

Result<std::shared_ptr<const FeedBody>> FeedService::Get(const FeedRequest& request) {
  const std::string key = CheckedKey(request);
  const int64_t writes = writes_.load(std::memory_order_acquire);
  const auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (const Checked* check = FreshCheck(key, writes, now))
      if (auto body = Touch(check->cache_key)) {
        cache_hits_.fetch_add(1, std::memory_order_relaxed);
        return body;
      }
  }
  std::string cache_key;
  ASSIGN_OR_RETURN(std::shared_ptr<const FeedBody> body, Load(request, &cache_key));
  std::lock_guard<std::mutex> lock(mu_);
  if (checked_.size() > kMaxChecked) checked_.clear();  // bounded: keys come from URLs
  // `writes` was read before the database: a write in between leaves this entry stale-marked.
  checked_[key] = Checked{cache_key, writes, now};
  return body;
}

Result<std::shared_ptr<const FeedBody>> FeedService::Load(const FeedRequest& request,
                                                          std::string* cache_key_out) {
  std::string link_key;
  if (request.kind == FeedKind::kMember) {
    // Only the format is checked here; the hash lookup below decides.
    if (request.key.size() < 20 || request.key.size() > 128) return NoSuchFeed();
    ASSIGN_OR_RETURN(link_key, ApologyLinkKey());
  }
  ASSIGN_OR_RETURN(st::Tx tx, db_.Read());
  ASSIGN_OR_RETURN(const st::Revision rev, st::GetRevision(tx));

  FeedInput in;
  in.base_url = base_url_;
  in.refresh_minutes = refresh_minutes_;
  in.show_cancelled = request.show_cancelled;
  Loader load(tx, &in);
  std::string cache_key;
  // Each branch resolves the feed (and its access) first, then returns early on a cache hit.
  auto cached = [&](const std::string& key) -> std::shared_ptr<const FeedBody> {
    cache_key = key + (request.show_cancelled ? ":cancelled" : "");
    *cache_key_out = cache_key;
    std::lock_guard<std::mutex> lock(mu_);
    auto body = Touch(cache_key);
    if (!body || body->revision != rev.number) return nullptr;
    cache_hits_.fetch_add(1, std::memory_order_relaxed);
    return body;
  };

  switch (request.kind) {
    case FeedKind::kGroup: {
      ASSIGN_OR_RETURN(Group g, OrNoSuchFeed(st::GetGroupBySlug(tx, request.key)));
      if (!g.is_public) return NoSuchFeed();
      if (auto hit = cached("g:" + std::to_string(g.id))) return hit;
      in.calendar_name = g.name;
      in.timezone = g.timezone;
      in.updated_at = g.updated_at;
      RETURN_IF_ERROR(load.AddGroup(g, false));
      break;
    }
    case FeedKind::kVenue: {
      const std::string& k = request.key;
      if (k.empty() || k.size() > 18 || k.find_first_not_of("0123456789") != std::string::npos)
        return NoSuchFeed();
      ASSIGN_OR_RETURN(calendar::Venue v, OrNoSuchFeed(st::GetVenue(tx, std::stoll(k))));
      if (auto hit = cached("v:" + std::to_string(v.id))) return hit;
      in.calendar_name = v.name;
      in.only_venue = v.id;
      in.updated_at = v.updated_at;
      ASSIGN_OR_RETURN(auto meetings, st::ListVenueMeetings(tx, v.id, std::nullopt, std::nullopt));
      std::set<calendar::Id> series_ids;
      for (const Meeting& m : meetings) series_ids.insert(m.series_id);
      std::map<calendar::Id, Group> groups;
      for (calendar::Id sid : series_ids) {
        ASSIGN_OR_RETURN(Series s, st::GetSeries(tx, sid));
        if (!groups.count(s.group_id)) {
          ASSIGN_OR_RETURN(Group g, st::GetGroup(tx, s.group_id));
          groups.emplace(g.id, g);
        }
        const Group& g = groups.at(s.group_id);
        if (!g.is_public) continue;
        in.updated_at = std::max(in.updated_at, g.updated_at);
        if (in.timezone.empty()) in.timezone = g.timezone;
        RETURN_IF_ERROR(load.AddSeries(s, g, true));
      }
      // A feed with no meeting still holds one component.
      if (in.timezone.empty()) in.timezone = "UTC";
      break;
    }
    case FeedKind::kMember: {
      ASSIGN_OR_RETURN(auto token, st::FindToken(tx, HashSecret(request.key), "feed", clock_()));
      calendar::Id member_id = token ? token->member_id : 0;
      if (!token) {
        // The link the member's page shows (secrets.h FeedLinkToken): derived, never stored.
        auto claimed = DecodeUnsubscribeToken(request.key);
        if (!claimed) return NoSuchFeed();
        ASSIGN_OR_RETURN(calendar::Member m, OrNoSuchFeed(st::GetMember(tx, *claimed)));
        ASSIGN_OR_RETURN(int64_t epoch, st::TokenEpoch(tx, m.id, "feed"));
        if (!FeedLinkTokenValid(link_key, request.key, m, epoch)) return NoSuchFeed();
        member_id = m.id;
      }
      if (member_id == 0) return NoSuchFeed();
      ASSIGN_OR_RETURN(calendar::Member member, OrNoSuchFeed(st::GetMember(tx, member_id)));
      if (member.left_at) return NoSuchFeed();  // removed (the token was revoked too)
      if (auto hit = cached("m:" + std::to_string(member.id))) return hit;
      ASSIGN_OR_RETURN(auto all_memberships, st::ListMembersByEmail(tx, member.email));
      // "Across their groups", but only the groups of the organiser who issued this token: the
      // organiser saw the feed URL once, and must not see (or send apologies for) the member's
      // meetings in another organiser's groups.
      ASSIGN_OR_RETURN(Group own, st::GetGroup(tx, member.group_id));
      std::vector<calendar::Member> memberships;
      for (const calendar::Member& other : all_memberships) {
        ASSIGN_OR_RETURN(Group og, st::GetGroup(tx, other.group_id));
        if (og.organiser_id == own.organiser_id) memberships.push_back(other);
      }
      in.personal = true;
      const bool several = memberships.size() > 1;
      for (const calendar::Member& mine : memberships) {
        ASSIGN_OR_RETURN(Group g, st::GetGroup(tx, mine.group_id));
        in.calendar_name += (in.calendar_name.empty() ? "" : ", ") + g.name;
        if (in.timezone.empty()) in.timezone = g.timezone;
        in.updated_at = std::max(in.updated_at, g.updated_at);
        const size_t first = in.series.size();
        RETURN_IF_ERROR(load.AddGroup(g, several));
        for (size_t i = first; i < in.series.size(); ++i) {
          for (const Meeting& m : in.series[i].meetings) {
            calendar::PersonalState state;
            ASSIGN_OR_RETURN(auto apologies, st::ListApologies(tx, m.id));
            for (const calendar::Apology& a : apologies)
              if (a.member_id == mine.id) {
                state.sent_apologies = true;
                state.updated_at = a.created_at;
              }
            if (!state.sent_apologies && m.status != MeetingStatus::kCancelled)
              state.apology_text = "Send apologies: " +
                                   links::Apology(base_url_, ApologyToken(link_key, m.id, mine.id,
                                                                          mine.links_version));
            in.personal_state[m.id] = std::move(state);
          }
        }
      }
      break;
    }
  }
  RETURN_IF_ERROR(load.AddVenues());

  auto rendered = calendar::RenderFeed(in);
  if (!rendered.ok()) {
    spdlog::error("feed {}: {}", cache_key, rendered.status().ToString());
    return Internal("feed rendering failed");
  }
  for (const std::string& w : rendered->warnings) spdlog::warn("feed {}: {}", cache_key, w);

  auto fresh = std::make_shared<FeedBody>();
  fresh->revision = rev.number;
  fresh->body = std::move(rendered->body);
  fresh->etag = StrongETag(fresh->body);
  fresh->gzip = Gzip(fresh->body);
  fresh->gzip_etag = StrongETag(fresh->gzip);
  // The revision time is at least every stored time behind the bytes and never goes back.
  fresh->last_modified = std::max(rendered->last_modified, rev.at);
  std::lock_guard<std::mutex> lock(mu_);
  ++renders_;
  auto slot = Touch(cache_key);
  if (slot) {
    // Same bytes at a newer revision keep their Last-Modified; new bytes never go back in time.
    fresh->last_modified = slot->body == fresh->body
                               ? slot->last_modified
                               : std::max(fresh->last_modified, slot->last_modified);
  }
  if (!slot || slot->revision <= fresh->revision) Store(cache_key, fresh);
  return std::shared_ptr<const FeedBody>(fresh);
}

}  // namespace convene::server
