// An HTTP server on a loopback address for tests and benchmarks:
// cpp-httplib's Server on its own thread, on a free port.
//
// Register handlers on server() before Start(); the destructor stops it and
// waits for its threads, so handlers that block must be released first.
#ifndef CONVEY_TESTS_RUNTIME_HTTP_LOOPBACK_SERVER_H_
#define CONVEY_TESTS_RUNTIME_HTTP_LOOPBACK_SERVER_H_

#include <ctime>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "httplib.h"

namespace convey {
namespace testing {

class LoopbackServer {
 public:
  struct Options {
    std::string host = "127.0.0.1";
    // Worker threads: an idle keep-alive connection holds one.
    int threads = 8;
    size_t keep_alive_max_count = 100000;
    time_t keep_alive_timeout_sec = 5;
    // cpp-httplib listens with a backlog of 5, which drops connections
    // arriving in a burst; Start widens it.
    int backlog = 4096;
  };

  LoopbackServer();
  explicit LoopbackServer(Options options);
  LoopbackServer(const LoopbackServer&) = delete;
  LoopbackServer& operator=(const LoopbackServer&) = delete;
  ~LoopbackServer();

  httplib::Server& server();
  absl::Status Start();
  int port() const { return port_; }
  // "http://<host>:<port><path>".
  std::string Url(absl::string_view path) const;

 private:
  class Server;

  Options options_;
  std::unique_ptr<Server> server_;
  std::thread thread_;
  int port_ = -1;
};

}  // namespace testing
}  // namespace convey

#endif  // CONVEY_TESTS_RUNTIME_HTTP_LOOPBACK_SERVER_H_
