// 10^6 tasks parked on time semaphores (CONVEY_STRESS_TASKS overrides the
// count) while several threads release 10^5 of them with modifies and the
// clock moves so the others' timers fire concurrently. Every task must end
// exactly once, in the final its release says. Meant for --config=tsan and
// --config=asan.
#include <atomic>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "convey/engine.h"
#include "gtest/gtest.h"
#include "tests/support/scheme_text.h"

namespace convey {
namespace {

using ::convey::testing::GoJson;
using ::convey::testing::Kind;
using ::convey::testing::NodeJson;
using ::convey::testing::ProcessJson;
using ::convey::testing::SemaphoreNodeJson;
using ::convey::testing::TimeJson;

constexpr int64_t kConv = 9;
const absl::Time kStart = absl::FromUnixSeconds(1700000000);

int64_t TaskCount() {
  int64_t count = 1000000;
  const char* env = std::getenv("CONVEY_STRESS_TASKS");
  if (env != nullptr && !absl::SimpleAtoi(env, &count)) count = 1000000;
  return count;
}

TEST(WaitingStressTest, TimersAndCallbacksMoveEveryTaskExactlyOnce) {
  const int64_t tasks = TaskCount();
  const int64_t released = tasks / 10;  // these get a modify before their timer
  ManualClock clock(kStart);
  EngineOptions options;
  options.worker_threads = 2;
  options.clock = &clock;
  absl::StatusOr<std::unique_ptr<Engine>> opened = Engine::Open(options);
  ASSERT_TRUE(opened.ok());
  Engine& engine = **opened;
  ASSERT_TRUE(
      engine
          .Deploy("stress.json",
                  ProcessJson(
                      kConv,
                      {NodeJson("start", Kind::kStart, "[" + GoJson("hold") + "]"),
                       SemaphoreNodeJson("hold", Kind::kNormal,
                                         "[{\"type\":\"api_callback\"}," + GoJson("released") + "]",
                                         "[" + TimeJson("\"{{wake}}\"", "sec", "timeout") + "]"),
                       NodeJson("released", Kind::kFinal, "[]", R"({"save_task":false})"),
                       NodeJson("timeout", Kind::kFinal, "[]", R"({"save_task":false})")}))
          .ok());
  // The first `released` tasks wake at +2000 s, after every modify; the
  // others spread over the first 1000 s.
  const int64_t base = absl::ToUnixSeconds(kStart);
  for (int64_t i = 0; i < tasks; ++i) {
    const int64_t wake = i < released ? base + 2000 : base + 1 + (i * 7919) % 1000;
    absl::StatusOr<std::string> id =
        engine.CreateTask(kConv, absl::StrCat("t", i), absl::StrCat("{\"wake\":", wake, "}"));
    ASSERT_TRUE(id.ok()) << id.status();
    if (i % 65536 == 0) {
      ASSERT_TRUE(engine.WaitIdle(absl::Seconds(300)).ok());
    }
  }
  ASSERT_TRUE(engine.WaitIdle(absl::Seconds(300)).ok());
  EXPECT_EQ(engine.Stats().timers_pending, tasks);

  constexpr int kModifiers = 3;
  std::vector<std::thread> modifiers;
  std::atomic<int64_t> failures{0};
  for (int m = 0; m < kModifiers; ++m) {
    modifiers.emplace_back([&, m] {
      for (int64_t i = m; i < released; i += kModifiers) {
        absl::Status status =
            engine.ModifyTask(TaskKey::ByRef(kConv, absl::StrCat("t", i)), "{\"ok\":true}");
        if (!status.ok()) failures.fetch_add(1);
      }
    });
  }
  // Meanwhile the other tasks' timers fire.
  for (int step = 1; step <= 100; ++step) {
    clock.Set(kStart + absl::Seconds(10 * step));
    absl::SleepFor(absl::Milliseconds(2));
  }
  for (std::thread& thread : modifiers) thread.join();
  EXPECT_EQ(failures.load(), 0);

  const absl::Time give_up = absl::Now() + absl::Seconds(600);
  while (engine.Stats().tasks_finished < tasks && absl::Now() < give_up) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  ASSERT_TRUE(engine.WaitIdle(absl::Seconds(300)).ok());
  // Later than every deadline: the released tasks' timers were cancelled.
  clock.Set(kStart + absl::Seconds(5000));
  absl::SleepFor(absl::Milliseconds(20));
  ASSERT_TRUE(engine.WaitIdle(absl::Seconds(300)).ok());

  EngineStats stats = engine.Stats();
  EXPECT_EQ(stats.tasks_finished, tasks);
  EXPECT_EQ(stats.timers_pending, 0);
  EXPECT_EQ(stats.timers_fired, tasks - released);
  absl::StatusOr<ProcessStats> process = engine.StatsFor(kConv);
  ASSERT_TRUE(process.ok());
  EXPECT_EQ(process->nodes[1].tasks, 0);
  EXPECT_EQ(process->nodes[1].callback, 0);
  EXPECT_EQ(process->nodes[2].finished, released);
  EXPECT_EQ(process->nodes[3].finished, tasks - released);
}

}  // namespace
}  // namespace convey
