#include "runtime/serve/serve_metrics.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace convey::serve {
namespace {

// Distinct (process, error tag) pairs kept; tags come from answers and
// scripts, so their number is bounded here, not by the process.
constexpr size_t kMaxErrorTags = 1000;

// A label value: backslash, double quote and line feed escaped.
std::string LabelValue(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

void Header(std::string* out, absl::string_view name, absl::string_view type,
            absl::string_view help) {
  absl::StrAppend(out, "# HELP ", name, " ", help, "\n# TYPE ", name, " ", type, "\n");
}

}  // namespace

absl::string_view RouteName(Route route) {
  switch (route) {
    case Route::kTaskApi:
      return "task_api";
    case Route::kDirectUrl:
      return "direct_url";
    case Route::kUpload:
      return "upload";
    case Route::kDownload:
      return "download";
    case Route::kHealth:
      return "healthz";
    case Route::kReady:
      return "readyz";
    case Route::kMetrics:
      return "metrics";
    case Route::kConsole:
      return "console";
    case Route::kUnknown:
      break;
  }
  return "unknown";
}

void Histogram::Observe(absl::Duration duration) {
  const double seconds = absl::ToDoubleSeconds(duration);
  size_t slot = std::lower_bound(kBounds.begin(), kBounds.end(), seconds) - kBounds.begin();
  counts_[slot].fetch_add(1, std::memory_order_relaxed);
  sum_micros_.fetch_add(absl::ToInt64Microseconds(duration), std::memory_order_relaxed);
}

void Histogram::Render(absl::string_view name, absl::string_view labels, std::string* out) const {
  const std::string prefix = labels.empty() ? "" : absl::StrCat(labels, ",");
  int64_t cumulative = 0;
  for (size_t i = 0; i < kBounds.size(); ++i) {
    cumulative += counts_[i].load(std::memory_order_relaxed);
    absl::StrAppendFormat(out, "%s_bucket{%sle=\"%g\"} %d\n", name, prefix, kBounds[i], cumulative);
  }
  cumulative += counts_[kBounds.size()].load(std::memory_order_relaxed);
  absl::StrAppendFormat(out, "%s_bucket{%sle=\"+Inf\"} %d\n", name, prefix, cumulative);
  const std::string braces = labels.empty() ? "" : absl::StrCat("{", labels, "}");
  absl::StrAppendFormat(out, "%s_sum%s %.6f\n", name, braces,
                        static_cast<double>(sum_micros_.load(std::memory_order_relaxed)) / 1e6);
  absl::StrAppendFormat(out, "%s_count%s %d\n", name, braces, cumulative);
}

int ServeMetrics::StatusSlot(int status) {
  for (size_t i = 0; i + 1 < kStatuses.size(); ++i) {
    if (kStatuses[i] == status) return static_cast<int>(i);
  }
  return static_cast<int>(kStatuses.size()) - 1;
}

void ServeMetrics::RecordRequest(Route route, int status, absl::Duration duration) {
  const int r = static_cast<int>(route);
  requests_[r][StatusSlot(status)].fetch_add(1, std::memory_order_relaxed);
  durations_[r].Observe(duration);
}

void ServeMetrics::RecordApiCall(const absl::StatusOr<HttpResponse>& result,
                                 absl::Duration duration) {
  size_t outcome = kApiOutcomes.size() - 1;
  if (result.ok()) {
    const int status = result->status;
    if (status >= 200 && status < 600) outcome = static_cast<size_t>(status / 100 - 2);
  } else {
    switch (result.status().code()) {
      case absl::StatusCode::kUnavailable:
        outcome = 4;
        break;
      case absl::StatusCode::kDeadlineExceeded:
        outcome = 5;
        break;
      case absl::StatusCode::kResourceExhausted:
        outcome = 6;
        break;
      case absl::StatusCode::kPermissionDenied:
        outcome = 7;
        break;
      default:
        break;
    }
  }
  api_calls_[outcome].fetch_add(1, std::memory_order_relaxed);
  api_durations_.Observe(duration);
}

void ServeMetrics::CountEnd(const TaskEvent& event, int64_t ProcessCounts::*field) {
  std::lock_guard<std::mutex> lock(mutex_);
  ++(ends_[event.conv_id].*field);
}

void ServeMetrics::OnTaskFinished(const TaskEvent& event) {
  create_to_final_.Observe(clock_->Now() - event.create_time);
  CountEnd(event, &ProcessCounts::finished);
}

void ServeMetrics::OnTaskError(const TaskEvent& event) {
  CountEnd(event, &ProcessCounts::errored);
  std::lock_guard<std::mutex> lock(mutex_);
  auto key = std::make_pair(event.conv_id, std::string(event.error_tag));
  auto it = error_tags_.find(key);
  if (it != error_tags_.end()) {
    ++it->second;
  } else if (error_tags_.size() < kMaxErrorTags) {
    error_tags_.emplace(std::move(key), 1);
  } else {
    ++error_tags_[std::make_pair(event.conv_id, std::string("other"))];
  }
}

void ServeMetrics::OnTaskLoopStopped(const TaskEvent& event) {
  CountEnd(event, &ProcessCounts::loop_stopped);
}

std::string ServeMetrics::Render(Engine& engine, absl::string_view state) const {
  std::string out;
  const EngineStats stats = engine.Stats();

  Header(&out, "convey_up", "gauge", "1 while serving, 0 while draining.");
  absl::StrAppend(&out, "convey_up ", state == "serving" ? 1 : 0, "\n");

  Header(&out, "convey_tasks_created_total", "counter",
         "Tasks created (by the API and by logics), engine-wide.");
  absl::StrAppend(&out, "convey_tasks_created_total ", stats.tasks_created, "\n");
  Header(&out, "convey_tasks_recovered_total", "counter", "Tasks brought back from the store.");
  absl::StrAppend(&out, "convey_tasks_recovered_total ", stats.tasks_recovered, "\n");
  Header(&out, "convey_run_queue_depth", "gauge", "Tasks queued for a worker or running.");
  absl::StrAppend(&out, "convey_run_queue_depth ", stats.tasks_queued, "\n");
  Header(&out, "convey_timers_pending", "gauge", "Time semaphores armed for parked tasks.");
  absl::StrAppend(&out, "convey_timers_pending ", stats.timers_pending, "\n");
  Header(&out, "convey_timers_fired_total", "counter", "Time semaphores that moved their task.");
  absl::StrAppend(&out, "convey_timers_fired_total ", stats.timers_fired, "\n");
  Header(&out, "convey_node_transitions_total", "counter", "Entries into a node.");
  absl::StrAppend(&out, "convey_node_transitions_total ", stats.node_transitions, "\n");

  // Per process and node, from the engine's counters.
  Header(&out, "convey_node_tasks", "gauge", "Tasks in a node now (moving, queued or parked).");
  std::string parked;
  Header(&parked, "convey_parked_tasks", "gauge",
         "Tasks in a node that are not moving, by reason.");
  std::string created;
  Header(&created, "convey_process_tasks_created_total", "counter",
         "Tasks created in a process (by the API and by logics) since the server started.");
  std::string finished_nodes;
  Header(&finished_nodes, "convey_final_node_tasks_total", "counter",
         "Tasks that ended in a final node.");
  for (const ProcessStats& process : stats.processes) {
    absl::StrAppendFormat(&created, "convey_process_tasks_created_total{conv_id=\"%d\"} %d\n",
                          process.conv_id, process.created);
    for (const NodeStats& node : process.nodes) {
      const std::string labels =
          absl::StrFormat("conv_id=\"%d\",node_id=\"%s\",node=\"%s\"", process.conv_id,
                          LabelValue(node.node_id), LabelValue(node.title));
      absl::StrAppend(&out, "convey_node_tasks{", labels, "} ", node.tasks, "\n");
      if (node.is_final) {
        absl::StrAppend(&finished_nodes, "convey_final_node_tasks_total{", labels, "} ",
                        node.finished, "\n");
      }
      const std::pair<absl::string_view, int64_t> reasons[] = {
          {"callback", node.callback}, {"reply", node.reply},
          {"queue", node.queue},       {"http", node.http},
          {"timer", node.timer},       {"no_exit", node.no_exit},
          {"error", node.error},       {"loop_stopped", node.loop_stopped}};
      for (const auto& [reason, count] : reasons) {
        if (count == 0) continue;
        absl::StrAppend(&parked, "convey_parked_tasks{", labels, ",reason=\"", reason, "\"} ",
                        count, "\n");
      }
    }
  }
  out += parked;
  out += created;
  out += finished_nodes;

  {
    std::lock_guard<std::mutex> lock(mutex_);
    Header(&out, "convey_process_tasks_ended_total", "counter",
           "Tasks of a process that finished, stopped on an error or were stopped by the loop "
           "guard since the server started.");
    for (const auto& [conv_id, counts] : ends_) {
      absl::StrAppendFormat(&out,
                            "convey_process_tasks_ended_total{conv_id=\"%d\",end=\"finished\"} "
                            "%d\nconvey_process_tasks_ended_total{conv_id=\"%d\",end=\"error\"} "
                            "%d\nconvey_process_tasks_ended_total{conv_id=\"%d\",end=\"loop_"
                            "stopped\"} %d\n",
                            conv_id, counts.finished, conv_id, counts.errored, conv_id,
                            counts.loop_stopped);
    }
    Header(&out, "convey_task_errors_total", "counter",
           "Tasks stopped by an error with no err_node_id, by error tag.");
    for (const auto& [key, count] : error_tags_) {
      absl::StrAppendFormat(&out, "convey_task_errors_total{conv_id=\"%d\",tag=\"%s\"} %d\n",
                            key.first, LabelValue(key.second), count);
    }
  }
  Header(&out, "convey_task_create_to_final_seconds", "histogram",
         "From a task's creation to its final node.");
  create_to_final_.Render("convey_task_create_to_final_seconds", "", &out);

  Header(&out, "convey_api_calls_total", "counter",
         "HTTP calls of api logics, by HTTP status class or transport failure.");
  for (size_t i = 0; i < kApiOutcomes.size(); ++i) {
    absl::StrAppend(&out, "convey_api_calls_total{outcome=\"", kApiOutcomes[i], "\"} ",
                    api_calls_[i].load(std::memory_order_relaxed), "\n");
  }
  Header(&out, "convey_api_call_duration_seconds", "histogram", "HTTP calls of api logics.");
  api_durations_.Render("convey_api_call_duration_seconds", "", &out);

  Header(&out, "convey_http_requests_total", "counter",
         "Requests answered by the server, by route and status (0: any other status).");
  for (int r = 0; r < kRouteCount; ++r) {
    for (size_t s = 0; s < kStatuses.size(); ++s) {
      const int64_t count = requests_[r][s].load(std::memory_order_relaxed);
      if (count == 0) continue;
      absl::StrAppend(&out, "convey_http_requests_total{route=\"", RouteName(static_cast<Route>(r)),
                      "\",status=\"", kStatuses[s], "\"} ", count, "\n");
    }
  }
  Header(&out, "convey_http_request_duration_seconds", "histogram",
         "From a request's last byte to its answer, by route.");
  for (int r = 0; r < kRouteCount; ++r) {
    durations_[r].Render("convey_http_request_duration_seconds",
                         absl::StrCat("route=\"", RouteName(static_cast<Route>(r)), "\""), &out);
  }
  return out;
}

void MeteredTransport::Send(HttpRequest request, HttpDone done) {
  const absl::Time start = absl::Now();
  inner_->Send(std::move(request), [metrics = metrics_, start, done = std::move(done)](
                                       absl::StatusOr<HttpResponse> result) mutable {
    metrics->RecordApiCall(result, absl::Now() - start);
    done(std::move(result));
  });
}

}  // namespace convey::serve
