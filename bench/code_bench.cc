// What Code nodes (`api_code`, JavaScript on SpiderMonkey) cost: executions
// per second through the engine on two workers, one execution on one thread
// (data into and out of JavaScript included), the first execution on a new
// thread (a new context: lockdown, compilation), a `require` of each kind of
// library, and the memory of an idle context.
//
//   bazel run --config=opt //bench:code_bench
#include <unistd.h>

#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "convey/engine.h"
#include "runtime/script/js_runner.h"
#include "tests/support/scheme_text.h"

namespace convey {
namespace {

using ::convey::testing::GoJson;
using ::convey::testing::Kind;
using ::convey::testing::NodeJson;
using ::convey::testing::ProcessJson;

constexpr int64_t kConv = 1;
// The issue's three-line Code node.
constexpr char kScript[] =
    "data.total = data.price * data.qty;\\n"
    "data.tax = Math.round(data.total * 0.2 * 100) / 100;\\n"
    "data.big = data.total > 1000;";

[[noreturn]] void Die(const absl::Status& status) {
  std::fprintf(stderr, "%s\n", status.ToString().c_str());
  std::abort();
}

// A 340-byte task.
std::string TaskData(int i) {
  return absl::StrCat(
      R"j({"price":)j", 10 + i % 90, R"j(.5,"qty":)j", 1 + i % 7,
      R"j(,"currency":"UAH","customer":{"id":"c-)j", 100000 + i,
      R"j(","name":"Olena Kovalenko","segment":"retail"},"card":"4149********1234",)j",
      R"j("items":[{"sku":"A-100","qty":2},{"sku":"B-200","qty":1}],"channel":"mobile",)j",
      R"j("created_at":"2026-11-23T10:15:00Z","note":"deliver after 18:00, call first",)j",
      R"j("flags":{"vip":false,"fraud_check":true},"source":"bench"})j");
}

std::string CodeScheme() {
  return ProcessJson(kConv,
                     {NodeJson("start", Kind::kStart, absl::StrCat("[", GoJson("code"), "]")),
                      NodeJson("code", Kind::kNormal,
                               absl::StrCat(R"([{"type":"api_code","lang":"js","src":")", kScript,
                                            R"(","err_node_id":"err"},)", GoJson("done"), "]")),
                      NodeJson("err", Kind::kFinal, "[]"), NodeJson("done", Kind::kFinal, "[]")});
}

// Tasks through start -> code -> done on two workers, creation included.
void BM_CodeNodeThroughEngine(benchmark::State& state) {
  const int tasks = static_cast<int>(state.range(0));
  std::vector<std::string> data;
  for (int i = 0; i < tasks; ++i) data.push_back(TaskData(i));
  EngineOptions options;
  options.worker_threads = 2;
  options.max_queued_tasks = tasks + 16;
  auto engine = Engine::Open(options);
  if (!engine.ok()) Die(engine.status());
  if (auto deployed = (*engine)->Deploy("bench.json", CodeScheme()); !deployed.ok()) {
    Die(deployed.status());
  }
  // Warm up both workers' contexts (compile, JIT) outside the timing.
  for (int i = 0; i < 2000; ++i) (void)(*engine)->CreateTask(kConv, "", data[i % tasks]);
  (void)(*engine)->WaitIdle();
  for (auto _ : state) {
    for (int i = 0; i < tasks; ++i) {
      absl::StatusOr<std::string> id = (*engine)->CreateTask(kConv, "", data[i]);
      if (!id.ok()) Die(id.status());
    }
    if (absl::Status idle = (*engine)->WaitIdle(); !idle.ok()) Die(idle);
  }
  state.SetItemsProcessed(state.iterations() * tasks);
  const ProcessStats stats = *(*engine)->StatsFor(kConv);
  for (const NodeStats& node : stats.nodes) {
    if (node.node_id == "err" && node.finished != 0) Die(absl::InternalError("a script failed"));
  }
}
BENCHMARK(BM_CodeNodeThroughEngine)->Arg(20000)->Unit(benchmark::kMillisecond)->UseRealTime();

// One execution on this thread: the data parsed into JavaScript, the script,
// the data written back as JSON text.
void BM_OneExecution(benchmark::State& state) {
  auto script = internal::ScriptSource::Check(
      "data.total = data.price * data.qty;\n"
      "data.tax = Math.round(data.total * 0.2 * 100) / 100;\n"
      "data.big = data.total > 1000;");
  if (!script.ok()) Die(script.status());
  const std::string data = TaskData(7);
  internal::ScriptLimits limits;
  for (auto _ : state) {
    internal::ScriptOutcome outcome = internal::RunScript(**script, data, limits);
    benchmark::DoNotOptimize(outcome.data_json.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_OneExecution);

// A library required by each execution (it runs again every time: no state
// carries over).
void BM_RequireLibrary(benchmark::State& state, const char* code) {
  auto script = internal::ScriptSource::Check(code);
  if (!script.ok()) Die(script.status());
  internal::ScriptLimits limits;
  for (auto _ : state) {
    internal::ScriptOutcome outcome = internal::RunScript(**script, R"({"s":"abc"})", limits);
    if (outcome.kind != internal::ScriptOutcome::Kind::kOk) {
      Die(absl::InternalError(outcome.message));
    }
  }
}
BENCHMARK_CAPTURE(BM_RequireLibrary, sha1,
                  "data.h = require('libs/sha1.js').SHA1(data.s).toString();")
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_RequireLibrary, moment,
                  "data.d = require('libs/moment.js').utc(0).format('YYYY');")
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_RequireLibrary, moment_timezone,
                  "data.d = require('libs/moment-timezone.js').utc(0).tz('Europe/Kiev')"
                  ".format('HH');")
    ->Unit(benchmark::kMicrosecond);

// The first execution after deploy on a thread that has run no script: the
// context is made (standard classes, frozen built-ins), the script compiled.
void BM_FirstExecutionOnANewThread(benchmark::State& state) {
  auto script = internal::ScriptSource::Check("data.total = data.price * data.qty;");
  if (!script.ok()) Die(script.status());
  const std::string data = TaskData(1);
  for (auto _ : state) {
    std::thread([&] {
      internal::ScriptOutcome outcome = internal::RunScript(**script, data, {});
      benchmark::DoNotOptimize(outcome.data_json.data());
    }).join();
  }
}
BENCHMARK(BM_FirstExecutionOnANewThread)->Unit(benchmark::kMillisecond)->UseRealTime();

size_t ResidentBytes() {
  std::ifstream statm("/proc/self/statm");
  size_t pages = 0, resident = 0;
  statm >> pages >> resident;
  return resident * static_cast<size_t>(sysconf(_SC_PAGESIZE));
}

// Memory of an idle context: 8 threads each run one script and then wait;
// counters give the resident memory added per thread and its JS heap.
void BM_IdleContextMemory(benchmark::State& state) {
  auto script = internal::ScriptSource::Check("data.total = data.price * data.qty;");
  if (!script.ok()) Die(script.status());
  const std::string data = TaskData(1);
  constexpr int kThreads = 8;
  for (auto _ : state) {
    std::mutex mu;
    std::condition_variable cv;
    int ready = 0;
    bool release = false;
    size_t heap = 0;
    const size_t before = ResidentBytes();
    std::vector<std::thread> threads;
    for (int i = 0; i < kThreads; ++i) {
      threads.emplace_back([&] {
        internal::RunScript(**script, data, {});
        std::unique_lock<std::mutex> lock(mu);
        heap = internal::ScriptHeapBytes();
        ++ready;
        cv.notify_all();
        cv.wait(lock, [&] { return release; });
      });
    }
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return ready == kThreads; });
    const size_t after = ResidentBytes();
    release = true;
    cv.notify_all();
    lock.unlock();
    for (std::thread& thread : threads) thread.join();
    state.counters["resident_bytes_per_context"] = static_cast<double>(after - before) / kThreads;
    state.counters["js_heap_bytes"] = static_cast<double>(heap);
  }
}
BENCHMARK(BM_IdleContextMemory)->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace convey

BENCHMARK_MAIN();
