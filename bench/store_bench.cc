// What the durable store costs (docs/performance.md, "Durability"): the
// pipeline benchmark (engine_bench's B1 process) with no store, `async` and
// `sync`; create-to-acknowledge latency; bytes written per task; recovery
// of parked tasks; memory per parked task with a store.
//
//   bazel run --config=opt //bench:store_bench
//
// The store lives under $TEST_TMPDIR or /tmp (the disk the numbers are
// for: say which in docs/performance.md).
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "bench/pipeline.h"
#include "benchmark/benchmark.h"
#include "convey/engine.h"
#include "tests/support/scheme_text.h"

namespace convey {
namespace {

using ::convey::testing::GoJson;
using ::convey::testing::Kind;
using ::convey::testing::NodeJson;
using ::convey::testing::ProcessJson;

constexpr int64_t kConv = 1;

[[noreturn]] void Die(const absl::Status& status) {
  std::fprintf(stderr, "%s\n", status.ToString().c_str());
  std::abort();
}

std::string StoreDirectory(const std::string& name) {
  const char* tmp = std::getenv("TEST_TMPDIR");
  const std::string path =
      absl::StrCat(tmp != nullptr ? tmp : "/tmp", "/convey_store_bench_", name);
  if (std::system(("rm -rf '" + path + "'").c_str()) != 0) std::abort();
  return path;
}

uint64_t DirectoryBytes(const std::string& path) {
  std::FILE* du = ::popen(("du -sb '" + path + "' 2>/dev/null").c_str(), "r");
  if (du == nullptr) return 0;
  unsigned long long bytes = 0;
  if (std::fscanf(du, "%llu", &bytes) != 1) bytes = 0;
  ::pclose(du);
  return bytes;
}

// Mode: 0 no store, 1 async, 2 sync.
std::unique_ptr<Engine> OpenStored(int mode, const std::string& directory, int workers = 2) {
  EngineOptions options;
  options.worker_threads = workers;
  options.max_queued_tasks = 1 << 22;
  if (mode > 0) {
    options.store_directory = directory;
    options.durability = mode == 1 ? Durability::kAsync : Durability::kSync;
  }
  absl::StatusOr<std::unique_ptr<Engine>> engine = Engine::Open(options);
  if (!engine.ok()) Die(engine.status());
  return *std::move(engine);
}

void MustDeploy(Engine& engine, const std::string& scheme) {
  absl::StatusOr<DeployResult> deployed = engine.Deploy("bench.json", scheme);
  if (!deployed.ok()) Die(deployed.status());
}

// Arg 0: mode (0 none, 1 async, 2 sync); arg 1: tasks; arg 2: creating
// threads (sync mode acknowledges a create only once synced, so one thread
// waits for every sync; many share them); arg 3: tasks per CreateTasks
// batch (1: CreateTask, each acknowledged alone).
void BM_PipelineStored(benchmark::State& state) {
  const int mode = static_cast<int>(state.range(0));
  const int tasks = static_cast<int>(state.range(1));
  const int creators = static_cast<int>(state.range(2));
  const int batch = static_cast<int>(state.range(3));
  const std::string directory = StoreDirectory("pipeline");
  auto engine = OpenStored(mode, directory);
  MustDeploy(*engine, bench::PipelineScheme(kConv));
  std::vector<std::string> data;
  for (int i = 0; i < 1000; ++i) data.push_back(bench::PipelineTaskData(i));
  const uint64_t bytes_before = mode > 0 ? DirectoryBytes(directory) : 0;
  std::vector<int64_t> latencies_ns;
  for (auto _ : state) {
    std::vector<std::vector<int64_t>> per_thread(creators);
    std::vector<std::thread> threads;
    for (int t = 0; t < creators; ++t) {
      threads.emplace_back([&, t] {
        std::vector<int64_t>& mine = per_thread[t];
        mine.reserve(tasks / creators + 1);
        if (batch == 1) {
          for (int i = t; i < tasks; i += creators) {
            const absl::Time start = absl::Now();
            absl::StatusOr<std::string> id = engine->CreateTask(kConv, "", data[i % data.size()]);
            if (!id.ok()) Die(id.status());
            mine.push_back(absl::ToInt64Nanoseconds(absl::Now() - start));
          }
          return;
        }
        std::vector<NewTask> group;
        for (int i = t; i < tasks; i += creators) {
          group.push_back(NewTask{"", data[i % data.size()]});
          if (static_cast<int>(group.size()) < batch && i + creators < tasks) continue;
          const absl::Time start = absl::Now();
          for (const absl::StatusOr<std::string>& id : engine->CreateTasks(kConv, group)) {
            if (!id.ok()) Die(id.status());
          }
          // Every task of the batch waited this long for its acknowledgement.
          mine.insert(mine.end(), group.size(), absl::ToInt64Nanoseconds(absl::Now() - start));
          group.clear();
        }
      });
    }
    for (std::thread& thread : threads) thread.join();
    if (absl::Status idle = engine->WaitIdle(absl::Minutes(30)); !idle.ok()) Die(idle);
    for (const auto& mine : per_thread)
      latencies_ns.insert(latencies_ns.end(), mine.begin(), mine.end());
  }
  engine.reset();  // the store closes: its log is complete on disk
  state.SetItemsProcessed(state.iterations() * tasks);
  std::sort(latencies_ns.begin(), latencies_ns.end());
  if (!latencies_ns.empty()) {
    state.counters["ack_p50_us"] = latencies_ns[latencies_ns.size() / 2] / 1000.0;
    state.counters["ack_p99_us"] = latencies_ns[latencies_ns.size() * 99 / 100] / 1000.0;
  }
  if (mode > 0) {
    state.counters["disk_bytes_per_task"] =
        static_cast<double>(DirectoryBytes(directory) - bytes_before) /
        static_cast<double>(state.iterations() * tasks);
  }
}
BENCHMARK(BM_PipelineStored)
    ->ArgNames({"mode", "tasks", "creators", "batch"})
    ->Args({0, 200000, 1, 1})
    ->Args({0, 200000, 1, 1000})
    ->Args({1, 2000, 1, 1})
    ->Args({1, 200000, 1, 1})
    ->Args({1, 200000, 1, 1000})
    ->Args({2, 2000, 1, 1})
    ->Args({2, 200000, 64, 1})
    ->Args({2, 200000, 1, 1000})
    ->Args({2, 200000, 4, 1000})
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// start -> wait (api_callback): tasks that park and stay.
std::string ParkScheme() {
  return ProcessJson(kConv, {NodeJson("start", Kind::kStart, "[" + GoJson("wait") + "]"),
                             NodeJson("wait", Kind::kNormal, R"j([{"type":"api_callback"}])j")});
}

// Arg 0: parked tasks. Fills a store (async), closes it, then times Open:
// parked tasks recovered per second. (Memory per task is engine_bench's
// BM_ParkedTaskMemory: recovered tasks are the same records; measured here
// it would be hidden by the memory the filling engine freed.)
void BM_Recovery(benchmark::State& state) {
  const int tasks = static_cast<int>(state.range(0));
  const std::string directory = StoreDirectory("recovery");
  const std::string data = R"j({"amount":1})j";
  {
    auto engine = OpenStored(1, directory);
    MustDeploy(*engine, ParkScheme());
    std::vector<NewTask> batch;
    for (int i = 0; i < tasks; ++i) {
      batch.push_back(NewTask{absl::StrCat("r", i), data});
      if (batch.size() < 1000 && i + 1 < tasks) continue;
      for (const absl::StatusOr<std::string>& id : engine->CreateTasks(kConv, batch)) {
        if (!id.ok()) Die(id.status());
      }
      batch.clear();
    }
    if (!engine->WaitIdle(absl::Minutes(30)).ok()) std::abort();
  }
  int64_t recovered = 0;
  for (auto _ : state) {
    auto engine = OpenStored(1, directory);
    recovered = engine->Stats().tasks_recovered;
    state.PauseTiming();
    engine.reset();
    state.ResumeTiming();
  }
  if (recovered != tasks) {
    state.SkipWithError("not every task was recovered");
    return;
  }
  state.SetItemsProcessed(state.iterations() * tasks);
}
BENCHMARK(BM_Recovery)->Arg(1000000)->Iterations(1)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace convey

BENCHMARK_MAIN();
