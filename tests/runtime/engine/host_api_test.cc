// The host API of issue 15: task handles (Submit, Wait, OnDone), the
// observer's events, the logger, Close(timeout), and the calls that fail fast
// instead of waiting for their own caller.
#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "convey/engine.h"
#include "convey/logic.h"
#include "convey/version.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/json_field.h"
#include "tests/support/scheme_text.h"

namespace convey {
namespace {

using ::convey::testing::Field;
using ::convey::testing::GoJson;
using ::convey::testing::IfJson;
using ::convey::testing::Kind;
using ::convey::testing::NodeJson;
using ::convey::testing::ProcessJson;
using ::convey::testing::SemaphoreNodeJson;
using ::convey::testing::TimeJson;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr int64_t kConv = 7;

// What a host logic does when a task runs it (set by each test).
using Behaviour = std::function<LogicResult(TaskContext&)>;

class HostLogic : public Logic {
 public:
  explicit HostLogic(const Behaviour* behaviour) : behaviour_(behaviour) {}
  LogicResult Run(TaskContext& task) const override { return (*behaviour_)(task); }
  absl::string_view error_family() const override { return "host"; }

 private:
  const Behaviour* behaviour_;
};

class HostFactory : public LogicFactory {
 public:
  explicit HostFactory(const Behaviour* behaviour) : behaviour_(behaviour) {}
  absl::string_view type() const override { return "host"; }
  absl::StatusOr<std::unique_ptr<Logic>> Create(const LogicSpec&, LogicBuilder&) const override {
    return std::unique_ptr<Logic>(new HostLogic(behaviour_));
  }

 private:
  const Behaviour* behaviour_;
};

// Answers every request at once (from a thread of its own, as the contract
// asks: never from inside Send).
class EchoTransport : public HttpTransport {
 public:
  ~EchoTransport() override {
    for (std::thread& thread : threads_) thread.join();
  }
  void Send(HttpRequest request, HttpDone done) override {
    std::lock_guard<std::mutex> lock(mu_);
    threads_.emplace_back([request = std::move(request), done = std::move(done)] {
      HttpResponse response;
      response.status = 200;
      response.body = request.url;
      done(response);
    });
  }

 private:
  std::mutex mu_;
  std::vector<std::thread> threads_;
};

// Records the events it is given, as "kind node [detail]".
class Recorder : public Observer {
 public:
  explicit Recorder(uint32_t wanted = kAllEvents) : wanted_(wanted) {}
  uint32_t events() const override { return wanted_; }
  void OnTaskCreated(const TaskEvent& e) override { Add("created", e); }
  void OnNodeEntered(const TaskEvent& e) override {
    Add("entered", e, absl::StrCat("from ", e.prev_node_id));
  }
  void OnTaskParked(const TaskEvent& e) override {
    Add("parked", e, std::string(ParkReasonName(e.park_reason)));
  }
  void OnTaskResumed(const TaskEvent& e) override {
    Add("resumed", e, std::string(ParkReasonName(e.park_reason)));
  }
  void OnHttpSent(const TaskEvent& e) override { Add("http_sent", e, e.http_request->url); }
  void OnHttpAnswered(const TaskEvent& e) override {
    Add("http_answered", e, absl::StrCat((*e.http_response)->status));
  }
  void OnTimerFired(const TaskEvent& e) override { Add("timer", e); }
  void OnTaskFinished(const TaskEvent& e) override { Add("finished", e); }
  void OnTaskError(const TaskEvent& e) override { Add("error", e, std::string(e.error_tag)); }
  void OnTaskLoopStopped(const TaskEvent& e) override { Add("loop_stopped", e); }
  void OnTaskDeleted(const TaskEvent& e) override { Add("deleted", e); }

  std::vector<std::string> Take() {
    std::lock_guard<std::mutex> lock(mu_);
    return std::move(seen_);
  }

 private:
  void Add(const char* kind, const TaskEvent& e, const std::string& detail = "") {
    std::lock_guard<std::mutex> lock(mu_);
    seen_.push_back(absl::StrCat(kind, " ", e.node_id, detail.empty() ? "" : " ", detail));
  }
  const uint32_t wanted_;
  std::mutex mu_;
  std::vector<std::string> seen_;
};

class HostApiTest : public ::testing::Test {
 protected:
  void Open(EngineOptions options = {}) {
    ASSERT_TRUE(RegisterBuiltinLogics(registry_).ok());
    ASSERT_TRUE(registry_.Register(std::make_unique<HostFactory>(&behaviour_)).ok());
    options.registry = &registry_;
    if (options.worker_threads == 0) options.worker_threads = 2;
    if (options.clock == nullptr) options.clock = &clock_;
    absl::StatusOr<std::unique_ptr<Engine>> engine = Engine::Open(options);
    ASSERT_TRUE(engine.ok()) << engine.status();
    engine_ = *std::move(engine);
  }
  void Deploy(const std::vector<std::string>& nodes) {
    absl::StatusOr<DeployResult> deployed = engine_->Deploy("host.json", ProcessJson(kConv, nodes));
    ASSERT_TRUE(deployed.ok()) << deployed.status();
  }
  // start -> host logic -> check (ok == true) -> yes | no.
  void DeployHostProcess() {
    Deploy({NodeJson("start", Kind::kStart, "[" + GoJson("work") + "]"),
            NodeJson("work", Kind::kNormal, "[{\"type\":\"host\"}," + GoJson("check") + "]"),
            NodeJson("check", Kind::kNormal,
                     absl::StrCat("[", IfJson("ok", "eq", "true", "boolean", "yes"), ",",
                                  GoJson("no"), "]")),
            NodeJson("yes", Kind::kFinal, "[]", "", "Yes"), NodeJson("no", Kind::kFinal, "[]")});
  }

  // Declared before the engine: they must outlive it.
  Behaviour behaviour_ = [](TaskContext&) { return LogicResult::Next(); };
  LogicRegistry registry_;
  VirtualClock clock_;
  std::unique_ptr<Engine> engine_;
};

// A logic whose second ReplaceData fails keeps its first; what it read in
// between (the data before both) is not what the next logic reads.
TEST_F(HostApiTest, AFailedReplaceDataKeepsTheFirstAndTheNextLogicReadsIt) {
  Open();
  DeployHostProcess();
  behaviour_ = [](TaskContext& task) {
    EXPECT_TRUE(task.ReplaceData(R"({"ok":true,"n":1})").ok());
    EXPECT_FALSE(task.ReplaceData("[1]").ok());
    simdjson::dom::element amount;
    EXPECT_EQ(task.data()["amount"].get(amount), simdjson::SUCCESS);  // the data before
    return LogicResult::Next();
  };
  absl::StatusOr<TaskHandle> handle = engine_->Submit(kConv, "", R"({"amount":5})");
  ASSERT_TRUE(handle.ok()) << handle.status();
  absl::StatusOr<TaskSnapshot> result = handle->Wait(absl::Seconds(10));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->node_id, "yes");
  EXPECT_EQ(result->data, R"({"ok":true,"n":1})");
}

// A host logic's key or string that is not UTF-8 is written with U+FFFD
// for the bad bytes: the data stays JSON that every reader (and recovery
// from a store) parses; valid UTF-8 is kept as it is.
TEST_F(HostApiTest, BytesThatAreNotUtf8AreWrittenAsReplacementCharacters) {
  Open();
  DeployHostProcess();
  behaviour_ = [](TaskContext& task) {
    EXPECT_TRUE(task.Set("bad", Value::String("a\xFF\xC3"
                                              "b"))
                    .ok());
    EXPECT_TRUE(task.Set("k\xE2\x82", Value::String("\xD0\x9F\xD1\x80\xD0\xB8")).ok());
    EXPECT_TRUE(task.Set("overlong", Value::String("\xC0\xAF")).ok());
    EXPECT_TRUE(task.Set("ok", Value::Boolean(true)).ok());
    return LogicResult::Next();
  };
  absl::StatusOr<TaskHandle> handle = engine_->Submit(kConv, "", R"({"amount":5})");
  ASSERT_TRUE(handle.ok()) << handle.status();
  absl::StatusOr<TaskSnapshot> result = handle->Wait(absl::Seconds(10));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->node_id, "yes");
  const std::string kReplacement = "\xEF\xBF\xBD";
  EXPECT_EQ(result->data, absl::StrCat(R"({"amount":5,"bad":"a)", kReplacement, kReplacement,
                                       R"(b","k)", kReplacement, kReplacement,
                                       "\":\"\xD0\x9F\xD1\x80\xD0\xB8\",\"overlong\":\"",
                                       kReplacement, kReplacement, R"(","ok":true})"));
  EXPECT_TRUE(simdjson::validate_utf8(result->data.data(), result->data.size()));
}

// Keys are repaired before they are matched: two keys that differ only in
// bad bytes are one key, and a bad key meets the key the data already has.
TEST_F(HostApiTest, KeysRepairedAlikeAreOneKey) {
  Open();
  DeployHostProcess();
  behaviour_ = [](TaskContext& task) {
    EXPECT_TRUE(task.Set("k\xFF", Value::Number(1)).ok());
    EXPECT_TRUE(task.Set("k\xFE", Value::Number(2)).ok());
    EXPECT_TRUE(task.Set("had\xC3", Value::Number(3)).ok());
    EXPECT_TRUE(task.Set("ok", Value::Boolean(true)).ok());
    return LogicResult::Next();
  };
  absl::StatusOr<TaskHandle> handle =
      engine_->Submit(kConv, "", "{\"had\xEF\xBF\xBD\":0,\"amount\":5}");
  ASSERT_TRUE(handle.ok()) << handle.status();
  absl::StatusOr<TaskSnapshot> result = handle->Wait(absl::Seconds(10));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->node_id, "yes");
  EXPECT_EQ(result->data, "{\"had\xEF\xBF\xBD\":3,\"amount\":5,\"k\xEF\xBF\xBD\":2,\"ok\":true}");
}

// A park reason outside the enum is the logic's error: the task keeps its
// reason in a byte, and 257 would have read as "callback".
TEST_F(HostApiTest, AParkReasonTheEngineDoesNotKnowIsTheLogicsError) {
  Open();
  DeployHostProcess();
  for (const int reason : {257, 300, -1}) {
    behaviour_ = [reason](TaskContext&) {
      return LogicResult::Park(static_cast<ParkReason>(reason));
    };
    absl::StatusOr<TaskHandle> handle = engine_->Submit(kConv, "", R"({"amount":5})");
    ASSERT_TRUE(handle.ok()) << handle.status();
    absl::StatusOr<TaskSnapshot> result = handle->Wait(absl::Seconds(10));
    ASSERT_TRUE(result.ok()) << result.status();
    EXPECT_EQ(result->status, TaskStatus::kError) << reason;
    EXPECT_NE(result->data.find(absl::StrCat(
                  "the logic waited for a reason the engine does not know (", reason, ")")),
              std::string::npos)
        << result->data;
  }
}

TEST_F(HostApiTest, SubmitWaitsForTheResult) {
  Open();
  DeployHostProcess();
  behaviour_ = [](TaskContext& task) {
    task.Set("ok", Value::Boolean(true)).IgnoreError();
    return LogicResult::Next();
  };
  absl::StatusOr<TaskHandle> handle = engine_->Submit(kConv, "order-1", R"({"amount":5})");
  ASSERT_TRUE(handle.ok()) << handle.status();
  EXPECT_EQ(handle->obj_id().size(), 24u);
  absl::StatusOr<TaskSnapshot> result = handle->Wait(absl::Seconds(10));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_TRUE(handle->done());
  EXPECT_EQ(result->status, TaskStatus::kProcessed);
  EXPECT_EQ(result->node_id, "yes");
  EXPECT_EQ(result->node_title, "Yes");
  EXPECT_EQ(result->ref, "order-1");
  EXPECT_EQ(result->obj_id, handle->obj_id());
  EXPECT_EQ(result->data, R"({"amount":5,"ok":true})");
  // A copy shares the result; waiting again returns it again.
  TaskHandle copy = *handle;
  EXPECT_EQ(copy.Wait(absl::ZeroDuration())->node_id, "yes");
}

TEST_F(HostApiTest, ShowByRefFindsTheLastTaskThatEndedWithIt) {
  Open();
  DeployHostProcess();
  ASSERT_TRUE(engine_->Submit(kConv, "r", R"({"n":1})")->Wait(absl::Seconds(10)).ok());
  absl::StatusOr<TaskSnapshot> shown = engine_->ShowTask(TaskKey::ByRef(kConv, "r"));
  ASSERT_TRUE(shown.ok()) << shown.status();
  EXPECT_EQ(shown->status, TaskStatus::kProcessed);
  EXPECT_EQ(shown->data, R"({"n":1})");
  // The ref is free again; the newest task that had it wins.
  ASSERT_TRUE(engine_->Submit(kConv, "r", R"({"n":2})")->Wait(absl::Seconds(10)).ok());
  EXPECT_EQ(engine_->ShowTask(TaskKey::ByRef(kConv, "r"))->data, R"({"n":2})");
  // A modify by ref still wants an active task.
  EXPECT_EQ(engine_->ModifyTask(TaskKey::ByRef(kConv, "r"), "{}").code(),
            absl::StatusCode::kNotFound);
  // Deleted tasks too.
  behaviour_ = [](TaskContext&) { return LogicResult::Park(); };
  ASSERT_TRUE(engine_->CreateTask(kConv, "d", "{}").ok());
  ASSERT_TRUE(engine_->WaitIdle(absl::Seconds(10)).ok());
  ASSERT_TRUE(engine_->DeleteTask(TaskKey::ByRef(kConv, "d")).ok());
  EXPECT_EQ(engine_->ShowTask(TaskKey::ByRef(kConv, "d"))->status, TaskStatus::kDeleted);
}

TEST_F(HostApiTest, SubmitRefusesWhatCreateTaskRefuses) {
  Open();
  DeployHostProcess();
  EXPECT_EQ(engine_->Submit(kConv, "", "[1").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(engine_->Submit(999, "", "{}").status().code(), absl::StatusCode::kNotFound);
  TaskHandle none;
  EXPECT_EQ(none.Wait().status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(none.obj_id().empty());
  EXPECT_FALSE(none.done());
}

TEST_F(HostApiTest, OnDoneRunsOnceWithTheEnd) {
  Open();
  DeployHostProcess();
  constexpr int kTasks = 200;
  std::atomic<int> done{0};
  std::atomic<int> wrong{0};
  for (int i = 0; i < kTasks; ++i) {
    absl::StatusOr<TaskHandle> handle = engine_->Submit(kConv, "", R"({"ok":true})");
    ASSERT_TRUE(handle.ok());
    handle->OnDone([&done, &wrong](const absl::StatusOr<TaskSnapshot>& result) {
      if (!result.ok() || result->node_id != "yes") wrong.fetch_add(1);
      done.fetch_add(1);
    });
  }
  ASSERT_TRUE(engine_->WaitIdle(absl::Seconds(30)).ok());
  EXPECT_EQ(done.load(), kTasks);
  EXPECT_EQ(wrong.load(), 0);
  // Registered after the end: runs at once, on this thread.
  absl::StatusOr<TaskHandle> late = engine_->Submit(kConv, "", "{}");
  ASSERT_TRUE(late->Wait(absl::Seconds(10)).ok());
  const std::thread::id here = std::this_thread::get_id();
  std::thread::id ran_on;
  late->OnDone([&ran_on](const absl::StatusOr<TaskSnapshot>& result) {
    ran_on = std::this_thread::get_id();
    EXPECT_EQ(result->node_id, "no");
  });
  EXPECT_EQ(ran_on, here);
}

TEST_F(HostApiTest, WaitTimesOutOnAParkedTaskAndEndsWithItsModify) {
  Open();
  DeployHostProcess();
  behaviour_ = [](TaskContext&) { return LogicResult::Park(); };  // waits for a modify
  absl::StatusOr<TaskHandle> handle = engine_->Submit(kConv, "cb", "{}");
  ASSERT_TRUE(handle.ok());
  absl::StatusOr<TaskSnapshot> early = handle->Wait(absl::Milliseconds(50));
  EXPECT_EQ(early.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_THAT(early.status().message(), HasSubstr(handle->obj_id()));
  EXPECT_FALSE(handle->done());
  ASSERT_TRUE(engine_->ModifyTask(TaskKey::ByRef(kConv, "cb"), R"({"ok":true})").ok());
  absl::StatusOr<TaskSnapshot> result = handle->Wait(absl::Seconds(10));
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->node_id, "yes");
}

TEST_F(HostApiTest, HandlesEndWithErrorsDeletesAndClose) {
  Open();
  DeployHostProcess();
  behaviour_ = [](TaskContext& task) {
    if (task.ref() == "fail") {
      return LogicResult::Fail(NodeHandle(), false, "host_refused", "no, thank you");
    }
    return LogicResult::Park();
  };
  absl::StatusOr<TaskHandle> failing = engine_->Submit(kConv, "fail", "{}");
  absl::StatusOr<TaskSnapshot> failed = failing->Wait(absl::Seconds(10));
  ASSERT_TRUE(failed.ok());
  EXPECT_EQ(failed->status, TaskStatus::kError);
  EXPECT_EQ(failed->node_id, "work");
  EXPECT_EQ(Field(failed->data, "__conveyor_host_return_type_tag__"), "\"host_refused\"");

  absl::StatusOr<TaskHandle> deleted = engine_->Submit(kConv, "del", "{}");
  ASSERT_TRUE(engine_->WaitIdle(absl::Seconds(10)).ok());
  ASSERT_TRUE(engine_->DeleteTask(TaskKey::ByRef(kConv, "del")).ok());
  EXPECT_EQ(deleted->Wait(absl::Seconds(10))->status, TaskStatus::kDeleted);

  absl::StatusOr<TaskHandle> parked = engine_->Submit(kConv, "parked", "{}");
  ASSERT_TRUE(engine_->WaitIdle(absl::Seconds(10)).ok());
  EXPECT_TRUE(engine_->Close(absl::Seconds(10)).ok());
  absl::StatusOr<TaskSnapshot> cancelled = parked->Wait(absl::Seconds(10));
  EXPECT_EQ(cancelled.status().code(), absl::StatusCode::kCancelled);
  EXPECT_THAT(cancelled.status().message(), HasSubstr("closed before the task ended"));
}

TEST_F(HostApiTest, CallsThatWouldWaitForThemselvesFailFast) {
  Open();
  DeployHostProcess();
  std::vector<absl::Status> seen;
  std::mutex mu;
  Engine* engine = nullptr;
  behaviour_ = [&](TaskContext& task) {
    if (Field(std::string(task.data_json()), "nested") != "<missing>") return LogicResult::Next();
    std::vector<absl::Status> here;
    here.push_back(engine->WaitIdle(absl::Seconds(1)));
    here.push_back(engine->ModifyTask(TaskKey::ByObjId(std::string(task.obj_id())), "{}"));
    here.push_back(engine->ShowTask(TaskKey::ByObjId(std::string(task.obj_id()))).status());
    here.push_back(engine->DeleteTask(TaskKey::ByObjId(std::string(task.obj_id()))));
    here.push_back(engine->Close(absl::Seconds(1)));
    int visited = 0;
    engine->ForEachTask([&visited](const TaskSnapshot&) { ++visited; });  // skips this task
    here.push_back(visited == 0 ? absl::OkStatus() : absl::InternalError("visited"));
    // Another task is fine.
    here.push_back(engine->CreateTask(kConv, "", R"({"ok":true,"nested":1})").status());
    std::lock_guard<std::mutex> lock(mu);
    seen = std::move(here);
    return LogicResult::Next();
  };
  engine = engine_.get();
  ASSERT_TRUE(engine_->CreateTask(kConv, "", "{}").ok());
  ASSERT_TRUE(engine_->WaitIdle(absl::Seconds(10)).ok());
  std::lock_guard<std::mutex> lock(mu);
  ASSERT_GE(seen.size(), 7u);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(seen[i].code(), absl::StatusCode::kFailedPrecondition) << i << ": " << seen[i];
    EXPECT_THAT(seen[i].message(), HasSubstr("would wait for itself")) << i;
  }
  EXPECT_TRUE(seen[5].ok()) << seen[5];
  EXPECT_TRUE(seen[6].ok()) << seen[6];
}

// Calls back about the event's own task, from the host's thread (a create,
// a delete): refused at once, where they would wait for that very thread.
class CallingBackObserver : public Observer {
 public:
  uint32_t events() const override { return kCreated | kDeleted; }
  void OnTaskCreated(const TaskEvent& e) override { Check(e); }
  void OnTaskDeleted(const TaskEvent& e) override { Check(e); }
  Engine* engine = nullptr;
  std::atomic<int> refused{0};

 private:
  void Check(const TaskEvent& e) {
    absl::Status shown = engine->ShowTask(TaskKey::ByObjId(std::string(e.obj_id))).status();
    if (shown.code() == absl::StatusCode::kFailedPrecondition) refused.fetch_add(1);
  }
};

TEST_F(HostApiTest, CallbacksOnTheHostsThreadFailFastToo) {
  CallingBackObserver observer;
  EngineOptions options;
  options.observer = &observer;
  Open(options);
  observer.engine = engine_.get();
  DeployHostProcess();
  behaviour_ = [](TaskContext&) { return LogicResult::Park(); };
  absl::StatusOr<TaskHandle> handle = engine_->Submit(kConv, "x", "{}");
  ASSERT_TRUE(engine_->WaitIdle(absl::Seconds(10)).ok());
  absl::Status from_callback;
  handle->OnDone([&](const absl::StatusOr<TaskSnapshot>& result) {
    from_callback = engine_->ShowTask(TaskKey::ByObjId(result->obj_id)).status();
  });
  ASSERT_TRUE(engine_->DeleteTask(TaskKey::ByRef(kConv, "x")).ok());
  EXPECT_EQ(observer.refused.load(), 2);  // created, deleted
  EXPECT_EQ(from_callback.code(), absl::StatusCode::kFailedPrecondition) << from_callback;
  // Outside the callbacks the task is there to show.
  EXPECT_EQ(engine_->ShowTask(TaskKey::ByRef(kConv, "x"))->status, TaskStatus::kDeleted);
  engine_.reset();
}

TEST_F(HostApiTest, HandleWaitFromALogicFailsFast) {
  EngineOptions options;
  options.worker_threads = 1;  // the inner task cannot end while the outer runs
  Open(options);
  DeployHostProcess();
  Engine* engine = nullptr;
  std::atomic<int> refused{0};
  behaviour_ = [&](TaskContext& task) {
    if (task.ref() != "outer") return LogicResult::Next();
    absl::StatusOr<TaskHandle> inner = engine->Submit(kConv, "inner", "{}");
    if (inner.ok() &&
        inner->Wait(absl::Seconds(5)).status().code() == absl::StatusCode::kFailedPrecondition) {
      refused.fetch_add(1);
    }
    return LogicResult::Next();
  };
  engine = engine_.get();
  ASSERT_TRUE(engine_->Submit(kConv, "outer", "{}")->Wait(absl::Seconds(10)).ok());
  EXPECT_EQ(refused.load(), 1);
}

TEST_F(HostApiTest, ObserverHearsTheWholeLife) {
  Recorder recorder;
  EngineOptions options;
  options.observer = &recorder;
  options.worker_threads = 1;
  Open(options);
  // start -> wait (host: parks) -> delay (30 s timer to done) ; done final.
  Deploy(
      {NodeJson("start", Kind::kStart, "[" + GoJson("wait") + "]"),
       NodeJson("wait", Kind::kNormal, "[{\"type\":\"host\"}," + GoJson("delay") + "]"),
       SemaphoreNodeJson("delay", Kind::kNormal, "[]", "[" + TimeJson("30", "sec", "done") + "]"),
       NodeJson("done", Kind::kFinal, "[]")});
  behaviour_ = [](TaskContext& task) {
    return Field(std::string(task.data_json()), "go") == "<missing>" ? LogicResult::Park()
                                                                     : LogicResult::Next();
  };
  engine_->HoldTime(true);
  absl::StatusOr<TaskHandle> handle = engine_->Submit(kConv, "a", "{}");
  ASSERT_TRUE(engine_->WaitIdle(absl::Seconds(10)).ok());
  ASSERT_TRUE(engine_->ModifyTask(TaskKey::ByRef(kConv, "a"), R"({"go":1})").ok());
  engine_->HoldTime(false);
  ASSERT_TRUE(handle->Wait(absl::Seconds(10)).ok());
  EXPECT_THAT(recorder.Take(),
              ElementsAre("created start", "entered wait from start", "parked wait callback",
                          "resumed wait callback", "entered delay from wait", "parked delay timer",
                          "resumed delay timer", "timer delay", "entered done from delay",
                          "finished done"));
  // Deleting and failing.
  behaviour_ = [](TaskContext&) { return LogicResult::Park(); };
  ASSERT_TRUE(engine_->CreateTask(kConv, "b", "{}").ok());
  ASSERT_TRUE(engine_->WaitIdle(absl::Seconds(10)).ok());
  ASSERT_TRUE(engine_->DeleteTask(TaskKey::ByRef(kConv, "b")).ok());
  std::vector<std::string> seen = recorder.Take();
  ASSERT_FALSE(seen.empty());
  EXPECT_EQ(seen.back(), "deleted wait");
  engine_.reset();  // before the recorder goes
}

TEST_F(HostApiTest, ObserverGetsOnlyTheEventsItWants) {
  Recorder recorder(Observer::kFinished | Observer::kError);
  EngineOptions options;
  options.observer = &recorder;
  Open(options);
  DeployHostProcess();
  behaviour_ = [](TaskContext& task) {
    if (task.ref() == "x") return LogicResult::Fail(NodeHandle(), true, "boom", "boom");
    return LogicResult::Next();
  };
  ASSERT_TRUE(engine_->Submit(kConv, "", "{}")->Wait(absl::Seconds(10)).ok());
  ASSERT_TRUE(engine_->Submit(kConv, "x", "{}")->Wait(absl::Seconds(10)).ok());
  EXPECT_THAT(recorder.Take(), ElementsAre("finished no", "error work boom"));
  engine_.reset();  // before the recorder goes
}

TEST_F(HostApiTest, ObserverHearsHttp) {
  Recorder recorder(Observer::kHttpSent | Observer::kHttpAnswered | Observer::kResumed);
  EchoTransport transport;
  EngineOptions options;
  options.observer = &recorder;
  options.http_transport = &transport;
  Open(options);
  DeployHostProcess();
  behaviour_ = [](TaskContext& task) {
    if (task.HttpResult() != nullptr) return LogicResult::Next();
    HttpRequest request;
    request.url = "http://example.test/pay";
    task.SendHttp(std::move(request), 0);
    return LogicResult::Park(ParkReason::kHttp);
  };
  ASSERT_TRUE(engine_->Submit(kConv, "", "{}")->Wait(absl::Seconds(10)).ok());
  EXPECT_THAT(recorder.Take(), ElementsAre("http_sent work http://example.test/pay",
                                           "resumed work http", "http_answered work 200"));
  engine_.reset();  // before the transport and the recorder go
}

TEST_F(HostApiTest, CloseDrainsWhatMovesAndRefusesNewWork) {
  std::mutex log_mu;
  std::vector<std::string> logged;
  EngineOptions options;
  options.worker_threads = 1;
  options.logger = [&](LogSeverity severity, absl::string_view message) {
    std::lock_guard<std::mutex> lock(log_mu);
    logged.push_back(absl::StrCat(LogSeverityName(severity), ": ", message));
  };
  Open(options);
  DeployHostProcess();
  absl::Notification started;
  absl::Notification release;
  behaviour_ = [&](TaskContext& task) {
    if (task.ref() == "slow") {
      started.Notify();
      release.WaitForNotification();
    }
    if (task.ref() == "park") return LogicResult::Park();
    return LogicResult::Next();
  };
  ASSERT_TRUE(engine_->CreateTask(kConv, "park", "{}").ok());
  ASSERT_TRUE(engine_->WaitIdle(absl::Seconds(10)).ok());
  ASSERT_TRUE(engine_->CreateTask(kConv, "slow", "{}").ok());
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(engine_->CreateTask(kConv, "", "{}").ok());
  started.WaitForNotification();
  absl::Status closed;
  std::thread closer([&] { closed = engine_->Close(absl::Seconds(30)); });
  // Intake stops at once, while what was accepted still drains.
  absl::Status refused;
  int accepted = 0;
  const absl::Time give_up = absl::Now() + absl::Seconds(10);
  for (;;) {
    refused = engine_->CreateTask(kConv, "", "{}").status();
    if (!refused.ok() || absl::Now() > give_up) break;
    ++accepted;  // before Close began: drained too
  }
  EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(refused.message(), HasSubstr("closing"));
  release.Notify();
  closer.join();
  EXPECT_TRUE(closed.ok()) << closed;
  const EngineStats stats = engine_->Stats();
  EXPECT_EQ(stats.tasks_finished, 51 + accepted);  // slow and every task behind it
  {
    std::lock_guard<std::mutex> lock(log_mu);
    ASSERT_FALSE(logged.empty());
    EXPECT_THAT(logged.back(),
                HasSubstr("info: closed: 0 tasks queued or moving, 0 waiting for an HTTP answer, "
                          "1 parked (in memory only"));
  }
  // A second Close is OK at once.
  EXPECT_TRUE(engine_->Close(absl::Seconds(1)).ok());
}

TEST_F(HostApiTest, CloseSaysWhatItLeftWhenTimeRunsOut) {
  EngineOptions options;
  options.worker_threads = 1;
  Open(options);
  DeployHostProcess();
  absl::Notification started;
  absl::Notification release;
  behaviour_ = [&](TaskContext& task) {
    if (task.ref() == "slow") {
      started.Notify();
      release.WaitForNotification();
    }
    return LogicResult::Next();
  };
  ASSERT_TRUE(engine_->CreateTask(kConv, "slow", "{}").ok());
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(engine_->CreateTask(kConv, "", "{}").ok());
  started.WaitForNotification();
  std::thread releaser([&release] {
    absl::SleepFor(absl::Milliseconds(200));
    release.Notify();
  });
  const absl::Status closed = engine_->Close(absl::Milliseconds(50));
  releaser.join();
  EXPECT_EQ(closed.code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_THAT(closed.message(), HasSubstr("did not drain within 50ms: 11 tasks queued or moving"));
  EXPECT_EQ(engine_->CreateTask(kConv, "", "{}").status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(HostApiTest, CloseDoesNotWaitForAHostTransportPastItsDeadline) {
  // A transport that never answers (until the test is over).
  class SilentTransport : public HttpTransport {
   public:
    void Send(HttpRequest, HttpDone done) override {
      std::lock_guard<std::mutex> lock(mu);
      held.push_back(std::move(done));
    }
    std::mutex mu;
    std::deque<HttpDone> held;
  } transport;
  EngineOptions options;
  options.http_transport = &transport;
  Open(options);
  DeployHostProcess();
  behaviour_ = [](TaskContext& task) {
    if (task.HttpResult() != nullptr) return LogicResult::Next();
    HttpRequest request;
    request.url = "http://example.test/slow";
    task.SendHttp(std::move(request), 0);
    return LogicResult::Park(ParkReason::kHttp);
  };
  absl::StatusOr<TaskHandle> handle = engine_->Submit(kConv, "", "{}");
  const absl::Time give_up = absl::Now() + absl::Seconds(10);
  while (absl::Now() < give_up) {
    std::lock_guard<std::mutex> lock(transport.mu);
    if (!transport.held.empty()) break;
  }
  const absl::Time start = absl::Now();
  const absl::Status closed = engine_->Close(absl::Milliseconds(100));
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  EXPECT_EQ(closed.code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_THAT(closed.message(), HasSubstr("1 waiting for an HTTP answer"));
  EXPECT_EQ(handle->Wait().status().code(), absl::StatusCode::kCancelled);
  engine_.reset();
  // The answer comes after the engine is gone: dropped, nothing touched.
  HttpResponse response;
  response.status = 200;
  for (HttpDone& done : transport.held) done(response);
}

TEST(VersionTest, LibraryMatchesHeaders) {
  EXPECT_STREQ(Version(), CONVEY_VERSION_STRING);
  EXPECT_EQ(
      std::string(CONVEY_VERSION_STRING),
      absl::StrCat(CONVEY_VERSION_MAJOR, ".", CONVEY_VERSION_MINOR, ".", CONVEY_VERSION_PATCH));
}

}  // namespace
}  // namespace convey
