// A host program: deploys the example process, runs 100 000 tasks, prints the sums.
#include <cstdio>
#include "convey/engine.h"

int main(int argc, char** argv) {
  auto engine = convey::Engine::Open(convey::EngineOptions{});
  if (!engine.ok()) return 1;
  auto deployed = (*engine)->DeployFile(argc > 1 ? argv[1] : "examples/orders.conv.json");
  if (!deployed.ok()) { std::fprintf(stderr, "%s\n", deployed.status().ToString().c_str()); return 1; }
  const int64_t conv_id = deployed->conv_ids[0];
  for (int i = 0; i < 100000; ++i) {
    std::string data = "{\"price\":" + std::to_string(i % 50) + ",\"qty\":" + std::to_string(i % 40) + "}";
    while (!(*engine)->CreateTask(conv_id, "", data).ok()) (*engine)->WaitIdle(absl::Milliseconds(1));
  }
  (*engine)->WaitIdle();
  for (const convey::NodeStats& node : (*engine)->StatsFor(conv_id)->nodes)
    for (const convey::SumStats& sum : node.sums)
      std::printf("%s / %s = %.0f\n", node.title.c_str(), sum.name.c_str(), sum.value);
}
