#include "runtime/serve/http_server.h"

#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace convey::serve {
namespace {

int64_t NowMicros() { return absl::ToUnixMicros(absl::Now()); }

// One TCP connection: its socket, and the time by which what it is sending
// (a request head, or a body) must have arrived; 0 while a request is being
// handled (no limit).
struct Connection {
  int fd = -1;
  std::atomic<int64_t> deadline_micros{0};
  // Waiting for a request head (or idle between requests).
  std::atomic<bool> awaiting_head{true};
};

// One request, from its head to its answer (MHD's per-request context).
struct Request {
  MHD_Connection* mhd = nullptr;
  Connection* connection = nullptr;
  std::string method;
  std::string path;
  std::string content_type;
  std::string host;
  std::string api_login;
  std::string api_timestamp;
  std::string api_signature;
  std::string authorization;
  std::string origin;
  std::string console_header;
  std::vector<std::pair<std::string, std::string>> query;
  std::string body;
  bool too_large = false;
  bool submitted = false;  // handed to the handler pool (suspended)
  absl::Time received;     // its last byte arrived
  ServeResponse response;  // filled by the pool before it resumes
};

// Runs blocking handlers off the I/O threads. (std::mutex, as everywhere
// in convey's threads: Debian's Abseil is not built for ThreadSanitizer,
// which would not see absl::Mutex's ordering.)
class HandlerPool {
 public:
  explicit HandlerPool(int threads) {
    for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { Loop(); });
  }
  ~HandlerPool() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    ready_.notify_all();
    for (std::thread& thread : threads_) thread.join();
  }
  void Submit(std::function<void()> job) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      jobs_.push_back(std::move(job));
    }
    ready_.notify_one();
  }

 private:
  void Loop() {
    for (;;) {
      std::function<void()> job;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        ready_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
        if (jobs_.empty()) return;  // stopping, nothing left
        job = std::move(jobs_.front());
        jobs_.pop_front();
      }
      job();
    }
  }

  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> jobs_;  // guarded by mutex_
  bool stopping_ = false;                   // guarded by mutex_
  std::vector<std::thread> threads_;
};

class MhdServer : public HttpServer {
 public:
  MhdServer(const HttpServerOptions& options, ApiService* service, ServeMetrics* metrics)
      : options_(options), service_(service), metrics_(metrics) {}

  ~MhdServer() override { Drain(absl::ZeroDuration()); }

  absl::Status Listen();
  absl::Status StartDaemon();
  int port() const override { return port_; }
  int Drain(absl::Duration deadline) override;

 private:
  static MHD_Result OnAccess(void* self, MHD_Connection* mhd, const char* url, const char* method,
                             const char* version, const char* upload_data, size_t* upload_data_size,
                             void** context);
  static void OnCompleted(void* self, MHD_Connection* mhd, void** context,
                          MHD_RequestTerminationCode code);
  static void OnConnection(void* self, MHD_Connection* mhd, void** socket_context,
                           MHD_ConnectionNotificationCode code);

  MHD_Result Begin(MHD_Connection* mhd, const char* url, const char* method, void** context);
  MHD_Result Finish(Request* request);
  MHD_Result Send(Request* request, const ServeResponse& response);
  void Watch();

  const HttpServerOptions options_;
  ApiService* const service_;
  ServeMetrics* const metrics_;
  int listen_fd_ = -1;
  int port_ = 0;
  MHD_Daemon* daemon_ = nullptr;
  std::unique_ptr<HandlerPool> pool_;
  std::atomic<bool> draining_{false};
  bool drained_ = false;

  std::mutex mutex_;
  std::condition_variable stop_;
  absl::flat_hash_set<Connection*> connections_;  // guarded by mutex_
  bool stop_watch_ = false;                       // guarded by mutex_
  std::thread watchdog_;
};

absl::Status MhdServer::Listen() {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  addrinfo* found = nullptr;
  const std::string port = absl::StrCat(options_.port);
  if (int error = getaddrinfo(options_.host.c_str(), port.c_str(), &hints, &found); error != 0) {
    return absl::InvalidArgumentError(absl::StrCat("cannot resolve the listen address ",
                                                   options_.host, ": ", gai_strerror(error)));
  }
  std::string why;
  for (addrinfo* address = found; address != nullptr; address = address->ai_next) {
    int fd = socket(address->ai_family, address->ai_socktype | SOCK_CLOEXEC, address->ai_protocol);
    if (fd < 0) continue;
    int on = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    if (bind(fd, address->ai_addr, address->ai_addrlen) == 0 && listen(fd, 1024) == 0) {
      listen_fd_ = fd;
      sockaddr_storage bound{};
      socklen_t size = sizeof bound;
      getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &size);
      port_ = bound.ss_family == AF_INET6
                  ? ntohs(reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port)
                  : ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
      break;
    }
    why = strerror(errno);
    close(fd);
  }
  freeaddrinfo(found);
  if (listen_fd_ < 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", options_.host, ":", options_.port, ": ", why));
  }
  return absl::OkStatus();
}

absl::Status MhdServer::StartDaemon() {
  if (options_.handler_threads > 0) pool_ = std::make_unique<HandlerPool>(options_.handler_threads);
  // MHD's own idle timeout (whole seconds) is only a backstop: the watchdog
  // enforces the head and body deadlines, which a client trickling bytes
  // cannot stretch.
  const unsigned idle_seconds = static_cast<unsigned>(std::max<int64_t>(
      1, absl::ToInt64Seconds(std::max(options_.header_timeout, options_.body_timeout)) + 1));
  std::vector<MHD_OptionItem> items = {
      {MHD_OPTION_LISTEN_SOCKET, listen_fd_, nullptr},
      {MHD_OPTION_CONNECTION_LIMIT, options_.max_connections, nullptr},
      {MHD_OPTION_CONNECTION_MEMORY_LIMIT, static_cast<intptr_t>(options_.max_header_bytes),
       nullptr},
      {MHD_OPTION_CONNECTION_TIMEOUT, idle_seconds, nullptr},
      {MHD_OPTION_NOTIFY_COMPLETED, reinterpret_cast<intptr_t>(&MhdServer::OnCompleted), this},
      {MHD_OPTION_NOTIFY_CONNECTION, reinterpret_cast<intptr_t>(&MhdServer::OnConnection), this},
  };
  if (options_.io_threads > 1) {
    items.push_back({MHD_OPTION_THREAD_POOL_SIZE, options_.io_threads, nullptr});
  }
  items.push_back({MHD_OPTION_END, 0, nullptr});
  daemon_ = MHD_start_daemon(MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ITC | MHD_ALLOW_SUSPEND_RESUME,
                             0, nullptr, nullptr, &MhdServer::OnAccess, this, MHD_OPTION_ARRAY,
                             items.data(), MHD_OPTION_END);
  if (daemon_ == nullptr) {
    close(listen_fd_);
    listen_fd_ = -1;
    return absl::InternalError("libmicrohttpd could not start (MHD_start_daemon failed)");
  }
  watchdog_ = std::thread([this] { Watch(); });
  return absl::OkStatus();
}

void MhdServer::OnConnection(void* self, MHD_Connection* mhd, void** socket_context,
                             MHD_ConnectionNotificationCode code) {
  auto* server = static_cast<MhdServer*>(self);
  if (code == MHD_CONNECTION_NOTIFY_STARTED) {
    auto* connection = new Connection;
    const MHD_ConnectionInfo* info =
        MHD_get_connection_info(mhd, MHD_CONNECTION_INFO_CONNECTION_FD);
    connection->fd = info != nullptr ? info->connect_fd : -1;
    connection->deadline_micros.store(NowMicros() +
                                      absl::ToInt64Microseconds(server->options_.header_timeout));
    *socket_context = connection;
    std::lock_guard<std::mutex> lock(server->mutex_);
    server->connections_.insert(connection);
  } else {
    auto* connection = static_cast<Connection*>(*socket_context);
    if (connection == nullptr) return;
    {
      // Under the lock: the watchdog never shuts down a socket MHD is about
      // to close (and another connection could reuse).
      std::lock_guard<std::mutex> lock(server->mutex_);
      server->connections_.erase(connection);
    }
    delete connection;
    *socket_context = nullptr;
  }
}

MHD_Result MhdServer::OnAccess(void* self, MHD_Connection* mhd, const char* url, const char* method,
                               const char* version, const char* upload_data,
                               size_t* upload_data_size, void** context) {
  auto* server = static_cast<MhdServer*>(self);
  auto* request = static_cast<Request*>(*context);
  if (request == nullptr) return server->Begin(mhd, url, method, context);
  if (*upload_data_size != 0) {
    if (!request->too_large) {
      if (request->body.size() + *upload_data_size > server->options_.max_body_bytes) {
        request->too_large = true;
        request->body.clear();
        request->body.shrink_to_fit();
      } else {
        request->body.append(upload_data, *upload_data_size);
      }
    }
    *upload_data_size = 0;
    return MHD_YES;
  }
  return server->Finish(request);
}

MHD_Result MhdServer::Begin(MHD_Connection* mhd, const char* url, const char* method,
                            void** context) {
  auto* request = new Request;
  *context = request;
  request->mhd = mhd;
  const MHD_ConnectionInfo* info = MHD_get_connection_info(mhd, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
  request->connection = info != nullptr ? static_cast<Connection*>(info->socket_context) : nullptr;
  if (request->connection != nullptr) {
    // The head is in; the body must follow within body_timeout.
    request->connection->awaiting_head.store(false);
    request->connection->deadline_micros.store(NowMicros() +
                                               absl::ToInt64Microseconds(options_.body_timeout));
  }
  request->method = method;
  const char* query_start = strchr(url, '?');  // MHD strips it; kept for safety
  request->path = query_start == nullptr ? url : std::string(url, query_start - url);
  auto header = [mhd](const char* name) {
    const char* value = MHD_lookup_connection_value(mhd, MHD_HEADER_KIND, name);
    return value == nullptr ? std::string() : std::string(value);
  };
  request->content_type = header("Content-Type");
  request->host = header("Host");
  request->api_login = header("X-API-Login");
  request->api_timestamp = header("X-API-Timestamp");
  request->api_signature = header("X-API-Signature");
  request->authorization = header("Authorization");
  request->origin = header("Origin");
  request->console_header = header("X-Convey-Console");
  MHD_get_connection_values(
      mhd, MHD_GET_ARGUMENT_KIND,
      +[](void* query, MHD_ValueKind, const char* key, const char* value) -> MHD_Result {
        static_cast<std::vector<std::pair<std::string, std::string>>*>(query)->emplace_back(
            key, value == nullptr ? "" : value);
        return MHD_YES;
      },
      &request->query);
  // Refuse a declared body that is too large before reading it.
  uint64_t declared = 0;
  const std::string length = header("Content-Length");
  if (!length.empty() && absl::SimpleAtoi(length, &declared) &&
      declared > options_.max_body_bytes) {
    request->too_large = true;
  }
  return MHD_YES;
}

MHD_Result MhdServer::Finish(Request* request) {
  if (request->submitted) return Send(request, request->response);  // resumed by the pool
  request->received = absl::Now();
  if (request->connection != nullptr) request->connection->deadline_micros.store(0);
  if (request->too_large) {
    return Send(request, ApiService::Refusal(
                             413, "error",
                             absl::StrCat("the body is larger than ", options_.max_body_bytes,
                                          " bytes (convey serve --max-body-bytes)")));
  }
  auto handle = [this, request] {
    ServeRequest call;
    call.method = request->method;
    call.path = request->path;
    call.query = &request->query;
    call.body = request->body;
    call.content_type = request->content_type;
    call.host = request->host;
    call.api_login = request->api_login;
    call.api_timestamp = request->api_timestamp;
    call.api_signature = request->api_signature;
    call.authorization = request->authorization;
    call.origin = request->origin;
    call.console_header = request->console_header;
    return service_->Handle(call);
  };
  if (pool_ == nullptr) return Send(request, handle());
  request->submitted = true;
  MHD_suspend_connection(request->mhd);
  pool_->Submit([request, handle] {
    request->response = handle();
    MHD_resume_connection(request->mhd);
  });
  return MHD_YES;
}

MHD_Result MhdServer::Send(Request* request, const ServeResponse& answer) {
  MHD_Response* response = MHD_create_response_from_buffer(
      answer.body.size(), const_cast<char*>(answer.body.data()), MHD_RESPMEM_MUST_COPY);
  MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, answer.content_type.c_str());
  for (const auto& [name, value] : answer.headers) {
    MHD_add_response_header(response, name.c_str(), value.c_str());
  }
  if (draining_.load(std::memory_order_relaxed)) {
    MHD_add_response_header(response, MHD_HTTP_HEADER_CONNECTION, "close");
  }
  MHD_Result queued = MHD_queue_response(request->mhd, answer.status, response);
  MHD_destroy_response(response);
  metrics_->RecordRequest(answer.route, answer.status, absl::Now() - request->received);
  return queued;
}

void MhdServer::OnCompleted(void* self, MHD_Connection* mhd, void** context,
                            MHD_RequestTerminationCode code) {
  auto* server = static_cast<MhdServer*>(self);
  auto* request = static_cast<Request*>(*context);
  if (request == nullptr) return;
  if (request->connection != nullptr) {
    // Answered: the next request's head must come within header_timeout.
    request->connection->awaiting_head.store(true);
    request->connection->deadline_micros.store(
        NowMicros() + absl::ToInt64Microseconds(server->options_.header_timeout));
  }
  delete request;
  *context = nullptr;
}

void MhdServer::Watch() {
  const absl::Duration tick =
      std::clamp(std::min(options_.header_timeout, options_.body_timeout) / 4,
                 absl::Milliseconds(10), absl::Milliseconds(250));
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stop_.wait_for(lock, absl::ToChronoMicroseconds(tick), [this] { return stop_watch_; })) {
    const int64_t now = NowMicros();
    const bool draining = draining_.load(std::memory_order_relaxed);
    for (Connection* connection : connections_) {
      const int64_t deadline = connection->deadline_micros.load();
      const bool late = deadline != 0 && now > deadline;
      // Draining closes idle keep-alive connections at once.
      const bool idle_while_draining = draining && connection->awaiting_head.load();
      if ((late || idle_while_draining) && connection->fd >= 0) {
        connection->deadline_micros.store(0);
        shutdown(connection->fd, SHUT_RDWR);  // MHD sees the error and closes it
      }
    }
  }
}

int MhdServer::Drain(absl::Duration deadline) {
  if (drained_) return 0;
  drained_ = true;
  draining_.store(true);
  if (daemon_ != nullptr) {
    // Stop accepting: quiesce hands back the listening socket, which stays
    // open until MHD stops; shutting it down makes new clients fail fast
    // instead of waiting in the backlog.
    MHD_quiesce_daemon(daemon_);
    if (listen_fd_ >= 0) shutdown(listen_fd_, SHUT_RDWR);
    const absl::Time until = absl::Now() + deadline;
    for (;;) {
      {
        std::lock_guard<std::mutex> lock(mutex_);
        if (connections_.empty()) break;
      }
      if (absl::Now() >= until) break;
      absl::SleepFor(absl::Milliseconds(5));
    }
  }
  int left = 0;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    left = static_cast<int>(connections_.size());
    stop_watch_ = true;
  }
  stop_.notify_all();
  if (watchdog_.joinable()) watchdog_.join();
  pool_.reset();  // finishes handlers in flight; they resume their connections
  if (daemon_ != nullptr) MHD_stop_daemon(daemon_);
  daemon_ = nullptr;
  if (listen_fd_ >= 0) close(listen_fd_);
  listen_fd_ = -1;
  return left;
}

}  // namespace

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(const HttpServerOptions& options,
                                                              ApiService* service,
                                                              ServeMetrics* metrics) {
  auto server = std::make_unique<MhdServer>(options, service, metrics);
  if (absl::Status listening = server->Listen(); !listening.ok()) return listening;
  if (absl::Status started = server->StartDaemon(); !started.ok()) return started;
  return std::unique_ptr<HttpServer>(std::move(server));
}

}  // namespace convey::serve
