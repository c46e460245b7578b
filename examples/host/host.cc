// A host program: deploy the example process, run 100 000 tasks, print the sums.
#include <cstdio>
#include <string>

#include "convey/engine.h"

int main(int argc, char** argv) {
  auto engine = convey::Engine::Open(convey::EngineOptions{});
  auto deployed = (*engine)->DeployFile(argc > 1 ? argv[1] : "examples/orders.conv.json");
  if (!deployed.ok()) return std::fprintf(stderr, "%s\n", deployed.status().ToString().c_str()), 1;
  const int64_t conv_id = deployed->conv_ids[0];
  for (int i = 0; i < 100000; ++i) {
    std::string data =
        "{\"price\":" + std::to_string(i % 50) + ",\"qty\":" + std::to_string(i % 40) + "}";
    auto created = (*engine)->CreateTask(conv_id, std::to_string(i), data);
    while (absl::IsResourceExhausted(created.status())) {  // run queue full: let it drain
      (void)(*engine)->WaitIdle(absl::Milliseconds(1));
      created = (*engine)->CreateTask(conv_id, std::to_string(i), data);
    }
    if (!created.ok()) return std::fprintf(stderr, "%s\n", created.status().ToString().c_str()), 1;
  }
  if (!(*engine)->WaitIdle().ok()) return 1;
  const convey::ProcessStats stats = *(*engine)->StatsFor(conv_id);
  for (const convey::NodeStats& node : stats.nodes)
    for (const convey::SumStats& sum : node.sums)
      std::printf("%s: %s = %.0f\n", node.title.c_str(), sum.name.c_str(), sum.value);
}
