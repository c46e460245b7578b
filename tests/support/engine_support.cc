#include "tests/support/engine_support.h"

#include <utility>

#include "gtest/gtest.h"

namespace convey {
namespace testing {

std::unique_ptr<Engine> OpenEngine(EngineOptions options) {
  if (options.worker_threads == 0) options.worker_threads = 2;
  absl::StatusOr<std::unique_ptr<Engine>> engine = Engine::Open(options);
  EXPECT_TRUE(engine.ok()) << engine.status();
  return *std::move(engine);  // not opened: stops the test, as value() does
}

void MustDeploy(Engine& engine, const std::string& json) {
  absl::StatusOr<DeployResult> deployed = engine.Deploy("test.json", json);
  ASSERT_TRUE(deployed.ok()) << deployed.status();
}

const NodeStats& NodeNamed(const ProcessStats& stats, const std::string& id) {
  for (const NodeStats& node : stats.nodes) {
    if (node.node_id == id) return node;
  }
  static const NodeStats none;
  ADD_FAILURE() << "no node " << id;
  return none;
}

}  // namespace testing
}  // namespace convey
