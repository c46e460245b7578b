// Logics the host registers beside the built-ins (convey/logic.h): one that
// parks its task until a modify, one that holds its worker until released;
// with them, the queue limit (max_queued_tasks) and Close with tasks queued.
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "convey/engine.h"
#include "convey/logic.h"
#include "gtest/gtest.h"
#include "tests/support/engine_support.h"
#include "tests/support/scheme_text.h"

namespace convey {
namespace {

using ::convey::testing::GoJson;
using ::convey::testing::IfJson;
using ::convey::testing::Kind;
using ::convey::testing::MustDeploy;
using ::convey::testing::NodeJson;
using ::convey::testing::NodeNamed;
using ::convey::testing::OpenEngine;
using ::convey::testing::ProcessJson;

constexpr int64_t kConv = 100;

// A host logic: parks the task until a modify (like api_callback) or blocks
// its worker until released.
class HostLogic : public Logic {
 public:
  HostLogic(bool block, absl::Notification* release) : block_(block), release_(release) {}
  LogicResult Run(TaskContext& task) const override {
    if (block_) {
      release_->WaitForNotification();
      return LogicResult::Next();
    }
    return LogicResult::Park();
  }
  absl::string_view error_family() const override { return "host"; }

 private:
  bool block_;
  absl::Notification* release_;
};

class HostFactory : public LogicFactory {
 public:
  HostFactory(std::string type, bool block, absl::Notification* release)
      : type_(std::move(type)), block_(block), release_(release) {}
  absl::string_view type() const override { return type_; }
  absl::StatusOr<std::unique_ptr<Logic>> Create(const LogicSpec& spec,
                                                LogicBuilder&) const override {
    return std::unique_ptr<Logic>(new HostLogic(block_, release_));
  }

 private:
  std::string type_;
  bool block_;
  absl::Notification* release_;
};

std::unique_ptr<LogicRegistry> RegistryWithHostLogics(absl::Notification* release) {
  auto registry = std::make_unique<LogicRegistry>();
  EXPECT_TRUE(RegisterBuiltinLogics(*registry).ok());
  EXPECT_TRUE(registry->Register(std::make_unique<HostFactory>("wait_here", false, release)).ok());
  EXPECT_TRUE(registry->Register(std::make_unique<HostFactory>("block", true, release)).ok());
  return registry;
}

TEST(HostLogicTest, RegistryRefusesDuplicates) {
  LogicRegistry registry;
  ASSERT_TRUE(RegisterBuiltinLogics(registry).ok());
  absl::Status again = registry.Register(std::make_unique<HostFactory>("go", false, nullptr));
  EXPECT_EQ(again.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(registry.Register(nullptr).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(LogicRegistry::Global().Find("go_if_const"), nullptr);
  EXPECT_EQ(LogicRegistry::Global().Find("db_call"), nullptr);
}

TEST(HostLogicTest, ParkedTaskResumesOnModify) {
  absl::Notification unused;
  auto registry = RegistryWithHostLogics(&unused);
  EngineOptions options;
  options.registry = registry.get();
  auto engine = OpenEngine(options);
  std::string wait = R"j([{"type":"wait_here"},{"type":"go","to_node_id":"check"}])j";
  MustDeploy(*engine,
             ProcessJson(
                 kConv, {NodeJson("start", Kind::kStart, absl::StrCat("[", GoJson("wait"), "]")),
                         NodeJson("wait", Kind::kNormal, wait),
                         NodeJson("check", Kind::kNormal,
                                  absl::StrCat("[", IfJson("ok", "eq", "true", "boolean", "yes"),
                                               ",", GoJson("no"), "]")),
                         NodeJson("yes", Kind::kFinal, "[]"), NodeJson("no", Kind::kFinal, "[]")}));
  ASSERT_TRUE(engine->CreateTask(kConv, "cb", R"j({"a":1})j").ok());
  ASSERT_TRUE(engine->WaitIdle(absl::Seconds(10)).ok());
  EXPECT_EQ(engine->ShowTask(TaskKey::ByRef(kConv, "cb"))->park_reason, ParkReason::kCallback);
  EXPECT_EQ(NodeNamed(*engine->StatsFor(kConv), "wait").callback, 1);
  ASSERT_TRUE(engine->ModifyTask(TaskKey::ByRef(kConv, "cb"), R"j({"ok":true})j").ok());
  ASSERT_TRUE(engine->WaitIdle(absl::Seconds(10)).ok());
  EXPECT_EQ(NodeNamed(*engine->StatsFor(kConv), "yes").finished, 1);
  EXPECT_EQ(NodeNamed(*engine->StatsFor(kConv), "wait").callback, 0);
}

// One worker and at most `max_queued_tasks` queued; kConv holds each task in
// its start node until the registry's `release`.
std::unique_ptr<Engine> OpenEngineThatHolds(const LogicRegistry* registry,
                                            size_t max_queued_tasks) {
  EngineOptions options;
  options.registry = registry;
  options.worker_threads = 1;
  options.max_queued_tasks = max_queued_tasks;
  auto engine = OpenEngine(options);
  std::string block = R"j([{"type":"block"},{"type":"go","to_node_id":"end"}])j";
  MustDeploy(*engine, ProcessJson(kConv, {NodeJson("start", Kind::kStart, block),
                                          NodeJson("end", Kind::kFinal, "[]")}));
  return engine;
}

TEST(HostLogicTest, BackPressureRefusesCreatesBeyondTheQueueLimit) {
  absl::Notification release;
  auto registry = RegistryWithHostLogics(&release);
  auto engine = OpenEngineThatHolds(registry.get(), 10);
  int accepted = 0;
  absl::Status refused;
  for (int i = 0; i < 20; ++i) {
    absl::StatusOr<std::string> id = engine->CreateTask(kConv, "", "{}");
    if (id.ok()) {
      ++accepted;
    } else {
      refused = id.status();
    }
  }
  EXPECT_EQ(accepted, 10);
  EXPECT_EQ(refused.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(engine->WaitIdle(absl::Milliseconds(50)).code(), absl::StatusCode::kDeadlineExceeded);
  release.Notify();
  ASSERT_TRUE(engine->WaitIdle(absl::Seconds(10)).ok());
  EXPECT_EQ(NodeNamed(*engine->StatsFor(kConv), "end").finished, 10);
  EXPECT_TRUE(engine->CreateTask(kConv, "", "{}").ok());
}

// Host threads creating at once never get more than max_queued_tasks
// admitted, and what they were refused leaves nothing counted.
TEST(HostLogicTest, ConcurrentCreatesStayWithinTheQueueLimit) {
  absl::Notification release;
  auto registry = RegistryWithHostLogics(&release);
  auto engine = OpenEngineThatHolds(registry.get(), 10);
  std::atomic<int> accepted{0};
  std::atomic<int> ready{0};
  std::vector<std::thread> creators;
  for (int t = 0; t < 4; ++t) {
    creators.emplace_back([&] {
      // All four start together, so that their creates meet at the limit.
      ready.fetch_add(1);
      while (ready.load() < 4) std::this_thread::yield();
      for (int i = 0; i < 200; ++i) {
        absl::StatusOr<std::string> id = engine->CreateTask(kConv, "", "{}");
        if (id.ok()) {
          accepted.fetch_add(1);
        } else {
          EXPECT_EQ(id.status().code(), absl::StatusCode::kResourceExhausted) << id.status();
        }
      }
    });
  }
  for (std::thread& creator : creators) creator.join();
  EXPECT_LE(accepted.load(), 10);
  // One thread alone fills what is left, if anything, and is then refused.
  for (int i = 0; i < 11 && engine->CreateTask(kConv, "", "{}").ok(); ++i) accepted.fetch_add(1);
  EXPECT_EQ(accepted.load(), 10);
  EXPECT_EQ(engine->Stats().tasks_queued, 10);
  release.Notify();
  ASSERT_TRUE(engine->WaitIdle(absl::Seconds(10)).ok());
  EXPECT_EQ(NodeNamed(*engine->StatsFor(kConv), "end").finished, 10);
  EXPECT_EQ(engine->Stats().tasks_queued, 0);
}

TEST(HostLogicTest, CloseLeavesQueuedTasksWhereTheyAre) {
  absl::Notification release;
  auto registry = RegistryWithHostLogics(&release);
  auto engine = OpenEngineThatHolds(registry.get(), EngineOptions{}.max_queued_tasks);
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(engine->CreateTask(kConv, "", "{}").ok());
  std::thread closer([&engine] { engine->Close().IgnoreError(); });
  absl::SleepFor(absl::Milliseconds(20));
  release.Notify();  // the running task finishes; the other 99 must not run
  closer.join();
  EXPECT_LE(NodeNamed(*engine->StatsFor(kConv), "end").finished, 1);
  int queued = 0;
  engine->ForEachTask([&queued](const TaskSnapshot& task) {
    if (task.node_id == "start" && task.status == TaskStatus::kProcessing) ++queued;
  });
  EXPECT_GE(queued, 99);
  EXPECT_EQ(engine->WaitIdle(absl::Seconds(1)).code(), absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace convey
