#include "runtime/engine/engine_options.h"

#include <cstdint>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "runtime/engine/webhooks.h"
#include "runtime/http/address_policy.h"

namespace convey {
namespace internal {

// The rules written on each field of EngineOptions (convey/engine.h). The
// pointers, booleans and `variable_lookup` take any value.
absl::Status ValidateOptions(const EngineOptions& o) {
  // 2^32-1: the most the JSON parser (simdjson) holds, and SpiderMonkey's
  // heap limit (a 32-bit parameter).
  constexpr uint64_t kMax32 = 0xFFFFFFFFu;
  auto bad = [](absl::string_view field, const auto& value, absl::string_view rule) {
    return absl::InvalidArgumentError(
        absl::StrCat("EngineOptions::", field, " is ", value, ": ", rule));
  };
  if (o.worker_threads < 0 || o.worker_threads > 1024) {
    return bad("worker_threads", o.worker_threads, "must be 0..1024 (0: one per hardware thread)");
  }
  if (o.max_task_size < 2 || o.max_task_size > kMax32) {
    return bad("max_task_size", o.max_task_size,
               "must be 2 (the size of {}) .. 4294967295 (the JSON parser's limit)");
  }
  if (o.code_limits.time_limit <= absl::ZeroDuration() ||
      o.code_limits.time_limit > absl::Hours(24)) {
    return bad("code_limits.time_limit", absl::FormatDuration(o.code_limits.time_limit),
               "must be more than 0 and at most 24h (a script holds its worker that long)");
  }
  if (o.code_limits.heap_limit_bytes < (size_t{1} << 20) ||
      o.code_limits.heap_limit_bytes > kMax32) {
    return bad("code_limits.heap_limit_bytes", o.code_limits.heap_limit_bytes,
               "must be 1 MiB .. 4294967295 (SpiderMonkey's heap limit is 32-bit)");
  }
  if (o.loop_limit < 1) {
    return bad("loop_limit", o.loop_limit, "must be at least 1 (a task enters at least one node)");
  }
  if (o.max_queued_tasks < 1 || o.max_queued_tasks > static_cast<uint64_t>(INT64_MAX)) {
    return bad("max_queued_tasks", o.max_queued_tasks,
               "must be 1..2^63-1 (0 would refuse every create)");
  }
  if (o.import_limits.max_file_size < 1 || o.import_limits.max_file_size > kMax32) {
    return bad("import_limits.max_file_size", o.import_limits.max_file_size,
               "must be 1..4294967295 (the JSON parser's limit)");
  }
  if (o.import_limits.max_depth < 1 || o.import_limits.max_depth > 1024) {
    return bad("import_limits.max_depth", o.import_limits.max_depth,
               "must be 1..1024 (the JSON parser's default; deeper files would nest the "
               "importer's walk that deep)");
  }
  if (o.import_limits.max_diagnostics < 1) {
    return bad("import_limits.max_diagnostics", o.import_limits.max_diagnostics,
               "must be at least 1 (else a file that does not load could not say why)");
  }
  if (absl::Status hooks = CheckWebhooks(o.webhooks); !hooks.ok()) return hooks;
  if (o.task_history_limit > 65535) {
    return bad("task_history_limit", o.task_history_limit,
               "must be 0..65535 (0 keeps no history)");
  }
  if (o.max_rpc_depth < 1) {
    return bad("max_rpc_depth", o.max_rpc_depth,
               "must be at least 1 (else every api_rpc call would fail)");
  }
  constexpr uint64_t kMax63 = static_cast<uint64_t>(INT64_MAX);
  if (o.max_tasks_per_tree < 1 || o.max_tasks_per_tree > kMax63) {
    return bad("max_tasks_per_tree", o.max_tasks_per_tree,
               "must be 1..2^63-1 (else no api_copy or api_rpc could start a task)");
  }
  if (o.max_caused_tasks_per_process < 1 || o.max_caused_tasks_per_process > kMax63) {
    return bad("max_caused_tasks_per_process", o.max_caused_tasks_per_process,
               "must be 1..2^63-1 (else no api_copy or api_rpc could start a task)");
  }
  if (o.api_timeout <= absl::ZeroDuration()) {
    return bad("api_timeout", absl::FormatDuration(o.api_timeout),
               "must be more than 0 (absl::InfiniteDuration(): none); else every api call "
               "would fail before it is sent");
  }
  if (o.api_max_response_bytes < 1) {
    return bad("api_max_response_bytes", o.api_max_response_bytes,
               "must be at least 1 (else every answer with a body is refused)");
  }
  if (o.api_default_max_threads < 1) {
    return bad("api_default_max_threads", o.api_default_max_threads,
               "must be at least 1 (else the calls of an api logic without max_threads "
               "would wait for a free slot forever)");
  }
  if (o.api_max_in_flight < 1) {
    return bad("api_max_in_flight", o.api_max_in_flight,
               "must be at least 1 (else every api call would wait for a free slot forever)");
  }
  if (o.durability == Durability::kNone && !o.store_directory.empty()) {
    return bad("durability", "kNone",
               absl::StrCat("means no store, yet store_directory is \"",
                            absl::CHexEscape(o.store_directory),
                            "\" (leave it empty, or choose kAsync or kSync)"));
  }
  if (o.archive_retention <= absl::ZeroDuration()) {
    return bad("archive_retention", absl::FormatDuration(o.archive_retention),
               "must be more than 0 (absl::InfiniteDuration(): keep finished tasks for ever)");
  }
  for (size_t i = 0; i < o.api_allowed_networks.size(); ++i) {
    const std::string& entry = o.api_allowed_networks[i];
    absl::StatusOr<IpNetwork> network = ParseIpNetwork(entry);
    if (!network.ok()) {
      return bad(absl::StrCat("api_allowed_networks[", i, "]"),
                 absl::StrCat("\"", absl::CHexEscape(entry), "\""),
                 absl::StrCat("must be an IPv4 or IPv6 network or single address "
                              "(10.20.0.0/16, fd00::/8, 192.168.1.7, ::1): ",
                              network.status().message()));
    }
  }
  return absl::OkStatus();
}

}  // namespace internal
}  // namespace convey
