// The host logic example (examples/host_logic): a host's own logic type,
// registered beside the built-ins through the public API, runs tasks that a
// host thread completes, and its configuration problems are reported exactly
// like a built-in's (file, JSON path, node).
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_replace.h"
#include "convey/engine.h"
#include "convey/logic.h"
#include "examples/host_logic/risk_check.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace {

using ::testing::HasSubstr;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in) << path;
  std::ostringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

class HostLogicTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(convey::RegisterBuiltinLogics(registry_).ok());
    ASSERT_TRUE(registry_.Register(risk::NewRiskCheckFactory(&desk_)).ok());
    convey::EngineOptions options;
    options.registry = &registry_;
    options.worker_threads = 2;
    auto engine = convey::Engine::Open(options);
    ASSERT_TRUE(engine.ok()) << engine.status();
    engine_ = *std::move(engine);
    desk_.Start(engine_.get());
    scheme_ = ReadFile("examples/host_logic/payments.conv.json");
  }
  void TearDown() override {
    desk_.Stop();
    if (engine_ != nullptr) engine_->Close().IgnoreError();
  }

  // The deploy error for the example with `from` replaced by `to`.
  std::string DeployError(const std::string& from, const std::string& to) {
    const std::string changed = absl::StrReplaceAll(scheme_, {{from, to}});
    EXPECT_NE(changed, scheme_) << from;
    auto deployed = engine_->Deploy("payments.conv.json", changed);
    EXPECT_FALSE(deployed.ok());
    return deployed.ok() ? "" : std::string(deployed.status().message());
  }

  risk::RiskDesk desk_;
  convey::LogicRegistry registry_;
  std::unique_ptr<convey::Engine> engine_;
  std::string scheme_;
};

TEST_F(HostLogicTest, HostThreadCompletesParkedTasks) {
  auto deployed = engine_->Deploy("payments.conv.json", scheme_);
  ASSERT_TRUE(deployed.ok()) << deployed.status();
  EXPECT_TRUE(deployed->warnings.empty());
  const int64_t conv_id = deployed->conv_ids[0];
  std::vector<std::string> obj_ids;
  for (int amount : {120, 4500, 980, 15000}) {
    auto created = engine_->CreateTask(conv_id, "", "{\"amount\":" + std::to_string(amount) + "}");
    ASSERT_TRUE(created.ok()) << created.status();
    obj_ids.push_back(*created);
  }
  ASSERT_TRUE(engine_->WaitIdle().ok());
  desk_.WaitAnswered();
  ASSERT_TRUE(engine_->WaitIdle().ok());
  const char* expected_nodes[] = {"Approved", "Manual review", "Approved", "Manual review"};
  const char* expected_data[] = {R"("risk":"approve","score":12)", R"("risk":"review","score":450)",
                                 R"("risk":"approve","score":98)",
                                 R"("risk":"review","score":1500)"};
  for (size_t i = 0; i < obj_ids.size(); ++i) {
    auto shown = engine_->ShowTask(convey::TaskKey::ByObjId(obj_ids[i]));
    ASSERT_TRUE(shown.ok()) << shown.status();
    EXPECT_EQ(shown->status, convey::TaskStatus::kProcessed);
    EXPECT_EQ(shown->node_title, expected_nodes[i]);
    EXPECT_THAT(shown->data, HasSubstr(expected_data[i]));
  }
}

TEST_F(HostLogicTest, ItsConfigurationErrorsAreLocatedLikeABuiltIns) {
  const std::string logic = "payments.conv.json: scheme.nodes[1].condition.logics[0]";
  const std::string node = " (node \"7a00000000000000000000a2\")";
  EXPECT_EQ(DeployError(R"("limit": 1000)", R"("limit": -5)"),
            logic + ".limit: limit -5 must be positive" + node);
  EXPECT_EQ(DeployError(R"("limit": 1000)", R"("limit": "lots")"),
            logic + ".limit: limit must be an integer, not the string \"lots\"" + node);
  // Both problems of one logic are listed, in reading order.
  EXPECT_EQ(DeployError(R"("amount": "{{amount}}", "limit": 1000)", R"("limit": 0)"),
            logic + ": risk_check has no amount" + node + "\n" + logic +
                ".limit: limit 0 must be positive" + node);
  EXPECT_THAT(DeployError(R"("amount": "{{amount}}")", R"x("amount": "$.nosuch({{amount}})")x"),
              HasSubstr(logic + ".amount: "));
  // The same shape as a built-in's error in the node before.
  EXPECT_EQ(DeployError(R"({"type": "go", "to_node_id": "7a00000000000000000000a2"})",
                        R"({"type": "go", "to_node_id": "nowhere"})"),
            "payments.conv.json: scheme.nodes[0].condition.logics[0]: go.to_node_id \"nowhere\" "
            "names no node of process 3001 (node \"7a00000000000000000000a1\")");
}

}  // namespace
