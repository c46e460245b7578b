// What waiting costs through the engine: api_rpc round trips between two
// processes, callback releases from two threads, and virtual-time delays.
//
//   bazel run --config=opt //bench:waiting_bench
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "convey/engine.h"
#include "tests/support/scheme_text.h"

namespace convey {
namespace {

using ::convey::testing::GoJson;
using ::convey::testing::Kind;
using ::convey::testing::NodeJson;
using ::convey::testing::ProcessJson;
using ::convey::testing::SemaphoreNodeJson;
using ::convey::testing::TimeJson;

constexpr int64_t kCaller = 1;
constexpr int64_t kCallee = 2;

[[noreturn]] void Die(const absl::Status& status) {
  std::fprintf(stderr, "%s\n", status.ToString().c_str());
  std::abort();
}

std::unique_ptr<Engine> Open(Clock* clock, const std::vector<std::string>& schemes) {
  EngineOptions options;
  options.worker_threads = 2;
  options.clock = clock;
  auto engine = Engine::Open(options);
  if (!engine.ok()) Die(engine.status());
  for (const std::string& scheme : schemes) {
    absl::StatusOr<DeployResult> deployed = (*engine)->Deploy("bench.json", scheme);
    if (!deployed.ok()) Die(deployed.status());
  }
  return *std::move(engine);
}

void MustWait(Engine& engine) {
  if (absl::Status idle = engine.WaitIdle(absl::Seconds(600)); !idle.ok()) Die(idle);
}

// A caller task calls the callee, which replies with one value; both end
// in final nodes that drop their tasks.
std::vector<std::string> RpcSchemes() {
  const std::string drop = R"({"save_task":false})";
  return {
      ProcessJson(
          kCallee,
          {NodeJson("c_start", Kind::kStart, "[" + GoJson("reply") + "]"),
           NodeJson(
               "reply", Kind::kNormal,
               R"j([{"type":"api_rpc_reply","mode":"key_value","res_data":{"y":"{{x}}"},"res_data_type":{"y":"number"}},)j" +
                   GoJson("c_end") + "]"),
           NodeJson("c_end", Kind::kFinal, "[]", drop)}),
      ProcessJson(
          kCaller,
          {NodeJson("start", Kind::kStart, "[" + GoJson("call") + "]"),
           NodeJson(
               "call", Kind::kNormal,
               R"j([{"type":"api_rpc","conv_id":2,"extra":{"x":"{{x}}"},"extra_type":{"x":"number"}},)j" +
                   GoJson("end") + "]"),
           NodeJson("end", Kind::kFinal, "[]", drop)})};
}

// Round trips per second with `range(0)` calls in flight.
void BM_RpcRoundTrip(benchmark::State& state) {
  auto engine = Open(nullptr, RpcSchemes());
  const int64_t batch = state.range(0);
  for (auto _ : state) {
    for (int64_t i = 0; i < batch; ++i) {
      if (absl::StatusOr<std::string> id = engine->CreateTask(kCaller, "", R"({"x":7})");
          !id.ok()) {
        Die(id.status());
      }
    }
    MustWait(*engine);
  }
  state.SetItemsProcessed(state.iterations() * batch);
  state.counters["round_trips_per_s"] = benchmark::Counter(
      static_cast<double>(state.iterations() * batch), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_RpcRoundTrip)->Arg(1)->Arg(1000)->UseRealTime()->Unit(benchmark::kMicrosecond);

// `range(0)` tasks wait in an api_callback; two threads release them all
// with modifies by ref.
void BM_CallbackRelease(benchmark::State& state) {
  const std::string drop = R"({"save_task":false})";
  auto engine =
      Open(nullptr,
           {ProcessJson(kCaller, {NodeJson("start", Kind::kStart, "[" + GoJson("hold") + "]"),
                                  NodeJson("hold", Kind::kNormal,
                                           R"([{"type":"api_callback"},)" + GoJson("end") + "]"),
                                  NodeJson("end", Kind::kFinal, "[]", drop)})});
  const int64_t tasks = state.range(0);
  int64_t round = 0;
  for (auto _ : state) {
    state.PauseTiming();
    for (int64_t i = 0; i < tasks; ++i) {
      if (!engine->CreateTask(kCaller, absl::StrCat(round, "-", i), R"({"a":1})").ok()) {
        Die(absl::InternalError("create failed"));
      }
    }
    MustWait(*engine);
    state.ResumeTiming();
    std::vector<std::thread> threads;
    for (int t = 0; t < 2; ++t) {
      threads.emplace_back([&, t] {
        for (int64_t i = t; i < tasks; i += 2) {
          absl::Status status = engine->ModifyTask(
              TaskKey::ByRef(kCaller, absl::StrCat(round, "-", i)), R"({"b":2})");
          if (!status.ok()) Die(status);
        }
      });
    }
    for (std::thread& thread : threads) thread.join();
    MustWait(*engine);
    ++round;
  }
  state.SetItemsProcessed(state.iterations() * tasks);
}
BENCHMARK(BM_CallbackRelease)->Arg(100000)->UseRealTime()->Unit(benchmark::kMillisecond);

// `range(0)` tasks each wait 30 days in a delay node; the virtual clock
// jumps through them. Items: delays completed.
void BM_VirtualDelay(benchmark::State& state) {
  const std::string drop = R"({"save_task":false})";
  const int64_t tasks = state.range(0);
  for (auto _ : state) {
    state.PauseTiming();
    VirtualClock clock;
    auto engine = Open(
        &clock, {ProcessJson(kCaller,
                             {NodeJson("start", Kind::kStart, "[" + GoJson("wait") + "]"),
                              SemaphoreNodeJson("wait", Kind::kNormal, "[]",
                                                "[" + TimeJson("\"{{wake}}\"", "sec", "end") + "]"),
                              NodeJson("end", Kind::kFinal, "[]", drop)})});
    const int64_t now = absl::ToUnixSeconds(clock.Now());
    state.ResumeTiming();
    for (int64_t i = 0; i < tasks; ++i) {
      // Deadlines spread over 30 days.
      const std::string data = absl::StrCat("{\"wake\":", now + 1 + (i * 7919) % (30 * 86400), "}");
      if (!engine->CreateTask(kCaller, "", data).ok()) Die(absl::InternalError("create failed"));
    }
    MustWait(*engine);
  }
  state.SetItemsProcessed(state.iterations() * tasks);
}
BENCHMARK(BM_VirtualDelay)->Arg(100000)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace convey

BENCHMARK_MAIN();
