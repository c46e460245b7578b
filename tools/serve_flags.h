// `convey serve`'s command line: the usage text and the options' parsing,
// with every check that needs neither a file nor the network.
#ifndef CONVEY_TOOLS_SERVE_FLAGS_H_
#define CONVEY_TOOLS_SERVE_FLAGS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace convey {
namespace tools {

extern const char kServeUsage[];

struct ServeFlags {
  std::vector<std::string> files;
  std::string host = "127.0.0.1";
  int port = 8080;
  std::vector<std::string> api_keys;  // LOGIN:SECRET, in order
  std::vector<std::string> api_key_files;
  std::vector<std::string> console_writers;  // logins that may write in the web console
  bool console = true;                       // --no-console: off
  std::optional<std::string> store;
  std::optional<std::string> durability;
  std::vector<std::string> env;
  std::optional<std::string> env_file;
  std::optional<std::string> webhooks_file;  // --webhooks FILE.json
  bool allow_private_net = false;
  std::vector<std::string> allow_net;
  int64_t threads = 0;  // engine workers; 0: one per hardware thread
  int64_t io_threads = 2;
  std::optional<int64_t> handler_threads;  // default: 64 with a synced store, else 0
  double rate_limit = 0;                   // requests a second per login; 0: none
  int64_t rate_burst = 0;
  absl::Duration signature_window = absl::Minutes(10);
  std::string direct_url_secret;
  int64_t max_body_bytes = 64 << 20;
  int64_t max_connections = 1024;
  absl::Duration header_timeout = absl::Seconds(10);
  absl::Duration body_timeout = absl::Seconds(60);
  absl::Duration drain_timeout = absl::Seconds(30);
};

// Returns the usage error, or nullopt; `help` is set for -h/--help.
std::optional<std::string> ParseServeFlags(const std::vector<std::string>& args, ServeFlags& flags,
                                           bool& help);

// "HOST:PORT", "[v6]:PORT" or ":PORT" (127.0.0.1). False when malformed.
bool ParseListenAddress(const std::string& text, std::string* host, int* port);

}  // namespace tools
}  // namespace convey

#endif  // CONVEY_TOOLS_SERVE_FLAGS_H_
