// What `convey serve` counts for GET /metrics (Prometheus text format 0.0.4).
//
// Three sources:
// - HTTP: requests by route and status, and their durations, counted by the
//   server for every answer it gives (RecordRequest);
// - tasks: the engine's own counters (Engine::Stats: tasks in each node,
//   parked tasks by reason, run-queue depth, timers), read when scraped,
//   plus what this Observer hears (tasks finished, errored and stopped by
//   the loop guard per process, and create-to-final latency);
// - api calls: MeteredTransport wraps the engine's HTTP transport and counts
//   every call's duration and outcome.
//
// Counting is lock-free on the request path (fixed arrays of atomics);
// per-process counts take a mutex once per task end.
#ifndef CONVEY_RUNTIME_SERVE_SERVE_METRICS_H_
#define CONVEY_RUNTIME_SERVE_SERVE_METRICS_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "convey/engine.h"
#include "convey/environment.h"
#include "convey/http.h"

namespace convey::serve {

// The routes requests are counted by.
enum class Route {
  kTaskApi,    // POST /api/{1,2}/json/...
  kDirectUrl,  // POST /api/1/json/public/...
  kUpload,     // POST /api/2/upload/...
  kDownload,   // GET /api/2/download/...
  kHealth,     // GET /healthz
  kReady,      // GET /readyz
  kMetrics,    // GET /metrics
  kConsole,    // the web console: /, /console/...
  kUnknown,    // anything else (404, 405)
};
inline constexpr int kRouteCount = 9;
absl::string_view RouteName(Route route);

// A histogram with fixed bucket bounds, in seconds.
class Histogram {
 public:
  void Observe(absl::Duration duration);
  // Appends the `_bucket`, `_sum` and `_count` lines of metric `name` with
  // `labels` (`route="x"`, may be empty).
  void Render(absl::string_view name, absl::string_view labels, std::string* out) const;

 private:
  static constexpr std::array<double, 14> kBounds = {
      0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5, 30};
  std::array<std::atomic<int64_t>, kBounds.size() + 1> counts_{};
  std::atomic<int64_t> sum_micros_{0};
};

class ServeMetrics : public Observer {
 public:
  explicit ServeMetrics(Clock* clock) : clock_(clock) {}

  void RecordRequest(Route route, int status, absl::Duration duration);
  void RecordApiCall(const absl::StatusOr<HttpResponse>& result, absl::Duration duration);

  // Observer: tasks that stop moving.
  uint32_t events() const override { return kFinished | kError | kLoopStopped; }
  void OnTaskFinished(const TaskEvent& event) override;
  void OnTaskError(const TaskEvent& event) override;
  void OnTaskLoopStopped(const TaskEvent& event) override;

  // The whole /metrics page.
  std::string Render(Engine& engine, absl::string_view state) const;

 private:
  static constexpr std::array<int, 13> kStatuses = {200, 400, 401, 403, 404, 405, 408,
                                                    413, 429, 500, 503, 504, 0};
  static int StatusSlot(int status);
  struct ProcessCounts {
    int64_t finished = 0;
    int64_t errored = 0;
    int64_t loop_stopped = 0;
  };
  void CountEnd(const TaskEvent& event, int64_t ProcessCounts::*field);

  Clock* const clock_;
  std::array<std::array<std::atomic<int64_t>, kStatuses.size()>, kRouteCount> requests_{};
  std::array<Histogram, kRouteCount> durations_;
  Histogram create_to_final_;
  Histogram api_durations_;
  // api call outcomes: 2xx, 3xx, 4xx, 5xx, then the transport failures.
  static constexpr std::array<absl::string_view, 9> kApiOutcomes = {
      "2xx", "3xx", "4xx", "5xx", "unavailable", "timeout", "too_large", "refused", "other"};
  std::array<std::atomic<int64_t>, kApiOutcomes.size()> api_calls_{};

  mutable std::mutex mutex_;
  std::map<int64_t, ProcessCounts> ends_;
  std::map<std::pair<int64_t, std::string>, int64_t> error_tags_;
};

// Counts every call of `inner` in `metrics`. Both are borrowed.
class MeteredTransport : public HttpTransport {
 public:
  MeteredTransport(HttpTransport* inner, ServeMetrics* metrics)
      : inner_(inner), metrics_(metrics) {}
  void Send(HttpRequest request, HttpDone done) override;

 private:
  HttpTransport* const inner_;
  ServeMetrics* const metrics_;
};

}  // namespace convey::serve

#endif  // CONVEY_RUNTIME_SERVE_SERVE_METRICS_H_
