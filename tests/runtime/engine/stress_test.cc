// Runs many tasks (10^6 by default; CONVEY_STRESS_TASKS overrides) through a
// branching graph on every worker while other threads create, show and
// modify tasks, then checks that every task ended where its data says it
// must and that the sums add up. Meant for --config=tsan and --config=asan.
#include <atomic>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "convey/engine.h"
#include "gtest/gtest.h"
#include "simdjson.h"
#include "tests/support/scheme_text.h"

namespace convey {
namespace {

using ::convey::testing::GoJson;
using ::convey::testing::IfJson;
using ::convey::testing::Kind;
using ::convey::testing::NodeJson;
using ::convey::testing::ProcessJson;

constexpr int64_t kConv = 7;

int64_t TaskCount() {
  int64_t count = 1000000;
  const char* env = std::getenv("CONVEY_STRESS_TASKS");
  if (env != nullptr && !absl::SimpleAtoi(env, &count)) count = 1000000;
  return count;
}

// amount > 100 -> big: sum it, mark it, then kind "a" -> big_a else big_other.
// otherwise -> small: doubled = amount*2; doubled < 50 -> tiny else small_end.
std::string StressScheme() {
  std::string big =
      R"j([{"type":"api_sum","extra":[{"id":"total","name":"total","value":"{{amount}}"}]},
      {"type":"set_param","extra":{"route":"big"},"extra_type":{"route":"string"}},)j" +
      IfJson("kind", "eq", "a", "string", "big_a") + "," + GoJson("big_other") + "]";
  std::string small =
      R"j([{"type":"set_param","extra":{"route":"small","doubled":"$.math({{amount}}*2)"},
      "extra_type":{"route":"string","doubled":"number"},"err_node_id":"broken"},)j" +
      IfJson("doubled", "less", "50", "number", "tiny") + "," + GoJson("small_end") + "]";
  return ProcessJson(
      kConv, {NodeJson("start", Kind::kStart, "[" + GoJson("classify") + "]"),
              NodeJson("classify", Kind::kNormal,
                       "[" + IfJson("amount", "more", "100", "number", "big") + "," +
                           GoJson("small") + "]"),
              NodeJson("big", Kind::kNormal, big), NodeJson("small", Kind::kNormal, small),
              NodeJson("big_a", Kind::kFinal, "[]"), NodeJson("big_other", Kind::kFinal, "[]"),
              NodeJson("tiny", Kind::kFinal, "[]"), NodeJson("small_end", Kind::kFinal, "[]"),
              NodeJson("broken", Kind::kFinal, "[]")});
}

std::string Expected(int64_t amount, const std::string& kind) {
  if (amount > 100) return kind == "a" ? "big_a" : "big_other";
  return amount * 2 < 50 ? "tiny" : "small_end";
}

TEST(StressTest, EveryTaskEndsWhereItsDataSays) {
  const int64_t tasks = TaskCount();
  EngineOptions options;
  options.max_queued_tasks = 50000;  // producers meet back-pressure
  absl::StatusOr<std::unique_ptr<Engine>> opened = Engine::Open(options);
  ASSERT_TRUE(opened.ok()) << opened.status();
  Engine& engine = **opened;
  ASSERT_TRUE(engine.Deploy("stress.json", StressScheme()).ok());

  std::atomic<int64_t> refused{0};
  std::atomic<bool> producing{true};
  auto produce = [&](int64_t first, int64_t step) {
    for (int64_t i = first; i < tasks; i += step) {
      std::string data =
          absl::StrCat("{\"amount\":", i % 250, ",\"kind\":\"", (i % 3 == 0) ? "a" : "b", "\"}");
      // Every 64th task has a ref, so the API thread can find it.
      std::string ref = i % 64 == 0 ? absl::StrCat("t", i) : "";
      for (;;) {
        absl::StatusOr<std::string> id = engine.CreateTask(kConv, ref, data);
        if (id.ok()) break;
        ASSERT_EQ(id.status().code(), absl::StatusCode::kResourceExhausted) << id.status();
        refused.fetch_add(1, std::memory_order_relaxed);
        std::this_thread::yield();
      }
    }
  };
  // Shows and modifies tasks while they move: the ownership protocol under load.
  std::atomic<int64_t> touched{0};
  std::thread api([&] {
    int64_t i = 0;
    while (producing.load(std::memory_order_acquire)) {
      TaskKey key = TaskKey::ByRef(kConv, absl::StrCat("t", (i++ % (tasks / 64 + 1)) * 64));
      absl::StatusOr<TaskSnapshot> shown = engine.ShowTask(key);
      if (shown.ok() && engine.ModifyTask(key, R"j({"touched":true})j").ok()) {
        touched.fetch_add(1, std::memory_order_relaxed);
      }
    }
  });
  std::thread producer_a(produce, 0, 2);
  std::thread producer_b(produce, 1, 2);
  producer_a.join();
  producer_b.join();
  producing.store(false, std::memory_order_release);
  api.join();
  ASSERT_TRUE(engine.WaitIdle(absl::Minutes(20)).ok());

  int64_t seen = 0;
  int64_t wrong = 0;
  double expected_total = 0;
  simdjson::dom::parser parser;
  engine.ForEachTask([&](const TaskSnapshot& task) {
    ++seen;
    simdjson::dom::element doc;
    int64_t amount = -1;
    std::string_view kind;
    if (parser.parse(task.data).get(doc) != simdjson::SUCCESS ||
        doc["amount"].get(amount) != simdjson::SUCCESS ||
        doc["kind"].get(kind) != simdjson::SUCCESS) {
      ++wrong;
      return;
    }
    if (amount > 100) expected_total += static_cast<double>(amount);
    if (task.status != TaskStatus::kProcessed ||
        task.node_id != Expected(amount, std::string(kind))) {
      if (++wrong < 10) ADD_FAILURE() << task.obj_id << " ended in " << task.node_id;
    }
  });
  EXPECT_EQ(seen, tasks);
  EXPECT_EQ(wrong, 0);

  EngineStats stats = engine.Stats();
  EXPECT_EQ(stats.tasks_created, tasks);
  EXPECT_EQ(stats.tasks_finished, tasks);
  EXPECT_EQ(stats.tasks_errored, 0);
  EXPECT_EQ(stats.node_transitions, tasks * 3);
  ASSERT_EQ(stats.processes.size(), 1u);
  int64_t finished = 0;
  for (const NodeStats& node : stats.processes[0].nodes) {
    finished += node.finished;
    if (!node.is_final) {
      EXPECT_EQ(node.tasks, 0) << node.node_id;
    }
    if (node.node_id == "big") {
      ASSERT_EQ(node.sums.size(), 1u);
      EXPECT_EQ(node.sums[0].value, expected_total);
    }
  }
  EXPECT_EQ(finished, tasks);
  std::printf("tasks %lld, creates refused by back-pressure %lld, modified while moving %lld\n",
              static_cast<long long>(tasks), static_cast<long long>(refused.load()),
              static_cast<long long>(touched.load()));
}

}  // namespace
}  // namespace convey
