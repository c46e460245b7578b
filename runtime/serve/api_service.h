// The HTTP API of `convey serve`, apart from any network code: one request
// in, one answer out. The HTTP server (http_server.h) parses connections and
// calls Handle; tests and the fuzz target call it directly.
//
// Routes (docs/serve.md):
//   POST /api/{1,2}/json/{login}/{unixtime}/{signature}   ops, signed in the URL
//   POST /api/{1,2}/json                                   ops, signed in headers
//   POST /api/1/json/public/{conv_id}/{hash}               direct URL: body = data
//   POST /api/2/download/{login}/{unixtime}/{signature}    ops (as /json)
//   GET  /api/2/download/user_downloads/{file}             an export made by
//                                                          `get obj_scheme` async
//   POST /api/2/upload/{login}/{unixtime}/{signature}      multipart: import an export
//   GET  /healthz  /readyz  /metrics
//   GET  /  /console/...                                   the web console (console.h)
// Ops on other objects than tasks (API v2: conv, node, commit, obj_scheme)
// run through ObjectOps over a ProcessCatalog of the served processes.
// Refusals use the platform's whole-request shape
// `{"request_proc":"<tag>","description":"<why>","ops":[]}` with an HTTP
// status that fits (400, 401, 404, 405, 413, 429, 503).
#ifndef CONVEY_RUNTIME_SERVE_API_SERVICE_H_
#define CONVEY_RUNTIME_SERVE_API_SERVICE_H_

#include <atomic>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "convey/engine.h"
#include "runtime/serve/api_keys.h"
#include "runtime/serve/console.h"
#include "runtime/serve/guarded_engine.h"
#include "runtime/serve/object_ops.h"
#include "runtime/serve/process_catalog.h"
#include "runtime/serve/rate_limiter.h"
#include "runtime/serve/serve_metrics.h"
#include "runtime/serve/serve_request.h"

namespace convey::serve {

struct ApiServiceOptions {
  ApiKeys keys;
  // A signed request whose time is further than this from the server's is
  // refused (replays of old requests).
  absl::Duration signature_window = absl::Minutes(10);
  RateLimit rate_limit;
  // Direct URLs: the hash of process C is hex(sha1(secret + ":" + C)).
  // Empty: direct URLs are off.
  std::string direct_url_secret;
  // The server's time, for signature windows and rate limits.
  std::function<absl::Time()> now = [] { return absl::Now(); };
  // The web console (console.h); on only when `keys` holds a login.
  bool console = true;
};

class ApiService {
 public:
  // `engine` and `metrics` are borrowed.
  ApiService(Engine& engine, ApiServiceOptions options, ServeMetrics* metrics);

  // Answers one request. Thread-safe; may block while the engine
  // acknowledges a change (a synced store).
  ServeResponse Handle(const ServeRequest& request);

  // The answer for a request refused before it reached Handle (too large,
  // too slow), in the same shape.
  static ServeResponse Refusal(int status, absl::string_view tag, absl::string_view why);

  // /readyz answers 503 from now on (graceful drain).
  void StartDraining() { draining_.store(true, std::memory_order_relaxed); }

  // The direct-URL hash of a process (empty when direct URLs are off).
  std::string DirectUrlHash(int64_t conv_id) const;

  // Deploys a scheme file and makes its processes editable and exportable
  // over API v2.
  absl::StatusOr<DeployResult> DeployFile(const std::string& path);

 private:
  ServeResponse Ops(const ServeRequest& request, absl::string_view login_segment,
                    absl::string_view time_segment, absl::string_view signature_segment);
  ServeResponse DirectUrl(const ServeRequest& request, absl::string_view conv_segment,
                          absl::string_view hash_segment);
  ServeResponse Upload(const ServeRequest& request, absl::string_view login,
                       absl::string_view unixtime, absl::string_view signature);
  ServeResponse Download(absl::string_view file);
  // Checks a signed request's login, time and signature: a refusal, or
  // nullopt when it may go on.
  std::optional<ServeResponse> Authenticate(absl::string_view login, absl::string_view unixtime,
                                            absl::string_view signature, absl::string_view body,
                                            bool header_signed);
  // Applies the login's rate limit: a 429 refusal, or nullopt (and the
  // X-RateLimit-* headers to add to the answer).
  std::optional<ServeResponse> Limit(absl::string_view login,
                                     std::vector<std::pair<std::string, std::string>>* headers);

  Engine& engine_;
  const ApiServiceOptions options_;
  ProcessCatalog catalog_;
  GuardedEngine guarded_{engine_, catalog_};
  Downloads downloads_;
  ObjectOps object_ops_;
  Console console_;
  RateLimiter limiter_;
  ServeMetrics* const metrics_;
  std::atomic<bool> draining_{false};
};

}  // namespace convey::serve

#endif  // CONVEY_RUNTIME_SERVE_API_SERVICE_H_
