// One request to `convey serve` and its answer, as the router sees them
// (ApiService, Console), apart from the HTTP library.
#ifndef CONVEY_RUNTIME_SERVE_SERVE_REQUEST_H_
#define CONVEY_RUNTIME_SERVE_SERVE_REQUEST_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "runtime/serve/serve_metrics.h"

namespace convey::serve {

// What the router needs of a request. Views into the server's buffers.
struct ServeRequest {
  absl::string_view method;  // "GET", "POST", ...
  absl::string_view path;    // without the query
  // The query's parameters, decoded, in order; may be null (none).
  const std::vector<std::pair<std::string, std::string>>* query = nullptr;
  absl::string_view body;
  absl::string_view content_type;
  absl::string_view host;  // the Host header, for download URLs
  // Header signing (the platform's newer SDKs).
  absl::string_view api_login;      // X-API-Login
  absl::string_view api_timestamp;  // X-API-Timestamp
  absl::string_view api_signature;  // X-API-Signature
  // The web console (console.h).
  absl::string_view authorization;   // Authorization (HTTP Basic)
  absl::string_view origin;          // Origin, sent by browsers with a POST
  absl::string_view console_header;  // X-Convey-Console, on the console's writes
};

struct ServeResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra ones
  Route route = Route::kUnknown;
};

}  // namespace convey::serve

#endif  // CONVEY_RUNTIME_SERVE_SERVE_REQUEST_H_
