// The HTTP/1.1 server of `convey serve`, on libmicrohttpd (Debian's
// libmicrohttpd-dev; docs/serve.md says why it was chosen).
//
// It owns the listening socket and the connections and hands every complete
// request to an ApiService. What it guarantees:
// - keep-alive; at most `max_connections` open at once (more wait in the
//   kernel's backlog until one closes);
// - a request head larger than `max_header_bytes` is refused (431), a body
//   larger than `max_body_bytes` too (413; from the moment Content-Length
//   or the bytes received say so, the rest is read and dropped, not held);
// - slow clients cannot hold a connection: a request's head must arrive
//   within `header_timeout` of the connection opening or of its previous
//   answer (so idle keep-alive connections close then too), and its body
//   within `body_timeout` of the head; past either the connection is cut;
// - Drain: stops accepting (new connections are refused), answers what is
//   in flight with `Connection: close`, waits for the open connections to
//   end (up to a deadline), then stops.
//
// Handlers run on the I/O threads (`io_threads`) when `handler_threads` is
// 0, which is fastest while the engine does not block; with a synced store
// an acknowledged create waits for its group commit, so `handler_threads`
// runs requests on a pool instead and the I/O threads stay free (the
// connection is suspended meanwhile).
#ifndef CONVEY_RUNTIME_SERVE_HTTP_SERVER_H_
#define CONVEY_RUNTIME_SERVE_HTTP_SERVER_H_

#include <cstddef>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "runtime/serve/api_service.h"
#include "runtime/serve/serve_metrics.h"

namespace convey::serve {

struct HttpServerOptions {
  std::string host = "127.0.0.1";  // an address or a name; "0.0.0.0", "::" for all
  int port = 8080;                 // 0: any free port (see HttpServer::port)
  int io_threads = 2;
  int handler_threads = 0;
  int max_connections = 1024;
  size_t max_header_bytes = 32 << 10;
  size_t max_body_bytes = 64 << 20;
  absl::Duration header_timeout = absl::Seconds(10);
  absl::Duration body_timeout = absl::Seconds(60);
};

class HttpServer {
 public:
  // Binds and starts serving `service`; both it and `metrics` are borrowed
  // and must outlive the server.
  static absl::StatusOr<std::unique_ptr<HttpServer>> Start(const HttpServerOptions& options,
                                                           ApiService* service,
                                                           ServeMetrics* metrics);
  virtual ~HttpServer() = default;

  // The port it listens on (the chosen one when options.port was 0).
  virtual int port() const = 0;
  // Graceful stop (see above). Returns the connections still open at the
  // deadline (cut). Idempotent; the destructor drains with no wait.
  virtual int Drain(absl::Duration deadline) = 0;
};

}  // namespace convey::serve

#endif  // CONVEY_RUNTIME_SERVE_HTTP_SERVER_H_
