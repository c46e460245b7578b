#include "tools/serve_flags.h"

#include <algorithm>
#include <cmath>
#include <iterator>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "tools/flag_values.h"

namespace convey {
namespace tools {

const char kServeUsage[] =
    "usage: convey serve [FILE...] [--listen HOST:PORT] [--api-key LOGIN:SECRET]...\n"
    "                            [--api-keys FILE] [--store DIR [--durability sync|async]]\n"
    "                            [--env NAME=VALUE]... [--env-file FILE.json] [--threads N]\n"
    "                            [options]\n"
    "  Deploys the scheme FILEs and serves the platform's task API over HTTP\n"
    "  (docs/serve.md) until SIGTERM or SIGINT, then drains and stops.\n"
    "  --listen HOST:PORT     where to listen (default 127.0.0.1:8080; [::1]:8080;\n"
    "                         port 0: any free port, printed at start)\n"
    "  --api-key LOGIN:SECRET an API login and its secret (repeatable)\n"
    "  --api-keys FILE        API keys, one LOGIN:SECRET per line (# comments)\n"
    "  --console-writer LOGIN the web console (GET /) lets this login pause and\n"
    "                         resume processes, move and delete tasks (repeatable;\n"
    "                         every other login only reads there)\n"
    "  --no-console           turn the web console off (it is on when an API\n"
    "                         login exists: sign in with LOGIN and SECRET)\n"
    "  --store DIR            keep tasks in a durable store in DIR; an answered\n"
    "                         create survives a crash\n"
    "  --durability MODE      with --store: sync (default) or async\n"
    "  --env NAME=VALUE       a project variable (repeatable); --env-file FILE.json\n"
    "  --webhooks FILE.json   deliver task events (finished, error, parked at a node)\n"
    "                         to URLs, signed and retried (docs/serve.md)\n"
    "  --threads N            engine worker threads (default 0: one per core)\n"
    "  --io-threads N         HTTP I/O threads (default 2)\n"
    "  --handler-threads N    run requests on N threads apart from I/O (default:\n"
    "                         64 with a synced store, else 0: on the I/O threads)\n"
    "  --rate-limit N         requests a second per API login (token bucket; 429\n"
    "                         with Retry-After beyond it); --rate-burst N: bucket size\n"
    "  --signature-window SEC refuse signed requests whose time is further than\n"
    "                         SEC from the server's (default 600)\n"
    "  --direct-url-secret S  turn on direct URLs (POST /api/1/json/public/{conv_id}/\n"
    "                         {hash}, hash = sha1(S:conv_id)); printed at start\n"
    "  --max-body-bytes N     larger request bodies get 413 (default 67108864)\n"
    "  --max-connections N    open connections at once (default 1024)\n"
    "  --header-timeout SEC   a request head must arrive within SEC (default 10)\n"
    "  --body-timeout SEC     its body within SEC of the head (default 60)\n"
    "  --drain-timeout SEC    on SIGTERM, wait this long for requests in flight\n"
    "                         (default 30)\n"
    "  --allow-net NET,...    api calls may reach these private networks or hosts\n"
    "  --allow-private-net    api calls may reach every address\n"
    "  exit status: 0 stopped by a signal, 1 cannot start, 2 usage error\n";

bool ParseListenAddress(const std::string& text, std::string* host, int* port) {
  size_t colon = text.rfind(':');
  if (colon == std::string::npos) return false;
  std::string name = text.substr(0, colon);
  if (absl::StartsWith(name, "[")) {
    if (!absl::EndsWith(name, "]") || name.size() < 3) return false;
    name = name.substr(1, name.size() - 2);
  } else if (name.find(':') != std::string::npos) {
    return false;  // IPv6 needs brackets
  }
  int64_t number = 0;
  if (!ParseWholeNumber(absl::string_view(text).substr(colon + 1), 0, 65535, &number)) {
    return false;
  }
  *host = name.empty() ? "127.0.0.1" : name;
  *port = static_cast<int>(number);
  return true;
}

std::optional<std::string> ParseServeFlags(const std::vector<std::string>& args, ServeFlags& flags,
                                           bool& help) {
  CommandLine line;
  if (auto usage = SplitCommandLine(
          args, {"--listen",         "--api-key",          "--api-keys",
                 "--store",          "--durability",       "--env",
                 "--env-file",       "--allow-net",        "--threads",
                 "--io-threads",     "--handler-threads",  "--rate-limit",
                 "--rate-burst",     "--signature-window", "--direct-url-secret",
                 "--max-body-bytes", "--max-connections",  "--header-timeout",
                 "--body-timeout",   "--drain-timeout",    "--console-writer",
                 "--webhooks"},
          {"--allow-private-net", "--no-console"},
          {"--api-key", "--api-keys", "--env", "--allow-net", "--console-writer"}, &line)) {
    return usage;
  }
  if (line.help) {
    help = true;
    return std::nullopt;
  }
  flags.files = line.positional;
  for (const auto& option : line.options) {
    const std::string& name = option.first;
    const std::string* value = &option.second;
    if (name == "--allow-private-net") {
      flags.allow_private_net = true;
      continue;
    }
    if (name == "--no-console") {
      flags.console = false;
      continue;
    }
    auto whole = [&](int64_t min, int64_t max, int64_t* out) -> std::optional<std::string> {
      if (ParseWholeNumber(*value, min, max, out)) return std::nullopt;
      return absl::StrCat(name, " wants a whole number from ", min, " to ", max, ", not \"", *value,
                          "\"");
    };
    auto seconds = [&](absl::Duration* out) -> std::optional<std::string> {
      if (ParseSeconds(*value, out)) return std::nullopt;
      return absl::StrCat(name, " wants a number of seconds > 0, not \"", *value, "\"");
    };
    std::optional<std::string> problem;
    if (name == "--listen") {
      if (!ParseListenAddress(*value, &flags.host, &flags.port)) {
        problem =
            absl::StrCat("--listen wants HOST:PORT ([::1]:8080 for IPv6), not \"", *value, "\"");
      }
    } else if (name == "--api-key") {
      flags.api_keys.push_back(*value);
    } else if (name == "--api-keys") {
      flags.api_key_files.push_back(*value);
    } else if (name == "--console-writer") {
      flags.console_writers.push_back(*value);
    } else if (name == "--store") {
      if (value->empty()) problem = "--store wants a directory";
      flags.store = *value;
    } else if (name == "--durability") {
      if (*value != "sync" && *value != "async") {
        problem = absl::StrCat("--durability wants sync or async, not \"", *value, "\"");
      }
      flags.durability = *value;
    } else if (name == "--env") {
      flags.env.push_back(*value);
    } else if (name == "--webhooks") {
      if (value->empty()) problem = "--webhooks wants a JSON file";
      flags.webhooks_file = *value;
    } else if (name == "--env-file") {
      flags.env_file = *value;
    } else if (name == "--allow-net") {
      for (absl::string_view part : absl::StrSplit(*value, ',')) {
        std::string entry(part);
        if ((problem = CheckAllowNetEntry(entry))) break;
        flags.allow_net.push_back(std::move(entry));
      }
    } else if (name == "--threads") {
      problem = whole(0, 1024, &flags.threads);
    } else if (name == "--io-threads") {
      problem = whole(1, 64, &flags.io_threads);
    } else if (name == "--handler-threads") {
      int64_t n = 0;
      problem = whole(0, 4096, &n);
      flags.handler_threads = n;
    } else if (name == "--rate-limit") {
      double rate = 0;
      if (!absl::SimpleAtod(*value, &rate) || !std::isfinite(rate) || rate <= 0 || rate > 1e9) {
        problem = absl::StrCat("--rate-limit wants requests a second > 0, not \"", *value, "\"");
      }
      flags.rate_limit = rate;
    } else if (name == "--rate-burst") {
      problem = whole(1, int64_t{1} << 40, &flags.rate_burst);
    } else if (name == "--signature-window") {
      problem = seconds(&flags.signature_window);
    } else if (name == "--direct-url-secret") {
      if (value->empty()) problem = "--direct-url-secret wants a secret";
      flags.direct_url_secret = *value;
    } else if (name == "--max-body-bytes") {
      problem = whole(1, int64_t{1} << 32, &flags.max_body_bytes);
    } else if (name == "--max-connections") {
      problem = whole(1, 1 << 20, &flags.max_connections);
    } else if (name == "--header-timeout") {
      problem = seconds(&flags.header_timeout);
    } else if (name == "--body-timeout") {
      problem = seconds(&flags.body_timeout);
    } else {
      problem = seconds(&flags.drain_timeout);
    }
    if (problem) return problem;
  }
  if (flags.durability && !flags.store) return "--durability needs --store DIR";
  if (!flags.console && !flags.console_writers.empty()) {
    return "--console-writer needs the console; drop --no-console";
  }
  if (flags.rate_burst != 0 && flags.rate_limit == 0) return "--rate-burst needs --rate-limit";
  if (flags.allow_private_net && !flags.allow_net.empty()) {
    return "--allow-private-net already allows every address; use one of it and --allow-net";
  }
  return std::nullopt;
}

}  // namespace tools
}  // namespace convey
