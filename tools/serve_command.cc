#include "tools/serve_command.h"

#include <signal.h>

#include <memory>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "convey/engine.h"
#include "convey/http.h"
#include "runtime/serve/api_service.h"
#include "runtime/serve/http_server.h"
#include "runtime/serve/serve_metrics.h"
#include "tools/project_variables.h"
#include "tools/run_flags.h"
#include "tools/serve_flags.h"
#include "tools/webhooks_file.h"

namespace convey {
namespace tools {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitFailed = 1;
constexpr int kExitUsage = 2;

int Failure(absl::string_view problem, std::ostream& err) {
  err << "convey serve: " << problem << "\n";
  return kExitFailed;
}

std::string UrlHost(const std::string& host) {
  return host.find(':') != std::string::npos ? absl::StrCat("[", host, "]") : host;
}

}  // namespace

int RunServe(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  ServeFlags flags;
  bool help = false;
  if (auto usage = ParseServeFlags(args, flags, help)) {
    err << "convey serve: " << *usage << "\n" << kServeUsage;
    return kExitUsage;
  }
  if (help) {
    out << kServeUsage;
    return kExitOk;
  }
  // Every thread started from here on inherits the blocked signals; the
  // main thread takes them with sigwait.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  serve::ApiServiceOptions service_options;
  for (const std::string& key : flags.api_keys) {
    if (absl::Status added = service_options.keys.Add(key, "--api-key"); !added.ok()) {
      return Failure(added.message(), err);
    }
  }
  for (const std::string& file : flags.api_key_files) {
    if (absl::Status added = service_options.keys.AddFile(file); !added.ok()) {
      return Failure(added.message(), err);
    }
  }
  for (const std::string& login : flags.console_writers) {
    if (absl::Status allowed = service_options.keys.AllowConsoleWrites(login, "--console-writer");
        !allowed.ok()) {
      return Failure(allowed.message(), err);
    }
  }
  service_options.console = flags.console;
  service_options.signature_window = flags.signature_window;
  service_options.rate_limit.per_second = flags.rate_limit;
  service_options.rate_limit.burst = flags.rate_burst;
  service_options.direct_url_secret = flags.direct_url_secret;

  Variables variables;
  if (flags.env_file) {
    if (auto problem = ReadVariablesFile(*flags.env_file, &variables))
      return Failure(*problem, err);
  }
  if (auto problem = ApplyVariableFlags(flags.env, &variables)) {
    err << "convey serve: " << *problem << "\n" << kServeUsage;
    return kExitUsage;
  }
  std::vector<std::string> allowed_networks;
  if (auto problem = ResolveAllowedNetworks(flags.allow_net, &allowed_networks)) {
    return Failure(*problem, err);
  }

  std::vector<WebhookSubscription> webhooks;
  if (flags.webhooks_file) {
    if (auto problem = ReadWebhooksFile(*flags.webhooks_file, &webhooks)) {
      return Failure(*problem, err);
    }
  }
  serve::ServeMetrics metrics(Clock::Real());
  absl::StatusOr<std::unique_ptr<HttpTransport>> transport = NewCurlTransport();
  if (!transport.ok()) return Failure(transport.status().message(), err);
  serve::MeteredTransport metered(transport->get(), &metrics);

  EngineOptions options;
  options.worker_threads = static_cast<int>(flags.threads);
  options.observer = &metrics;
  options.http_transport = &metered;
  options.variables = std::move(variables);
  options.api_refuse_private_addresses = !flags.allow_private_net;
  options.api_allowed_networks = std::move(allowed_networks);
  options.webhooks = std::move(webhooks);
  if (flags.store) {
    options.store_directory = *flags.store;
    options.durability =
        flags.durability.value_or("sync") == "async" ? Durability::kAsync : Durability::kSync;
  }
  absl::StatusOr<std::unique_ptr<Engine>> opened = Engine::Open(options);
  if (!opened.ok()) {
    return Failure(absl::StrCat("cannot start the engine: ", opened.status().message()), err);
  }
  Engine& engine = **opened;
  if (const int64_t resumed = engine.Stats().tasks_recovered; resumed > 0) {
    err << "convey serve: resumed " << resumed << " task" << (resumed == 1 ? "" : "s") << " from "
        << *flags.store << "\n";
  }
  const bool no_keys = service_options.keys.empty();
  serve::ApiService service(engine, std::move(service_options), &metrics);
  for (const std::string& file : flags.files) {
    absl::StatusOr<DeployResult> deployed = service.DeployFile(file);
    if (!deployed.ok()) return Failure(deployed.status().message(), err);
    for (const Diagnostic& warning : deployed->warnings) {
      err << file << ": warning: " << warning.message << "\n";
    }
  }
  serve::HttpServerOptions server_options;
  server_options.host = flags.host;
  server_options.port = flags.port;
  server_options.io_threads = static_cast<int>(flags.io_threads);
  const bool synced = flags.store && options.durability == Durability::kSync;
  server_options.handler_threads =
      static_cast<int>(flags.handler_threads.value_or(synced ? 64 : 0));
  server_options.max_connections = static_cast<int>(flags.max_connections);
  server_options.max_body_bytes = static_cast<size_t>(flags.max_body_bytes);
  server_options.header_timeout = flags.header_timeout;
  server_options.body_timeout = flags.body_timeout;
  absl::StatusOr<std::unique_ptr<serve::HttpServer>> server =
      serve::HttpServer::Start(server_options, &service, &metrics);
  if (!server.ok()) return Failure(server.status().message(), err);

  const std::string base = absl::StrCat("http://", UrlHost(flags.host), ":", (*server)->port());
  out << "convey serve: listening on " << base << " (task API: POST " << base
      << "/api/2/json/{login}/{unixtime}/{signature})\n";
  if (no_keys) {
    out << "convey serve: no --api-key given: signed requests will be refused and the web "
           "console is off\n";
  } else if (flags.console) {
    out << "convey serve: web console at " << base
        << "/ (sign in with an API login and its secret)\n";
  }
  if (!flags.direct_url_secret.empty()) {
    for (const ProcessStats& process : engine.Stats().processes) {
      out << "  process " << process.conv_id << " \"" << process.title << "\": direct URL " << base
          << "/api/1/json/public/" << process.conv_id << "/"
          << service.DirectUrlHash(process.conv_id) << "\n";
    }
  }
  out.flush();

  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  err << "convey serve: " << (signal_number == SIGINT ? "SIGINT" : "SIGTERM")
      << ": draining (up to " << absl::FormatDuration(flags.drain_timeout) << ")\n";
  service.StartDraining();
  const int cut = (*server)->Drain(flags.drain_timeout);
  server->reset();
  // What the server accepted runs on until it parks, within the same
  // deadline; the rest stays at its node (in the store, with --store).
  if (absl::Status closed = engine.Close(flags.drain_timeout); !closed.ok()) {
    err << "convey serve: " << closed.message() << "\n";
  }
  err << "convey serve: stopped";
  if (cut > 0)
    err << " (" << cut << " connection" << (cut == 1 ? "" : "s") << " cut at the deadline)";
  err << "\n";
  return kExitOk;
}

}  // namespace tools
}  // namespace convey
