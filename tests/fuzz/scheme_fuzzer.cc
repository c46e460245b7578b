// Scheme files (obj_scheme exports), whole: the importer, the logic
// factories and a tiny run.
//
// Each input is the bytes of a scheme file (after fuzz::Expand: NUL-separated
// repetition groups stand for large files, up to 1 MiB):
// 1. convey::InspectScheme: the importer (runtime/import) and every logic
//    factory in validate-only mode; must never crash, whatever the bytes.
// 2. Engine::Deploy into a fresh engine (one worker, virtual clock, no
//    network: api calls are answered locally): the importer again and the
//    factories compiling each logic for real.
//    Invariant: Deploy succeeds exactly when InspectScheme reports no error
//    (both run the same importer and factories on the same bytes).
// 3. When the deploy succeeds: one task per process (at most 4) with a
//    small data object, run until idle (at most 300 ms of wall time:
//    virtual time jumps over every delay), statistics and every task shown.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "convey/engine.h"
#include "convey/environment.h"
#include "convey/scheme.h"
#include "tests/fuzz/engine_support.h"
#include "tests/fuzz/fuzz_support.h"

namespace {

constexpr char kTaskData[] =
    R"({"amount":150,"name":"Ann","flag":true,"list":[1,"two",{"three":3}],)"
    R"("a":{"b":{"c":"deep"}},"ref":"r1","qty":2,"price":"12.5"})";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Repetition groups (fuzz::Expand) stand for large files: up to 1 MiB.
  const std::string expanded = convey::fuzz::Expand(convey::fuzz::AsText(data, size), 1 << 20);
  const absl::string_view json = expanded;

  const convey::SchemeReport report = convey::InspectScheme("fuzz.json", json);
  if (convey::fuzz::Verbose()) {
    std::fprintf(stderr, "InspectScheme: %zu processes, %zu warnings, %zu errors\n",
                 report.processes.size(), report.warnings.size(), report.errors.size());
    for (const convey::Diagnostic& d : report.errors) {
      std::fprintf(stderr, "  error: %s\n", d.ToString().c_str());
    }
    for (const convey::Diagnostic& d : report.warnings) {
      std::fprintf(stderr, "  warning: %s\n", d.ToString().c_str());
    }
  }

  convey::VirtualClock clock(absl::FromUnixSeconds(1700000000));
  absl::StatusOr<std::unique_ptr<convey::Engine>> engine =
      convey::Engine::Open(convey::fuzz::SmallEngineOptions(&clock));
  FUZZ_CHECK(engine.ok(), "Engine::Open: %s", engine.status().ToString().c_str());
  absl::StatusOr<convey::DeployResult> deployed = (*engine)->Deploy("fuzz.json", json);

  FUZZ_CHECK(deployed.ok() == report.ok(),
             "InspectScheme says %s (%zu errors%s%s) but Deploy says %s",
             report.ok() ? "it loads" : "it does not load", report.errors.size(),
             report.errors.empty() ? "" : ", first: ",
             report.errors.empty() ? "" : report.errors[0].ToString().c_str(),
             deployed.ok() ? "OK" : deployed.status().ToString().c_str());
  if (!deployed.ok()) return 0;
  FUZZ_CHECK(deployed->conv_ids.size() == report.processes.size(),
             "Deploy made %zu processes, InspectScheme counted %zu", deployed->conv_ids.size(),
             report.processes.size());

  int started = 0;
  for (int64_t conv_id : deployed->conv_ids) {
    if (started++ == 4) break;
    absl::StatusOr<std::string> created =
        (*engine)->CreateTask(conv_id, absl::StrCat("fuzz-", started), kTaskData);
    // A process may legitimately refuse (queue full after a copy loop...),
    // but never with a malformed-data error: the data is fine.
    FUZZ_CHECK(created.ok() || !absl::IsInvalidArgument(created.status()),
               "CreateTask(%lld) refused valid data: %s", static_cast<long long>(conv_id),
               created.status().ToString().c_str());
  }
  const absl::Status idle = (*engine)->WaitIdle(absl::Milliseconds(300));
  if (convey::fuzz::Verbose()) {
    std::fprintf(stderr, "WaitIdle: %s\n", idle.ToString().c_str());
  }
  (void)(*engine)->Stats();
  for (int64_t conv_id : deployed->conv_ids) {
    FUZZ_CHECK((*engine)->StatsFor(conv_id).ok(), "no statistics for deployed process %lld",
               static_cast<long long>(conv_id));
  }
  // No task may ever hold data that is not a JSON object it can parse again.
  (*engine)->ForEachTask([](const convey::TaskSnapshot& task) {
    if (convey::fuzz::Verbose()) {
      std::fprintf(stderr, "task %s ref \"%s\" process %lld: %s in \"%s\" (%s): %.300s\n",
                   task.obj_id.c_str(), task.ref.c_str(), static_cast<long long>(task.conv_id),
                   convey::TaskStatusName(task.status).data(), task.node_title.c_str(),
                   convey::ParkReasonName(task.park_reason).data(), task.data.c_str());
    }
    simdjson::dom::element_type type = simdjson::dom::element_type::NULL_VALUE;
    FUZZ_CHECK(
        convey::fuzz::ParsesAsJson(task.data, &type) && type == simdjson::dom::element_type::OBJECT,
        "task %s (node %s) holds data that is not a JSON object simdjson parses "
        "(%zu bytes): %.200s",
        task.obj_id.c_str(), task.node_id.c_str(), task.data.size(), task.data.c_str());
  });
  (*engine)->Close().IgnoreError();
  return 0;
}
