// The ops protocol (convey/ops.h, runtime/ops): HandleOps over an engine.
//
// The input is a request body. A fresh engine (one worker, virtual clock)
// runs three processes: 1001 goes straight to a final node, 1002 parks its
// tasks in a node with no exit, 1003 parks them in an api_callback (a modify
// resumes them to a final node). Tasks "r1" (1002) and "r2" (1003) exist
// before the request, so modify / show / delete by ref find something.
// Invariants:
// - the reply is a JSON object (valid UTF-8) whose request_proc is "ok" or
//   "format_error";
// - "format_error" carries a description and an empty ops list; "ok" has
//   one result per op of the request, each with a proc;
// - afterwards every task holds a JSON object.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "convey/engine.h"
#include "convey/environment.h"
#include "convey/ops.h"
#include "simdjson.h"
#include "tests/fuzz/engine_support.h"
#include "tests/fuzz/fuzz_support.h"
#include "tests/support/ops_processes.h"

namespace {

const std::string kScheme =
    absl::StrCat("[", convey::testing::kOpsPassProcess, ",", convey::testing::kOpsHoldProcess, ",",
                 convey::testing::kOpsCallbackProcess, "]");

// The number of ops in a request that is an object with an `ops` array;
// -1 otherwise.
int64_t RequestOps(absl::string_view body) {
  simdjson::dom::parser parser;
  simdjson::dom::array ops;
  if (parser.parse(body.data(), body.size()).get_object()["ops"].get(ops) != simdjson::SUCCESS) {
    return -1;
  }
  return static_cast<int64_t>(ops.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view body = convey::fuzz::AsText(data, size);
  convey::VirtualClock clock(absl::FromUnixSeconds(1700000000));
  absl::StatusOr<std::unique_ptr<convey::Engine>> opened =
      convey::Engine::Open(convey::fuzz::SmallEngineOptions(&clock));
  FUZZ_CHECK(opened.ok(), "Engine::Open: %s", opened.status().ToString().c_str());
  convey::Engine& engine = **opened;
  absl::StatusOr<convey::DeployResult> deployed = engine.Deploy("ops.json", kScheme);
  FUZZ_CHECK(deployed.ok(), "the fixed scheme does not deploy: %s",
             deployed.status().ToString().c_str());
  FUZZ_CHECK(engine.CreateTask(1002, "r1", R"({"a":1,"b":[true,null]})").ok(), "setup r1");
  FUZZ_CHECK(engine.CreateTask(1003, "r2", R"({"state":"new","n":2})").ok(), "setup r2");
  (void)engine.WaitIdle(absl::Seconds(2));

  const std::string reply = convey::HandleOps(engine, body);
  (void)engine.WaitIdle(absl::Seconds(2));

  simdjson::dom::parser parser;
  simdjson::dom::object root;
  FUZZ_CHECK(parser.parse(reply).get(root) == simdjson::SUCCESS,
             "the reply is not a JSON object: %.500s", reply.c_str());
  std::string_view request_proc;
  FUZZ_CHECK(root["request_proc"].get(request_proc) == simdjson::SUCCESS,
             "the reply has no request_proc: %.500s", reply.c_str());
  simdjson::dom::array results;
  FUZZ_CHECK(root["ops"].get(results) == simdjson::SUCCESS, "the reply has no ops: %.500s",
             reply.c_str());
  if (request_proc == "format_error") {
    std::string_view description;
    FUZZ_CHECK(root["description"].get(description) == simdjson::SUCCESS && !description.empty(),
               "a format_error without a description: %.500s", reply.c_str());
    FUZZ_CHECK(results.size() == 0, "a format_error with results: %.500s", reply.c_str());
  } else {
    FUZZ_CHECK(request_proc == "ok", "request_proc \"%.*s\"", static_cast<int>(request_proc.size()),
               request_proc.data());
    const int64_t ops = RequestOps(body);
    FUZZ_CHECK(ops == static_cast<int64_t>(results.size()),
               "%lld ops in the request, %zu results: %.500s", static_cast<long long>(ops),
               results.size(), reply.c_str());
    for (simdjson::dom::element result : results) {
      std::string_view proc;
      FUZZ_CHECK(result["proc"].get(proc) == simdjson::SUCCESS && !proc.empty(),
                 "a result without proc: %.500s", reply.c_str());
    }
  }

  engine.ForEachTask([](const convey::TaskSnapshot& task) {
    simdjson::dom::element_type type = simdjson::dom::element_type::NULL_VALUE;
    FUZZ_CHECK(
        convey::fuzz::ParsesAsJson(task.data, &type) && type == simdjson::dom::element_type::OBJECT,
        "task %s holds data that is not a JSON object: %.300s", task.obj_id.c_str(),
        task.data.c_str());
  });
  engine.Close().IgnoreError();
  return 0;
}
