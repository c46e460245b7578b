// Opening an engine, deploying a scheme and reading a node's counts, as the
// engine's tests do them.
#ifndef CONVEY_TESTS_SUPPORT_ENGINE_SUPPORT_H_
#define CONVEY_TESTS_SUPPORT_ENGINE_SUPPORT_H_

#include <memory>
#include <string>

#include "convey/engine.h"

namespace convey {
namespace testing {

// Engine::Open(options), with two workers when `options` names none; a test
// failure, then a crash, if it does not open.
std::unique_ptr<Engine> OpenEngine(EngineOptions options = {});

// Deploys `json` as "test.json"; a test failure if it does not deploy.
void MustDeploy(Engine& engine, const std::string& json);

// The counts of node `id`; a test failure (and empty counts) without it.
const NodeStats& NodeNamed(const ProcessStats& stats, const std::string& id);

}  // namespace testing
}  // namespace convey

#endif  // CONVEY_TESTS_SUPPORT_ENGINE_SUPPORT_H_
