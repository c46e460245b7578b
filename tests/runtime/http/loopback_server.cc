#include "tests/runtime/http/loopback_server.h"

#include <sys/socket.h>

#include <chrono>
#include <utility>

#include "absl/strings/str_cat.h"

namespace convey {
namespace testing {

// Exposes the listening socket, which Server keeps protected.
class LoopbackServer::Server : public httplib::Server {
 public:
  int listen_fd() const { return svr_sock_; }
};

LoopbackServer::LoopbackServer() : LoopbackServer(Options()) {}

LoopbackServer::LoopbackServer(Options options)
    : options_(std::move(options)), server_(std::make_unique<Server>()) {
  const int threads = options_.threads;
  server_->new_task_queue = [threads] {
    return new httplib::ThreadPool(static_cast<size_t>(threads));
  };
  server_->set_keep_alive_max_count(options_.keep_alive_max_count);
  server_->set_keep_alive_timeout(options_.keep_alive_timeout_sec);
  // cpp-httplib writes the head and the body separately: with Nagle's
  // algorithm the body then waits for the client's delayed ACK (40 ms).
  server_->set_tcp_nodelay(true);
}

LoopbackServer::~LoopbackServer() {
  if (thread_.joinable()) {
    server_->stop();
    thread_.join();
  }
}

httplib::Server& LoopbackServer::server() { return *server_; }

absl::Status LoopbackServer::Start() {
  port_ = server_->bind_to_any_port(options_.host);
  if (port_ < 0) {
    return absl::UnavailableError(absl::StrCat("cannot bind a port on ", options_.host));
  }
  // Linux lets listen() on a listening socket change its backlog.
  if (::listen(server_->listen_fd(), options_.backlog) != 0) {
    return absl::InternalError("listen() to widen the backlog failed");
  }
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!server_->is_running()) {
    if (std::chrono::steady_clock::now() > deadline) {
      return absl::DeadlineExceededError("the server did not start");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return absl::OkStatus();
}

std::string LoopbackServer::Url(absl::string_view path) const {
  return absl::StrCat("http://", options_.host, ":", port_, path);
}

}  // namespace testing
}  // namespace convey
