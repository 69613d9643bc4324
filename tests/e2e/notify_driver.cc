// notify_driver: drives the real outbox, worker and mailers for the e2e scripts in this folder.
//
//   notify_driver enqueue --db PATH --count N [--rcpt ADDR]... [--delay S] [--invitations-every K]
//       queues one venue-change notice per member (m<i>@example.org) plus one per --rcpt, through
//       QueueMeetingChange in one transaction
//   notify_driver run --db PATH (--smtp URL [--starttls] | --spool DIR) [--until-drained]
//       [--max-seconds S] [--first-retry S] [--max-retry S] [--lifetime S] [--relay-pause S]
//       [--relay-pause-max S] [--lease S] [--batch N]
//       runs the Worker thread with the real clock; prints one JSON line of stats at the end
//   notify_driver counts --db PATH      one JSON line: queued, sent, failed, leased, integrity
//   notify_driver list --db PATH [--status S]   one JSON line per outbox row (the API's fields)
//   notify_driver bodies --db PATH      one JSON line per row: message_id, status, body
//   notify_driver raw --smtp URL --from ADDR --to ADDR --file F   sends F's bytes as they are
// Credentials come from CONVENE_SMTP_USER / CONVENE_SMTP_PASSWORD, a CA from CONVENE_SMTP_CA_FILE.
#include <spdlog/spdlog.h>

#include <chrono>
#include <ctime>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>
#include <vector>

#include "calendar/store/db.h"
#include "notify/notices.h"
#include "notify/outbox.h"
#include "notify/smtp_mailer.h"
#include "notify/spool_mailer.h"
#include "notify/worker.h"
#include "tests/notify_fixtures.h"

using namespace convene;
using namespace convene::notify;
using nlohmann::json;

namespace {

struct Args {
  std::string command;
  std::multimap<std::string, std::string> opts;
  std::string Get(const std::string& k, const std::string& def = "") const {
    auto it = opts.find(k);
    return it == opts.end() ? def : it->second;
  }
  int64_t Int(const std::string& k, int64_t def) const {
    auto it = opts.find(k);
    return it == opts.end() ? def : std::stoll(it->second);
  }
  bool Has(const std::string& k) const { return opts.count(k) > 0; }
  std::vector<std::string> All(const std::string& k) const {
    std::vector<std::string> v;
    for (auto [a, b] = opts.equal_range(k); a != b; ++a) v.push_back(a->second);
    return v;
  }
};

Args Parse(int argc, char** argv) {
  Args a;
  if (argc > 1) a.command = argv[1];
  for (int i = 2; i < argc; ++i) {
    std::string k = argv[i];
    if (k.rfind("--", 0) != 0) continue;
    k = k.substr(2);
    if (i + 1 < argc && std::string(argv[i + 1]).rfind("--", 0) != 0) {
      a.opts.emplace(k, argv[++i]);
    } else {
      a.opts.emplace(k, "1");
    }
  }
  return a;
}

int64_t Now() { return static_cast<int64_t>(std::time(nullptr)); }

int Fail(const Status& st) {
  std::cerr << "notify_driver: " << st.ToString() << "\n";
  return 2;
}

std::unique_ptr<calendar::store::Db> OpenDb(const Args& a) {
  auto db = calendar::store::Db::Open(a.Get("db"));
  if (!db.ok()) {
    Fail(db.status());
    std::exit(2);
  }
  return std::move(db).value();
}

int Enqueue(const Args& a) {
  auto db = OpenDb(a);
  const int64_t n = a.Int("count", 10);
  const int64_t every = a.Int("invitations-every", 0);
  std::vector<Recipient> members;
  for (int i = 1; i <= n; ++i) {
    auto d =
        every > 0 && i % every == 0 ? calendar::Delivery::kInvitations : calendar::Delivery::kFeed;
    members.push_back(notify::testing::SampleMember(i, d));
  }
  int extra = 0;
  for (const std::string& addr : a.All("rcpt")) {
    Recipient r = notify::testing::SampleMember(static_cast<int>(n) + ++extra);
    r.email = addr;
    members.push_back(r);
  }
  MeetingChange change = notify::testing::SampleVenueChange(members);
  change.render_invitation = notify::testing::HandMadeRenderer();
  NoticeOptions opt;
  opt.base_url = "https://convene.example";
  opt.delay_seconds = a.Int("delay", 0);
  auto tx = db->Write();
  if (!tx.ok()) return Fail(tx.status());
  auto counts = QueueMeetingChange(*tx, change, opt, Now());
  if (!counts.ok()) return Fail(counts.status());
  Status st = tx->Commit();
  if (!st.ok()) return Fail(st);
  std::cout << json{{"queued", counts->queued}, {"skipped", counts->skipped}}.dump() << "\n";
  return 0;
}

Result<OutboxCounts> Counts(calendar::store::Db& db) {
  ASSIGN_OR_RETURN(calendar::store::Tx tx, db.Read());
  return CountOutbox(tx, Now());
}

int Run(const Args& a) {
  auto db = OpenDb(a);
  std::unique_ptr<Mailer> mailer;
  if (a.Has("smtp")) {
    SmtpOptions o = SmtpOptionsFromEnvironment(a.Get("smtp"), a.Has("starttls"));
    o.connect_timeout_s = 2;
    o.timeout_s = 10;
    mailer = std::make_unique<SmtpMailer>(o);
  } else {
    mailer = std::make_unique<SpoolMailer>(a.Get("spool"));
  }
  WorkerOptions w;
  w.retry.first_retry_s = a.Int("first-retry", 1);
  w.retry.max_retry_s = a.Int("max-retry", 4);
  w.retry.lifetime_s = a.Int("lifetime", 3600);
  w.retry.relay_pause_s = a.Int("relay-pause", 1);
  w.retry.relay_pause_max_s = a.Int("relay-pause-max", 4);
  w.lease_seconds = a.Int("lease", 2);
  w.claim_batch = static_cast<int>(a.Int("batch", 4));
  w.poll_s = 1;
  Worker worker(*db, *mailer, &Now, w);
  worker.Start();
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(a.Int("max-seconds", 60));
  bool drained = false;
  while (std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    if (!a.Has("until-drained")) continue;
    auto c = Counts(*db);
    if (c.ok() && c->queued == 0) {
      drained = true;
      break;
    }
  }
  worker.Stop();
  const WorkerStats s = worker.stats();
  auto c = Counts(*db);
  json out{{"drained", drained},   {"sends", s.sends},       {"sent_now", s.sent},
           {"retried", s.retried}, {"failed_now", s.failed}, {"relay_pauses", s.relay_pauses}};
  if (c.ok()) {
    out["queued"] = c->queued;
    out["sent"] = c->sent;
    out["failed"] = c->failed;
  }
  std::cout << out.dump() << "\n";
  return drained || !a.Has("until-drained") ? 0 : 1;
}

int CountsCmd(const Args& a) {
  auto db = OpenDb(a);
  auto c = Counts(*db);
  if (!c.ok()) return Fail(c.status());
  auto ok = db->IntegrityOk();
  std::cout << json{{"queued", c->queued}, {"sent", c->sent},
                    {"failed", c->failed}, {"superseded", c->superseded},
                    {"leased", c->leased}, {"integrity_ok", ok.ok() && *ok}}
                   .dump()
            << "\n";
  return 0;
}

int List(const Args& a) {
  auto db = OpenDb(a);
  auto tx = db->Read();
  if (!tx.ok()) return Fail(tx.status());
  std::optional<OutboxStatus> status;
  if (a.Has("status")) status = ParseOutboxStatus(a.Get("status"));
  auto rows = ListOutbox(*tx, {notify::testing::SampleGroup().id}, status);
  if (!rows.ok()) return Fail(rows.status());
  for (const OutboxEntry& e : *rows) {
    json j{{"id", e.id},
           {"to", e.to},
           {"subject", e.subject},
           {"status", e.status},
           {"attempts", e.attempts},
           {"last_error", e.last_error}};
    j["next_attempt_at"] = e.next_attempt_at ? json(*e.next_attempt_at) : json(nullptr);
    std::cout << j.dump() << "\n";
  }
  return 0;
}

int Bodies(const Args& a) {
  auto db = OpenDb(a);
  auto tx = db->Read();
  if (!tx.ok()) return Fail(tx.status());
  calendar::store::Stmt s = tx->Prepare(
      "SELECT id, message_id, status, envelope_from, recipient, body FROM outbox ORDER BY id");
  while (s.Step()) {
    std::cout << json{{"id", s.Int(0)},         {"message_id", s.Text(1)},
                      {"status", s.Text(2)},    {"envelope_from", s.Text(3)},
                      {"recipient", s.Text(4)}, {"body", s.Text(5)}}
                     .dump()
              << "\n";
  }
  return s.status().ok() ? 0 : Fail(s.status());
}

int Raw(const Args& a) {
  std::ifstream f(a.Get("file"), std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  SmtpMailer mailer(SmtpOptionsFromEnvironment(a.Get("smtp"), a.Has("starttls")));
  Status st = mailer.Send(Envelope{a.Get("from"), a.Get("to"), "<raw@test>"}, ss.str());
  std::cout << json{{"ok", st.ok()},
                    {"transient", IsTransient(st)},
                    {"relay_down", IsRelayDown(st)},
                    {"message", st.message()}}
                   .dump()
            << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  spdlog::set_level(std::getenv("NOTIFY_DRIVER_QUIET") ? spdlog::level::warn : spdlog::level::info);
  Args a = Parse(argc, argv);
  if (a.command == "enqueue") return Enqueue(a);
  if (a.command == "run") return Run(a);
  if (a.command == "counts") return CountsCmd(a);
  if (a.command == "list") return List(a);
  if (a.command == "bodies") return Bodies(a);
  if (a.command == "raw") return Raw(a);
  std::cerr << "usage: notify_driver enqueue|run|counts|list|bodies|raw ... (see the source)\n";
  return 2;
}
