// A host that adds its own logic type next to convey's built-ins, through the
// public API only: a registry with the built-ins and `risk_check`, an engine
// using it, and a host thread (the RiskDesk) completing the parked tasks.
//
//   bazel run //examples/host_logic -- $PWD/examples/host_logic/payments.conv.json
#include <cstdio>
#include <string>
#include <vector>

#include "convey/engine.h"
#include "convey/logic.h"
#include "examples/host_logic/risk_check.h"

int main(int argc, char** argv) {
  risk::RiskDesk desk;
  convey::LogicRegistry registry;
  if (!convey::RegisterBuiltinLogics(registry).ok() ||
      !registry.Register(risk::NewRiskCheckFactory(&desk)).ok()) {
    return 1;
  }
  convey::EngineOptions options;
  options.registry = &registry;
  auto engine = convey::Engine::Open(options);
  if (!engine.ok()) return std::fprintf(stderr, "%s\n", engine.status().ToString().c_str()), 1;
  desk.Start(engine->get());
  // A bad risk_check is reported like a built-in's: file, JSON path, node.
  auto deployed =
      (*engine)->DeployFile(argc > 1 ? argv[1] : "examples/host_logic/payments.conv.json");
  if (!deployed.ok()) {
    return std::fprintf(stderr, "%s\n", std::string(deployed.status().message()).c_str()), 1;
  }
  const int64_t conv_id = deployed->conv_ids[0];
  std::vector<std::string> obj_ids;
  for (int amount : {120, 4500, 980, 15000}) {
    auto created = (*engine)->CreateTask(conv_id, "pay-" + std::to_string(amount),
                                         "{\"amount\":" + std::to_string(amount) + "}");
    if (!created.ok()) return std::fprintf(stderr, "%s\n", created.status().ToString().c_str()), 1;
    obj_ids.push_back(*created);
  }
  // Parked tasks leave the engine idle: wait for the desk, then the engine.
  (void)(*engine)->WaitIdle();
  desk.WaitAnswered();
  if (!(*engine)->WaitIdle().ok()) return 1;
  for (const std::string& obj_id : obj_ids) {
    auto shown = (*engine)->ShowTask(convey::TaskKey::ByObjId(obj_id));
    if (!shown.ok()) return std::fprintf(stderr, "%s\n", shown.status().ToString().c_str()), 1;
    std::printf("%s: %s %s\n", shown->ref.c_str(), shown->node_title.c_str(), shown->data.c_str());
  }
  desk.Stop();
  return 0;
}
