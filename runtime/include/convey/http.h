// HTTP for the `api` logic: the request a task sends, the answer it gets,
// and the transport that carries them.
//
// Contract: the engine hands every request of every `api` logic to one
// HttpTransport (EngineOptions::http_transport, or the built-in libcurl one).
// Send must not block: it starts the request and returns; `done` is called
// exactly once, later, from any thread (never from inside Send), with the
// answer or the failure. A transport must outlive the engine that uses it and
// may be called from any thread concurrently. A host routes calls itself (a
// service mesh, recorded answers in tests) by implementing this interface.
#ifndef CONVEY_HTTP_H_
#define CONVEY_HTTP_H_

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace convey {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string method = "POST";  // upper case
  std::string url;              // http:// or https://, query included
  HttpHeaders headers;          // in order; names as written
  std::string body;
  // The whole exchange, connecting included.
  absl::Duration timeout = absl::Seconds(60);
  // A larger body is refused while it arrives (ResourceExhausted).
  size_t max_response_bytes = size_t{5} << 20;
  bool follow_redirects = false;
  // A client certificate and its key, PEM, for TLS (`cert_pem`); empty: none.
  std::string client_cert_pem;
  // Refuse a connection to a loopback, private, link-local or metadata
  // address, checked on the address actually connected to (after DNS, and
  // after every redirect): PermissionDenied.
  bool refuse_private_addresses = false;
  // With refuse_private_addresses: networks still allowed, as
  // EngineOptions::api_allowed_networks takes them ("10.1.0.0/16",
  // "fd00::1"). A malformed entry fails the request (InvalidArgument).
  std::vector<std::string> allowed_networks;
};

struct HttpResponse {
  int status = 0;
  HttpHeaders headers;  // in order, names lower-cased
  std::string body;
  // The `content-type` header's value, lower-cased, without parameters.
  std::string content_type;
  absl::Duration elapsed;
};

// Failures, as the status passed to `done`:
//   Unavailable       could not connect (refused, reset before an answer,
//                     DNS failure: the message says which)
//   DeadlineExceeded  no complete answer within the timeout
//   ResourceExhausted the body exceeded max_response_bytes
//   PermissionDenied  refuse_private_addresses refused the address (one
//                     allowed_networks does not hold); the message names
//                     it and its kind
//   InvalidArgument   a malformed URL or request
//   Internal          anything else (the message says what)
using HttpDone = std::function<void(absl::StatusOr<HttpResponse>)>;

class HttpTransport {
 public:
  virtual ~HttpTransport() = default;
  virtual void Send(HttpRequest request, HttpDone done) = 0;
};

struct CurlTransportOptions {
  // I/O threads running libcurl's multi interface; each keeps its own
  // connection pool (HTTP/1.1 keep-alive).
  int io_threads = 1;
  // Idle connections kept per I/O thread.
  int max_connections = 256;
};

// The built-in transport: libcurl, TLS with the system's CA certificates.
// Requests in flight when it is destroyed complete with Unavailable.
absl::StatusOr<std::unique_ptr<HttpTransport>> NewCurlTransport(
    const CurlTransportOptions& options = {});

}  // namespace convey

#endif  // CONVEY_HTTP_H_
