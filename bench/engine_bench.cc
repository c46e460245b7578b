// What moving tasks costs: throughput of a 4-node process, ns per node
// transition on long chains, memory per parked task, api_sum adds.
//
//   bazel run --config=opt //bench:engine_bench
#include <dirent.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "bench/pipeline.h"
#include "benchmark/benchmark.h"
#include "concurrentqueue/blockingconcurrentqueue.h"
#include "convey/engine.h"
#include "runtime/engine/process.h"
#include "tests/support/scheme_text.h"

namespace convey {
namespace {

using ::convey::testing::GoJson;
using ::convey::testing::IfJson;
using ::convey::testing::Kind;
using ::convey::testing::NodeJson;
using ::convey::testing::ProcessJson;

constexpr int64_t kConv = 1;

[[noreturn]] void Die(const absl::Status& status) {
  std::fprintf(stderr, "%s\n", status.ToString().c_str());
  std::abort();
}

// `history`: EngineOptions::task_history_limit (the default keeps 32
// entries per task; 0 keeps none).
std::unique_ptr<Engine> OpenWith(int workers, size_t max_queued, const std::string& scheme,
                                 Observer* observer = nullptr,
                                 size_t history = EngineOptions().task_history_limit) {
  EngineOptions options;
  options.worker_threads = workers;
  options.task_history_limit = history;
  options.observer = observer;
  options.max_queued_tasks = max_queued;
  auto engine = Engine::Open(options);
  if (!engine.ok()) Die(engine.status());
  absl::StatusOr<DeployResult> deployed = (*engine)->Deploy("bench.json", scheme);
  if (!deployed.ok()) Die(deployed.status());
  return *std::move(engine);
}

// Creates `count` tasks, retrying when the run queue is full, then waits.
void RunTasks(Engine& engine, int count, const std::vector<std::string>& data) {
  for (int i = 0; i < count; ++i) {
    for (;;) {
      absl::StatusOr<std::string> id = engine.CreateTask(kConv, "", data[i % data.size()]);
      if (id.ok()) break;
      if (id.status().code() != absl::StatusCode::kResourceExhausted) Die(id.status());
      std::this_thread::yield();
    }
  }
  if (absl::Status idle = engine.WaitIdle(absl::Minutes(10)); !idle.ok()) Die(idle);
}

std::vector<std::string> SampleData() {
  std::vector<std::string> data;
  for (int i = 0; i < 1000; ++i) data.push_back(bench::PipelineTaskData(i));
  return data;
}

// Arg 0: tasks per iteration; arg 1: most tasks in flight (queued or running).
void BM_Pipeline(benchmark::State& state) {
  const int tasks = static_cast<int>(state.range(0));
  auto engine = OpenWith(2, static_cast<size_t>(state.range(1)), bench::PipelineScheme(kConv));
  const std::vector<std::string> data = SampleData();
  for (auto _ : state) RunTasks(*engine, tasks, data);
  state.SetItemsProcessed(state.iterations() * tasks);
  state.counters["task_bytes"] = static_cast<double>(data[0].size());
}
BENCHMARK(BM_Pipeline)
    ->Args({1000000, 2000000})
    ->Args({1000000, 1000})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// BM_Pipeline/1000000/2000000 with the tasks created through
// Engine::CreateTasks, 256 at a time (as `convey run` and the ops layer
// create them): the same work per task, queued in bulk.
void BM_PipelineBatch(benchmark::State& state) {
  constexpr int kTasks = 1000000;
  constexpr int kBatch = 256;
  auto engine = OpenWith(2, 2000000, bench::PipelineScheme(kConv));
  const std::vector<std::string> data = SampleData();
  std::vector<NewTask> batch;
  for (auto _ : state) {
    for (int i = 0; i < kTasks; i += kBatch) {
      batch.clear();
      for (int j = i; j < std::min(i + kBatch, kTasks); ++j) {
        batch.emplace_back("", data[static_cast<size_t>(j) % data.size()]);
      }
      for (const absl::StatusOr<std::string>& id : engine->CreateTasks(kConv, batch)) {
        if (!id.ok()) Die(id.status());
      }
    }
    if (absl::Status idle = engine->WaitIdle(absl::Minutes(10)); !idle.ok()) Die(idle);
  }
  state.SetItemsProcessed(state.iterations() * kTasks);
}
BENCHMARK(BM_PipelineBatch)->Unit(benchmark::kMillisecond)->UseRealTime();

// BM_Pipeline/1000000/2000000 with no task history
// (task_history_limit 0): what the history (6 entries per task) costs.
void BM_PipelineNoHistory(benchmark::State& state) {
  auto engine = OpenWith(2, 2000000, bench::PipelineScheme(kConv), nullptr, 0);
  const std::vector<std::string> data = SampleData();
  for (auto _ : state) RunTasks(*engine, 1000000, data);
  state.SetItemsProcessed(state.iterations() * 1000000);
}
BENCHMARK(BM_PipelineNoHistory)->Unit(benchmark::kMillisecond)->UseRealTime();

// Counts the events it asked for.
class CountingObserver : public Observer {
 public:
  explicit CountingObserver(uint32_t wanted) : wanted_(wanted) {}
  uint32_t events() const override { return wanted_; }
  void OnTaskCreated(const TaskEvent&) override { Count(); }
  void OnNodeEntered(const TaskEvent&) override { Count(); }
  void OnTaskParked(const TaskEvent&) override { Count(); }
  void OnTaskFinished(const TaskEvent&) override { Count(); }
  int64_t seen() const { return seen_.load(std::memory_order_relaxed); }

 private:
  void Count() { seen_.fetch_add(1, std::memory_order_relaxed); }
  const uint32_t wanted_;
  std::atomic<int64_t> seen_{0};
};

// BM_Pipeline/1000000/2000000 with an observer. Arg: 0 an observer that
// wants nothing (events() == 0: the engine builds no event), 1 one that
// wants finished tasks only, 2 one that wants every event (created, 3 node
// entries, finished: 5 per task).
void BM_PipelineObserved(benchmark::State& state) {
  static constexpr uint32_t kWanted[] = {0, Observer::kFinished, Observer::kAllEvents};
  CountingObserver observer(kWanted[state.range(0)]);
  const int tasks = 1000000;
  auto engine = OpenWith(2, 2000000, bench::PipelineScheme(kConv), &observer);
  const std::vector<std::string> data = SampleData();
  for (auto _ : state) RunTasks(*engine, tasks, data);
  state.SetItemsProcessed(state.iterations() * tasks);
  state.counters["events_per_task"] =
      static_cast<double>(observer.seen()) / static_cast<double>(state.iterations() * tasks);
  engine.reset();
}
BENCHMARK(BM_PipelineObserved)
    ->Arg(0)
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// The pipeline with a handle per task (Engine::Submit and OnDone) instead
// of CreateTask: what "run this task and tell me its result" costs.
void BM_PipelineSubmit(benchmark::State& state) {
  const int tasks = 1000000;
  auto engine = OpenWith(2, 2000000, bench::PipelineScheme(kConv));
  const std::vector<std::string> data = SampleData();
  std::atomic<int64_t> ended{0};
  for (auto _ : state) {
    for (int i = 0; i < tasks; ++i) {
      absl::StatusOr<TaskHandle> handle = engine->Submit(kConv, "", data[i % data.size()]);
      if (!handle.ok()) Die(handle.status());
      handle->OnDone([&ended](const absl::StatusOr<TaskSnapshot>&) {
        ended.fetch_add(1, std::memory_order_relaxed);
      });
    }
    if (absl::Status idle = engine->WaitIdle(absl::Minutes(10)); !idle.ok()) Die(idle);
  }
  if (ended.load() != state.iterations() * tasks) Die(absl::InternalError("a handle was lost"));
  state.SetItemsProcessed(state.iterations() * tasks);
}
BENCHMARK(BM_PipelineSubmit)->Unit(benchmark::kMillisecond)->UseRealTime();

// A chain of `length` nodes, each holding `logic` then a go to the next.
std::string ChainScheme(int length, bool conditions) {
  std::vector<std::string> nodes;
  nodes.push_back(NodeJson("start", Kind::kStart, "[" + GoJson("n0") + "]"));
  for (int i = 0; i < length; ++i) {
    const std::string next = i + 1 < length ? absl::StrCat("n", i + 1) : "end";
    const std::string logics =
        conditions
            ? "[" + IfJson("amount", "more", "1000", "number", "end") + "," + GoJson(next) + "]"
            : "[" + GoJson(next) + "]";
    nodes.push_back(NodeJson(absl::StrCat("n", i), Kind::kNormal, logics));
  }
  nodes.push_back(NodeJson("end", Kind::kFinal, "[]", R"j({"save_task":false})j"));
  return ProcessJson(kConv, nodes);
}

// CPU time (ns) that every thread of this process but the main one has
// run, from /proc/self/task/*/schedstat (its first field): time spent
// waiting for a core, or stolen by the hypervisor, is not in it.
int64_t OtherThreadsCpuNanos() {
  int64_t total = 0;
  DIR* tasks = opendir("/proc/self/task");
  if (tasks == nullptr) return 0;
  const std::string main_thread = std::to_string(getpid());
  while (dirent* entry = readdir(tasks)) {
    if (entry->d_name[0] == '.' || main_thread == entry->d_name) continue;
    const std::string path = absl::StrCat("/proc/self/task/", entry->d_name, "/schedstat");
    if (std::FILE* file = std::fopen(path.c_str(), "r")) {
      long long nanos = 0;
      if (std::fscanf(file, "%lld", &nanos) == 1) total += nanos;
      std::fclose(file);
    }
  }
  closedir(tasks);
  return total;
}

// ns per node transition on a 100-node chain, one worker (every step stays
// on it). `transitions`: wall time per transition, the creating thread
// running beside the worker; `worker_cpu`: the engine's threads' CPU time
// per transition (the worker's, nearly all), which a busy or stolen core
// does not inflate: the number to compare across runs on a noisy machine.
void ChainBenchmark(benchmark::State& state, bool conditions,
                    size_t history = EngineOptions().task_history_limit) {
  auto engine = OpenWith(1, 1 << 20, ChainScheme(100, conditions), nullptr, history);
  const std::vector<std::string> data = SampleData();
  const int tasks = 1000;
  RunTasks(*engine, tasks, data);  // warm: the worker's tables are sized
  const int64_t transitions_before = engine->Stats().node_transitions;
  const int64_t cpu_before = OtherThreadsCpuNanos();
  for (auto _ : state) RunTasks(*engine, tasks, data);
  const double cpu = static_cast<double>(OtherThreadsCpuNanos() - cpu_before);
  const int64_t transitions = engine->Stats().node_transitions - transitions_before;
  state.counters["transitions"] = benchmark::Counter(
      static_cast<double>(transitions), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.counters["worker_cpu"] = cpu / static_cast<double>(std::max<int64_t>(transitions, 1));
  state.SetItemsProcessed(transitions);
}
void BM_GoChain(benchmark::State& state) { ChainBenchmark(state, false); }
void BM_GoIfConstChain(benchmark::State& state) { ChainBenchmark(state, true); }
BENCHMARK(BM_GoChain)->Unit(benchmark::kMillisecond)->UseRealTime();
// The same without task history: the ring of 32 entries each task fills
// and then overwrites on its 100 steps.
void BM_GoChainNoHistory(benchmark::State& state) { ChainBenchmark(state, false, 0); }
BENCHMARK(BM_GoChainNoHistory)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_GoIfConstChain)->Unit(benchmark::kMillisecond)->UseRealTime();
void BM_GoIfConstChainNoHistory(benchmark::State& state) { ChainBenchmark(state, true, 0); }
BENCHMARK(BM_GoIfConstChainNoHistory)->Unit(benchmark::kMillisecond)->UseRealTime();

// The floor under B1 and B2 (issue 17): items through a bare
// moodycamel::BlockingConcurrentQueue, the engine's run queue type, from one
// producer to 2 consumers that do nothing with them. A task is at least one
// such hop; its JSON, logics and bookkeeping are what the engine adds.
// Arg: items per enqueue. 1, as CreateTask queues a task: each enqueue may
// have to wake a sleeping consumer (a futex call), so the rate swings with
// who sleeps when (1.2 to 15 M/s on this machine kind). 64, enqueue_bulk:
// one wake-up per 64 items, the machine's limit a batch create could reach.
void BM_QueueHop(benchmark::State& state) {
  constexpr int kItems = 1 << 20;
  const int batch = static_cast<int>(state.range(0));
  moodycamel::BlockingConcurrentQueue<int*> queue;
  int item = 0;
  const std::vector<int*> items(static_cast<size_t>(batch), &item);
  for (auto _ : state) {
    std::atomic<int> left{kItems};
    std::vector<std::thread> consumers;
    for (int c = 0; c < 2; ++c) {
      consumers.emplace_back([&queue, &left] {
        moodycamel::ConsumerToken token(queue);
        int* taken[64];
        while (left.load(std::memory_order_relaxed) > 0) {
          const size_t got = queue.wait_dequeue_bulk_timed(token, taken, 64, 1000);
          left.fetch_sub(static_cast<int>(got), std::memory_order_relaxed);
        }
      });
    }
    moodycamel::ProducerToken token(queue);
    for (int i = 0; i < kItems; i += batch) {
      if (batch == 1) {
        queue.enqueue(token, &item);
      } else {
        queue.enqueue_bulk(token, items.data(), static_cast<size_t>(batch));
      }
    }
    for (std::thread& consumer : consumers) consumer.join();
  }
  state.SetItemsProcessed(state.iterations() * kItems);
}
BENCHMARK(BM_QueueHop)->Arg(1)->Arg(64)->Unit(benchmark::kMillisecond)->UseRealTime();

size_t ResidentBytes() {
  long pages = 0, resident = 0;
  std::FILE* statm = std::fopen("/proc/self/statm", "r");
  if (statm == nullptr) return 0;
  if (std::fscanf(statm, "%ld %ld", &pages, &resident) != 2) resident = 0;
  std::fclose(statm);
  return static_cast<size_t>(resident) * static_cast<size_t>(sysconf(_SC_PAGESIZE));
}

// SearchTasks over 10^6 parked tasks (every tenth in node "b", the rest in
// "a"; data {"n":i}), made once. Arg 0: the first page (limit 100) of the
// tasks in node "b"; 1: a page 9000 pages deep into all tasks (its cursor
// made beforehand); 2: a selective data filter (n == 999999, the last
// task), one call with the default budget of 10000 entries.
Engine* SearchEngine() {
  static Engine* engine = [] {
    auto made = OpenWith(
        2, 1 << 22,
        ProcessJson(
            kConv,
            {NodeJson("start", Kind::kStart,
                      "[" + IfJson("tenth", "eq", "1", "number", "b") + "," + GoJson("a") + "]"),
             NodeJson("a", Kind::kNormal, "[]"), NodeJson("b", Kind::kNormal, "[]")}));
    for (int i = 0; i < 1000000; ++i) {
      const std::string data = absl::StrCat(R"({"n":)", i, R"(,"tenth":)", i % 10 == 0, "}");
      if (!made->CreateTask(kConv, "", data).ok()) std::abort();
    }
    if (!made->WaitIdle(absl::Minutes(5)).ok()) std::abort();
    return made.release();
  }();
  return engine;
}

void BM_SearchTasks(benchmark::State& state) {
  Engine* engine = SearchEngine();
  TaskQuery query;
  query.conv_id = kConv;
  if (state.range(0) == 0) query.node_id = "b";
  if (state.range(0) == 1) {
    // Walk to page 9000 once; the benchmark measures the page there.
    query.max_scanned = 1000;
    for (int page = 0; page < 9000; ++page) {
      absl::StatusOr<TaskPage> walked = engine->SearchTasks(query);
      if (!walked.ok()) Die(walked.status());
      query.cursor = walked->next_cursor;
    }
  }
  if (state.range(0) == 2) {
    query.data_path = "n";
    query.data_value_json = "999999";
    query.descending = true;
  }
  size_t found = 0;
  for (auto _ : state) {
    absl::StatusOr<TaskPage> page = engine->SearchTasks(query);
    if (!page.ok()) Die(page.status());
    found = page->tasks.size();
    benchmark::DoNotOptimize(page->tasks.data());
  }
  state.counters["tasks"] = static_cast<double>(found);
}
BENCHMARK(BM_SearchTasks)->Arg(0)->Arg(1)->Arg(2)->Unit(benchmark::kMicrosecond);

// Resident bytes per task parked in a node, beyond its JSON text. Run it
// alone (--benchmark_filter=Memory): memory freed by earlier benchmarks would
// be reused and hide part of the cost.
void BM_ParkedTaskMemory(benchmark::State& state) {
  const int tasks = static_cast<int>(state.range(0));
  const std::string data = R"j({"amount":1})j";
  double per_task = 0;
  for (auto _ : state) {
    auto engine =
        OpenWith(2, 1 << 22,
                 ProcessJson(kConv, {NodeJson("start", Kind::kStart, "[" + GoJson("wait") + "]"),
                                     NodeJson("wait", Kind::kNormal, "[]")}),
                 nullptr, static_cast<size_t>(state.range(1)));
    const size_t before = ResidentBytes();
    for (int i = 0; i < tasks; ++i) {
      if (!engine->CreateTask(kConv, absl::StrCat(i), data).ok()) std::abort();
    }
    if (!engine->WaitIdle(absl::Minutes(1)).ok()) std::abort();
    const size_t after = ResidentBytes();
    per_task = (static_cast<double>(after) - static_cast<double>(before)) / tasks -
               static_cast<double>(data.size());
  }
  state.counters["bytes_per_task"] = per_task;
}
// Arg 1: task_history_limit (32, the default: 3 entries per parked task; 0: none).
BENCHMARK(BM_ParkedTaskMemory)
    ->Args({1000000, 32})
    ->Args({1000000, 0})
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);

// api_sum accumulator: adds per second from every benchmark thread to one sum.
void BM_SumAdd(benchmark::State& state) {
  static internal::SumAccumulator* sum = new internal::SumAccumulator("id", "name", 3);
  const int stripe = state.thread_index();
  for (auto _ : state) sum->Add(1.0, stripe);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SumAdd)->Threads(2)->UseRealTime();

}  // namespace
}  // namespace convey

BENCHMARK_MAIN();
