// Parsing of `convey run`'s options (run_flags.h).
#include "tools/run_flags.h"

#include <netdb.h>
#include <sys/socket.h>

#include <algorithm>
#include <cmath>
#include <iterator>
#include <memory>

#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "runtime/http/address_policy.h"
#include "tools/flag_values.h"

namespace convey {
namespace tools {

const char kRunUsage[] =
    "usage: convey run FILE... [--conv ID] [--tasks N] [--data JSON | --input "
    "FILE.jsonl]\n"
    "                          [--clock virtual|real] [--threads T] "
    "[--output FILE.jsonl]\n"
    "                          [--json] [--timeout SEC] [--env NAME=VALUE]...\n"
    "                          [--env-file FILE.json]\n"
    "                          [--allow-private-net | --allow-net NET,...]\n"
    "                          [--store DIR [--durability sync|async]]\n"
    "  Deploys the scheme FILEs into one engine, in order, creates tasks in "
    "one of\n"
    "  their processes, runs them until nothing can move (timers included) "
    "and\n"
    "  summarises where they ended.\n"
    "  --conv ID            the process to create tasks in (needed when the "
    "files\n"
    "                       hold several)\n"
    "  --tasks N            create N tasks (default 1; with --input, cycle "
    "through\n"
    "                       the file's tasks until N are created)\n"
    "  --data JSON          every task's data, a JSON object (default {})\n"
    "  --input FILE.jsonl   one task per line: a data object, or\n"
    "                       {\"ref\":\"...\",\"data\":{...}}\n"
    "  --clock virtual|real virtual (default): when nothing else can move, "
    "time\n"
    "                       jumps to the next timer, so a 30-day delay ends "
    "at once;\n"
    "                       real: the system clock, timers take their real "
    "time\n"
    "  --threads T          worker threads (default 0: one per hardware "
    "thread)\n"
    "  --output FILE.jsonl  after the run, write every task the engine holds, "
    "one\n"
    "                       JSON object per line\n"
    "  --json               print the summary as one JSON object\n"
    "  --timeout SEC        stop waiting after SEC seconds of wall time (the "
    "summary\n"
    "                       is still printed)\n"
    "  --env NAME=VALUE     a project variable, read by {{env_var[@NAME]}} "
    "(repeatable;\n"
    "                       a value that is a JSON object or array is JSON)\n"
    "  --env-file FILE.json project variables: a JSON object of names to "
    "values;\n"
    "                       --env overrides it\n"
    "  --store DIR          keep the tasks in a durable store in DIR (made if new);\n"
    "                       run again on DIR with --tasks 0 to resume what waits\n"
    "  --durability MODE    with --store: sync (default; every create is synced to\n"
    "                       disk before the next) or async (written, not synced)\n"
    "  api calls to private, loopback, link-local, carrier-grade NAT, unspecified\n"
    "  and cloud metadata addresses are refused (checked on the address connected\n"
    "  to, after DNS and redirects), unless allowed:\n"
    "  --allow-net NET,...  these networks (10.0.0.0/8, fd00::/8), addresses\n"
    "                       (127.0.0.1, ::1) or hosts (resolved once, at start);\n"
    "                       repeatable; other private addresses stay refused\n"
    "  --allow-private-net  every address: the check is off (trusted files only)\n"
    "  exit status: 0 ok, 1 scheme, input or output error, 2 usage error,\n"
    "  3 timeout\n";

absl::string_view ClockName(ClockKind kind) {
  return kind == ClockKind::kVirtual ? "virtual" : "real";
}

std::optional<std::string> ResolveAllowedNetworks(const std::vector<std::string>& entries,
                                                  std::vector<std::string>* networks) {
  auto add = [networks](const internal::IpNetwork& network) {
    std::string text = internal::IpNetworkToString(network);
    if (std::find(networks->begin(), networks->end(), text) == networks->end()) {
      networks->push_back(std::move(text));
    }
  };
  for (const std::string& entry : entries) {
    absl::StatusOr<internal::IpNetwork> network = internal::ParseIpNetwork(entry);
    if (network.ok()) {
      add(*network);
      continue;
    }
    addrinfo hints = {};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    const int code = getaddrinfo(entry.c_str(), nullptr, &hints, &found);
    if (code != 0) {
      return absl::StrCat("--allow-net: cannot resolve the host \"", absl::CHexEscape(entry),
                          "\": ", gai_strerror(code));
    }
    std::unique_ptr<addrinfo, void (*)(addrinfo*)> owned(found, freeaddrinfo);
    size_t added = 0;
    for (const addrinfo* a = found; a != nullptr; a = a->ai_next) {
      internal::IpNetwork single;
      if (!internal::IpFromSockaddr(a->ai_addr, a->ai_addrlen, &single.address)) continue;
      // Parsed back so that an IPv4-mapped address becomes its IPv4 one.
      absl::StatusOr<internal::IpNetwork> parsed =
          internal::ParseIpNetwork(internal::IpToString(single.address));
      if (!parsed.ok()) continue;
      add(*parsed);
      ++added;
    }
    if (added == 0) {
      return absl::StrCat("--allow-net: the host \"", absl::CHexEscape(entry),
                          "\" has no IPv4 or IPv6 address");
    }
  }
  return std::nullopt;
}

std::optional<std::string> ParseRunFlags(const std::vector<std::string>& args, RunFlags& flags,
                                         bool& help) {
  CommandLine line;
  // --env is repeatable; each variable once (ApplyVariableFlags). So is
  // --allow-net.
  if (auto usage = SplitCommandLine(
          args,
          {"--conv", "--tasks", "--data", "--input", "--threads", "--output", "--timeout",
           "--clock", "--env", "--env-file", "--allow-net", "--store", "--durability"},
          {"--json", "--allow-private-net"}, {"--env", "--allow-net"}, &line)) {
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
    if (name == "--json") {
      flags.json = true;
      continue;
    }
    if (name == "--allow-private-net") {
      flags.allow_private_net = true;
      continue;
    }
    if (name == "--conv") {
      int64_t id = 0;
      if (!ParseWholeNumber(*value, 1, INT64_MAX, &id)) {
        return absl::StrCat(
            "--conv wants a process id (a whole number > 0), "
            "not \"",
            *value, "\"");
      }
      flags.conv_id = id;
    } else if (name == "--tasks") {
      int64_t n = 0;
      if (!ParseWholeNumber(*value, 0, INT64_MAX, &n)) {
        return absl::StrCat("--tasks wants a whole number >= 0, not \"", *value, "\"");
      }
      flags.tasks = n;
    } else if (name == "--store") {
      if (value->empty()) return "--store wants a directory";
      flags.store = *value;
    } else if (name == "--durability") {
      if (*value != "sync" && *value != "async") {
        return absl::StrCat("--durability wants sync or async, not \"", *value, "\"");
      }
      flags.durability = *value;
    } else if (name == "--threads") {
      int64_t n = 0;
      if (!ParseWholeNumber(*value, 0, 1024, &n)) {
        return absl::StrCat(
            "--threads wants a whole number from 0 to 1024, "
            "not \"",
            *value, "\"");
      }
      flags.threads = n;
    } else if (name == "--timeout") {
      absl::Duration timeout;
      if (!ParseSeconds(*value, &timeout)) {
        return absl::StrCat("--timeout wants a number of seconds > 0, not \"", *value, "\"");
      }
      flags.timeout = timeout;
    } else if (name == "--clock") {
      if (*value == "virtual") {
        flags.clock = ClockKind::kVirtual;
      } else if (*value == "real") {
        flags.clock = ClockKind::kReal;
      } else {
        return absl::StrCat("--clock wants virtual or real, not \"", *value, "\"");
      }
    } else if (value->empty()) {
      return absl::StrCat(name, " needs a value");
    } else if (name == "--data") {
      flags.data = *value;
    } else if (name == "--input") {
      flags.input = *value;
    } else if (name == "--env") {
      flags.env.push_back(*value);
    } else if (name == "--env-file") {
      flags.env_file = *value;
    } else if (name == "--allow-net") {
      for (absl::string_view part : absl::StrSplit(*value, ',')) {
        std::string entry(part);
        if (auto problem = CheckAllowNetEntry(entry)) return problem;
        flags.allow_net.push_back(std::move(entry));
      }
    } else {
      flags.output = *value;
    }
  }
  if (flags.files.empty()) return "no scheme file given";
  if (flags.data && flags.input) {
    return "--data and --input both give the tasks' data; use one";
  }
  if (flags.allow_private_net && !flags.allow_net.empty()) {
    return "--allow-private-net already allows every address; --allow-net with it allows "
           "nothing more (use one)";
  }
  if (flags.durability && !flags.store) return "--durability needs --store DIR";
  return std::nullopt;
}

}  // namespace tools
}  // namespace convey
