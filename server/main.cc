// convene: the command line (docs/api.md). Thin: flags -> Config -> App -> serve.
//
//   convene serve --db PATH --listen HOST:PORT --base-url URL [--smtp URL | --spool DIR]
//                 [--notice-delay SECONDS] [--config FILE]
//   convene admin token --db PATH --organiser EMAIL [--name NAME]
//   convene admin password --db PATH --organiser EMAIL     (the password: first line of stdin)
//   convene demo --db PATH [--size small|large|meetings:N|members:N] [--seed N] [--first-year Y]
//
// Every serve option also comes from CONVENE_<NAME> (e.g. CONVENE_BASE_URL) or the config file.
// Bad options or an unusable database: one line on stderr and exit status 2 (usage) or 1.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <toml++/toml.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <thread>

#include "calendar/store/db.h"
#include "server/app/app.h"
#include "server/app/demo.h"
#include "server/app/generate.h"
#include "server/http/logging.h"

namespace {

constexpr const char* kVersion = "0.2.0";

using convene::Status;
using convene::server::App;
using convene::server::Config;

int Fail(const std::string& message, int code = 1) {
  std::fprintf(stderr, "convene: %s\n", message.c_str());
  return code;
}

// Creates the folder that will hold the database, so a first run needs no mkdir.
Status EnsureParent(const std::string& db) {
  if (convene::calendar::store::IsPostgresUri(db)) return Status::Ok();
  std::error_code ec;
  auto parent = std::filesystem::path(db).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  if (ec)
    return Status(convene::Code::kUnavailable,
                  "cannot create " + parent.string() + ": " + ec.message());
  return Status::Ok();
}

// Fills every serve option not already given on the command line or in the environment from a
// TOML file of `option-name = value` lines (the long option names, e.g. base-url = "...").
Status ApplyConfigFile(CLI::App* serve, const std::string& path) {
  toml::table table;
  try {
    table = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    return convene::InvalidArgument("config", "config file " + path + ": " +
                                                  std::string(e.description()) + " at line " +
                                                  std::to_string(e.source().begin.line));
  } catch (const std::exception& e) {
    return convene::InvalidArgument("config", "cannot read config file " + path);
  }
  for (const auto& [key, node] : table) {
    const std::string name(key.str());
    CLI::Option* opt = serve->get_option_no_throw("--" + name);
    if (opt == nullptr || name == "config")
      return convene::InvalidArgument("config",
                                      "config file " + path + ": unknown option '" + name + "'");
    if (opt->count() > 0) continue;  // the command line and the environment win
    std::string value;
    if (auto s = node.value<std::string>())
      value = *s;
    else if (auto i = node.value<int64_t>())
      value = std::to_string(*i);
    else if (auto b = node.value<bool>())
      value = *b ? "true" : "false";
    else
      return convene::InvalidArgument(
          "config", "config file " + path + ": '" + name + "' must be a string or number");
    opt->add_result(value);
    try {
      opt->run_callback();
    } catch (const CLI::Error& e) {
      return convene::InvalidArgument("config",
                                      "config file " + path + ": " + name + ": " + e.what());
    }
  }
  return Status::Ok();
}

// Connections waiting between requests cost a file descriptor each (server/http/listener.h):
// take the hard limit rather than the usual soft 1024.
void RaiseFileLimit() {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    setrlimit(RLIMIT_NOFILE, &lim);
  }
}

int Serve(Config config) {
  if (Status st = EnsureParent(config.db); !st.ok()) return Fail(st.message());
  auto app = App::Create(config);
  if (!app.ok()) return Fail(app.status().message());
  if (Status st = (*app)->Bind(); !st.ok()) return Fail(st.message());
  spdlog::info("convene {} starting: {}", kVersion, (*app)->config().Describe());
  if (config.listens_beyond_loopback() && config.trusted_proxies.empty())
    spdlog::warn(
        "listening on {} beyond loopback with no --trusted-proxy: put nginx in front "
        "(deploy/nginx/) for TLS and per-client limits; every client is keyed by its TCP address",
        config.listen);
  if (!config.lmtp.empty() && !convene::server::IsLoopback(config.lmtp_host()))
    spdlog::warn(
        "LMTP listens on {} beyond loopback: LMTP has no authentication, so only the MTA may be "
        "able to reach it (a firewall, or a private address)",
        config.lmtp);
  RaiseFileLimit();

  // Stop cleanly on SIGINT/SIGTERM, reopen the log file on SIGHUP (logrotate): a dedicated
  // thread waits for them.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  App* raw = app->get();
  std::thread signals([raw, set] {
    for (;;) {
      int sig = 0;
      sigwait(&set, &sig);
      if (sig == SIGHUP) {
        convene::server::logging::Reopen();
        spdlog::info("signal {}: log file reopened", sig);
        continue;
      }
      spdlog::info("signal {}: stopping", sig);
      raw->Stop();
      return;
    }
  });
  signals.detach();

  const std::string& base = raw->config().base_url;
  std::printf("convene is serving on http://%s:%d\n", raw->config().listen_host().c_str(),
              raw->port());
  std::printf("  health:      %s/healthz\n", base.c_str());
  std::printf("  demo feed:   %s/feeds/groups/futures.ics\n", base.c_str());
  std::printf("  demo group:  %s/groups/futures\n", base.c_str());
  if (raw->lmtp_port() > 0)
    std::printf("  lmtp:        %s:%d (replies to @%s)\n", raw->config().lmtp_host().c_str(),
                raw->lmtp_port(), raw->config().effective_reply_domain().c_str());
  std::fflush(stdout);
  if (!raw->Run()) return Fail("the HTTP server stopped with an error");
  spdlog::info("stopped");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App cli{"convene: meeting scheduling and venue calendars"};
  cli.require_subcommand(1);
  cli.set_version_flag("--version", std::string("convene ") + kVersion);
  cli.set_help_all_flag("--help-all");

  Config config;
  auto* serve = cli.add_subcommand("serve", "serve the API, feeds and pages");
  std::string config_file;
  serve
      ->add_option("--config", config_file,
                   "TOML file of option = value lines (see deploy/convene.conf)")
      ->envname("CONVENE_CONFIG");
  serve
      ->add_option("--db", config.db,
                   "SQLite database file (created if missing), or a postgresql:// URI")
      ->envname("CONVENE_DB");
  serve->add_option("--listen", config.listen, "HOST:PORT to listen on")->envname("CONVENE_LISTEN");
  serve->add_option("--base-url", config.base_url, "public origin used in links")
      ->envname("CONVENE_BASE_URL");
  serve
      ->add_option("--smtp", config.smtp,
                   "smtp://host:port or smtps://host:port (credentials: "
                   "CONVENE_SMTP_USER / CONVENE_SMTP_PASSWORD)")
      ->envname("CONVENE_SMTP");
  serve->add_option("--spool", config.spool, "folder for .eml files when --smtp is not set")
      ->envname("CONVENE_SPOOL");
  serve
      ->add_option("--notice-delay", config.notice_delay,
                   "seconds in which edits coalesce into one notice")
      ->envname("CONVENE_NOTICE_DELAY");
  serve->add_flag("--smtp-starttls", config.smtp_starttls, "require STARTTLS on an smtp:// relay")
      ->envname("CONVENE_SMTP_STARTTLS");
  const struct {
    const char* flag;
    int* value;
    const char* env;
    const char* help;
  } int_options[] = {
      {"--mail-first-retry", &config.mail_first_retry, "CONVENE_MAIL_FIRST_RETRY",
       "seconds before the first retry of a deferred notice (then doubling)"},
      {"--mail-max-retry", &config.mail_max_retry, "CONVENE_MAIL_MAX_RETRY",
       "longest wait between retries, seconds"},
      {"--mail-lifetime", &config.mail_lifetime, "CONVENE_MAIL_LIFETIME",
       "seconds after which an undeliverable notice fails"},
      {"--mail-relay-pause", &config.mail_relay_pause, "CONVENE_MAIL_RELAY_PAUSE",
       "seconds to pause an unreachable relay (then doubling)"},
      {"--mail-relay-pause-max", &config.mail_relay_pause_max, "CONVENE_MAIL_RELAY_PAUSE_MAX",
       "longest relay pause, seconds"},
      {"--mail-lease", &config.mail_lease, "CONVENE_MAIL_LEASE",
       "seconds a notice being sent stays reserved (a crash mid-send frees it after this)"},
      {"--request-head-timeout", &config.request_head_timeout_s, "CONVENE_REQUEST_HEAD_TIMEOUT",
       "seconds a client has to send a request's headers (else 408)"},
      {"--request-body-timeout", &config.request_body_timeout_s, "CONVENE_REQUEST_BODY_TIMEOUT",
       "seconds a client has to send a request's body"},
  };
  for (const auto& o : int_options) serve->add_option(o.flag, *o.value, o.help)->envname(o.env);
  serve->add_option("--threads", config.threads, "HTTP worker threads")->envname("CONVENE_THREADS");
  serve
      ->add_option("--metrics-token", config.metrics_token,
                   "Bearer token for GET /metrics (default: only this machine may read it)")
      ->envname("CONVENE_METRICS_TOKEN");
  serve->add_option("--metrics", config.metrics, "count requests for /metrics (true/false)")
      ->envname("CONVENE_METRICS");
  serve->add_option("--log-file", config.log_file, "append logs here (reopened on SIGHUP)")
      ->envname("CONVENE_LOG_FILE");
  serve->add_option("--log-format", config.log_format, "text or json")
      ->envname("CONVENE_LOG_FORMAT");
  serve
      ->add_option("--trusted-proxy", config.trusted_proxies,
                   "comma-separated addresses of reverse proxies whose X-Real-IP names the client")
      ->envname("CONVENE_TRUSTED_PROXY");
  serve
      ->add_option("--lmtp", config.lmtp,
                   "HOST:PORT to accept replies from calendars over LMTP (from the MTA)")
      ->envname("CONVENE_LMTP");
  serve
      ->add_option("--reply-domain", config.reply_domain,
                   "domain of the reply addresses (default: the host of --base-url)")
      ->envname("CONVENE_REPLY_DOMAIN");
  serve
      ->add_option("--feed-refresh-minutes", config.feed_refresh_minutes,
                   "REFRESH-INTERVAL of feeds")
      ->envname("CONVENE_FEED_REFRESH_MINUTES");

  auto* admin = cli.add_subcommand("admin", "administration");
  admin->require_subcommand(1);
  auto* token =
      admin->add_subcommand("token", "print a new API token for an organiser (created if missing)");
  std::string token_db, organiser, name;
  token->add_option("--db", token_db, "SQLite database file or postgresql:// URI")
      ->required()
      ->envname("CONVENE_DB");
  token->add_option("--organiser", organiser, "the organiser's email")->required();
  token->add_option("--name", name, "the organiser's name");

  auto* password = admin->add_subcommand(
      "password", "set an organiser's web login password, read from stdin (created if missing)");
  std::string password_db, password_organiser;
  password->add_option("--db", password_db, "SQLite database file or postgresql:// URI")
      ->required()
      ->envname("CONVENE_DB");
  password->add_option("--organiser", password_organiser, "the organiser's email")->required();

  auto* backup = admin->add_subcommand(
      "backup", "write a consistent copy of a live SQLite database (the server may be running)");
  std::string backup_db, backup_to;
  backup->add_option("--db", backup_db, "SQLite database file")->required()->envname("CONVENE_DB");
  backup->add_option("--to", backup_to, "the new file to write (must not exist)")->required();

  auto* copy = admin->add_subcommand(
      "copy",
      "copy a live SQLite database into a new, empty PostgreSQL database (every table, ids and "
      "token hashes), then check the counts");
  std::string copy_from, copy_to;
  copy->add_option("--from", copy_from, "SQLite database file")->required();
  copy->add_option("--to", copy_to, "postgresql:// URI of an empty database (password: PGPASSWORD)")
      ->required();

  auto* demo = cli.add_subcommand(
      "demo",
      "load the demo group (the seed minutes' futures group), or generate an organisation for "
      "benchmarks (--size), into the database");
  std::string demo_db;
  demo->add_option("--db", demo_db, "SQLite database file or postgresql:// URI")
      ->required()
      ->envname("CONVENE_DB");
  convene::server::GenerateOptions generate;
  std::string demo_size = "small";
  demo->add_option("--size", demo_size,
                   "small (the demo group), large (10,000 members, 500 groups, 50 venues, 10 "
                   "years), meetings:N (one group, N meetings) or members:N (one group, N members)")
      ->check([](const std::string& v) -> std::string {
        if (v == "small") return "";
        Status st = convene::server::ValidateGeneratedSize(v);
        return st.ok() ? "" : st.message();
      });
  demo->add_option("--seed", generate.seed, "seed of a generated size (same seed, same rows)");
  demo->add_option("--first-year", generate.first_year,
                   "first of the ten years of a generated size (default: five years ago)");

  try {
    cli.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return cli.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return cli.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return cli.exit(e);
  } catch (const CLI::ParseError& e) {
    std::string what = e.what();
    return Fail(what + " (see convene --help)", 2);
  }

  // Logs go to stderr (or --log-file), so stdout carries only what commands print for scripts.
  (void)convene::server::logging::Setup("", convene::server::logging::Format::kText);

  if (*serve) {
    if (!config_file.empty()) {
      if (Status st = ApplyConfigFile(serve, config_file); !st.ok()) return Fail(st.message(), 2);
    }
    if (serve->get_option("--base-url")->empty()) {
      // No public origin given: links name the address convene listens on (issue 12 bug 12),
      // loopback when it listens on every interface.
      const size_t colon = config.listen.rfind(':');
      if (colon != std::string::npos) {
        std::string host = config.listen.substr(0, colon);
        if (host.empty() || host == "0.0.0.0" || host == "[::]" || host == "::") host = "127.0.0.1";
        config.base_url = "http://" + host + config.listen.substr(colon);
      }
    }
    auto format = convene::server::logging::ParseFormat(config.log_format);
    if (!format.ok()) return Fail(format.status().message(), 2);
    if (Status st = convene::server::logging::Setup(config.log_file, *format); !st.ok())
      return Fail(st.message(), 2);
    return Serve(config);
  }
  if (*backup) {
    if (backup_db.rfind("postgresql://", 0) == 0 || backup_db.rfind("postgres://", 0) == 0)
      return Fail("back up a PostgreSQL database with pg_dump; admin backup copies SQLite files");
    if (Status st = convene::calendar::store::BackupDatabase(backup_db, backup_to); !st.ok())
      return Fail(st.message());
    std::fprintf(stderr, "convene: backup of %s written to %s\n", backup_db.c_str(),
                 backup_to.c_str());
    return 0;
  }

  if (*copy) {
    namespace st = convene::calendar::store;
    if (st::IsPostgresUri(copy_from)) return Fail("--from must be an SQLite database file", 2);
    if (!st::IsPostgresUri(copy_to)) return Fail("--to must be a postgresql:// URI", 2);
    if (::access(copy_from.c_str(), R_OK) != 0) return Fail("no database at " + copy_from, 2);
    auto from = st::Db::Open(copy_from);
    if (!from.ok()) return Fail(from.status().message());
    auto to = st::Db::Open(copy_to);
    if (!to.ok()) return Fail(to.status().message());
    auto copied = st::CopyDatabase(**from, **to);
    if (!copied.ok()) return Fail(copied.status().message());
    int64_t rows = 0;
    for (const st::TableCopy& t : *copied) {
      std::printf("%-16s %8lld rows\n", t.table.c_str(), static_cast<long long>(t.rows_to));
      rows += t.rows_to;
    }
    std::fprintf(stderr, "convene: copied %lld rows of %s into %s; every table's count matches\n",
                 static_cast<long long>(rows), copy_from.c_str(), (*to)->path().c_str());
    return 0;
  }

  // admin token and demo only need the database.
  auto open_ops = [](const std::string& db) -> convene::Result<convene::server::Offline> {
    if (Status st = EnsureParent(db); !st.ok()) return st;
    return convene::server::OpenOffline(db);
  };
  if (*token) {
    auto app = open_ops(token_db);
    if (!app.ok()) return Fail(app.status().message());
    auto t = app->ops->IssueApiToken(organiser, name);
    if (!t.ok()) return Fail(t.status().message());
    std::printf("%s\n", t->c_str());
    return 0;
  }
  if (*password) {
    std::string secret;
    if (!std::getline(std::cin, secret) && secret.empty())
      return Fail(
          "no password on stdin (e.g. printf '%s\\n' \"$PW\" | convene admin password ...)");
    if (!secret.empty() && secret.back() == '\r') secret.pop_back();
    auto app = open_ops(password_db);
    if (!app.ok()) return Fail(app.status().message());
    if (Status st = app->ops->SetPassword(password_organiser, secret); !st.ok())
      return Fail(st.message());
    std::fprintf(stderr, "convene: password set for %s\n", password_organiser.c_str());
    return 0;
  }
  if (*demo) {
    if (demo_size != "small") {
      if (Status st = EnsureParent(demo_db); !st.ok()) return Fail(st.message());
      auto db = convene::calendar::store::Db::Open(demo_db);
      if (!db.ok()) return Fail(db.status().message());
      generate.size = demo_size;
      const auto started = std::chrono::steady_clock::now();
      auto r = convene::server::GenerateOrganisation(**db, generate);
      if (!r.ok()) return Fail("demo: " + r.status().message(), r.status().field().empty() ? 1 : 2);
      const double seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
      std::fprintf(stderr, "convene: %s, in %.1f s\n", r->message.c_str(), seconds);
      return 0;
    }
    auto app = open_ops(demo_db);
    if (!app.ok()) return Fail(app.status().message());
    // Offline: no notice hooks, so the demo's people (at example.org) get no welcome or
    // apology notices that a later --smtp would try to send.
    auto r = convene::server::LoadDemo(*app->ops);
    if (!r.ok()) return Fail("demo: " + r.status().ToString());
    std::fprintf(stderr, "convene: %s\n", r->message.c_str());
    return 0;
  }
  return Fail("nothing to do (see convene --help)", 2);
}
