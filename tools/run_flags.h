// `convey run`'s command line: the usage text, the options it takes and
// their parsing, with every check that needs neither a file nor the
// engine. Separate from run_command.cc so that the steps of a run read
// without two hundred lines of option handling in the way.
#ifndef CONVEY_TOOLS_RUN_FLAGS_H_
#define CONVEY_TOOLS_RUN_FLAGS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace convey {
namespace tools {

// The text printed for --help and after a usage error.
extern const char kRunUsage[];

enum class ClockKind { kVirtual, kReal };

// "virtual" or "real", as --clock takes it.
absl::string_view ClockName(ClockKind kind);

struct RunFlags {
  std::vector<std::string> files;  // in the order given
  ClockKind clock = ClockKind::kVirtual;
  std::optional<int64_t> conv_id;
  std::optional<int64_t> tasks;
  std::optional<std::string> data;
  std::optional<std::string> input;
  std::optional<int64_t> threads;
  std::optional<std::string> output;
  bool json = false;
  std::optional<absl::Duration> timeout;
  std::vector<std::string> env;  // NAME=VALUE, in order
  std::optional<std::string> env_file;
  // --allow-private-net: api calls may reach private, loopback, link-local
  // and metadata addresses (EngineOptions::api_refuse_private_addresses
  // off). Without it they are refused.
  bool allow_private_net = false;
  // --allow-net entries, every flag's comma-separated list in order: a
  // network or address ("10.0.0.0/8", "127.0.0.1", "::1") as
  // EngineOptions::api_allowed_networks takes it, or a host name.
  std::vector<std::string> allow_net;
  // --store DIR: EngineOptions::store_directory; --durability sync|async.
  std::optional<std::string> store;
  std::optional<std::string> durability;
};

// Returns the usage error, or nullopt when `args` (the words after `run`)
// are well formed. `help` is set when -h/--help was given.
std::optional<std::string> ParseRunFlags(const std::vector<std::string>& args, RunFlags& flags,
                                         bool& help);

// The networks for EngineOptions::api_allowed_networks from --allow-net's
// entries (as ParseRunFlags checked them): a network as written, in its
// canonical form; a host name resolved now, with the system's resolver,
// each of its addresses as a single-address network ("10.1.2.3/32").
// Returns the problem (a host that does not resolve), or nullopt.
std::optional<std::string> ResolveAllowedNetworks(const std::vector<std::string>& entries,
                                                  std::vector<std::string>* networks);

}  // namespace tools
}  // namespace convey

#endif  // CONVEY_TOOLS_RUN_FLAGS_H_
